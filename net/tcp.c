/*
 * net/tcp.c: TCP, RFC 9293, with RFC 7323 (window scale), RFC 6298 (retransmission timer),
 * RFC 5681 and RFC 6582 (congestion control), RFC 5961 (blind-attack defences), RFC 6528
 * (initial sequence numbers) and RFC 1122 section 4.2 (host requirements). See net/tcp.h
 * for the API and docs/tcpip.md for the state machine drawn out.
 *
 * The header (RFC 9293 3.1), 20 bytes plus options:
 *
 *     0   source port           2   destination port
 *     4   sequence number       8   acknowledgment number
 *     12  data offset (4 bits, in words) | reserved      13  flags (CWR ECE URG ACK PSH RST SYN FIN)
 *     14  window                16  checksum              18  urgent pointer
 *
 * The variables keep RFC 9293's names (3.3.1) so the code can be read next to it:
 *
 *     SND.UNA  oldest unacknowledged       RCV.NXT  next sequence number expected
 *     SND.NXT  next to send                RCV.WND  what we can still take in
 *     SND.WND  the peer's window           ISS/IRS  our / the peer's initial number
 *     SND.WL1/WL2  the segment that last updated SND.WND
 *
 * Buffers: each connection has a send ring and a receive ring (net/ring.h). The send ring
 * holds every byte from SND.UNA on, sent or not, so a retransmission reads the ring again.
 * The receive ring holds the bytes the app has not read yet, and out-of-order segments are
 * written straight into the ring at the place they will have once the gap is filled; a
 * small list of ranges remembers which parts beyond RCV.NXT are present.
 *
 * Who runs this code: tcp_input and tcp_timers run on the net thread; the tcp_* calls of the
 * API run on app threads and send directly. Threads are cooperative, so nothing here is
 * interrupted half-way and no locking is needed; the only waits are the sched_wait calls
 * in the API functions.
 */
#include "net/tcp.h"
#include "net/byteorder.h"
#include "net/checksum.h"
#include "net/ipv4.h"
#include "net/ring.h"
#include "net/stack.h"
#include "net/tcp_seq.h"
#include "kernel/sched.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "lib/util.h"

#define TCP_HEADER_LEN 20

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* Options (RFC 9293 3.2, RFC 7323). */
#define OPTION_END    0
#define OPTION_NOP    1
#define OPTION_MSS    2
#define OPTION_WSCALE 3
#define MAX_WSCALE    14                        /* RFC 7323 2.3 */

#define DEFAULT_MSS   536                       /* without an MSS option (RFC 9293 3.7.1) */

/* Timers, RFC 6298 and RFC 1122. */
#define RTO_INITIAL       (1 * NSEC_PER_SEC)   /* before any RTT sample (RFC 6298 2.1) */
#define RTO_MIN           (200 * NSEC_PER_MSEC)/* RFC 6298 says 1 s; see docs/tcpip.md */
#define RTO_MAX           (60 * NSEC_PER_SEC)
#define CLOCK_GRANULARITY (1 * NSEC_PER_MSEC)  /* the "G" of RFC 6298 */
#define DELAYED_ACK       (40 * NSEC_PER_MSEC) /* RFC 9293 3.8.6.3: under 0.5 s */
#define SYN_RETRIES       5                     /* then connect fails, -ETIMEDOUT */
#define DATA_RETRIES      8                     /* consecutive timeouts before giving up */
#define PERSIST_MIN       (200 * NSEC_PER_MSEC)
#define PERSIST_MAX       (60 * NSEC_PER_SEC)

#define OUT_OF_ORDER_MAX  8                     /* ranges remembered past a hole */

/* An MSS-sized segment must fit one netbuf page, whatever the MTU: header, options room,
 * payload. */
#define MAX_SEGMENT_PAYLOAD (PAGE_SIZE - NETBUF_HEADROOM - TCP_HEADER_LEN - 40)
/* With segmentation offload, a segment carries up to this much: 32 KiB keeps a frame to at
 * most ten pages, well within the slots a netback takes for one frame (netif.h). */
#define TSO_MAX_PAYLOAD (32 * 1024u)

enum tcp_timer {
	TIMER_RETRANSMIT,       /* also the SYN and SYN-ACK retransmissions */
	TIMER_PERSIST,          /* zero-window probes */
	TIMER_DELAYED_ACK,
	TIMER_LINGER,           /* TIME_WAIT's 2 MSL, and the limit on an orphan's FIN_WAIT_2 */
	TIMER_COUNT,
};

struct tcp_range {
	uint32_t start, end;    /* sequence numbers [start, end) */
};

struct tcp_conn {
	struct list_node link;          /* in net->tcp_conns */
	struct net *net;
	enum tcp_state state;
	struct net_endpoint local, remote;
	bool owned_by_app;              /* the app holds the handle: the stack may not free it */
	bool closed_by_app;             /* tcp_close was called: nobody will read any more */
	bool counted;                   /* counts against tcp_max_connections */
	int error;                      /* why the connection failed (-errno), for the app */

	/* A listener's children, and a child's way back to its listener. */
	struct tcp_conn *listener;      /* child: set until accepted or dead */
	struct list_node accept_queue;  /* listener: established, not yet accepted */
	struct list_node accept_link;   /* child: in its listener's accept_queue */
	unsigned int backlog;           /* listener: the limit on children */
	unsigned int children;          /* listener: children it has not handed out */

	/* Send side. */
	uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2;
	uint32_t snd_max;               /* the highest SND.NXT so far (SND.NXT moves back on a timeout) */
	uint32_t send_start;            /* the sequence number of the send ring's first byte */
	uint16_t mss;                   /* payload bytes per segment we send */
	uint8_t snd_wscale;             /* the peer's window is shifted left by this */
	bool window_scaling;            /* both SYNs carried the window scale option */
	struct ring send;
	bool fin_queued;                /* shutdown: a FIN follows the last byte in the ring */
	uint32_t fin_seq;               /* its sequence number, once fin_queued */

	/* Congestion control (RFC 5681, RFC 6582). */
	uint32_t cwnd, ssthresh;
	unsigned int dupacks;
	bool in_recovery;
	uint32_t recover;               /* SND.MAX when recovery began */

	/* Receive side. */
	uint32_t irs, rcv_nxt;
	uint32_t rcv_adv;               /* the right edge of the window we last advertised */
	uint8_t rcv_wscale;             /* our window field is shifted right by this */
	struct ring receive;
	struct tcp_range out_of_order[OUT_OF_ORDER_MAX];
	unsigned int out_of_order_count;
	bool fin_received;
	unsigned int segments_unacked;  /* in-order segments received since our last ACK */

	/* Round-trip time and retransmission timeout (RFC 6298), in ns. */
	uint64_t srtt, rttvar, rto;
	bool rtt_sampled;               /* srtt and rttvar hold a measurement */
	bool rtt_measuring;             /* timing one segment (Karn: never a retransmitted one) */
	uint32_t rtt_seq;               /* ... the one whose ACK must pass this number */
	uint64_t rtt_start;
	unsigned int retransmits;       /* consecutive timeouts: the backoff exponent */
	unsigned int persist_backoff;

	uint64_t timers[TIMER_COUNT];   /* deadlines; TIME_NEVER when not armed */
};

/* A received segment, parsed. */
struct segment {
	const struct ipv4_info *info;
	struct net_endpoint local, remote;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;                /* as received, unscaled */
	const uint8_t *options;
	size_t options_length;
	const uint8_t *payload;
	size_t length;                  /* payload bytes */
	bool checksum_verified;
};

