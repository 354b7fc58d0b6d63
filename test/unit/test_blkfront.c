/*
 * test/unit/test_blkfront.c: blk/blkfront.c on the host, against a fake blkback.
 *
 * The driver is compiled with test/unit/blkfront_fakes.h, so every kernel and Xen function it
 * calls lands here instead:
 *   - xenbus: the backend's keys come from a table the test fills; what the driver writes
 *     (ring-ref, ring-page-order, event-channel, protocol) is recorded; switching to
 *     Initialised makes the fake backend map the ring and go to Connected.
 *   - grants: a table of (page, read-only) by reference; the backend maps through it and may
 *     be told to keep a page mapped, so that ending the grant fails.
 *   - threads: the driver's service thread runs as a ucontext coroutine. sched_wait() in the
 *     test's own context runs the world for a step -- the backend answers what is on the
 *     ring, then the service thread runs until it waits -- and moves the fake clock on by
 *     10 ms, so timeouts happen without waiting for them.
 * The fake backend does real I/O on an in-memory disk, and can misbehave on request: answer
 * with an id never issued, an unknown status, the wrong operation, an impossible index,
 * nothing at all, or keep the pages it was given.
 */
#include "test/unit/blkfront_fakes.h"
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>
#include <xen/io/blkif.h>
#include "blk/blkfront.h"
#include "blk/blkreq.h"
#include "kernel/sched.h"
#include "xen/gnttab.h"
#include "xen/evtchn.h"
#include "xen/time.h"
#include "xen/xenbus.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "test/unit/suites.h"
#include "test/unit/stubs.h"

/* Coroutine stacks come from glibc; everything the driver allocates, from Mote's heap. */
#undef malloc
#undef calloc
#undef free

#define REGION_PAGES 8192
#define DISK_SECTORS 16384             /* 8 MiB */
#define MAX_GRANTS 16384
#define TICK (10 * NSEC_PER_MSEC)

static uint8_t region[REGION_PAGES * PAGE_SIZE] __attribute__((aligned(4096)));

/* ---- The fake backend ------------------------------------------------------------------------ */

enum misbehaviour {
	BEHAVE,
	ANSWER_UNKNOWN_ID,          /* the next response names an id not in flight */
	ANSWER_UNKNOWN_STATUS,      /* the next response has status 7 */
	ANSWER_WRONG_OPERATION,     /* the next response says BLKIF_OP_DISCARD */
	ANSWER_IO_ERROR,            /* the next response is BLKIF_RSP_ERROR */
	ANSWER_TWICE,               /* the next response is sent twice */
	INSANE_INDEX,               /* rsp_prod jumps far ahead */
	KEEP_PAGES,                 /* keep the next request's pages mapped after answering */
	SILENT,                     /* never answer again */
};

static struct {
	/* What the backend publishes. */
	uint64_t sectors, sector_size, info, max_ring_order, max_indirect;
	bool has_max_ring_order, flush, barrier, discard, connect;
	/* What the frontend published. */
	char keys[16][2][64];
	int nkeys;
	XenbusState frontend_state;
	/* The ring, once mapped. */
	blkif_sring_t *sring;
	unsigned int entries;
	RING_IDX req_cons, rsp_prod;
	/* Behaviour. */
	bool defer;                 /* take requests but do not answer yet */
	blkif_request_t deferred[512];
	unsigned int ndeferred;
	enum misbehaviour misbehave;
	/* What it saw. */
	unsigned int requests, indirect_requests, max_segments, max_in_flight, flushes, barriers,
		discards, notifications;
	bool flush_saw_writes_in_flight;
	uint8_t disk[DISK_SECTORS * 512];
} back;

/* ---- Fake grant table ---------------------------------------------------------------------- */

static struct {
	void *page;
	bool used, readonly, held;
} grants[MAX_GRANTS];
static unsigned int leaked_refs;

int fake_gnttab_grant_page(domid_t domid, const void *page, bool readonly, grant_ref_t *ref)
{
	ck_assert_uint_eq(domid, 0);
	ck_assert_msg((uintptr_t)page % PAGE_SIZE == 0, "granting an unaligned page %p", page);
	for (grant_ref_t r = GNTTAB_NR_RESERVED_ENTRIES; r < MAX_GRANTS; r++) {
		if (!grants[r].used) {
			grants[r].page = (void *)page;
			grants[r].used = true;
			grants[r].readonly = readonly;
			grants[r].held = false;
			*ref = r;
			return 0;
		}
	}
	return -ENOSPC;
}

int fake_gnttab_end_access(grant_ref_t ref)
{
	ck_assert_msg(ref < MAX_GRANTS && grants[ref].used, "ending ref %u, which is not granted", ref);
	if (grants[ref].held) {
		leaked_refs++;
		return -EBUSY;
	}
	grants[ref].used = false;
	return 0;
}

static unsigned int grants_in_use(void)
{
	unsigned int count = 0;

	for (unsigned int r = 0; r < MAX_GRANTS; r++)
		count += grants[r].used && !grants[r].held;
	return count;
}

