/*
 * lib/id_pool.h: a pool of small integer ids, 0 .. capacity-1, handed out and taken back in
 * constant time. Grant references (xen/gnttab.c) come from one; ring drivers take their
 * request ids from one, so that a response can name the request it answers.
 *
 * The pool does not allocate: the caller gives it an array of one uint32_t per id, and a
 * larger one (realloc keeps the contents) when the pool grows. Each slot holds either the id
 * of the next free id -- the free list is threaded through the array -- or a mark that says
 * "in use". That mark is what catches a double put: the id is not in use any more, so it is
 * refused and the free list stays intact.
 *
 * Not reentrant: callers must not use one pool from event handlers and threads at once.
 */
#ifndef MOTE_LIB_ID_POOL_H
#define MOTE_LIB_ID_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* The two marks a slot can hold besides "next free id"; ids stay below both. */
#define ID_POOL_IN_USE UINT32_MAX
#define ID_POOL_END (UINT32_MAX - 1)
#define ID_POOL_MAX_IDS ID_POOL_END

struct id_pool {
	uint32_t *slots;        /* one per id: the next free id, ID_POOL_END, or ID_POOL_IN_USE */
	uint32_t capacity;      /* ids 0 .. capacity-1 exist */
	uint32_t in_use;
	uint32_t first_free;    /* head of the free list, ID_POOL_END when all are in use */
};

/*
 * Start a pool of `count` free ids in `storage` (count entries). A fresh pool hands out
 * 0, 1, 2, ... in order. Returns 0, or -EINVAL if count exceeds ID_POOL_MAX_IDS.
 */
int id_pool_init(struct id_pool *pool, uint32_t *storage, uint32_t count);

/*
 * Add ids capacity .. new_count-1. `storage` holds new_count entries and begins with the
 * pool's current entries: the same array if it was big enough, or the result of realloc.
 * The new ids are handed out lowest first. Returns 0, or -EINVAL if new_count is not larger
 * than the capacity or exceeds ID_POOL_MAX_IDS (the pool is then unchanged).
 */
int id_pool_grow(struct id_pool *pool, uint32_t *storage, uint32_t new_count);

/* Take a free id. Returns 0, or -ENOSPC when every id is in use. */
int id_pool_get(struct id_pool *pool, uint32_t *id);

/*
 * Give an id back; it is the next one handed out. Returns 0, -EINVAL for an id outside the
 * pool, -EALREADY for an id that is not in use (a double put). Errors change nothing.
 */
int id_pool_put(struct id_pool *pool, uint32_t id);

/* Whether `id` is currently handed out (false for ids outside the pool). */
bool id_pool_in_use(const struct id_pool *pool, uint32_t id);

#endif
