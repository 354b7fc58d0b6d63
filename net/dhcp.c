/*
 * net/dhcp.c: the DHCP message codec and client, RFC 2131 and RFC 2132 (see net/dhcp.h).
 *
 * The client is a thread per interface, written as the straight-line story of RFC 2131's
 * state diagram (figure 5): INIT -> SELECTING -> REQUESTING -> BOUND -> RENEWING ->
 * REBINDING, and back to INIT when everything fails. A thread costs a stack, but makes the
 * timing rules (retransmission backoff, T1, T2, expiry) read as what they are: waits.
 */
#include "net/dhcp.h"
#include "net/byteorder.h"
#include "net/netif.h"
#include "net/stack.h"
#include "net/udp.h"
#include "kernel/sched.h"
#include "xen/console.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/string.h"
#include "lib/util.h"

/* RFC 2131 section 3: the four bytes that say "DHCP options follow" (99.130.83.99). */
static const uint8_t magic_cookie[4] = { 99, 130, 83, 99 };

#define OPTION_PAD            0
#define OPTION_SUBNET_MASK    1
#define OPTION_ROUTER         3
#define OPTION_DNS            6
#define OPTION_REQUESTED_IP   50
#define OPTION_LEASE_TIME     51
#define OPTION_MESSAGE_TYPE   53
#define OPTION_SERVER_ID      54
#define OPTION_PARAMETER_LIST 55
#define OPTION_RENEWAL_TIME   58
#define OPTION_REBINDING_TIME 59
#define OPTION_END            255

/* ---------------------------------------------------------------------------------------
 * The codec. The fixed part (RFC 2131 figure 1):
 *
 *     0 op  1 htype  2 hlen  3 hops  4 xid  8 secs  10 flags  12 ciaddr  16 yiaddr
 *     20 siaddr  24 giaddr  28 chaddr (16)  44 sname (64)  108 file (128)
 *     236 magic cookie, then options: code, length, value; 0 is padding, 255 the end.
 */

static uint8_t *put_option_address(uint8_t *out, uint8_t code, uint32_t address)
{
	out[0] = code;
	out[1] = 4;
	put_be32(out + 2, address);
	return out + 6;
}

int dhcp_encode(const struct dhcp_message *message, uint8_t *buffer, size_t size)
{
	uint8_t *out = buffer;

	if (size < DHCP_MESSAGE_MAX)
		return -ENOSPC;
	memset(buffer, 0, DHCP_MESSAGE_MAX);
	out[0] = message->op;
	out[1] = 1;                             /* hardware type: Ethernet */
	out[2] = 6;                             /* hardware address length */
	put_be32(out + 4, message->xid);
	put_be16(out + 8, message->secs);
	put_be16(out + 10, message->flags);
	put_be32(out + 12, message->ciaddr);
	put_be32(out + 16, message->yiaddr);
	put_be32(out + 20, message->siaddr);
	put_be32(out + 24, message->giaddr);
	memcpy(out + 28, message->chaddr, 6);
	memcpy(out + DHCP_FIXED_LEN, magic_cookie, 4);
	out += DHCP_FIXED_LEN + 4;

	*out++ = OPTION_MESSAGE_TYPE;
	*out++ = 1;
	*out++ = message->type;
	if (message->requested_address != 0)
		out = put_option_address(out, OPTION_REQUESTED_IP, message->requested_address);
	if (message->server_id != 0)
		out = put_option_address(out, OPTION_SERVER_ID, message->server_id);
	/* Ask for what we use (RFC 2132 9.8). */
	*out++ = OPTION_PARAMETER_LIST;
	*out++ = 4;
	*out++ = OPTION_SUBNET_MASK;
	*out++ = OPTION_ROUTER;
	*out++ = OPTION_DNS;
	*out++ = OPTION_LEASE_TIME;
	*out++ = OPTION_END;
	/* Some old BOOTP relays drop messages under 300 bytes: pad (RFC 1542 3.3). */
	return DHCP_MESSAGE_MAX;
}

