/*
 * test/unit/test_tcp.c: the TCP state machine (net/tcp.c) driven by scripted segments from
 * a fake peer, with a fake clock for the timers. Each test reads as a conversation: the
 * peer sends, the stack answers, the test checks the answer.
 */
#include <check.h>
#include "test/unit/net_harness.h"
#include "test/unit/suites.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "lib/string.h"

#define PORT      7
#define PEER_PORT 40000
#define PEER_WINDOW 1000        /* scaled by 2^7: 128000 bytes */

/* MSS 1460, NOP, window scale 7: what Linux sends. */
static const uint8_t syn_options[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };

static struct tcp_conn *listener;
static uint32_t iss;            /* our initial sequence number */
static uint32_t peer_seq;       /* the peer's next sequence number */

static struct tcp_info info_of(struct tcp_conn *conn)
{
	struct tcp_info info;

	tcp_get_info(conn, &info);
	return info;
}

/* The peer sends a segment at peer_seq, acknowledging everything we sent. */
static void peer_send(struct tcp_conn *conn, uint8_t flags, const void *data, size_t length,
		      uint16_t window)
{
	inject_tcp(PEER_PORT, PORT, peer_seq, info_of(conn).snd_nxt, flags | TH_ACK, window,
		   NULL, 0, data, length);
	peer_seq += (uint32_t)length + ((flags & TH_FIN) ? 1 : 0);
}