static const char *const state_names[] = {
	"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state state)
{
	return (unsigned int)state < ARRAY_SIZE(state_names) ? state_names[state] : "?";
}

/* ---------------------------------------------------------------------------------------
 * Small helpers
 */

static void set_timer(struct tcp_conn *conn, enum tcp_timer timer, uint64_t deadline)
{
	conn->timers[timer] = deadline;
	if (deadline != TIME_NEVER)
		net_timer_arm(conn->net, deadline);
}

static void stop_timer(struct tcp_conn *conn, enum tcp_timer timer)
{
	conn->timers[timer] = TIME_NEVER;
}

/* Whether the state has seen both SYNs (RFC 9293's "synchronized" states). */
static bool synchronized(const struct tcp_conn *conn)
{
	return conn->state >= TCP_ESTABLISHED;
}

/* The sequence number just past the last byte in the send ring. */
static uint32_t send_end(const struct tcp_conn *conn)
{
	return conn->send_start + (uint32_t)ring_used(&conn->send);
}

static bool fin_acked(const struct tcp_conn *conn)
{
	return conn->fin_queued && seq_gt(conn->snd_una, conn->fin_seq);
}

/* Buffers are whole pages: the configured sizes rounded up. */
static size_t buffer_size(size_t configured)
{
	return ALIGN_UP(configured, PAGE_SIZE);
}

/* The window we offer: room left in the receive buffer (its full size before it exists). */
static uint32_t receive_window(const struct tcp_conn *conn)
{
	if (conn->receive.storage == NULL)
		return (uint32_t)buffer_size(conn->net->config.tcp_receive_buffer);
	return (uint32_t)ring_free(&conn->receive);
}

/*
 * RFC 6528: ISN = M + F(connection, secret), M a clock ticking every 4 microseconds and F a
 * keyed hash of the four-tuple, so that an off-path attacker cannot predict our numbers
 * and old duplicates of an earlier incarnation fall outside the new window. Our F is a
 * simple 64-bit mixing function keyed with net_random(), not a cryptographic hash.
 */
static uint32_t initial_sequence(struct net *net, const struct net_endpoint *local,
				 const struct net_endpoint *remote)
{
	static const uint64_t mix = 0x9e3779b97f4a7c15ULL;
	uint64_t key = ((uint64_t)local->address << 32 | remote->address) ^
		       ((uint64_t)local->port << 16 | remote->port) * mix;

	key ^= (uint64_t)net_random(net) << 32 | net_random(net);
	key = (key ^ (key >> 31)) * mix;
	key ^= key >> 29;
	return (uint32_t)(time_now() / (4 * NSEC_PER_USEC)) + (uint32_t)key;
}

/* ---------------------------------------------------------------------------------------
 * Memory and the life of a connection
 */

static size_t buffer_memory(const struct tcp_conn *conn)
{
	return conn->send.capacity + conn->receive.capacity;
}

/*
 * Allocate a ring of `configured` bytes, rounded up to whole pages, within the stack-wide
 * limit (tcp_mem=). Pages straight from the page allocator: a heap block of 16 KiB would
 * cost a fifth page for its header.
 */
static int ring_allocate(struct tcp_conn *conn, struct ring *ring, size_t configured)
{
	struct net *net = conn->net;
	size_t size = buffer_size(configured);
	size_t left = net->config.tcp_memory_limit > net->tcp_memory ?
		      net->config.tcp_memory_limit - net->tcp_memory : 0;
	void *storage;

	/* A send buffer may be smaller than configured when memory is short: slower, but the
	 * answer still goes out. A receive buffer's size was promised in our window. */
	if (ring == &conn->send)
		size = MIN(size, ALIGN_DOWN(left, PAGE_SIZE));
	if (size == 0 || size > left)
		return -ENOMEM;
	storage = page_alloc(size / PAGE_SIZE);
	if (storage == NULL)
		return -ENOMEM;
	net->tcp_memory += size;
	ring_init(ring, storage, size);
	return 0;
}

static void ring_release(struct tcp_conn *conn, struct ring *ring)
{
	if (ring->storage == NULL)
		return;
	conn->net->tcp_memory -= ring->capacity;
	page_free(ring->storage, ring->capacity / PAGE_SIZE);
	ring_init(ring, NULL, 0);
}

static void release_buffers(struct tcp_conn *conn)
{
	ring_release(conn, &conn->send);
	ring_release(conn, &conn->receive);
	conn->out_of_order_count = 0;
}

static struct tcp_conn *conn_create(struct net *net, enum tcp_state state)
{
	struct tcp_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL)
		return NULL;
	conn->net = net;
	conn->state = state;
	list_init(&conn->accept_queue);
	list_init(&conn->accept_link);
	for (unsigned int i = 0; i < TIMER_COUNT; i++)
		conn->timers[i] = TIME_NEVER;
	conn->rto = RTO_INITIAL;
	conn->mss = DEFAULT_MSS;
	list_add_tail(&net->tcp_conns, &conn->link);
	return conn;
}

static void conn_free(struct tcp_conn *conn)
{
	if (conn->counted)
		conn->net->tcp_connections--;
	release_buffers(conn);
	list_remove(&conn->accept_link);
	list_remove(&conn->link);
	free(conn);
}

/* A child of a listener stops being one: it was accepted, or it died first. */
static void detach_from_listener(struct tcp_conn *conn)
{
	if (conn->listener != NULL) {
		conn->listener->children--;
		conn->listener = NULL;
		list_remove(&conn->accept_link);
	}
}

/*
 * The connection has reached CLOSED. If the app holds it, it stays, CLOSED, with the reason
 * in conn->error, until tcp_close(). Otherwise reap() frees it soon: not here, because the
 * code that called us may still look at the connection on its way out.
 */
static void enter_closed(struct tcp_conn *conn, int error)
{
	if (error != 0 && conn->error == 0)
		conn->error = error;
	conn->state = TCP_CLOSED;
	for (unsigned int i = 0; i < TIMER_COUNT; i++)
		stop_timer(conn, i);
	net_readiness_changed(conn->net);
	detach_from_listener(conn);
	/* Nobody will read after a failure: the buffers can go now (tcp_read reports error). */
	if (conn->error != 0 || !conn->owned_by_app)
		release_buffers(conn);
}

/* Free the closed connections that no app holds. */
static void reap(struct net *net)
{
	struct tcp_conn *conn, *next;

	list_for_each_entry_safe(conn, next, &net->tcp_conns, link) {
		if (conn->state == TCP_CLOSED && !conn->owned_by_app)
			conn_free(conn);
	}
}

/*
 * Make room for one more connection: under the limit already, or by ending the TIME_WAIT
 * connection that has the least time left (RFC 6191 lets a host end TIME_WAIT early; we
 * rely on the ISN clock to keep old segments out of the new connection).
 */
static bool connection_slot(struct net *net)
{
	struct tcp_conn *conn, *oldest = NULL;

	if (net->tcp_connections < net->config.tcp_max_connections)
		return true;
	list_for_each_entry(conn, &net->tcp_conns, link) {
		if (conn->state == TCP_TIME_WAIT &&
		    (oldest == NULL || conn->timers[TIMER_LINGER] < oldest->timers[TIMER_LINGER]))
			oldest = conn;
	}
	if (oldest == NULL)
		return false;
	enter_closed(oldest, 0);
	if (!oldest->owned_by_app)
		conn_free(oldest);
	return net->tcp_connections < net->config.tcp_max_connections;
}

/* ---------------------------------------------------------------------------------------
 * Output
 */

/* The MSS we announce and accept: what the route's MTU allows, and a netbuf can hold. */
static uint16_t local_mss(struct net *net, uint32_t remote)
{
	struct ipv4_route route;
	uint32_t mss = DEFAULT_MSS;

	if (ipv4_route(net, remote, NULL, &route) == 0)
		mss = ipv4_max_payload(route.iface) - TCP_HEADER_LEN;
	return (uint16_t)MIN(mss, (uint32_t)MAX_SEGMENT_PAYLOAD);
}

/*
 * Build and send one segment. The payload, if any, is `length` bytes at `offset` in `ring`.
 * Used both for connections and for resets that answer segments with no connection.
 */
