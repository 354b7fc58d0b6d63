/*
 * The xenstore client: requests and replies over the shared ring, and the xenwatch thread
 * that runs watch callbacks. Implements xen/xenstore.h; the byte-level format is in
 * xen/xenstore_wire.c, and docs/xenstore.md explains the protocol.
 *
 * How a request travels:
 *   1. The calling thread builds the message, takes its place in `xs.in_flight` under a
 *      fresh request id, and copies the message into the request ring (waiting for space if
 *      the ring is full: a message may be four times larger than the ring).
 *   2. It then waits for its reply. Nobody reads the response ring on its behalf: every
 *      thread that waits for xenstore reads ("pumps") the ring itself, and hands each
 *      complete message to its owner -- a reply to the request with that id, a watch event
 *      to the xenwatch thread's queue. So a watch callback, which runs in the xenwatch
 *      thread, can make xenstore calls: it pumps its own replies.
 *   3. The event channel handler only counts notifications. The wait conditions look at the
 *      ring indices themselves, and sched_wait() checks them with upcalls blocked, so a
 *      notification can never be missed.
 *
 * Threads are cooperative, so the pump, which never waits, runs alone; only the writing of a
 * request, which may wait for ring space, needs a flag to keep other writers out.
 *
 * xenstored is not trusted. Indices that claim more bytes than the ring holds, or a message
 * longer than XENSTORE_PAYLOAD_MAX, mean the stream can no longer be framed: the connection
 * is marked broken, and every request fails with -EIO from then on. A malformed reply with
 * intact framing (wrong type, missing NUL, unknown request id) is logged, counted and
 * dropped; its request, if any, fails with -EBADMSG. Every wait has a deadline.
 */
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <xen/xen.h>
#include <xen/io/xs_wire.h>
#include "xen/xenstore.h"
#include "xen/xenstore_wire.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/time.h"
#include "kernel/mm.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/list.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

/* How long a call waits for ring space and for its reply before it gives up. */
#define REPLY_TIMEOUT (10 * NSEC_PER_SEC)

/* Watch events waiting for the xenwatch thread. A flood beyond this is dropped (and logged)
 * rather than allowed to eat all memory. */
#define MAX_QUEUED_EVENTS 256

/* One call waiting for its reply; it lives on the caller's stack. */
struct request {
	struct list_node link;          /* in xs.in_flight */
	uint32_t id;                    /* req_id: how the reply finds us */
	uint32_t type;                  /* XS_READ, ... */
	const char *path;               /* the first argument, for log lines */
	const char *thread;             /* who asked, for xs_dump */
	uint64_t sent_at;
	bool done;                      /* set by the pump (or by a broken connection) */
	int error;                      /* 0, xenstored's error, -EBADMSG or -EIO */
	char *reply;                    /* the payload, malloc'ed and NUL-terminated */
	uint32_t reply_length;
};

struct xs_watch {
	struct list_node link;          /* in xs.watches */
	char token[12];                 /* the watch's id in decimal: unique per connection */
	char *path;
	xs_watch_callback_t callback;
	void *arg;
	uint64_t events;
};

/* A watch event on its way from the pump to the xenwatch thread. */
struct watch_event {
	struct list_node link;          /* in xs.events */
	const char *path, *token;       /* point into `body` */
	char body[];
};

static struct {
	struct xenstore_domain_interface *ring;
	evtchn_port_t port;
	/* Our own indices. The copies in the shared page are only ever written from these:
	 * xenstored could scribble on the page, but not on what we believe. */
	XENSTORE_RING_IDX request_prod;
	XENSTORE_RING_IDX response_cons;
	bool broken;                    /* the stream cannot be trusted any more */
	bool writing;                   /* a thread is copying a request into the ring */
	uint32_t next_request_id;
	uint32_t next_watch_id;
	struct list_node in_flight;     /* struct request */
	struct list_node watches;       /* struct xs_watch */
	struct list_node events;        /* struct watch_event, oldest first */
	unsigned int queued_events;
	struct xs_watch *running;       /* whose callback the xenwatch thread is in */
	struct thread *xenwatch;
	uint64_t notifications;         /* event channel notifications (the handler counts) */
	struct xs_stats stats;
	struct xs_wire_receiver receiver;   /* the message being read off the ring */
} xs;

