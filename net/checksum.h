/*
 * net/checksum.h: the Internet checksum (RFC 1071), used by IPv4, ICMP, UDP and TCP.
 *
 * The checksum is the one's complement of the one's complement sum of the data taken as
 * 16-bit big-endian words. One's complement addition is addition with the carry wrapped
 * around into bit 0, so it is associative and commutative: a sum can be built in pieces
 * (pseudo-header, header, payload) and folded at the end. To check a received header, sum
 * it *including* its checksum field: the complement of the result is 0 when it is intact.
 *
 * The sums here are kept unfolded in 32 bits ("partial sums"); checksum_finish() folds the
 * carries back in and complements. Only the last piece of a sum may have an odd length,
 * because an odd piece would shift the byte pairing of the next one.
 */
#ifndef NET_CHECKSUM_H
#define NET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add `length` bytes to the partial sum `sum`; an odd last byte counts as its high half. */
uint32_t checksum_add(uint32_t sum, const void *data, size_t length);

/* Fold a partial sum to 16 bits (carries wrapped in), without complementing it. */
uint16_t checksum_fold(uint32_t sum);

/* Fold and complement: the value to store in a checksum field (host order). */
uint16_t checksum_finish(uint32_t sum);

/* The checksum of one buffer: checksum_finish(checksum_add(0, data, length)). */
uint16_t checksum(const void *data, size_t length);

/*
 * The partial sum of the IPv4 pseudo-header that UDP and TCP checksums cover (RFC 768,
 * RFC 9293 section 3.1): source, destination, protocol and the transport length. The
 * pseudo-header ties a segment to its addresses, so a segment delivered to the wrong host
 * fails its check.
 */
uint32_t checksum_pseudo_header(uint32_t source, uint32_t destination, uint8_t protocol,
				uint16_t transport_length);

#endif