/* The backend maps a grant: it must exist, and a page it writes must not be read-only. */
static uint8_t *backend_map(grant_ref_t ref, bool for_writing)
{
	ck_assert_msg(ref < MAX_GRANTS && grants[ref].used, "backend maps ref %u, not granted", ref);
	ck_assert_msg(!for_writing || !grants[ref].readonly, "backend writes into read-only ref %u",
		      ref);
	if (back.misbehave == KEEP_PAGES)
		grants[ref].held = true;
	return grants[ref].page;
}

/* ---- Fake xenbus, event channels, transactions ------------------------------------------- */

static const char *frontend_key(const char *key)
{
	for (int i = 0; i < back.nkeys; i++) {
		if (strcmp(back.keys[i][0], key) == 0)
			return back.keys[i][1];
	}
	return NULL;
}

int fake_xenbus_list_devices(const char *type, char *ids, size_t size)
{
	ck_assert_str_eq(type, "vbd");
	snprintf(ids, size, "51712");
	return 1;
}

int fake_xenbus_device_open(struct xenbus_device *device, const char *type, const char *id,
			    uint64_t timeout)
{
	(void)timeout;
	memset(device, 0, sizeof(*device));
	snprintf(device->nodename, sizeof(device->nodename), "device/%s/%s", type, id);
	snprintf(device->backend, sizeof(device->backend), "/local/domain/0/backend/%s/1/%s", type, id);
	device->backend_id = 0;
	device->backend_state = XenbusStateInitWait;
	return 0;
}

void fake_xenbus_device_close(struct xenbus_device *device)
{
	(void)device;
}

/* The backend's side of Initialised: map the ring from the keys the frontend wrote. */
static void backend_connect(struct xenbus_device *device)
{
	const char *order_key = frontend_key("ring-page-order");
	unsigned int order = order_key ? (unsigned int)atoi(order_key) : 0;
	const char *ref_key = order == 0 ? frontend_key("ring-ref") : frontend_key("ring-ref0");

	ck_assert_msg(ref_key != NULL, "no ring-ref");
	ck_assert_ptr_nonnull(frontend_key("event-channel"));
	ck_assert_str_eq(frontend_key("protocol"), "x86_64-abi");
	back.sring = (blkif_sring_t *)backend_map((grant_ref_t)atoi(ref_key), true);
	/* The pages of a multi-page ring are consecutive in our fake memory too. */
	for (unsigned int i = 1; i < (1u << order); i++) {
		char key[16];

		snprintf(key, sizeof(key), "ring-ref%u", i);
		ck_assert_ptr_nonnull(frontend_key(key));
		ck_assert_ptr_eq(backend_map((grant_ref_t)atoi(frontend_key(key)), true),
				 (uint8_t *)back.sring + i * PAGE_SIZE);
	}
	back.entries = __CONST_RING_SIZE(blkif, PAGE_SIZE << order);
	back.req_cons = back.rsp_prod = 0;
	if (back.connect)
		device->backend_state = XenbusStateConnected;
}

int fake_xenbus_switch_state(struct xenbus_device *device, XenbusState state)
{
	back.frontend_state = state;
	if (state == XenbusStateInitialised)
		backend_connect(device);
	else if (state == XenbusStateClosing)
		device->backend_state = XenbusStateClosing;
	else if (state == XenbusStateClosed)
		device->backend_state = XenbusStateClosed;
	return 0;
}

int fake_xenbus_wait_backend_state(struct xenbus_device *device, XenbusState wanted,
				   uint64_t timeout)
{
	(void)timeout;
	return device->backend_state == wanted ? 0 : -ETIMEDOUT;
}

bool fake_xenbus_backend_closing(const struct xenbus_device *device)
{
	return device->backend_state == XenbusStateClosing ||
	       device->backend_state == XenbusStateClosed;
}

int fake_xenbus_read_backend_u64(const struct xenbus_device *device, const char *key,
				 uint64_t *out)
{
	(void)device;
	if (strcmp(key, "sectors") == 0)
		*out = back.sectors;
	else if (strcmp(key, "sector-size") == 0)
		*out = back.sector_size;
	else if (strcmp(key, "info") == 0)
		*out = back.info;
	else if (strcmp(key, "max-ring-page-order") == 0 && back.has_max_ring_order)
		*out = back.max_ring_order;
	else if (strcmp(key, "feature-max-indirect-segments") == 0 && back.max_indirect > 0)
		*out = back.max_indirect;
	else if (strcmp(key, "feature-flush-cache") == 0 && back.flush)
		*out = 1;
	else if (strcmp(key, "feature-barrier") == 0 && back.barrier)
		*out = 1;
	else if (strcmp(key, "feature-discard") == 0 && back.discard)
		*out = 1;
	else
		return -ENOENT;
	return 0;
}

