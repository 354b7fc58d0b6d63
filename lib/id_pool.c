/*
 * lib/id_pool.c: the id pool of lib/id_pool.h, a free list threaded through an array.
 *
 * slots[id] is ID_POOL_IN_USE while the id is handed out. While it is free, slots[id] is the
 * next free id (or ID_POOL_END for the last one), and first_free is the head. Getting pops
 * the head, putting pushes on it: both are O(1), and the array is the only memory used.
 */
#include "lib/id_pool.h"
#include "lib/errno.h"

/* Push ids first .. last-1 so that `first` ends up at the head: they come out in order. */
static void push_range(struct id_pool *pool, uint32_t first, uint32_t last)
{
	for (uint32_t id = last; id > first; id--) {
		pool->slots[id - 1] = pool->first_free;
		pool->first_free = id - 1;
	}
}

int id_pool_init(struct id_pool *pool, uint32_t *storage, uint32_t count)
{
	/* Ids must stay below the two marks, or an id could be mistaken for one. */
	if (count > ID_POOL_MAX_IDS)
		return -EINVAL;
	pool->slots = storage;
	pool->capacity = count;
	pool->in_use = 0;
	pool->first_free = ID_POOL_END;
	push_range(pool, 0, count);
	return 0;
}

int id_pool_grow(struct id_pool *pool, uint32_t *storage, uint32_t new_count)
{
	if (new_count <= pool->capacity || new_count > ID_POOL_MAX_IDS)
		return -EINVAL;
	/* The old entries came along with the storage, so the free list is still valid; the new
	 * ids go on its head. */
	pool->slots = storage;
	push_range(pool, pool->capacity, new_count);
	pool->capacity = new_count;
	return 0;
}

/*
 * The free list is a stack: the id put last is handed out next. That costs nothing and keeps
 * the hot ids few; a caller that wants a freed id to rest first must hold it back itself.
 */
int id_pool_get(struct id_pool *pool, uint32_t *id)
{
	uint32_t taken = pool->first_free;

	if (taken == ID_POOL_END)
		return -ENOSPC;
	pool->first_free = pool->slots[taken];
	pool->slots[taken] = ID_POOL_IN_USE;
	pool->in_use++;
	*id = taken;
	return 0;
}

int id_pool_put(struct id_pool *pool, uint32_t id)
{
	if (id >= pool->capacity)
		return -EINVAL;
	/* A free id's slot links the free list; pushing it again would make a loop in it, and
	 * the id would then be handed out twice. */
	if (pool->slots[id] != ID_POOL_IN_USE)
		return -EALREADY;
	pool->slots[id] = pool->first_free;
	pool->first_free = id;
	pool->in_use--;
	return 0;
}

bool id_pool_in_use(const struct id_pool *pool, uint32_t id)
{
	return id < pool->capacity && pool->slots[id] == ID_POOL_IN_USE;
}
