/*
 * Unit tests for the xenstore client: the wire format (xen/xenstore_wire.c) on its own, and
 * the client (xen/xenstore.c) against a fake xenstored that shares a ring page with it.
 *
 * The client calls a handful of kernel functions; this file supplies host versions of them.
 * The important one is sched_wait(): where the kernel would switch threads, it lets the
 * fake xenstored take a step -- read some request bytes, answer, put some reply bytes in the
 * response ring -- until the condition holds or the fake has nothing left to do (then it is
 * a timeout). The fake delivers in chunks of a chosen size, so messages arrive split across
 * reads and across the end of the ring, and a test can make it misbehave in any way.
 *
 * The xenwatch thread is run on demand (run_xenwatch): its loop runs until it would sleep
 * with nothing to do, and the sched_wait() stub jumps back out of it at that point.
 */
#include <check.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include "test/unit/suites.h"
#include "test/unit/stubs.h"
#include "test/unit/kernel_fakes.h"
#include "xen/xenstore.h"
#include "xen/xenstore_wire.h"
#include "xen/evtchn.h"
#include "xen/time.h"
#include "kernel/mm.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/util.h"

/* Build a message from a header and a payload given as a string literal (NULs and all). */
#define MESSAGE(msg, type_, id_, payload)                                     \
	do {                                                                  \
		memset(&(msg), 0, sizeof(msg));                               \
		(msg).header.type = (type_);                                  \
		(msg).header.req_id = (id_);                                  \
		(msg).header.len = sizeof(payload) - 1;                       \
		memcpy((msg).body, payload, sizeof(payload) - 1);             \
	} while (0)

/* ---- Requests ---------------------------------------------------------------------------- */

START_TEST(test_build_read)
{
	const char *args[] = { "device/vif/0/state" };
	char buffer[64];
	struct xsd_sockmsg header;
	int length;

	/* Measuring writes nothing. */
	ck_assert_int_eq(xs_wire_build_request(NULL, 0, XS_READ, 7, 3, args, 1), 16 + 19);
	length = xs_wire_build_request(buffer, sizeof(buffer), XS_READ, 7, 3, args, 1);
	ck_assert_int_eq(length, 16 + 19);
	memcpy(&header, buffer, sizeof(header));
	ck_assert_uint_eq(header.type, XS_READ);
	ck_assert_uint_eq(header.req_id, 7);
	ck_assert_uint_eq(header.tx_id, 3);
	ck_assert_uint_eq(header.len, 19);
	ck_assert_mem_eq(buffer + 16, "device/vif/0/state\0", 19);
}
END_TEST

START_TEST(test_build_write_has_no_trailing_nul)
{
	const char *args[] = { "data/x", "hello" };
	char buffer[64];
	struct xsd_sockmsg header;

	ck_assert_int_eq(xs_wire_build_request(buffer, sizeof(buffer), XS_WRITE, 1, 0, args, 2),
			 16 + 12);
	memcpy(&header, buffer, sizeof(header));
	ck_assert_uint_eq(header.len, 12);
	ck_assert_mem_eq(buffer + 16, "data/x\0hello", 12);
}
END_TEST

START_TEST(test_build_watch_and_transaction)
{
	const char *watch[] = { "data", "12" };
	const char *start[] = { "" };
	char buffer[64];

	ck_assert_int_eq(xs_wire_build_request(buffer, sizeof(buffer), XS_WATCH, 1, 0, watch, 2),
			 16 + 8);
	ck_assert_mem_eq(buffer + 16, "data\0" "12\0", 8);
	/* TRANSACTION_START carries one empty string: a single NUL. */
	ck_assert_int_eq(xs_wire_build_request(buffer, sizeof(buffer), XS_TRANSACTION_START, 1, 0,
					       start, 1), 17);
	ck_assert_int_eq(buffer[16], '\0');
}
END_TEST

START_TEST(test_build_limits)
{
	static char value[XENSTORE_PAYLOAD_MAX + 2];
	static char buffer[16 + XENSTORE_PAYLOAD_MAX];
	const char *args[] = { "p", value };

	/* "p" NUL and the value: exactly the limit is fine, one more byte is not. */
	memset(value, 'v', XENSTORE_PAYLOAD_MAX - 2);
	ck_assert_int_eq(xs_wire_build_request(buffer, 16 + XENSTORE_PAYLOAD_MAX, XS_WRITE, 1, 0,
					       args, 2), 16 + XENSTORE_PAYLOAD_MAX);
	value[XENSTORE_PAYLOAD_MAX - 2] = 'v';
	ck_assert_int_eq(xs_wire_build_request(buffer, 16 + XENSTORE_PAYLOAD_MAX, XS_WRITE, 1, 0,
					       args, 2), -E2BIG);
	/* A buffer that is too small is left alone and the length is returned. */
	value[XENSTORE_PAYLOAD_MAX - 2] = '\0';
	ck_assert_int_eq(xs_wire_build_request(buffer, 10, XS_WRITE, 1, 0, args, 2),
			 16 + XENSTORE_PAYLOAD_MAX);
}
END_TEST

/* ---- The ring ---------------------------------------------------------------------------- */

START_TEST(test_ring_used)
{
	ck_assert_int_eq(xs_wire_ring_used(10, 10), 0);
	ck_assert_int_eq(xs_wire_ring_used(1034, 10), XENSTORE_RING_SIZE);
	ck_assert_int_eq(xs_wire_ring_used(1035, 10), -1);
	/* Across the 2^32 wrap of the indices. */
	ck_assert_int_eq(xs_wire_ring_used(5, 0xfffffffbu), 10);
	/* cons ahead of prod is impossible too. */
	ck_assert_int_eq(xs_wire_ring_used(10, 11), -1);
}
END_TEST

START_TEST(test_ring_put_wraps_and_stops_when_full)
{
	char ring[XENSTORE_RING_SIZE];
	char data[2 * XENSTORE_RING_SIZE];
	XENSTORE_RING_IDX prod = 0xfffffff0u - 2;   /* 14 bytes short of the end, indices too */
	XENSTORE_RING_IDX cons = prod;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	ck_assert_uint_eq(xs_wire_ring_put(ring, cons, &prod, data, 100), 100);
	ck_assert_uint_eq(prod, cons + 100);
	for (unsigned int i = 0; i < 100; i++)
		REQUIRE(ring[MASK_XENSTORE_IDX(cons + i)] == data[i], "byte %u", i);
	/* Only the free space is filled. */
	ck_assert_uint_eq(xs_wire_ring_put(ring, cons, &prod, data, sizeof(data)),
			  XENSTORE_RING_SIZE - 100);
	ck_assert_uint_eq(xs_wire_ring_put(ring, cons, &prod, data, 1), 0);
	/* Impossible indices: nothing is written. */
	prod = cons + XENSTORE_RING_SIZE + 1;
	ck_assert_uint_eq(xs_wire_ring_put(ring, cons, &prod, data, 1), 0);
}
END_TEST

