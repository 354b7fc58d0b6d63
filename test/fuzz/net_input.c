/*
 * test/fuzz/net_input.c: libFuzzer target for everything a frame from the network reaches:
 * Ethernet, ARP, IPv4, ICMP, UDP and TCP input, the TCP state machine and timers, and the
 * app calls that read and write what arrived.
 *
 * The input is a script of frames:  [control][length: 2 bytes, big-endian][frame] ...
 *
 *   control bit 0: mark the frame NETBUF_CSUM_VERIFIED (as a device with rx offload would),
 *                  so that mutated TCP and UDP payloads get past their checksums
 *   control bit 1: write a correct IPv4 header checksum into the frame first, so that the
 *                  fuzzer can explore what lies behind the IPv4 header
 *   control bits 2-7: advance the clock by that many times 100 ms afterwards, and run
 *                  the timers (retransmission, persist, TIME_WAIT, ARP)
 *
 * Each frame is copied into a heap block of exactly its length, so AddressSanitizer catches
 * any read past its end. Each input starts from a fresh stack: the page allocator and heap
 * are reset over a static region, with a TCP listener and a UDP socket on port 7 of
 * 10.0.0.2/24.
 */
#include <stdint.h>
#include <stdlib.h>
#include "test/unit/kernel_fakes.h"
#include "net/checksum.h"
#include "net/byteorder.h"
#include "net/net.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"

/* Frames live in glibc's heap (ASan watches it), the stack's memory in Mote's. */
#undef malloc
#undef free

#define REGION_PAGES 1024
static uint8_t region[REGION_PAGES * 4096] __attribute__((aligned(4096)));

static void release_frame(struct netbuf *netbuf)
{
	free(netbuf->page);
	free(netbuf);
}

static void inject(struct fake_netif *fake, const uint8_t *data, size_t length,
		   uint8_t control)
{
	struct netbuf *frame = malloc(sizeof(*frame));
	uint8_t *copy = malloc(length > 0 ? length : 1);

	memcpy(copy, data, length);
	/* An IPv4 header checksum that is right, if asked and the frame is long enough. */
	if ((control & 2) && length >= 14 + 20 && copy[12] == 0x08 && copy[13] == 0x00) {
		size_t header_length = (copy[14] & 0x0f) * 4u;

		if (header_length >= 20 && 14 + header_length <= length) {
			put_be16(copy + 14 + 10, 0);
			put_be16(copy + 14 + 10, checksum(copy + 14, header_length));
		}
	}
	netbuf_init_external(frame, copy, length, 0, release_frame, NULL);
	netbuf_put(frame, length);
	if (control & 1)
		frame->flags |= NETBUF_CSUM_VERIFIED;
	netif_input(&fake->netif, frame);
}

/* What an app would do with what arrived: accept, read, echo a little, close at EOF. */
static void serve(struct tcp_conn *listener, struct udp_socket *udp, struct tcp_conn **conns)
{
	struct net_endpoint from;
	struct tcp_conn *conn;
	uint8_t buffer[512];
	int length;

	while (tcp_accept(listener, &conn, 0) == 0) {
		if (conns[0] == NULL)
			conns[0] = conn;
		else if (conns[1] == NULL)
			conns[1] = conn;
		else
			tcp_close(conn);
	}
	for (int i = 0; i < 2; i++) {
		if (conns[i] == NULL)
			continue;
		length = tcp_read(conns[i], buffer, sizeof(buffer), 0);
		if (length > 0) {
			tcp_write(conns[i], buffer, (size_t)length, 0);
		} else if (length == 0 || (length < 0 && length != -ETIMEDOUT)) {
			tcp_close(conns[i]);
			conns[i] = NULL;
		}
	}
	length = udp_recv(udp, buffer, sizeof(buffer), &from, 0);
	if (length >= 0)
		udp_send(udp, buffer, (size_t)length, &from);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake_netif fake;
	struct tcp_conn *listener, *conns[2] = { NULL, NULL };
	struct udp_socket *udp;
	struct net_config config;
	struct net *net;

	page_alloc_init(region, REGION_PAGES);
	heap_init();
	netbuf_cache_forget();
	fake_clock_set(1000000000ULL);
	net_config_defaults(&config);
	config.tcp_receive_buffer = 4096;       /* small, so windows fill and close quickly */
	config.tcp_send_buffer = 4096;
	config.tcp_max_connections = 4;
	if (net_create(&config, &net) < 0)
		abort();
	fake_netif_init(&fake, (size & 1) ? NETIF_F_TX_CSUM : 0);
	net_add_netif(net, &fake.netif);
	net_iface_configure(&net->ifaces[0], IPV4_ADDRESS(10, 0, 0, 2), 0xffffff00u,
			    IPV4_ADDRESS(10, 0, 0, 1));
	if (tcp_listen(net, 7, 2, &listener) < 0 || udp_bind(net, IPV4_ANY, 7, &udp) < 0)
		abort();

	while (size >= 3) {
		uint8_t control = data[0];
		size_t length = get_be16(data + 1);

		data += 3;
		size -= 3;
		if (length > size)
			length = size;
		inject(&fake, data, length, control);
		data += length;
		size -= length;
		serve(listener, udp, conns);
		if (control >> 2) {
			fake_clock_advance((control >> 2) * 100000000ULL);
			net_run_timers(net, time_now());
			serve(listener, udp, conns);
		}
	}
	/* Let every timer run out: retransmissions give up, TIME_WAIT ends. */
	for (int i = 0; i < 40; i++) {
		fake_clock_advance(30000000000ULL);
		net_run_timers(net, time_now());
	}
	return heap_check() == 0 ? 0 : (abort(), 0);
}
