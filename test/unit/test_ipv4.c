/*
 * test/unit/test_ipv4.c: IPv4 input checks (net/ipv4.c), ICMP echo (net/icmp.c) and UDP
 * sockets (net/udp.c), through the whole input path from the fake interface.
 */
#include <check.h>
#include "test/unit/net_harness.h"
#include "test/unit/suites.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/stack.h"
#include "net/udp.h"
#include "lib/string.h"

START_TEST(echo_request_is_answered)
{
	const uint8_t *reply;

	harness_setup(NULL, 0);
	inject_icmp_echo(0x1234, 7, "abcdefgh", 8);
	ck_assert_uint_eq(transmitted(), 1);
	reply = harness_fake.frames[0] + 14;
	ck_assert_uint_eq(get_be32(reply + 16), PEER);
	ck_assert_uint_eq(checksum(reply, 20), 0);
	ck_assert_uint_eq(reply[20], 0);                        /* echo reply */
	ck_assert_uint_eq(get_be16(reply + 24), 0x1234);
	ck_assert_uint_eq(get_be16(reply + 26), 7);
	ck_assert_mem_eq(reply + 28, "abcdefgh", 8);
	ck_assert_uint_eq(checksum(reply + 20, 16), 0);
}
END_TEST

START_TEST(bad_headers_are_dropped)
{
	uint8_t frame[64];

	harness_setup(NULL, 0);
	inject_icmp_echo(1, 1, "x", 1);
	ck_assert_uint_eq(transmitted(), 1);
	memcpy(frame, harness_fake.frames[0], 43);              /* a template to break */
	memcpy(frame, harness_fake.netif.mac, 6);
	forget_transmitted();

	frame[14] = 0x46;                                       /* IHL 24 > total length? no: */
	put_be16(frame + 16, 22);                               /* total length < IHL */
	inject_frame(frame, 43);
	frame[14] = 0x65;                                       /* version 6 */
	inject_frame(frame, 43);
	frame[14] = 0x45;
	put_be16(frame + 16, 500);                              /* longer than the frame */
	inject_frame(frame, 43);
	ck_assert_uint_eq(harness_net->stats.ipv4_rx_bad_header, 3);

	put_be16(frame + 16, 29);
	put_be32(frame + 14 + 12, PEER);
	put_be32(frame + 14 + 16, US);
	frame[14 + 9] = 1;
	put_be16(frame + 14 + 10, 0x1111);                      /* wrong checksum */
	inject_frame(frame, 43);
	ck_assert_uint_eq(harness_net->stats.ipv4_rx_bad_checksum, 1);

	put_be16(frame + 14 + 6, 0x2000);                       /* a first fragment */
	put_be16(frame + 14 + 10, 0);
	put_be16(frame + 14 + 10, checksum(frame + 14, 20));
	inject_frame(frame, 43);
	ck_assert_uint_eq(harness_net->stats.ipv4_rx_fragments_dropped, 1);
	ck_assert_uint_eq(transmitted(), 0);
}
END_TEST

START_TEST(udp_bind_receive_send)
{
	struct udp_socket *socket, *other;
	struct net_endpoint from;
	char buffer[64];

	harness_setup(NULL, 0);
	ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 7, &socket), 0);
	ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 7, &other), -EADDRINUSE);
	ck_assert_int_eq(udp_recv(socket, buffer, sizeof(buffer), &from, 0), -ETIMEDOUT);
	inject_udp(4000, 7, "datagram", 8);
	ck_assert_int_eq(udp_recv(socket, buffer, sizeof(buffer), &from, 0), 8);
	ck_assert_mem_eq(buffer, "datagram", 8);
	ck_assert_uint_eq(from.address, PEER);
	ck_assert_uint_eq(from.port, 4000);
	ck_assert_int_eq(udp_send(socket, buffer, 8, &from), 8);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(get_be16(harness_fake.frames[0] + 34 + 2), 4000);
	/* Truncation: the rest of a long datagram is dropped, as recv(2) does. */
	inject_udp(4000, 7, "0123456789", 10);
	ck_assert_int_eq(udp_recv(socket, buffer, 4, NULL, 0), 4);
	ck_assert_int_eq(udp_recv(socket, buffer, 4, NULL, 0), -ETIMEDOUT);
	/* Too big for one packet: we do not fragment. */
	ck_assert_int_eq(udp_send(socket, buffer, 1500, &from), -EMSGSIZE);
	udp_close(socket);
}
END_TEST

START_TEST(udp_queue_is_bounded)
{
	struct net_config config;
	struct udp_socket *socket;

	net_config_defaults(&config);
	config.udp_queue_limit = 2;
	harness_setup(&config, 0);
	ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 7, &socket), 0);
	for (int i = 0; i < 5; i++)
		inject_udp(4000, 7, "x", 1);
	ck_assert_uint_eq(harness_net->stats.udp_rx_queue_full, 3);
}
END_TEST

START_TEST(closed_udp_port_is_unreachable)
{
	const uint8_t *reply;

	harness_setup(NULL, 0);
	inject_udp(4000, 9, "nobody", 6);
	ck_assert_uint_eq(transmitted(), 1);
	reply = harness_fake.frames[0] + 14;
	ck_assert_uint_eq(reply[9], 1);                         /* ICMP */
	ck_assert_uint_eq(reply[20], 3);                        /* destination unreachable */
	ck_assert_uint_eq(reply[21], 3);                        /* port unreachable */
	ck_assert_uint_eq(get_be16(reply + 20 + 8 + 20 + 2), 9);/* quotes the UDP header */
	ck_assert_uint_eq(harness_net->stats.udp_rx_no_port, 1);
}
END_TEST

START_TEST(off_link_goes_through_the_gateway)
{
	static const uint8_t gateway_mac[6] = { 2, 0, 0, 0, 0, 2 };     /* the peer, 10.0.0.1 */
	struct net_endpoint far = { IPV4_ADDRESS(192, 0, 2, 1), 53 };
	struct udp_socket *socket;
	const uint8_t *frame;

	harness_setup(NULL, 0);
	ck_assert_int_eq(udp_bind(harness_net, IPV4_ANY, 0, &socket), 0);
	ck_assert_int_eq(udp_send(socket, "?", 1, &far), 1);
	ck_assert_uint_eq(transmitted(), 1);
	frame = harness_fake.frames[0];
	ck_assert_mem_eq(frame, gateway_mac, 6);                /* to the gateway's MAC... */
	ck_assert_uint_eq(get_be32(frame + 14 + 16), far.address); /* ...for the far address */
	ck_assert_uint_eq(frame[14 + 8], 64);                   /* TTL */
	/* Without a gateway there is no route off the link. */
	net_iface_configure(&harness_net->ifaces[0], US, 0xffffff00u, 0);
	ck_assert_int_eq(udp_send(socket, "?", 1, &far), -ENETUNREACH);
}
END_TEST

Suite *ipv4_suite(void)
{
	Suite *suite = suite_create("net_ipv4");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, echo_request_is_answered);
	tcase_add_test(tc, bad_headers_are_dropped);
	tcase_add_test(tc, udp_bind_receive_send);
	tcase_add_test(tc, udp_queue_is_bounded);
	tcase_add_test(tc, closed_udp_port_is_unreachable);
	tcase_add_test(tc, off_link_goes_through_the_gateway);
	suite_add_tcase(suite, tc);
	return suite;
}