/* Put `length` bytes into a ring starting at index `start`. */
static void fill_ring(char *ring, XENSTORE_RING_IDX start, const void *bytes, size_t length)
{
	for (size_t i = 0; i < length; i++)
		ring[MASK_XENSTORE_IDX(start + i)] = ((const char *)bytes)[i];
}

START_TEST(test_receive_split_across_wrap_and_reads)
{
	char ring[XENSTORE_RING_SIZE];
	struct xs_wire_receiver receiver;
	struct xs_wire_message sent;
	XENSTORE_RING_IDX start = XENSTORE_RING_SIZE - 9, cons = start;
	size_t total;
	int rc = 0;

	MESSAGE(sent, XS_READ, 42, "a value that crosses the end of the ring");
	total = sizeof(sent.header) + sent.header.len;
	fill_ring(ring, start, &sent, total);
	xs_wire_receiver_reset(&receiver);
	/* The writer publishes one byte at a time; the reader takes what is there each time. */
	for (size_t published = 1; published <= total; published++) {
		rc = xs_wire_ring_receive(&receiver, ring, &cons, start + (XENSTORE_RING_IDX)published);
		REQUIRE(rc == (published == total ? 1 : 0), "rc %d after %zu bytes", rc, published);
		REQUIRE(cons == start + published, "consumed %u of %zu", cons - start, published);
	}
	ck_assert_uint_eq(receiver.message.header.req_id, 42);
	ck_assert_uint_eq(receiver.message.header.len, sent.header.len);
	ck_assert_str_eq(receiver.message.body, "a value that crosses the end of the ring");
}
END_TEST

START_TEST(test_receive_stops_after_one_message)
{
	char ring[XENSTORE_RING_SIZE];
	struct xs_wire_receiver receiver;
	struct xs_wire_message first, second;
	XENSTORE_RING_IDX cons = 0, prod = 0;

	MESSAGE(first, XS_WRITE, 1, "OK\0");
	MESSAGE(second, XS_ERROR, 2, "ENOENT\0");
	fill_ring(ring, prod, &first, 16 + 3);
	prod += 16 + 3;
	fill_ring(ring, prod, &second, 16 + 7);
	prod += 16 + 7;
	xs_wire_receiver_reset(&receiver);
	ck_assert_int_eq(xs_wire_ring_receive(&receiver, ring, &cons, prod), 1);
	ck_assert_uint_eq(receiver.message.header.req_id, 1);
	ck_assert_uint_eq(cons, 16 + 3);
	xs_wire_receiver_reset(&receiver);
	ck_assert_int_eq(xs_wire_ring_receive(&receiver, ring, &cons, prod), 1);
	ck_assert_uint_eq(receiver.message.header.req_id, 2);
	ck_assert_str_eq(receiver.message.body, "ENOENT");
	ck_assert_uint_eq(cons, prod);
}
END_TEST

START_TEST(test_receive_rejects_bad_length)
{
	char ring[XENSTORE_RING_SIZE];
	struct xs_wire_receiver receiver;
	struct xsd_sockmsg header = { .type = XS_READ, .req_id = 1, .len = XENSTORE_PAYLOAD_MAX + 1 };
	XENSTORE_RING_IDX cons = 0;

	fill_ring(ring, 0, &header, sizeof(header));
	xs_wire_receiver_reset(&receiver);
	ck_assert_int_eq(xs_wire_ring_receive(&receiver, ring, &cons, sizeof(header)), -EBADMSG);
	/* The longest legal payload is fine (and an empty one completes at once). */
	header.len = 0;
	fill_ring(ring, 0, &header, sizeof(header));
	cons = 0;
	xs_wire_receiver_reset(&receiver);
	ck_assert_int_eq(xs_wire_ring_receive(&receiver, ring, &cons, sizeof(header)), 1);
	ck_assert_str_eq(receiver.message.body, "");
}
END_TEST

/* ---- Replies ----------------------------------------------------------------------------- */

