/*
 * net/ring.h: a fixed-size byte ring, the storage of TCP's send and receive buffers.
 *
 * The ring holds `used` bytes starting at `head`. Besides the usual append and consume, it
 * can write at any offset past the used bytes without making them used (ring_write_at):
 * that is how TCP's receive side stores an out-of-order segment in the place it will occupy
 * once the gap before it is filled, so reassembly needs no extra buffers and no copies.
 */
#ifndef NET_RING_H
#define NET_RING_H

#include <stddef.h>

struct ring {
	unsigned char *storage;
	size_t capacity;
	size_t head;            /* index of the first used byte */
	size_t used;
};

/* Use `capacity` bytes at `storage` (NULL and 0 for an empty ring that holds nothing). */
void ring_init(struct ring *ring, void *storage, size_t capacity);

static inline size_t ring_used(const struct ring *ring)
{
	return ring->used;
}

static inline size_t ring_free(const struct ring *ring)
{
	return ring->capacity - ring->used;
}

/* Append up to `length` bytes; returns the count appended (limited by the free space). */
size_t ring_append(struct ring *ring, const void *data, size_t length);

/*
 * Store `length` bytes at `offset` bytes past the start of the used data, without changing
 * what is used. The caller guarantees offset + length <= capacity.
 */
void ring_write_at(struct ring *ring, size_t offset, const void *data, size_t length);

/* Count `length` more bytes as used (data stored earlier by ring_write_at). */
void ring_commit(struct ring *ring, size_t length);

/* Copy `length` bytes from `offset` bytes into the used data, without consuming them. */
void ring_peek(const struct ring *ring, size_t offset, void *destination, size_t length);

/* Drop `length` bytes from the start of the used data. */
void ring_consume(struct ring *ring, size_t length);

#endif
