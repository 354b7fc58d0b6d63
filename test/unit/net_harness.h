/*
 * test/unit/net_harness.h: a network stack on a fake interface, for the protocol unit
 * tests. The stack is 10.0.0.2/24 (gateway 10.0.0.1) with MAC 02:00:00:00:00:01; the peer
 * is 10.0.0.1 with MAC 02:00:00:00:00:02 and is already in the ARP cache. Tests inject
 * frames as the peer and read back what the stack transmitted.
 */
#ifndef MOTE_TEST_UNIT_NET_HARNESS_H
#define MOTE_TEST_UNIT_NET_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "test/unit/kernel_fakes.h"
#include "net/net.h"
#include "xen/time.h"
#include "lib/errno.h"

#define US   IPV4_ADDRESS(10, 0, 0, 2)
#define PEER IPV4_ADDRESS(10, 0, 0, 1)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

extern struct net *harness_net;

/* For the next injections: send a wrong TCP/UDP checksum; mark frames NETBUF_CSUM_VERIFIED. */
extern bool harness_break_checksum;
extern bool harness_rx_verified;
extern struct fake_netif harness_fake;

/* Fresh memory, clock at 1 s, and a stack with `config` (NULL: the defaults). */
void harness_setup(const struct net_config *config, unsigned int netif_features);

/* Inject frames from the peer, with correct checksums unless harness_break_checksum. */
void inject_frame(const uint8_t *frame, size_t length);
void inject_arp(uint16_t operation, const uint8_t sender_mac[6], uint32_t sender,
		uint32_t target);
/* The peer announces itself again (ARP), so its cache entry does not expire. */
void harness_refresh_peer(void);
void inject_tcp(uint16_t source_port, uint16_t destination_port, uint32_t seq, uint32_t ack,
		uint8_t flags, uint16_t window, const uint8_t *options, size_t options_length,
		const void *data, size_t length);
void inject_udp(uint16_t source_port, uint16_t destination_port, const void *data,
		size_t length);
void inject_icmp_echo(uint16_t id, uint16_t sequence, const void *data, size_t length);

/* A transmitted TCP segment, parsed; `valid` false if the frame is not IPv4/TCP. */
struct seen_tcp {
	bool valid;
	bool checksums_ok;      /* IPv4 header and TCP checksums both verify */
	uint32_t source, destination;
	uint16_t source_port, destination_port;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	int mss;                /* -1 if no MSS option */
	int wscale;             /* -1 if no window scale option */
	size_t length;
	const uint8_t *payload;
};

/* Parse kept frame `index` (0 = oldest kept); the newest is harness_fake.count - 1. */
struct seen_tcp seen_tcp(unsigned int index);
struct seen_tcp last_tcp(void);

/* The frames transmitted so far, and forgetting them. */
unsigned int transmitted(void);
void forget_transmitted(void);

#endif