int fake_xenbus_printf(const struct xenbus_device *device, xs_transaction_t transaction,
		       const char *key, const char *format, ...)
{
	va_list args;
	int slot = 0;

	(void)device;
	(void)transaction;
	/* A key written again (by a later open) replaces the old value. */
	while (slot < back.nkeys && strcmp(back.keys[slot][0], key) != 0)
		slot++;
	ck_assert_int_lt(slot, 16);
	snprintf(back.keys[slot][0], sizeof(back.keys[0][0]), "%s", key);
	va_start(args, format);
	vsnprintf(back.keys[slot][1], sizeof(back.keys[0][1]), format, args);
	va_end(args);
	if (slot == back.nkeys)
		back.nkeys++;
	return 0;
}

const char *fake_xenbus_state_name(XenbusState state)
{
	return state == XenbusStateConnected ? "Connected" : "another state";
}

int fake_xs_transaction_run(int (*body)(xs_transaction_t transaction, void *arg), void *arg,
			    unsigned int attempts)
{
	(void)attempts;
	return body(1, arg);
}

int fake_evtchn_alloc_unbound(domid_t remote, evtchn_handler_t handler, void *arg,
			      evtchn_port_t *port)
{
	(void)remote;
	(void)handler;
	(void)arg;
	*port = 7;
	return 0;
}

void fake_evtchn_unbind(evtchn_port_t port)
{
	ck_assert_uint_eq(port, 7);
}

int fake_evtchn_notify(evtchn_port_t port)
{
	ck_assert_uint_eq(port, 7);
	back.notifications++;
	return 0;
}

/* ---- The backend at work -------------------------------------------------------------------- */

static void respond(uint64_t id, uint8_t operation, int16_t status)
{
	union blkif_sring_entry *entry = &back.sring->ring[back.rsp_prod & (back.entries - 1)];

	entry->rsp.id = id;
	entry->rsp.operation = operation;
	entry->rsp.status = status;
	back.rsp_prod++;
}

/* Move the sectors of one segment between the disk and the granted page. */
static void transfer(uint8_t operation, uint64_t *sector, grant_ref_t gref, uint8_t first,
		     uint8_t last)
{
	uint8_t *page;
	size_t bytes;

	ck_assert_msg(first <= last && last < 8, "segment sectors %u..%u", first, last);
	page = backend_map(gref, operation == BLKIF_OP_READ);
	bytes = (size_t)(last - first + 1) * 512;
	ck_assert_msg(*sector * 512 + bytes <= sizeof(back.disk), "I/O past the fake disk");
	if (operation == BLKIF_OP_READ)
		memcpy(page + first * 512, back.disk + *sector * 512, bytes);
	else
		memcpy(back.disk + *sector * 512, page + first * 512, bytes);
	*sector += last - first + 1;
}

