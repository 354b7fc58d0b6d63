/*
 * net/tcp.h: the Transmission Control Protocol (RFC 9293): reliable, ordered byte streams.
 *
 * The calls read like a small server in C, and each one that can wait takes a deadline
 * (net/net.h explains deadlines and errors):
 *
 *     struct tcp_conn *listener, *conn;
 *     tcp_listen(net, 80, 16, &listener);
 *     while (tcp_accept(listener, &conn, TIME_NEVER) == 0) {
 *             n = tcp_read(conn, request, sizeof(request), time_now() + 5 * NSEC_PER_SEC);
 *             tcp_write(conn, reply, length, time_now() + 5 * NSEC_PER_SEC);
 *             tcp_close(conn);
 *     }
 *
 * A struct tcp_conn is owned by the app from the call that returned it until tcp_close()
 * or tcp_abort(); the stack never frees it before that, so a handle never dangles. After
 * tcp_close(), the stack finishes the closing handshake on its own and frees it.
 *
 * What is implemented, briefly (docs/tcpip.md has the details): the RFC 9293 state machine;
 * the MSS and window scale options (RFC 7323); retransmission with Jacobson/Karels RTO
 * estimation, Karn's rule and exponential backoff (RFC 6298); slow start, congestion
 * avoidance, fast retransmit and NewReno recovery (RFC 5681, RFC 6582); delayed ACKs; an
 * out-of-order queue inside the receive buffer; zero-window probing; RFC 5961's defences
 * against blind resets; and limits on connections and on buffer memory.
 */
#ifndef NET_TCP_H
#define NET_TCP_H

#include <stddef.h>
#include <stdint.h>
#include "net/net.h"
#include "net/netbuf.h"

struct ipv4_info;

enum tcp_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

/*
 * Listen on `port` of every address. Up to `backlog` connections may be in the handshake or
 * waiting for tcp_accept() at once; more SYNs are ignored (the peer will retry).
 * -EADDRINUSE, -ENOMEM.
 */
int tcp_listen(struct net *net, uint16_t port, unsigned int backlog, struct tcp_conn **out);

/* Wait for an established connection. -ETIMEDOUT, -EINVAL if not a listener. */
int tcp_accept(struct tcp_conn *listener, struct tcp_conn **out, uint64_t deadline);

/*
 * Open a connection to `remote` and wait until it is established. -ECONNREFUSED (the peer
 * answered with a reset), -ETIMEDOUT, -ENETUNREACH, -ENOBUFS (connection limit), -ENOMEM.
 */
int tcp_connect(struct net *net, const struct net_endpoint *remote, struct tcp_conn **out,
		uint64_t deadline);

/*
 * Wait until data can be read, then copy up to `size` bytes. Returns the count, 0 at the end
 * of the stream (the peer closed its side), or -ETIMEDOUT, -ECONNRESET, -ETIMEDOUT, ...
 */
int tcp_read(struct tcp_conn *conn, void *buffer, size_t size, uint64_t deadline);

/*
 * Queue `length` bytes for sending, waiting for room in the send buffer as needed. Returns
 * `length`, or fewer if the deadline passed after some were queued, or -ETIMEDOUT if none
 * were; -EPIPE after tcp_shutdown() or once the connection is closing; -ECONNRESET.
 */
int tcp_write(struct tcp_conn *conn, const void *data, size_t length, uint64_t deadline);

/* Send a FIN after the queued data: we will write no more (reading goes on). 0 or -ENOTCONN. */
int tcp_shutdown(struct tcp_conn *conn);

/*
 * Give the connection back: a graceful close (FIN) that the stack completes on its own,
 * or a reset if received data was left unread (RFC 9293 3.10.4 / RFC 1122 4.2.2.13).
 * Closing a listener resets the connections it has not handed out yet.
 */
void tcp_close(struct tcp_conn *conn);

/* Reset the connection (RST) and give it back at once. */
void tcp_abort(struct tcp_conn *conn);

/* Which NET_POLL_* events are ready now (net_poll uses it). */
unsigned int tcp_poll_events(const struct tcp_conn *conn);

void tcp_endpoints(const struct tcp_conn *conn, struct net_endpoint *local,
		   struct net_endpoint *remote);

/* A snapshot of a connection's internals, for tests, statistics and curious students. */
struct tcp_info {
	enum tcp_state state;
	uint32_t snd_una, snd_nxt, snd_wnd, rcv_nxt, rcv_wnd;
	uint32_t cwnd, ssthresh;
	uint16_t mss;
	uint8_t snd_wscale, rcv_wscale;
	uint64_t srtt, rttvar, rto;     /* ns */
	size_t send_queued, receive_queued;
	size_t memory;                  /* bytes of buffers held */
	unsigned int retransmits;       /* consecutive timeouts */
	unsigned int out_of_order_ranges;
};
void tcp_get_info(const struct tcp_conn *conn, struct tcp_info *info);

const char *tcp_state_name(enum tcp_state state);

/* The stack's side: a received segment (IPv4 header pulled; takes it), and the timers. */
void tcp_input(const struct ipv4_info *info, struct netbuf *segment);
uint64_t tcp_timers(struct net *net, uint64_t now);

#endif