START_TEST(test_error_names)
{
	static const struct {
		const char *name;
		int expected;
	} cases[] = {
		{ "EINVAL", -EINVAL }, { "EACCES", -EACCES }, { "EEXIST", -EEXIST },
		{ "EISDIR", -EISDIR }, { "ENOENT", -ENOENT }, { "ENOMEM", -ENOMEM },
		{ "ENOSPC", -ENOSPC }, { "EIO", -EIO }, { "ENOTEMPTY", -ENOTEMPTY },
		{ "ENOSYS", -ENOSYS }, { "EROFS", -EROFS }, { "EBUSY", -EBUSY },
		{ "EAGAIN", -EAGAIN }, { "EISCONN", -EISCONN }, { "E2BIG", -E2BIG },
		{ "EPERM", -EPERM }, { "EWHATEVER", -EIO }, { "", -EIO }, { "enoent", -EIO },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		ck_assert_int_eq(xs_wire_error_to_errno(cases[i].name), cases[i].expected);
}
END_TEST

START_TEST(test_check_reply)
{
	struct xs_wire_message m;

	MESSAGE(m, XS_WRITE, 1, "OK\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_WRITE, &m.header, m.body), 0);
	/* Wrong type: an answer to something else. */
	ck_assert_int_eq(xs_wire_check_reply(XS_RM, &m.header, m.body), -EBADMSG);
	/* Missing NUL, or not "OK". */
	MESSAGE(m, XS_WRITE, 1, "OK");
	ck_assert_int_eq(xs_wire_check_reply(XS_WRITE, &m.header, m.body), -EBADMSG);
	MESSAGE(m, XS_WRITE, 1, "KO\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_WRITE, &m.header, m.body), -EBADMSG);
	/* Errors answer any request; their string needs its NUL and nothing after it. */
	MESSAGE(m, XS_ERROR, 1, "EACCES\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_READ, &m.header, m.body), -EACCES);
	MESSAGE(m, XS_ERROR, 1, "EACCES");
	ck_assert_int_eq(xs_wire_check_reply(XS_READ, &m.header, m.body), -EBADMSG);
	MESSAGE(m, XS_ERROR, 1, "EACCES\0junk");
	ck_assert_int_eq(xs_wire_check_reply(XS_READ, &m.header, m.body), -EBADMSG);
	/* A value is any bytes, even none or NULs. */
	MESSAGE(m, XS_READ, 1, "");
	ck_assert_int_eq(xs_wire_check_reply(XS_READ, &m.header, m.body), 0);
	MESSAGE(m, XS_READ, 1, "a\0b");
	ck_assert_int_eq(xs_wire_check_reply(XS_READ, &m.header, m.body), 0);
	/* An unknown type is a wrong type. */
	MESSAGE(m, 999, 1, "OK\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_WRITE, &m.header, m.body), -EBADMSG);
	/* Directories, permissions, transaction ids are checked for their shape. */
	MESSAGE(m, XS_DIRECTORY, 1, "a\0b\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_DIRECTORY, &m.header, m.body), 0);
	MESSAGE(m, XS_DIRECTORY, 1, "a\0b");
	ck_assert_int_eq(xs_wire_check_reply(XS_DIRECTORY, &m.header, m.body), -EBADMSG);
	MESSAGE(m, XS_GET_PERMS, 1, "n0\0r5\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_GET_PERMS, &m.header, m.body), 0);
	MESSAGE(m, XS_GET_PERMS, 1, "x0\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_GET_PERMS, &m.header, m.body), -EBADMSG);
	MESSAGE(m, XS_TRANSACTION_START, 1, "17\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_TRANSACTION_START, &m.header, m.body), 0);
	MESSAGE(m, XS_TRANSACTION_START, 1, "0\0");
	ck_assert_int_eq(xs_wire_check_reply(XS_TRANSACTION_START, &m.header, m.body), -EBADMSG);
	/* A header that lies about its length is refused before the body is looked at. */
	MESSAGE(m, XS_READ, 1, "");
	m.header.len = XENSTORE_PAYLOAD_MAX + 1;
	ck_assert_int_eq(xs_wire_check_reply(XS_READ, &m.header, m.body), -EBADMSG);
}
END_TEST

START_TEST(test_transaction_id)
{
	uint32_t id = 0;

	ck_assert_int_eq(xs_wire_parse_transaction_id("4294967295", 11, &id), 0);
	ck_assert_uint_eq(id, 4294967295u);
	ck_assert_int_eq(xs_wire_parse_transaction_id("4294967296", 11, &id), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_transaction_id("12", 2, &id), -EBADMSG);   /* no NUL */
	ck_assert_int_eq(xs_wire_parse_transaction_id("1x", 3, &id), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_transaction_id("", 1, &id), -EBADMSG);
}
END_TEST

START_TEST(test_watch_event)
{
	const char *path = NULL, *token = NULL;

	ck_assert_int_eq(xs_wire_parse_watch_event("data/ping\0" "3\0", 12, &path, &token), 0);
	ck_assert_str_eq(path, "data/ping");
	ck_assert_str_eq(token, "3");
	/* Not exactly two strings, each with its NUL, and a path. */
	ck_assert_int_eq(xs_wire_parse_watch_event("data/ping\0" "3", 11, &path, &token), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_watch_event("data/ping", 9, &path, &token), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_watch_event("data/ping\0", 10, &path, &token), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_watch_event("a\0" "3\0" "x\0", 6, &path, &token), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_watch_event("\0" "3\0", 3, &path, &token), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_watch_event("", 0, &path, &token), -EBADMSG);
}
END_TEST

START_TEST(test_directory)
{
	char buffer[16];

	ck_assert_int_eq(xs_wire_parse_directory("", 0, buffer, sizeof(buffer)), 0);
	ck_assert_int_eq(xs_wire_parse_directory("vif\0vbd\0console\0", 16, buffer, sizeof(buffer)), 3);
	ck_assert_mem_eq(buffer, "vif\0vbd\0console\0", 16);
	ck_assert_int_eq(xs_wire_parse_directory("vif\0vbd\0consoles\0", 17, buffer, sizeof(buffer)),
			 -E2BIG);
	ck_assert_int_eq(xs_wire_parse_directory("vif\0vbd", 7, buffer, sizeof(buffer)), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_directory("vif\0\0", 5, buffer, sizeof(buffer)), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_directory("\0", 1, buffer, sizeof(buffer)), -EBADMSG);
}
END_TEST

START_TEST(test_permissions)
{
	struct xs_permission p[4];
	struct xs_permission one = { .domid = 65535, .access = XS_ACCESS_BOTH };
	char text[8];

	ck_assert_int_eq(xs_wire_parse_permissions("n0\0r1\0w2\0b3\0", 12, p, 4), 4);
	ck_assert_int_eq(p[0].access, XS_ACCESS_NONE);
	ck_assert_uint_eq(p[0].domid, 0);
	ck_assert_int_eq(p[1].access, XS_ACCESS_READ);
	ck_assert_uint_eq(p[1].domid, 1);
	ck_assert_int_eq(p[2].access, XS_ACCESS_WRITE);
	ck_assert_int_eq(p[3].access, XS_ACCESS_BOTH);
	ck_assert_uint_eq(p[3].domid, 3);
	ck_assert_int_eq(xs_wire_parse_permissions("n0\0r1\0w2\0b3\0", 12, p, 3), -E2BIG);
	ck_assert_int_eq(xs_wire_parse_permissions("", 0, p, 4), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_permissions("x1\0", 3, p, 4), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_permissions("r\0", 2, p, 4), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_permissions("r65536\0", 7, p, 4), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_permissions("r-1\0", 4, p, 4), -EBADMSG);
	ck_assert_int_eq(xs_wire_parse_permissions("r1", 2, p, 4), -EBADMSG);

	ck_assert_int_eq(xs_wire_format_permission(&one, text, sizeof(text)), 6);
	ck_assert_str_eq(text, "b65535");
	ck_assert_int_eq(xs_wire_format_permission(&one, text, 6), -E2BIG);
	one.access = (enum xs_access)4;
	ck_assert_int_eq(xs_wire_format_permission(&one, text, sizeof(text)), -EINVAL);
}
END_TEST

START_TEST(test_numbers)
{
	uint64_t u = 0;
	int i = 0;

	ck_assert_int_eq(xs_wire_parse_u64("18446744073709551615", &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert_int_eq(xs_wire_parse_u64("18446744073709551616", &u), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_u64("", &u), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_u64(" 1", &u), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_u64("1 ", &u), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_u64("-1", &u), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_u64("0x10", &u), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_int("-2147483648", &i), 0);
	ck_assert_int_eq(i, -2147483647 - 1);
	ck_assert_int_eq(xs_wire_parse_int("2147483647", &i), 0);
	ck_assert_int_eq(i, 2147483647);
	ck_assert_int_eq(xs_wire_parse_int("2147483648", &i), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_int("-2147483649", &i), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_int("-", &i), -EINVAL);
	ck_assert_int_eq(xs_wire_parse_int("--1", &i), -EINVAL);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(xs_wire_type_name(XS_READ), "READ");
	ck_assert_str_eq(xs_wire_type_name(XS_WATCH_EVENT), "WATCH_EVENT");
	ck_assert_str_eq(xs_wire_type_name(XS_SET_TARGET + 1), "?");      /* the removed one */
	ck_assert_str_eq(xs_wire_type_name(XS_TYPE_COUNT), "?");
}
END_TEST

/* =========================================================================================
 * The client against a fake xenstored.
 */

#define FAKE_MFN 0x4242
#define FAKE_PORT 3
#define FAKE_NODES 16
#define FAKE_WATCHES 4

struct fake_node {
	bool used;
	char path[64];
	char value[XENSTORE_PAYLOAD_MAX];
	size_t length;
	char permissions[64];
	size_t permissions_length;
};

static struct {
	struct xenstore_domain_interface page;
	start_info_t start_info;
	uint64_t now;
	/* xenstored's side */
	struct xs_wire_receiver request;        /* the request being read */
	char outgoing[64 * 1024];               /* replies not yet in the ring */
	size_t outgoing_length, outgoing_sent;
	size_t request_chunk, response_chunk;   /* bytes moved per step */
	bool (*hook)(const struct xs_wire_message *request);   /* true: it answered instead */
	bool silent;                            /* read requests, answer none */
	unsigned int conflicts;                 /* commits to fail with EAGAIN */
	unsigned int requests, commits, aborts;
	uint32_t last_request_id;
	struct fake_node nodes[FAKE_NODES];
	struct { bool used; char path[64]; char token[16]; } watches[FAKE_WATCHES];
	/* the kernel's side */
	evtchn_handler_t handler;
	unsigned int notifications;
	void (*xenwatch_entry)(void *arg);
	void *xenwatch_arg;
	bool in_xenwatch;
	jmp_buf xenwatch_idle;
} fake;

/* ---- The kernel functions the client calls ----------------------------------------------- */

static char main_thread, xenwatch_thread;       /* stand-ins: only their addresses matter */

void *mfn_to_virt(uint64_t mfn)
{
	ck_assert_uint_eq(mfn, FAKE_MFN);
	return &fake.page;
}

int evtchn_bind(evtchn_port_t port, evtchn_handler_t handler, void *arg)
{
	(void)arg;
	ck_assert_uint_eq(port, FAKE_PORT);
	fake.handler = handler;
	return 0;
}

int evtchn_notify(evtchn_port_t port)
{
	ck_assert_uint_eq(port, FAKE_PORT);
	fake.notifications++;
	return 0;
}

static uint64_t fake_time_now(void)
{
	return fake.now;
}

static struct thread *fake_thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
	ck_assert_str_eq(name, "xenwatch");
	ck_assert_ptr_null(fake.xenwatch_entry);
	fake.xenwatch_entry = entry;
	fake.xenwatch_arg = arg;
	return (struct thread *)&xenwatch_thread;
}

struct thread *thread_current(void)
{
	return (struct thread *)(fake.in_xenwatch ? &xenwatch_thread : &main_thread);
}

const char *thread_name(const struct thread *thread)
{
	return thread == (const struct thread *)&xenwatch_thread ? "xenwatch" : "main";
}

static bool server_step(void);

/* Where the kernel would run other threads, the fake xenstored runs instead. */
static int fake_sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline)
{
	for (;;) {
		if (condition(arg))
			return 0;
		if (!server_step())
			break;
	}
	/* Nothing will change any more. The xenwatch thread would sleep forever: leave it. */
	if (deadline == TIME_NEVER) {
		ck_assert(fake.in_xenwatch);
		longjmp(fake.xenwatch_idle, 1);
	}
	fake.now = deadline;
	return -ETIMEDOUT;
}

/* ---- The fake xenstored ------------------------------------------------------------------ */

static void send_bytes(const void *bytes, size_t length)
{
	ck_assert_uint_le(fake.outgoing_length + length, sizeof(fake.outgoing));
	memcpy(fake.outgoing + fake.outgoing_length, bytes, length);
	fake.outgoing_length += length;
}

static void send_message(uint32_t type, uint32_t id, const void *body, size_t length)
{
	struct xsd_sockmsg header = { .type = type, .req_id = id, .len = (uint32_t)length };

	send_bytes(&header, sizeof(header));
	send_bytes(body, length);
}

#define SEND(type, id, literal) send_message(type, id, literal, sizeof(literal) - 1)

static struct fake_node *find_node(const char *path)
{
	for (int i = 0; i < FAKE_NODES; i++) {
		if (fake.nodes[i].used && strcmp(fake.nodes[i].path, path) == 0)
			return &fake.nodes[i];
	}
	return NULL;
}

static struct fake_node *make_node(const char *path)
{
	struct fake_node *node = find_node(path);

	for (int i = 0; node == NULL && i < FAKE_NODES; i++) {
		if (!fake.nodes[i].used) {
			node = &fake.nodes[i];
			memset(node, 0, sizeof(*node));
			node->used = true;
			strcpy(node->path, path);
			memcpy(node->permissions, "b0", 3);
			node->permissions_length = 3;
		}
	}
	ck_assert_ptr_nonnull(node);
	return node;
}

/* `path` is `parent` or below it. */
static bool is_below(const char *path, const char *parent)
{
	size_t length = strlen(parent);

	return strncmp(path, parent, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

static void fire_watches(const char *path)
{
	char body[128];

	for (int i = 0; i < FAKE_WATCHES; i++) {
		if (fake.watches[i].used && is_below(path, fake.watches[i].path)) {
			size_t path_length = strlen(path) + 1;
			size_t token_length = strlen(fake.watches[i].token) + 1;

			memcpy(body, path, path_length);
			memcpy(body + path_length, fake.watches[i].token, token_length);
			send_message(XS_WATCH_EVENT, 0, body, path_length + token_length);
		}
	}
}

/* A write that "dom0" makes: the store changes and watches fire. */
static void external_write(const char *path, const char *value)
{
	struct fake_node *node = make_node(path);

	strcpy(node->value, value);
	node->length = strlen(value);
	fire_watches(path);
}

/* Answer a request the way xenstored would, from the little store above. */
static void answer(const struct xs_wire_message *request)
{
	uint32_t id = request->header.req_id;
	const char *path = request->body;
	size_t path_size = strnlen(path, request->header.len) + 1;
	const char *rest = request->body + path_size;
	size_t rest_length = request->header.len > path_size ? request->header.len - path_size : 0;
	struct fake_node *node = find_node(path);
	char list[256];
	size_t list_length = 0;

	switch (request->header.type) {
	case XS_READ:
		if (node == NULL)
			SEND(XS_ERROR, id, "ENOENT\0");
		else
			send_message(XS_READ, id, node->value, node->length);
		return;
	case XS_WRITE:
		node = make_node(path);
		memcpy(node->value, rest, rest_length);
		node->length = rest_length;
		SEND(XS_WRITE, id, "OK\0");
		fire_watches(path);
		return;
	case XS_MKDIR:
		make_node(path);
		SEND(XS_MKDIR, id, "OK\0");
		return;
	case XS_RM:
		for (int i = 0; i < FAKE_NODES; i++) {
			if (fake.nodes[i].used && is_below(fake.nodes[i].path, path))
				fake.nodes[i].used = false;
		}
		SEND(XS_RM, id, "OK\0");
		fire_watches(path);
		return;
	case XS_DIRECTORY:
		for (int i = 0; i < FAKE_NODES; i++) {
			const char *child;

			if (!fake.nodes[i].used || !is_below(fake.nodes[i].path, path) ||
			    strcmp(fake.nodes[i].path, path) == 0)
				continue;
			child = fake.nodes[i].path + strlen(path) + 1;
			if (strchr(child, '/') == NULL) {
				strcpy(list + list_length, child);
				list_length += strlen(child) + 1;
			}
		}
		send_message(XS_DIRECTORY, id, list, list_length);
		return;
	case XS_GET_PERMS:
		if (node == NULL)
			SEND(XS_ERROR, id, "ENOENT\0");
		else
			send_message(XS_GET_PERMS, id, node->permissions, node->permissions_length);
		return;
	case XS_SET_PERMS:
		if (node == NULL) {
			SEND(XS_ERROR, id, "ENOENT\0");
			return;
		}
		ck_assert_uint_le(rest_length, sizeof(node->permissions));
		memcpy(node->permissions, rest, rest_length);
		node->permissions_length = rest_length;
		SEND(XS_SET_PERMS, id, "OK\0");
		return;
	case XS_WATCH:
		for (int i = 0; i < FAKE_WATCHES; i++) {
			if (!fake.watches[i].used) {
				fake.watches[i].used = true;
				strcpy(fake.watches[i].path, path);
				strcpy(fake.watches[i].token, rest);
				SEND(XS_WATCH, id, "OK\0");
				/* A new watch fires once at once, as xenstored's do. */
				send_message(XS_WATCH_EVENT, 0, request->body, request->header.len);
				return;
			}
		}
		SEND(XS_ERROR, id, "ENOSPC\0");
		return;
	case XS_UNWATCH:
		for (int i = 0; i < FAKE_WATCHES; i++) {
			if (fake.watches[i].used && strcmp(fake.watches[i].token, rest) == 0)
				fake.watches[i].used = false;
		}
		SEND(XS_UNWATCH, id, "OK\0");
		return;
	case XS_TRANSACTION_START:
		SEND(XS_TRANSACTION_START, id, "77\0");
		return;
	case XS_TRANSACTION_END:
		ck_assert_uint_eq(request->header.tx_id, 77);
		if (path[0] == 'F') {
			fake.aborts++;
			SEND(XS_TRANSACTION_END, id, "OK\0");
		} else if (fake.conflicts > 0) {
			fake.conflicts--;
			SEND(XS_ERROR, id, "EAGAIN\0");
		} else {
			fake.commits++;
			SEND(XS_TRANSACTION_END, id, "OK\0");
		}
		return;
	default:
		SEND(XS_ERROR, id, "ENOSYS\0");
	}
}

/* One step of xenstored: read some request bytes, answer, deliver some reply bytes.
 * Returns whether anything happened. */
static bool server_step(void)
{
	struct xenstore_domain_interface *ring = &fake.page;
	XENSTORE_RING_IDX cons = ring->req_cons, prod = ring->req_prod;
	bool progress = false;
	size_t chunk;

	/* Requests: at most request_chunk bytes. */
	if (xs_wire_ring_used(prod, cons) > 0) {
		if ((size_t)(prod - cons) > fake.request_chunk)
			prod = cons + (XENSTORE_RING_IDX)fake.request_chunk;
		while (cons != prod) {
			int rc = xs_wire_ring_receive(&fake.request, ring->req, &cons, prod);

			ck_assert_int_ge(rc, 0);
			progress = true;
			if (rc == 0)
				break;
			fake.requests++;
			fake.last_request_id = fake.request.message.header.req_id;
			if ((fake.hook == NULL || !fake.hook(&fake.request.message)) && !fake.silent)
				answer(&fake.request.message);
			xs_wire_receiver_reset(&fake.request);
		}
		ring->req_cons = cons;
	}
	/* Replies: at most response_chunk bytes, as far as the ring has room. */
	chunk = MIN(fake.outgoing_length - fake.outgoing_sent, fake.response_chunk);
	if (chunk > 0) {
		XENSTORE_RING_IDX rsp_prod = ring->rsp_prod;
		size_t put = xs_wire_ring_put(ring->rsp, ring->rsp_cons, &rsp_prod,
					      fake.outgoing + fake.outgoing_sent, chunk);

		ring->rsp_prod = rsp_prod;
		fake.outgoing_sent += put;
		progress |= put > 0;
		if (fake.outgoing_sent == fake.outgoing_length)
			fake.outgoing_sent = fake.outgoing_length = 0;
	}
	fake.now += NSEC_PER_MSEC;
	return progress;
}

/* Start the client on a fresh ring whose indices all start at `start`. */
static void start_client(XENSTORE_RING_IDX start)
{
	fake.page.req_cons = fake.page.req_prod = start;
	fake.page.rsp_cons = fake.page.rsp_prod = start;
	fake.start_info.store_mfn = FAKE_MFN;
	fake.start_info.store_evtchn = FAKE_PORT;
	ck_assert_int_eq(xs_init(&fake.start_info), 0);
	ck_assert_ptr_nonnull(fake.handler);
}

/* Let the xenwatch thread run until it has nothing left to do. */
static void run_xenwatch(void)
{
	ck_assert_ptr_nonnull(fake.xenwatch_entry);
	fake.in_xenwatch = true;
	if (setjmp(fake.xenwatch_idle) == 0)
		fake.xenwatch_entry(fake.xenwatch_arg);
	fake.in_xenwatch = false;
}

static uint64_t bad_messages(void)
{
	struct xs_stats stats;

	xs_stats(&stats);
	return stats.bad_messages;
}

#define HEAP_PAGES 512
static unsigned char heap_region[HEAP_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static const struct fake_kernel_ops xenstore_kernel = {
	.time_now = fake_time_now,
	.sched_wait = fake_sched_wait,
	.thread_create = fake_thread_create,
};

static void client_setup(void)
{
	fake_kernel_ops = &xenstore_kernel;
	memset(&fake, 0, sizeof(fake));
	fake.request_chunk = XENSTORE_RING_SIZE;
	fake.response_chunk = XENSTORE_RING_SIZE;
	fake.now = 1000 * NSEC_PER_SEC;
	ck_assert_int_eq(page_alloc_init(heap_region, HEAP_PAGES), 0);
	heap_init();
}

static void client_teardown(void)
{
	fake_kernel_ops = NULL;
}

/* ---- Client tests ------------------------------------------------------------------------ */

START_TEST(test_client_round_trips)
{
	char value[64], names[64];
	struct xs_permission set[2] = { { 5, XS_ACCESS_NONE }, { 0, XS_ACCESS_READ } }, got[4];
	uint64_t number = 0;
	int integer = 0, error = 1;
	char *copy;

	start_client(0);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "data/a", "alpha"), 0);
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "data/a", value, sizeof(value)), 5);
	ck_assert_str_eq(value, "alpha");
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "data/a", value, 5), -E2BIG);
	copy = xs_read_alloc(XS_NO_TRANSACTION, "data/a", &error);
	ck_assert_str_eq(copy, "alpha");
	ck_assert_int_eq(error, 0);
	free(copy);

	ck_assert_int_eq(xs_printf(XS_NO_TRANSACTION, "data/n", "%d", 42), 0);
	ck_assert_int_eq(xs_read_u64(XS_NO_TRANSACTION, "data/n", &number), 0);
	ck_assert_uint_eq(number, 42);
	ck_assert_int_eq(xs_printf(XS_NO_TRANSACTION, "data/n", "%d", -7), 0);
	ck_assert_int_eq(xs_read_int(XS_NO_TRANSACTION, "data/n", &integer), 0);
	ck_assert_int_eq(integer, -7);
	ck_assert_int_eq(xs_read_u64(XS_NO_TRANSACTION, "data/a", &number), -EINVAL);

	ck_assert_int_eq(xs_rm(XS_NO_TRANSACTION, "data/a"), 0);
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "data/a", value, sizeof(value)), -ENOENT);
	ck_assert_ptr_null(xs_read_alloc(XS_NO_TRANSACTION, "data/a", &error));
	ck_assert_int_eq(error, -ENOENT);

	ck_assert_int_eq(xs_mkdir(XS_NO_TRANSACTION, "data/dir"), 0);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "data/dir/x", "1"), 0);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "data/dir/y", "2"), 0);
	ck_assert_int_eq(xs_directory(XS_NO_TRANSACTION, "data/dir", names, sizeof(names)), 2);
	ck_assert_mem_eq(names, "x\0y\0", 4);
	ck_assert_int_eq(xs_directory(XS_NO_TRANSACTION, "data/dir", names, 3), -E2BIG);

	ck_assert_int_eq(xs_set_permissions(XS_NO_TRANSACTION, "data/dir", set, 2), 0);
	ck_assert_mem_eq(find_node("data/dir")->permissions, "n5\0r0\0", 6);
	ck_assert_int_eq(xs_get_permissions(XS_NO_TRANSACTION, "data/dir", got, 4), 2);
	ck_assert_uint_eq(got[0].domid, 5);
	ck_assert_int_eq(got[0].access, XS_ACCESS_NONE);
	ck_assert_uint_eq(got[1].domid, 0);
	ck_assert_int_eq(got[1].access, XS_ACCESS_READ);
	ck_assert_int_eq(xs_set_permissions(XS_NO_TRANSACTION, "data/dir", set, 0), -EINVAL);

	ck_assert_uint_eq(bad_messages(), 0);
	xs_dump();
}
END_TEST