int dhcp_parse(const uint8_t *packet, size_t length, struct dhcp_message *out)
{
	const uint8_t *option, *end = packet + length;

	memset(out, 0, sizeof(*out));
	if (length < DHCP_FIXED_LEN + 4 || packet[1] != 1 || packet[2] != 6 ||
	    memcmp(packet + DHCP_FIXED_LEN, magic_cookie, 4) != 0)
		return -EBADMSG;
	out->op = packet[0];
	out->xid = get_be32(packet + 4);
	out->secs = get_be16(packet + 8);
	out->flags = get_be16(packet + 10);
	out->ciaddr = get_be32(packet + 12);
	out->yiaddr = get_be32(packet + 16);
	out->siaddr = get_be32(packet + 20);
	out->giaddr = get_be32(packet + 24);
	memcpy(out->chaddr, packet + 28, 6);
	if (out->op != DHCP_BOOTREQUEST && out->op != DHCP_BOOTREPLY)
		return -EBADMSG;

	option = packet + DHCP_FIXED_LEN + 4;
	while (option < end) {
		uint8_t code = option[0], size;
		const uint8_t *value;

		if (code == OPTION_PAD) {
			option++;
			continue;
		}
		if (code == OPTION_END)
			break;
		/* A code, a length, and that many bytes: all of it inside the packet. */
		if (end - option < 2 || option[1] > end - option - 2)
			return -EBADMSG;
		size = option[1];
		value = option + 2;
		switch (code) {
		case OPTION_MESSAGE_TYPE:
			if (size != 1)
				return -EBADMSG;
			out->type = value[0];
			break;
		case OPTION_SUBNET_MASK:
		case OPTION_ROUTER:
		case OPTION_DNS:
		case OPTION_REQUESTED_IP:
		case OPTION_SERVER_ID:
		case OPTION_LEASE_TIME:
		case OPTION_RENEWAL_TIME:
		case OPTION_REBINDING_TIME: {
			/* Four bytes each; router and DNS are lists, of which we take the first. */
			uint32_t value32;

			if (size < 4 || (size % 4 != 0))
				return -EBADMSG;
			value32 = get_be32(value);
			if (code == OPTION_SUBNET_MASK)
				out->subnet_mask = value32;
			else if (code == OPTION_ROUTER)
				out->router = value32;
			else if (code == OPTION_DNS)
				out->dns_server = value32;
			else if (code == OPTION_REQUESTED_IP)
				out->requested_address = value32;
			else if (code == OPTION_SERVER_ID)
				out->server_id = value32;
			else if (code == OPTION_LEASE_TIME)
				out->lease_time = value32;
			else if (code == OPTION_RENEWAL_TIME)
				out->renewal_time = value32;
			else
				out->rebinding_time = value32;
			break;
		}
		default:
			break;                  /* an option we do not use */
		}
		option = value + size;
	}
	if (out->type < DHCP_DISCOVER || out->type > DHCP_INFORM)
		return -EBADMSG;
	return 0;
}

/* ---------------------------------------------------------------------------------------
 * The client
 */

struct dhcp_client {
	struct net_iface *iface;
	struct udp_socket *socket;
	uint32_t xid;
	uint64_t started;               /* when this exchange began, for the secs field */
	/* The lease: */
	uint32_t address, netmask, router, server;
	uint64_t renew_at, rebind_at, expires_at;
};