/* Carry out one request and answer it, misbehaving if told to. */
static void serve(const blkif_request_t *request)
{
	uint8_t operation = request->operation, data_operation = operation;
	uint64_t sector = request->sector_number;
	int16_t status = BLKIF_RSP_OKAY;
	unsigned int segments = request->nr_segments;

	back.requests++;
	if (operation == BLKIF_OP_INDIRECT) {
		const blkif_request_indirect_t *indirect = (const void *)request;

		data_operation = indirect->indirect_op;
		segments = indirect->nr_segments;
		sector = indirect->sector_number;
		ck_assert_uint_le(segments, back.max_indirect);
		back.indirect_requests++;
		for (unsigned int i = 0; i < segments; i++) {
			const struct blkif_request_segment *list = (const void *)backend_map(
				indirect->indirect_grefs[i / 512], false);

			transfer(data_operation, &sector, list[i % 512].gref, list[i % 512].first_sect,
				 list[i % 512].last_sect);
		}
	} else if (operation == BLKIF_OP_READ || operation == BLKIF_OP_WRITE) {
		ck_assert_uint_ge(segments, 1);
		ck_assert_uint_le(segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
		for (unsigned int i = 0; i < segments; i++)
			transfer(operation, &sector, request->seg[i].gref, request->seg[i].first_sect,
				 request->seg[i].last_sect);
	} else if (operation == BLKIF_OP_FLUSH_DISKCACHE) {
		back.flushes++;
	} else if (operation == BLKIF_OP_WRITE_BARRIER) {
		back.barriers++;
	} else if (operation == BLKIF_OP_DISCARD) {
		const blkif_request_discard_t *discard = (const void *)request;

		memset(back.disk + discard->sector_number * 512, 0, discard->nr_sectors * 512);
		back.discards++;
	}
	if (segments > back.max_segments)
		back.max_segments = segments;

	switch (back.misbehave) {
	case ANSWER_UNKNOWN_ID:
		/* Instead of the real answer: an id that was never issued. */
		back.misbehave = BEHAVE;
		respond(request->id + 1000, data_operation, status);
		return;
	case ANSWER_UNKNOWN_STATUS:
		status = 7;
		break;
	case ANSWER_WRONG_OPERATION:
		data_operation = BLKIF_OP_DISCARD;
		break;
	case ANSWER_IO_ERROR:
		status = BLKIF_RSP_ERROR;
		break;
	case ANSWER_TWICE:
		respond(request->id, data_operation, status);
		break;
	default:
		break;
	}
	/* The ANSWER_ kinds apply to one response; the others stay. */
	if (back.misbehave < INSANE_INDEX)
		back.misbehave = BEHAVE;
	respond(request->id, data_operation, status);
}

/* One step of the backend: take new requests, answer them unless deferring. */
static void backend_step(void)
{
	RING_IDX prod;

	if (back.sring == NULL || back.misbehave == SILENT)
		return;
	prod = back.sring->req_prod;
	ck_assert_msg(prod - back.req_cons <= back.entries, "more requests than the ring holds");
	while (back.req_cons != prod) {
		blkif_request_t request;

		memcpy(&request, &back.sring->ring[back.req_cons & (back.entries - 1)], sizeof(request));
		back.req_cons++;
		back.deferred[back.ndeferred++] = request;
	}
	if (back.ndeferred > back.max_in_flight)
		back.max_in_flight = back.ndeferred;
	if (back.defer)
		return;
	/* A flush that arrives together with earlier requests was issued before they were
	 * answered: it would not cover them. */
	for (unsigned int i = 0; i < back.ndeferred; i++) {
		if (back.deferred[i].operation == BLKIF_OP_FLUSH_DISKCACHE && i > 0)
			back.flush_saw_writes_in_flight = true;
		serve(&back.deferred[i]);
	}
	back.ndeferred = 0;
	if (back.misbehave == INSANE_INDEX) {
		back.rsp_prod += 1000;
		back.misbehave = BEHAVE;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	back.sring->rsp_prod = back.rsp_prod;
}

/* ---- Fake time and threads ------------------------------------------------------------------ */

struct fake_thread {
	ucontext_t context;
	void (*entry)(void *arg);
	void *arg;
	bool finished;
	void *stack;
};

static uint64_t fake_now, fake_epoch;
static struct fake_thread main_thread, *threads[4], *current;
static int nthreads;

uint64_t fake_time_now(void)
{
	return fake_now;
}

static void trampoline(int index)
{
	struct fake_thread *thread = threads[index];

	thread->entry(thread->arg);
	thread->finished = true;
	current = &main_thread;
	setcontext(&main_thread.context);
}

struct thread *fake_thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
	struct fake_thread *thread = calloc(1, sizeof(*thread));

	(void)name;
	ck_assert_int_lt(nthreads, 4);
	thread->entry = entry;
	thread->arg = arg;
	thread->stack = malloc(256 * 1024);
	getcontext(&thread->context);
	thread->context.uc_stack.ss_sp = thread->stack;
	thread->context.uc_stack.ss_size = 256 * 1024;
	thread->context.uc_link = NULL;
	threads[nthreads] = thread;
	makecontext(&thread->context, (void (*)(void))trampoline, 1, nthreads);
	nthreads++;
	return (struct thread *)thread;
}

struct thread *fake_thread_current(void)
{
	return (struct thread *)current;
}

static void switch_to(struct fake_thread *to)
{
	struct fake_thread *from = current;

	current = to;
	swapcontext(&from->context, &to->context);
	current = from;
}

/* Let the world run once: the backend, then every thread until it waits again. */
static void run_world(void)
{
	backend_step();
	for (int i = 0; i < nthreads; i++) {
		if (!threads[i]->finished)
			switch_to(threads[i]);
	}
	fake_now += TICK;
	ck_assert_msg(fake_now - fake_epoch < 1000 * NSEC_PER_SEC, "nothing happens: a deadlock");
}

int fake_sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline)
{
	for (;;) {
		if (condition(arg))
			return 0;
		if (fake_now >= deadline)
			return -ETIMEDOUT;
		if (current != &main_thread)
			switch_to(&main_thread);    /* a thread waits: back to the test */
		else
			run_world();
	}
}

/* ---- Fixtures ------------------------------------------------------------------------------- */

static void setup(void)
{
	memset(&back, 0, sizeof(back));
	memset(grants, 0, sizeof(grants));
	leaked_refs = 0;
	back.sectors = DISK_SECTORS;
	back.sector_size = 512;
	back.has_max_ring_order = true;
	back.max_ring_order = 4;
	back.max_indirect = 256;
	back.flush = true;
	back.discard = true;
	back.connect = true;
	for (size_t i = 0; i < sizeof(back.disk); i++)
		back.disk[i] = (uint8_t)(i * 13 + i / 4096);
	fake_now = fake_epoch = 1000 * NSEC_PER_SEC;
	nthreads = 0;
	current = &main_thread;
	ck_assert_int_eq(page_alloc_init(region, REGION_PAGES), 0);
	heap_init();
}

static struct blkfront *open_disk(const struct blkfront_config *config)
{
	struct blkfront *disk;

	ck_assert_int_eq(blkfront_open("51712", config, &disk), 0);
	return disk;
}

/* Close, and check that every grant ended and every page and allocation came back. */
static void close_disk(struct blkfront *disk)
{
	struct heap_stats heap;

	blkfront_close(disk);
	ck_assert_uint_eq(grants_in_use(), 0);
	heap_stats(&heap);
	ck_assert_uint_eq(heap.live_allocations, 0);
	ck_assert_int_eq(heap_check(), 0);
	for (int i = 0; i < nthreads; i++)
		free(threads[i]->stack), free(threads[i]);
	nthreads = 0;
}

