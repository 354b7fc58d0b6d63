/*
 * net/ring.c: the byte ring (net/ring.h). Every copy is at most two memcpy calls: up to the
 * end of the storage, then from its start.
 */
#include "net/ring.h"
#include "lib/assert.h"
#include "lib/string.h"
#include "lib/util.h"

void ring_init(struct ring *ring, void *storage, size_t capacity)
{
	ring->storage = storage;
	ring->capacity = capacity;
	ring->head = 0;
	ring->used = 0;
}

/* The storage index `offset` bytes past the head. */
static size_t ring_index(const struct ring *ring, size_t offset)
{
	size_t index = ring->head + offset;

	return index >= ring->capacity ? index - ring->capacity : index;
}

void ring_write_at(struct ring *ring, size_t offset, const void *data, size_t length)
{
	size_t index, first;

	assert(offset + length <= ring->capacity);
	if (length == 0)
		return;
	index = ring_index(ring, offset);
	first = MIN(length, ring->capacity - index);
	memcpy(ring->storage + index, data, first);
	memcpy(ring->storage, (const unsigned char *)data + first, length - first);
}

size_t ring_append(struct ring *ring, const void *data, size_t length)
{
	length = MIN(length, ring_free(ring));
	ring_write_at(ring, ring->used, data, length);
	ring->used += length;
	return length;
}

void ring_commit(struct ring *ring, size_t length)
{
	assert(length <= ring_free(ring));
	ring->used += length;
}

void ring_peek(const struct ring *ring, size_t offset, void *destination, size_t length)
{
	size_t index, first;

	assert(offset + length <= ring->used);
	if (length == 0)
		return;
	index = ring_index(ring, offset);
	first = MIN(length, ring->capacity - index);
	memcpy(destination, ring->storage + index, first);
	memcpy((unsigned char *)destination + first, ring->storage, length - first);
}

void ring_consume(struct ring *ring, size_t length)
{
	assert(length <= ring->used);
	/*
	 * The head moves on even when the ring becomes empty: TCP may have stored out-of-order
	 * data past the used bytes, at offsets measured from here.
	 */
	ring->head = ring_index(ring, length);
	ring->used -= length;
}
