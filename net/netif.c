/*
 * net/netif.c: the generic half of a network interface (net/netif.h): counting, and the
 * adjustments between what the stack builds and what a driver can take.
 */
#include "net/netif.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "lib/errno.h"

void netif_notify(struct netif *netif)
{
	netif->poll_requested = true;
}

void netif_link_changed(struct netif *netif)
{
	if (netif->link_changed != NULL)
		netif->link_changed(netif);
}

void netif_input(struct netif *netif, struct netbuf *frame)
{
	size_t length = netbuf_chain_length(frame);

	netif->stats.rx_packets++;
	netif->stats.rx_bytes += length;
	/* The stack parses one contiguous frame; multi-slot frames (netfront) become one. */
	frame = netbuf_linearize(frame);
	if (frame == NULL || netif->input == NULL) {
		netif->stats.rx_dropped++;
		netbuf_free(frame);
		return;
	}
	netif->input(netif, frame);
}

int netif_finish_checksum(struct netbuf *frame)
{
	size_t start = frame->csum_start, field = start + frame->csum_offset;
	uint16_t sum;

	if (frame->next != NULL || field + 2 > frame->length || start > frame->length)
		return -EINVAL;
	/*
	 * The field holds the pseudo-header sum, so summing the whole range, field included,
	 * yields pseudo-header + header + payload: the complete checksum.
	 */
	sum = checksum_finish(checksum_add(0, frame->data + start, frame->length - start));
	/*
	 * RFC 768: a UDP checksum that computes to 0 is sent as 0xffff, since 0 means "no
	 * checksum". For TCP the two are the same number in one's complement, so it is harmless.
	 */
	if (sum == 0)
		sum = 0xffff;
	put_be16(frame->data + field, sum);
	frame->flags &= ~NETBUF_CSUM_PARTIAL;
	return 0;
}

int netif_transmit(struct netif *netif, struct netbuf *frame)
{
	size_t length = netbuf_chain_length(frame);
	int rc;

	if (frame->next != NULL && !(netif->features & NETIF_F_TX_SG)) {
		frame = netbuf_linearize(frame);
		if (frame == NULL) {
			netif->stats.tx_dropped++;
			return -ENOMEM;
		}
	}
	if ((frame->flags & NETBUF_CSUM_PARTIAL) && !(netif->features & NETIF_F_TX_CSUM)) {
		frame = netbuf_linearize(frame);
		if (frame == NULL || netif_finish_checksum(frame) < 0) {
			netif->stats.tx_dropped++;
			netbuf_free(frame);
			return -EINVAL;
		}
	}
	rc = netif->ops->transmit(netif, frame);
	if (rc < 0) {
		netif->stats.tx_dropped++;
		return rc;
	}
	netif->stats.tx_packets++;
	netif->stats.tx_bytes += length;
	return 0;
}
