/*
 * xen/netfront.c: the network frontend (xen/netfront.h). It implements net/netif.h's driver
 * side -- transmit, poll, netif_platform_open -- against public/io/netif.h, the protocol that
 * Linux's netback speaks, over the shared rings of public/io/ring.h. docs/netfront.md walks
 * through it with numbers from the boot tests.
 *
 * The pieces:
 *   - Two rings, one page each, granted to the backend: on the transmit (tx) ring we post
 *     frames to send, on the receive (rx) ring empty pages for the backend to copy frames
 *     into. Each request carries an id from an id pool (lib/id_pool.h); its response echoes
 *     it, and the id indexes our private record of the request. One event channel serves
 *     both rings.
 *   - Transmit runs in whichever thread sends (netif_transmit): a grant per fragment, the
 *     requests, a notification only if the backend asked for one.
 *   - Poll runs in the stack's net thread after our event handler called netif_notify():
 *     it reaps transmit responses (ending their grants, freeing the frames), takes received
 *     frames off the rx ring (ending the grants of their pages first), hands them to
 *     netif_input(), and fills the ring up again.
 *   - A thread per device, "netfront", owns the connection: the handshake, and after the
 *     backend goes away (xl network-detach) the teardown and the search for a new vif.
 *
 * The backend is another domain and is not trusted. Everything it writes into a ring is
 * read once, into our own memory, and checked there: ids, offsets, sizes, flags, statuses
 * and the ring indices themselves. A bad response is counted and dropped; a backend that
 * keeps sending them is no longer listened to (the device is "broken"); Mote stays up.
 */
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <xen/xen.h>
#include <xen/io/netif.h>
#include "xen/netfront.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/time.h"
#include "xen/xenbus.h"
#include "xen/xenstore.h"
#include "kernel/sched.h"
#include "net/eth.h"
#include "net/net.h"
#include "net/netbuf.h"
#include "net/netif.h"
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/id_pool.h"
#include "lib/list.h"
#include "lib/page_alloc.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

/* One page per ring: 256 slots each (ring.h rounds the entries that fit down to a power of 2). */
#define TX_RING_SIZE __CONST_RING_SIZE(netif_tx, PAGE_SIZE)
#define RX_RING_SIZE __CONST_RING_SIZE(netif_rx, PAGE_SIZE)

/*
 * Slots one frame may take. netif.h: every backend must accept XEN_NETIF_NR_SLOTS_MIN (18)
 * from us, and 18 pages also bound what a sane backend sends us (a 64 KiB frame).
 */
#define MAX_SLOTS_PER_FRAME XEN_NETIF_NR_SLOTS_MIN
/* Extra-info slots after a received frame's first slot: one of each type at most. */
#define MAX_RX_EXTRAS (XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Receive buffers we allocate at most: a full ring, and as many again in the stack's hands. */
#define MAX_RX_BUFFERS (2 * RX_RING_SIZE)
/* Ask for a transmit-completion event only after this many responses (see tx_reap). */
#define TX_EVENT_BATCH 32u
/*
 * Frames that wait for room on a full transmit ring; more are dropped (-ENOBUFS). netback
 * answers a request only when dom0 has freed the data (it maps our pages rather than copy
 * them), so a slow reader in dom0 keeps the ring full; waiting here costs at most a page per
 * frame, a drop costs TCP a retransmission.
 */
#define TX_BACKLOG_MAX 256u
/* This many bad responses, and the backend is no longer believed at all. */
#define BAD_RESPONSE_LIMIT 16u
/* How long the backend may take for each step of connecting and of closing. */
#define HANDSHAKE_TIMEOUT (10 * NSEC_PER_SEC)
/* The largest IP packet the stack may build: a frame must fit a netbuf page. */
#define MAX_MTU (PAGE_SIZE - NETBUF_HEADROOM - ETH_HEADER_LEN)
#define DEFAULT_MTU 1500u
/* Devices netfront manages at most (the stack takes NET_MAX_IFACES of them). */
#define MAX_DEVICES 8
#define NO_ID UINT16_MAX

enum netfront_state {
	NETFRONT_DISCONNECTED,  /* no backend: transmit and poll do nothing */
	NETFRONT_CONNECTED,
	NETFRONT_BROKEN,        /* the backend broke the protocol: rings ignored until it closes */
	NETFRONT_CLOSED,        /* net_close(): for good */
};

/*
 * A receive buffer: one page and the netbuf descriptor that carries it through the stack.
 * The descriptor lives outside the page, which the backend can write (net/netbuf.h).
 */
struct rx_buffer {
	struct netbuf netbuf;       /* netbuf.owner is the netfront */
	uint8_t *page;
	grant_ref_t ref;            /* while posted: the grant that lets the backend write page */
	struct list_node link;      /* in rx_spare while nobody uses it */
};

/* Our record of one transmit slot (one request, one grant), indexed by its id. */
struct tx_slot {
	struct netbuf *frame;       /* in the frame's first slot: the chain to free at the end */
	grant_ref_t ref;
	uint16_t head;              /* the id of the frame's first slot */
	uint16_t next;              /* the frame's next slot, NO_ID after the last */
	uint16_t pending;           /* in the first slot: slots of the frame not yet answered */
	bool answered;
	bool keep_pages;            /* in the first slot: a grant could not end, never free */
};

/* A received frame whose slots are still arriving (a multi-slot frame can span polls). */
struct rx_frame {
	struct netbuf *head, *tail; /* the fragments kept so far */
	unsigned int slots;         /* data slots seen */
	unsigned int extras;        /* extra-info slots seen */
	bool started;               /* its first slot was seen */
	bool extra_follows;         /* the next slot is extra info */
	bool bad;                   /* drop it when it ends */
	uint16_t flags;             /* NETRXF_* of the first slot */
};

struct netfront {
	struct netif netif;         /* what the stack holds: lives as long as the device */
	unsigned int index;         /* vif<index> */
	volatile enum netfront_state state;
	char id[12];                /* the device/vif/<id> we use; "" while we have none */
	struct xenbus_device xenbus;
	bool xenbus_open;
	evtchn_port_t port;
	bool port_bound;
	bool published;             /* the backend knows our rings: it may have mapped them */
	unsigned int bad_responses; /* since this connection started */
	bool sg;                    /* the backend takes multi-slot frames (its feature-sg) */
	bool gso;                   /* ... and large TCP/IPv4 frames it segments (feature-gso-tcpv4) */

	/* The transmit ring. Our indices live here; the shared ones are written, never read back. */
	netif_tx_sring_t *tx_sring;
	grant_ref_t tx_ring_ref;
	bool tx_ring_granted;
	RING_IDX tx_req_prod;       /* the next request goes here */
	RING_IDX tx_published;      /* what the backend has been told */
	RING_IDX tx_rsp_cons;       /* the next response to read */
	struct tx_slot tx_slots[TX_RING_SIZE];
	uint32_t tx_id_storage[TX_RING_SIZE];
	struct id_pool tx_ids;
	unsigned int tx_extras;         /* extra-info slots sent whose NETIF_RSP_NULL is due */
	struct list_node tx_backlog;    /* struct netbuf (by link): frames waiting for room */
	unsigned int tx_backlog_count;

	/* The receive ring. */
	netif_rx_sring_t *rx_sring;
	grant_ref_t rx_ring_ref;
	bool rx_ring_granted;
	RING_IDX rx_req_prod, rx_published, rx_rsp_cons;
	struct rx_buffer *rx_posted[RX_RING_SIZE];      /* by id */
	uint16_t rx_id_at[RX_RING_SIZE];                /* by ring position: the id posted there */
	uint32_t rx_id_storage[RX_RING_SIZE];
	struct id_pool rx_ids;
	struct rx_frame rx_frame;
	struct list_node rx_spare;  /* struct rx_buffer, not granted, ready to post */
	unsigned int rx_buffers;    /* allocated and not given up */