START_TEST(test_client_big_messages_wrap_in_small_pieces)
{
	static char big[4000], back[4001];
	int rounds;

	/* Indices just below 2^32, so they wrap as well as the ring positions do; xenstored
	 * takes 5 request bytes and gives 7 reply bytes per step. */
	fake.request_chunk = 5;
	fake.response_chunk = 7;
	start_client(0xffffffffu - 1500);
	for (rounds = 0; rounds < 3; rounds++) {
		for (size_t i = 0; i < sizeof(big) - 1; i++)
			big[i] = (char)('a' + (i * 13 + (size_t)rounds) % 26);
		big[sizeof(big) - 1] = '\0';
		/* A request four times the ring: the writer must wait for room, piece by piece. */
		ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "data/big", big), 0);
		ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "data/big", back, sizeof(back)),
				 (int)sizeof(big) - 1);
		ck_assert_str_eq(back, big);
	}
	/* Both rings went all the way round the 32-bit index space. */
	ck_assert_uint_lt(fake.page.req_prod, 0x10000u);
	ck_assert_uint_lt(fake.page.rsp_cons, 0x10000u);
	ck_assert_uint_eq(bad_messages(), 0);
}
END_TEST

START_TEST(test_client_request_too_big)
{
	static char huge[XENSTORE_PAYLOAD_MAX + 1];

	start_client(0);
	memset(huge, 'x', sizeof(huge) - 1);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "data/huge", huge), -E2BIG);
	ck_assert_uint_eq(fake.requests, 0);
}
END_TEST

