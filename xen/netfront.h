/*
 * xen/netfront.h: the Xen network frontend. Each vif the toolstack gives the guest
 * (device/vif/<id> in xenstore) becomes a struct netif (net/netif.h) that the TCP/IP stack
 * attaches to. netfront speaks public/io/netif.h with the backend, Linux's netback in dom0:
 * two shared rings (transmit and receive) of granted pages and one event channel.
 *
 * Most code never includes this header: net_open() calls netif_platform_open(), which
 * netfront implements by opening every vif it finds. The calls below are for tests and for
 * code that wants the driver's own counters. docs/netfront.md explains the protocol.
 */
#ifndef XEN_NETFRONT_H
#define XEN_NETFRONT_H

#include <stdint.h>
#include "net/netif.h"

struct netfront;

/* netfront's own counters; the generic ones are in netif->stats. */
struct netfront_stats {
	uint64_t events;                /* event-channel upcalls from the backend */
	uint64_t notifications;         /* event-channel notifications we sent */
	uint64_t tx_pushes, rx_pushes;  /* times we published new requests ... */
	uint64_t tx_suppressed, rx_suppressed;  /* ... and the backend did not need telling */
	uint64_t bad_responses;         /* responses that broke the protocol: counted, dropped */
	uint64_t rx_multislot;          /* frames that arrived in more than one slot */
	uint64_t rx_extras;             /* extra-info slots skipped */
	uint64_t rx_checksum_trusted;   /* frames marked NETRXF_data_validated or csum_blank */
	uint64_t tx_checksum_offloaded; /* frames sent with NETTXF_csum_blank */
	uint64_t tx_multislot;          /* frames sent in more than one slot */
	uint64_t tx_gso;                /* frames the backend segments (XEN_NETIF_EXTRA_TYPE_GSO) */
	uint64_t tx_backlogged;         /* frames that waited for room on a full ring */
	uint64_t tx_ring_full;          /* frames refused: ring and backlog full */
	uint64_t grants_leaked;         /* grants the backend kept: page and reference given up */
	uint64_t connects;              /* successful handshakes (more than one: re-attached) */
	unsigned int rx_posted;         /* receive buffers on the ring now (granted) */
	unsigned int tx_in_flight;      /* transmit slots not yet answered (granted) */
	unsigned int rx_buffers;        /* receive buffers allocated (posted, spare or in use) */
};

/*
 * Connect to device/vif/<id>: find the backend, do the handshake and start the thread that
 * watches the connection (it reconnects to a new vif after xl network-detach and
 * network-attach). On success *out holds the device, and netfront_netif() is its interface,
 * ready for net_add_netif(). Returns 0 or -errno; nothing is left behind on failure.
 */
int netfront_create(const char *id, struct netfront **out);

/*
 * Close the connection (backend first, then every grant) and free the device. Only for a
 * device whose netif no stack holds: net_close() (netif_ops.close) is how a running stack
 * lets go of its interfaces. Tolerates a device that was only half set up.
 */
void netfront_destroy(struct netfront *netfront);

struct netif *netfront_netif(struct netfront *netfront);
void netfront_stats(struct netfront *netfront, struct netfront_stats *out);

#endif