static uint8_t *pages(size_t count)
{
	uint8_t *memory = page_alloc(count);

	ck_assert_ptr_nonnull(memory);
	return memory;
}

/* ---- The handshake -------------------------------------------------------------------------- */

START_TEST(handshake_multi_page_ring)
{
	struct blkfront *disk = open_disk(NULL);
	const struct blkfront_info *info = blkfront_info(disk);

	/* The backend offers order 4; the default asks for 2: four ring-refs, no ring-ref. */
	ck_assert_str_eq(frontend_key("ring-page-order"), "2");
	ck_assert_ptr_nonnull(frontend_key("ring-ref0"));
	ck_assert_ptr_nonnull(frontend_key("ring-ref3"));
	ck_assert_ptr_null(frontend_key("ring-ref4"));
	ck_assert_ptr_null(frontend_key("ring-ref"));
	ck_assert_str_eq(frontend_key("event-channel"), "7");
	ck_assert_uint_eq(info->ring_pages, 4);
	ck_assert_uint_eq(info->ring_entries, 128);
	ck_assert_uint_eq(info->segments_per_request, 256);
	ck_assert_uint_eq(info->capacity, DISK_SECTORS * 512ULL);
	ck_assert(info->flush && info->discard && !info->barrier && !info->read_only);
	ck_assert_int_eq(back.frontend_state, XenbusStateConnected);
	close_disk(disk);
	ck_assert_int_eq(back.frontend_state, XenbusStateClosed);
}
END_TEST

START_TEST(handshake_single_page_ring)
{
	struct blkfront *disk;

	/* No max-ring-page-order, no indirect descriptors: the protocol's defaults. */
	back.has_max_ring_order = false;
	back.max_indirect = 0;
	disk = open_disk(NULL);
	ck_assert_ptr_nonnull(frontend_key("ring-ref"));
	ck_assert_ptr_null(frontend_key("ring-page-order"));
	ck_assert_uint_eq(blkfront_info(disk)->ring_entries, 32);
	ck_assert_uint_eq(blkfront_info(disk)->segments_per_request, 11);
	close_disk(disk);
}
END_TEST

START_TEST(handshake_backend_never_connects)
{
	struct blkfront *disk;

	back.connect = false;
	ck_assert_int_eq(blkfront_open("51712", NULL, &disk), -ETIMEDOUT);
	/* Everything set up on the way was taken down again. */
	ck_assert_uint_eq(grants_in_use(), 0);
	ck_assert_int_eq(back.frontend_state, XenbusStateClosed);
}
END_TEST

START_TEST(handshake_bad_geometry)
{
	struct blkfront *disk;

	back.sector_size = 1000;
	ck_assert_int_eq(blkfront_open("51712", NULL, &disk), -EINVAL);
	back.sector_size = 512;
	back.sectors = UINT64_MAX / 256;
	ck_assert_int_eq(blkfront_open("51712", NULL, &disk), -EINVAL);
	ck_assert_uint_eq(grants_in_use(), 0);
}
END_TEST

/* ---- Reading and writing -------------------------------------------------------------------- */

START_TEST(read_and_write_round_trip)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(600), *check = pages(600);
	struct blkfront_stats stats;

	/* 2 MiB + 512 at an odd sector: indirect requests of 256 segments. */
	ck_assert_int_eq(blkfront_read(disk, 512 * 7, buffer, 2 * 1024 * 1024 + 512), 0);
	ck_assert(memcmp(buffer, back.disk + 512 * 7, 2 * 1024 * 1024 + 512) == 0);
	ck_assert_uint_eq(back.max_segments, 256);
	ck_assert_uint_gt(back.indirect_requests, 0);
	for (size_t i = 0; i < 300 * PAGE_SIZE; i++)
		buffer[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(blkfront_write(disk, 1024 * 1024, buffer, 300 * PAGE_SIZE), 0);
	ck_assert(memcmp(back.disk + 1024 * 1024, buffer, 300 * PAGE_SIZE) == 0);
	ck_assert_int_eq(blkfront_read(disk, 1024 * 1024, check, 300 * PAGE_SIZE), 0);
	ck_assert(memcmp(check, buffer, 300 * PAGE_SIZE) == 0);
	/* Every grant ended as its request completed. */
	ck_assert_uint_eq(grants_in_use(), 4);      /* the ring's pages only */
	blkfront_stats(disk, &stats);
	ck_assert_uint_eq(stats.bounced, 0);
	ck_assert_uint_eq(stats.in_flight, 0);
	page_free(buffer, 600);
	page_free(check, 600);
	close_disk(disk);
}
END_TEST