static int send_segment_raw(struct net *net, const struct net_endpoint *local,
			    const struct net_endpoint *remote, uint32_t seq, uint32_t ack,
			    uint8_t flags, uint16_t window, const uint8_t *options,
			    size_t options_length, const struct ring *ring, size_t offset,
			    size_t length, uint16_t mss)
{
	size_t header_length = TCP_HEADER_LEN + options_length;
	struct ipv4_route route;
	struct netbuf *segment, *last;
	size_t first_part;
	uint8_t *header;
	uint16_t total;
	int rc;

	rc = ipv4_route(net, remote->address, NULL, &route);
	if (rc < 0)
		return rc;
	segment = netbuf_alloc(NETBUF_HEADROOM);
	if (segment == NULL) {
		net->stats.tcp_tx_no_memory++;
		return -ENOMEM;
	}
	/* Only a device that segments (send_from checked) gets more than fits one page. */
	if (!(route.iface->netif->features & NETIF_F_TX_TSO) &&
	    length > netbuf_tailroom(segment) - header_length)
		length = netbuf_tailroom(segment) - header_length;
	first_part = MIN(length, netbuf_tailroom(segment) - header_length);
	header = netbuf_put(segment, header_length + first_part);
	if (first_part > 0)
		ring_peek(ring, offset, header + header_length, first_part);
	/* The rest of a large segment in further pages: a chain, one ring slot per page. */
	last = segment;
	for (size_t done = first_part; done < length; ) {
		struct netbuf *page = netbuf_alloc(0);
		size_t part;

		if (page == NULL) {
			netbuf_free(segment);
			net->stats.tcp_tx_no_memory++;
			return -ENOMEM;
		}
		part = MIN(length - done, netbuf_tailroom(page));
		ring_peek(ring, offset + done, netbuf_put(page, part), part);
		last->next = page;
		last = page;
		done += part;
	}
	if (length > mss) {
		segment->gso_size = mss;
		net->stats.tcp_tso_segments++;
	}
	put_be16(header + 0, local->port);
	put_be16(header + 2, remote->port);
	put_be32(header + 4, seq);
	put_be32(header + 8, ack);
	header[12] = (uint8_t)(header_length / 4) << 4;
	header[13] = flags;
	put_be16(header + 14, window);
	put_be16(header + 18, 0);
	if (options_length > 0)
		memcpy(header + TCP_HEADER_LEN, options, options_length);
	total = (uint16_t)(header_length + length);
	/* The pseudo-header sum; the device or the line below adds header and payload. */
	put_be16(header + 16, checksum_fold(checksum_pseudo_header(local->address,
				remote->address, IPV4_PROTOCOL_TCP, total)));
	if (route.iface->netif->features & NETIF_F_TX_CSUM) {
		segment->flags |= NETBUF_CSUM_PARTIAL;
		segment->csum_start = 0;
		segment->csum_offset = 16;
	} else {
		put_be16(header + 16, checksum(header, total));
	}
	route.source = local->address;
	return ipv4_output(net, &route, segment, remote->address, IPV4_PROTOCOL_TCP);
}

/*
 * The window field of an outgoing segment, and remember the right edge it advertises. The
 * window in a SYN is never scaled (RFC 7323 2.2). Otherwise we offer all free space, except
 * that an increase smaller than min(buffer / 2, MSS) is not advertised: that is the receive
 * side of silly window syndrome avoidance (RFC 9293 3.8.6.2.2), which stops a slow reader
 * from making the peer send a stream of tiny segments.
 */
static uint16_t window_to_advertise(struct tcp_conn *conn, bool syn)
{
	uint32_t window = receive_window(conn);
	uint32_t offered = seq_gt(conn->rcv_adv, conn->rcv_nxt) ? conn->rcv_adv - conn->rcv_nxt : 0;
	uint32_t threshold = MIN((uint32_t)conn->receive.capacity / 2, conn->mss);

	if (syn)
		return (uint16_t)MIN(window, 65535u);
	/* Never take back what was offered (RFC 9293 3.8.6.2.2): keep the old edge. */
	if (window < offered + threshold && window > offered)
		window = offered;
	window = MIN(window >> conn->rcv_wscale, 65535u);
	if (seq_gt(conn->rcv_nxt + (window << conn->rcv_wscale), conn->rcv_adv))
		conn->rcv_adv = conn->rcv_nxt + (window << conn->rcv_wscale);
	return (uint16_t)window;
}

/* Send a segment of this connection; every segment but the first SYN carries an ACK. */
static void send_segment(struct tcp_conn *conn, uint32_t seq, uint8_t flags, size_t length)
{
	uint8_t options[8];
	size_t options_length = 0;
	uint16_t window;

	if (flags & TCP_SYN) {
		/* MSS (RFC 9293 3.7.1): what fits our MTU after 40 bytes of IPv4 and TCP header. */
		options[0] = OPTION_MSS;
		options[1] = 4;
		put_be16(options + 2, local_mss(conn->net, conn->remote.address));
		options_length = 4;
		/*
		 * Window scale (RFC 7323 2.2): offered in our SYN, and in our SYN-ACK only if the
		 * peer's SYN offered it. conn->rcv_wscale is 0 when it is not in use.
		 */
		if (conn->state == TCP_SYN_SENT || conn->window_scaling) {
			options[4] = OPTION_NOP;
			options[5] = OPTION_WSCALE;
			options[6] = 3;
			options[7] = conn->rcv_wscale;
			options_length = 8;
		}
	}
	if (conn->state != TCP_SYN_SENT)
		flags |= TCP_ACK;
	window = window_to_advertise(conn, flags & TCP_SYN);
	if (send_segment_raw(conn->net, &conn->local, &conn->remote, seq, conn->rcv_nxt, flags,
			     window, options, options_length, &conn->send, seq - conn->send_start,
			     length, conn->mss) == 0 && (flags & TCP_ACK)) {
		/* Any ACK we send answers everything received so far. */
		conn->segments_unacked = 0;
		stop_timer(conn, TIMER_DELAYED_ACK);
	}
}

static void send_ack(struct tcp_conn *conn)
{
	send_segment(conn, conn->snd_nxt, TCP_ACK, 0);
}

static void arm_retransmit(struct tcp_conn *conn)
{
	set_timer(conn, TIMER_RETRANSMIT, time_now() + conn->rto);
}

/*
 * The most payload one segment may carry: the MSS, or with TCP segmentation offload a
 * multiple of it that the device cuts up. Sending 22 segments' worth as one frame saves the
 * stack, the driver and the backend 21 trips each, which is most of the cost of a large
 * response. The receiver sees ordinary MSS-sized segments.
 *
 * A large segment is at most a quarter of the congestion window, so that a window always
 * holds four or more frames: when one is lost, the ones after it still bring the duplicate
 * ACKs that start fast retransmit, instead of a retransmission timeout. After a loss the
 * window is small, and so are the segments, until it has grown again.
 */
static uint32_t segment_max(const struct tcp_conn *conn)
{
	const unsigned int needs = NETIF_F_TX_TSO | NETIF_F_TX_CSUM | NETIF_F_TX_SG;
	struct ipv4_route route;
	uint32_t limit;

	if (ipv4_route(conn->net, conn->remote.address, NULL, &route) < 0 ||
	    (route.iface->netif->features & needs) != needs)
		return conn->mss;
	limit = MIN(TSO_MAX_PAYLOAD, conn->cwnd / 4);
	return MAX(limit / conn->mss, 1u) * conn->mss;
}

/*
 * Send the data (and FIN) starting at `seq`, up to `limit` bytes of it: one segment.
 * Returns the sequence space used (payload + 1 for a FIN), 0 if there was nothing to send.
 */
static uint32_t send_from(struct tcp_conn *conn, uint32_t seq, uint32_t limit)
{
	uint32_t available = seq_lt(seq, send_end(conn)) ? send_end(conn) - seq : 0;
	uint32_t length = MIN(MIN(available, limit), segment_max(conn));
	bool fin = conn->fin_queued && seq + length == conn->fin_seq;
	uint8_t flags = 0;

	if (length == 0 && !fin)
		return 0;
	if (fin)
		flags |= TCP_FIN;
	/* PSH when this segment empties the buffer: the receiver should deliver now. */
	if (length > 0 && seq + length == send_end(conn))
		flags |= TCP_PSH;
	send_segment(conn, seq, flags, length);
	return length + (fin ? 1 : 0);
}

/*
 * Send whatever the windows allow: the peer's window (SND.WND) and the congestion window
 * both limit how much may be in flight. Called after every change that might allow more:
 * new data, an ACK, a window update, a timeout.
 */
static void tcp_output(struct tcp_conn *conn)
{
	switch (conn->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	default:
		return;
	}
	for (;;) {
		uint32_t window = MIN(conn->snd_wnd, conn->cwnd);
		uint32_t in_flight = conn->snd_nxt - conn->snd_una;
		uint32_t usable = window > in_flight ? window - in_flight : 0;
		uint32_t used;

		/* A FIN with no data left to send goes even into a closed window. */
		if (usable == 0 && !(conn->fin_queued && conn->snd_nxt == conn->fin_seq))
			break;
		used = send_from(conn, conn->snd_nxt, usable);
		if (used == 0)
			break;
		if (!conn->rtt_measuring && conn->snd_nxt == conn->snd_max) {
			conn->rtt_measuring = true;
			conn->rtt_seq = conn->snd_nxt;
			conn->rtt_start = time_now();
		}
		conn->snd_nxt += used;
		conn->snd_max = seq_max(conn->snd_max, conn->snd_nxt);
		if (conn->timers[TIMER_RETRANSMIT] == TIME_NEVER)
			arm_retransmit(conn);
	}
	/*
	 * Data waits, the peer's window is closed and nothing is in flight to bring an ACK
	 * that would reopen it: probe the window (RFC 9293 3.8.6.1), or we may wait forever
	 * for a window update that was lost.
	 */
	if (conn->snd_wnd == 0 && seq_lt(conn->snd_nxt, send_end(conn)) &&
	    conn->snd_nxt == conn->snd_una && conn->timers[TIMER_PERSIST] == TIME_NEVER) {
		uint64_t interval = MAX(conn->rto, PERSIST_MIN);

		stop_timer(conn, TIMER_RETRANSMIT);
		set_timer(conn, TIMER_PERSIST, time_now() + interval);
	}
}