static bool answer_with_error_names(const struct xs_wire_message *request)
{
	static const char *const names[] = { "EACCES", "EWHATEVER", "EAGAIN" };
	static unsigned int next;
	const char *name = names[next++ % ARRAY_SIZE(names)];

	send_message(XS_ERROR, request->header.req_id, name, strlen(name) + 1);
	return true;
}

START_TEST(test_client_errors)
{
	char value[8];

	start_client(0);
	fake.hook = answer_with_error_names;
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "x", value, sizeof(value)), -EACCES);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "x", "1"), -EIO);
	ck_assert_int_eq(xs_rm(XS_NO_TRANSACTION, "x"), -EAGAIN);
	/* xenstored's errors are answers, not bad messages. */
	ck_assert_uint_eq(bad_messages(), 0);
}
END_TEST

/* A reply for a request id nobody uses, then the real answer. */
static bool stray_reply_first(const struct xs_wire_message *request)
{
	SEND(XS_READ, request->header.req_id + 1000, "stray");
	answer(request);
	return true;
}

START_TEST(test_client_unknown_id)
{
	char value[16];

	start_client(0);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "k", "v"), 0);
	fake.hook = stray_reply_first;
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), 1);
	ck_assert_str_eq(value, "v");
	ck_assert_uint_eq(bad_messages(), 1);
}
END_TEST

