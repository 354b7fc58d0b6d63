/*
 * net/udp.c: UDP sockets, RFC 768 (see net/udp.h).
 *
 * The header is 8 bytes: source port, destination port, length (header included) and a
 * checksum over the pseudo-header, header and data. In IPv4 a checksum of 0 means the
 * sender did not compute one, which we accept (RFC 1122 4.1.3.4 allows it); we always
 * send one.
 */
#include "net/udp.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/stack.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/string.h"
#include "lib/util.h"

/* Ephemeral ports (RFC 6335 section 6): 49152 to 65535. */
#define EPHEMERAL_FIRST 49152u
#define EPHEMERAL_COUNT 16384u

struct udp_socket {
	struct list_node link;          /* in net->udp_sockets */
	struct net *net;
	uint32_t local_address;
	uint16_t local_port;
	struct net_iface *iface;        /* NULL: any interface */
	struct list_node queue;         /* struct udp_datagram.link, oldest first */
	unsigned int queued;
};

/*
 * A received datagram waiting to be read. Its payload is copied out of the netbuf, so a
 * small datagram holds a small heap block rather than a whole page.
 */
struct udp_datagram {
	struct list_node link;
	struct net_endpoint from;
	size_t length;
	uint8_t data[];
};

/* The socket bound to exactly this port and interface (NULL: all interfaces). */
static struct udp_socket *find_port(struct net *net, uint16_t port, struct net_iface *iface)
{
	struct udp_socket *socket;

	list_for_each_entry(socket, &net->udp_sockets, link) {
		if (socket->local_port == port && socket->iface == iface)
			return socket;
	}
	return NULL;
}

