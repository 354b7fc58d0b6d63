/*
 * netbench: TCP throughput in both directions, the guest side of `make bench`
 * (test/bench/net-tcp.test; dom0's nettool is the other side).
 *
 *     mote-netbench [source=16m] [ip=...] [tcp_rcvbuf=... and other net/net.h arguments]
 *
 * Port 9 is a sink (the Discard Protocol, RFC 863): it reads whatever a client sends until
 * the client closes, and throws it away. Port 19 is a source: to each client it sends
 * `source=` bytes, then closes. One client at a time on each, each port served by a thread
 * of its own that simply blocks. dom0 times the transfers; the guest prints what it saw.
 * On xl shutdown the counters are printed (netfront's notifications per packet among them)
 * and the interfaces closed.
 */
#include <stdint.h>
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "net/net.h"
#include "net/tcp.h"
#include "xen/console.h"
#include "xen/control.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/string.h"

#define SINK_PORT   9
#define SOURCE_PORT 19
#define CHUNK       16384

static struct {
	struct net *net;
	uint64_t source_bytes;
} bench;

static uint64_t elapsed_ms(uint64_t start)
{
	return (time_now() - start) / NSEC_PER_MSEC;
}

static void sink(void *arg)
{
	static uint8_t buffer[CHUNK];
	struct tcp_conn *listener, *conn;
	(void)arg;

	if (tcp_listen(bench.net, SINK_PORT, 4, &listener) < 0)
		return;
	while (tcp_accept(listener, &conn, TIME_NEVER) == 0) {
		uint64_t start = time_now(), bytes = 0;
		int n;

		while ((n = tcp_read(conn, buffer, sizeof(buffer), time_now() + 30 * NSEC_PER_SEC)) > 0)
			bytes += (uint64_t)n;
		printf("netbench: sink: %lu bytes in %lu ms (%s)\n", (unsigned long)bytes,
		       (unsigned long)elapsed_ms(start), n == 0 ? "closed" : strerror(n));
		tcp_close(conn);
	}
}

static void source(void *arg)
{
	static uint8_t buffer[CHUNK];
	struct tcp_conn *listener, *conn;
	(void)arg;

	for (size_t i = 0; i < sizeof(buffer); i++)
		buffer[i] = (uint8_t)i;
	if (tcp_listen(bench.net, SOURCE_PORT, 4, &listener) < 0)
		return;
	while (tcp_accept(listener, &conn, TIME_NEVER) == 0) {
		uint64_t start = time_now(), sent = 0;
		int n = 0;

		while (sent < bench.source_bytes) {
			size_t chunk = bench.source_bytes - sent < sizeof(buffer)
					       ? (size_t)(bench.source_bytes - sent) : sizeof(buffer);

			n = tcp_write(conn, buffer, chunk, time_now() + 30 * NSEC_PER_SEC);
			if (n <= 0)
				break;
			sent += (uint64_t)n;
		}
		printf("netbench: source: %lu bytes in %lu ms%s%s\n", (unsigned long)sent,
		       (unsigned long)elapsed_ms(start), n < 0 ? ": " : "", n < 0 ? strerror(n) : "");
		/* A graceful close: the stack sends what is left, then FIN. */
		tcp_close(conn);
	}
}

/* "16m", "512k" or a plain number of bytes. */
static uint64_t parse_bytes(const char *text)
{
	char *end;
	uint64_t value = strtoul(text, &end, 10);

	if (*end == 'k' || *end == 'K')
		value *= 1024;
	else if (*end == 'm' || *end == 'M')
		value *= 1024 * 1024;
	return value;
}

int app_main(int argc, char **argv)
{
	enum control_request request;
	int rc;

	bench.source_bytes = 16 * 1024 * 1024;
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "source=", 7) == 0)
			bench.source_bytes = parse_bytes(argv[i] + 7);
	}
	rc = net_open(argc, argv, time_now() + 60 * NSEC_PER_SEC, &bench.net);
	if (rc < 0) {
		printf("netbench: no network: %s\n", strerror(rc));
		return 1;
	}
	if (thread_create("sink", sink, NULL) == NULL || thread_create("source", source, NULL) == NULL) {
		printf("netbench: out of memory\n");
		return 1;
	}
	printf("netbench: serving TCP %u (sink) and %u (source of %lu bytes)\n", SINK_PORT,
	       SOURCE_PORT, (unsigned long)bench.source_bytes);
	request = control_wait_request(TIME_NEVER);
	printf("netbench: %s requested; the counters:\n", control_request_name(request));
	net_print_stats(bench.net);
	net_close(bench.net);
	return 0;
}