/* RFC 9293 3.10.7.1: the reset that answers a segment nobody wants. Never answers a reset. */
static void send_reset_for(struct net *net, const struct segment *segment)
{
	uint32_t length = (uint32_t)segment->length + !!(segment->flags & TCP_SYN) +
			  !!(segment->flags & TCP_FIN);

	if (segment->flags & TCP_RST)
		return;
	net->stats.tcp_resets_sent++;
	if (segment->flags & TCP_ACK)
		send_segment_raw(net, &segment->local, &segment->remote, segment->ack, 0, TCP_RST,
				 0, NULL, 0, NULL, 0, 0, 0);
	else
		send_segment_raw(net, &segment->local, &segment->remote, 0, segment->seq + length,
				 TCP_RST | TCP_ACK, 0, NULL, 0, NULL, 0, 0, 0);
}

static void send_reset(struct tcp_conn *conn)
{
	conn->net->stats.tcp_resets_sent++;
	send_segment_raw(conn->net, &conn->local, &conn->remote, conn->snd_nxt, conn->rcv_nxt,
			 TCP_RST | TCP_ACK, 0, NULL, 0, NULL, 0, 0, 0);
}

/* ---------------------------------------------------------------------------------------
 * Round-trip time (RFC 6298)
 */

static void rtt_sample(struct tcp_conn *conn, uint64_t sample)
{
	if (!conn->rtt_sampled) {
		/* 2.2: the first measurement. */
		conn->rtt_sampled = true;
		conn->srtt = sample;
		conn->rttvar = sample / 2;
	} else {
		/* 2.3: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R|, then SRTT <- 7/8 SRTT + 1/8 R. */
		uint64_t delta = conn->srtt > sample ? conn->srtt - sample : sample - conn->srtt;

		conn->rttvar = (3 * conn->rttvar + delta) / 4;
		conn->srtt = (7 * conn->srtt + sample) / 8;
	}
	conn->rto = conn->srtt + MAX(CLOCK_GRANULARITY, 4 * conn->rttvar);
	conn->rto = MIN(MAX(conn->rto, RTO_MIN), RTO_MAX);
}

/* ---------------------------------------------------------------------------------------
 * Input: parsing
 */

/*
 * Read the options of a SYN: the MSS and the window scale. Options of other segments are
 * ignored. Every length byte is checked before use; a malformed list ends the parse.
 */
static void parse_syn_options(const struct segment *segment, uint16_t *mss, int *wscale)
{
	const uint8_t *option = segment->options, *end = option + segment->options_length;

	*mss = DEFAULT_MSS;
	*wscale = -1;
	while (option < end) {
		uint8_t kind = option[0], length;

		if (kind == OPTION_END)
			break;
		if (kind == OPTION_NOP) {
			option++;
			continue;
		}
		if (end - option < 2)
			break;
		length = option[1];
		if (length < 2 || length > end - option)
			break;
		if (kind == OPTION_MSS && length == 4)
			*mss = get_be16(option + 2);
		else if (kind == OPTION_WSCALE && length == 3)
			*wscale = MIN(option[2], MAX_WSCALE);
		option += length;
	}
}

/* Apply a SYN's options: the MSS we may send and whether windows are scaled. */
static void apply_syn_options(struct tcp_conn *conn, const struct segment *segment)
{
	uint16_t peer_mss;
	int peer_wscale;

	parse_syn_options(segment, &peer_mss, &peer_wscale);
	conn->mss = MAX(peer_mss, 64);          /* a silly small MSS would only cost us */
	conn->mss = MIN(conn->mss, local_mss(conn->net, conn->remote.address));
	if (peer_wscale >= 0) {
		conn->snd_wscale = (uint8_t)peer_wscale;
		conn->window_scaling = true;
	} else {
		/* Scaling is used only if both SYNs carry the option. */
		conn->snd_wscale = 0;
		conn->rcv_wscale = 0;
	}
}

/* The smallest shift that lets our whole receive buffer be advertised in 16 bits. */
static uint8_t choose_rcv_wscale(const struct net *net)
{
	uint8_t shift = 0;

	while (shift < MAX_WSCALE && (buffer_size(net->config.tcp_receive_buffer) >> shift) > 65535)
		shift++;
	return shift;
}

/* Initial congestion window (RFC 5681 3.1). */
static void congestion_init(struct tcp_conn *conn)
{
	conn->cwnd = conn->mss > 2190 ? 2 * conn->mss : conn->mss > 1095 ? 3 * conn->mss :
		     4 * conn->mss;
	conn->ssthresh = UINT32_MAX;
}

/* ---------------------------------------------------------------------------------------
 * Input: the states before the connection is synchronized
 */

static struct tcp_conn *find_conn(struct net *net, const struct segment *segment)
{
	struct tcp_conn *conn, *listener = NULL;

	list_for_each_entry(conn, &net->tcp_conns, link) {
		if (conn->local.port != segment->local.port)
			continue;
		if (conn->state == TCP_LISTEN) {
			listener = conn;
			continue;
		}
		if (conn->state != TCP_CLOSED && conn->remote.port == segment->remote.port &&
		    conn->remote.address == segment->remote.address &&
		    conn->local.address == segment->local.address)
			return conn;
	}
	return listener;
}

/* Become ESTABLISHED: the receive buffer is allocated now that the peer has proved itself. */
static int enter_established(struct tcp_conn *conn)
{
	if (conn->receive.storage == NULL &&
	    ring_allocate(conn, &conn->receive, conn->net->config.tcp_receive_buffer) < 0)
		return -ENOMEM;
	conn->state = TCP_ESTABLISHED;
	conn->send_start = conn->iss + 1;
	congestion_init(conn);
	net_readiness_changed(conn->net);
	return 0;
}

/* RFC 9293 3.10.7.2: a segment for a listener. Only a SYN may start something. */
static void listen_input(struct tcp_conn *listener, const struct segment *segment)
{
	struct net *net = listener->net;
	struct tcp_conn *child;

	if (segment->flags & TCP_RST)
		return;
	if (segment->flags & TCP_ACK) {
		send_reset_for(net, segment);
		return;
	}
	if (!(segment->flags & TCP_SYN))
		return;
	/* Over a limit: say nothing. The peer retries its SYN, perhaps when there is room. */
	if (listener->children >= listener->backlog || !connection_slot(net) ||
	    net->tcp_memory + buffer_size(net->config.tcp_receive_buffer) >
	    net->config.tcp_memory_limit) {
		net->stats.tcp_refused_limit++;
		return;
	}
	child = conn_create(net, TCP_SYN_RECEIVED);
	if (child == NULL) {
		net->stats.tcp_refused_limit++;
		return;
	}
	child->counted = true;
	net->tcp_connections++;
	child->listener = listener;
	listener->children++;
	child->local = segment->local;
	child->remote = segment->remote;
	child->irs = segment->seq;
	child->rcv_nxt = segment->seq + 1;
	child->rcv_adv = child->rcv_nxt;
	child->rcv_wscale = choose_rcv_wscale(net);
	apply_syn_options(child, segment);
	child->snd_wnd = segment->window;       /* a SYN's window is never scaled */
	child->snd_wl1 = segment->seq;
	child->iss = initial_sequence(net, &child->local, &child->remote);
	child->snd_una = child->iss;
	child->snd_nxt = child->iss + 1;
	child->snd_max = child->snd_nxt;
	child->send_start = child->iss + 1;
	child->rtt_measuring = true;
	child->rtt_seq = child->iss;
	child->rtt_start = time_now();
	/* Data in a SYN is legal but rare; we do not keep it, so we do not acknowledge it. */
	send_segment(child, child->iss, TCP_SYN, 0);
	arm_retransmit(child);
}

