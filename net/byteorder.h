/*
 * net/byteorder.h: reading and writing the big-endian ("network byte order") fields of
 * packet headers, byte by byte.
 *
 * The stack never casts a packet to a struct: a header can sit at any alignment, a packed
 * struct hides that from the reader, and explicit byte access makes every read visibly
 * bounded by the length check before it. Inside the stack, addresses and ports are plain
 * host-order integers; they meet the wire only through these helpers.
 */
#ifndef NET_BYTEORDER_H
#define NET_BYTEORDER_H

#include <stdint.h>

static inline uint16_t get_be16(const uint8_t *bytes)
{
	return (uint16_t)(bytes[0] << 8 | bytes[1]);
}

static inline uint32_t get_be32(const uint8_t *bytes)
{
	return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
	       bytes[3];
}

static inline void put_be16(uint8_t *bytes, uint16_t value)
{
	bytes[0] = (uint8_t)(value >> 8);
	bytes[1] = (uint8_t)value;
}

static inline void put_be32(uint8_t *bytes, uint32_t value)
{
	bytes[0] = (uint8_t)(value >> 24);
	bytes[1] = (uint8_t)(value >> 16);
	bytes[2] = (uint8_t)(value >> 8);
	bytes[3] = (uint8_t)value;
}

#endif
