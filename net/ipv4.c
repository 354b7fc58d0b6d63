/*
 * net/ipv4.c: IPv4 input, routing and output, RFC 791 and RFC 1122 section 3 (see
 * net/ipv4.h).
 *
 * The header, 20 bytes plus options:
 *
 *     0   version (4) | header length in 32-bit words (IHL)
 *     1   type of service            2   total length (header + payload)
 *     4   identification             6   flags (reserved, DF, MF) | fragment offset
 *     8   time to live               9   protocol
 *     10  header checksum            12  source address        16  destination address
 */
#include "net/ipv4.h"
#include "net/arp.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "net/icmp.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "lib/errno.h"
#include "lib/string.h"

#define IPV4_FLAG_MF        0x2000      /* more fragments */
#define IPV4_FRAGMENT_MASK  0x1fff      /* fragment offset, in 8-byte units */

static bool is_multicast(uint32_t address)
{
	return (address >> 28) == 0xe;      /* 224.0.0.0/4, RFC 1112 */
}

/* Whether `address` is a broadcast address on this interface's subnet (RFC 919, 922). */
static bool is_broadcast(const struct net_iface *iface, uint32_t address)
{
	if (address == IPV4_BROADCAST)
		return true;
	return iface->address != 0 && iface->netmask != 0xffffffff &&
	       address == (iface->address | ~iface->netmask);
}

void ipv4_input(struct net_iface *iface, struct netbuf *packet)
{
	struct net *net = iface->net;
	const uint8_t *header = packet->data;
	unsigned int header_length, total_length;
	struct ipv4_info info;

	/* Every length is checked before anything is read under it. */
	if (packet->length < IPV4_HEADER_LEN || (header[0] >> 4) != 4)
		goto bad_header;
	header_length = (header[0] & 0x0f) * 4u;
	total_length = get_be16(header + 2);
	if (header_length < IPV4_HEADER_LEN || header_length > total_length ||
	    total_length > packet->length)
		goto bad_header;
	if (checksum(header, header_length) != 0) {
		net->stats.ipv4_rx_bad_checksum++;
		goto drop;
	}
	/* Ethernet pads short frames to 60 bytes; the IPv4 length says where the packet ends. */
	netbuf_trim(packet, total_length);

	if (get_be16(header + 6) & (IPV4_FLAG_MF | IPV4_FRAGMENT_MASK)) {
		net->stats.ipv4_rx_fragments_dropped++;
		goto drop;
	}

	info.iface = iface;
	info.source = get_be32(header + 12);
	info.destination = get_be32(header + 16);
	info.protocol = header[9];
	info.header = header;
	info.header_length = header_length;
	info.broadcast = is_broadcast(iface, info.destination);

	/* RFC 1122 3.2.1.3: a source address that no single host can have is discarded. */
	if (info.source == 0 || info.source == IPV4_BROADCAST || is_multicast(info.source) ||
	    is_broadcast(iface, info.source))
		goto bad_header;
	/*
	 * Ours if it is for our address or a broadcast. An interface that has no address yet
	 * accepts unicast UDP too: a DHCP server may send the offer to the address it offers,
	 * and only the DHCP client's socket (port 68) will take it.
	 */
	if (!info.broadcast && info.destination != iface->address &&
	    !(iface->address == 0 && info.protocol == IPV4_PROTOCOL_UDP)) {
		net->stats.ipv4_rx_not_for_us++;
		goto drop;
	}

	netbuf_pull(packet, header_length);
	switch (info.protocol) {
	case IPV4_PROTOCOL_ICMP:
		icmp_input(&info, packet);
		return;
	case IPV4_PROTOCOL_UDP:
		udp_input(&info, packet);
		return;
	case IPV4_PROTOCOL_TCP:
		tcp_input(&info, packet);
		return;
	default:
		/* RFC 1122 3.2.2.1 suggests protocol unreachable; counting is enough for us. */
		net->stats.ipv4_rx_unknown_protocol++;
		goto drop;
	}
bad_header:
	net->stats.ipv4_rx_bad_header++;
drop:
	netbuf_free(packet);
}

unsigned int ipv4_max_payload(const struct net_iface *iface)
{
	return iface->netif->mtu - IPV4_HEADER_LEN;
}

int ipv4_route(struct net *net, uint32_t destination, struct net_iface *via,
	       struct ipv4_route *route)
{
	struct net_iface *iface;

	if (destination == IPV4_BROADCAST) {
		iface = via != NULL ? via : net->iface_count > 0 ? &net->ifaces[0] : NULL;
		if (iface == NULL)
			return -ENETUNREACH;
		*route = (struct ipv4_route){ iface, iface->address, destination, true };
		return 0;
	}
	/* A directly connected subnet first: the destination itself is the next hop. */
	for (unsigned int i = 0; i < net->iface_count; i++) {
		iface = &net->ifaces[i];
		if (iface->address == 0 || (via != NULL && via != iface))
			continue;
		if ((destination & iface->netmask) == (iface->address & iface->netmask)) {
			*route = (struct ipv4_route){ iface, iface->address, destination,
						      is_broadcast(iface, destination) };
			return 0;
		}
	}
	/* Otherwise the default route: the first interface that has a gateway. */
	for (unsigned int i = 0; i < net->iface_count; i++) {
		iface = &net->ifaces[i];
		if (iface->address != 0 && iface->gateway != 0 && (via == NULL || via == iface)) {
			*route = (struct ipv4_route){ iface, iface->address, iface->gateway, false };
			return 0;
		}
	}
	net->stats.ipv4_tx_no_route++;
	return -ENETUNREACH;
}

int ipv4_output(struct net *net, const struct ipv4_route *route, struct netbuf *packet,
		uint32_t destination, uint8_t protocol)
{
	size_t total_length = netbuf_chain_length(packet) + IPV4_HEADER_LEN;
	uint8_t *header;

	/* Only a segment that the device will cut up (TCP segmentation offload) may be longer
	 * than the link's MTU; none may be longer than the 16-bit length field. */
	if ((total_length > route->iface->netif->mtu && packet->gso_size == 0) ||
	    total_length > UINT16_MAX) {
		netbuf_free(packet);
		return -EMSGSIZE;
	}
	header = netbuf_push(packet, IPV4_HEADER_LEN);
	if (header == NULL) {
		net->stats.ipv4_tx_no_memory++;
		netbuf_free(packet);
		return -ENOBUFS;
	}
	header[0] = 0x45;                       /* version 4, 5 words of header */
	header[1] = 0;                          /* type of service: routine */
	put_be16(header + 2, (uint16_t)total_length);
	/*
	 * The identification only matters if a router fragments the packet, which it may: we
	 * do not set DF, because we do not act on the ICMP "fragmentation needed" messages
	 * that path MTU discovery (RFC 1191) relies on, and a DF packet on a smaller link
	 * would vanish silently.
	 */
	put_be16(header + 4, net->ipv4_next_id++);
	put_be16(header + 6, 0);
	header[8] = IPV4_DEFAULT_TTL;
	header[9] = protocol;
	put_be16(header + 10, 0);
	put_be32(header + 12, route->source);
	put_be32(header + 16, destination);
	put_be16(header + 10, checksum(header, IPV4_HEADER_LEN));
	if (route->broadcast)
		return eth_output(route->iface, packet, eth_broadcast, ETH_TYPE_IPV4);
	return arp_output(route->iface, route->next_hop, packet);
}
