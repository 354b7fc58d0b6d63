/*
 * Boot test guest for netfront's scatter-gather and checksum offload, driven without the
 * TCP/IP stack so that the frames are exactly what the test builds (test/boot/net-sg.test).
 *
 *   1. Transmit chains: an ARP request for dom0 (10.0.0.1) as two fragments, then 20 UDP
 *      datagrams to dom0's port 5555, each a chain of three fragments -- the Ethernet and
 *      IPv4 headers; the UDP header and the payload's start; the rest of the payload in a
 *      buffer that crosses a page boundary, so it takes two ring slots. Even datagrams leave
 *      the UDP checksum to the backend (NETBUF_CSUM_PARTIAL: NETTXF_csum_blank), odd ones
 *      carry a full checksum. dom0's nettool checks every byte and counts; a datagram with a
 *      wrong checksum would never reach it.
 *   2. Receive multi-slot frames: dom0 raises the MTU to 9000 and pings with 6000 bytes of
 *      data, frames that netback copies into two slots each (NETRXF_more_data). netfront
 *      chains them; the stack's netif_input cannot take more than a page and counts them
 *      as dropped, so the test checks netfront's rx_multislot count and the byte count.
 *   3. Close the device: every grant ends.
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "xen/netfront.h"
#include "xen/gnttab.h"
#include "xen/time.h"
#include "kernel/sched.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/netbuf.h"
#include "net/netif.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"

#define OUR_IP      0x0a00000bu         /* 10.0.0.11 */
#define DOM0_IP     0x0a000001u         /* 10.0.0.1 */
#define UDP_PORT    5555
#define DATAGRAMS   20
#define PAYLOAD     1400                /* bytes of UDP data per datagram */
#define FIRST_PART  200                 /* of which this many go with the UDP header */
#define JUMBO_PINGS 3

static struct {
	struct netfront *netfront;
	struct netif *netif;
	uint8_t dom0_mac[6];
	bool have_mac;
	unsigned int frames;
} sg;

/* Frames the driver hands up (netif_input calls this): look for dom0's ARP reply. */
static void input(struct netif *netif, struct netbuf *frame)
{
	const uint8_t *p = frame->data;

	(void)netif;
	sg.frames++;
	if (frame->length >= 42 && get_be16(p + 12) == 0x0806 && get_be16(p + 20) == 2 &&
	    get_be32(p + 28) == DOM0_IP) {
		memcpy(sg.dom0_mac, p + 22, 6);
		sg.have_mac = true;
	}
	netbuf_free(frame);
}

static bool poll_wanted(void *arg)
{
	(void)arg;
	return sg.netif->poll_requested;
}

/* Be the net thread: poll the driver whenever its event says so, until the deadline or
 * until done(). */
static void pump(bool (*done)(void), uint64_t deadline)
{
	while ((done == NULL || !done()) && time_now() < deadline) {
		if (sched_wait(poll_wanted, NULL, deadline) < 0)
			break;
		sg.netif->poll_requested = false;
		if (sg.netif->ops->poll(sg.netif, 64) >= 64)
			sg.netif->poll_requested = true;
	}
}

static bool have_mac(void)
{
	return sg.have_mac;
}

/* A netbuf holding `length` bytes copied from `data`, at `headroom` into its page. */
static struct netbuf *fragment(const void *data, size_t length, size_t headroom)
{
	struct netbuf *netbuf = netbuf_alloc(headroom);

	if (netbuf != NULL)
		memcpy(netbuf_put(netbuf, length), data, length);
	return netbuf;
}