/* Listen, take a SYN from the peer, answer it, take the ACK, accept. */
static struct tcp_conn *open_passive(const uint8_t *options, size_t options_length,
				     uint32_t peer_isn)
{
	struct tcp_conn *conn;
	struct seen_tcp synack;

	ck_assert_int_eq(tcp_listen(harness_net, PORT, 4, &listener), 0);
	inject_tcp(PEER_PORT, PORT, peer_isn, 0, TH_SYN, 64240, options, options_length, NULL, 0);
	synack = last_tcp();
	ck_assert(synack.valid && synack.checksums_ok);
	ck_assert_uint_eq(synack.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(synack.ack, peer_isn + 1);
	ck_assert_int_eq(tcp_accept(listener, &conn, 0), -ETIMEDOUT);  /* not yet */
	iss = synack.seq;
	peer_seq = peer_isn + 1;
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_int_eq(tcp_accept(listener, &conn, 0), 0);
	forget_transmitted();
	return conn;
}

static void timers_after(uint64_t nanoseconds)
{
	fake_clock_advance(nanoseconds);
	net_run_timers(harness_net, time_now());
}

START_TEST(passive_open_negotiates_options)
{
	struct tcp_conn *conn;
	struct seen_tcp synack;
	struct tcp_info info;

	harness_setup(NULL, 0);
	ck_assert_int_eq(tcp_listen(harness_net, PORT, 4, &listener), 0);
	inject_tcp(PEER_PORT, PORT, 1000, 0, TH_SYN, 64240, syn_options, sizeof(syn_options),
		   NULL, 0);
	synack = last_tcp();
	ck_assert_int_eq(synack.mss, 1460);
	ck_assert_int_eq(synack.wscale, 0);             /* 16 KiB fits 16 bits: shift 0 */
	ck_assert_uint_eq(synack.window, 16384);
	inject_tcp(PEER_PORT, PORT, 1001, synack.seq + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_int_eq(tcp_accept(listener, &conn, 0), 0);
	info = info_of(conn);
	ck_assert_int_eq(info.state, TCP_ESTABLISHED);
	ck_assert_uint_eq(info.snd_wscale, 7);
	ck_assert_uint_eq(info.snd_wnd, PEER_WINDOW << 7);
	ck_assert_uint_eq(info.mss, 1460);
}
END_TEST

START_TEST(large_buffer_scales_our_window)
{
	struct net_config config;
	struct seen_tcp synack;

	net_config_defaults(&config);
	config.tcp_receive_buffer = 256 * 1024;
	harness_setup(&config, 0);
	ck_assert_int_eq(tcp_listen(harness_net, PORT, 4, &listener), 0);
	inject_tcp(PEER_PORT, PORT, 1000, 0, TH_SYN, 64240, syn_options, sizeof(syn_options),
		   NULL, 0);
	synack = last_tcp();
	ck_assert_int_eq(synack.wscale, 3);             /* 256 KiB >> 3 = 32 KiB */
	ck_assert_uint_eq(synack.window, 65535);        /* a SYN's window is not scaled */
	inject_tcp(PEER_PORT, PORT, 1001, synack.seq + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	inject_tcp(PEER_PORT, PORT, 1001, synack.seq + 1, TH_ACK | TH_PSH, PEER_WINDOW, NULL, 0,
		   "a", 1);
	inject_tcp(PEER_PORT, PORT, 1002, synack.seq + 1, TH_ACK | TH_PSH, PEER_WINDOW, NULL, 0,
		   "b", 1);
	ck_assert_uint_eq(last_tcp().window, (256 * 1024 - 2) >> 3);
}
END_TEST

START_TEST(no_window_scale_unless_the_peer_offers_it)
{
	static const uint8_t mss_only[] = { 2, 4, 0x02, 0x18 };        /* MSS 536 */
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	ck_assert_int_eq(tcp_listen(harness_net, PORT, 4, &listener), 0);
	inject_tcp(PEER_PORT, PORT, 1000, 0, TH_SYN, 8192, mss_only, sizeof(mss_only), NULL, 0);
	ck_assert_int_eq(last_tcp().wscale, -1);
	inject_tcp(PEER_PORT, PORT, 1001, last_tcp().seq + 1, TH_ACK, 8192, NULL, 0, NULL, 0);
	ck_assert_int_eq(tcp_accept(listener, &conn, 0), 0);
	ck_assert_uint_eq(info_of(conn).snd_wnd, 8192);
	ck_assert_uint_eq(info_of(conn).mss, 536);
}
END_TEST

START_TEST(in_order_data_and_delayed_ack)
{
	struct tcp_conn *conn;
	char buffer[32];

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	peer_send(conn, TH_PSH, "hello", 5, PEER_WINDOW);
	ck_assert_uint_eq(transmitted(), 0);            /* the ACK waits a little */
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), 5);
	ck_assert_mem_eq(buffer, "hello", 5);
	timers_after(40 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().flags, TH_ACK);
	ck_assert_uint_eq(last_tcp().ack, peer_seq);
	/* Two segments in a row are acknowledged at once (RFC 9293 3.8.6.3). */
	forget_transmitted();
	peer_send(conn, 0, "ab", 2, PEER_WINDOW);
	peer_send(conn, 0, "cd", 2, PEER_WINDOW);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().ack, peer_seq);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), 4);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), -ETIMEDOUT);
}
END_TEST

START_TEST(out_of_order_data_is_reassembled)
{
	struct tcp_conn *conn;
	char buffer[32];
	uint32_t start;

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	start = peer_seq;
	/* The third piece, then the second: each is acknowledged at once, with the old ACK. */
	peer_seq = start + 10;
	peer_send(conn, 0, "KLMNO", 5, PEER_WINDOW);
	peer_seq = start + 5;
	peer_send(conn, 0, "FGHIJ", 5, PEER_WINDOW);
	ck_assert_uint_eq(transmitted(), 2);
	ck_assert_uint_eq(seen_tcp(0).ack, start);
	ck_assert_uint_eq(seen_tcp(1).ack, start);
	ck_assert_uint_eq(info_of(conn).out_of_order_ranges, 1);        /* merged */
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), -ETIMEDOUT);
	/* The hole is filled: everything is in order at once. */
	peer_seq = start;
	peer_send(conn, 0, "ABCDE", 5, PEER_WINDOW);
	ck_assert_uint_eq(last_tcp().ack, start + 15);
	ck_assert_uint_eq(info_of(conn).out_of_order_ranges, 0);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), 15);
	ck_assert_mem_eq(buffer, "ABCDEFGHIJKLMNO", 15);
	/* A duplicate of old data is acknowledged again and not delivered twice. */
	forget_transmitted();
	peer_seq = start + 5;
	peer_send(conn, 0, "FGHIJ", 5, PEER_WINDOW);
	ck_assert_uint_eq(last_tcp().ack, start + 15);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), -ETIMEDOUT);
}
END_TEST

