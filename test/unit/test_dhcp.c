/*
 * test/unit/test_dhcp.c: the DHCP message codec (net/dhcp.c), RFC 2131 and RFC 2132.
 */
#include <check.h>
#include "test/unit/suites.h"
#include "net/byteorder.h"
#include "net/dhcp.h"
#include "lib/errno.h"
#include "lib/string.h"

/* A server's reply: the fixed part, the cookie, then `options` (which must end in 255). */
static size_t make_reply(uint8_t *packet, const uint8_t *options, size_t options_length)
{
	memset(packet, 0, DHCP_FIXED_LEN);
	packet[0] = DHCP_BOOTREPLY;
	packet[1] = 1;
	packet[2] = 6;
	put_be32(packet + 4, 0xcafe0001);
	put_be32(packet + 16, 0x0a000002);              /* yiaddr 10.0.0.2 */
	memcpy(packet + 28, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(packet + DHCP_FIXED_LEN, "\x63\x82\x53\x63", 4);
	memcpy(packet + DHCP_FIXED_LEN + 4, options, options_length);
	return DHCP_FIXED_LEN + 4 + options_length;
}

START_TEST(encode_then_parse)
{
	struct dhcp_message request = {
		.op = DHCP_BOOTREQUEST, .xid = 0x12345678, .secs = 3,
		.flags = DHCP_FLAG_BROADCAST, .type = DHCP_REQUEST,
		.requested_address = 0x0a000002, .server_id = 0x0a000001,
		.chaddr = { 2, 0, 0, 0, 0, 1 },
	}, parsed;
	uint8_t buffer[DHCP_MESSAGE_MAX];
	int length = dhcp_encode(&request, buffer, sizeof(buffer));

	ck_assert_int_eq(length, DHCP_MESSAGE_MAX);
	ck_assert_uint_eq(buffer[0], DHCP_BOOTREQUEST);
	ck_assert_mem_eq(buffer + DHCP_FIXED_LEN, "\x63\x82\x53\x63", 4);
	ck_assert_int_eq(dhcp_parse(buffer, (size_t)length, &parsed), 0);
	ck_assert_uint_eq(parsed.xid, 0x12345678);
	ck_assert_uint_eq(parsed.secs, 3);
	ck_assert_uint_eq(parsed.flags, DHCP_FLAG_BROADCAST);
	ck_assert_uint_eq(parsed.type, DHCP_REQUEST);
	ck_assert_uint_eq(parsed.requested_address, 0x0a000002);
	ck_assert_uint_eq(parsed.server_id, 0x0a000001);
	ck_assert_mem_eq(parsed.chaddr, request.chaddr, 6);
	ck_assert_int_eq(dhcp_encode(&request, buffer, DHCP_MESSAGE_MAX - 1), -ENOSPC);
}
END_TEST

START_TEST(parse_an_ack)
{
	static const uint8_t options[] = {
		53, 1, DHCP_ACK,
		0, 0,                                   /* padding */
		54, 4, 10, 0, 0, 1,
		51, 4, 0, 0, 0x0e, 0x10,                /* 3600 s */
		1, 4, 255, 255, 255, 0,
		3, 8, 10, 0, 0, 1, 10, 0, 0, 254,       /* two routers: the first counts */
		6, 4, 9, 9, 9, 9,
		58, 4, 0, 0, 0x07, 0x08,
		59, 4, 0, 0, 0x0c, 0x4e,
		12, 3, 'm', 'o', 't',                   /* host name: not used, skipped */
		255,
		1, 4, 1, 2, 3, 4,                       /* after the end: ignored */
	};
	uint8_t packet[600];
	struct dhcp_message ack;

	ck_assert_int_eq(dhcp_parse(packet, make_reply(packet, options, sizeof(options)), &ack), 0);
	ck_assert_uint_eq(ack.op, DHCP_BOOTREPLY);
	ck_assert_uint_eq(ack.type, DHCP_ACK);
	ck_assert_uint_eq(ack.xid, 0xcafe0001);
	ck_assert_uint_eq(ack.yiaddr, 0x0a000002);
	ck_assert_uint_eq(ack.server_id, 0x0a000001);
	ck_assert_uint_eq(ack.lease_time, 3600);
	ck_assert_uint_eq(ack.subnet_mask, 0xffffff00);
	ck_assert_uint_eq(ack.router, 0x0a000001);
	ck_assert_uint_eq(ack.dns_server, 0x09090909);
	ck_assert_uint_eq(ack.renewal_time, 1800);
	ck_assert_uint_eq(ack.rebinding_time, 3150);
}
END_TEST

START_TEST(malformed_messages_are_rejected)
{
	static const uint8_t good[] = { 53, 1, DHCP_OFFER, 255 };
	static const uint8_t overrun[] = { 53, 1, DHCP_OFFER, 51, 200, 0, 0 };
	static const uint8_t short_address[] = { 53, 1, DHCP_OFFER, 54, 3, 10, 0, 0, 255 };
	static const uint8_t no_type[] = { 54, 4, 10, 0, 0, 1, 255 };
	static const uint8_t bad_type[] = { 53, 1, 99, 255 };
	static const uint8_t wide_type[] = { 53, 2, DHCP_OFFER, 0, 255 };
	static const uint8_t lone_code[] = { 53, 1, DHCP_OFFER, 54 };
	uint8_t packet[600];
	struct dhcp_message message;
	size_t length;

	length = make_reply(packet, good, sizeof(good));
	ck_assert_int_eq(dhcp_parse(packet, length, &message), 0);
	ck_assert_int_eq(dhcp_parse(packet, DHCP_FIXED_LEN + 3, &message), -EBADMSG);
	packet[DHCP_FIXED_LEN] = 0;                     /* the cookie */
	ck_assert_int_eq(dhcp_parse(packet, length, &message), -EBADMSG);
	length = make_reply(packet, good, sizeof(good));
	packet[2] = 16;                                 /* not a 6-byte MAC */
	ck_assert_int_eq(dhcp_parse(packet, length, &message), -EBADMSG);
	length = make_reply(packet, good, sizeof(good));
	packet[0] = 3;                                  /* neither request nor reply */
	ck_assert_int_eq(dhcp_parse(packet, length, &message), -EBADMSG);

	ck_assert_int_eq(dhcp_parse(packet, make_reply(packet, overrun, sizeof(overrun)), &message), -EBADMSG);
	ck_assert_int_eq(dhcp_parse(packet, make_reply(packet, short_address, sizeof(short_address)), &message), -EBADMSG);
	ck_assert_int_eq(dhcp_parse(packet, make_reply(packet, no_type, sizeof(no_type)), &message), -EBADMSG);
	ck_assert_int_eq(dhcp_parse(packet, make_reply(packet, bad_type, sizeof(bad_type)), &message), -EBADMSG);
	ck_assert_int_eq(dhcp_parse(packet, make_reply(packet, wide_type, sizeof(wide_type)), &message), -EBADMSG);
	ck_assert_int_eq(dhcp_parse(packet, make_reply(packet, lone_code, sizeof(lone_code)), &message), -EBADMSG);
}
END_TEST

Suite *dhcp_suite(void)
{
	Suite *suite = suite_create("net_dhcp");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, encode_then_parse);
	tcase_add_test(tc, parse_an_ack);
	tcase_add_test(tc, malformed_messages_are_rejected);
	suite_add_tcase(suite, tc);
	return suite;
}
