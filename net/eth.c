/*
 * net/eth.c: Ethernet II input and output (net/eth.h).
 */
#include "net/eth.h"
#include "net/arp.h"
#include "net/byteorder.h"
#include "net/ipv4.h"
#include "net/stack.h"
#include "lib/errno.h"
#include "lib/string.h"

const uint8_t eth_broadcast[ETH_ADDRESS_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void eth_input(struct netif *netif, struct netbuf *frame)
{
	struct net_iface *iface = netif->stack;
	struct net *net = iface->net;
	const uint8_t *header = frame->data;
	uint16_t type;

	if (frame->length < ETH_HEADER_LEN) {
		net->stats.eth_rx_short++;
		netbuf_free(frame);
		return;
	}
	/*
	 * A device hands us frames for our address and broadcasts, but TAP in particular may
	 * pass everything on the segment; multicast we do not join. Filter here.
	 */
	if (memcmp(header, netif->mac, ETH_ADDRESS_LEN) != 0 &&
	    memcmp(header, eth_broadcast, ETH_ADDRESS_LEN) != 0) {
		net->stats.eth_rx_not_for_us++;
		netbuf_free(frame);
		return;
	}
	type = get_be16(header + 12);
	netbuf_pull(frame, ETH_HEADER_LEN);
	switch (type) {
	case ETH_TYPE_ARP:
		arp_input(iface, frame);
		break;
	case ETH_TYPE_IPV4:
		ipv4_input(iface, frame);
		break;
	default:
		/* IPv6, VLAN tags, LLDP, ...: none of them are ours. */
		net->stats.eth_rx_unknown_type++;
		netbuf_free(frame);
		break;
	}
}

int eth_output(struct net_iface *iface, struct netbuf *packet,
	       const uint8_t destination[ETH_ADDRESS_LEN], uint16_t type)
{
	uint8_t *header = netbuf_push(packet, ETH_HEADER_LEN);

	if (header == NULL) {
		netbuf_free(packet);
		return -ENOBUFS;
	}
	memcpy(header, destination, ETH_ADDRESS_LEN);
	memcpy(header + 6, iface->netif->mac, ETH_ADDRESS_LEN);
	put_be16(header + 12, type);
	return netif_transmit(iface->netif, packet);
}