/* Send one client message: broadcast, or unicast to the server when renewing. */
static void send_message(struct dhcp_client *client, uint8_t type, uint32_t requested,
			 uint32_t server_id, uint32_t ciaddr, uint32_t destination)
{
	struct dhcp_message message = {
		.op = DHCP_BOOTREQUEST,
		.xid = client->xid,
		.secs = (uint16_t)MIN((time_now() - client->started) / NSEC_PER_SEC, 0xffffu),
		/* Before we have an address we cannot take unicast: ask for broadcast replies. */
		.flags = ciaddr == 0 ? DHCP_FLAG_BROADCAST : 0,
		.ciaddr = ciaddr,
		.type = type,
		.requested_address = requested,
		.server_id = server_id,
	};
	struct net_endpoint to = { destination, DHCP_SERVER_PORT };
	uint8_t buffer[DHCP_MESSAGE_MAX];
	int length;

	memcpy(message.chaddr, client->iface->netif->mac, 6);
	length = dhcp_encode(&message, buffer, sizeof(buffer));
	if (length > 0)
		udp_send(client->socket, buffer, (size_t)length, &to);
}

/*
 * Wait until `deadline` for a reply to our transaction of one of the two types; anything
 * else that arrives meanwhile is read and ignored. 0 with *reply filled, or -ETIMEDOUT.
 */
static int wait_reply(struct dhcp_client *client, uint8_t type1, uint8_t type2,
		      struct dhcp_message *reply, uint64_t deadline)
{
	uint8_t buffer[576];            /* the size every DHCP client must accept (RFC 2131 2) */

	for (;;) {
		int length = udp_recv(client->socket, buffer, sizeof(buffer), NULL, deadline);

		if (length < 0)
			return length;
		if (dhcp_parse(buffer, (size_t)length, reply) < 0 || reply->op != DHCP_BOOTREPLY ||
		    reply->xid != client->xid ||
		    memcmp(reply->chaddr, client->iface->netif->mac, 6) != 0)
			continue;
		if (reply->type == type1 || reply->type == type2)
			return 0;
	}
}

/* RFC 2131 4.1: retransmission waits of 4, 8, 16, 32 and 64 s, randomized by +-1 s. */
static uint64_t backoff(struct dhcp_client *client, unsigned int attempt)
{
	uint64_t base = (4ULL << MIN(attempt, 4u)) * NSEC_PER_SEC;
	uint64_t jitter = net_random(client->iface->net) % (2 * NSEC_PER_SEC);

	return base - NSEC_PER_SEC + jitter;
}

static void new_transaction(struct dhcp_client *client)
{
	client->xid = net_random(client->iface->net);
	client->started = time_now();
}

/* The /N of a netmask: its count of leading one bits. */
static unsigned int prefix_length(uint32_t netmask)
{
	unsigned int length = 0;

	while (length < 32 && (netmask & (0x80000000u >> length)))
		length++;
	return length;
}

/* Take a lease from an ACK: configure the interface and compute T1, T2 and expiry. */
static void bind_lease(struct dhcp_client *client, const struct dhcp_message *ack)
{
	uint64_t now = time_now(), lease = ack->lease_time;
	uint64_t t1, t2;
	char address[IPV4_TEXT_MAX], router[IPV4_TEXT_MAX];

	client->address = ack->yiaddr;
	client->netmask = ack->subnet_mask != 0 ? ack->subnet_mask : 0xffffff00u;
	client->router = ack->router;
	if (ack->server_id != 0)
		client->server = ack->server_id;
	if (lease == 0)
		lease = 3600;                   /* a server must send one; be forgiving */
	if (lease == DHCP_LEASE_INFINITE) {
		client->renew_at = client->rebind_at = client->expires_at = TIME_NEVER;
	} else {
		/* RFC 2131 4.4.5: T1 defaults to half the lease, T2 to 7/8. */
		t1 = ack->renewal_time != 0 ? ack->renewal_time : lease / 2;
		t2 = ack->rebinding_time != 0 ? ack->rebinding_time : lease * 7 / 8;
		t2 = MIN(t2, lease);
		t1 = MIN(t1, t2);
		client->renew_at = now + t1 * NSEC_PER_SEC;
		client->rebind_at = now + t2 * NSEC_PER_SEC;
		client->expires_at = now + lease * NSEC_PER_SEC;
	}
	if (client->iface->address != client->address) {
		printf("dhcp: %s: %s/%u gateway %s, lease %lu s\n", client->iface->netif->name,
		       ipv4_format(client->address, address),
		       prefix_length(client->netmask),
		       ipv4_format(client->router, router), (unsigned long)lease);
	}
	net_iface_configure(client->iface, client->address, client->netmask, client->router);
}

