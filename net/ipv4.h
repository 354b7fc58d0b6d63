/*
 * net/ipv4.h: the Internet Protocol, version 4 (RFC 791), as a host: checking and
 * delivering received packets, choosing a route for outgoing ones, and writing the header.
 *
 * Mote is a host, not a router (RFC 1122): it never forwards, so a received packet is
 * either for one of our addresses (or a broadcast) and goes up to ICMP, UDP or TCP, or it
 * is dropped. Fragments are counted and dropped, not reassembled (docs/tcpip.md says why):
 * our TCP announces an MSS that fits the MTU, and we send nothing larger than the MTU.
 */
#ifndef NET_IPV4_H
#define NET_IPV4_H

#include <stdbool.h>
#include <stdint.h>
#include "net/netbuf.h"

struct net;
struct net_iface;

#define IPV4_HEADER_LEN     20          /* without options; we never send options */
#define IPV4_DEFAULT_TTL    64          /* RFC 1700's recommendation, what Linux uses */
#define IPV4_PROTOCOL_ICMP  1
#define IPV4_PROTOCOL_TCP   6
#define IPV4_PROTOCOL_UDP   17

/* What the IPv4 layer tells a transport protocol about a received packet. */
struct ipv4_info {
	struct net_iface *iface;        /* where it arrived */
	uint32_t source, destination;
	uint8_t protocol;
	bool broadcast;                 /* sent to a broadcast address, not to us alone */
	/* The IPv4 header, still in the netbuf's headroom: for ICMP errors that quote it. */
	const uint8_t *header;
	unsigned int header_length;
};

/* Where a packet to some destination goes. */
struct ipv4_route {
	struct net_iface *iface;
	uint32_t source;                /* the interface's address (0 before it has one) */
	uint32_t next_hop;              /* the destination itself, or the gateway */
	bool broadcast;                 /* to the Ethernet broadcast address, without ARP */
};

/* A received packet (Ethernet header pulled); takes it. */
void ipv4_input(struct net_iface *iface, struct netbuf *packet);

/*
 * Choose the route to `destination`: an interface whose subnet holds it, else the first
 * interface with a gateway. The limited broadcast 255.255.255.255 goes out of `via` if
 * given, else the first interface, even one without an address yet (DHCP needs that).
 * Returns 0 or -ENETUNREACH.
 */
int ipv4_route(struct net *net, uint32_t destination, struct net_iface *via,
	       struct ipv4_route *route);

/*
 * Prepend an IPv4 header to `packet` (the transport header at data) and send it along
 * `route`. Takes the packet; returns 0 or -errno (-EMSGSIZE over the MTU).
 */
int ipv4_output(struct net *net, const struct ipv4_route *route, struct netbuf *packet,
		uint32_t destination, uint8_t protocol);

/* The largest transport segment (header included) an interface can carry. */
unsigned int ipv4_max_payload(const struct net_iface *iface);

#endif
