/*
 * net/net.h: the network stack as an application sees it: starting it, its configuration,
 * and waiting on many connections at once. The protocol calls are in net/tcp.h and
 * net/udp.h. A server reads like this (app/echo/main.c is a complete one):
 *
 *     struct net *net;
 *     if (net_open(argc, argv, time_now() + 30 * NSEC_PER_SEC, &net) < 0) ...
 *     tcp_listen(net, 7, 16, &listener);
 *     tcp_accept(listener, &conn, TIME_NEVER);
 *     n = tcp_read(conn, buffer, sizeof(buffer), time_now() + 10 * NSEC_PER_SEC);
 *
 * Every call that can wait takes a deadline in system time (xen/time.h; TIME_NEVER for none,
 * 0 or any past time for "do not wait") and returns a count or a negative errno: -ETIMEDOUT
 * when the deadline passed, -ECONNRESET, and so on. Waiting is sched_wait(), so other
 * threads run meanwhile and nothing busy-waits.
 *
 * Addresses are IPv4 addresses in host byte order (IPV4_ADDRESS(10, 0, 0, 2)).
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net;
struct netif;
struct tcp_conn;
struct udp_socket;

#define IPV4_ADDRESS(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define IPV4_ANY       0u
#define IPV4_BROADCAST 0xffffffffu

/* One end of a conversation: IPv4 address and port, host order. */
struct net_endpoint {
	uint32_t address;
	uint16_t port;
};

/*
 * What the stack is told at start-up. The defaults (net_config_defaults) follow the guest's
 * memory: 16 KiB buffers each way, a quarter of the free memory for all TCP buffers together
 * (1 MiB to 64 MiB), one connection per 8 KiB of that (64 to 1024). A 4 MiB guest gets 1 MiB
 * and 128 connections.
 */
struct net_config {
	/* Address configuration, tried in this order: static, the interface's hint, DHCP. */
	uint32_t address;               /* ip=A.B.C.D/P; 0: none given */
	unsigned int prefix_length;     /* the /P of ip=, 24 if not given */
	uint32_t gateway;               /* gw=A.B.C.D; 0: none */
	bool dhcp;                      /* dhcp=off disables the DHCP client */

	/* Limits (tcp_conns=, tcp_rcvbuf=, tcp_sndbuf=, tcp_mem=, udp_queue=). */
	unsigned int tcp_max_connections;       /* TIME_WAIT included */
	size_t tcp_receive_buffer;              /* bytes per connection; the largest window */
	size_t tcp_send_buffer;                 /* bytes per connection, unacknowledged included */
	size_t tcp_memory_limit;                /* all TCP buffers together */
	uint64_t tcp_time_wait;                 /* ns in TIME_WAIT (2 MSL); tcp_timewait= in ms */
	unsigned int udp_queue_limit;           /* datagrams waiting per socket */
};

void net_config_defaults(struct net_config *config);

/*
 * If `argument` is one of the stack's (ip=, gw=, dhcp=, tcp_*=, udp_queue=), store it and
 * return 0; return 1 if it is not the stack's, or -EINVAL if it is but its value is wrong.
 */
int net_config_parse_argument(struct net_config *config, const char *argument);

/*
 * The one call most apps need: read the stack's arguments from argv (others are ignored),
 * open the platform's interfaces, start the stack, and wait until at least one interface
 * has an address or `deadline` passes. Returns 0 or -errno (-ENODEV: no interface).
 */
int net_open(int argc, char **argv, uint64_t deadline, struct net **out);

/* The steps of net_open, for apps that want to choose. */
int net_create(const struct net_config *config, struct net **out);
int net_add_netif(struct net *net, struct netif *netif);
int net_start(struct net *net);        /* the net thread, then address configuration */
int net_wait_configured(struct net *net, uint64_t deadline);

/* The address of the first configured interface, or 0. */
uint32_t net_address(const struct net *net);

/*
 * Waiting for many connections at once, like poll(2). Each entry names one TCP connection
 * (listening or not) or one UDP socket and the events wanted; net_poll fills in `revents`
 * and returns how many entries have any, or -ETIMEDOUT. NET_POLL_ERR and NET_POLL_HUP are
 * reported whether asked for or not. An idle connection costs nothing while it waits: the
 * scan only runs again after the stack reports a change of some socket's state.
 */
#define NET_POLL_IN  (1u << 0)  /* data to read, a connection to accept, or the end of data */
#define NET_POLL_OUT (1u << 1)  /* room to write */
#define NET_POLL_ERR (1u << 2)  /* the connection failed (reset, timed out); read gives why */
#define NET_POLL_HUP (1u << 3)  /* the connection is closed both ways */

struct net_poll_entry {
	struct tcp_conn *tcp;           /* one of tcp and udp; the other NULL */
	struct udp_socket *udp;
	unsigned int events;
	unsigned int revents;
};

int net_poll(struct net *net, struct net_poll_entry *entries, unsigned int count,
	     uint64_t deadline);

/* Print the stack's counters: interfaces (with their drivers' own), then each protocol's
 * drops and errors. */
void net_print_stats(const struct net *net);

/*
 * Before the domain ends: every interface gives its device back (netif_ops.close), so that
 * nothing stays shared with another domain. The stack sends nothing afterwards.
 */
void net_close(struct net *net);

/* "10.0.0.2" into *address (host order); 0 or -EINVAL. */
int ipv4_parse(const char *text, uint32_t *address);

/* Format an address into `buffer` (at least IPV4_TEXT_MAX bytes); returns buffer. */
#define IPV4_TEXT_MAX 16
char *ipv4_format(uint32_t address, char *buffer);

#endif