static void send_arp_request(void)
{
	uint8_t ethernet[14], arp[28];
	struct netbuf *frame;

	memset(ethernet, 0xff, 6);
	memcpy(ethernet + 6, sg.netif->mac, 6);
	put_be16(ethernet + 12, 0x0806);
	put_be16(arp, 1);                   /* Ethernet */
	put_be16(arp + 2, 0x0800);          /* IPv4 */
	arp[4] = 6;
	arp[5] = 4;
	put_be16(arp + 6, 1);               /* request */
	memcpy(arp + 8, sg.netif->mac, 6);
	put_be32(arp + 14, OUR_IP);
	memset(arp + 18, 0, 6);
	put_be32(arp + 24, DOM0_IP);
	/* Two fragments, and padding to the 60-byte minimum in the second. */
	frame = fragment(ethernet, sizeof(ethernet), NETBUF_HEADROOM);
	frame->next = fragment(arp, sizeof(arp), 0);
	memset(netbuf_put(frame->next, 60 - 42), 0, 60 - 42);
	TEST_CHECK(netif_transmit(sg.netif, frame) == 0, "ARP request not sent");
}

/* The payload nettool expects: the sequence number, then (seq * 7 + i) & 0xff. */
static void fill_payload(uint8_t *payload, uint32_t seq)
{
	put_be32(payload, seq);
	for (size_t i = 4; i < PAYLOAD; i++)
		payload[i] = (uint8_t)(seq * 7 + i);
}

/* Storage that spans two pages, for a fragment that crosses the boundary between them. */
static uint8_t *two_pages;

static void tail_release(struct netbuf *netbuf)
{
	free(netbuf);                       /* the pages stay: reused by the next datagram */
}

static int send_datagram(uint32_t seq)
{
	static uint8_t payload[PAYLOAD];
	uint8_t headers[34], udp[8];
	struct netbuf *head, *middle, *tail;
	uint16_t udp_length = 8 + PAYLOAD;
	uint32_t sum;

	fill_payload(payload, seq);
	/* Ethernet, then IPv4 without options. */
	memcpy(headers, sg.dom0_mac, 6);
	memcpy(headers + 6, sg.netif->mac, 6);
	put_be16(headers + 12, 0x0800);
	memset(headers + 14, 0, 20);
	headers[14] = 0x45;
	put_be16(headers + 16, (uint16_t)(20 + udp_length));
	put_be16(headers + 18, (uint16_t)seq);
	headers[22] = 64;                   /* TTL */
	headers[23] = 17;                   /* UDP */
	put_be32(headers + 26, OUR_IP);
	put_be32(headers + 30, DOM0_IP);
	put_be16(headers + 24, checksum(headers + 14, 20));
	/* UDP: the checksum field holds the pseudo-header sum when the backend finishes it
	 * (NETBUF_CSUM_PARTIAL), else the whole checksum, computed here over the pieces. */
	put_be16(udp, 40000);
	put_be16(udp + 2, UDP_PORT);
	put_be16(udp + 4, udp_length);
	put_be16(udp + 6, 0);
	sum = checksum_pseudo_header(OUR_IP, DOM0_IP, 17, udp_length);
	if (seq % 2 == 0) {
		put_be16(udp + 6, checksum_fold(sum));
	} else {
		uint16_t value;

		sum = checksum_add(sum, udp, 8);
		sum = checksum_add(sum, payload, PAYLOAD);  /* FIRST_PART is even: pairing holds */
		value = checksum_finish(sum);
		put_be16(udp + 6, value == 0 ? 0xffff : value);
	}

	head = fragment(headers, sizeof(headers), NETBUF_HEADROOM);
	middle = fragment(udp, sizeof(udp), 64);
	tail = malloc(sizeof(*tail));
	if (head == NULL || middle == NULL || tail == NULL)
		return -ENOMEM;
	memcpy(netbuf_put(middle, FIRST_PART), payload, FIRST_PART);
	/* The tail starts 500 bytes before the end of the first page: two slots. */
	netbuf_init_external(tail, two_pages, 2 * PAGE_SIZE, PAGE_SIZE - 500, tail_release, NULL);
	memcpy(netbuf_put(tail, PAYLOAD - FIRST_PART), payload + FIRST_PART, PAYLOAD - FIRST_PART);
	head->next = middle;
	middle->next = tail;
	if (seq % 2 == 0) {
		head->flags |= NETBUF_CSUM_PARTIAL;
		head->csum_start = 34;
		head->csum_offset = 6;
	}
	return netif_transmit(sg.netif, head);
}

static bool jumbo_seen(void)
{
	struct netfront_stats stats;

	netfront_stats(sg.netfront, &stats);
	return stats.rx_multislot >= JUMBO_PINGS;
}

