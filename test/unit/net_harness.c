/*
 * test/unit/net_harness.c: see net_harness.h. Frames are built byte by byte, as the stack
 * itself does, with checksums computed by net/checksum.c (whose own tests pin it to RFC
 * 1071's example).
 */
#include <check.h>
#include "test/unit/net_harness.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/stack.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"

#define REGION_PAGES 2048

static uint8_t region[REGION_PAGES * 4096] __attribute__((aligned(4096)));
static const uint8_t us_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 2 };

struct net *harness_net;
bool harness_break_checksum;
bool harness_rx_verified;
struct fake_netif harness_fake;

void harness_setup(const struct net_config *config, unsigned int netif_features)
{
	struct net_config defaults;

	ck_assert_int_eq(page_alloc_init(region, REGION_PAGES), 0);
	heap_init();
	netbuf_cache_forget();
	fake_clock_set(NSEC_PER_SEC);
	fake_sched_hook = NULL;
	harness_break_checksum = false;
	harness_rx_verified = false;
	if (config == NULL) {
		net_config_defaults(&defaults);
		config = &defaults;
	}
	ck_assert_int_eq(net_create(config, &harness_net), 0);
	fake_netif_init(&harness_fake, netif_features);
	ck_assert_int_eq(net_add_netif(harness_net, &harness_fake.netif), 0);
	net_iface_configure(&harness_net->ifaces[0], US, 0xffffff00u, PEER);
	/* The peer introduces itself: a request for our address puts it in the cache. */
	inject_arp(1, peer_mac, PEER, US);
	forget_transmitted();
}

void inject_frame(const uint8_t *frame, size_t length)
{
	struct netbuf *netbuf = netbuf_alloc(0);

	ck_assert_ptr_nonnull(netbuf);
	memcpy(netbuf_put(netbuf, length), frame, length);
	if (harness_rx_verified)
		netbuf->flags |= NETBUF_CSUM_VERIFIED;
	netif_input(&harness_fake.netif, netbuf);
}

static size_t put_eth(uint8_t *frame, const uint8_t destination[6], uint16_t type)
{
	memcpy(frame, destination, 6);
	memcpy(frame + 6, peer_mac, 6);
	put_be16(frame + 12, type);
	return 14;
}

static void put_ipv4(uint8_t *header, uint8_t protocol, size_t payload_length)
{
	memset(header, 0, 20);
	header[0] = 0x45;
	put_be16(header + 2, (uint16_t)(20 + payload_length));
	header[8] = 64;
	header[9] = protocol;
	put_be32(header + 12, PEER);
	put_be32(header + 16, US);
	put_be16(header + 10, checksum(header, 20));
}

void inject_arp(uint16_t operation, const uint8_t sender_mac[6], uint32_t sender,
		uint32_t target)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t frame[60] = { 0 };
	uint8_t *arp = frame + put_eth(frame, operation == 1 ? broadcast : us_mac, 0x0806);

	put_be16(arp, 1);
	put_be16(arp + 2, 0x0800);
	arp[4] = 6;
	arp[5] = 4;
	put_be16(arp + 6, operation);
	memcpy(arp + 8, sender_mac, 6);
	put_be32(arp + 14, sender);
	if (operation == 2)
		memcpy(arp + 18, us_mac, 6);
	put_be32(arp + 24, target);
	inject_frame(frame, sizeof(frame));
}

void harness_refresh_peer(void)
{
	inject_arp(1, peer_mac, PEER, US);
}

void inject_tcp(uint16_t source_port, uint16_t destination_port, uint32_t seq, uint32_t ack,
		uint8_t flags, uint16_t window, const uint8_t *options, size_t options_length,
		const void *data, size_t length)
{
	static uint8_t frame[2048];
	size_t header_length = 20 + options_length, segment_length = header_length + length;
	uint8_t *tcp = frame + put_eth(frame, us_mac, 0x0800) + 20;
	uint32_t sum;

	ck_assert(options_length % 4 == 0 && 14 + 20 + segment_length <= sizeof(frame));
	put_ipv4(frame + 14, 6, segment_length);
	memset(tcp, 0, 20);
	put_be16(tcp, source_port);
	put_be16(tcp + 2, destination_port);
	put_be32(tcp + 4, seq);
	put_be32(tcp + 8, ack);
	tcp[12] = (uint8_t)(header_length / 4) << 4;
	tcp[13] = flags;
	put_be16(tcp + 14, window);
	if (options_length > 0)
		memcpy(tcp + 20, options, options_length);
	if (length > 0)
		memcpy(tcp + header_length, data, length);
	sum = checksum_pseudo_header(PEER, US, 6, (uint16_t)segment_length);
	put_be16(tcp + 16, checksum_finish(checksum_add(sum, tcp, segment_length)) ^
			   (harness_break_checksum ? 1 : 0));
	inject_frame(frame, 14 + 20 + segment_length);
}