/* RFC 9293 3.10.7.3: a segment while our SYN is out. */
static void syn_sent_input(struct tcp_conn *conn, const struct segment *segment)
{
	bool ack_ok = false;

	if (segment->flags & TCP_ACK) {
		if (seq_leq(segment->ack, conn->iss) || seq_gt(segment->ack, conn->snd_max)) {
			send_reset_for(conn->net, segment);
			return;
		}
		ack_ok = true;
	}
	if (segment->flags & TCP_RST) {
		if (ack_ok)
			enter_closed(conn, -ECONNREFUSED);
		return;
	}
	if (!(segment->flags & TCP_SYN))
		return;
	conn->irs = segment->seq;
	conn->rcv_nxt = segment->seq + 1;
	conn->rcv_adv = conn->rcv_nxt;
	apply_syn_options(conn, segment);
	conn->snd_wnd = segment->window;
	conn->snd_wl1 = segment->seq;
	conn->snd_wl2 = segment->ack;
	if (ack_ok) {
		conn->snd_una = segment->ack;
		stop_timer(conn, TIMER_RETRANSMIT);
		if (conn->rtt_measuring) {
			rtt_sample(conn, time_now() - conn->rtt_start);
			conn->rtt_measuring = false;
		}
		conn->retransmits = 0;
		if (enter_established(conn) < 0) {
			send_reset(conn);
			enter_closed(conn, -ENOMEM);
			return;
		}
		send_ack(conn);
	} else {
		/* Both sides sent a SYN at once (simultaneous open): answer with SYN-ACK. */
		conn->state = TCP_SYN_RECEIVED;
		send_segment(conn, conn->iss, TCP_SYN, 0);
	}
}

/* ---------------------------------------------------------------------------------------
 * Input: synchronized states (RFC 9293 3.10.7.4)
 */

/*
 * The first check: is any of the segment inside the receive window? RFC 9293's four cases,
 * by segment length and window size.
 */
static bool acceptable(const struct tcp_conn *conn, uint32_t seq, uint32_t length,
		       uint32_t window)
{
	if (length == 0) {
		if (window == 0)
			return seq == conn->rcv_nxt;
		return seq_in_window(seq, conn->rcv_nxt, window);
	}
	if (window == 0)
		return false;
	return seq_in_window(seq, conn->rcv_nxt, window) ||
	       seq_in_window(seq + length - 1, conn->rcv_nxt, window);
}

/* Merge [start, end) into the out-of-order list; false if the list is full. */
static bool remember_range(struct tcp_conn *conn, uint32_t start, uint32_t end)
{
	struct tcp_range *ranges = conn->out_of_order;
	unsigned int i = 0;

	/* Absorb every range that overlaps or touches the new one. */
	while (i < conn->out_of_order_count) {
		if (seq_leq(ranges[i].start, end) && seq_geq(ranges[i].end, start)) {
			if (seq_lt(ranges[i].start, start))
				start = ranges[i].start;
			if (seq_gt(ranges[i].end, end))
				end = ranges[i].end;
			ranges[i] = ranges[--conn->out_of_order_count];
			continue;
		}
		i++;
	}
	if (conn->out_of_order_count == OUT_OF_ORDER_MAX)
		return false;
	ranges[conn->out_of_order_count++] = (struct tcp_range){ start, end };
	return true;
}

/* After RCV.NXT advanced: take in the out-of-order data that is now in order. */
static void absorb_ranges(struct tcp_conn *conn)
{
	bool progress = true;

	while (progress) {
		progress = false;
		for (unsigned int i = 0; i < conn->out_of_order_count; i++) {
			struct tcp_range range = conn->out_of_order[i];

			if (seq_gt(range.start, conn->rcv_nxt))
				continue;
			if (seq_gt(range.end, conn->rcv_nxt)) {
				ring_commit(&conn->receive, range.end - conn->rcv_nxt);
				conn->rcv_nxt = range.end;
			}
			conn->out_of_order[i] = conn->out_of_order[--conn->out_of_order_count];
			progress = true;
			break;
		}
	}
}

/*
 * Store the (already trimmed) payload. Returns true if it was in order, false if it went
 * past a hole (which asks for an immediate duplicate ACK, RFC 5681 4.2).
 */
static bool receive_data(struct tcp_conn *conn, uint32_t seq, const uint8_t *data,
			 size_t length)
{
	size_t offset = ring_used(&conn->receive) + (seq - conn->rcv_nxt);

	ring_write_at(&conn->receive, offset, data, length);
	if (seq != conn->rcv_nxt) {
		conn->net->stats.tcp_rx_out_of_order++;
		remember_range(conn, seq, seq + (uint32_t)length);
		return false;
	}
	ring_commit(&conn->receive, length);
	conn->rcv_nxt += (uint32_t)length;
	absorb_ranges(conn);
	net_readiness_changed(conn->net);
	return true;
}

static void enter_time_wait(struct tcp_conn *conn)
{
	conn->state = TCP_TIME_WAIT;
	stop_timer(conn, TIMER_RETRANSMIT);
	stop_timer(conn, TIMER_PERSIST);
	set_timer(conn, TIMER_LINGER, time_now() + conn->net->config.tcp_time_wait);
	if (!conn->owned_by_app)
		release_buffers(conn);
	net_readiness_changed(conn->net);
}

/* Congestion control and recovery on an ACK that acknowledges `acked` new bytes of data. */
static void on_new_ack(struct tcp_conn *conn, uint32_t ack, uint32_t acked)
{
	if (conn->in_recovery) {
		if (seq_geq(ack, conn->recover)) {
			/* Full acknowledgment: recovery is over (RFC 6582 3.2 step 3). */
			conn->in_recovery = false;
			conn->cwnd = conn->ssthresh;
		} else {
			/*
			 * Partial acknowledgment: the next hole is lost too. Retransmit it and
			 * deflate the window by what was acknowledged (RFC 6582 3.2 step 4).
			 */
			send_from(conn, ack, conn->mss);
			conn->net->stats.tcp_retransmits++;
			conn->cwnd = conn->cwnd > acked ? conn->cwnd - acked + conn->mss : conn->mss;
		}
	} else if (conn->cwnd < conn->ssthresh) {
		conn->cwnd += MIN(acked, conn->mss);                    /* slow start */
	} else {
		conn->cwnd += MAX(1u, conn->mss * conn->mss / conn->cwnd); /* avoidance */
	}
	conn->dupacks = 0;
}

/* Three duplicate ACKs: a segment was lost while later ones arrived (RFC 5681 3.2). */
static void on_duplicate_ack(struct tcp_conn *conn)
{
	uint32_t in_flight = conn->snd_max - conn->snd_una;

	if (conn->in_recovery) {
		conn->cwnd += conn->mss;        /* each dup ACK: a segment has left the network */
		return;
	}
	if (++conn->dupacks < 3) {
		/*
		 * Limited transmit (RFC 3042): each of the first two duplicates says a segment
		 * has left the network, so one new segment may go, if the peer's window allows.
		 * With a small window that is what brings the third duplicate at all, and with
		 * it fast retransmit instead of a timeout.
		 */
		uint32_t sent = conn->snd_nxt - conn->snd_una;

		if (conn->snd_wnd > sent) {
			uint32_t used = send_from(conn, conn->snd_nxt,
						  MIN(conn->snd_wnd - sent, (uint32_t)conn->mss));

			conn->snd_nxt += used;
			conn->snd_max = seq_max(conn->snd_max, conn->snd_nxt);
		}
		return;
	}
	conn->ssthresh = MAX(in_flight / 2, 2u * conn->mss);
	conn->cwnd = conn->ssthresh + 3u * conn->mss;
	conn->in_recovery = true;
	conn->recover = conn->snd_max;
	conn->rtt_measuring = false;            /* Karn: do not time a retransmission */
	send_from(conn, conn->snd_una, conn->mss);
	conn->net->stats.tcp_fast_retransmits++;
}

/*
 * Step five of RFC 9293 3.10.7.4: the ACK field. Returns false if the segment must be
 * dropped here.
 */
