/*
 * test/unit/test_checksum.c: the Internet checksum (net/checksum.c), TCP sequence number
 * arithmetic (net/tcp_seq.h) and the byte ring (net/ring.c).
 */
#include <check.h>
#include "test/unit/net_harness.h"
#include "test/unit/stubs.h"
#include "test/unit/suites.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/netif.h"
#include "net/ring.h"
#include "net/tcp_seq.h"
#include "net/udp.h"
#include "lib/string.h"

/* RFC 1071 section 3's worked example: the sum of these bytes is 0xddf2. */
START_TEST(rfc1071_example)
{
	static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	ck_assert_uint_eq(checksum_fold(checksum_add(0, data, sizeof(data))), 0xddf2);
	ck_assert_uint_eq(checksum(data, sizeof(data)), 0x220d);
}
END_TEST

START_TEST(odd_length_pads_with_zero)
{
	static const uint8_t odd[] = { 0x12, 0x34, 0x56 };
	static const uint8_t padded[] = { 0x12, 0x34, 0x56, 0x00 };

	ck_assert_uint_eq(checksum(odd, 3), checksum(padded, 4));
}
END_TEST

START_TEST(sum_in_pieces_equals_sum_at_once)
{
	uint8_t data[1000];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t split = 0; split <= sizeof(data); split += 2) {
		uint32_t sum = checksum_add(checksum_add(0, data, split), data + split,
					    sizeof(data) - split);

		REQUIRE(checksum_finish(sum) == checksum(data, sizeof(data)), "split %zu", split);
	}
}
END_TEST

/* A header with its checksum filled in sums to 0xffff, so the check yields 0. */
START_TEST(verify_yields_zero)
{
	uint8_t header[20] = { 0x45, 0, 0, 40, 0x12, 0x34, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1,
			       10, 0, 0, 2 };

	put_be16(header + 10, checksum(header, sizeof(header)));
	ck_assert_uint_eq(checksum(header, sizeof(header)), 0);
	header[8]--;            /* what a router does without fixing the checksum */
	ck_assert_uint_ne(checksum(header, sizeof(header)), 0);
}
END_TEST

/*
 * Checksum offload: a UDP datagram sent with NETBUF_CSUM_PARTIAL and finished by the
 * "device" (the fake netif does what netback or TAP would) equals one the stack summed.
 */
START_TEST(offload_matches_software)
{
	struct net_endpoint to = { PEER, 9999 };
	struct udp_socket *socket;
	uint8_t software[2048], offloaded[2048];
	size_t software_length;

	for (int pass = 0; pass < 2; pass++) {
		harness_setup(NULL, pass == 0 ? 0 : NETIF_F_TX_CSUM);
		ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 5000, &socket), 0);
		ck_assert_int_eq(udp_send(socket, "offload me!", 11, &to), 11);
		ck_assert_uint_eq(transmitted(), 1);
		if (pass == 0) {
			software_length = harness_fake.lengths[0];
			memcpy(software, harness_fake.frames[0], software_length);
		} else {
			ck_assert_uint_eq(harness_fake.lengths[0], software_length);
			memcpy(offloaded, harness_fake.frames[0], software_length);
			/* The IPv4 identification differs between the two stacks; compare UDP. */
			ck_assert_mem_eq(offloaded + 34, software + 34, software_length - 34);
		}
	}
}
END_TEST

START_TEST(sequence_wraparound)
{
	ck_assert(seq_lt(1, 2));
	ck_assert(seq_lt(0xfffffff0u, 0x10));           /* across the wrap */
	ck_assert(seq_gt(0x10, 0xfffffff0u));
	ck_assert(!seq_lt(0x10, 0xfffffff0u));
	ck_assert(seq_leq(5, 5) && seq_geq(5, 5) && !seq_lt(5, 5));
	ck_assert(seq_lt(0x7fffffffu, 0x80000000u));
	ck_assert(seq_gt(0x80000000u, 1));              /* 2^31 - 1 apart: still "after" */
	ck_assert(seq_in_window(0xfffffffeu, 0xfffffff0u, 0x20));
	ck_assert(seq_in_window(0x0f, 0xfffffff0u, 0x20));
	ck_assert(!seq_in_window(0x10, 0xfffffff0u, 0x20));
	ck_assert(!seq_in_window(0xffffffefu, 0xfffffff0u, 0x20));
	ck_assert(!seq_in_window(5, 5, 0));
	ck_assert_uint_eq(seq_max(0xfffffff0u, 0x10), 0x10);
}
END_TEST

START_TEST(ring_wraps_and_stores_ahead)
{
	uint8_t storage[8], out[8];
	struct ring ring;

	ring_init(&ring, storage, sizeof(storage));
	ck_assert_uint_eq(ring_append(&ring, "abcdef", 6), 6);
	ring_consume(&ring, 5);
	ck_assert_uint_eq(ring_append(&ring, "ghijklmn", 8), 7);       /* only 7 free */
	ring_peek(&ring, 0, out, 8);
	ck_assert_mem_eq(out, "fghijklm", 8);
	ring_consume(&ring, 8);
	/* Store ahead of the used bytes, as TCP does with out-of-order data, then commit. */
	ring_write_at(&ring, 3, "xyz", 3);
	ring_write_at(&ring, 0, "uvw", 3);
	ring_commit(&ring, 6);
	ring_peek(&ring, 0, out, 6);
	ck_assert_mem_eq(out, "uvwxyz", 6);
}
END_TEST

Suite *checksum_suite(void)
{
	Suite *suite = suite_create("net_checksum");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rfc1071_example);
	tcase_add_test(tc, odd_length_pads_with_zero);
	tcase_add_test(tc, sum_in_pieces_equals_sum_at_once);
	tcase_add_test(tc, verify_yields_zero);
	tcase_add_test(tc, offload_matches_software);
	tcase_add_test(tc, sequence_wraparound);
	tcase_add_test(tc, ring_wraps_and_stores_ahead);
	suite_add_tcase(suite, tc);
	return suite;
}