/*
 * Wait until the backend has answered every transmit request: the datagrams' tails share
 * two pages, which must not change while the backend may still read them. (netfront asks
 * for no completion event for a lone frame; netfront_stats reaps the responses.)
 */
static void wait_tx_idle(void)
{
	struct netfront_stats stats;
	uint64_t deadline = time_now() + NSEC_PER_SEC;

	for (;;) {
		netfront_stats(sg.netfront, &stats);
		if (stats.tx_in_flight == 0 || time_now() >= deadline)
			break;
		sched_sleep(NSEC_PER_MSEC);
	}
	TEST_CHECK(stats.tx_in_flight == 0, "%u transmit slots unanswered", stats.tx_in_flight);
}

int app_main(int argc, char **argv)
{
	struct netfront *netfront;
	struct netfront_stats stats;
	struct gnttab_stats grants;
	uint64_t sent_before;
	int rc;

	(void)argc;
	(void)argv;
	rc = netfront_create("0", &netfront);
	sg.netfront = netfront;
	if (rc < 0) {
		test_fail("netfront_create: %s", strerror(rc));
		test_finish_checked();
	}
	sg.netif = netfront_netif(netfront);
	sg.netif->input = input;
	TEST_CHECK(sg.netif->features & NETIF_F_TX_SG, "the backend offers no feature-sg");
	TEST_CHECK(sg.netif->features & NETIF_F_TX_CSUM, "no checksum offload");

	/* 1. Chains out. */
	send_arp_request();
	pump(have_mac, time_now() + 5 * NSEC_PER_SEC);
	TEST_CHECK(sg.have_mac, "no ARP reply from dom0");
	if (!sg.have_mac)
		test_finish_checked();
	two_pages = page_alloc(2);
	sent_before = sg.netif->stats.tx_packets;
	for (uint32_t seq = 0; seq < DATAGRAMS; seq++) {
		rc = send_datagram(seq);
		TEST_CHECK(rc == 0, "datagram %u not sent: %s", seq, strerror(rc));
		/* One datagram in flight at a time: the tail's pages are reused. */
		wait_tx_idle();
	}
	netfront_stats(netfront, &stats);
	printf("netfront-sg: sent %lu chained datagrams: %lu multi-slot, %lu with checksum offload\n",
	       (unsigned long)(sg.netif->stats.tx_packets - sent_before),
	       (unsigned long)stats.tx_multislot, (unsigned long)stats.tx_checksum_offloaded);
	TEST_CHECK(stats.tx_multislot == DATAGRAMS + 1, "%lu frames went out in several slots",
		   (unsigned long)stats.tx_multislot);
	TEST_CHECK(stats.tx_checksum_offloaded == DATAGRAMS / 2, "%lu checksums offloaded",
		   (unsigned long)stats.tx_checksum_offloaded);

	/* 2. Multi-slot frames in. */
	printf("netfront-sg: waiting for jumbo frames\n");
	pump(jumbo_seen, time_now() + 30 * NSEC_PER_SEC);
	netfront_stats(netfront, &stats);
	printf("netfront-sg: %lu multi-slot frames received, %lu frames dropped by netif_input "
	       "(larger than a page), %lu bytes received\n", (unsigned long)stats.rx_multislot,
	       (unsigned long)sg.netif->stats.rx_dropped, (unsigned long)sg.netif->stats.rx_bytes);
	TEST_CHECK(stats.rx_multislot >= JUMBO_PINGS, "only %lu multi-slot frames",
		   (unsigned long)stats.rx_multislot);
	TEST_CHECK(stats.bad_responses == 0, "%lu bad responses", (unsigned long)stats.bad_responses);

	/* 3. Close: every grant ends. */
	netfront_destroy(netfront);
	gnttab_stats(&grants);
	printf("netfront-sg: closed; gnttab: %u in use, %u leaked\n", grants.in_use, grants.leaked);
	TEST_CHECK(grants.in_use == 0 && grants.leaked == 0, "grants left");
	test_finish_checked();
}
