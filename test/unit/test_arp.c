/*
 * test/unit/test_arp.c: the ARP cache (net/arp.c): learning, replies, expiry with the fake
 * clock, resolution with a bounded queue, and giving up.
 */
#include <check.h>
#include "test/unit/net_harness.h"
#include "test/unit/suites.h"
#include "net/arp.h"
#include "net/byteorder.h"
#include "net/stack.h"
#include "net/udp.h"
#include "lib/string.h"

#define STRANGER IPV4_ADDRESS(10, 0, 0, 5)
static const uint8_t stranger_mac[6] = { 2, 0, 0, 0, 0, 5 };

static struct arp_cache *cache(void)
{
	return &harness_net->ifaces[0].arp;
}

/* The ARP operation of kept frame `index`, or 0 if it is not ARP. */
static int arp_operation(unsigned int index)
{
	const uint8_t *frame = harness_fake.frames[index];

	return get_be16(frame + 12) == 0x0806 ? get_be16(frame + 14 + 6) : 0;
}

/* Whether one of the kept frames is an ARP request sent to `mac` alone. */
static bool sent_unicast_request(const uint8_t mac[6])
{
	for (unsigned int i = 0; i < transmitted(); i++)
		if (arp_operation(i) == 1 && memcmp(harness_fake.frames[i], mac, 6) == 0)
			return true;
	return false;
}

START_TEST(request_for_us_is_answered_and_learned)
{
	uint8_t mac[6];

	harness_setup(NULL, 0);
	inject_arp(1, stranger_mac, STRANGER, US);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_int_eq(arp_operation(0), 2);
	ck_assert_mem_eq(harness_fake.frames[0], stranger_mac, 6);      /* unicast reply */
	ck_assert_int_eq(arp_lookup(cache(), STRANGER, mac), 0);
	ck_assert_mem_eq(mac, stranger_mac, 6);
}
END_TEST

START_TEST(request_for_others_is_not_learned)
{
	uint8_t mac[6];

	harness_setup(NULL, 0);
	inject_arp(1, stranger_mac, STRANGER, IPV4_ADDRESS(10, 0, 0, 77));
	ck_assert_uint_eq(transmitted(), 0);
	ck_assert_int_eq(arp_lookup(cache(), STRANGER, mac), -ENOENT);
}
END_TEST

START_TEST(entries_expire)
{
	uint8_t mac[6];

	harness_setup(NULL, 0);
	inject_arp(1, stranger_mac, STRANGER, US);
	forget_transmitted();
	fake_clock_advance(ARP_LIFETIME_NS - 1);
	net_run_timers(harness_net, time_now());
	ck_assert_int_eq(arp_lookup(cache(), STRANGER, mac), 0);
	ck_assert(!sent_unicast_request(stranger_mac));
	/* Lifetime over: still usable, and asked again by unicast. */
	fake_clock_advance(1);
	net_run_timers(harness_net, time_now());
	ck_assert_int_eq(arp_lookup(cache(), STRANGER, mac), 0);
	ck_assert(sent_unicast_request(stranger_mac));
	/* No answer to any of the requests: gone. */
	for (unsigned int i = 0; i < ARP_RETRIES; i++) {
		fake_clock_advance(ARP_RETRY_NS);
		net_run_timers(harness_net, time_now());
	}
	ck_assert_int_eq(arp_lookup(cache(), STRANGER, mac), -ENOENT);
}
END_TEST

START_TEST(refreshed_entries_stay)
{
	uint8_t mac[6];

	harness_setup(NULL, 0);
	inject_arp(1, stranger_mac, STRANGER, US);
	fake_clock_advance(ARP_LIFETIME_NS);
	net_run_timers(harness_net, time_now());
	inject_arp(2, stranger_mac, STRANGER, US);      /* the neighbour answers */
	fake_clock_advance(ARP_LIFETIME_NS - 1);
	net_run_timers(harness_net, time_now());
	ck_assert_int_eq(arp_lookup(cache(), STRANGER, mac), 0);
}
END_TEST

START_TEST(packets_wait_for_the_reply)
{
	struct net_endpoint to = { STRANGER, 9 };
	struct udp_socket *socket;

	harness_setup(NULL, 0);
	ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 0, &socket), 0);
	ck_assert_int_eq(udp_send(socket, "1", 1, &to), 1);
	ck_assert_int_eq(udp_send(socket, "2", 1, &to), 1);
	ck_assert_uint_eq(transmitted(), 1);            /* one request, both packets held */
	ck_assert_int_eq(arp_operation(0), 1);
	forget_transmitted();
	inject_arp(2, stranger_mac, STRANGER, US);
	ck_assert_uint_eq(transmitted(), 2);
	ck_assert_mem_eq(harness_fake.frames[0], stranger_mac, 6);
	ck_assert_uint_eq(harness_fake.frames[1][14 + 20 + 8], '2');
}
END_TEST

START_TEST(queue_is_bounded)
{
	struct net_endpoint to = { STRANGER, 9 };
	struct udp_socket *socket;

	harness_setup(NULL, 0);
	ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 0, &socket), 0);
	for (int i = 0; i < ARP_QUEUE_LIMIT + 2; i++)
		ck_assert_int_eq(udp_send(socket, "x", 1, &to), 1);
	ck_assert_uint_eq(harness_net->stats.arp_queue_dropped, 2);
	forget_transmitted();
	inject_arp(2, stranger_mac, STRANGER, US);
	ck_assert_uint_eq(transmitted(), ARP_QUEUE_LIMIT);
}
END_TEST

START_TEST(unanswered_requests_give_up)
{
	struct net_endpoint to = { STRANGER, 9 };
	struct udp_socket *socket;

	harness_setup(NULL, 0);
	ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 0, &socket), 0);
	ck_assert_int_eq(udp_send(socket, "x", 1, &to), 1);
	for (int i = 0; i < ARP_RETRIES; i++) {
		fake_clock_advance(ARP_RETRY_NS);
		net_run_timers(harness_net, time_now());
	}
	ck_assert_uint_eq(transmitted(), ARP_RETRIES);          /* every one a request */
	ck_assert_uint_eq(harness_net->stats.arp_unresolved_dropped, 1);
	/* A late reply is not for an entry we have; it is not learned. */
	inject_arp(2, stranger_mac, STRANGER, IPV4_ADDRESS(10, 0, 0, 99));
	ck_assert_uint_eq(transmitted(), ARP_RETRIES);
}
END_TEST

START_TEST(malformed_packets_are_counted)
{
	uint8_t frame[60] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x06 };

	harness_setup(NULL, 0);
	inject_frame(frame, 20);                        /* too short */
	put_be16(frame + 14, 6);                        /* not Ethernet */
	inject_frame(frame, sizeof(frame));
	ck_assert_uint_eq(harness_net->stats.arp_rx_bad, 2);
	ck_assert_uint_eq(transmitted(), 0);
}
END_TEST

Suite *arp_suite(void)
{
	Suite *suite = suite_create("net_arp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, request_for_us_is_answered_and_learned);
	tcase_add_test(tc, request_for_others_is_not_learned);
	tcase_add_test(tc, entries_expire);
	tcase_add_test(tc, refreshed_entries_stay);
	tcase_add_test(tc, packets_wait_for_the_reply);
	tcase_add_test(tc, queue_is_bounded);
	tcase_add_test(tc, unanswered_requests_give_up);
	tcase_add_test(tc, malformed_packets_are_counted);
	suite_add_tcase(suite, tc);
	return suite;
}