	/* The thread that owns the connection. */
	struct thread *thread;
	volatile bool close_requested;
	volatile bool thread_done;
	uint64_t seen_generation;   /* of the vif list, when we last looked for a new vif */

	struct netfront_stats stats;
};

/* Every device, so a device looking for a new vif skips the ones others use. */
static struct {
	struct netfront *devices[MAX_DEVICES];
	unsigned int count;
	struct xs_watch *watch;             /* on device/vif */
	volatile uint64_t generation;       /* bumped by the watch: the vif list changed */
} netfronts;

static void netfront_disconnect(struct netfront *nf);
static void tx_drain_backlog(struct netfront *nf);

/* ---- Trouble -------------------------------------------------------------------------- */

/*
 * The backend broke the protocol: count it and say what it did, the first few times only
 * (a hostile backend must not flood the console). Past BAD_RESPONSE_LIMIT in one connection
 * the device is broken: the rings are no longer read or written, so nothing the backend does
 * reaches the stack, until it closes the device and a new one is attached. Requests in
 * flight stay granted until then: the backend may still be using those pages.
 */
static void __attribute__((format(printf, 2, 3))) bad_response(struct netfront *nf,
								const char *format, ...)
{
	va_list args;

	nf->stats.bad_responses++;
	nf->bad_responses++;
	if (nf->bad_responses <= 4) {
		printf("netfront: %s: bad response: ", nf->netif.name);
		va_start(args, format);
		vprintf(format, args);
		va_end(args);
		printf("\n");
	}
	if (nf->bad_responses >= BAD_RESPONSE_LIMIT && nf->state == NETFRONT_CONNECTED) {
		nf->state = NETFRONT_BROKEN;
		printf("netfront: %s: %u bad responses: device broken until the backend closes it\n",
		       nf->netif.name, nf->bad_responses);
	}
}

/* Ring indices that cannot be true: nothing more the backend writes can be believed. */
static void ring_broken(struct netfront *nf, const char *ring, RING_IDX rsp_prod, RING_IDX cons,
			RING_IDX req_prod)
{
	nf->stats.bad_responses++;
	if (nf->state != NETFRONT_CONNECTED)
		return;
	nf->state = NETFRONT_BROKEN;
	printf("netfront: %s: %s rsp_prod %u is not between rsp_cons %u and req_prod %u: "
	       "device broken until the backend closes it\n", nf->netif.name, ring, rsp_prod, cons,
	       req_prod);
}

/*
 * End a grant whose request is over. A backend that answered but still maps the page keeps
 * it: gnttab_end_access then refuses (-EBUSY) and never hands the reference out again, and
 * the caller must never reuse the page either (docs/grants.md).
 */
static bool end_grant(struct netfront *nf, grant_ref_t ref)
{
	if (gnttab_end_access(ref) == 0)
		return true;
	nf->stats.grants_leaked++;
	return false;
}

/* ---- Notifications (public/io/ring.h) -------------------------------------------------- */

static void notify_backend(struct netfront *nf)
{
	nf->stats.notifications++;
	evtchn_notify(nf->port);
}

/*
 * Publish requests old..new-1 and say whether the backend must be told. This is
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: a backend that runs out of requests sets req_event
 * to the index it waits for (usually its req_cons + 1) and sleeps. If the new requests
 * reach that index it is asleep and needs an event; otherwise it is still working and will
 * see them without one. Under load the backend is mostly working, so most pushes notify
 * nobody: that is the whole point.
 */
static bool push_requests(RING_IDX *shared_req_prod, const RING_IDX *shared_req_event,
			  RING_IDX old, RING_IDX new)
{
	RING_IDX event;

	/* The requests must be in the ring before the index that announces them... */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(*shared_req_prod, new);
	/* ...and the index visible before we read req_event, else we and the backend could
	 * each believe the other will look again: a full barrier. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = READ_ONCE(*shared_req_event);
	/* "Did the published range (old, new] pass event?", in arithmetic that wraps. */
	return (RING_IDX)(new - event) < (RING_IDX)(new - old);
}

static void tx_push(struct netfront *nf)
{
	if (nf->tx_published == nf->tx_req_prod)
		return;
	nf->stats.tx_pushes++;
	if (push_requests(&nf->tx_sring->req_prod, &nf->tx_sring->req_event, nf->tx_published,
			  nf->tx_req_prod))
		notify_backend(nf);
	else
		nf->stats.tx_suppressed++;
	nf->tx_published = nf->tx_req_prod;
}

static void rx_push(struct netfront *nf)
{
	if (nf->rx_published == nf->rx_req_prod)
		return;
	nf->stats.rx_pushes++;
	if (push_requests(&nf->rx_sring->req_prod, &nf->rx_sring->req_event, nf->rx_published,
			  nf->rx_req_prod))
		notify_backend(nf);
	else
		nf->stats.rx_suppressed++;
	nf->rx_published = nf->rx_req_prod;
}

/*
 * The backend's event: runs in the upcall, with events masked, so it only counts and asks
 * the net thread to poll (net/netif.h). Both rings share the channel; poll looks at both.
 */
static void netfront_event(evtchn_port_t port, void *arg)
{
	struct netfront *nf = arg;

	(void)port;
	nf->stats.events++;
	netif_notify(&nf->netif);
}

/* ---- Transmit -------------------------------------------------------------------------- */

/* Free slots: ring positions and ids are counted apart, as a bogus response frees a
 * position but no id (the same reasoning as blkfront's). */
static unsigned int tx_free_slots(const struct netfront *nf)
{
	unsigned int positions = TX_RING_SIZE - (nf->tx_req_prod - nf->tx_rsp_cons);
	unsigned int ids = nf->tx_ids.capacity - nf->tx_ids.in_use;

	return MIN(positions, ids);
}

/* A frame is over: every slot answered (or abandoned at disconnect). Give the ids back and
 * free the frame -- unless the backend kept a page, which must then never be reused. */
static void tx_frame_done(struct netfront *nf, uint16_t head)
{
	struct tx_slot *first = &nf->tx_slots[head];
	struct netbuf *frame = first->frame;
	bool keep = first->keep_pages;

	for (uint16_t id = head; id != NO_ID;) {
		uint16_t next = nf->tx_slots[id].next;

		nf->tx_slots[id] = (struct tx_slot){ .head = NO_ID, .next = NO_ID };
		id_pool_put(&nf->tx_ids, id);
		id = next;
	}
	if (!keep)
		netbuf_free(frame);
}

/*
 * One transmit response, copied out of the ring. The checks: the status is one netif.h
 * defines for a request we made; NETIF_RSP_NULL answers an extra-info slot (its id means
 * nothing), so there must be one outstanding; any other id names a slot in flight that was
 * not answered yet.
 */
static void tx_complete(struct netfront *nf, struct netif_tx_response response)
{
	struct tx_slot *slot, *first;

	if (response.status == NETIF_RSP_NULL) {
		if (nf->tx_extras == 0)
			bad_response(nf, "tx: NETIF_RSP_NULL, but no extra-info slot is outstanding");
		else
			nf->tx_extras--;
		return;
	}
	if (response.id >= TX_RING_SIZE || !id_pool_in_use(&nf->tx_ids, response.id) ||
	    nf->tx_slots[response.id].answered) {
		bad_response(nf, "tx id %u is not a request in flight", response.id);
		return;
	}
	slot = &nf->tx_slots[response.id];
	first = &nf->tx_slots[slot->head];
	switch (response.status) {
	case NETIF_RSP_OKAY:
		break;
	case NETIF_RSP_DROPPED:
		nf->netif.stats.tx_dropped++;
		break;
	case NETIF_RSP_ERROR:
		nf->netif.stats.tx_errors++;
		break;
	default:
		bad_response(nf, "tx id %u: unknown status %d", response.id, response.status);
		nf->netif.stats.tx_errors++;
		break;
	}
	/* The backend is done with the page: take its access away before anything reuses it. */
	slot->answered = true;
	if (!end_grant(nf, slot->ref))
		first->keep_pages = true;
	if (--first->pending == 0)
		tx_frame_done(nf, slot->head);
}

