/*
 * echo: the Echo Protocol (RFC 862) over UDP and TCP: whatever arrives is sent back.
 *
 *     mote-echo [port=7] [clients=32] [ip=10.0.0.2/24] [gw=10.0.0.1] [net/net.h arguments]
 *
 * It shows the two ways to write a server on Mote's stack. UDP gets a thread of its own
 * that blocks in udp_recv. TCP is served by the main thread alone, for many clients at
 * once: net_poll waits until one of them can make progress, and every read and write is
 * made with a deadline of 0, so none of them waits. A client that says nothing for
 * IDLE_TIMEOUT is dropped, and when all `clients=` slots are taken the quietest client
 * makes room for a new one, so idle connections cannot pile up or lock others out.
 *
 * The main thread only waits for the toolstack (xl shutdown): then it prints the counters
 * of the stack and its interfaces, gives the interfaces back (net_close: on Xen every
 * grant ends) and returns, so a test can check that nothing leaked.
 */
#include <stdint.h>
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "net/net.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "xen/console.h"
#include "xen/control.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/string.h"
#include "lib/util.h"

#define DEFAULT_CLIENTS 32
#define MAX_CLIENTS  1024
#define BUFFER_SIZE  4096
#define IDLE_TIMEOUT (60 * NSEC_PER_SEC)

struct client {
	struct tcp_conn *conn;          /* NULL: a free slot */
	uint8_t buffer[BUFFER_SIZE];
	size_t offset, pending;         /* bytes read but not yet written back */
	uint64_t bytes;                 /* echoed so far */
	uint64_t idle_deadline;
};

static struct {
	struct net *net;
	uint16_t port;
	unsigned int max_clients;
	struct client *clients;         /* max_clients of them */
	struct net_poll_entry *entries; /* 1 + max_clients: the listener, then the clients */
	struct client **owners;
} echo;

/* The blocking style: one thread, one socket, and udp_recv waits as long as it takes. */
static void udp_echo(void *arg)
{
	struct udp_socket *socket;
	static uint8_t datagram[2048];
	(void)arg;

	if (udp_bind(echo.net, IPV4_ANY, echo.port, &socket) < 0) {
		printf("echo: cannot bind UDP port %u\n", echo.port);
		return;
	}
	for (;;) {
		struct net_endpoint from;
		int length = udp_recv(socket, datagram, sizeof(datagram), &from, TIME_NEVER);

		if (length >= 0)
			udp_send(socket, datagram, (size_t)length, &from);
	}
}

static void client_close(struct client *client, const char *why)
{
	struct net_endpoint remote;
	char address[IPV4_TEXT_MAX];

	tcp_endpoints(client->conn, NULL, &remote);
	printf("echo: %s:%u %s after %lu bytes\n", ipv4_format(remote.address, address),
	       remote.port, why, (unsigned long)client->bytes);
	tcp_close(client->conn);
	client->conn = NULL;
	net_print_stats(echo.net);
}

/* Make what progress the connection allows now, without waiting. */
static void client_serve(struct client *client)
{
	int rc;

	if (client->pending > 0) {
		rc = tcp_write(client->conn, client->buffer + client->offset, client->pending, 0);
		if (rc < 0 && rc != -ETIMEDOUT) {
			client_close(client, strerror(rc));
			return;
		}
		if (rc > 0) {
			client->offset += (size_t)rc;
			client->pending -= (size_t)rc;
			client->bytes += (uint64_t)rc;
		}
		if (client->pending > 0)
			return;                 /* the send buffer is full: wait for NET_POLL_OUT */
	}
	rc = tcp_read(client->conn, client->buffer, sizeof(client->buffer), 0);
	if (rc == 0) {
		client_close(client, "closed");
	} else if (rc < 0 && rc != -ETIMEDOUT) {
		client_close(client, strerror(rc));
	} else if (rc > 0) {
		client->offset = 0;
		client->pending = (size_t)rc;
		client->idle_deadline = time_now() + IDLE_TIMEOUT;
		client_serve(client);           /* write it back at once if there is room */
	}
}

