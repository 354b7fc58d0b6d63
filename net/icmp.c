/*
 * net/icmp.c: ICMP echo and destination unreachable, RFC 792 and RFC 1122 section 3.2.2.
 *
 * Every ICMP message starts with type (1 byte), code (1) and a checksum (2) over the whole
 * message. Echo request and reply continue with an identifier and a sequence number (2 each)
 * and any data, which the reply must return unchanged.
 */
#include "net/icmp.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/stack.h"
#include "xen/time.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "lib/util.h"

#define ICMP_HEADER_LEN 8

/* Answer an echo request: the same message with type 0 and a new checksum. */
static void echo_reply(const struct ipv4_info *info, const struct netbuf *request)
{
	struct net *net = info->iface->net;
	struct ipv4_route route;
	struct netbuf *reply;
	uint8_t *message;

	if (ipv4_route(net, info->source, info->iface, &route) < 0)
		return;
	/* A request that would not fit a reply in one page is not worth answering. */
	if (request->length > PAGE_SIZE - NETBUF_HEADROOM)
		return;
	reply = netbuf_alloc(NETBUF_HEADROOM);
	if (reply == NULL)
		return;
	message = netbuf_put(reply, request->length);
	memcpy(message, request->data, request->length);
	message[0] = ICMP_ECHO_REPLY;
	message[1] = 0;
	put_be16(message + 2, 0);
	put_be16(message + 2, checksum(message, request->length));
	/* Answer from the address the request was sent to (it was ours, not a broadcast). */
	route.source = info->destination;
	if (ipv4_output(net, &route, reply, info->source, IPV4_PROTOCOL_ICMP) == 0)
		net->stats.icmp_echo_replies++;
}

void icmp_input(const struct ipv4_info *info, struct netbuf *packet)
{
	struct net *net = info->iface->net;

	if (packet->length < ICMP_HEADER_LEN || checksum(packet->data, packet->length) != 0) {
		net->stats.icmp_rx_bad++;
		netbuf_free(packet);
		return;
	}
	/*
	 * RFC 1122 3.2.2.6 lets a host ignore echo requests sent to a broadcast address, and
	 * we do: answering them is how "smurf" amplification attacks work.
	 */
	if (packet->data[0] == ICMP_ECHO_REQUEST && packet->data[1] == 0 && !info->broadcast)
		echo_reply(info, packet);
	/* Errors about our own packets (unreachable, time exceeded) are not acted on. */
	netbuf_free(packet);
}

/* A token bucket refilled once a second. */
static bool icmp_error_allowed(struct net *net)
{
	uint64_t now = time_now();

	if (now - net->icmp_tokens_time >= NSEC_PER_SEC) {
		net->icmp_tokens_time = now;
		net->icmp_tokens_used = 0;
	}
	if (net->icmp_tokens_used >= ICMP_ERRORS_PER_SECOND)
		return false;
	net->icmp_tokens_used++;
	return true;
}

void icmp_send_unreachable(const struct ipv4_info *info, uint8_t code,
			   const struct netbuf *payload)
{
	struct net *net = info->iface->net;
	size_t quoted = MIN(payload->length, 8u);
	size_t length = ICMP_HEADER_LEN + info->header_length + quoted;
	struct ipv4_route route;
	struct netbuf *error;
	uint8_t *message;

	if (info->broadcast || info->iface->address == 0 || !icmp_error_allowed(net))
		return;
	if (ipv4_route(net, info->source, info->iface, &route) < 0)
		return;
	error = netbuf_alloc(NETBUF_HEADROOM);
	if (error == NULL)
		return;
	message = netbuf_put(error, length);
	message[0] = ICMP_DEST_UNREACHABLE;
	message[1] = code;
	put_be16(message + 2, 0);
	put_be32(message + 4, 0);               /* unused */
	memcpy(message + ICMP_HEADER_LEN, info->header, info->header_length);
	memcpy(message + ICMP_HEADER_LEN + info->header_length, payload->data, quoted);
	put_be16(message + 2, checksum(message, length));
	if (ipv4_output(net, &route, error, info->source, IPV4_PROTOCOL_ICMP) == 0)
		net->stats.icmp_unreachables_sent++;
}
