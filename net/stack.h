/*
 * net/stack.h: the state of one network stack, shared by the protocol modules in net/.
 * Applications never include this: they hold a struct net * and use net/net.h, net/tcp.h
 * and net/udp.h.
 *
 * There are no globals: everything a module needs hangs off struct net, so several stacks
 * could coexist, and the unit tests and fuzz targets build a fresh one per case.
 */
#ifndef NET_STACK_H
#define NET_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"
#include "net/arp.h"
#include "net/net.h"
#include "net/netif.h"

#define NET_MAX_IFACES 4

struct thread;
struct dhcp_client;

/* The stack's view of one attached interface. */
struct net_iface {
	struct net *net;
	struct netif *netif;
	uint32_t address;               /* 0 while unconfigured */
	uint32_t netmask;
	uint32_t gateway;               /* 0: no default route through this interface */
	struct arp_cache arp;
	struct dhcp_client *dhcp;       /* NULL unless DHCP configures this interface */
};

/*
 * Counters of everything the stack dropped or did, by protocol. Hostile input is counted
 * here and dropped, never printed one by one: a flood of bad packets must not become a
 * flood of console output.
 */
struct net_stats {
	uint64_t eth_rx_short, eth_rx_not_for_us, eth_rx_unknown_type;
	uint64_t arp_rx_bad, arp_requests_sent, arp_replies_sent, arp_queue_dropped,
		 arp_unresolved_dropped;
	uint64_t ipv4_rx_bad_header, ipv4_rx_bad_checksum, ipv4_rx_not_for_us,
		 ipv4_rx_fragments_dropped, ipv4_rx_unknown_protocol, ipv4_tx_no_route,
		 ipv4_tx_no_memory;
	uint64_t icmp_rx_bad, icmp_echo_replies, icmp_unreachables_sent;
	uint64_t udp_rx_bad, udp_rx_bad_checksum, udp_rx_no_port, udp_rx_queue_full;
	uint64_t tcp_rx_bad, tcp_rx_bad_checksum, tcp_rx_no_connection, tcp_resets_sent,
		 tcp_rx_out_of_window, tcp_rx_out_of_order, tcp_retransmits,
		 tcp_fast_retransmits, tcp_timeouts, tcp_refused_limit, tcp_tx_no_memory,
		 tcp_tso_segments;
};

struct net {
	struct net_config config;
	struct net_iface ifaces[NET_MAX_IFACES];
	unsigned int iface_count;
	struct thread *thread;          /* the "net" thread; NULL until net_start */

	/*
	 * Timers. Every module keeps its own deadlines; the net thread asks each for its next
	 * one and sleeps until the earliest. A thread that arms an earlier deadline while the
	 * net thread sleeps calls net_timer_arm(), which lowers next_timer and sets
	 * timers_changed, so the net thread's wait condition turns true and it recomputes.
	 */
	uint64_t next_timer;
	bool timers_changed;

	/* Bumped on every change that may make a socket ready; see net_poll(). */
	uint64_t readiness_generation;

	uint16_t ipv4_next_id;          /* the IPv4 identification field of our packets */
	uint64_t random_state;          /* net_random() */
	uint64_t icmp_tokens_time;      /* rate limit of ICMP errors: start of the second */
	unsigned int icmp_tokens_used;

	struct list_node udp_sockets;   /* struct udp_socket.link */
	struct list_node tcp_conns;     /* struct tcp_conn.link, listeners included */
	unsigned int tcp_connections;   /* counted against tcp_max_connections */
	size_t tcp_memory;              /* bytes of TCP buffers allocated */

	struct net_stats stats;
};

/* Make sure the net thread wakes by `deadline` to run the timers. */
void net_timer_arm(struct net *net, uint64_t deadline);

/* Some socket's state changed: wake net_poll() waiters so they look again. */
static inline void net_readiness_changed(struct net *net)
{
	net->readiness_generation++;
}

/*
 * A pseudo-random 32-bit number (xorshift64*), seeded from the clock at net_create. Good
 * enough to make ports and initial sequence numbers hard to guess for an off-path attacker
 * who cannot watch us, not cryptographic (docs/tcpip.md).
 */
uint32_t net_random(struct net *net);

/* Run every module's timers that are due at `now`; returns the earliest next deadline. */
uint64_t net_run_timers(struct net *net, uint64_t now);

/* Set or clear an interface's address (DHCP, static configuration). */
void net_iface_configure(struct net_iface *iface, uint32_t address, uint32_t netmask,
			 uint32_t gateway);

#endif