static bool answer_with_wrong_type(const struct xs_wire_message *request)
{
	SEND(XS_WRITE, request->header.req_id, "OK\0");
	return true;
}

START_TEST(test_client_wrong_type)
{
	char value[16];

	start_client(0);
	fake.hook = answer_with_wrong_type;
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), -EBADMSG);
	ck_assert_uint_eq(bad_messages(), 1);
	/* The framing is intact: the connection goes on. */
	fake.hook = NULL;
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "k", "v"), 0);
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), 1);
}
END_TEST

static bool answer_without_nul(const struct xs_wire_message *request)
{
	switch (request->header.type) {
	case XS_WRITE:
		SEND(XS_WRITE, request->header.req_id, "OK");
		break;
	case XS_READ:
		SEND(XS_ERROR, request->header.req_id, "ENOENT");
		break;
	case XS_DIRECTORY:
		SEND(XS_DIRECTORY, request->header.req_id, "a\0b");
		break;
	default:
		SEND(XS_TRANSACTION_START, request->header.req_id, "12");
	}
	return true;
}

START_TEST(test_client_missing_nul)
{
	char buffer[16];
	xs_transaction_t transaction;

	start_client(0);
	fake.hook = answer_without_nul;
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "k", "v"), -EBADMSG);
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", buffer, sizeof(buffer)), -EBADMSG);
	ck_assert_int_eq(xs_directory(XS_NO_TRANSACTION, "k", buffer, sizeof(buffer)), -EBADMSG);
	ck_assert_int_eq(xs_transaction_start(&transaction), -EBADMSG);
	ck_assert_uint_eq(bad_messages(), 4);
}
END_TEST