static bool process_ack(struct tcp_conn *conn, const struct segment *segment)
{
	uint32_t ack = segment->ack, window = (uint32_t)segment->window << conn->snd_wscale;

	if (conn->state == TCP_SYN_RECEIVED) {
		if (!seq_in_window(ack, conn->snd_una + 1, conn->snd_max - conn->snd_una)) {
			send_reset_for(conn->net, segment);
			return false;
		}
		if (enter_established(conn) < 0) {
			send_reset(conn);
			enter_closed(conn, -ENOMEM);
			return false;
		}
		conn->snd_wnd = window;
		conn->snd_wl1 = segment->seq;
		conn->snd_wl2 = ack;
		if (conn->listener != NULL) {
			list_add_tail(&conn->listener->accept_queue, &conn->accept_link);
			net_readiness_changed(conn->net);
		}
	}
	if (seq_gt(ack, conn->snd_max)) {
		/* It acknowledges something we never sent: answer with our state and drop. */
		send_ack(conn);
		return false;
	}
	if (seq_gt(ack, conn->snd_una)) {
		uint32_t data = seq_gt(ack, conn->send_start) ?
				MIN(ack - conn->send_start, (uint32_t)ring_used(&conn->send)) : 0;

		if (conn->rtt_measuring && seq_gt(ack, conn->rtt_seq)) {
			rtt_sample(conn, time_now() - conn->rtt_start);
			conn->rtt_measuring = false;
		}
		ring_consume(&conn->send, data);
		conn->send_start += data;
		/* All sent data acknowledged: give the send buffer back until the next write, so
		 * that a kept-alive connection between responses holds no send buffer. */
		if (ring_used(&conn->send) == 0)
			ring_release(conn, &conn->send);
		conn->snd_una = ack;
		if (seq_lt(conn->snd_nxt, ack))
			conn->snd_nxt = ack;            /* after a timeout pulled SND.NXT back */
		conn->retransmits = 0;
		conn->persist_backoff = 0;
		/* The window grows with data acknowledged; a SYN or FIN is not data. */
		if (data > 0)
			on_new_ack(conn, ack, data);
		/* RFC 6298 5.2 and 5.3: stop the timer when all is acknowledged, else restart. */
		if (conn->snd_una == conn->snd_max)
			stop_timer(conn, TIMER_RETRANSMIT);
		else
			arm_retransmit(conn);
		if (data > 0)
			net_readiness_changed(conn->net);
	} else if (ack == conn->snd_una && segment->length == 0 &&
		   !(segment->flags & (TCP_SYN | TCP_FIN)) && window == conn->snd_wnd &&
		   conn->snd_max != conn->snd_una) {
		on_duplicate_ack(conn);
	}
	/* The window update (RFC 9293 3.10.7.4, "If SND.UNA =< SEG.ACK =< SND.NXT"). */
	if (seq_geq(ack, conn->snd_una) &&
	    (seq_lt(conn->snd_wl1, segment->seq) ||
	     (conn->snd_wl1 == segment->seq && seq_leq(conn->snd_wl2, ack)))) {
		bool opened = conn->snd_wnd == 0 && window > 0;

		conn->snd_wnd = window;
		conn->snd_wl1 = segment->seq;
		conn->snd_wl2 = ack;
		if (opened) {
			stop_timer(conn, TIMER_PERSIST);
			conn->persist_backoff = 0;
			net_readiness_changed(conn->net);
		}
	}

	/* Our FIN acknowledged: the closing states move on. */
	if (fin_acked(conn)) {
		switch (conn->state) {
		case TCP_FIN_WAIT_1:
			conn->state = TCP_FIN_WAIT_2;
			/* An orphan (closed by the app) may not wait forever for the peer's FIN. */
			if (!conn->owned_by_app)
				set_timer(conn, TIMER_LINGER,
					  time_now() + conn->net->config.tcp_time_wait);
			break;
		case TCP_CLOSING:
			enter_time_wait(conn);
			break;
		case TCP_LAST_ACK:
			enter_closed(conn, 0);
			return false;
		default:
			break;
		}
	}
	return true;
}

/* The rest of 3.10.7.4 for ESTABLISHED and the states after it, and SYN-RECEIVED. */
static void synchronized_input(struct tcp_conn *conn, struct segment *segment)
{
	uint32_t window = receive_window(conn);
	uint32_t length = (uint32_t)segment->length + !!(segment->flags & TCP_SYN) +
			  !!(segment->flags & TCP_FIN);
	bool ack_now = false, in_order = true;

	/* A retransmitted SYN while our SYN-ACK is out: send the SYN-ACK again. */
	if (conn->state == TCP_SYN_RECEIVED && (segment->flags & TCP_SYN) &&
	    !(segment->flags & TCP_ACK) && segment->seq == conn->irs) {
		send_segment(conn, conn->iss, TCP_SYN, 0);
		return;
	}

	/* First: the sequence number. */
	if (!acceptable(conn, segment->seq, length, window)) {
		/*
		 * A zero-window probe lands exactly at RCV.NXT; its ACK field still counts
		 * (RFC 9293: "special allowance should be made to accept valid ACKs"), its data
		 * does not.
		 */
		if (window == 0 && segment->seq == conn->rcv_nxt && !(segment->flags & TCP_RST)) {
			segment->length = 0;
			segment->flags &= (uint8_t)~TCP_FIN;
			ack_now = true;
		} else {
			conn->net->stats.tcp_rx_out_of_window++;
			if (!(segment->flags & TCP_RST))
				send_ack(conn);
			return;
		}
	}
	/* Trim to the window: drop what we already have and what does not fit. */
	if (seq_lt(segment->seq, conn->rcv_nxt)) {
		uint32_t duplicate = conn->rcv_nxt - segment->seq;

		if (segment->flags & TCP_SYN) {
			segment->flags &= (uint8_t)~TCP_SYN;
			duplicate--;
			segment->seq++;
		}
		duplicate = MIN(duplicate, (uint32_t)segment->length);
		segment->payload += duplicate;
		segment->length -= duplicate;
		segment->seq += duplicate;
		ack_now = true;                 /* a retransmission: our ACK may have been lost */
	}
	if (segment->length > 0 && seq_gt(segment->seq + (uint32_t)segment->length,
					  conn->rcv_nxt + window)) {
		segment->length = conn->rcv_nxt + window - segment->seq;
		segment->flags &= (uint8_t)~TCP_FIN;
	}

	/*
	 * Second: RST. RFC 5961 3.2: only a reset at exactly RCV.NXT is believed; one that is
	 * merely inside the window gets a "challenge ACK", which a real peer answers with an
	 * exact reset and a blind attacker cannot.
	 */
	if (segment->flags & TCP_RST) {
		if (segment->seq != conn->rcv_nxt) {
			send_ack(conn);
			return;
		}
		if (conn->state == TCP_SYN_RECEIVED && conn->listener != NULL)
			enter_closed(conn, -ECONNREFUSED);
		else if (conn->state == TCP_CLOSING || conn->state == TCP_LAST_ACK ||
			 conn->state == TCP_TIME_WAIT)
			enter_closed(conn, 0);
		else
			enter_closed(conn, -ECONNRESET);
		return;
	}
	/* Fourth: a SYN in a synchronized state is answered with a challenge ACK (RFC 5961 4). */
	if (segment->flags & TCP_SYN) {
		send_ack(conn);
		return;
	}
	/* Fifth: the ACK field. */
	if (!(segment->flags & TCP_ACK))
		return;
	if (!process_ack(conn, segment))
		return;

	/* Seventh: the data. Only states that still expect data from the peer take it. */
	if (segment->length > 0) {
		/* A segment that fills (part of) a hole is acknowledged at once (RFC 5681 4.2). */
		if (conn->out_of_order_count > 0)
			ack_now = true;
		if (conn->state == TCP_ESTABLISHED || conn->state == TCP_FIN_WAIT_1 ||
		    conn->state == TCP_FIN_WAIT_2) {
			if (!conn->closed_by_app) {
				in_order = receive_data(conn, segment->seq, segment->payload,
							segment->length);
			} else {
				/* Nobody will read it: acknowledge and forget (the app closed). */
				if (segment->seq == conn->rcv_nxt)
					conn->rcv_nxt += (uint32_t)segment->length;
				else
					in_order = false;
			}
			if (!in_order)
				ack_now = true;
			else if (++conn->segments_unacked >= 2)
				ack_now = true;         /* RFC 9293 3.8.6.3: every second segment */
			else if (conn->timers[TIMER_DELAYED_ACK] == TIME_NEVER)
				set_timer(conn, TIMER_DELAYED_ACK, time_now() + DELAYED_ACK);
		}
	}

	/* Eighth: FIN, once everything before it is in. */
	if ((segment->flags & TCP_FIN) && in_order &&
	    segment->seq + (uint32_t)segment->length == conn->rcv_nxt) {
		if (!conn->fin_received) {
			conn->fin_received = true;
			conn->rcv_nxt++;
			net_readiness_changed(conn->net);
		}
		ack_now = true;
		switch (conn->state) {
		case TCP_SYN_RECEIVED:
		case TCP_ESTABLISHED:
			conn->state = TCP_CLOSE_WAIT;
			break;
		case TCP_FIN_WAIT_1:
			/* Our FIN is not acknowledged yet (else we would be in FIN-WAIT-2). */
			conn->state = TCP_CLOSING;
			break;
		case TCP_FIN_WAIT_2:
			enter_time_wait(conn);
			break;
		case TCP_TIME_WAIT:
			/* The peer did not get our ACK of its FIN: restart the 2 MSL wait. */
			set_timer(conn, TIMER_LINGER, time_now() + conn->net->config.tcp_time_wait);
			break;
		default:
			break;
		}
	}
	tcp_output(conn);
	if (ack_now)
		send_ack(conn);
}

