/*
 * net/tcp_seq.h: TCP sequence number arithmetic (RFC 9293 section 3.4; RFC 1982's serial
 * number arithmetic is the same idea).
 *
 * Sequence numbers are 32 bits and wrap around: after 0xffffffff comes 0. So "a comes before
 * b" cannot be a < b. It means: going forward from a, b is reached in fewer than 2^31 steps.
 * Subtracting in unsigned 32-bit arithmetic gives that distance modulo 2^32, and reading it
 * as signed tells the direction: (int32_t)(a - b) < 0 exactly when a is before b. This
 * works as long as the two numbers are less than 2^31 apart, which TCP guarantees by never
 * having more than 2^30 bytes in flight (the largest scaled window, RFC 7323 2.3).
 */
#ifndef NET_TCP_SEQ_H
#define NET_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* Whether `seq` lies in the `length` numbers starting at `start`: start <= seq < start+length. */
static inline bool seq_in_window(uint32_t seq, uint32_t start, uint32_t length)
{
	return seq - start < length;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

#endif
