/*
 * net/dhcp.h: the DHCP client (RFC 2131, options from RFC 2132): how an interface without a
 * static address gets one, and keeps it.
 *
 * The conversation, all over UDP from port 68 to port 67:
 *
 *     client                                  server
 *     DHCPDISCOVER (broadcast)  ----------->
 *                               <-----------  DHCPOFFER   "you could have 10.0.0.2"
 *     DHCPREQUEST (broadcast)   ----------->              "I take 10.0.0.2 from server S"
 *                               <-----------  DHCPACK     "yours for T seconds"
 *     ... at T1 (T/2): DHCPREQUEST unicast to S to renew; at T2 (7T/8): broadcast to any
 *     server (rebinding); at T the lease is gone and the client starts over.
 *
 * The codec (dhcp_encode, dhcp_parse) is separate from the client so that both the unit
 * tests and the fuzzer can drive it with bytes directly.
 */
#ifndef NET_DHCP_H
#define NET_DHCP_H

#include <stddef.h>
#include <stdint.h>

struct net_iface;

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

/* Message types, option 53. */
enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

#define DHCP_BOOTREQUEST 1
#define DHCP_BOOTREPLY   2
#define DHCP_FLAG_BROADCAST 0x8000      /* "answer by broadcast: I cannot take unicast yet" */
#define DHCP_LEASE_INFINITE 0xffffffffu

/*
 * The fields of a message that Mote uses. Addresses are host order; an option that was
 * absent is 0. Times are seconds.
 */
struct dhcp_message {
	uint8_t op;                     /* DHCP_BOOTREQUEST or DHCP_BOOTREPLY */
	uint32_t xid;                   /* transaction id: pairs replies with requests */
	uint16_t secs, flags;
	uint32_t ciaddr;                /* the client's current address (renewing) */
	uint32_t yiaddr;                /* "your" address: what the server offers */
	uint32_t siaddr, giaddr;
	uint8_t chaddr[6];              /* the client's MAC address */
	uint8_t type;                   /* enum dhcp_type, option 53 */
	uint32_t server_id;             /* option 54 */
	uint32_t requested_address;     /* option 50 */
	uint32_t subnet_mask;           /* option 1 */
	uint32_t router;                /* option 3, the first router */
	uint32_t dns_server;            /* option 6, the first server */
	uint32_t lease_time;            /* option 51 */
	uint32_t renewal_time;          /* option 58, T1 */
	uint32_t rebinding_time;        /* option 59, T2 */
};

/* The fixed part (236 bytes), the magic cookie, and room for our few options. */
#define DHCP_FIXED_LEN   236
#define DHCP_MESSAGE_MAX 300

/*
 * Write `message` into `buffer` as a client would: the fixed fields, the magic cookie, and
 * the options that are set (type, requested address, server id), plus a parameter request
 * list. Returns the length, or -ENOSPC if `size` is too small.
 */
int dhcp_encode(const struct dhcp_message *message, uint8_t *buffer, size_t size);

/*
 * Read a message. Every field and option length is checked against `length`; anything
 * malformed -- short, wrong cookie, not Ethernet, an option running past the end, a missing
 * or unknown message type -- is -EBADMSG. Options Mote does not use are skipped, and the
 * "option overload" of sname and file (option 52) is not honoured.
 */
int dhcp_parse(const uint8_t *packet, size_t length, struct dhcp_message *out);

/* Start the DHCP client thread of an interface: 0 or -ENOMEM. */
int dhcp_start(struct net_iface *iface);

#endif