/*
 * Read the transmit responses, put waiting frames on the ring, then choose when we want the
 * next event. The backend sends one when rsp_prod passes rsp_event
 * (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY). We reap on every poll and whenever transmit
 * needs room, so a completion event is only needed when frames pile up: ask for one after
 * half of what is in flight, and never for fewer than TX_EVENT_BATCH responses; a lone
 * frame is reaped by the next transmit or poll. Frames in the backlog want room soon, so
 * then the event comes after a quarter.
 */
static void tx_reap(struct netfront *nf)
{
	for (;;) {
		RING_IDX prod = READ_ONCE(nf->tx_sring->rsp_prod), in_flight;

		/* The responses must not be read before the index that announced them. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((RING_IDX)(prod - nf->tx_rsp_cons) > (RING_IDX)(nf->tx_req_prod - nf->tx_rsp_cons)) {
			ring_broken(nf, "tx", prod, nf->tx_rsp_cons, nf->tx_req_prod);
			return;
		}
		while (nf->tx_rsp_cons != prod && nf->state == NETFRONT_CONNECTED) {
			/* One volatile copy: the backend may rewrite the slot while we look. */
			struct netif_tx_response response =
				READ_ONCE(nf->tx_sring->ring[nf->tx_rsp_cons & (TX_RING_SIZE - 1)].rsp);

			nf->tx_rsp_cons++;
			tx_complete(nf, response);
		}
		if (nf->state != NETFRONT_CONNECTED)
			return;
		tx_drain_backlog(nf);
		in_flight = nf->tx_req_prod - nf->tx_rsp_cons;
		/* Frames waiting for room want the event sooner: after a quarter of the ring. */
		WRITE_ONCE(nf->tx_sring->rsp_event,
			   nf->tx_rsp_cons + (nf->tx_backlog_count > 0
					      ? MAX(in_flight / 4, 1u)
					      : MAX(in_flight / 2, TX_EVENT_BATCH)));
		/* Responses that came before rsp_event was set raise no event: look once more. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (READ_ONCE(nf->tx_sring->rsp_prod) == prod)
			return;
	}
}

/* Slots a fragment takes: one per page it touches (a request cannot cross a page). */
static unsigned int fragment_slots(const struct netbuf *fragment)
{
	uintptr_t start = (uintptr_t)fragment->data;

	if (fragment->length == 0)
		return 0;
	return (unsigned int)((ALIGN_DOWN(start + fragment->length - 1, PAGE_SIZE) -
			       ALIGN_DOWN(start, PAGE_SIZE)) / PAGE_SIZE + 1);
}

static unsigned int frame_slots(const struct netbuf *frame)
{
	unsigned int slots = 0;

	for (; frame != NULL; frame = frame->next)
		slots += fragment_slots(frame);
	return slots;
}

/*
 * Grant every page of the frame read-only (the backend only reads what we send) and build
 * its requests in `requests`. netif.h's transmit format: the first request's size is the
 * whole frame's, later ones their own; every request but the last has NETTXF_more_data; the
 * checksum flags go on the first. Returns the slot count, or -errno with nothing held.
 */
static int tx_build(struct netfront *nf, struct netbuf *frame, size_t total,
		    netif_tx_request_t *requests)
{
	unsigned int count = 0;
	int rc = 0;

	for (struct netbuf *fragment = frame; fragment != NULL; fragment = fragment->next) {
		uint8_t *data = fragment->data;
		size_t left = fragment->length;

		while (left > 0) {
			size_t offset = (uintptr_t)data & (PAGE_SIZE - 1);
			size_t chunk = MIN(left, PAGE_SIZE - offset);
			struct tx_slot *slot;
			uint32_t id;

			rc = id_pool_get(&nf->tx_ids, &id);
			if (rc < 0)
				goto undo;
			slot = &nf->tx_slots[id];
			rc = gnttab_grant_page(nf->xenbus.backend_id, data - offset, true, &slot->ref);
			if (rc < 0) {
				id_pool_put(&nf->tx_ids, id);
				goto undo;
			}
			slot->head = count == 0 ? (uint16_t)id : requests[0].id;
			slot->next = NO_ID;
			slot->answered = false;
			if (count > 0) {
				nf->tx_slots[requests[count - 1].id].next = (uint16_t)id;
				requests[count - 1].flags |= NETTXF_more_data;
			}
			requests[count] = (netif_tx_request_t){
				.gref = slot->ref,
				.offset = (uint16_t)offset,
				.flags = 0,
				.id = (uint16_t)id,
				.size = (uint16_t)(count == 0 ? total : chunk),
			};
			count++;
			data += chunk;
			left -= chunk;
		}
	}
	if (frame->flags & NETBUF_CSUM_PARTIAL) {
		/* Leave the TCP/UDP checksum to the backend (the field holds the pseudo-header
		 * sum, as Linux's CHECKSUM_PARTIAL does), and vouch for the data. */
		requests[0].flags |= NETTXF_csum_blank | NETTXF_data_validated;
		nf->stats.tx_checksum_offloaded++;
	}
	return (int)count;

undo:
	/* Nobody was told these references, but a hostile backend need not be told: end them
	 * the careful way too. */
	while (count > 0) {
		uint16_t id = requests[--count].id;

		end_grant(nf, nf->tx_slots[id].ref);
		nf->tx_slots[id] = (struct tx_slot){ .head = NO_ID, .next = NO_ID };
		id_pool_put(&nf->tx_ids, id);
	}
	return rc;
}

/*
 * Put one frame on the ring (the caller made sure there is room); the caller publishes it
 * with tx_push. On failure the frame is freed.
 */
static int tx_send(struct netfront *nf, struct netbuf *frame)
{
	netif_tx_request_t requests[MAX_SLOTS_PER_FRAME];
	int count = tx_build(nf, frame, netbuf_chain_length(frame), requests);

	if (count < 0) {
		netbuf_free(frame);
		return count;
	}
	/* The first slot owns the frame until every slot is answered. */
	nf->tx_slots[requests[0].id].frame = frame;
	nf->tx_slots[requests[0].id].pending = (uint16_t)count;
	nf->tx_slots[requests[0].id].keep_pages = false;
	if (count > 1)
		nf->stats.tx_multislot++;
	if (frame->gso_size != 0)
		requests[0].flags |= NETTXF_extra_info;
	nf->tx_sring->ring[nf->tx_req_prod++ & (TX_RING_SIZE - 1)].req = requests[0];
	if (frame->gso_size != 0) {
		/*
		 * Segmentation offload: the slot after the first request is not a request but a
		 * netif_extra_info that tells the backend the MSS (netif.h, XEN_NETIF_EXTRA_TYPE_GSO).
		 * It uses a ring position and no id; the backend answers it with NETIF_RSP_NULL.
		 */
		netif_extra_info_t *extra =
			(netif_extra_info_t *)&nf->tx_sring->ring[nf->tx_req_prod++ & (TX_RING_SIZE - 1)].req;

		*extra = (netif_extra_info_t){
			.type = XEN_NETIF_EXTRA_TYPE_GSO,
			.u.gso = { .size = frame->gso_size, .type = XEN_NETIF_GSO_TYPE_TCPV4 },
		};
		nf->tx_extras++;
		nf->stats.tx_gso++;
	}
	for (int i = 1; i < count; i++)
		nf->tx_sring->ring[nf->tx_req_prod++ & (TX_RING_SIZE - 1)].req = requests[i];
	return 0;
}

/* Ring positions a frame takes: its slots, and one more for a segmentation offload's extra. */
static unsigned int frame_positions(const struct netbuf *frame)
{
	return frame_slots(frame) + (frame->gso_size != 0 ? 1 : 0);
}

/* Frames that waited for room go out, oldest first, while there is room. */
static void tx_drain_backlog(struct netfront *nf)
{
	bool sent = false;

	while (!list_empty(&nf->tx_backlog)) {
		struct netbuf *frame = list_first_entry(&nf->tx_backlog, struct netbuf, link);

		if (tx_free_slots(nf) < frame_positions(frame))
			break;
		list_remove(&frame->link);
		nf->tx_backlog_count--;
		if (tx_send(nf, frame) < 0)
			nf->netif.stats.tx_dropped++;
		sent = true;
	}
	if (sent)
		tx_push(nf);
}

/*
 * Frames that never went out, at disconnect. The stack counted them as sent when transmit
 * accepted them; they are counted again as dropped, so the counters add up.
 */
static void tx_drop_backlog(struct netfront *nf)
{
	while (!list_empty(&nf->tx_backlog)) {
		struct netbuf *frame = list_first_entry(&nf->tx_backlog, struct netbuf, link);

		list_remove(&frame->link);
		netbuf_free(frame);
		nf->netif.stats.tx_dropped++;
	}
	nf->tx_backlog_count = 0;
}

/*
 * netif_ops.transmit. A full ring does not drop the frame at once: dropping costs TCP a
 * retransmission timeout, while the backend is usually about to answer a whole batch. Up to
 * TX_BACKLOG_MAX frames wait in order for room (tx_reap sends them); beyond that, -ENOBUFS.
 */
static int netfront_transmit(struct netif *netif, struct netbuf *frame)
{
	struct netfront *nf = netif->driver;
	unsigned int slots;
	size_t total;
	int rc;

	if (nf->state != NETFRONT_CONNECTED) {
		netbuf_free(frame);
		return -ENETDOWN;
	}
	total = netbuf_chain_length(frame);
	if (total < ETH_HEADER_LEN || total > XEN_NETIF_MAX_TX_SIZE ||
	    (frame->gso_size != 0 && !nf->gso)) {
		netbuf_free(frame);
		return -EMSGSIZE;
	}
	/* Too many pieces for one frame (or a backend without feature-sg): one piece instead. */
	slots = frame_slots(frame);
	if (slots > MAX_SLOTS_PER_FRAME || (slots > 1 && !nf->sg)) {
		frame = netbuf_linearize(frame);
		if (frame == NULL)
			return -ENOMEM;
		slots = frame_slots(frame);
		if (slots > 1 && !nf->sg) {
			netbuf_free(frame);
			return -EMSGSIZE;
		}
	}
	/* Room now, and nobody waiting before us: straight onto the ring. */
	slots = frame_positions(frame);
	if (nf->tx_backlog_count == 0 && tx_free_slots(nf) < slots)
		tx_reap(nf);
	if (nf->state == NETFRONT_CONNECTED && nf->tx_backlog_count == 0 &&
	    tx_free_slots(nf) >= slots) {
		rc = tx_send(nf, frame);
		if (rc < 0)
			return rc;
		tx_push(nf);
		/* Reap what the backend finished meanwhile, so pages go back soon (but spare a
		 * sender that streams segments tx_reap's barriers when there is nothing new). */
		if (READ_ONCE(nf->tx_sring->rsp_prod) != nf->tx_rsp_cons)
			tx_reap(nf);
		return 0;
	}
	if (nf->state == NETFRONT_CONNECTED && nf->tx_backlog_count < TX_BACKLOG_MAX) {
		list_add_tail(&nf->tx_backlog, &frame->link);
		nf->tx_backlog_count++;
		nf->stats.tx_backlogged++;
		/* The first frame to wait makes the next completion event come sooner. */
		tx_reap(nf);
		return 0;
	}
	nf->stats.tx_ring_full++;
	netbuf_free(frame);
	return -ENOBUFS;
}

/* ---- Receive --------------------------------------------------------------------------- */

/* The stack is done with a received fragment: its page comes back for the ring. */
static void rx_buffer_release(struct netbuf *netbuf)
{
	struct rx_buffer *buffer = container_of(netbuf, struct rx_buffer, netbuf);
	struct netfront *nf = netbuf->owner;

	list_add_head(&nf->rx_spare, &buffer->link);
}

/*
 * A buffer for the ring: a spare one, else a new page and descriptor. The cap bounds what a
 * stack that holds on to received frames (or a bug that leaks them) can cost us; when it is
 * reached the ring simply stays short until buffers come back.
 */
static struct rx_buffer *rx_buffer_get(struct netfront *nf)
{
	struct rx_buffer *buffer;

	if (!list_empty(&nf->rx_spare))
		return list_entry(list_pop_head(&nf->rx_spare), struct rx_buffer, link);
	if (nf->rx_buffers >= MAX_RX_BUFFERS)
		return NULL;
	buffer = malloc(sizeof(*buffer));
	if (buffer == NULL)
		return NULL;
	buffer->page = page_alloc(1);
	if (buffer->page == NULL) {
		free(buffer);
		return NULL;
	}
	nf->rx_buffers++;
	return buffer;
}

/*
 * Keep the receive ring full: every free position gets an empty page, granted read-write to
 * the backend, which copies a frame into it (request-rx-copy). The id goes in the request;
 * the position remembers the id, because netif.h promises that each response comes back in
 * the position of the request it answers.
 */
static void rx_refill(struct netfront *nf)
{
	while (nf->rx_req_prod - nf->rx_rsp_cons < RX_RING_SIZE) {
		RING_IDX position = nf->rx_req_prod & (RX_RING_SIZE - 1);
		struct rx_buffer *buffer = rx_buffer_get(nf);
		uint32_t id;

		if (buffer == NULL)
			break;                  /* out of memory: try again at the next poll */
		if (id_pool_get(&nf->rx_ids, &id) < 0) {
			list_add_head(&nf->rx_spare, &buffer->link);
			break;
		}
		if (gnttab_grant_page(nf->xenbus.backend_id, buffer->page, false, &buffer->ref) < 0) {
			id_pool_put(&nf->rx_ids, id);
			list_add_head(&nf->rx_spare, &buffer->link);
			break;
		}
		nf->rx_posted[id] = buffer;
		nf->rx_id_at[position] = (uint16_t)id;
		nf->rx_sring->ring[position].req = (netif_rx_request_t){ .id = (uint16_t)id,
									.gref = buffer->ref };
		nf->rx_req_prod++;
	}
}

/*
 * Take back the buffer posted at the next response position, with its grant ended: from
 * here on the backend cannot write the page, so what the stack parses cannot change under
 * it. NULL if the backend kept the page mapped: it is given up, never read nor reused.
 */
static struct rx_buffer *rx_take(struct netfront *nf, uint16_t *posted_id)
{
	RING_IDX position = nf->rx_rsp_cons++ & (RX_RING_SIZE - 1);
	uint16_t id = nf->rx_id_at[position];
	struct rx_buffer *buffer = nf->rx_posted[id];

	*posted_id = id;
	nf->rx_posted[id] = NULL;
	id_pool_put(&nf->rx_ids, id);
	if (!end_grant(nf, buffer->ref)) {
		nf->rx_buffers--;
		bad_response(nf, "rx id %u: the backend still maps the page after answering", id);
		return NULL;
	}
	return buffer;
}

/* The frame is complete (or hopeless): to the stack if it is good, else dropped. */
static void rx_frame_end(struct netfront *nf)
{
	struct rx_frame *frame = &nf->rx_frame;
	struct netbuf *head = frame->head;

	if (frame->bad || head == NULL) {
		nf->netif.stats.rx_errors++;
		netbuf_free(head);
	} else {
		/* NETRXF_data_validated: the backend checked the checksum. NETRXF_csum_blank: the
		 * frame comes from a domain on this host that left it for "hardware" to fill in,
		 * so the field holds no checksum to check. Either way the stack must not. */
		if (frame->flags & (NETRXF_data_validated | NETRXF_csum_blank)) {
			head->flags |= NETBUF_CSUM_VERIFIED;
			nf->stats.rx_checksum_trusted++;
		}
		if (frame->slots > 1)
			nf->stats.rx_multislot++;
		netif_input(&nf->netif, head);
	}
	*frame = (struct rx_frame){ 0 };
}

/*
 * One response slot, in the order netif.h's receive format gives them: a data slot, extra
 * info after the first one if it says NETRXF_extra_info (each extra saying whether another
 * follows), more data slots while NETRXF_more_data is set. Returns true when a frame ended.
 */
static bool rx_slot(struct netfront *nf)
{
	struct rx_frame *frame = &nf->rx_frame;
	RING_IDX index = nf->rx_rsp_cons;
	/* One volatile copy: the backend may rewrite the slot while we look. */
	struct netif_rx_response response =
		READ_ONCE(nf->rx_sring->ring[index & (RX_RING_SIZE - 1)].rsp);
	struct rx_buffer *buffer;
	uint16_t id;

	buffer = rx_take(nf, &id);

	if (frame->extra_follows) {
		/* Extra info overlays the response (netif.h): type, flags, type-specific data. We
		 * negotiate nothing that needs one (GSO, hashing), so each is skipped. */
		struct netif_extra_info extra;

		memcpy(&extra, &response, sizeof(extra));
		nf->stats.rx_extras++;
		if (buffer != NULL)
			list_add_head(&nf->rx_spare, &buffer->link);
		frame->extra_follows = (extra.flags & XEN_NETIF_EXTRA_FLAG_MORE) != 0;
		if (++frame->extras > MAX_RX_EXTRAS && frame->extra_follows) {
			bad_response(nf, "more than %u extra-info slots", MAX_RX_EXTRAS);
			frame->bad = true;
			frame->extra_follows = false;
		}
		/* After the extras: more data slots if the first slot said so. */
		if (!frame->extra_follows && !(frame->flags & NETRXF_more_data)) {
			rx_frame_end(nf);
			return true;
		}
		return false;
	}

	/* A data slot. Its id must be the one we posted at this position. */
	if (response.id != id) {
		bad_response(nf, "rx position %u answered with id %u, but id %u was posted there",
			     index, response.id, id);
		frame->bad = true;
	} else if (response.status < 0) {
		/* The backend could not deliver this frame (NETIF_RSP_ERROR, NETIF_RSP_DROPPED). */
		if (response.status != NETIF_RSP_ERROR && response.status != NETIF_RSP_DROPPED)
			bad_response(nf, "rx id %u: unknown status %d", id, response.status);
		frame->bad = true;
	} else if (response.offset >= PAGE_SIZE ||
		   response.offset + (unsigned int)response.status > PAGE_SIZE) {
		bad_response(nf, "rx id %u: offset %u + size %d is outside the page", id,
			     response.offset, response.status);
		frame->bad = true;
	} else if (frame->started && (response.flags & NETRXF_extra_info)) {
		bad_response(nf, "rx id %u: extra info after a frame's first slot", id);
		frame->bad = true;
	}
	if (buffer == NULL) {
		frame->bad = true;
	} else if (frame->bad) {
		list_add_head(&nf->rx_spare, &buffer->link);
	} else {
		netbuf_init_external(&buffer->netbuf, buffer->page, PAGE_SIZE, response.offset,
				     rx_buffer_release, nf);
		netbuf_put(&buffer->netbuf, (size_t)response.status);
		if (frame->tail != NULL)
			frame->tail->next = &buffer->netbuf;
		else
			frame->head = &buffer->netbuf;
		frame->tail = &buffer->netbuf;
	}
	if (!frame->started) {
		frame->started = true;
		frame->flags = response.flags;
		frame->extra_follows = (response.flags & NETRXF_extra_info) != 0;
	} else {
		/* Only the last data slot's more_data decides whether the frame goes on. */
		frame->flags = (uint16_t)((frame->flags & ~NETRXF_more_data) |
					  (response.flags & NETRXF_more_data));
	}
	/*
	 * No frame takes more slots than that. A longer chain is dropped when it ends: it holds
	 * no buffers meanwhile (a bad frame's go straight back), so however long it runs, it
	 * costs no memory; and following it to its end keeps us in step with the backend.
	 */
	if (++frame->slots == MAX_SLOTS_PER_FRAME + 1) {
		bad_response(nf, "rx frame longer than %u slots", MAX_SLOTS_PER_FRAME);
		netbuf_free(frame->head);
		frame->head = frame->tail = NULL;
		frame->bad = true;
	}
	if (frame->extra_follows || (response.flags & NETRXF_more_data))
		return false;
	rx_frame_end(nf);
	return true;
}

/* Up to `budget` received frames to the stack; the count. */
static int rx_receive(struct netfront *nf, int budget)
{
	int frames = 0;

	while (frames < budget && nf->state == NETFRONT_CONNECTED) {
		RING_IDX prod = READ_ONCE(nf->rx_sring->rsp_prod);

		/* The responses must not be read before the index that announced them, and the
		 * index must be possible: no more responses than requests we posted. Otherwise
		 * the backend could make us read slots it never wrote, or the same slot twice. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((RING_IDX)(prod - nf->rx_rsp_cons) > (RING_IDX)(nf->rx_req_prod - nf->rx_rsp_cons)) {
			ring_broken(nf, "rx", prod, nf->rx_rsp_cons, nf->rx_req_prod);
			break;
		}
		if (prod == nf->rx_rsp_cons)
			break;
		/* A bad response can break the device half way: stop at once then. */
		while (nf->rx_rsp_cons != prod && frames < budget &&
		       nf->state == NETFRONT_CONNECTED) {
			if (rx_slot(nf))
				frames++;
		}
	}
	return frames;
}

/*
 * The net thread's poll: transmit completions, then received frames, then a full ring
 * again. When it stopped for lack of responses, not of budget, it sets rsp_event to the
 * next response, so the backend's next frame raises an event (RING_FINAL_CHECK_FOR_RESPONSES),
 * and looks once more for a response that came before that was visible.
 */
static int netfront_poll(struct netif *netif, int budget)
{
	struct netfront *nf = netif->driver;
	int frames;

	if (nf->state != NETFRONT_CONNECTED)
		return 0;
	tx_reap(nf);
	frames = rx_receive(nf, budget);
	if (nf->state != NETFRONT_CONNECTED)
		return frames;
	rx_refill(nf);
	rx_push(nf);
	if (frames < budget) {
		WRITE_ONCE(nf->rx_sring->rsp_event, nf->rx_rsp_cons + 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (READ_ONCE(nf->rx_sring->rsp_prod) != nf->rx_rsp_cons)
			netif_notify(netif);
	}
	return frames;
}

/* ---- Counters --------------------------------------------------------------------------- */

/*
 * The counters, plus how many grants the device holds now: the tests compare those with
 * what must be held (a full rx ring, nothing in flight) to show that nothing leaks.
 */
void netfront_stats(struct netfront *nf, struct netfront_stats *out)
{
	/* Count what the backend finished by now, not what we happened to reap. */
	if (nf->state == NETFRONT_CONNECTED)
		tx_reap(nf);
	*out = nf->stats;
	out->rx_posted = nf->rx_ids.in_use;
	out->tx_in_flight = nf->tx_ids.in_use;
	out->rx_buffers = nf->rx_buffers;
}

static const char *state_name(enum netfront_state state)
{
	static const char *const names[] = { "disconnected", "connected", "broken", "closed" };

	return names[state];
}

static void netfront_print_stats(struct netif *netif)
{
	struct netfront *nf = netif->driver;
	struct netfront_stats s;
	uint64_t packets = netif->stats.rx_packets + netif->stats.tx_packets;
	uint64_t per_1000;

	netfront_stats(nf, &s);
	/* No floating point in the kernel: the ratio in thousandths. */
	per_1000 = packets == 0 ? 0 : (s.notifications + s.events) * 1000 / packets;
	printf("netfront: %s: %s%s%s, notifications sent %lu (tx pushes %lu, %lu needed none; "
	       "rx pushes %lu, %lu needed none), events received %lu: %lu.%03lu per packet\n",
	       netif->name, state_name(nf->state), nf->id[0] != '\0' ? " to device/vif/" : "",
	       nf->id, (unsigned long)s.notifications, (unsigned long)s.tx_pushes,
	       (unsigned long)s.tx_suppressed, (unsigned long)s.rx_pushes,
	       (unsigned long)s.rx_suppressed, (unsigned long)s.events,
	       (unsigned long)(per_1000 / 1000), (unsigned long)(per_1000 % 1000));
	printf("netfront: %s: bad responses %lu, rx multi-slot %lu, rx extras %lu, rx checksum "
	       "trusted %lu, tx checksum offloaded %lu, tx multi-slot %lu, tx segmentation "
	       "offloaded %lu, tx waited for room %lu, tx ring full %lu, connects %lu; grants: rx "
	       "posted %u, tx in flight %u, leaked %lu\n", netif->name,
	       (unsigned long)s.bad_responses, (unsigned long)s.rx_multislot,
	       (unsigned long)s.rx_extras, (unsigned long)s.rx_checksum_trusted,
	       (unsigned long)s.tx_checksum_offloaded, (unsigned long)s.tx_multislot,
	       (unsigned long)s.tx_gso,
	       (unsigned long)s.tx_backlogged, (unsigned long)s.tx_ring_full,
	       (unsigned long)s.connects, s.rx_posted,
	       s.tx_in_flight, (unsigned long)s.grants_leaked);
}

/* ---- Connecting ------------------------------------------------------------------------- */

/*
 * "00:16:3e:12:34:56": six hex pairs; a unicast address. The toolstack writes the key, but it
 * is in our own directory, where nothing stops it from being anything: parse it strictly.
 */
static int parse_mac(const char *text, uint8_t mac[ETH_ADDRESS_LEN])
{
	for (int i = 0; i < ETH_ADDRESS_LEN; i++) {
		unsigned int value = 0;

		for (int digit = 0; digit < 2; digit++, text++) {
			if (!isxdigit((unsigned char)*text))
				return -EINVAL;
			value = value * 16 + (unsigned int)(isdigit((unsigned char)*text)
							    ? *text - '0'
							    : tolower((unsigned char)*text) - 'a' + 10);
		}
		if (*text != (i == ETH_ADDRESS_LEN - 1 ? '\0' : ':'))
			return -EINVAL;
		text++;
		mac[i] = (uint8_t)value;
	}
	return (mac[0] & 1) ? -EINVAL : 0;
}

/* The toolstack's choice of MAC, from our own directory (xl's mac=, or a random 00:16:3e). */
static int read_mac(struct netfront *nf)
{
	char text[24];
	int rc = xenbus_read(&nf->xenbus, "mac", text, sizeof(text));

	if (rc >= 0)
		rc = parse_mac(text, nf->netif.mac);
	if (rc < 0)
		printf("netfront: %s: no usable mac in %s: %s\n", nf->netif.name, nf->xenbus.nodename,
		       strerror(rc));
	return rc;
}

/*
 * xl writes the vif's ip= (one address or several, separated by spaces) into the backend's
 * directory; some toolstacks write it into ours. The stack uses the first address unless
 * the command line sets one (net/net.h). Absent or unreadable: no hint.
 */
static void read_address_hint(struct netfront *nf)
{
	char text[64];
	uint32_t address;

	nf->netif.address_hint = 0;
	if (xenbus_read_backend(&nf->xenbus, "ip", text, sizeof(text)) < 0 &&
	    xenbus_read(&nf->xenbus, "ip", text, sizeof(text)) < 0)
		return;
	text[strcspn(text, " ,")] = '\0';
	if (ipv4_parse(text, &address) == 0)
		nf->netif.address_hint = address;
}

/* The MTU the toolstack set (netif.h: "mtu" in our directory, 1500 without), capped to
 * what one netbuf page holds. */
static void read_mtu(struct netfront *nf)
{
	char text[16];
	unsigned long mtu = DEFAULT_MTU;

	if (xenbus_read(&nf->xenbus, "mtu", text, sizeof(text)) > 0)
		mtu = strtoul(text, NULL, 10);
	nf->netif.mtu = (unsigned int)MAX(576, MIN(mtu, MAX_MTU));
}

/*
 * What the backend offers. Linux's netback only copies into our pages (feature-rx-copy);
 * the old page-flipping mode is gone from Mote and from Linux alike. feature-sg says the
 * backend takes a frame in several slots: then the stack may hand us chains.
 */
static int read_backend_features(struct netfront *nf)
{
	uint64_t copy = 0, sg = 0, gso = 0;

	xenbus_read_backend_u64(&nf->xenbus, "feature-rx-copy", &copy);
	if (copy != 1) {
		printf("netfront: %s: the backend cannot copy into our pages (no feature-rx-copy)\n",
		       nf->netif.name);
		return -EOPNOTSUPP;
	}
	xenbus_read_backend_u64(&nf->xenbus, "feature-sg", &sg);
	nf->sg = sg == 1;
	/* A large frame comes in several slots: segmentation offload needs feature-sg too. */
	xenbus_read_backend_u64(&nf->xenbus, "feature-gso-tcpv4", &gso);
	nf->gso = nf->sg && gso == 1;
	nf->netif.features = NETIF_F_TX_CSUM | (nf->sg ? NETIF_F_TX_SG : 0) |
			     (nf->gso ? NETIF_F_TX_TSO : 0);
	return 0;
}

/* A zeroed ring page, granted read-write: SHARED_RING_INIT's state (indices 0, events at 1). */
static void *ring_create(struct netfront *nf, grant_ref_t *ref, bool *granted, int *rc)
{
	RING_IDX *indices;
	void *page = page_alloc(1);

	if (page == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	memset(page, 0, PAGE_SIZE);
	indices = page;                 /* req_prod, req_event, rsp_prod, rsp_event */
	indices[1] = 1;
	indices[3] = 1;
	*rc = gnttab_grant_page(nf->xenbus.backend_id, page, false, ref);
	*granted = *rc == 0;
	return page;
}

static int rings_create(struct netfront *nf)
{
	int rc;

	nf->tx_req_prod = nf->tx_published = nf->tx_rsp_cons = 0;
	nf->tx_extras = 0;
	nf->rx_req_prod = nf->rx_published = nf->rx_rsp_cons = 0;
	id_pool_init(&nf->tx_ids, nf->tx_id_storage, TX_RING_SIZE);
	id_pool_init(&nf->rx_ids, nf->rx_id_storage, RX_RING_SIZE);
	for (unsigned int i = 0; i < TX_RING_SIZE; i++)
		nf->tx_slots[i] = (struct tx_slot){ .head = NO_ID, .next = NO_ID };
	nf->tx_sring = ring_create(nf, &nf->tx_ring_ref, &nf->tx_ring_granted, &rc);
	if (rc < 0)
		return rc;
	/* No transmit-completion event until TX_EVENT_BATCH responses (see tx_reap). */
	nf->tx_sring->rsp_event = TX_EVENT_BATCH;
	nf->rx_sring = ring_create(nf, &nf->rx_ring_ref, &nf->rx_ring_granted, &rc);
	return rc;
}

/* Everything the backend needs to connect, in one transaction: it sees all or nothing. */
static int publish_keys(xs_transaction_t transaction, void *arg)
{
	struct netfront *nf = arg;
	struct xenbus_device *device = &nf->xenbus;
	int rc;

	if ((rc = xenbus_printf(device, transaction, "tx-ring-ref", "%u", nf->tx_ring_ref)) < 0 ||
	    (rc = xenbus_printf(device, transaction, "rx-ring-ref", "%u", nf->rx_ring_ref)) < 0 ||
	    (rc = xenbus_printf(device, transaction, "event-channel", "%u", nf->port)) < 0 ||
	    /* The backend copies frames into the pages we post (the only mode netback has). */
	    (rc = xenbus_printf(device, transaction, "request-rx-copy", "1")) < 0 ||
	    /* We notify when we post rx requests, following req_event: netback insists. */
	    (rc = xenbus_printf(device, transaction, "feature-rx-notify", "1")) < 0 ||
	    /* We take frames in several slots (NETRXF_more_data). */
	    (rc = xenbus_printf(device, transaction, "feature-sg", "1")) < 0 ||
	    /* Checksum offload stays on: frames may come NETRXF_csum_blank. */
	    (rc = xenbus_printf(device, transaction, "feature-no-csum-offload", "0")) < 0)
		return rc;
	return 0;
}

/*
 * The handshake (public/io/netif.h, public/io/xenbus.h), step by step. Any failure undoes
 * what was done (netfront_disconnect copes with every half-built state).
 */
static int netfront_connect(struct netfront *nf, const char *id)
{
	int rc;

	strlcpy(nf->id, id, sizeof(nf->id));
	nf->bad_responses = 0;
	nf->rx_frame = (struct rx_frame){ 0 };

	/* 1. Find the backend (device/vif/<id>/backend) and watch its state. */
	rc = xenbus_device_open(&nf->xenbus, "vif", id, HANDSHAKE_TIMEOUT);
	if (rc < 0)
		goto err;
	nf->xenbus_open = true;

	/* 2. Our MAC, MTU and address hint, as the toolstack wrote them. */
	rc = read_mac(nf);
	if (rc < 0)
		goto err;
	read_mtu(nf);
	read_address_hint(nf);

	/* 3. The backend is in InitWait once its hotplug script ran and its features are written. */
	rc = xenbus_wait_backend_state(&nf->xenbus, XenbusStateInitWait, HANDSHAKE_TIMEOUT);
	if (rc < 0)
		goto err;

	/* 4. What it offers: copying receive (required), scatter-gather transmit. */
	rc = read_backend_features(nf);
	if (rc < 0)
		goto err;

	/* 5. tx-ring-ref and rx-ring-ref: one granted page each. */
	rc = rings_create(nf);
	if (rc < 0)
		goto err;

	/* 6. event-channel: a port the backend binds to. */
	rc = evtchn_alloc_unbound(nf->xenbus.backend_id, netfront_event, nf, &nf->port);
	if (rc < 0)
		goto err;
	nf->port_bound = true;

	/* 7. A full receive ring, posted before the backend looks (no notification needed:
	 *    it reads req_prod when it connects). */
	rx_refill(nf);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(nf->rx_sring->req_prod, nf->rx_req_prod);
	nf->rx_published = nf->rx_req_prod;

	/* 8. Publish rings, channel and features, then say Connected. netback maps the rings
	 *    when it sees our Connected (not Initialised), then waits for its hotplug script. */
	rc = xs_transaction_run(publish_keys, nf, 10);
	if (rc < 0)
		goto err;
	nf->published = true;
	rc = xenbus_switch_state(&nf->xenbus, XenbusStateConnected);
	if (rc < 0)
		goto err;

	/* 9. Wait for the backend's Connected: from then on it reads our rings. */
	rc = xenbus_wait_backend_state(&nf->xenbus, XenbusStateConnected, HANDSHAKE_TIMEOUT);
	if (rc < 0)
		goto err;

	nf->state = NETFRONT_CONNECTED;
	nf->stats.connects++;
	printf("netfront: %s: device/vif/%s connected, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, "
	       "%u rx buffers, backend %s%s\n", nf->netif.name, id, nf->netif.mac[0],
	       nf->netif.mac[1], nf->netif.mac[2], nf->netif.mac[3], nf->netif.mac[4],
	       nf->netif.mac[5], nf->netif.mtu, nf->rx_ids.in_use, nf->xenbus.backend,
	       nf->gso ? " (feature-sg, feature-gso-tcpv4)" : nf->sg ? " (feature-sg)" : "");
	/* 10. Kick both ways. The backend may have looked at the rx ring before it was all
	 *     set; and it may have delivered frames while we waited in step 9, when poll
	 *     ignored the event (we were not Connected yet) and rsp_event was already passed,
	 *     so no second event will come: poll once now. */
	notify_backend(nf);
	netif_notify(&nf->netif);
	return 0;

err:
	printf("netfront: %s: cannot connect device/vif/%s: %s\n", nf->netif.name, id,
	       strerror(rc));
	netfront_disconnect(nf);
	return rc;
}

/* ---- Disconnecting ---------------------------------------------------------------------- */

static bool backend_let_go(void *arg)
{
	return xenbus_backend_closing(arg);
}

/*
 * Ending the connection, whoever started it. The order matters: a page must not be reused
 * while the backend may still map it, and netback unmaps our rings and buffers only when
 * it leaves Connected. So: tell it we close, wait until it is Closed (or gone: xl removes
 * the directory after a detach), and only then end the grants. A grant the backend still
 * holds cannot end (gnttab_end_access says -EBUSY): its page is given up, never reused.
 */
static void netfront_disconnect(struct netfront *nf)
{
	if (nf->state != NETFRONT_CLOSED)
		nf->state = NETFRONT_DISCONNECTED;     /* transmit and poll stop here */

	if (nf->xenbus_open && nf->published) {
		xenbus_switch_state(&nf->xenbus, XenbusStateClosing);
		sched_wait(backend_let_go, &nf->xenbus, time_now() + HANDSHAKE_TIMEOUT);
		xenbus_switch_state(&nf->xenbus, XenbusStateClosed);
		if (xenbus_wait_backend_state(&nf->xenbus, XenbusStateClosed, HANDSHAKE_TIMEOUT) < 0)
			printf("netfront: %s: the backend did not close; pages it holds are given up\n",
			       nf->netif.name);
	} else if (nf->xenbus_open) {
		/* It never saw our rings: just say we are gone. */
		xenbus_switch_state(&nf->xenbus, XenbusStateClosed);
	}
	if (nf->port_bound) {
		evtchn_unbind(nf->port);
		nf->port_bound = false;
	}

	/* Frames in flight: the backend will not answer now. */
	tx_drop_backlog(nf);
	if (nf->tx_sring != NULL) {
		for (uint16_t id = 0; id < TX_RING_SIZE; id++) {
			struct tx_slot *slot = &nf->tx_slots[id];

			if (!id_pool_in_use(&nf->tx_ids, id) || slot->head != id)
				continue;
			for (uint16_t part = id; part != NO_ID; part = nf->tx_slots[part].next) {
				if (!nf->tx_slots[part].answered && !end_grant(nf, nf->tx_slots[part].ref))
					slot->keep_pages = true;
			}
			tx_frame_done(nf, id);
		}
	}
	/* Receive buffers still posted, and a frame half received. */
	if (nf->rx_sring != NULL) {
		for (uint16_t id = 0; id < RX_RING_SIZE; id++) {
			struct rx_buffer *buffer = nf->rx_posted[id];

			if (buffer == NULL)
				continue;
			nf->rx_posted[id] = NULL;
			if (end_grant(nf, buffer->ref))
				list_add_head(&nf->rx_spare, &buffer->link);
			else
				nf->rx_buffers--;       /* the backend keeps it: forget the page */
		}
		netbuf_free(nf->rx_frame.head);
		nf->rx_frame = (struct rx_frame){ 0 };
	}
	/* The rings themselves. */
	if (nf->tx_sring != NULL && (!nf->tx_ring_granted || end_grant(nf, nf->tx_ring_ref)))
		page_free(nf->tx_sring, 1);
	if (nf->rx_sring != NULL && (!nf->rx_ring_granted || end_grant(nf, nf->rx_ring_ref)))
		page_free(nf->rx_sring, 1);
	nf->tx_sring = NULL;
	nf->rx_sring = NULL;
	nf->tx_ring_granted = nf->rx_ring_granted = false;
	nf->published = false;

	if (nf->xenbus_open) {
		xenbus_device_close(&nf->xenbus);
		nf->xenbus_open = false;
	}
	nf->id[0] = '\0';
}

/* ---- The connection's thread: detach and attach ----------------------------------------- */

static void vif_list_changed(struct xs_watch *watch, const char *changed, void *arg)
{
	(void)watch;
	(void)changed;
	(void)arg;
	netfronts.generation++;
}

/* Whether another device (or this one) uses device/vif/<id> already. */
static bool id_claimed(const char *id)
{
	for (unsigned int i = 0; i < netfronts.count; i++) {
		if (strcmp(netfronts.devices[i]->id, id) == 0)
			return true;
	}
	return false;
}

/*
 * A vif nobody uses and that is new: the toolstack created it (frontend state
 * Initialising). An old one that is Closed only waits for the toolstack to remove it.
 */
static int find_new_vif(char *id, size_t size)
{
	char ids[256], path[48];
	int count = xenbus_list_devices("vif", ids, sizeof(ids));
	const char *name = ids;

	for (int i = 0; i < count; i++, name += strlen(name) + 1) {
		uint64_t state;

		snprintf(path, sizeof(path), "device/vif/%s/state", name);
		if (id_claimed(name) || xs_read_u64(XS_NO_TRANSACTION, path, &state) < 0 ||
		    state != XenbusStateInitialising)
			continue;
		strlcpy(id, name, size);
		return 0;
	}
	return -ENOENT;
}

/* What the connected thread waits for: the backend going away, or net_close(). */
static bool must_disconnect(void *arg)
{
	struct netfront *nf = arg;

	return nf->close_requested || xenbus_backend_closing(&nf->xenbus);
}

static bool new_vif_maybe(void *arg)
{
	struct netfront *nf = arg;

	return nf->close_requested || netfronts.generation != nf->seen_generation;
}

/* Wait for a new vif (xl network-attach) and connect to it; false if we are to close. */
static bool reconnect(struct netfront *nf)
{
	char id[sizeof(nf->id)];

	for (;;) {
		if (nf->close_requested)
			return false;
		nf->seen_generation = netfronts.generation;
		if (find_new_vif(id, sizeof(id)) == 0 && netfront_connect(nf, id) == 0)
			return true;
		/* The watch on device/vif wakes us; the deadline only covers a lost watch. */
		sched_wait(new_vif_maybe, nf, time_now() + 5 * NSEC_PER_SEC);
	}
}

static void netfront_thread(void *arg)
{
	struct netfront *nf = arg;
	struct gnttab_stats grants;

	for (;;) {
		sched_wait(must_disconnect, nf, TIME_NEVER);
		if (nf->close_requested)
			break;
		printf("netfront: %s: backend %s is %s: disconnecting\n", nf->netif.name,
		       nf->xenbus.backend, xenbus_state_name(nf->xenbus.backend_state));
		netfront_disconnect(nf);
		gnttab_stats(&grants);
		printf("netfront: %s: disconnected, %lu grants leaked by this device (gnttab: %u in "
		       "use, %u leaked); waiting for a new vif\n", nf->netif.name,
		       (unsigned long)nf->stats.grants_leaked, grants.in_use, grants.leaked);
		if (!reconnect(nf))
			break;
		/*
		 * Maybe a new MAC, certainly a new port on dom0's bridge: tell the neighbours
		 * (a gratuitous ARP). Twice, ANNOUNCE_INTERVAL apart as RFC 5227 2.3 does: Linux
		 * ignores an ARP that would replace an entry younger than its locktime (1 s), so
		 * a peer that used our old MAC a moment ago only listens to the second.
		 */
		netif_link_changed(&nf->netif);
		if (sched_wait(must_disconnect, nf, time_now() + 2 * NSEC_PER_SEC) < 0)
			netif_link_changed(&nf->netif);
	}
	netfront_disconnect(nf);
	nf->state = NETFRONT_CLOSED;
	nf->thread_done = true;
}

/* ---- Life and death --------------------------------------------------------------------- */

static const struct netif_ops netfront_ops;

/*
 * The device lives as long as Mote does: the stack holds its netif, and a detached vif only
 * means the connection ends and another begins. So what belongs to the device (the netif,
 * the spare buffers, the counters) is set up here, and what belongs to one connection (the
 * rings, the channel, the grants) in netfront_connect.
 */
int netfront_create(const char *id, struct netfront **out)
{
	struct netfront *nf;
	int rc;

	if (netfronts.count == MAX_DEVICES)
		return -ENOSPC;
	nf = calloc(1, sizeof(*nf));
	if (nf == NULL)
		return -ENOMEM;
	nf->index = netfronts.count;
	snprintf(nf->netif.name, sizeof(nf->netif.name), "vif%u", nf->index);
	nf->netif.ops = &netfront_ops;
	nf->netif.driver = nf;
	list_init(&nf->rx_spare);
	list_init(&nf->tx_backlog);
	netfronts.devices[netfronts.count++] = nf;

	rc = netfront_connect(nf, id);
	if (rc < 0)
		goto err;
	nf->thread = thread_create("netfront", netfront_thread, nf);
	if (nf->thread == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	*out = nf;
	return 0;

err:
	netfront_destroy(nf);
	return rc;
}

static bool thread_finished(void *arg)
{
	return ((struct netfront *)arg)->thread_done;
}

/* net_close(): the connection ends for good; the thread does it and says how it went. */
static void netfront_close(struct netif *netif)
{
	struct netfront *nf = netif->driver;
	struct gnttab_stats grants;

	if (nf->thread == NULL || nf->thread_done)
		return;
	nf->close_requested = true;
	if (sched_wait(thread_finished, nf, time_now() + 3 * HANDSHAKE_TIMEOUT) < 0) {
		printf("netfront: %s: still closing\n", netif->name);
		return;
	}
	gnttab_stats(&grants);
	printf("netfront: %s: closed; %lu grants leaked by this device (gnttab: %u in use, %u "
	       "leaked)\n", netif->name, (unsigned long)nf->stats.grants_leaked, grants.in_use,
	       grants.leaked);
}

void netfront_destroy(struct netfront *nf)
{
	if (nf == NULL)
		return;
	if (nf->thread != NULL)
		netfront_close(&nf->netif);
	else
		netfront_disconnect(nf);
	/* Out of the registry, keeping it dense. */
	for (unsigned int i = 0; i < netfronts.count; i++) {
		if (netfronts.devices[i] == nf) {
			netfronts.devices[i] = netfronts.devices[--netfronts.count];
			break;
		}
	}
	while (!list_empty(&nf->rx_spare)) {
		struct rx_buffer *buffer = list_entry(list_pop_head(&nf->rx_spare), struct rx_buffer,
						      link);

		page_free(buffer->page, 1);
		free(buffer);
	}
	/* A thread that did not finish closing still uses the struct: leave it to it. */
	if (nf->thread == NULL || nf->thread_done)
		free(nf);
}

struct netif *netfront_netif(struct netfront *nf)
{
	return &nf->netif;
}

static const struct netif_ops netfront_ops = {
	.transmit = netfront_transmit,
	.poll = netfront_poll,
	.print_stats = netfront_print_stats,
	.close = netfront_close,
};

/*
 * The Xen platform's interfaces (net/netif.h): one netfront per vif the toolstack gave us,
 * in xenstore's order. A vif that cannot connect is reported and skipped. The watch on
 * device/vif lets a device whose vif was detached find the next one attached.
 */
int netif_platform_open(struct netif **interfaces, int max)
{
	char ids[256];
	const char *id = ids;
	int count, opened = 0, rc;

	count = xenbus_list_devices("vif", ids, sizeof(ids));
	if (count < 0)
		return count;
	if (netfronts.watch == NULL) {
		netfronts.watch = xs_watch_add("device/vif", vif_list_changed, NULL, &rc);
		if (netfronts.watch == NULL)
			printf("netfront: cannot watch device/vif (%s): attach is noticed late\n",
			       strerror(rc));
	}
	for (int i = 0; i < count && opened < max; i++, id += strlen(id) + 1) {
		struct netfront *nf;

		if (netfront_create(id, &nf) == 0)
			interfaces[opened++] = &nf->netif;
	}
	return opened;
}