static int bind_socket(struct net *net, struct net_iface *iface, uint32_t local_address,
		       uint16_t port, struct udp_socket **out)
{
	struct udp_socket *socket;

	if (port == 0) {
		/* Start at a random place and take the first free port (RFC 6056 algorithm 1). */
		uint32_t start = net_random(net) % EPHEMERAL_COUNT;

		for (uint32_t i = 0; i < EPHEMERAL_COUNT && port == 0; i++) {
			uint16_t candidate = (uint16_t)(EPHEMERAL_FIRST + (start + i) % EPHEMERAL_COUNT);

			if (find_port(net, candidate, iface) == NULL)
				port = candidate;
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (find_port(net, port, iface) != NULL) {
		return -EADDRINUSE;
	}
	socket = calloc(1, sizeof(*socket));
	if (socket == NULL)
		return -ENOMEM;
	socket->net = net;
	socket->iface = iface;
	socket->local_address = local_address;
	socket->local_port = port;
	list_init(&socket->queue);
	list_add_tail(&net->udp_sockets, &socket->link);
	*out = socket;
	return 0;
}

int udp_bind(struct net *net, uint32_t local_address, uint16_t port, struct udp_socket **out)
{
	return bind_socket(net, NULL, local_address, port, out);
}

int udp_bind_netif(struct net *net, struct netif *netif, uint16_t port,
		   struct udp_socket **out)
{
	return bind_socket(net, netif->stack, IPV4_ANY, port, out);
}

uint16_t udp_local_port(const struct udp_socket *socket)
{
	return socket->local_port;
}

bool udp_readable(const struct udp_socket *socket)
{
	return !list_empty(&socket->queue);
}

void udp_close(struct udp_socket *socket)
{
	struct list_node *node;

	while ((node = list_pop_head(&socket->queue)) != NULL)
		free(container_of(node, struct udp_datagram, link));
	list_remove(&socket->link);
	free(socket);
}

/*
 * Routing comes first: the route decides the interface, hence the source address that the
 * pseudo-header checksum covers and whether the device can finish that checksum.
 */
int udp_send(struct udp_socket *socket, const void *data, size_t length,
	     const struct net_endpoint *to)
{
	struct net *net = socket->net;
	struct ipv4_route route;
	struct netbuf *packet;
	uint8_t *header, *payload;
	int rc;

	rc = ipv4_route(net, to->address, socket->iface, &route);
	if (rc < 0)
		return rc;
	if (length + UDP_HEADER_LEN > ipv4_max_payload(route.iface))
		return -EMSGSIZE;
	if (socket->local_address != IPV4_ANY)
		route.source = socket->local_address;
	packet = netbuf_alloc(NETBUF_HEADROOM);
	if (packet == NULL)
		return -ENOMEM;
	payload = netbuf_put(packet, length);
	if (payload == NULL) {
		/* A jumbo MTU allows more than one netbuf page holds; we do not chain here. */
		netbuf_free(packet);
		return -EMSGSIZE;
	}
	memcpy(payload, data, length);
	header = netbuf_push(packet, UDP_HEADER_LEN);
	put_be16(header + 0, socket->local_port);
	put_be16(header + 2, to->port);
	put_be16(header + 4, (uint16_t)(length + UDP_HEADER_LEN));
	/*
	 * With checksum offload the field gets the pseudo-header sum and the device adds the
	 * rest (net/netbuf.h, NETBUF_CSUM_PARTIAL); otherwise we compute it all here.
	 */
	put_be16(header + 6, checksum_fold(checksum_pseudo_header(route.source, to->address,
				IPV4_PROTOCOL_UDP, (uint16_t)(length + UDP_HEADER_LEN))));
	if (route.iface->netif->features & NETIF_F_TX_CSUM) {
		packet->flags |= NETBUF_CSUM_PARTIAL;
		packet->csum_start = 0;
		packet->csum_offset = 6;
	} else {
		uint16_t sum = checksum(header, packet->length);

		put_be16(header + 6, sum == 0 ? 0xffff : sum);
	}
	rc = ipv4_output(net, &route, packet, to->address, IPV4_PROTOCOL_UDP);
	return rc < 0 ? rc : (int)length;
}


static bool datagram_waiting(void *arg)
{
	return udp_readable(arg);
}

int udp_recv(struct udp_socket *socket, void *buffer, size_t size, struct net_endpoint *from,
	     uint64_t deadline)
{
	struct udp_datagram *datagram;
	size_t copied;

	if (!udp_readable(socket) && sched_wait(datagram_waiting, socket, deadline) < 0)
		return -ETIMEDOUT;
	datagram = container_of(list_pop_head(&socket->queue), struct udp_datagram, link);
	socket->queued--;
	copied = MIN(size, datagram->length);
	memcpy(buffer, datagram->data, copied);
	if (from != NULL)
		*from = datagram->from;
	free(datagram);
	return (int)copied;
}

/*
 * The socket that takes a datagram to `port` arriving as described by `info`, or NULL: the
 * one bound to the arrival interface, else the one bound to all interfaces.
 */
static struct udp_socket *find_receiver(struct net *net, const struct ipv4_info *info,
					uint16_t port)
{
	struct udp_socket *socket = find_port(net, port, info->iface);
	bool to_us = info->destination == info->iface->address || info->broadcast;

	if (socket != NULL)
		return socket;
	/* Unicast to an address that is not ours (yet) only reaches an interface's socket. */
	socket = find_port(net, port, NULL);
	if (socket == NULL || !to_us)
		return NULL;
	if (socket->local_address != IPV4_ANY && socket->local_address != info->destination &&
	    !info->broadcast)
		return NULL;
	return socket;
}

void udp_input(const struct ipv4_info *info, struct netbuf *packet)
{
	struct net *net = info->iface->net;
	const uint8_t *header = packet->data;
	struct udp_datagram *datagram;
	struct udp_socket *socket;
	uint16_t length;

	if (packet->length < UDP_HEADER_LEN)
		goto bad;
	length = get_be16(header + 4);
	if (length < UDP_HEADER_LEN || length > packet->length)
		goto bad;
	netbuf_trim(packet, length);
	/* The checksum covers a pseudo-header of the IPv4 addresses too (RFC 768). */
	if (get_be16(header + 6) != 0 && !(packet->flags & NETBUF_CSUM_VERIFIED)) {
		uint32_t sum = checksum_pseudo_header(info->source, info->destination,
						      IPV4_PROTOCOL_UDP, length);

		if (checksum_finish(checksum_add(sum, header, length)) != 0) {
			net->stats.udp_rx_bad_checksum++;
			goto drop;
		}
	}
	socket = find_receiver(net, info, get_be16(header + 2));
	if (socket == NULL) {
		net->stats.udp_rx_no_port++;
		icmp_send_unreachable(info, ICMP_CODE_PORT_UNREACHABLE, packet);
		goto drop;
	}
	/*
	 * A full queue drops the newcomer, not the oldest: UDP promises nothing, and a reader
	 * that fell behind is better served by the datagrams it was already owed.
	 */
	if (socket->queued >= net->config.udp_queue_limit) {
		net->stats.udp_rx_queue_full++;
		goto drop;
	}
	datagram = malloc(sizeof(*datagram) + length - UDP_HEADER_LEN);
	if (datagram == NULL) {
		net->stats.udp_rx_queue_full++;
		goto drop;
	}
	datagram->from.address = info->source;
	datagram->from.port = get_be16(header + 0);
	datagram->length = length - UDP_HEADER_LEN;
	memcpy(datagram->data, header + UDP_HEADER_LEN, datagram->length);
	list_add_tail(&socket->queue, &datagram->link);
	socket->queued++;
	net_readiness_changed(net);
	goto drop;
bad:
	net->stats.udp_rx_bad++;
drop:
	netbuf_free(packet);
}