/* ---------------------------------------------------------------------------------------
 * Input: the entry point
 */

void tcp_input(const struct ipv4_info *info, struct netbuf *packet)
{
	struct net *net = info->iface->net;
	const uint8_t *header = packet->data;
	struct segment segment;
	struct tcp_conn *conn;
	size_t header_length;

	/* TCP is unicast only: a segment sent to a broadcast address is dropped unanswered. */
	if (info->broadcast || info->destination != info->iface->address)
		goto bad;
	if (packet->length < TCP_HEADER_LEN)
		goto bad;
	header_length = (header[12] >> 4) * 4u;
	if (header_length < TCP_HEADER_LEN || header_length > packet->length)
		goto bad;
	if (!(packet->flags & NETBUF_CSUM_VERIFIED)) {
		uint32_t sum = checksum_pseudo_header(info->source, info->destination,
						      IPV4_PROTOCOL_TCP, (uint16_t)packet->length);

		if (checksum_finish(checksum_add(sum, header, packet->length)) != 0) {
			net->stats.tcp_rx_bad_checksum++;
			goto drop;
		}
	}
	segment.info = info;
	segment.remote.address = info->source;
	segment.remote.port = get_be16(header + 0);
	segment.local.address = info->destination;
	segment.local.port = get_be16(header + 2);
	segment.seq = get_be32(header + 4);
	segment.ack = get_be32(header + 8);
	segment.flags = header[13] & 0x3f;
	segment.window = get_be16(header + 14);
	segment.options = header + TCP_HEADER_LEN;
	segment.options_length = header_length - TCP_HEADER_LEN;
	segment.payload = header + header_length;
	segment.length = packet->length - header_length;
	segment.checksum_verified = true;
	if (segment.remote.port == 0 || segment.local.port == 0)
		goto bad;

	conn = find_conn(net, &segment);
	if (conn == NULL) {
		net->stats.tcp_rx_no_connection++;
		send_reset_for(net, &segment);
		goto drop;
	}
	switch (conn->state) {
	case TCP_LISTEN:
		listen_input(conn, &segment);
		break;
	case TCP_SYN_SENT:
		syn_sent_input(conn, &segment);
		break;
	default:
		synchronized_input(conn, &segment);
		break;
	}
	reap(net);
	goto drop;
bad:
	net->stats.tcp_rx_bad++;
drop:
	netbuf_free(packet);
}

/* ---------------------------------------------------------------------------------------
 * Timers
 */

/* The retransmission timer expired (RFC 6298 5.4 to 5.7). */
static void retransmit_timeout(struct tcp_conn *conn)
{
	struct net *net = conn->net;
	uint32_t in_flight = conn->snd_max - conn->snd_una;
	unsigned int limit = synchronized(conn) ? DATA_RETRIES : SYN_RETRIES;

	net->stats.tcp_timeouts++;
	if (conn->retransmits >= limit) {
		if (synchronized(conn))
			send_reset(conn);
		enter_closed(conn, -ETIMEDOUT);
		return;
	}
	conn->retransmits++;
	conn->rto = MIN(conn->rto * 2, RTO_MAX);        /* 5.5: back off */
	conn->rtt_measuring = false;                    /* Karn's rule */
	net->stats.tcp_retransmits++;
	if (conn->state == TCP_SYN_SENT || conn->state == TCP_SYN_RECEIVED) {
		send_segment(conn, conn->iss, TCP_SYN, 0);
		arm_retransmit(conn);
		return;
	}
	/*
	 * A timeout means the network lost more than one segment, or all ACKs: start over
	 * from SND.UNA with one segment in flight (RFC 5681 3.1, equation 4).
	 */
	conn->ssthresh = MAX(in_flight / 2, 2u * conn->mss);
	conn->cwnd = conn->mss;
	conn->in_recovery = false;
	conn->dupacks = 0;
	conn->snd_nxt = conn->snd_una;
	stop_timer(conn, TIMER_RETRANSMIT);
	tcp_output(conn);
	if (conn->timers[TIMER_RETRANSMIT] == TIME_NEVER && conn->snd_max != conn->snd_una)
		arm_retransmit(conn);
}

/* Zero-window probe: one byte past the window, which the peer answers with its window. */
static void persist_timeout(struct tcp_conn *conn)
{
	uint64_t interval;

	if (conn->snd_wnd != 0 || !seq_lt(conn->snd_nxt, send_end(conn)))
		return;
	/*
	 * A peer may keep its window shut for as long as it likes while it answers, and the
	 * connection lives on (RFC 1122 4.2.2.17). But once the app has closed it, nobody
	 * waits for it: an orphan gives up as a retransmission would.
	 */
	if (conn->closed_by_app && conn->persist_backoff >= DATA_RETRIES) {
		send_reset(conn);
		enter_closed(conn, -ETIMEDOUT);
		return;
	}
	send_from(conn, conn->snd_nxt, 1);
	/* The probe byte counts as sent, so that the peer's ACK of it is acceptable. */
	conn->snd_max = seq_max(conn->snd_max, conn->snd_nxt + 1);
	conn->persist_backoff = MIN(conn->persist_backoff + 1, 16u);
	interval = MAX(conn->rto, PERSIST_MIN) << MIN(conn->persist_backoff, 8u);
	set_timer(conn, TIMER_PERSIST, time_now() + MIN(interval, PERSIST_MAX));
}

uint64_t tcp_timers(struct net *net, uint64_t now)
{
	struct tcp_conn *conn, *next_conn;
	uint64_t next = TIME_NEVER;

	list_for_each_entry_safe(conn, next_conn, &net->tcp_conns, link) {
		for (unsigned int timer = 0; timer < TIMER_COUNT; timer++) {
			if (conn->timers[timer] > now)
				continue;
			conn->timers[timer] = TIME_NEVER;
			switch (timer) {
			case TIMER_RETRANSMIT:
				retransmit_timeout(conn);
				break;
			case TIMER_PERSIST:
				persist_timeout(conn);
				break;
			case TIMER_DELAYED_ACK:
				send_ack(conn);
				break;
			case TIMER_LINGER:
				enter_closed(conn, 0);
				break;
			}
			if (conn->state == TCP_CLOSED)
				break;
		}
	}
	reap(net);
	list_for_each_entry(conn, &net->tcp_conns, link) {
		for (unsigned int timer = 0; timer < TIMER_COUNT; timer++)
			next = MIN(next, conn->timers[timer]);
	}
	return next;
}

/* ---------------------------------------------------------------------------------------
 * The API
 */

int tcp_listen(struct net *net, uint16_t port, unsigned int backlog, struct tcp_conn **out)
{
	struct tcp_conn *conn;

	if (port == 0 || backlog == 0)
		return -EINVAL;
	list_for_each_entry(conn, &net->tcp_conns, link) {
		if (conn->state == TCP_LISTEN && conn->local.port == port)
			return -EADDRINUSE;
	}
	conn = conn_create(net, TCP_LISTEN);
	if (conn == NULL)
		return -ENOMEM;
	conn->owned_by_app = true;
	conn->local.port = port;
	conn->backlog = backlog;
	*out = conn;
	return 0;
}

static bool accept_ready(void *arg)
{
	const struct tcp_conn *listener = arg;

	return !list_empty(&listener->accept_queue);
}

int tcp_accept(struct tcp_conn *listener, struct tcp_conn **out, uint64_t deadline)
{
	struct tcp_conn *conn;

	if (listener->state != TCP_LISTEN)
		return -EINVAL;
	if (sched_wait(accept_ready, listener, deadline) < 0)
		return -ETIMEDOUT;
	conn = container_of(list_first(&listener->accept_queue), struct tcp_conn, accept_link);
	detach_from_listener(conn);
	conn->owned_by_app = true;
	*out = conn;
	return 0;
}

static bool port_in_use(struct net *net, uint16_t port)
{
	struct tcp_conn *conn;

	list_for_each_entry(conn, &net->tcp_conns, link) {
		if (conn->local.port == port)
			return true;
	}
	return false;
}

static bool connect_done(void *arg)
{
	const struct tcp_conn *conn = arg;

	return conn->state != TCP_SYN_SENT && conn->state != TCP_SYN_RECEIVED;
}