void inject_udp(uint16_t source_port, uint16_t destination_port, const void *data,
		size_t length)
{
	static uint8_t frame[2048];
	uint8_t *udp = frame + put_eth(frame, us_mac, 0x0800) + 20;
	uint32_t sum;

	put_ipv4(frame + 14, 17, 8 + length);
	put_be16(udp, source_port);
	put_be16(udp + 2, destination_port);
	put_be16(udp + 4, (uint16_t)(8 + length));
	put_be16(udp + 6, 0);
	memcpy(udp + 8, data, length);
	sum = checksum_pseudo_header(PEER, US, 17, (uint16_t)(8 + length));
	put_be16(udp + 6, checksum_finish(checksum_add(sum, udp, 8 + length)) ^
			 (harness_break_checksum ? 1 : 0));
	inject_frame(frame, 14 + 20 + 8 + length);
}

void inject_icmp_echo(uint16_t id, uint16_t sequence, const void *data, size_t length)
{
	static uint8_t frame[2048];
	uint8_t *icmp = frame + put_eth(frame, us_mac, 0x0800) + 20;

	put_ipv4(frame + 14, 1, 8 + length);
	icmp[0] = 8;
	icmp[1] = 0;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 4, id);
	put_be16(icmp + 6, sequence);
	memcpy(icmp + 8, data, length);
	put_be16(icmp + 2, checksum(icmp, 8 + length));
	inject_frame(frame, 14 + 20 + 8 + length);
}

struct seen_tcp seen_tcp(unsigned int index)
{
	struct seen_tcp seen = { .valid = false, .mss = -1, .wscale = -1 };
	const uint8_t *frame, *ip, *tcp, *option, *end;
	size_t length, header_length, segment_length;
	uint32_t sum;

	if (index >= harness_fake.count)
		return seen;
	frame = harness_fake.frames[index];
	length = harness_fake.lengths[index];
	if (length < 14 + 20 + 20 || get_be16(frame + 12) != 0x0800 || frame[14 + 9] != 6)
		return seen;
	ip = frame + 14;
	tcp = ip + 20;
	segment_length = get_be16(ip + 2) - 20u;
	header_length = (tcp[12] >> 4) * 4u;
	seen.valid = true;
	seen.source = get_be32(ip + 12);
	seen.destination = get_be32(ip + 16);
	sum = checksum_pseudo_header(seen.source, seen.destination, 6, (uint16_t)segment_length);
	seen.checksums_ok = checksum(ip, 20) == 0 &&
			    checksum_finish(checksum_add(sum, tcp, segment_length)) == 0;
	seen.source_port = get_be16(tcp);
	seen.destination_port = get_be16(tcp + 2);
	seen.seq = get_be32(tcp + 4);
	seen.ack = get_be32(tcp + 8);
	seen.flags = tcp[13];
	seen.window = get_be16(tcp + 14);
	seen.payload = tcp + header_length;
	seen.length = segment_length - header_length;
	for (option = tcp + 20, end = tcp + header_length; option < end;) {
		if (option[0] == 0)
			break;
		if (option[0] == 1) {
			option++;
			continue;
		}
		if (option[0] == 2)
			seen.mss = get_be16(option + 2);
		if (option[0] == 3)
			seen.wscale = option[2];
		option += option[1];
	}
	return seen;
}

struct seen_tcp last_tcp(void)
{
	return seen_tcp(harness_fake.count - 1);
}

unsigned int transmitted(void)
{
	return harness_fake.count;
}

void forget_transmitted(void)
{
	fake_netif_clear(&harness_fake);
}