static void accept_clients(struct tcp_conn *listener)
{
	struct tcp_conn *conn;

	while (tcp_accept(listener, &conn, 0) == 0) {
		struct client *client = NULL, *stalest = &echo.clients[0];

		for (unsigned int i = 0; i < echo.max_clients && client == NULL; i++) {
			if (echo.clients[i].conn == NULL)
				client = &echo.clients[i];
			else if (echo.clients[i].idle_deadline < stalest->idle_deadline)
				stalest = &echo.clients[i];
		}
		/*
		 * Full: make room by dropping the client that has been quiet longest. Refusing
		 * the newcomer instead would let a few slow clients (slowloris) lock everyone out.
		 */
		if (client == NULL) {
			client_close(stalest, "idle longest, dropped for a new client");
			client = stalest;
		}
		client->conn = conn;
		client->pending = 0;
		client->bytes = 0;
		client->idle_deadline = time_now() + IDLE_TIMEOUT;
	}
}

/*
 * The event-loop style: build the list of what each client waits for (room to write back
 * what it sent, or more to read), wait for any of it with net_poll, then serve whoever is
 * ready. The deadline is the nearest idle timeout, so idle clients are dropped on time.
 */
static void tcp_echo(void *arg)
{
	struct net_poll_entry *entries = echo.entries;
	struct client **owners = echo.owners;
	struct tcp_conn *listener;
	int rc;

	(void)arg;
	rc = tcp_listen(echo.net, echo.port, MIN(echo.max_clients, 128u), &listener);
	if (rc < 0) {
		printf("echo: cannot listen on TCP port %u: %s\n", echo.port, strerror(rc));
		return;
	}
	for (;;) {
		uint64_t deadline = TIME_NEVER, now;
		unsigned int count = 1;

		entries[0] = (struct net_poll_entry){ .tcp = listener, .events = NET_POLL_IN };
		for (unsigned int i = 0; i < echo.max_clients; i++) {
			struct client *client = &echo.clients[i];

			if (client->conn == NULL)
				continue;
			owners[count] = client;
			entries[count++] = (struct net_poll_entry){
				.tcp = client->conn,
				.events = client->pending > 0 ? NET_POLL_OUT : NET_POLL_IN,
			};
			if (client->idle_deadline < deadline)
				deadline = client->idle_deadline;
		}
		net_poll(echo.net, entries, count, deadline);
		if (entries[0].revents & NET_POLL_IN)
			accept_clients(listener);
		now = time_now();
		for (unsigned int i = 1; i < count; i++) {
			struct client *client = owners[i];

			if (entries[i].revents != 0)
				client_serve(client);
			else if (now >= client->idle_deadline)
				client_close(client, "idle, dropped");
		}
	}
}

int app_main(int argc, char **argv)
{
	enum control_request request;
	int rc;

	echo.port = 7;
	echo.max_clients = DEFAULT_CLIENTS;
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "port=", 5) == 0)
			echo.port = (uint16_t)strtoul(argv[i] + 5, NULL, 10);
		else if (strncmp(argv[i], "clients=", 8) == 0)
			echo.max_clients = (unsigned int)strtoul(argv[i] + 8, NULL, 10);
	}
	if (echo.max_clients == 0 || echo.max_clients > MAX_CLIENTS)
		echo.max_clients = DEFAULT_CLIENTS;
	echo.clients = calloc(echo.max_clients, sizeof(*echo.clients));
	echo.entries = calloc(1 + echo.max_clients, sizeof(*echo.entries));
	echo.owners = calloc(1 + echo.max_clients, sizeof(*echo.owners));
	if (echo.clients == NULL || echo.entries == NULL || echo.owners == NULL) {
		printf("echo: no memory for %u clients\n", echo.max_clients);
		return 1;
	}
	rc = net_open(argc, argv, time_now() + 60 * NSEC_PER_SEC, &echo.net);
	if (rc < 0) {
		printf("echo: no network: %s\n", strerror(rc));
		return 1;
	}
	printf("echo: serving UDP and TCP port %u, up to %u TCP clients\n", echo.port,
	       echo.max_clients);
	if (thread_create("udp-echo", udp_echo, NULL) == NULL)
		printf("echo: no UDP echo: out of memory\n");
	if (thread_create("tcp-echo", tcp_echo, NULL) == NULL)
		printf("echo: no TCP echo: out of memory\n");

	/* Serve until the toolstack asks us to stop, then account for everything. */
	request = control_wait_request(TIME_NEVER);
	printf("echo: %s requested; the counters:\n", control_request_name(request));
	net_print_stats(echo.net);
	net_close(echo.net);
	return 0;
}