START_TEST(unaligned_buffers_bounce)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *memory = pages(64);
	struct blkfront_stats stats;

	/* A buffer at an odd address: through bounce pages, both ways. */
	ck_assert_int_eq(blkfront_read(disk, 4096, memory + 3, 100 * 1024), 0);
	ck_assert(memcmp(memory + 3, back.disk + 4096, 100 * 1024) == 0);
	memset(memory + 5, 0x5a, 3 * 512);
	ck_assert_int_eq(blkfront_write(disk, 8192, memory + 5, 3 * 512), 0);
	ck_assert_uint_eq(back.disk[8192], 0x5a);
	ck_assert_uint_eq(back.disk[8192 + 3 * 512 - 1], 0x5a);
	blkfront_stats(disk, &stats);
	ck_assert_uint_gt(stats.bounced, 0);
	ck_assert_uint_eq(grants_in_use(), 4);
	page_free(memory, 64);
	close_disk(disk);
}
END_TEST

START_TEST(direct_only_when_no_indirect)
{
	struct blkfront *disk;
	uint8_t *buffer = pages(64);

	back.max_indirect = 0;
	disk = open_disk(NULL);
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 64 * PAGE_SIZE), 0);
	ck_assert(memcmp(buffer, back.disk, 64 * PAGE_SIZE) == 0);
	ck_assert_uint_eq(back.max_segments, 11);
	ck_assert_uint_eq(back.indirect_requests, 0);
	ck_assert_uint_eq(back.requests, 6);        /* 64 pages, 11 at a time */
	page_free(buffer, 64);
	close_disk(disk);
}
END_TEST

START_TEST(refusals)
{
	struct blkfront *disk;
	uint8_t *buffer = pages(2);
	uint64_t capacity = DISK_SECTORS * 512ULL;

	disk = open_disk(NULL);
	ck_assert_int_eq(blkfront_read(disk, capacity, buffer, 512), -EINVAL);
	ck_assert_int_eq(blkfront_read(disk, capacity - 512, buffer, 1024), -EINVAL);
	ck_assert_int_eq(blkfront_write(disk, 100, buffer, 512), -EINVAL);
	ck_assert_int_eq(blkfront_write(disk, 0, buffer, 100), -EINVAL);
	ck_assert_int_eq(blkfront_read(disk, capacity - 512, buffer, 512), 0);
	ck_assert_uint_eq(back.requests, 1);        /* only the good one reached the ring */
	close_disk(disk);

	/* A read-only disk: every kind of write refused, reads fine. */
	back.info = VDISK_READONLY;
	disk = open_disk(NULL);
	ck_assert(blkfront_info(disk)->read_only);
	ck_assert_int_eq(blkfront_write(disk, 0, buffer, 512), -EROFS);
	ck_assert_int_eq(blkfront_flush(disk), -EROFS);
	ck_assert_int_eq(blkfront_discard(disk, 0, 512), -EROFS);
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 512), 0);
	page_free(buffer, 2);
	close_disk(disk);
}
END_TEST

/* ---- Flush, discard ---------------------------------------------------------------------------- */

struct counter {
	int done, errors, last_status;
};

static void count_done(int status, void *arg)
{
	struct counter *counter = arg;

	counter->done++;
	counter->errors += status < 0;
	counter->last_status = status;
}

struct target {
	struct counter *counter;
	int wanted;
};

static bool reached(void *arg)
{
	const struct target *target = arg;

	return target->counter->done >= target->wanted;
}

static void wait_for(struct counter *counter, int wanted)
{
	struct target target = { counter, wanted };

	ck_assert_int_eq(fake_sched_wait(reached, &target, TIME_NEVER), 0);
}

START_TEST(flush_waits_for_earlier_writes)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(8);
	struct counter counter = { 0, 0, 0 };

	/* Writes in flight, then a flush: the backend sees the flush only after it answered
	 * every write, so the flush covers them. */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(blkfront_submit(disk, BLKFRONT_WRITE, (uint64_t)i * 4096,
						 buffer + i * PAGE_SIZE, 4096, count_done, &counter), 0);
	ck_assert_int_eq(blkfront_submit(disk, BLKFRONT_FLUSH, 0, NULL, 0, count_done, &counter), 0);
	wait_for(&counter, 5);
	ck_assert_int_eq(counter.errors, 0);
	ck_assert_uint_eq(back.flushes, 1);
	ck_assert(!back.flush_saw_writes_in_flight);
	page_free(buffer, 8);
	close_disk(disk);
}
END_TEST

START_TEST(flush_falls_back_to_barrier_or_nothing)
{
	struct blkfront *disk;

	back.flush = false;
	back.barrier = true;
	disk = open_disk(NULL);
	ck_assert_int_eq(blkfront_flush(disk), 0);
	ck_assert_uint_eq(back.barriers, 1);
	close_disk(disk);

	/* Neither: the backend has no cache to flush, and nothing goes on the ring. */
	back.barrier = false;
	back.requests = 0;
	disk = open_disk(NULL);
	ck_assert_int_eq(blkfront_flush(disk), 0);
	ck_assert_uint_eq(back.requests, 0);
	close_disk(disk);
}
END_TEST

START_TEST(discard)
{
	struct blkfront *disk = open_disk(NULL);

	ck_assert_int_eq(blkfront_discard(disk, 8192, 4096), 0);
	ck_assert_uint_eq(back.discards, 1);
	ck_assert_uint_eq(back.disk[8192], 0);
	close_disk(disk);
	back.discard = false;
	disk = open_disk(NULL);
	ck_assert_int_eq(blkfront_discard(disk, 8192, 4096), -EOPNOTSUPP);
	close_disk(disk);
}
END_TEST