START_TEST(sequence_numbers_wrap)
{
	struct tcp_conn *conn;
	char buffer[32];

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 0xfffffff9u);
	ck_assert_uint_eq(peer_seq, 0xfffffffau);
	peer_send(conn, 0, "0123456789", 10, PEER_WINDOW);       /* 0xfffffffa .. 0x3 */
	peer_send(conn, 0, "abcdef", 6, PEER_WINDOW);
	ck_assert_uint_eq(last_tcp().ack, 0x0au);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), 16);
	ck_assert_mem_eq(buffer, "0123456789abcdef", 16);
}
END_TEST

START_TEST(exact_reset_closes)
{
	struct tcp_conn *conn;
	char buffer[8];

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	inject_tcp(PEER_PORT, PORT, peer_seq, 0, TH_RST, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(info_of(conn).state, TCP_CLOSED);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), -ECONNRESET);
	ck_assert_int_eq(tcp_write(conn, "x", 1, 0), -ECONNRESET);
	tcp_close(conn);
	ck_assert_uint_eq(harness_net->tcp_connections, 0);
}
END_TEST

START_TEST(inexact_reset_gets_a_challenge_ack)
{
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	inject_tcp(PEER_PORT, PORT, peer_seq + 100, 0, TH_RST, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(info_of(conn).state, TCP_ESTABLISHED);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().flags, TH_ACK);
	ck_assert_uint_eq(last_tcp().ack, peer_seq);
	/* Out of the window altogether: also an ACK, and no effect. */
	inject_tcp(PEER_PORT, PORT, peer_seq + 1000000, 0, TH_RST, 0, NULL, 0, NULL, 0);
	ck_assert_int_eq(info_of(conn).state, TCP_ESTABLISHED);
}
END_TEST

START_TEST(retransmission_backs_off)
{
	struct tcp_conn *conn;
	struct tcp_info info;
	char data[100];

	memset(data, 'd', sizeof(data));
	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	/* The handshake took no time on the fake clock: RTO is at its 200 ms floor. */
	ck_assert_uint_eq(info_of(conn).rto, 200 * NSEC_PER_MSEC);
	ck_assert_int_eq(tcp_write(conn, data, sizeof(data), 0), 100);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().seq, iss + 1);
	ck_assert_uint_eq(last_tcp().length, 100);
	timers_after(199 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 1);
	timers_after(1 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 2);            /* the same segment again */
	ck_assert_uint_eq(last_tcp().seq, iss + 1);
	ck_assert_uint_eq(last_tcp().length, 100);
	info = info_of(conn);
	ck_assert_uint_eq(info.rto, 400 * NSEC_PER_MSEC);
	ck_assert_uint_eq(info.retransmits, 1);
	timers_after(399 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 2);
	timers_after(1 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 3);
	ck_assert_uint_eq(info_of(conn).rto, 800 * NSEC_PER_MSEC);
	/* The ACK ends it: nothing more is sent, however long we wait. */
	peer_send(conn, 0, NULL, 0, PEER_WINDOW);
	ck_assert_uint_eq(info_of(conn).snd_una, iss + 101);
	ck_assert_uint_eq(info_of(conn).retransmits, 0);
	timers_after(10 * NSEC_PER_SEC);
	ck_assert_uint_eq(transmitted(), 3);
}
END_TEST

START_TEST(rtt_estimate_follows_rfc6298)
{
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	/* One measured round trip of 100 ms after the handshake's 0 ms. */
	ck_assert_int_eq(tcp_write(conn, "x", 1, 0), 1);
	fake_clock_advance(100 * NSEC_PER_MSEC);
	peer_send(conn, 0, NULL, 0, PEER_WINDOW);
	/* RTTVAR = 3/4 * 0 + 1/4 * 100 = 25; SRTT = 7/8 * 0 + 1/8 * 100 = 12.5; RTO = 12.5 + 100. */
	ck_assert_uint_eq(info_of(conn).srtt, 12500 * NSEC_PER_USEC);
	ck_assert_uint_eq(info_of(conn).rttvar, 25 * NSEC_PER_MSEC);
	ck_assert_uint_eq(info_of(conn).rto, 200 * NSEC_PER_MSEC);   /* 112.5 ms, floored */
}
END_TEST