int tcp_connect(struct net *net, const struct net_endpoint *remote, struct tcp_conn **out,
		uint64_t deadline)
{
	struct ipv4_route route;
	struct tcp_conn *conn;
	uint16_t port = 0;
	int rc;

	rc = ipv4_route(net, remote->address, NULL, &route);
	if (rc < 0)
		return rc;
	if (remote->port == 0 || route.broadcast)
		return -EINVAL;
	/* An ephemeral port, from a random start (RFC 6056). */
	for (uint32_t i = 0, start = net_random(net); i < 16384 && port == 0; i++) {
		uint16_t candidate = (uint16_t)(49152 + (start + i) % 16384);

		if (!port_in_use(net, candidate))
			port = candidate;
	}
	if (port == 0)
		return -EADDRINUSE;
	if (!connection_slot(net))
		return -ENOBUFS;
	conn = conn_create(net, TCP_SYN_SENT);
	if (conn == NULL)
		return -ENOMEM;
	conn->owned_by_app = true;
	conn->counted = true;
	net->tcp_connections++;
	conn->local = (struct net_endpoint){ route.source, port };
	conn->remote = *remote;
	conn->rcv_wscale = choose_rcv_wscale(net);
	conn->iss = initial_sequence(net, &conn->local, &conn->remote);
	conn->snd_una = conn->iss;
	conn->snd_nxt = conn->iss + 1;
	conn->snd_max = conn->snd_nxt;
	conn->send_start = conn->iss + 1;
	conn->rtt_measuring = true;
	conn->rtt_seq = conn->iss;
	conn->rtt_start = time_now();
	send_segment(conn, conn->iss, TCP_SYN, 0);
	arm_retransmit(conn);

	if (sched_wait(connect_done, conn, deadline) < 0) {
		tcp_abort(conn);
		return -ETIMEDOUT;
	}
	if (conn->state == TCP_CLOSED) {
		rc = conn->error != 0 ? conn->error : -ECONNREFUSED;
		conn_free(conn);
		return rc;
	}
	*out = conn;
	return 0;
}

static bool readable(void *arg)
{
	const struct tcp_conn *conn = arg;

	return ring_used(&conn->receive) > 0 || conn->fin_received || conn->error != 0 ||
	       conn->state == TCP_CLOSED;
}

/*
 * After the app read: if the window grew enough to be worth announcing (the same rule as
 * window_to_advertise), tell the peer now rather than with the next segment: it may be
 * waiting for exactly this, with a closed window.
 */
static void maybe_window_update(struct tcp_conn *conn)
{
	uint32_t offered = seq_gt(conn->rcv_adv, conn->rcv_nxt) ? conn->rcv_adv - conn->rcv_nxt : 0;
	uint32_t threshold = MIN((uint32_t)conn->receive.capacity / 2, 2u * conn->mss);

	if (!synchronized(conn) || conn->fin_received)
		return;
	if (receive_window(conn) >= offered + threshold)
		send_ack(conn);
}

int tcp_read(struct tcp_conn *conn, void *buffer, size_t size, uint64_t deadline)
{
	size_t count;

	if (conn->state == TCP_LISTEN)
		return -EINVAL;
	if (!readable(conn) && sched_wait(readable, conn, deadline) < 0)
		return -ETIMEDOUT;
	if (conn->error != 0)
		return conn->error;
	count = MIN(MIN(size, ring_used(&conn->receive)), (size_t)INT32_MAX);
	if (count == 0)
		return conn->fin_received ? 0 : -ENOTCONN;
	ring_peek(&conn->receive, 0, buffer, count);
	ring_consume(&conn->receive, count);
	maybe_window_update(conn);
	return (int)count;
}

static bool can_write(const struct tcp_conn *conn)
{
	return (conn->state == TCP_ESTABLISHED || conn->state == TCP_CLOSE_WAIT) &&
	       !conn->fin_queued;
}

static bool writable(void *arg)
{
	const struct tcp_conn *conn = arg;

	/* No buffer at all counts as room: it was given back because everything was acked. */
	return !can_write(conn) || conn->error != 0 || conn->send.storage == NULL ||
	       ring_free(&conn->send) > 0;
}

int tcp_write(struct tcp_conn *conn, const void *data, size_t length, uint64_t deadline)
{
	size_t total = 0;

	length = MIN(length, (size_t)INT32_MAX);
	while (total < length) {
		if (conn->error != 0)
			return total > 0 ? (int)total : conn->error;
		if (!can_write(conn))
			return total > 0 ? (int)total : -EPIPE;
		/* The send buffer is allocated on the first write: idle connections hold none. */
		if (conn->send.storage == NULL &&
		    ring_allocate(conn, &conn->send, conn->net->config.tcp_send_buffer) < 0)
			return total > 0 ? (int)total : -ENOMEM;
		if (ring_free(&conn->send) == 0) {
			if (sched_wait(writable, conn, deadline) < 0)
				return total > 0 ? (int)total : -ETIMEDOUT;
			continue;
		}
		total += ring_append(&conn->send, (const uint8_t *)data + total, length - total);
		tcp_output(conn);
	}
	return (int)total;
}

int tcp_shutdown(struct tcp_conn *conn)
{
	switch (conn->state) {
	case TCP_ESTABLISHED:
		conn->state = TCP_FIN_WAIT_1;
		break;
	case TCP_CLOSE_WAIT:
		conn->state = TCP_LAST_ACK;
		break;
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
	case TCP_TIME_WAIT:
		return 0;                       /* already shut down */
	default:
		return -ENOTCONN;
	}
	conn->fin_queued = true;
	conn->fin_seq = send_end(conn);
	net_readiness_changed(conn->net);
	tcp_output(conn);
	return 0;
}

void tcp_abort(struct tcp_conn *conn)
{
	struct net *net = conn->net;

	if (conn->state == TCP_LISTEN) {
		/* Children not handed out die with their listener. */
		struct tcp_conn *child;

		list_for_each_entry(child, &conn->net->tcp_conns, link) {
			if (child->listener == conn) {
				send_reset(child);
				enter_closed(child, -ECONNABORTED);
			}
		}
		conn_free(conn);
		reap(net);
		return;
	}
	if (synchronized(conn) && conn->state != TCP_TIME_WAIT)
		send_reset(conn);
	conn_free(conn);
}

void tcp_close(struct tcp_conn *conn)
{
	if (conn->state == TCP_LISTEN || conn->state == TCP_CLOSED ||
	    conn->state == TCP_SYN_SENT) {
		tcp_abort(conn);
		return;
	}
	/* Data the app never read is lost: tell the peer with a reset, not a polite FIN. */
	if (ring_used(&conn->receive) > 0) {
		tcp_abort(conn);
		return;
	}
	conn->owned_by_app = false;
	conn->closed_by_app = true;
	if (conn->state == TCP_TIME_WAIT) {
		release_buffers(conn);
		return;
	}
	if (conn->state == TCP_FIN_WAIT_2)
		set_timer(conn, TIMER_LINGER, time_now() + conn->net->config.tcp_time_wait);
	tcp_shutdown(conn);
}

unsigned int tcp_poll_events(const struct tcp_conn *conn)
{
	unsigned int events = 0;

	if (conn->state == TCP_LISTEN)
		return list_empty(&conn->accept_queue) ? 0 : NET_POLL_IN;
	if (readable((void *)conn))
		events |= NET_POLL_IN;
	if (conn->error != 0)
		events |= NET_POLL_ERR;
	if (can_write(conn) && (conn->send.storage == NULL || ring_free(&conn->send) > 0))
		events |= NET_POLL_OUT;
	if (conn->state == TCP_CLOSED || conn->state == TCP_TIME_WAIT ||
	    (conn->fin_received && conn->fin_queued))
		events |= NET_POLL_HUP;
	return events;
}

void tcp_endpoints(const struct tcp_conn *conn, struct net_endpoint *local,
		   struct net_endpoint *remote)
{
	if (local != NULL)
		*local = conn->local;
	if (remote != NULL)
		*remote = conn->remote;
}

void tcp_get_info(const struct tcp_conn *conn, struct tcp_info *info)
{
	info->state = conn->state;
	info->snd_una = conn->snd_una;
	info->snd_nxt = conn->snd_nxt;
	info->snd_wnd = conn->snd_wnd;
	info->rcv_nxt = conn->rcv_nxt;
	info->rcv_wnd = receive_window(conn);
	info->cwnd = conn->cwnd;
	info->ssthresh = conn->ssthresh;
	info->mss = conn->mss;
	info->snd_wscale = conn->snd_wscale;
	info->rcv_wscale = conn->rcv_wscale;
	info->srtt = conn->srtt;
	info->rttvar = conn->rttvar;
	info->rto = conn->rto;
	info->send_queued = ring_used(&conn->send);
	info->receive_queued = ring_used(&conn->receive);
	info->memory = buffer_memory(conn) + sizeof(*conn);
	info->retransmits = conn->retransmits;
	info->out_of_order_ranges = conn->out_of_order_count;
}
