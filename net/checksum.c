/*
 * net/checksum.c: the Internet checksum, RFC 1071 (see net/checksum.h for the arithmetic).
 */
#include "net/checksum.h"

uint32_t checksum_add(uint32_t sum, const void *data, size_t length)
{
	const uint8_t *bytes = data;
	/*
	 * A 64-bit accumulator cannot overflow here: each step adds at most 0xffff, so 2^48
	 * words would be needed. The carries are folded in once, at the end.
	 */
	uint64_t total = sum;

	while (length >= 2) {
		total += (uint32_t)(bytes[0] << 8 | bytes[1]);
		bytes += 2;
		length -= 2;
	}
	if (length == 1)
		total += (uint32_t)bytes[0] << 8;	/* padded with a zero byte (RFC 1071) */
	while (total >> 32)
		total = (total & 0xffffffff) + (total >> 32);
	return (uint32_t)total;
}

uint16_t checksum_fold(uint32_t sum)
{
	/* Two folds suffice: the first leaves at most 0x1fffe, the second at most 0xffff. */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t checksum_finish(uint32_t sum)
{
	return (uint16_t)~checksum_fold(sum);
}

uint16_t checksum(const void *data, size_t length)
{
	return checksum_finish(checksum_add(0, data, length));
}

uint32_t checksum_pseudo_header(uint32_t source, uint32_t destination, uint8_t protocol,
				uint16_t transport_length)
{
	uint64_t sum = 0;

	sum += source >> 16;
	sum += source & 0xffff;
	sum += destination >> 16;
	sum += destination & 0xffff;
	sum += protocol;		/* a zero byte, then the protocol: one 16-bit word */
	sum += transport_length;
	return (uint32_t)sum;
}