static bool answer_with_bad_length(const struct xs_wire_message *request)
{
	struct xsd_sockmsg header = {
		.type = XS_READ, .req_id = request->header.req_id, .len = XENSTORE_PAYLOAD_MAX + 1,
	};

	send_bytes(&header, sizeof(header));
	return true;
}

START_TEST(test_client_bad_length_breaks_the_connection)
{
	char value[16];
	unsigned int requests;

	start_client(0);
	fake.hook = answer_with_bad_length;
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), -EIO);
	ck_assert_uint_eq(bad_messages(), 1);
	/* Nothing after it can be framed: every later request fails at once. */
	requests = fake.requests;
	fake.hook = NULL;
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "k", "v"), -EIO);
	ck_assert_uint_eq(fake.requests, requests);
	xs_dump();
}
END_TEST

static bool corrupt_response_index(const struct xs_wire_message *request)
{
	(void)request;
	fake.page.rsp_prod = fake.page.rsp_cons + XENSTORE_RING_SIZE + 1;
	return true;
}

START_TEST(test_client_impossible_response_index)
{
	char value[16];

	start_client(0);
	fake.hook = corrupt_response_index;
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), -EIO);
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), -EIO);
}
END_TEST

START_TEST(test_client_impossible_request_index)
{
	start_client(0);
	fake.page.req_cons = fake.page.req_prod + 1;    /* xenstored "read" bytes never written */
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "k", "v"), -EIO);
	ck_assert_uint_eq(fake.requests, 0);
}
END_TEST

START_TEST(test_client_impossible_index_at_boot)
{
	fake.page.rsp_prod = 5000;
	fake.start_info.store_mfn = FAKE_MFN;
	fake.start_info.store_evtchn = FAKE_PORT;
	ck_assert_int_eq(xs_init(&fake.start_info), -EIO);
}
END_TEST

START_TEST(test_client_timeout_then_late_reply)
{
	char value[16];
	uint32_t late_id;

	start_client(0);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "k", "v"), 0);
	fake.silent = true;
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), -ETIMEDOUT);
	/* The answer comes after all: nobody waits for it any more, and it is dropped. */
	late_id = fake.last_request_id;
	fake.silent = false;
	SEND(XS_READ, late_id, "v");
	ck_assert_int_eq(xs_read(XS_NO_TRANSACTION, "k", value, sizeof(value)), 1);
	ck_assert_uint_eq(bad_messages(), 1);
}
END_TEST

/* ---- Watches ----------------------------------------------------------------------------- */

static struct {
	unsigned int calls;
	char changed[64];
	char value[64];
	int read_rc;
	void *arg;
} seen;

/* Like a driver's callback: it reads the key (a xenstore call from the xenwatch thread) and
 * answers on another key. */
static void on_ping(struct xs_watch *watch, const char *changed, void *arg)
{
	(void)watch;
	seen.calls++;
	seen.arg = arg;
	strcpy(seen.changed, changed);
	seen.read_rc = xs_read(XS_NO_TRANSACTION, "data/ping", seen.value, sizeof(seen.value));
	if (seen.read_rc >= 0)
		ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "data/pong", seen.value), 0);
}