/* ---- A full ring --------------------------------------------------------------------------- */

static bool backend_holds(void *arg)
{
	return back.ndeferred >= *(unsigned int *)arg;
}

START_TEST(full_ring_in_flight)
{
	static const struct blkfront_config config = { 0, 11, 4096, NSEC_PER_SEC };
	struct blkfront *disk = open_disk(&config);
	uint8_t *buffer = pages(200);
	struct counter counter = { 0, 0, 0 };
	unsigned int ring = 32;

	/* 200 reads at once on a 32-entry ring: 32 in flight, the rest waits its turn. */
	back.defer = true;
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(blkfront_submit(disk, BLKFRONT_READ, (uint64_t)i * 4096,
						 buffer + i * PAGE_SIZE, 4096, count_done, &counter), 0);
	ck_assert_int_eq(fake_sched_wait(backend_holds, &ring, TIME_NEVER), 0);
	ck_assert_uint_eq(back.ndeferred, 32);
	back.defer = false;
	wait_for(&counter, 200);
	ck_assert_int_eq(counter.errors, 0);
	ck_assert_uint_eq(back.max_in_flight, 32);
	ck_assert(memcmp(buffer, back.disk, 200 * PAGE_SIZE) == 0);
	page_free(buffer, 200);
	close_disk(disk);
}
END_TEST

/* A callback may submit; a synchronous call from a callback would wait for itself. */
struct chain {
	struct blkfront *disk;
	uint8_t *buffer;
	int steps, deadlock;
};

static void chain_done(int status, void *arg)
{
	struct chain *chain = arg;

	ck_assert_int_eq(status, 0);
	chain->deadlock = blkfront_read(chain->disk, 0, chain->buffer, 512);
	if (++chain->steps < 5)
		ck_assert_int_eq(blkfront_submit(chain->disk, BLKFRONT_READ, 0, chain->buffer, 512,
						 chain_done, chain), 0);
}

static bool chain_finished(void *arg)
{
	return ((struct chain *)arg)->steps >= 5;
}

START_TEST(callbacks_may_submit)
{
	struct chain chain = { open_disk(NULL), pages(1), 0, 0 };

	ck_assert_int_eq(blkfront_submit(chain.disk, BLKFRONT_READ, 0, chain.buffer, 512, chain_done,
					 &chain), 0);
	ck_assert_int_eq(fake_sched_wait(chain_finished, &chain, TIME_NEVER), 0);
	ck_assert_int_eq(chain.deadlock, -EDEADLK);
	page_free(chain.buffer, 1);
	close_disk(chain.disk);
}
END_TEST

/* ---- A hostile backend --------------------------------------------------------------------- */

START_TEST(unknown_id_is_dropped)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(2);
	struct counter counter = { 0, 0, 0 };
	struct blkfront_stats stats;
	const char *reason;
	unsigned int two = 2;

	/* Two reads in flight; the first is answered with an id that was never issued, the
	 * second properly. The bad answer is logged and dropped -- no request can be blamed
	 * for it -- and the second read succeeds. The first is never answered: it fails when
	 * its time is up, and a backend that leaves a request unanswered breaks the disk. */
	back.defer = true;
	ck_assert_int_eq(blkfront_submit(disk, BLKFRONT_READ, 0, buffer, 4096, count_done,
					 &counter), 0);
	ck_assert_int_eq(blkfront_submit(disk, BLKFRONT_READ, 4096, buffer + PAGE_SIZE, 4096,
					 count_done, &counter), 0);
	ck_assert_int_eq(fake_sched_wait(backend_holds, &two, TIME_NEVER), 0);
	back.misbehave = ANSWER_UNKNOWN_ID;
	back.defer = false;
	wait_for(&counter, 1);
	ck_assert_int_eq(counter.errors, 0);
	ck_assert(memcmp(buffer + PAGE_SIZE, back.disk + 4096, 4096) == 0);
	blkfront_stats(disk, &stats);
	ck_assert_uint_eq(stats.bad_responses, 1);
	ck_assert(!blkfront_broken(disk, NULL));
	wait_for(&counter, 2);
	ck_assert_int_eq(counter.last_status, -EIO);
	ck_assert(blkfront_broken(disk, &reason));
	ck_assert_ptr_nonnull(strstr(reason, "no response"));
	page_free(buffer, 2);
	close_disk(disk);
}
END_TEST

START_TEST(bad_response_fails_that_request)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(1);
	struct blkfront_stats stats;

	back.misbehave = ANSWER_UNKNOWN_STATUS;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	back.misbehave = ANSWER_WRONG_OPERATION;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	/* An honest I/O error is not misbehaviour. */
	back.misbehave = ANSWER_IO_ERROR;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	/* And the next request is fine. */
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), 0);
	blkfront_stats(disk, &stats);
	ck_assert_uint_eq(stats.bad_responses, 2);
	ck_assert_uint_eq(stats.io_errors, 1);
	ck_assert(!blkfront_broken(disk, NULL));
	ck_assert_uint_eq(grants_in_use(), 4);
	page_free(buffer, 1);
	close_disk(disk);
}
END_TEST