START_TEST(fast_retransmit_after_three_duplicate_acks)
{
	struct tcp_conn *conn;
	static char data[3 * 1460];

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	ck_assert_int_eq(tcp_write(conn, data, sizeof(data), 0), (int)sizeof(data));
	ck_assert_uint_eq(transmitted(), 3);            /* the initial window: 3 segments */
	forget_transmitted();
	for (int i = 0; i < 3; i++)
		inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().seq, iss + 1);
	ck_assert_uint_eq(last_tcp().length, 1460);
	ck_assert_uint_eq(harness_net->stats.tcp_fast_retransmits, 1);
}
END_TEST

START_TEST(limited_transmit_sends_new_data_on_early_duplicates)
{
	struct tcp_conn *conn;
	static char data[5 * 1460];

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	ck_assert_int_eq(tcp_write(conn, data, sizeof(data), 0), (int)sizeof(data));
	ck_assert_uint_eq(transmitted(), 3);
	forget_transmitted();
	/* Duplicates 1 and 2 each let one new segment out (RFC 3042)... */
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().seq, iss + 1 + 3 * 1460);
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_uint_eq(last_tcp().seq, iss + 1 + 4 * 1460);
	/* ...and the third retransmits the first. */
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_uint_eq(transmitted(), 3);
	ck_assert_uint_eq(last_tcp().seq, iss + 1);
}
END_TEST

START_TEST(zero_window_is_probed)
{
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, 0, NULL, 0, NULL, 0);
	ck_assert_uint_eq(info_of(conn).snd_wnd, 0);
	ck_assert_int_eq(tcp_write(conn, "0123456789", 10, 0), 10);
	ck_assert_uint_eq(transmitted(), 0);            /* the window is closed */
	timers_after(200 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 1);            /* a one-byte probe */
	ck_assert_uint_eq(last_tcp().seq, iss + 1);
	ck_assert_uint_eq(last_tcp().length, 1);
	/* Still closed: the next probe comes later (backoff), not never. */
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, 0, NULL, 0, NULL, 0);
	timers_after(200 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 1);
	timers_after(200 * NSEC_PER_MSEC);
	ck_assert_uint_eq(transmitted(), 2);
	/* The window opens: all of the data goes. */
	forget_transmitted();
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().seq, iss + 1);
	ck_assert_uint_eq(last_tcp().length, 10);
}
END_TEST

START_TEST(active_close_through_time_wait)
{
	struct net_config config;
	struct tcp_conn *conn;
	char buffer[8];

	net_config_defaults(&config);
	config.tcp_time_wait = 2 * NSEC_PER_SEC;
	harness_setup(&config, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	ck_assert_int_eq(tcp_shutdown(conn), 0);
	ck_assert_uint_eq(last_tcp().flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(last_tcp().seq, iss + 1);
	ck_assert_int_eq(info_of(conn).state, TCP_FIN_WAIT_1);
	ck_assert_int_eq(tcp_write(conn, "x", 1, 0), -EPIPE);
	peer_send(conn, 0, NULL, 0, PEER_WINDOW);       /* acknowledges our FIN */
	ck_assert_int_eq(info_of(conn).state, TCP_FIN_WAIT_2);
	peer_send(conn, TH_FIN, "bye", 3, PEER_WINDOW);
	ck_assert_int_eq(info_of(conn).state, TCP_TIME_WAIT);
	ck_assert_uint_eq(last_tcp().ack, peer_seq);    /* data and FIN acknowledged at once */
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), 3);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), 0);   /* end of stream */
	timers_after(2 * NSEC_PER_SEC);
	ck_assert_int_eq(info_of(conn).state, TCP_CLOSED);
	tcp_close(conn);
	ck_assert_uint_eq(harness_net->tcp_connections, 0);
}
END_TEST