START_TEST(test_client_watch)
{
	struct xs_watch *watch;
	struct xs_stats stats;
	int marker, error = 1;

	start_client(0);
	fake.response_chunk = 3;        /* events and replies in small pieces, interleaved */
	watch = xs_watch_add("data/ping", on_ping, &marker, &error);
	ck_assert_ptr_nonnull(watch);
	ck_assert_int_eq(error, 0);
	ck_assert(fake.watches[0].used);
	ck_assert_str_eq(fake.watches[0].token, "1");

	/* The watch fires once when set; the key does not exist yet. */
	run_xenwatch();
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert_str_eq(seen.changed, "data/ping");
	ck_assert_int_eq(seen.read_rc, -ENOENT);
	ck_assert_ptr_eq(seen.arg, &marker);

	/* dom0 writes the key: the callback reads it and answers. */
	external_write("data/ping", "hello");
	run_xenwatch();
	ck_assert_uint_eq(seen.calls, 2);
	ck_assert_str_eq(seen.value, "hello");
	ck_assert_str_eq(find_node("data/pong")->value, "hello");

	/* An event for a token we never gave out is ignored; a malformed one is counted. */
	SEND(XS_WATCH_EVENT, 0, "data/ping\0" "99\0");
	SEND(XS_WATCH_EVENT, 0, "data/ping\0" "1");
	run_xenwatch();
	ck_assert_uint_eq(seen.calls, 2);
	ck_assert_uint_eq(bad_messages(), 1);

	/* After removal, xenstored has forgotten it, and a straggler event runs nothing. */
	xs_watch_remove(watch);
	ck_assert(!fake.watches[0].used);
	SEND(XS_WATCH_EVENT, 0, "data/ping\0" "1\0");
	run_xenwatch();
	ck_assert_uint_eq(seen.calls, 2);
	xs_stats(&stats);
	ck_assert_uint_eq(stats.watches, 0);
	ck_assert_uint_eq(stats.watch_events, 4);
}
END_TEST

static bool refuse_watch(const struct xs_wire_message *request)
{
	if (request->header.type != XS_WATCH)
		return false;
	SEND(XS_ERROR, request->header.req_id, "EACCES\0");
	return true;
}

START_TEST(test_client_watch_refused)
{
	int error = 0;

	start_client(0);
	fake.hook = refuse_watch;
	ck_assert_ptr_null(xs_watch_add("/local/domain/0", on_ping, NULL, &error));
	ck_assert_int_eq(error, -EACCES);
	ck_assert_ptr_null(xs_watch_add(NULL, on_ping, NULL, &error));
	ck_assert_int_eq(error, -EINVAL);
}
END_TEST

/* ---- Transactions ------------------------------------------------------------------------ */

static int increment(xs_transaction_t transaction, void *arg)
{
	unsigned int *attempts = arg;
	uint64_t value = 0;
	int rc;

	(*attempts)++;
	rc = xs_read_u64(transaction, "data/counter", &value);
	if (rc < 0)
		return rc;
	return xs_printf(transaction, "data/counter", "%llu", (unsigned long long)value + 1);
}

static int fail_body(xs_transaction_t transaction, void *arg)
{
	(void)transaction;
	(*(unsigned int *)arg)++;
	return -ENOSPC;
}

START_TEST(test_client_transaction_run)
{
	unsigned int attempts = 0;
	uint64_t value = 0;

	start_client(0);
	ck_assert_int_eq(xs_write(XS_NO_TRANSACTION, "data/counter", "10"), 0);
	/* Two conflicting commits, then success on the third attempt. */
	fake.conflicts = 2;
	ck_assert_int_eq(xs_transaction_run(increment, &attempts, 5), 0);
	ck_assert_uint_eq(attempts, 3);
	ck_assert_uint_eq(fake.commits, 1);
	ck_assert_int_eq(xs_read_u64(XS_NO_TRANSACTION, "data/counter", &value), 0);
	ck_assert_uint_eq(value, 13);   /* the fake store has no isolation: every attempt wrote */
	/* Out of attempts. */
	fake.conflicts = 5;
	attempts = 0;
	ck_assert_int_eq(xs_transaction_run(increment, &attempts, 2), -EAGAIN);
	ck_assert_uint_eq(attempts, 2);
	/* The body's own error ends it, and the transaction is abandoned, not committed. */
	attempts = 0;
	ck_assert_int_eq(xs_transaction_run(fail_body, &attempts, 5), -ENOSPC);
	ck_assert_uint_eq(attempts, 1);
	ck_assert_uint_eq(fake.aborts, 1);
	ck_assert_int_eq(xs_transaction_run(fail_body, &attempts, 0), -EINVAL);
	ck_assert_int_eq(xs_transaction_end(XS_NO_TRANSACTION, true), -EINVAL);
}
END_TEST

Suite *xenstore_suite(void)
{
	Suite *suite = suite_create("xenstore");
	TCase *wire = tcase_create("wire");
	TCase *client = tcase_create("client");

	tcase_add_test(wire, test_build_read);
	tcase_add_test(wire, test_build_write_has_no_trailing_nul);
	tcase_add_test(wire, test_build_watch_and_transaction);
	tcase_add_test(wire, test_build_limits);
	tcase_add_test(wire, test_ring_used);
	tcase_add_test(wire, test_ring_put_wraps_and_stops_when_full);
	tcase_add_test(wire, test_receive_split_across_wrap_and_reads);
	tcase_add_test(wire, test_receive_stops_after_one_message);
	tcase_add_test(wire, test_receive_rejects_bad_length);
	tcase_add_test(wire, test_error_names);
	tcase_add_test(wire, test_check_reply);
	tcase_add_test(wire, test_transaction_id);
	tcase_add_test(wire, test_watch_event);
	tcase_add_test(wire, test_directory);
	tcase_add_test(wire, test_permissions);
	tcase_add_test(wire, test_numbers);
	tcase_add_test(wire, test_type_names);
	suite_add_tcase(suite, wire);

	/* The client needs a heap (lib/heap.c) and a fresh fake xenstored for every test. */
	tcase_add_checked_fixture(client, client_setup, client_teardown);
	tcase_add_test(client, test_client_round_trips);
	tcase_add_test(client, test_client_big_messages_wrap_in_small_pieces);
	tcase_add_test(client, test_client_request_too_big);
	tcase_add_test(client, test_client_errors);
	tcase_add_test(client, test_client_unknown_id);
	tcase_add_test(client, test_client_wrong_type);
	tcase_add_test(client, test_client_missing_nul);
	tcase_add_test(client, test_client_bad_length_breaks_the_connection);
	tcase_add_test(client, test_client_impossible_response_index);
	tcase_add_test(client, test_client_impossible_request_index);
	tcase_add_test(client, test_client_impossible_index_at_boot);
	tcase_add_test(client, test_client_timeout_then_late_reply);
	tcase_add_test(client, test_client_watch);
	tcase_add_test(client, test_client_watch_refused);
	tcase_add_test(client, test_client_transaction_run);
	suite_add_tcase(suite, client);
	return suite;
}