START_TEST(answer_twice_breaks_the_disk)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(1);
	const char *reason;

	/* Two answers to the only request in flight: rsp_prod is now ahead of every request
	 * ever made, which no honest backend can do. */
	back.misbehave = ANSWER_TWICE;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	ck_assert(blkfront_broken(disk, &reason));
	ck_assert_ptr_nonnull(strstr(reason, "response index"));
	page_free(buffer, 1);
	close_disk(disk);
}
END_TEST

START_TEST(repeated_misbehaviour_breaks_the_disk)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(1);
	const char *reason;

	for (int i = 0; i < 8; i++) {
		back.misbehave = ANSWER_UNKNOWN_STATUS;
		ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	}
	ck_assert(blkfront_broken(disk, &reason));
	ck_assert_ptr_nonnull(strstr(reason, "bad responses"));
	/* Every later call fails at once, without touching the ring. */
	back.requests = 0;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	ck_assert_int_eq(blkfront_flush(disk), -EIO);
	ck_assert_uint_eq(back.requests, 0);
	page_free(buffer, 1);
	close_disk(disk);
}
END_TEST

START_TEST(impossible_index_breaks_the_disk)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(1);

	back.misbehave = INSANE_INDEX;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	ck_assert(blkfront_broken(disk, NULL));
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	page_free(buffer, 1);
	close_disk(disk);
}
END_TEST

START_TEST(silence_breaks_the_disk)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(1);
	uint64_t start = fake_now;
	const char *reason;

	/* No answer: after BLKFRONT_IO_TIMEOUT the request fails and the disk is broken. The
	 * backend never touched the pages, so their grants end. */
	back.misbehave = SILENT;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), -EIO);
	ck_assert_uint_ge(fake_now - start, BLKFRONT_IO_TIMEOUT);
	ck_assert(blkfront_broken(disk, &reason));
	ck_assert_ptr_nonnull(strstr(reason, "no response"));
	page_free(buffer, 1);
	close_disk(disk);
}
END_TEST

START_TEST(pages_kept_by_the_backend)
{
	struct blkfront *disk = open_disk(NULL);
	uint8_t *buffer = pages(4);
	struct blkfront_stats stats;

	/* The backend answers but keeps the bounce pages mapped: the grants cannot end, the
	 * read fails, and the pages are never reused (the leak is counted). */
	back.misbehave = KEEP_PAGES;
	ck_assert_int_eq(blkfront_read(disk, 0, buffer + 1, 4096), -EIO);
	back.misbehave = BEHAVE;
	blkfront_stats(disk, &stats);
	ck_assert_uint_ge(stats.leaked_grants, 1);
	ck_assert_uint_ge(leaked_refs, 1);
	/* The disk goes on working. */
	ck_assert_int_eq(blkfront_read(disk, 0, buffer, 4096), 0);
	blkfront_close(disk);
	for (int i = 0; i < nthreads; i++)
		free(threads[i]->stack), free(threads[i]);
	nthreads = 0;
	page_free(buffer, 4);
}
END_TEST

Suite *blkfront_suite(void)
{
	Suite *suite = suite_create("blkfront");
	TCase *handshake = tcase_create("handshake");
	TCase *io = tcase_create("io");
	TCase *hostile = tcase_create("hostile backend");

	tcase_add_checked_fixture(handshake, setup, NULL);
	tcase_add_test(handshake, handshake_multi_page_ring);
	tcase_add_test(handshake, handshake_single_page_ring);
	tcase_add_test(handshake, handshake_backend_never_connects);
	tcase_add_test(handshake, handshake_bad_geometry);
	suite_add_tcase(suite, handshake);

	tcase_add_checked_fixture(io, setup, NULL);
	tcase_add_test(io, read_and_write_round_trip);
	tcase_add_test(io, unaligned_buffers_bounce);
	tcase_add_test(io, direct_only_when_no_indirect);
	tcase_add_test(io, refusals);
	tcase_add_test(io, flush_waits_for_earlier_writes);
	tcase_add_test(io, flush_falls_back_to_barrier_or_nothing);
	tcase_add_test(io, discard);
	tcase_add_test(io, full_ring_in_flight);
	tcase_add_test(io, callbacks_may_submit);
	suite_add_tcase(suite, io);

	tcase_add_checked_fixture(hostile, setup, NULL);
	tcase_add_test(hostile, unknown_id_is_dropped);
	tcase_add_test(hostile, bad_response_fails_that_request);
	tcase_add_test(hostile, answer_twice_breaks_the_disk);
	tcase_add_test(hostile, repeated_misbehaviour_breaks_the_disk);
	tcase_add_test(hostile, impossible_index_breaks_the_disk);
	tcase_add_test(hostile, silence_breaks_the_disk);
	tcase_add_test(hostile, pages_kept_by_the_backend);
	suite_add_tcase(suite, hostile);
	return suite;
}
