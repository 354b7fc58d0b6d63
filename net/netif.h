/*
 * net/netif.h: a network interface, the boundary between a driver and the stack.
 *
 * Two drivers implement it: TAP in the hosted build (platform/linux/tap.c) and netfront on
 * Xen (to come; until then xen/netif_none.c says there is no interface). A driver fills in a
 * struct netif -- MAC, MTU, features, its operations -- and the stack attaches to it with
 * net_add_netif(). Any number of interfaces can be attached, each with its own address.
 *
 * The flow of a received frame, with the threading (docs/tcpip.md has the whole picture):
 *
 *   1. Something happens outside the threads: on Xen an event-channel upcall from netback,
 *      on Linux poll() finds the TAP descriptor readable. The driver's handler does no work:
 *      it calls netif_notify(), which only sets a flag.
 *   2. The stack's "net" thread waits (sched_wait) for that flag, wakes, and calls the
 *      driver's poll() operation.
 *   3. poll() takes frames off the device and hands each to netif_input(), which counts it
 *      and passes it into the stack (Ethernet, then ARP or IPv4, and so on).
 *
 * Sending is simpler: whichever thread produced the packet calls netif_transmit(), which
 * counts it and calls the driver's transmit() operation. Mote's threads are cooperative, so
 * neither side needs a lock.
 *
 * Checksum offload works both ways through netbuf flags (net/netbuf.h): a driver that sets
 * NETIF_F_TX_CSUM may receive frames with NETBUF_CSUM_PARTIAL, and a driver marks received
 * frames whose checksum the device checked with NETBUF_CSUM_VERIFIED.
 */
#ifndef NET_NETIF_H
#define NET_NETIF_H

#include <stdbool.h>
#include <stdint.h>
#include "net/netbuf.h"

#define NETIF_NAME_MAX  16
#define ETH_ADDRESS_LEN 6

/* Features, in netif.features. */
#define NETIF_F_TX_CSUM (1u << 0)	/* transmit accepts NETBUF_CSUM_PARTIAL frames */
#define NETIF_F_TX_SG   (1u << 1)	/* transmit accepts chains; else netif_transmit flattens */
#define NETIF_F_TX_TSO  (1u << 2)	/* transmit accepts TCP/IPv4 frames with gso_size set */

struct netif;

struct netif_ops {
	/*
	 * Send one frame (a chain whose first fragment starts with the Ethernet header). The
	 * driver owns the frame from here on and frees it, now or when the device is done with
	 * it. Returns 0, or -errno if the frame was dropped (a full ring: -ENOBUFS); the stack
	 * does not retry, TCP's retransmission does.
	 */
	int (*transmit)(struct netif *netif, struct netbuf *frame);
	/*
	 * Called by the net thread after netif_notify(): pass up to `budget` received frames to
	 * netif_input() and return how many were passed. Returning `budget` means "there may be
	 * more": the net thread calls again after letting other threads run.
	 */
	int (*poll)(struct netif *netif, int budget);
	/*
	 * Optional (NULL: nothing to add). Print the driver's own counters after the generic
	 * ones; net_print_stats() calls it. netfront prints its notifications and bad responses.
	 */
	void (*print_stats)(struct netif *netif);
	/*
	 * Optional. Give the device back before the domain ends (net_close()): netfront closes
	 * its connection to the backend and ends every grant. transmit and poll must stay safe
	 * to call afterwards; they then do nothing.
	 */
	void (*close)(struct netif *netif);
};

struct netif_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_dropped;            /* good frames nobody could take (no memory, no stack) */
	uint64_t rx_errors;             /* bad frames: the driver's own checks failed */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_dropped;            /* frames the driver could not queue */
	uint64_t tx_errors;             /* frames the device failed to send */
};

struct netif {
	/* Filled in by the driver before net_add_netif(): */
	char name[NETIF_NAME_MAX];
	uint8_t mac[ETH_ADDRESS_LEN];
	unsigned int mtu;               /* the largest IP packet, without the Ethernet header */
	unsigned int features;          /* NETIF_F_* */
	uint32_t address_hint;          /* an IPv4 address the platform suggests (Xen: the vif's
					   "ip" key), host order; 0 for none */
	const struct netif_ops *ops;
	void *driver;                   /* the driver's own state */

	/* Kept by netif.c and the driver: */
	struct netif_stats stats;
	/* Set by netif_notify(), possibly from an event handler; cleared by the net thread. */
	volatile bool poll_requested;

	/* Set by the stack when it attaches (net_add_netif): */
	void (*input)(struct netif *netif, struct netbuf *frame);
	void (*link_changed)(struct netif *netif);      /* see netif_link_changed() */
	void *stack;                    /* the stack's per-interface state */
};

/*
 * Say "there is work": the net thread will call poll(). Safe from an event handler: it only
 * sets a flag, which the net thread's wait condition reads.
 */
void netif_notify(struct netif *netif);

/*
 * Say "the link went down and came back, maybe with a new MAC": netfront calls this after
 * it reconnected to a new backend (xl network-detach, then network-attach). The stack
 * forgets its neighbours, which may have learned an old MAC or port, and announces its
 * address again with a gratuitous ARP. Call it from a thread, not an event handler.
 */
void netif_link_changed(struct netif *netif);

/*
 * Hand a received frame to the stack; takes ownership. A chain is linearized first; frames
 * that the stack cannot take (no stack attached, no memory) are counted in rx_dropped.
 */
void netif_input(struct netif *netif, struct netbuf *frame);

/*
 * Send a frame through the driver; takes ownership. Flattens chains for drivers without
 * NETIF_F_TX_SG and finishes partial checksums for drivers without NETIF_F_TX_CSUM, so the
 * stack may build frames either way. Returns 0 or -errno.
 */
int netif_transmit(struct netif *netif, struct netbuf *frame);

/*
 * Compute a NETBUF_CSUM_PARTIAL checksum in software and clear the flag, as a device would:
 * sum from csum_start to the end and store the complement at csum_start + csum_offset. The
 * frame must be a single fragment. Returns 0, or -EINVAL if the offsets are out of range.
 */
int netif_finish_checksum(struct netbuf *frame);

/*
 * The platform's interfaces, opened by its driver: TAP devices named on the hosted command
 * line, or netfront's vifs on Xen. Stores up to `max` interfaces and returns how many, or
 * -errno. Each platform links exactly one implementation (the Makefile chooses).
 */
int netif_platform_open(struct netif **interfaces, int max);

#endif
