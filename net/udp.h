/*
 * net/udp.h: the User Datagram Protocol (RFC 768): datagrams to and from ports, with no
 * connection, no ordering and no retransmission.
 *
 *     struct udp_socket *socket;
 *     udp_bind(net, IPV4_ANY, 7, &socket);
 *     n = udp_recv(socket, buffer, sizeof(buffer), &from, TIME_NEVER);
 *     udp_send(socket, buffer, n, &from);
 *
 * Received datagrams wait on the socket in a short queue (udp_queue_limit, default 16);
 * when it is full, new ones are dropped and counted, as UDP allows.
 */
#ifndef NET_UDP_H
#define NET_UDP_H

#include <stddef.h>
#include <stdint.h>
#include "net/net.h"
#include "net/netbuf.h"

struct ipv4_info;

#define UDP_HEADER_LEN 8

/*
 * Open a socket on `port` (0: a free ephemeral port), receiving datagrams sent to
 * `local_address` (IPV4_ANY: any of ours, and broadcasts). -EADDRINUSE if the port is
 * taken, -ENOMEM.
 */
int udp_bind(struct net *net, uint32_t local_address, uint16_t port, struct udp_socket **out);

/*
 * Send one datagram. Sending never waits, so it takes no deadline: the datagram leaves at
 * once, or waits inside the stack for ARP (bounded; net/arp.h). Returns `length`, or
 * -EMSGSIZE if it does not fit one IPv4 packet on the interface (we do not fragment),
 * -ENETUNREACH, -ENOMEM.
 */
int udp_send(struct udp_socket *socket, const void *data, size_t length,
	     const struct net_endpoint *to);

/*
 * Wait for a datagram until `deadline`, copy up to `size` bytes of it to `buffer` (the rest
 * of a longer datagram is lost, as with recv(2)), and return the count copied; `from`, if
 * not NULL, gets the sender. -ETIMEDOUT when the deadline passed.
 */
int udp_recv(struct udp_socket *socket, void *buffer, size_t size, struct net_endpoint *from,
	     uint64_t deadline);

/* Drop the queued datagrams and free the socket. */
void udp_close(struct udp_socket *socket);

/* The port the socket is bound to. */
uint16_t udp_local_port(const struct udp_socket *socket);

/* Whether a datagram is waiting (net_poll's NET_POLL_IN). */
bool udp_readable(const struct udp_socket *socket);

/*
 * Like udp_bind, but the socket sends and receives only through `netif`: the DHCP client's
 * socket, which must work before the interface has an address. Sockets on different
 * interfaces may share a port; one bound to a single interface is preferred over one
 * bound to all.
 */
int udp_bind_netif(struct net *net, struct netif *netif, uint16_t port,
		   struct udp_socket **out);

/* A received UDP datagram (IPv4 header pulled); takes it. */
void udp_input(const struct ipv4_info *info, struct netbuf *packet);

#endif