/* ---- Trouble ----------------------------------------------------------------------------- */

/* Mark a request answered; its thread sees `done` in its wait condition and runs again. */
static void finish_request(struct request *request, int error)
{
	request->error = error;
	request->done = true;
}

/* The framing is lost or the indices are impossible: fail everything, now and later. */
static void __attribute__((format(printf, 1, 2))) connection_broken(const char *format, ...)
{
	struct request *request;
	va_list args;

	if (xs.broken)
		return;
	xs.broken = true;
	printf("xenstore: connection broken: ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("; every request fails with EIO from now on\n");
	list_for_each_entry(request, &xs.in_flight, link) {
		if (!request->done)
			finish_request(request, -EIO);
	}
}

/* A message with intact framing but wrong content: say what it was, count it, drop it. */
static void __attribute__((format(printf, 1, 2))) bad_message(const char *format, ...)
{
	va_list args;

	xs.stats.bad_messages++;
	printf("xenstore: dropped a bad message: ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("\n");
}

/* ---- Reading the response ring ("the pump") ---------------------------------------------- */

/*
 * Replies may come in any order ("this should not be relied on", says xenstore.txt of the
 * in-order replies of today's xenstored), so each is matched to its request by req_id.
 */
static struct request *find_request(uint32_t id)
{
	struct request *request;

	list_for_each_entry(request, &xs.in_flight, link) {
		if (request->id == id && !request->done)
			return request;
	}
	return NULL;
}

/*
 * Watch events are queued for the xenwatch thread rather than run here: the pump runs in
 * whichever thread happens to wait, in the middle of that thread's own call, and a callback
 * must not run inside someone else's xenstore call.
 */
static void queue_watch_event(const struct xs_wire_message *message)
{
	const char *path, *token;
	struct watch_event *event;
	size_t length = message->header.len;

	if (xs_wire_parse_watch_event(message->body, length, &path, &token) < 0) {
		bad_message("watch event that is not \"path NUL token NUL\" (%zu bytes)", length);
		return;
	}
	if (xs.queued_events >= MAX_QUEUED_EVENTS) {
		printf("xenstore: %u watch events queued; dropping the one for %s\n",
		       xs.queued_events, path);
		return;
	}
	/* Copy the payload: the receiver's buffer is reused for the next message. */
	event = malloc(sizeof(*event) + length + 1);
	if (event == NULL) {
		printf("xenstore: out of memory; dropping the watch event for %s\n", path);
		return;
	}
	memcpy(event->body, message->body, length + 1);
	event->path = event->body + (path - message->body);
	event->token = event->body + (token - message->body);
	list_add_tail(&xs.events, &event->link);
	xs.queued_events++;
	xs.stats.watch_events++;
}

/* A complete message came off the ring: give it to whoever it belongs to. */
static void dispatch(const struct xs_wire_message *message)
{
	const struct xsd_sockmsg *header = &message->header;
	struct request *request;
	int rc;

	/* Watch events are not replies: they carry req_id 0 and come whenever they like. */
	if (header->type == XS_WATCH_EVENT) {
		queue_watch_event(message);
		return;
	}
	request = find_request(header->req_id);
	if (request == NULL) {
		/* Perhaps a late reply to a request that timed out; either way, nobody's. */
		bad_message("%s reply for request %u, which nobody waits for",
			    xs_wire_type_name(header->type), header->req_id);
		return;
	}
	/* The payload must have the shape this request's reply has: an "OK", a number, a
	 * list... -EBADMSG if not, or xenstored's own error if it sent one. */
	rc = xs_wire_check_reply(request->type, header, message->body);
	if (rc == -EBADMSG) {
		bad_message("%s reply (%u bytes) to %s %s (request %u)",
			    xs_wire_type_name(header->type), header->len,
			    xs_wire_type_name(request->type), request->path, request->id);
		finish_request(request, -EBADMSG);
		return;
	}
	if (rc < 0) {
		finish_request(request, rc);            /* xenstored's answer: ENOENT, ... */
		return;
	}
	/* The receiver's buffer is reused at once: the caller gets its own copy. */
	request->reply = malloc(header->len + 1);
	if (request->reply == NULL) {
		finish_request(request, -ENOMEM);
		return;
	}
	memcpy(request->reply, message->body, header->len + 1);
	request->reply_length = header->len;
	finish_request(request, 0);
}

/* Whether xenstored has put bytes in the response ring that we have not read (or broken
 * its index, which the pump will find out). Cheap: used in wait conditions. */
static bool response_pending(void)
{
	return READ_ONCE(xs.ring->rsp_prod) != xs.response_cons;
}

/*
 * Read everything the response ring holds and dispatch each complete message. Never waits.
 * Called by every thread that waits for xenstore, before it waits and after it wakes.
 */
static void pump(void)
{
	bool consumed = false;

	while (!xs.broken) {
		XENSTORE_RING_IDX prod = READ_ONCE(xs.ring->rsp_prod);
		int rc;

		/* xenstored's producer index is checked against our consumer index before a
		 * byte is read: more than a ring's worth would mean reading garbage. */
		if (xs_wire_ring_used(prod, xs.response_cons) < 0) {
			connection_broken("response ring indices prod %u, cons %u: more than %u bytes",
					  prod, xs.response_cons, XENSTORE_RING_SIZE);
			break;
		}
		if (prod == xs.response_cons)
			break;
		/* Read the bytes only after the index that says they are there. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		rc = xs_wire_ring_receive(&xs.receiver, xs.ring->rsp, &xs.response_cons, prod);
		/* ...and give the space back only after we are done reading it. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		WRITE_ONCE(xs.ring->rsp_cons, xs.response_cons);
		consumed = true;
		if (rc < 0) {
			xs.stats.bad_messages++;
			connection_broken("a %s message announces %u bytes (the limit is %u)",
					  xs_wire_type_name(xs.receiver.message.header.type),
					  xs.receiver.message.header.len, XENSTORE_PAYLOAD_MAX);
			break;
		}
		if (rc == 1) {
			dispatch(&xs.receiver.message);
			xs_wire_receiver_reset(&xs.receiver);
		}
	}
	/* xenstored may be waiting for room to write more. */
	if (consumed)
		evtchn_notify(xs.port);
}

/* ---- Waiting ----------------------------------------------------------------------------- */

struct waiter {
	bool (*ready)(void *arg);
	void *arg;
};

/* Wake up when the wait is over, or when there is something to pump. */
static bool ready_or_input(void *arg)
{
	const struct waiter *waiter = arg;

	return xs.broken || waiter->ready(waiter->arg) || response_pending();
}

/*
 * Pump until ready(arg) is true. Returns 0, -EIO if the connection broke, or -ETIMEDOUT at
 * `deadline`. Every thread that waits for xenstore waits here, so replies are read by
 * whoever is waiting -- never only by one thread that might itself be busy.
 */
static int wait_until(bool (*ready)(void *arg), void *arg, uint64_t deadline)
{
	struct waiter waiter = { ready, arg };

	for (;;) {
		pump();
		if (xs.broken)
			return -EIO;
		if (ready(arg))
			return 0;
		if (sched_wait(ready_or_input, &waiter, deadline) < 0) {
			/* One last look: the answer may have come with the deadline. */
			pump();
			if (xs.broken)
				return -EIO;
			return ready(arg) ? 0 : -ETIMEDOUT;
		}
	}
}

static bool request_done(void *arg)
{
	return ((const struct request *)arg)->done;
}

/* Wait conditions. They only read memory, as sched_wait() requires. */

static bool writer_idle(void *arg)
{
	(void)arg;
	return !xs.writing;
}

/* Room in the request ring -- or an impossible index, which the writer then reports. */
static bool request_space(void *arg)
{
	(void)arg;
	return xs_wire_ring_used(xs.request_prod, READ_ONCE(xs.ring->req_cons)) !=
	       XENSTORE_RING_SIZE;
}

/* ---- Writing the request ring ------------------------------------------------------------ */

/*
 * Copy a whole message into the request ring, in as many pieces as the free space allows.
 * One writer at a time: two messages must never interleave in the ring.
 */
static int send_message(const char *message, size_t length, uint64_t deadline)
{
	size_t sent = 0;
	int rc;

	/* Another thread may be half-way through a big request, waiting for room itself. */
	rc = wait_until(writer_idle, NULL, deadline);
	if (rc < 0)
		return rc;
	xs.writing = true;
	while (sent < length) {
		XENSTORE_RING_IDX cons;

		rc = wait_until(request_space, NULL, deadline);
		if (rc < 0)
			break;
		cons = READ_ONCE(xs.ring->req_cons);
		if (xs_wire_ring_used(xs.request_prod, cons) < 0) {
			connection_broken("request ring indices prod %u, cons %u: more than %u bytes",
					  xs.request_prod, cons, XENSTORE_RING_SIZE);
			rc = -EIO;
			break;
		}
		/* As much as fits now; xenstored may start on it before the rest is there. */
		sent += xs_wire_ring_put(xs.ring->req, cons, &xs.request_prod, message + sent,
					 length - sent);
		/* The bytes must be visible before the index that says they are there. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		WRITE_ONCE(xs.ring->req_prod, xs.request_prod);
		evtchn_notify(xs.port);
	}
	/* Half a message in the ring would make xenstored misread everything after it. */
	if (rc < 0 && sent > 0)
		connection_broken("a request was cut off after %zu of %zu bytes (%s)", sent, length,
				  strerror(rc));
	xs.writing = false;
	return rc;
}

/*
 * Send a request and wait for its reply. On success the reply's payload is in
 * request->reply (NUL-terminated; the caller frees it). Returns 0 or a negative errno.
 */
static int call(struct request *request, uint32_t type, xs_transaction_t transaction,
		const char *const args[], unsigned int count)
{
	uint64_t deadline = time_now() + REPLY_TIMEOUT;
	char *message;
	int length, rc;

	*request = (struct request){ .type = type, .path = count > 0 ? args[0] : "" };
	if (xs.ring == NULL)
		return -ENODEV;
	if (xs.broken)
		return -EIO;
	for (unsigned int i = 0; i < count; i++) {
		if (args[i] == NULL)
			return -EINVAL;
	}
	/* Measure, allocate, build: the message may be up to 4 KiB, too much for a stack. */
	length = xs_wire_build_request(NULL, 0, type, 0, transaction, args, count);
	if (length < 0)
		return length;
	message = malloc((size_t)length);
	if (message == NULL)
		return -ENOMEM;

	/* Ids only need to differ among requests in flight; 0 is left to watch events. */
	if (++xs.next_request_id == 0)
		xs.next_request_id = 1;
	request->id = xs.next_request_id;
	request->thread = thread_name(thread_current());
	request->sent_at = time_now();
	xs_wire_build_request(message, (size_t)length, type, request->id, transaction, args,
			      count);
	/* In the list before the first byte goes out: the reply finds us by id. */
	list_add_tail(&xs.in_flight, &request->link);
	xs.stats.requests++;

	/* One deadline for the whole call: writing and waiting for the answer. */
	rc = send_message(message, (size_t)length, deadline);
	free(message);
	if (rc == 0)
		rc = wait_until(request_done, request, deadline);
	if (rc == 0)
		rc = request->error;
	else if (request->done && request->error < 0)
		rc = request->error;            /* failed while we were still sending */
	/* Out of the list whatever happened: a reply that comes later finds nobody. */
	list_remove(&request->link);
	if (rc == -ETIMEDOUT)
		printf("xenstore: %s %s (request %u, thread %s): no answer within %llu s\n",
		       xs_wire_type_name(type), request->path, request->id, request->thread,
		       (unsigned long long)(REPLY_TIMEOUT / NSEC_PER_SEC));
	if (rc < 0) {
		free(request->reply);
		request->reply = NULL;
	}
	return rc;
}

/* For requests whose reply is just "OK". */
static int call_simple(uint32_t type, xs_transaction_t transaction, const char *const args[],
		       unsigned int count)
{
	struct request request;
	int rc = call(&request, type, transaction, args, count);

	free(request.reply);
	return rc;
}

/* ---- The public calls -------------------------------------------------------------------- */

static void xenstore_event(evtchn_port_t port, void *arg)
{
	/* Event context: just count. Waiters look at the ring indices themselves. */
	(void)port;
	(void)arg;
	xs.notifications++;
}

static void xenwatch_main(void *arg);

int xs_init(const start_info_t *start_info)
{
	/* Everything from scratch (host tests call this once per test). */
	memset(&xs, 0, sizeof(xs));
	list_init(&xs.in_flight);
	list_init(&xs.watches);
	list_init(&xs.events);
	/* A domain built without xenstore (no dom0 daemon to talk to) has no ring page. */
	if (start_info->store_mfn == 0)
		return -ENODEV;
	/* The ring page is one of our own frames, so it is in the linear map already. */
	xs.ring = mfn_to_virt(start_info->store_mfn);
	xs.port = start_info->store_evtchn;
	/* Carry on from wherever the indices are; they are fresh zeros after a normal boot. */
	xs.request_prod = READ_ONCE(xs.ring->req_prod);
	xs.response_cons = READ_ONCE(xs.ring->rsp_cons);
	if (xs_wire_ring_used(xs.request_prod, READ_ONCE(xs.ring->req_cons)) < 0 ||
	    xs_wire_ring_used(READ_ONCE(xs.ring->rsp_prod), xs.response_cons) < 0) {
		printf("xenstore: ring indices impossible at boot (req %u/%u, rsp %u/%u)\n",
		       xs.ring->req_cons, xs.ring->req_prod, xs.ring->rsp_cons, xs.ring->rsp_prod);
		return -EIO;
	}
	/* The xenwatch thread starts with the first watch (xs_watch_add): a unikernel that
	 * sets none pays for neither its stack nor its code. */
	return evtchn_bind(xs.port, xenstore_event, NULL);
}

/*
 * READ: "path NUL" -> the value's bytes, without a NUL (values are counted, not
 * terminated); the client adds one. A relative path is relative to /local/domain/<domid>:
 * xenstored knows which domain is at the other end of the ring.
 */
int xs_read(xs_transaction_t transaction, const char *path, char *buffer, size_t size)
{
	struct request request;
	const char *args[] = { path };
	int rc = call(&request, XS_READ, transaction, args, 1);

	if (rc < 0)
		return rc;
	if ((size_t)request.reply_length + 1 > size) {
		rc = -E2BIG;
	} else {
		memcpy(buffer, request.reply, request.reply_length + 1);
		rc = (int)request.reply_length;
	}
	free(request.reply);
	return rc;
}

char *xs_read_alloc(xs_transaction_t transaction, const char *path, int *error)
{
	struct request request;
	const char *args[] = { path };
	int rc = call(&request, XS_READ, transaction, args, 1);

	if (error != NULL)
		*error = rc < 0 ? rc : 0;
	/* The reply is already a malloc'ed, NUL-terminated copy: hand it over. */
	return rc < 0 ? NULL : request.reply;
}

/*
 * Typed reads. Numbers in xenstore are decimal text ("4", "ring-ref" = "8"); a value that
 * is too long to be a number in range is -EINVAL like any other non-number.
 */
int xs_read_u64(xs_transaction_t transaction, const char *path, uint64_t *out)
{
	char value[24];         /* 20 digits of UINT64_MAX and room to spare */
	int rc = xs_read(transaction, path, value, sizeof(value));

	if (rc == -E2BIG)
		return -EINVAL;
	return rc < 0 ? rc : xs_wire_parse_u64(value, out);
}

int xs_read_int(xs_transaction_t transaction, const char *path, int *out)
{
	char value[16];
	int rc = xs_read(transaction, path, value, sizeof(value));

	if (rc == -E2BIG)
		return -EINVAL;
	return rc < 0 ? rc : xs_wire_parse_int(value, out);
}

/* WRITE: "path NUL value" -> "OK". Missing parents are created, with empty values. */
int xs_write(xs_transaction_t transaction, const char *path, const char *value)
{
	const char *args[] = { path, value };

	return call_simple(XS_WRITE, transaction, args, 2);
}

int xs_printf(xs_transaction_t transaction, const char *path, const char *format, ...)
{
	va_list args;
	char *value;
	int length, rc;

	/* Measure first, then format into a buffer of the right size. */
	va_start(args, format);
	length = vsnprintf(NULL, 0, format, args);
	va_end(args);
	if (length < 0)
		return length;
	if (length > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	value = malloc((size_t)length + 1);
	if (value == NULL)
		return -ENOMEM;
	va_start(args, format);
	vsnprintf(value, (size_t)length + 1, format, args);
	va_end(args);
	rc = xs_write(transaction, path, value);
	free(value);
	return rc;
}

/* MKDIR: create the node (and parents) if missing; an existing value is left alone. */
int xs_mkdir(xs_transaction_t transaction, const char *path)
{
	const char *args[] = { path };

	return call_simple(XS_MKDIR, transaction, args, 1);
}

/* RM: the node and everything below it. A missing node is fine; a missing parent is not. */
int xs_rm(xs_transaction_t transaction, const char *path)
{
	const char *args[] = { path };

	return call_simple(XS_RM, transaction, args, 1);
}

/* DIRECTORY: "path NUL" -> the children's names (not full paths), each followed by a NUL. */
int xs_directory(xs_transaction_t transaction, const char *path, char *buffer, size_t size)
{
	struct request request;
	const char *args[] = { path };
	int rc = call(&request, XS_DIRECTORY, transaction, args, 1);

	if (rc < 0)
		return rc;
	rc = xs_wire_parse_directory(request.reply, request.reply_length, buffer, size);
	free(request.reply);
	return rc;
}

/* GET_PERMS: "path NUL" -> "n0 NUL r5 NUL ...": the owner first, then extra grants. */
int xs_get_permissions(xs_transaction_t transaction, const char *path,
		       struct xs_permission *permissions, unsigned int max)
{
	struct request request;
	const char *args[] = { path };
	int rc = call(&request, XS_GET_PERMS, transaction, args, 1);

	if (rc < 0)
		return rc;
	rc = xs_wire_parse_permissions(request.reply, request.reply_length, permissions, max);
	free(request.reply);
	return rc;
}

/* Room for the path and up to this many permissions: plenty for any real node. */
#define MAX_SET_PERMISSIONS 32

int xs_set_permissions(xs_transaction_t transaction, const char *path,
		       const struct xs_permission *permissions, unsigned int count)
{
	/* "r65535" and its NUL is the longest permission string. */
	char strings[MAX_SET_PERMISSIONS][8];
	const char *args[MAX_SET_PERMISSIONS + 1] = { path };

	/* SET_PERMS: "path NUL perm NUL perm NUL ...". A guest may change the access of a node
	 * it owns, but not give it away: xenstored refuses a new owner. */
	if (count == 0 || count > MAX_SET_PERMISSIONS)
		return -EINVAL;
	for (unsigned int i = 0; i < count; i++) {
		int rc = xs_wire_format_permission(&permissions[i], strings[i], sizeof(strings[i]));

		if (rc < 0)
			return rc;
		args[i + 1] = strings[i];
	}
	return call_simple(XS_SET_PERMS, transaction, args, count + 1);
}

/* ---- Transactions ------------------------------------------------------------------------ */

/*
 * A transaction is xenstored's: it hands out an id, and every request that carries the id
 * in its header's tx_id sees a private snapshot. At the end xenstored checks whether anything
 * the transaction touched was changed meanwhile by someone else; if so, the commit fails
 * with EAGAIN and none of the transaction's writes happen.
 */
int xs_transaction_start(xs_transaction_t *transaction)
{
	struct request request;
	const char *args[] = { "" };    /* the payload is one empty string: just a NUL */
	uint32_t id;
	int rc = call(&request, XS_TRANSACTION_START, XS_NO_TRANSACTION, args, 1);

	if (rc < 0)
		return rc;
	/* xs_wire_check_reply has already checked that this parses. */
	rc = xs_wire_parse_transaction_id(request.reply, request.reply_length, &id);
	free(request.reply);
	if (rc == 0)
		*transaction = id;
	return rc;
}

/* TRANSACTION_END: "T" commits, "F" throws the changes away; either way the id is dead. */
int xs_transaction_end(xs_transaction_t transaction, bool commit)
{
	const char *args[] = { commit ? "T" : "F" };

	if (transaction == XS_NO_TRANSACTION)
		return -EINVAL;
	return call_simple(XS_TRANSACTION_END, transaction, args, 1);
}

int xs_transaction_run(int (*body)(xs_transaction_t transaction, void *arg), void *arg,
		       unsigned int attempts)
{
	int rc = -EAGAIN;

	if (attempts == 0)
		return -EINVAL;
	/*
	 * Each attempt is a fresh transaction: after EAGAIN the old one is gone, and the body
	 * must read everything again, since what it read before is exactly what changed.
	 */
	for (unsigned int attempt = 0; attempt < attempts; attempt++) {
		xs_transaction_t transaction;

		rc = xs_transaction_start(&transaction);
		if (rc < 0)
			return rc;
		rc = body(transaction, arg);
		if (rc < 0) {
			xs_transaction_end(transaction, false);
			/* A body may also see EAGAIN (a conflict noticed early): start over. */
			if (rc == -EAGAIN)
				continue;
			return rc;
		}
		/* EAGAIN: someone else wrote what we read; everything we did is void. */
		rc = xs_transaction_end(transaction, true);
		if (rc != -EAGAIN)
			return rc;
	}
	return rc;
}

/* ---- Watches ----------------------------------------------------------------------------- */

/* Watches are told apart by token, not path: two watches may cover the same path. */
static struct xs_watch *find_watch(const char *token)
{
	struct xs_watch *watch;

	list_for_each_entry(watch, &xs.watches, link) {
		if (strcmp(watch->token, token) == 0)
			return watch;
	}
	return NULL;
}

static void free_watch(struct xs_watch *watch)
{
	free(watch->path);
	free(watch);
}

/*
 * WATCH: "path NUL token NUL" -> "OK", then an XS_WATCH_EVENT "changed-path NUL token NUL"
 * right away and on every later change at or below the path. A relative path gives
 * relative changed-paths. The token is ours to choose: the watch's number.
 */
struct xs_watch *xs_watch_add(const char *path, xs_watch_callback_t callback, void *arg,
			      int *error)
{
	struct xs_watch *watch = NULL;
	const char *args[2];
	int rc = -EINVAL;

	if (path == NULL || callback == NULL)
		goto fail;
	rc = -ENODEV;
	if (xs.ring == NULL)
		goto fail;
	rc = -ENOMEM;
	if (xs.xenwatch == NULL) {
		xs.xenwatch = thread_create("xenwatch", xenwatch_main, NULL);
		if (xs.xenwatch == NULL)
			goto fail;
	}
	watch = calloc(1, sizeof(*watch));
	if (watch == NULL)
		goto fail;
	watch->path = malloc(strlen(path) + 1);
	if (watch->path == NULL)
		goto fail;
	strlcpy(watch->path, path, strlen(path) + 1);
	snprintf(watch->token, sizeof(watch->token), "%u", ++xs.next_watch_id);
	watch->callback = callback;
	watch->arg = arg;
	/* Listed before xenstored hears of it, so that its first event finds it. */
	list_add_tail(&xs.watches, &watch->link);
	args[0] = watch->path;
	args[1] = watch->token;
	rc = call_simple(XS_WATCH, XS_NO_TRANSACTION, args, 2);
	if (rc < 0) {
		list_remove(&watch->link);
		goto fail;
	}
	xs.stats.watches++;
	if (error != NULL)
		*error = 0;
	return watch;

fail:
	if (error != NULL)
		*error = rc;
	if (watch != NULL)
		free_watch(watch);
	return NULL;
}

static bool callback_finished(void *arg)
{
	return xs.running != arg;
}

void xs_watch_remove(struct xs_watch *watch)
{
	const char *args[2];
	int rc;

	if (watch == NULL)
		return;
	/* Off the list first: from now on, events for its token are dropped. */
	list_remove(&watch->link);
	xs.stats.watches--;
	/* UNWATCH takes the same path and token as the WATCH did. */
	args[0] = watch->path;
	args[1] = watch->token;
	rc = call_simple(XS_UNWATCH, XS_NO_TRANSACTION, args, 2);
	if (rc < 0)
		printf("xenstore: UNWATCH %s failed: %s\n", watch->path, strerror(rc));
	/* If its callback is running in the xenwatch thread (and we are not that callback),
	 * wait until it returns: it still uses the watch. This waits for our own code, not
	 * for xenstored, hence no deadline. */
	if (thread_current() != xs.xenwatch && xs.running == watch)
		sched_wait(callback_finished, watch, TIME_NEVER);
	free_watch(watch);
}

/* Something for the xenwatch thread to do: an event to run, or bytes to pump. */
static bool watch_work(void *arg)
{
	(void)arg;
	return !list_empty(&xs.events) || (!xs.broken && response_pending());
}

/*
 * The xenwatch thread: runs watch callbacks, one at a time, in the order the events came.
 * It also pumps the ring, so events arrive even when no other thread talks to xenstore.
 * The watch is looked up by token only now, so an event that was queued before its watch
 * was removed is dropped, not run on freed memory.
 */
static void xenwatch_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct list_node *node;
		struct watch_event *event;
		struct xs_watch *watch;

		/* Nothing else wakes this thread but events and ring bytes, and a callback
		 * that blocks in a xenstore call pumps for itself meanwhile. */
		pump();
		node = list_pop_head(&xs.events);
		if (node == NULL) {
			sched_wait(watch_work, NULL, TIME_NEVER);
			continue;
		}
		xs.queued_events--;
		event = container_of(node, struct watch_event, link);
		watch = find_watch(event->token);
		if (watch != NULL) {
			watch->events++;
			xs.running = watch;
			/* The callback may remove its own watch: do not touch it afterwards. */
			watch->callback(watch, event->path, watch->arg);
			xs.running = NULL;
		}
		free(event);
	}
}

/* ---- Statistics and the debug dump ------------------------------------------------------- */

void xs_stats(struct xs_stats *out)
{
	*out = xs.stats;
}

/* For the debug dump: everything needed to see where a stuck xenstore call is stuck. */
void xs_dump(void)
{
	uint64_t now = time_now();
	struct request *request;
	struct xs_watch *watch;

	if (xs.ring == NULL) {
		printf("xenstore: not initialised\n");
		return;
	}
	printf("xenstore: event channel %u, %llu notifications%s\n", xs.port,
	       (unsigned long long)xs.notifications, xs.broken ? ", connection BROKEN" : "");
	printf("  request ring:  cons %u prod %u (ours %u)%s\n", READ_ONCE(xs.ring->req_cons),
	       READ_ONCE(xs.ring->req_prod), xs.request_prod, xs.writing ? ", being written" : "");
	printf("  response ring: cons %u (ours %u) prod %u, %zu bytes of a message read\n",
	       READ_ONCE(xs.ring->rsp_cons), xs.response_cons, READ_ONCE(xs.ring->rsp_prod),
	       xs.receiver.received);
	printf("  %llu requests, %llu watch events, %llu bad messages\n",
	       (unsigned long long)xs.stats.requests, (unsigned long long)xs.stats.watch_events,
	       (unsigned long long)xs.stats.bad_messages);
	list_for_each_entry(request, &xs.in_flight, link) {
		printf("  in flight: request %u %s %s (thread %s, %llu ms)%s\n", request->id,
		       xs_wire_type_name(request->type), request->path, request->thread,
		       (unsigned long long)((now - request->sent_at) / NSEC_PER_MSEC),
		       request->done ? ", answered" : "");
	}
	list_for_each_entry(watch, &xs.watches, link) {
		printf("  watch %s on %s: %llu events%s\n", watch->token, watch->path,
		       (unsigned long long)watch->events,
		       xs.running == watch ? ", callback running" : "");
	}
	printf("  %u watch events queued\n", xs.queued_events);
}