/* SELECTING and REQUESTING: returns when the interface has a lease. */
static void acquire(struct dhcp_client *client)
{
	struct dhcp_message offer, reply;

	for (;;) {
		unsigned int attempt = 0;

		new_transaction(client);
		do {
			send_message(client, DHCP_DISCOVER, 0, 0, 0, IPV4_BROADCAST);
		} while (wait_reply(client, DHCP_OFFER, DHCP_OFFER, &offer,
				    time_now() + backoff(client, attempt++)) < 0);
		/* Take the first offer (RFC 2131 allows any choice) and request it. */
		if (offer.yiaddr == 0 || offer.server_id == 0)
			continue;
		for (attempt = 0; attempt < 4; attempt++) {
			send_message(client, DHCP_REQUEST, offer.yiaddr, offer.server_id, 0,
				     IPV4_BROADCAST);
			if (wait_reply(client, DHCP_ACK, DHCP_NAK, &reply,
				       time_now() + backoff(client, attempt)) == 0)
				break;
		}
		if (attempt < 4 && reply.type == DHCP_ACK && reply.yiaddr != 0) {
			client->server = offer.server_id;
			bind_lease(client, &reply);
			return;
		}
		/* A NAK, or no answer: start again from the beginning. */
	}
}

/*
 * RENEWING (unicast to our server until T2) and REBINDING (broadcast to any server until
 * the lease expires). Returns true if the lease was extended, false if it is lost.
 */
static bool extend(struct dhcp_client *client)
{
	struct dhcp_message reply;

	new_transaction(client);
	while (time_now() < client->expires_at) {
		uint64_t now = time_now();
		bool rebinding = now >= client->rebind_at;
		uint64_t phase_end = rebinding ? client->expires_at : client->rebind_at;
		/* RFC 2131 4.4.5: wait half the time left in this phase, at least 60 s. */
		uint64_t wait = MAX((phase_end - now) / 2, 60 * NSEC_PER_SEC);

		send_message(client, DHCP_REQUEST, 0, 0, client->address,
			     rebinding ? IPV4_BROADCAST : client->server);
		if (wait_reply(client, DHCP_ACK, DHCP_NAK, &reply, MIN(now + wait, phase_end)) < 0)
			continue;
		if (reply.type != DHCP_ACK || reply.yiaddr != client->address)
			return false;           /* a NAK: the address is no longer ours */
		bind_lease(client, &reply);
		return true;
	}
	return false;
}

static void dhcp_thread(void *arg)
{
	struct dhcp_client *client = arg;
	struct dhcp_message ignored;

	for (;;) {
		acquire(client);
		for (;;) {
			/* BOUND: nothing to do until T1 (stray messages are read and ignored). */
			while (wait_reply(client, 0, 0, &ignored, client->renew_at) == 0)
				;
			if (!extend(client))
				break;
		}
		printf("dhcp: %s: lease lost, starting over\n", client->iface->netif->name);
		net_iface_configure(client->iface, 0, 0, 0);
	}
}

int dhcp_start(struct net_iface *iface)
{
	struct dhcp_client *client = calloc(1, sizeof(*client));
	int rc;

	if (client == NULL)
		return -ENOMEM;
	client->iface = iface;
	rc = udp_bind_netif(iface->net, iface->netif, DHCP_CLIENT_PORT, &client->socket);
	if (rc < 0) {
		free(client);
		return rc;
	}
	iface->dhcp = client;
	if (thread_create("dhcp", dhcp_thread, client) == NULL) {
		udp_close(client->socket);
		iface->dhcp = NULL;
		free(client);
		return -ENOMEM;
	}
	return 0;
}
