/*
 * net/eth.h: Ethernet II framing (the DIX header of RFC 894): a frame is 6 bytes of
 * destination MAC, 6 of source MAC, 2 of EtherType, then the payload. The frame check
 * sequence and the minimum-length padding are the device's business, not ours.
 */
#ifndef NET_ETH_H
#define NET_ETH_H

#include <stdint.h>
#include "net/netbuf.h"
#include "net/netif.h"

struct net_iface;

#define ETH_HEADER_LEN 14
#define ETH_TYPE_IPV4  0x0800
#define ETH_TYPE_ARP   0x0806

extern const uint8_t eth_broadcast[ETH_ADDRESS_LEN];

/*
 * The stack's entry point for every received frame (installed as netif.input): checks the
 * header, accepts frames for our MAC address or broadcast, and passes ARP and IPv4 on.
 * Takes the frame.
 */
void eth_input(struct netif *netif, struct netbuf *frame);

/*
 * Prepend an Ethernet header (our MAC as source) to `packet` and transmit it. Takes the
 * packet; returns 0 or -errno.
 */
int eth_output(struct net_iface *iface, struct netbuf *packet,
	       const uint8_t destination[ETH_ADDRESS_LEN], uint16_t type);

#endif