START_TEST(passive_close_through_last_ack)
{
	struct tcp_conn *conn;
	char buffer[8];

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	peer_send(conn, TH_FIN, NULL, 0, PEER_WINDOW);
	ck_assert_int_eq(info_of(conn).state, TCP_CLOSE_WAIT);
	ck_assert_uint_eq(last_tcp().ack, peer_seq);
	ck_assert_int_eq(tcp_read(conn, buffer, sizeof(buffer), 0), 0);
	ck_assert_int_eq(tcp_write(conn, "late", 4, 0), 4);     /* half-open: we may still send */
	tcp_close(conn);
	ck_assert_uint_eq(last_tcp().flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(last_tcp().seq, iss + 1 + 4);
	ck_assert_uint_eq(harness_net->tcp_connections, 1);
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 1 + 4 + 1, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	ck_assert_uint_eq(harness_net->tcp_connections, 0);
}
END_TEST

START_TEST(unread_data_on_close_resets)
{
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	peer_send(conn, 0, "unread", 6, PEER_WINDOW);
	tcp_close(conn);
	ck_assert(last_tcp().flags & TH_RST);
	ck_assert_uint_eq(harness_net->tcp_connections, 0);
}
END_TEST

START_TEST(closed_port_answers_with_reset)
{
	harness_setup(NULL, 0);
	inject_tcp(PEER_PORT, 8, 5000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);
	ck_assert_uint_eq(last_tcp().flags, TH_RST | TH_ACK);
	ck_assert_uint_eq(last_tcp().ack, 5001);
	inject_tcp(PEER_PORT, 8, 5001, 777, TH_ACK, 64240, NULL, 0, NULL, 0);
	ck_assert_uint_eq(last_tcp().flags, TH_RST);
	ck_assert_uint_eq(last_tcp().seq, 777);
	forget_transmitted();
	inject_tcp(PEER_PORT, 8, 5001, 777, TH_RST, 0, NULL, 0, NULL, 0);
	ck_assert_uint_eq(transmitted(), 0);            /* never a reset for a reset */
}
END_TEST

START_TEST(connection_limit_is_kept)
{
	struct net_config config;

	net_config_defaults(&config);
	config.tcp_max_connections = 1;
	harness_setup(&config, 0);
	open_passive(syn_options, sizeof(syn_options), 1000);
	inject_tcp(PEER_PORT + 1, PORT, 9000, 0, TH_SYN, 64240, syn_options, sizeof(syn_options),
		   NULL, 0);
	ck_assert_uint_eq(transmitted(), 0);            /* silently ignored: the peer retries */
	ck_assert_uint_eq(harness_net->stats.tcp_refused_limit, 1);
}
END_TEST

START_TEST(checksum_errors_are_dropped)
{
	harness_setup(NULL, 0);
	ck_assert_int_eq(tcp_listen(harness_net, PORT, 4, &listener), 0);
	harness_break_checksum = true;
	inject_tcp(PEER_PORT, PORT, 1000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);
	ck_assert_uint_eq(transmitted(), 0);
	ck_assert_uint_eq(harness_net->stats.tcp_rx_bad_checksum, 1);
	/* A device that says it checked the checksum (rx offload) is believed. */
	harness_rx_verified = true;
	inject_tcp(PEER_PORT, PORT, 1000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);
	ck_assert_uint_eq(transmitted(), 1);
	ck_assert_uint_eq(last_tcp().flags, TH_SYN | TH_ACK);
}
END_TEST

START_TEST(memory_limit_refuses_connections)
{
	struct net_config config;

	net_config_defaults(&config);
	config.tcp_memory_limit = 16 * 1024;            /* one receive buffer */
	harness_setup(&config, 0);
	open_passive(syn_options, sizeof(syn_options), 1000);
	ck_assert_uint_eq(harness_net->tcp_memory, 16 * 1024);
	inject_tcp(PEER_PORT + 1, PORT, 9000, 0, TH_SYN, 64240, syn_options, sizeof(syn_options),
		   NULL, 0);
	ck_assert_uint_eq(transmitted(), 0);
	ck_assert_uint_eq(harness_net->stats.tcp_refused_limit, 1);
}
END_TEST

START_TEST(orphan_in_fin_wait_2_is_not_kept_forever)
{
	struct net_config config;
	struct tcp_conn *conn;

	net_config_defaults(&config);
	config.tcp_time_wait = 2 * NSEC_PER_SEC;
	harness_setup(&config, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	tcp_close(conn);                                /* FIN; the handle is gone */
	ck_assert_uint_eq(last_tcp().flags, TH_FIN | TH_ACK);
	inject_tcp(PEER_PORT, PORT, peer_seq, iss + 2, TH_ACK, PEER_WINDOW, NULL, 0, NULL, 0);
	/* FIN-WAIT-2 now, and the peer never sends its FIN. */
	ck_assert_uint_eq(harness_net->tcp_connections, 1);
	timers_after(2 * NSEC_PER_SEC);
	ck_assert_uint_eq(harness_net->tcp_connections, 0);
	ck_assert_uint_eq(harness_net->tcp_memory, 0);
}
END_TEST

START_TEST(net_poll_reports_readiness)
{
	struct net_poll_entry entries[2];
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	conn = open_passive(syn_options, sizeof(syn_options), 1000);
	entries[0] = (struct net_poll_entry){ .tcp = listener, .events = NET_POLL_IN };
	entries[1] = (struct net_poll_entry){ .tcp = conn, .events = NET_POLL_IN | NET_POLL_OUT };
	ck_assert_int_eq(net_poll(harness_net, entries, 2, 0), 1);
	ck_assert_uint_eq(entries[0].revents, 0);
	ck_assert_uint_eq(entries[1].revents, NET_POLL_OUT);
	entries[1].events = NET_POLL_IN;
	ck_assert_int_eq(net_poll(harness_net, entries, 2, 0), -ETIMEDOUT);
	peer_send(conn, 0, "x", 1, PEER_WINDOW);
	ck_assert_int_eq(net_poll(harness_net, entries, 2, 0), 1);
	ck_assert_uint_eq(entries[1].revents, NET_POLL_IN);
	/* A new connection waiting makes the listener readable. */
	inject_tcp(PEER_PORT + 1, PORT, 5000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);
	inject_tcp(PEER_PORT + 1, PORT, 5001, last_tcp().seq + 1, TH_ACK, 64240, NULL, 0, NULL, 0);
	ck_assert_int_eq(net_poll(harness_net, entries, 2, 0), 2);
	ck_assert_uint_eq(entries[0].revents, NET_POLL_IN);
	/* A reset: readable (to learn why), failed, and hung up, whatever was asked. */
	inject_tcp(PEER_PORT, PORT, peer_seq, 0, TH_RST, 0, NULL, 0, NULL, 0);
	entries[1].events = NET_POLL_OUT;
	ck_assert_int_eq(net_poll(harness_net, &entries[1], 1, 0), 1);
	ck_assert_uint_eq(entries[1].revents, NET_POLL_ERR | NET_POLL_HUP);
}
END_TEST

/* The peer's side of tcp_connect: answer our SYN with a SYN-ACK, or with a reset. */
static void answer_syn(void *context)
{
	struct seen_tcp syn = last_tcp();
	bool refuse = context != NULL;

	if (!syn.valid || syn.flags != TH_SYN)
		return;
	ck_assert_int_eq(syn.mss, 1460);
	ck_assert_int_eq(syn.wscale, 0);
	if (refuse)
		inject_tcp(80, syn.source_port, 0, syn.seq + 1, TH_RST | TH_ACK, 0, NULL, 0, NULL, 0);
	else
		inject_tcp(80, syn.source_port, 5000, syn.seq + 1, TH_SYN | TH_ACK, 64240,
			   syn_options, sizeof(syn_options), NULL, 0);
}

START_TEST(active_open)
{
	struct net_endpoint server = { PEER, 80 };
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	fake_sched_hook = answer_syn;
	fake_sched_hook_context = NULL;
	ck_assert_int_eq(tcp_connect(harness_net, &server, &conn, 0), 0);
	ck_assert_int_eq(info_of(conn).state, TCP_ESTABLISHED);
	ck_assert_uint_eq(last_tcp().flags, TH_ACK);
	ck_assert_uint_eq(last_tcp().ack, 5001);
	ck_assert_uint_eq(info_of(conn).snd_wscale, 7);
}
END_TEST

START_TEST(active_open_refused)
{
	struct net_endpoint server = { PEER, 80 };
	struct tcp_conn *conn;

	harness_setup(NULL, 0);
	fake_sched_hook = answer_syn;
	fake_sched_hook_context = &server;
	ck_assert_int_eq(tcp_connect(harness_net, &server, &conn, 0), -ECONNREFUSED);
	ck_assert_uint_eq(harness_net->tcp_connections, 0);
}
END_TEST

START_TEST(syn_retries_then_gives_up)
{
	struct tcp_conn *conn;
	unsigned int synacks = 0;

	harness_setup(NULL, 0);
	ck_assert_int_eq(tcp_listen(harness_net, PORT, 4, &listener), 0);
	inject_tcp(PEER_PORT, PORT, 1000, 0, TH_SYN, 64240, NULL, 0, NULL, 0);
	/*
	 * 1 s, then doubling: the SYN-ACK is sent again 5 times, then the child is dropped.
	 * (The peer keeps its ARP entry fresh meanwhile, which adds ARP replies to the frames.)
	 */
	for (int i = 0; i < 8; i++) {
		harness_refresh_peer();
		timers_after(64 * NSEC_PER_SEC);
	}
	for (unsigned int i = 0; i < transmitted(); i++)
		synacks += seen_tcp(i).valid && seen_tcp(i).flags == (TH_SYN | TH_ACK);
	ck_assert_uint_eq(synacks, 1 + 5);
	ck_assert_uint_eq(harness_net->tcp_connections, 0);
	ck_assert_int_eq(tcp_accept(listener, &conn, 0), -ETIMEDOUT);
}
END_TEST

Suite *tcp_suite(void)
{
	Suite *suite = suite_create("net_tcp");
	TCase *tc = tcase_create("state machine");

	tcase_add_test(tc, passive_open_negotiates_options);
	tcase_add_test(tc, large_buffer_scales_our_window);
	tcase_add_test(tc, no_window_scale_unless_the_peer_offers_it);
	tcase_add_test(tc, in_order_data_and_delayed_ack);
	tcase_add_test(tc, out_of_order_data_is_reassembled);
	tcase_add_test(tc, sequence_numbers_wrap);
	tcase_add_test(tc, exact_reset_closes);
	tcase_add_test(tc, inexact_reset_gets_a_challenge_ack);
	tcase_add_test(tc, retransmission_backs_off);
	tcase_add_test(tc, rtt_estimate_follows_rfc6298);
	tcase_add_test(tc, fast_retransmit_after_three_duplicate_acks);
	tcase_add_test(tc, limited_transmit_sends_new_data_on_early_duplicates);
	tcase_add_test(tc, zero_window_is_probed);
	tcase_add_test(tc, active_close_through_time_wait);
	tcase_add_test(tc, passive_close_through_last_ack);
	tcase_add_test(tc, unread_data_on_close_resets);
	tcase_add_test(tc, closed_port_answers_with_reset);
	tcase_add_test(tc, connection_limit_is_kept);
	tcase_add_test(tc, checksum_errors_are_dropped);
	tcase_add_test(tc, memory_limit_refuses_connections);
	tcase_add_test(tc, orphan_in_fin_wait_2_is_not_kept_forever);
	tcase_add_test(tc, net_poll_reports_readiness);
	tcase_add_test(tc, active_open);
	tcase_add_test(tc, active_open_refused);
	tcase_add_test(tc, syn_retries_then_gives_up);
	suite_add_tcase(suite, tc);
	return suite;
}
