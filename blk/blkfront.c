/*
 * blk/blkfront.c: the block frontend. Implements blk/blkfront.h against public/io/blkif.h
 * (the protocol, with its long comments on every xenstore key) and public/io/ring.h (the
 * shared ring). docs/blkfront.md walks through it with pictures.
 *
 * The pieces:
 *   - The ring: 2^order pages shared with the backend. Requests go in at req_prod, the
 *     backend writes responses over them at rsp_prod. Each request carries an id, which the
 *     response echoes; ids come from an id pool and index `slots`, our private record of
 *     every request in flight (what was granted, where a bounced read must be copied).
 *   - An I/O (struct io) is what the caller asked for: any number of bytes. issue() cuts it
 *     into ring requests of up to segments_per_request pages each and puts as many on the
 *     ring as there are free slots and grant budget; the rest waits in `queue` until
 *     responses free room.
 *   - The service thread, one per disk, reads responses, ends their grants, completes I/Os,
 *     issues what waited, and runs the callbacks. The event channel handler only counts:
 *     the thread's wait condition looks at the ring itself.
 *
 * Nothing from the backend is believed before it is checked: responses are copied out of
 * the ring once, field by field, and then judged on the copy (see handle_response()).
 */
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <xen/xen.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include "blk/blkfront.h"
#include "blk/blkreq.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/time.h"
#include "xen/xenbus.h"
#include "xen/xenstore.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/id_pool.h"
#include "lib/list.h"
#include "lib/page_alloc.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

/* Our own ceiling on the ring: 2^4 = 16 pages, 512 requests, is what Linux offers. */
#define MAX_RING_PAGE_ORDER 4u
#define MAX_RING_PAGES (1u << MAX_RING_PAGE_ORDER)

#define DEFAULT_RING_PAGE_ORDER 2u
#define DEFAULT_MAX_SEGMENTS 256u
#define DEFAULT_MAX_GRANTS 4096u
#define DEFAULT_CONNECT_TIMEOUT (10 * NSEC_PER_SEC)

/* An unaligned buffer goes through at most this many bounce pages per ring request. */
#define BOUNCE_MAX_PAGES 16u

/* This many bad responses and the backend is no longer believed at all. */
#define BAD_RESPONSE_LIMIT 8u

/* One caller's request, cut into as many ring requests as it needs. */
struct io {
	struct list_node link;      /* in disk->queue while parts wait, then disk->completed */
	enum blkfront_op op;
	uint64_t offset;            /* byte offset on the disk */
	uint8_t *buffer;
	size_t length;
	size_t issued;              /* bytes put on the ring so far */
	bool fully_issued;          /* nothing left to put on the ring */
	bool queued;                /* on disk->queue */
	bool bounce;                /* the buffer is not sector aligned: copy through pages */
	unsigned int pending;       /* ring requests in flight */
	int status;                 /* the first error of any part, else 0 */
	blkfront_callback_t done;
	void *arg;
};

/* Our record of one ring request in flight, indexed by its id. */
struct slot {
	struct list_node link;      /* in disk->in_flight, oldest first */
	struct io *io;
	uint8_t ring_operation;     /* what the ring slot says (BLKIF_OP_INDIRECT for indirect) */
	uint8_t data_operation;     /* what is done: READ, WRITE, FLUSH_DISKCACHE, ... */
	uint64_t submitted_at;
	unsigned int nr_segments;
	grant_ref_t *grefs;         /* the grant of each segment's page */
	unsigned int nr_indirect;   /* indirect pages granted for this request */
	struct blkif_request_segment *indirect[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	void *bounce;               /* our pages standing in for an unaligned buffer */
	unsigned int bounce_pages;
	uint8_t *user;              /* where bounced data comes from or goes to */
	size_t bytes;               /* data bytes this request moves */
};

struct blkfront {
	struct xenbus_device xenbus;    /* our node, the backend's path and its state */
	struct blkfront_info info;
	blkif_vdev_t handle;            /* the device number, device/vbd/<handle> */

	/* The shared ring. The indices we own live here, and only here: the copies in the
	 * shared page are written from them, never read back. */
	blkif_sring_t *sring;
	union blkif_sring_entry *ring;  /* sring->ring, ring_entries of them */
	unsigned int ring_order;
	unsigned int ring_grefs_granted;
	grant_ref_t ring_grefs[MAX_RING_PAGES];
	RING_IDX req_prod;              /* next request goes here */
	RING_IDX req_prod_published;    /* what the backend has been told */
	RING_IDX rsp_cons;              /* next response to read */
	evtchn_port_t port;

	/* Requests in flight. */
	struct slot *slots;             /* ring_entries of them; the id is the index */
	grant_ref_t *slot_grefs;        /* the slots' grefs arrays, in one block */
	uint32_t *id_storage;
	struct id_pool ids;
	struct list_node in_flight;     /* struct slot, oldest first */
	unsigned int grants_in_use;     /* data and indirect pages granted now */
	unsigned int max_grants;
	struct blkreq_segment *cut;     /* scratch: the segments of the request being built */

	struct list_node queue;         /* struct io with parts not yet on the ring */
	struct list_node completed;     /* struct io whose callback is due */

	struct thread *thread;
	bool stopping;                  /* blkfront_close: the thread ends when idle */
	bool thread_finished;
	bool published;                 /* we wrote Initialised: the backend may map the ring */

	bool broken;
	char broken_reason[120];
	unsigned int bad_responses;
	struct blkfront_stats stats;
};

/* ---- Trouble ----------------------------------------------------------------------------- */

static void finish_slot(struct blkfront *disk, struct slot *slot, int status);
static void fail_queued(struct blkfront *disk, int status);

/*
 * The backend is beyond belief: say why, once, and fail everything. Requests in flight are
 * finished here, without their responses; their grants are ended if the backend has let go
 * of the pages, and leaked (never reused) if not.
 */
static void __attribute__((format(printf, 2, 3))) mark_broken(struct blkfront *disk,
							       const char *format, ...)
{
	va_list args;

	if (disk->broken)
		return;
	disk->broken = true;
	va_start(args, format);
	vsnprintf(disk->broken_reason, sizeof(disk->broken_reason), format, args);
	va_end(args);
	printf("blkfront: %s: broken: %s; every request fails with EIO from now on\n",
	       disk->info.name, disk->broken_reason);
	while (!list_empty(&disk->in_flight))
		finish_slot(disk, list_first_entry(&disk->in_flight, struct slot, link), -EIO);
	fail_queued(disk, -EIO);
}

/* A response that breaks the rules: log it; too many and the disk is broken. */
static void __attribute__((format(printf, 2, 3))) bad_response(struct blkfront *disk,
								const char *format, ...)
{
	va_list args;

	disk->stats.bad_responses++;
	disk->bad_responses++;
	printf("blkfront: %s: bad response: ", disk->info.name);
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("\n");
	if (disk->bad_responses >= BAD_RESPONSE_LIMIT)
		mark_broken(disk, "%u bad responses from the backend", disk->bad_responses);
}

/* ---- Completing ---------------------------------------------------------------------------- */

/* Nothing more of this I/O goes on the ring: it is all there, or it failed. */
static void io_stop_issuing(struct io *io)
{
	io->fully_issued = true;
	if (io->queued) {
		list_remove(&io->link);
		io->queued = false;
	}
}

/* An I/O is complete when nothing of it is in flight and nothing more will be issued. */
static void io_maybe_complete(struct blkfront *disk, struct io *io)
{
	if (io->pending > 0 || !io->fully_issued)
		return;
	/* The callback runs in the service thread, which wakes up for this list. */
	list_add_tail(&disk->completed, &io->link);
}

/* Record the first error; the parts in flight still finish before the callback runs. */
static void io_fail(struct blkfront *disk, struct io *io, int status)
{
	if (io->status == 0)
		io->status = status;
	io_stop_issuing(io);
	io_maybe_complete(disk, io);
}

static void fail_queued(struct blkfront *disk, int status)
{
	while (!list_empty(&disk->queue))
		io_fail(disk, list_first_entry(&disk->queue, struct io, link), status);
}

/*
 * End a grant that belonged to a finished request. The backend answered, so it should have
 * unmapped the page; if it has not, the grant cannot end (docs/grants.md): the reference is
 * leaked, and the page must never be used for anything else.
 */
static bool end_grant(struct blkfront *disk, grant_ref_t ref)
{
	if (gnttab_end_access(ref) == 0)
		return true;
	disk->stats.leaked_grants++;
	return false;
}

/*
 * A request is over, answered (status from the response) or abandoned (the disk broke).
 * Take back every grant, copy bounced read data to the caller, free the id, and see whether
 * that was the last part of its I/O.
 */
static void finish_slot(struct blkfront *disk, struct slot *slot, int status)
{
	struct io *io = slot->io;
	bool data_released = true, bounce_released = true;

	for (unsigned int i = 0; i < slot->nr_segments; i++) {
		if (!end_grant(disk, slot->grefs[i])) {
			if (slot->bounce != NULL)
				bounce_released = false;
			else
				data_released = false;
		}
	}
	for (unsigned int i = 0; i < slot->nr_indirect; i++) {
		/* An indirect page the backend keeps is given up: a new one is made next time. */
		if (!end_grant(disk, slot->indirect_grefs[i]))
			slot->indirect[i] = NULL;
	}
	disk->grants_in_use -= slot->nr_segments + slot->nr_indirect;

	if (!data_released) {
		printf("blkfront: %s: the backend still maps the caller's buffer %p after answering; "
		       "the request fails\n", disk->info.name, (void *)slot->user);
		status = -EIO;
	}
	if (slot->bounce != NULL) {
		if (bounce_released) {
			/* Only now is the backend done with our copy: hand the data over. */
			if (status == 0 && slot->data_operation == BLKIF_OP_READ)
				memcpy(slot->user, slot->bounce, slot->bytes);
			page_free(slot->bounce, slot->bounce_pages);
		} else {
			status = -EIO;      /* the pages stay with the backend, never reused */
		}
	}

	list_remove(&slot->link);
	id_pool_put(&disk->ids, (uint32_t)(slot - disk->slots));
	slot->io = NULL;
	slot->bounce = NULL;
	slot->nr_segments = 0;
	slot->nr_indirect = 0;

	io->pending--;
	if (status < 0)
		io_fail(disk, io, status);
	else
		io_maybe_complete(disk, io);
}

/* ---- Issuing requests ---------------------------------------------------------------------- */

/*
 * Room for one more request: a free position in the ring and a free id. The two are counted
 * apart on purpose. A position is free once its response has been read, whatever that
 * response said; an id is free only once the request it names is finished. A backend that
 * answers with a bogus id frees a position but no id, and the ring must not run ahead of
 * the ids because of it.
 */
static bool ring_has_room(const struct blkfront *disk)
{
	return disk->req_prod - disk->rsp_cons < disk->info.ring_entries &&
	       disk->ids.in_use < disk->ids.capacity;
}

/* Take an id and its slot; ring_has_room() said there is one. The id is the slot's index,
 * so a response finds its slot without a search, and the pool refuses to give out an id that
 * is still in flight. */
static struct slot *slot_get(struct blkfront *disk, struct io *io, uint8_t operation)
{
	struct slot *slot;
	uint32_t id;

	if (id_pool_get(&disk->ids, &id) < 0)
		return NULL;
	slot = &disk->slots[id];
	slot->io = io;
	slot->data_operation = operation;
	slot->ring_operation = operation;
	slot->nr_segments = 0;
	slot->nr_indirect = 0;
	slot->bounce = NULL;
	return slot;
}

/*
 * Copy a built request into the next ring position and account for it. The backend sees it
 * once push() publishes req_prod. The ring has a power-of-two number of entries, so the
 * free-running index becomes a position with a mask; the request was built in our own memory
 * and is copied in whole, so nothing is ever read back from the shared page.
 */
static void ring_put(struct blkfront *disk, struct slot *slot, const union blkreq_slot *request)
{
	memcpy(&disk->ring[disk->req_prod & (disk->info.ring_entries - 1)], request,
	       sizeof(*request));
	disk->req_prod++;
	slot->submitted_at = time_now();
	list_add_tail(&disk->in_flight, &slot->link);
	slot->io->pending++;
	disk->stats.requests++;
}

/*
 * Publish the new requests and tell the backend, if it asked to be told (public/io/ring.h,
 * "Notification hold-off"). The backend sets req_event to the request index at which it
 * wants an event; if the new requests passed that index, it may be asleep: notify.
 */
static void push(struct blkfront *disk)
{
	RING_IDX old = disk->req_prod_published, new = disk->req_prod;
	RING_IDX event;

	if (old == new)
		return;
	/* The requests must be in the ring before the index that announces them... */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(disk->sring->req_prod, new);
	disk->req_prod_published = new;
	/* ...and the index must be visible before we read req_event, or we and the backend
	 * could each think the other will look again: a full barrier. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	event = READ_ONCE(disk->sring->req_event);
	if ((RING_IDX)(new - event) < (RING_IDX)(new - old))
		evtchn_notify(disk->port);
}

/* Flush and discard: one request, no data. A flush waits until everything before it has
 * completed, so that it covers every write submitted before it. */
static int issue_without_data(struct blkfront *disk, struct io *io)
{
	union blkreq_slot request;
	struct slot *slot;
	uint8_t operation;

	if (io->op == BLKFRONT_FLUSH && !list_empty(&disk->in_flight))
		return 0;
	operation = io->op == BLKFRONT_DISCARD ? BLKIF_OP_DISCARD
		    : disk->info.flush ? BLKIF_OP_FLUSH_DISKCACHE
		    : BLKIF_OP_WRITE_BARRIER;
	slot = slot_get(disk, io, operation);
	if (slot == NULL)
		return 0;
	if (operation == BLKIF_OP_DISCARD)
		blkreq_encode_discard(disk->handle, (uint64_t)(slot - disk->slots),
				      io->offset >> BLKREQ_SECTOR_SHIFT,
				      io->length >> BLKREQ_SECTOR_SHIFT, &request);
	else
		blkreq_encode_flush(operation, disk->handle, (uint64_t)(slot - disk->slots), &request);
	ring_put(disk, slot, &request);
	io->issued = io->length;
	io->fully_issued = true;
	return 1;
}

/*
 * Grant every page of the request's segments, and its indirect pages if it needs them, then
 * build it. Returns 0, or a negative errno with everything granted here taken back.
 */
static int grant_and_build(struct blkfront *disk, struct slot *slot, uint64_t sector,
			   unsigned int nr_segments, union blkreq_slot *request)
{
	/* For a write the backend only reads our pages: it gets no more than that. */
	bool readonly = slot->data_operation == BLKIF_OP_WRITE;
	struct blkreq_rw rw = {
		.operation = slot->data_operation,
		.handle = disk->handle,
		.id = (uint64_t)(slot - disk->slots),
		.sector = sector,
		.nr_segments = nr_segments,
		.segments = disk->cut,
		.grefs = slot->grefs,
	};
	int rc = 0;

	for (unsigned int i = 0; i < nr_segments && rc == 0; i++) {
		rc = gnttab_grant_page(disk->xenbus.backend_id, (void *)disk->cut[i].page,
				       readonly, &slot->grefs[i]);
		if (rc == 0)
			slot->nr_segments++;
	}
	if (rc == 0 && nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		/* Too many for the slot: the segment list goes in pages of its own, which the
		 * backend only reads. A slot keeps its indirect pages for the next request. */
		unsigned int pages = blkreq_indirect_pages(nr_segments);

		for (unsigned int i = 0; i < pages && rc == 0; i++) {
			if (slot->indirect[i] == NULL)
				slot->indirect[i] = page_alloc(1);
			rc = slot->indirect[i] == NULL ? -ENOMEM
			     : gnttab_grant_page(disk->xenbus.backend_id, slot->indirect[i], true,
						 &slot->indirect_grefs[i]);
			if (rc == 0)
				slot->nr_indirect++;
		}
		if (rc == 0) {
			rc = blkreq_encode_indirect(&rw, slot->indirect, slot->indirect_grefs, request);
			slot->ring_operation = BLKIF_OP_INDIRECT;
		}
	} else if (rc == 0) {
		rc = blkreq_encode_direct(&rw, request);
	}
	if (rc < 0) {
		/* Nothing was published: every grant ends at once. */
		for (unsigned int i = 0; i < slot->nr_segments; i++)
			gnttab_end_access(slot->grefs[i]);
		for (unsigned int i = 0; i < slot->nr_indirect; i++)
			gnttab_end_access(slot->indirect_grefs[i]);
		slot->nr_segments = 0;
		slot->nr_indirect = 0;
	}
	return rc;
}

/*
 * Put the next part of a read or write on the ring. Returns 1 if it did, 0 if it must wait
 * for room (a slot, grants or memory that responses will free), or a negative errno if the
 * I/O cannot go on at all.
 */
static int issue_data(struct blkfront *disk, struct io *io)
{
	size_t remaining = io->length - io->issued, bytes;
	uint8_t *user = io->buffer + io->issued;
	uint8_t operation = io->op == BLKFRONT_READ ? BLKIF_OP_READ : BLKIF_OP_WRITE;
	unsigned int nr_segments, indirect;
	union blkreq_slot request;
	void *bounce = NULL;
	unsigned int bounce_pages = 0;
	struct slot *slot;
	int rc;

	/*
	 * How much goes in this request: as many pages as a request may carry, from wherever
	 * the caller's buffer has got to. A buffer that needs bouncing moves at most
	 * BOUNCE_MAX_PAGES at a time, so that an unaligned multi-megabyte read does not need
	 * megabytes of bounce memory at once.
	 */
	if (io->bounce) {
		/* Our own pages stand in for the caller's buffer: page aligned, so cut() makes
		 * whole-page segments of them. */
		bytes = MIN(remaining, MIN(BOUNCE_MAX_PAGES, disk->info.segments_per_request) *
					       (size_t)PAGE_SIZE);
		bounce_pages = (unsigned int)DIV_ROUND_UP(bytes, PAGE_SIZE);
		bounce = page_alloc(bounce_pages);
		if (bounce == NULL)
			return list_empty(&disk->in_flight) ? -ENOMEM : 0;
		nr_segments = blkreq_cut((uintptr_t)bounce, bytes, bounce_pages, disk->cut, &bytes);
	} else {
		nr_segments = blkreq_cut((uintptr_t)user, remaining, disk->info.segments_per_request,
					 disk->cut, &bytes);
	}
	indirect = nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ? blkreq_indirect_pages(nr_segments)
								 : 0;
	/* The grant budget: enough for the request, unless nothing is in flight to free any. */
	if (disk->grants_in_use + nr_segments + indirect > disk->max_grants &&
	    !list_empty(&disk->in_flight)) {
		rc = 0;
		goto give_back_bounce;
	}
	slot = slot_get(disk, io, operation);
	if (slot == NULL) {
		rc = 0;
		goto give_back_bounce;
	}
	rc = grant_and_build(disk, slot, (io->offset + io->issued) >> BLKREQ_SECTOR_SHIFT,
			     nr_segments, &request);
	if (rc < 0) {
		slot->io = NULL;
		id_pool_put(&disk->ids, (uint32_t)(slot - disk->slots));
		/* The grant table or memory is full: wait for our own requests to free some,
		 * or give up if none are in flight. */
		rc = list_empty(&disk->in_flight) ? rc : 0;
		goto give_back_bounce;
	}
	if (bounce != NULL && operation == BLKIF_OP_WRITE)
		memcpy(bounce, user, bytes);
	slot->bounce = bounce;
	slot->bounce_pages = bounce_pages;
	slot->user = user;
	slot->bytes = bytes;
	disk->grants_in_use += nr_segments + indirect;
	disk->stats.segments += nr_segments;
	disk->stats.indirect_requests += indirect > 0;
	disk->stats.bounced += bounce != NULL;
	ring_put(disk, slot, &request);
	io->issued += bytes;
	io->fully_issued = io->issued == io->length;
	return 1;

give_back_bounce:
	if (bounce != NULL)
		page_free(bounce, bounce_pages);
	return rc;
}

/*
 * Put queued I/O on the ring, in order, until it is all there or something must wait. Called
 * by blkfront_submit() for new work and by the service thread after every batch of
 * responses, which is when slots, grants and bounce memory come free again. The order is
 * first come, first served: a large I/O at the head keeps later small ones waiting, but
 * nothing can starve.
 */
static void issue(struct blkfront *disk)
{
	while (!disk->broken && !list_empty(&disk->queue) && ring_has_room(disk)) {
		struct io *io = list_first_entry(&disk->queue, struct io, link);
		int rc = io->op == BLKFRONT_READ || io->op == BLKFRONT_WRITE
				 ? issue_data(disk, io)
				 : issue_without_data(disk, io);

		if (rc < 0)
			io_fail(disk, io, rc);
		else if (rc == 0)
			break;
		else if (io->fully_issued)
			io_stop_issuing(io);    /* off the queue; complete when answered */
	}
	push(disk);
}

/* ---- Responses ----------------------------------------------------------------------------- */

/* Is `echoed` the operation of the request in `slot`? An indirect request may be answered
 * with BLKIF_OP_INDIRECT or with the operation it carried (Linux's blkback does the latter). */
static bool operation_matches(const struct slot *slot, uint8_t echoed)
{
	return echoed == slot->ring_operation || echoed == slot->data_operation;
}

/*
 * One response, already copied out of the ring. The checks, in order: does the id name a
 * request in flight; does the operation match what that request asked; is the status one
 * blkif.h defines. A response that fails the first check cannot be pinned on any request and
 * is only logged; the request it should have answered then waits for its timeout. A response
 * that fails the others fails its request with -EIO. (A duplicate answer that arrives after
 * its id was reused for a new request looks exactly like an answer to the new one; no
 * frontend can tell, which is one more reason the disk breaks after a few bad responses.)
 */
static void handle_response(struct blkfront *disk, const struct blkif_response *response)
{
	struct slot *slot;
	int status;

	/* The id must name a request in flight. Anything else -- an id we never issued, one
	 * already answered -- is dropped: there is no request to fail. */
	if (response->id >= disk->info.ring_entries ||
	    !id_pool_in_use(&disk->ids, (uint32_t)response->id)) {
		bad_response(disk, "id %lu is not a request in flight", (unsigned long)response->id);
		return;
	}
	slot = &disk->slots[response->id];
	status = blkreq_status_to_errno(response->status);
	if (!operation_matches(slot, response->operation)) {
		bad_response(disk, "request %lu was operation %u, the response says %u",
			     (unsigned long)response->id, slot->ring_operation, response->operation);
		status = -EIO;
	} else if (status == -EPROTO) {
		bad_response(disk, "request %lu: unknown status %d", (unsigned long)response->id,
			     response->status);
		status = -EIO;
	} else if (status == -EIO) {
		disk->stats.io_errors++;
	}
	/* bad_response may have broken the disk, which finished every request already. */
	if (!disk->broken)
		finish_slot(disk, slot, status);
}

/*
 * Read every response the backend has produced. Then ask for an event at the next one
 * (rsp_event) and look once more, in case one arrived in between (public/io/ring.h,
 * RING_FINAL_CHECK_FOR_RESPONSES).
 */
static void process_responses(struct blkfront *disk)
{
	for (;;) {
		RING_IDX prod = READ_ONCE(disk->sring->rsp_prod);
		int ready = blkreq_responses_ready(prod, disk->rsp_cons, disk->req_prod);

		if (ready < 0) {
			mark_broken(disk, "response index %u with %u requests outstanding from %u",
				    prod, disk->req_prod - disk->rsp_cons, disk->rsp_cons);
			return;
		}
		/* Read the responses only after the index that says they are there. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		while (disk->rsp_cons != prod && !disk->broken) {
			const union blkif_sring_entry *entry =
				&disk->ring[disk->rsp_cons & (disk->info.ring_entries - 1)];
			struct blkif_response response;

			/* One read of each field into our copy: the backend may change the
			 * ring under us, but not what we have already decided on. */
			response.id = READ_ONCE(entry->rsp.id);
			response.operation = READ_ONCE(entry->rsp.operation);
			response.status = READ_ONCE(entry->rsp.status);
			disk->rsp_cons++;
			handle_response(disk, &response);
		}
		if (disk->broken)
			return;
		WRITE_ONCE(disk->sring->rsp_event, disk->rsp_cons + 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (READ_ONCE(disk->sring->rsp_prod) == disk->rsp_cons)
			return;
	}
}

/* ---- The service thread -------------------------------------------------------------------- */

static void blkfront_event(evtchn_port_t port, void *arg)
{
	struct blkfront *disk = arg;

	(void)port;
	/* Event context: only count. The service thread looks at the ring itself. */
	disk->stats.notifications++;
}

/* The thread's wait condition: cheap reads only, as sched_wait() requires. */
static bool service_needed(void *arg)
{
	const struct blkfront *disk = arg;

	if (!list_empty(&disk->completed))
		return true;
	if (disk->stopping && list_empty(&disk->in_flight) && list_empty(&disk->queue))
		return true;
	if (disk->broken)
		return false;
	return READ_ONCE(disk->sring->rsp_prod) != disk->rsp_cons ||
	       xenbus_backend_closing(&disk->xenbus);
}

static void run_callbacks(struct blkfront *disk)
{
	while (!list_empty(&disk->completed)) {
		struct io *io = list_first_entry(&disk->completed, struct io, link);

		list_remove(&io->link);
		io->done(io->status, io->arg);
		free(io);
	}
}

/*
 * The disk's own thread. Each time round: wait until there is something to do (responses in
 * the ring, callbacks due, close requested) or the oldest request's time is up; read the
 * responses; look for the backend going away and for a request that never got an answer;
 * put waiting I/O on the ring now that room may have come free; and only then run the
 * callbacks, so that a callback that submits finds the ring in a settled state.
 */
static void service_thread(void *arg)
{
	struct blkfront *disk = arg;

	for (;;) {
		uint64_t deadline = TIME_NEVER;

		/* The oldest request in flight sets the deadline for an answer. */
		if (!list_empty(&disk->in_flight))
			deadline = list_first_entry(&disk->in_flight, struct slot, link)->submitted_at +
				   BLKFRONT_IO_TIMEOUT;
		sched_wait(service_needed, disk, deadline);

		if (!disk->broken)
			process_responses(disk);
		if (!disk->broken && xenbus_backend_closing(&disk->xenbus))
			mark_broken(disk, "the backend is %s",
				    xenbus_state_name(disk->xenbus.backend_state));
		if (!disk->broken && !list_empty(&disk->in_flight) &&
		    time_now() >= list_first_entry(&disk->in_flight, struct slot, link)->submitted_at +
					  BLKFRONT_IO_TIMEOUT)
			mark_broken(disk, "no response to request %lu within %llu s",
				    (unsigned long)(list_first_entry(&disk->in_flight, struct slot,
								     link) - disk->slots),
				    BLKFRONT_IO_TIMEOUT / NSEC_PER_SEC);
		issue(disk);
		run_callbacks(disk);
		if (disk->stopping && list_empty(&disk->in_flight) && list_empty(&disk->queue) &&
		    list_empty(&disk->completed))
			break;
	}
	disk->thread_finished = true;
}

/* ---- The handshake ------------------------------------------------------------------------- */

/*
 * Step 3: the ring's size. A backend that can map a ring of several pages says so in
 * max-ring-page-order (a transport parameter, published before InitWait). We take the
 * smaller of its offer and our config; without the key the ring is one page.
 */
static void choose_ring_order(struct blkfront *disk, unsigned int wanted)
{
	uint64_t offered = 0;

	if (xenbus_read_backend_u64(&disk->xenbus, "max-ring-page-order", &offered) < 0)
		offered = 0;
	disk->info.max_ring_page_order = (unsigned int)MIN(offered, (uint64_t)UINT32_MAX);
	disk->ring_order = (unsigned int)MIN(MIN(offered, (uint64_t)wanted), MAX_RING_PAGE_ORDER);
}

/* Step 4: the ring pages, initialised, each granted to the backend. */
static int ring_create(struct blkfront *disk)
{
	unsigned int pages = 1u << disk->ring_order;
	void *memory = page_alloc(pages);
	int rc;

	if (memory == NULL)
		return -ENOMEM;
	memset(memory, 0, pages * PAGE_SIZE);
	disk->sring = memory;
	disk->ring = disk->sring->ring;
	/* Indices 0, and "notify me at the first one" (req_event = rsp_event = 1). */
	SHARED_RING_INIT(disk->sring);
	/* As many entries as fit after the indices, rounded down to a power of two:
	 * 32 for one page, 64 for two, ... */
	disk->info.ring_pages = pages;
	disk->info.ring_entries = __CONST_RING_SIZE(blkif, pages * PAGE_SIZE);
	for (unsigned int i = 0; i < pages; i++) {
		rc = gnttab_grant_page(disk->xenbus.backend_id, (char *)memory + i * PAGE_SIZE, false,
				       &disk->ring_grefs[i]);
		if (rc < 0)
			return rc;
		disk->ring_grefs_granted++;
	}
	return 0;
}

/*
 * Step 6: tell the backend where the ring and the event channel are, in one transaction so
 * that it never sees half of it. A one-page ring is "ring-ref"; a larger one is
 * "ring-page-order" and "ring-ref0".."ring-refN" (blkif.h, note 6).
 */
static int publish_transport(xs_transaction_t transaction, void *arg)
{
	struct blkfront *disk = arg;
	int rc = 0;

	if (disk->ring_order == 0) {
		rc = xenbus_printf(&disk->xenbus, transaction, "ring-ref", "%u", disk->ring_grefs[0]);
	} else {
		rc = xenbus_printf(&disk->xenbus, transaction, "ring-page-order", "%u",
				   disk->ring_order);
		for (unsigned int i = 0; i < disk->info.ring_pages && rc == 0; i++) {
			char key[16];

			snprintf(key, sizeof(key), "ring-ref%u", i);
			rc = xenbus_printf(&disk->xenbus, transaction, key, "%u", disk->ring_grefs[i]);
		}
	}
	if (rc == 0)
		rc = xenbus_printf(&disk->xenbus, transaction, "event-channel", "%u", disk->port);
	/* The layout of the ring's structures: ours is the native 64-bit one. */
	if (rc == 0)
		rc = xenbus_printf(&disk->xenbus, transaction, "protocol", "%s",
				   XEN_IO_PROTO_ABI_X86_64);
	return rc;
}

/* A backend key that may be absent: `fallback` then. */
static uint64_t backend_u64_or(struct blkfront *disk, const char *key, uint64_t fallback)
{
	uint64_t value;

	return xenbus_read_backend_u64(&disk->xenbus, key, &value) == 0 ? value : fallback;
}

/*
 * Step 9: what the backend published when it connected. sectors and sector-size are
 * required; the rest have defaults (blkif.h). Every value is checked before it is used:
 * a sector size that is not a power of two, or a capacity that overflows, is refused.
 */
static int read_backend_properties(struct blkfront *disk)
{
	struct blkfront_info *info = &disk->info;
	uint64_t sectors, sector_size, physical, flags;
	int rc;

	rc = xenbus_read_backend_u64(&disk->xenbus, "sectors", &sectors);
	if (rc == 0)
		rc = xenbus_read_backend_u64(&disk->xenbus, "sector-size", &sector_size);
	if (rc < 0) {
		printf("blkfront: %s: the backend did not publish sectors and sector-size (%s)\n",
		       info->name, strerror(rc));
		return rc;
	}
	physical = backend_u64_or(disk, "physical-sector-size", sector_size);
	flags = backend_u64_or(disk, "info", 0);
	/* A segment is at most a page, so a logical block larger than a page cannot be
	 * transferred; one smaller than 512 or not a power of two is not a disk. */
	if (sector_size < BLKREQ_SECTOR_SIZE || sector_size > PAGE_SIZE ||
	    (sector_size & (sector_size - 1)) != 0 || physical < sector_size ||
	    physical % sector_size != 0 || sectors > UINT64_MAX / sector_size) {
		printf("blkfront: %s: unusable geometry: %lu sectors of %lu bytes (physical %lu)\n",
		       info->name, (unsigned long)sectors, (unsigned long)sector_size,
		       (unsigned long)physical);
		return -EINVAL;
	}
	info->sectors = sectors;
	info->sector_size = (uint32_t)sector_size;
	info->physical_sector_size = physical > UINT32_MAX ? 0 : (uint32_t)physical;
	info->capacity = sectors * sector_size;
	info->read_only = flags & VDISK_READONLY;
	info->cdrom = flags & VDISK_CDROM;
	info->removable = flags & VDISK_REMOVABLE;
	info->flush = backend_u64_or(disk, "feature-flush-cache", 0) != 0;
	info->barrier = backend_u64_or(disk, "feature-barrier", 0) != 0;
	info->discard = backend_u64_or(disk, "feature-discard", 0) != 0;
	info->max_indirect_segments =
		(uint32_t)MIN(backend_u64_or(disk, "feature-max-indirect-segments", 0),
			      (uint64_t)UINT32_MAX);
	return 0;
}

/*
 * Step 10: the shape of a request. Up to 11 segments fit in the slot; more need indirect
 * descriptors, which only a backend with feature-max-indirect-segments understands, and
 * never more than it said. Then the bookkeeping for a full ring of such requests.
 */
static int prepare_requests(struct blkfront *disk, const struct blkfront_config *config)
{
	/* Why a grant budget as well as the ring: 128 requests of 256 segments would be 32768
	 * grants, the whole of Xen's default table, leaving none for the network or the other
	 * disks. The budget limits the bytes in flight; the ring, the number of requests. */
	unsigned int entries = disk->info.ring_entries, segments = BLKIF_MAX_SEGMENTS_PER_REQUEST;

	if (config->max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST &&
	    disk->info.max_indirect_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		segments = MIN(MIN(config->max_segments, disk->info.max_indirect_segments),
			       BLKREQ_MAX_INDIRECT_SEGMENTS);
	else if (config->max_segments < BLKIF_MAX_SEGMENTS_PER_REQUEST && config->max_segments > 0)
		segments = config->max_segments;
	disk->info.segments_per_request = segments;
	/* The budget must let at least one full request through. */
	disk->max_grants = MAX(config->max_grants, segments + BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);

	disk->slots = calloc(entries, sizeof(*disk->slots));
	disk->slot_grefs = calloc((size_t)entries * segments, sizeof(*disk->slot_grefs));
	disk->id_storage = calloc(entries, sizeof(*disk->id_storage));
	disk->cut = calloc(segments, sizeof(*disk->cut));
	if (disk->slots == NULL || disk->slot_grefs == NULL || disk->id_storage == NULL ||
	    disk->cut == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < entries; i++)
		disk->slots[i].grefs = &disk->slot_grefs[(size_t)i * segments];
	return id_pool_init(&disk->ids, disk->id_storage, entries);
}

/* The wait conditions of disconnect(): the watch in xenbus.c keeps backend_state current. */
static bool backend_closed_or_closing(void *arg)
{
	return xenbus_backend_closing(arg);
}

static bool backend_closed(void *arg)
{
	const struct xenbus_device *device = arg;

	return device->backend_state == XenbusStateClosed;
}

/*
 * Take the device down with the backend: Closing (the backend unmaps the ring and closes
 * its end of the event channel), then Closed. Only after that may the ring's grants end.
 */
static void disconnect(struct blkfront *disk, uint64_t timeout)
{
	xenbus_switch_state(&disk->xenbus, XenbusStateClosing);
	if (sched_wait(backend_closed_or_closing, &disk->xenbus, time_now() + timeout) < 0)
		printf("blkfront: %s: the backend did not close (it is %s)\n", disk->info.name,
		       xenbus_state_name(disk->xenbus.backend_state));
	xenbus_switch_state(&disk->xenbus, XenbusStateClosed);
	sched_wait(backend_closed, &disk->xenbus, time_now() + timeout);
}

static bool thread_finished(void *arg)
{
	return ((const struct blkfront *)arg)->thread_finished;
}

/*
 * Undo blkfront_open, from whatever point it got to: every field is checked before it is
 * undone, so the same function serves a failed handshake and a normal close. The order is
 * the reverse of the handshake's, and it matters: the thread first (it touches the ring),
 * then the backend (it maps the ring), then the event channel, and only then the grants and
 * the pages, which the backend must have let go of.
 */
static void destroy(struct blkfront *disk, uint64_t timeout)
{
	bool ring_released = true;

	if (disk->thread != NULL) {
		/* The thread ends once nothing is in flight; a request cannot stay in flight
		 * longer than BLKFRONT_IO_TIMEOUT before the disk breaks and fails it. */
		disk->stopping = true;
		sched_wait(thread_finished, disk, TIME_NEVER);
	}
	if (disk->published)
		disconnect(disk, timeout);
	if (disk->port != 0)
		evtchn_unbind(disk->port);
	for (unsigned int i = 0; i < disk->ring_grefs_granted; i++)
		ring_released &= end_grant(disk, disk->ring_grefs[i]);
	/* Ring pages the backend still maps are never reused. */
	if (disk->sring != NULL && ring_released)
		page_free(disk->sring, disk->info.ring_pages);
	if (disk->slots != NULL) {
		for (unsigned int i = 0; i < disk->info.ring_entries; i++) {
			for (unsigned int p = 0; p < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; p++) {
				if (disk->slots[i].indirect[p] != NULL)
					page_free(disk->slots[i].indirect[p], 1);
			}
		}
	}
	free(disk->slots);
	free(disk->slot_grefs);
	free(disk->id_storage);
	free(disk->cut);
	xenbus_device_close(&disk->xenbus);
	free(disk);
}

int blkfront_list(char *ids, size_t size)
{
	return xenbus_list_devices("vbd", ids, size);
}

int blkfront_open(const char *id, const struct blkfront_config *config, struct blkfront **out)
{
	static const struct blkfront_config defaults = {
		.max_ring_page_order = DEFAULT_RING_PAGE_ORDER,
		.max_segments = DEFAULT_MAX_SEGMENTS,
		.max_grants = DEFAULT_MAX_GRANTS,
		.connect_timeout = DEFAULT_CONNECT_TIMEOUT,
	};
	struct blkfront *disk;
	unsigned long handle;
	char *end;
	int rc;

	if (config == NULL)
		config = &defaults;
	handle = strtoul(id, &end, 10);
	if (*end != '\0' || end == id || handle > UINT16_MAX)
		return -EINVAL;
	disk = calloc(1, sizeof(*disk));
	if (disk == NULL)
		return -ENOMEM;
	disk->handle = (blkif_vdev_t)handle;
	snprintf(disk->info.name, sizeof(disk->info.name), "vbd/%s", id);
	list_init(&disk->in_flight);
	list_init(&disk->queue);
	list_init(&disk->completed);

	/* 1. Find the backend's directory and watch its state. */
	rc = xenbus_device_open(&disk->xenbus, "vbd", id, config->connect_timeout);
	if (rc < 0)
		goto err;
	/* 2. InitWait: the backend has opened its storage and published what it can do. */
	rc = xenbus_wait_backend_state(&disk->xenbus, XenbusStateInitWait, config->connect_timeout);
	if (rc < 0)
		goto err;
	/* 3. The ring's size, from max-ring-page-order. */
	choose_ring_order(disk, config->max_ring_page_order);
	/* 4. The ring pages, granted. */
	rc = ring_create(disk);
	if (rc < 0)
		goto err;
	/* 5. An event channel for the backend to bind to. */
	rc = evtchn_alloc_unbound(disk->xenbus.backend_id, blkfront_event, disk, &disk->port);
	if (rc < 0)
		goto err;
	/* 6. ring-ref(s), ring-page-order, event-channel, protocol: one transaction. */
	rc = xs_transaction_run(publish_transport, disk, 5);
	if (rc < 0)
		goto err;
	/* 7. Initialised: the backend now maps the ring and binds the channel. */
	disk->published = true;
	rc = xenbus_switch_state(&disk->xenbus, XenbusStateInitialised);
	if (rc < 0)
		goto err;
	/* 8. Connected: the backend has published the disk's properties. */
	rc = xenbus_wait_backend_state(&disk->xenbus, XenbusStateConnected, config->connect_timeout);
	if (rc < 0) {
		printf("blkfront: %s: the backend did not connect within %lu ms\n", disk->info.name,
		       (unsigned long)(config->connect_timeout / NSEC_PER_MSEC));
		goto err;
	}
	/* 9. Only now read them: sectors, sector-size, info, the features. */
	rc = read_backend_properties(disk);
	if (rc < 0)
		goto err;
	/* 10. Segments per request (indirect or not), and a slot for every ring entry. */
	rc = prepare_requests(disk, config);
	if (rc < 0)
		goto err;
	/* 11. Connected on our side too. */
	rc = xenbus_switch_state(&disk->xenbus, XenbusStateConnected);
	if (rc < 0)
		goto err;
	/* 12. The thread that reads responses and runs callbacks. */
	disk->thread = thread_create("blkfront", service_thread, disk);
	if (disk->thread == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	*out = disk;
	return 0;

err:
	printf("blkfront: %s: cannot connect: %s\n", disk->info.name, strerror(rc));
	destroy(disk, config->connect_timeout);
	return rc;
}

void blkfront_close(struct blkfront *disk)
{
	destroy(disk, DEFAULT_CONNECT_TIMEOUT);
}

const struct blkfront_info *blkfront_info(const struct blkfront *disk)
{
	return &disk->info;
}

bool blkfront_broken(const struct blkfront *disk, const char **reason)
{
	if (reason != NULL)
		*reason = disk->broken ? disk->broken_reason : "";
	return disk->broken;
}

void blkfront_stats(const struct blkfront *disk, struct blkfront_stats *out)
{
	*out = disk->stats;
	out->in_flight = disk->ids.in_use;
}

/* ---- Submitting ---------------------------------------------------------------------------- */

/*
 * The checks every request passes before anything is allocated or granted, so that a bad
 * request costs nothing and never reaches the backend. A broken disk answers first; then a
 * read-only one refuses writes, flushes and discards alike (blkback would refuse them too,
 * but only after a round trip); then the range must be whole sectors inside the disk.
 */
static int check_request(const struct blkfront *disk, enum blkfront_op op, uint64_t offset,
			 const void *buffer, size_t length)
{
	if (disk->broken) {
		printf("blkfront: %s: request refused: the disk is broken (%s)\n", disk->info.name,
		       disk->broken_reason);
		return -EIO;
	}
	if (op != BLKFRONT_READ && disk->info.read_only)
		return -EROFS;
	switch (op) {
	case BLKFRONT_READ:
	case BLKFRONT_WRITE:
		if (buffer == NULL && length > 0)
			return -EINVAL;
		return blkreq_check_range(offset, length, disk->info.sector_size, disk->info.capacity);
	case BLKFRONT_DISCARD:
		if (!disk->info.discard)
			return -EOPNOTSUPP;
		return blkreq_check_range(offset, length, disk->info.sector_size, disk->info.capacity);
	case BLKFRONT_FLUSH:
		return 0;
	}
	return -EINVAL;
}

int blkfront_submit(struct blkfront *disk, enum blkfront_op op, uint64_t offset, void *buffer,
		    size_t length, blkfront_callback_t done, void *arg)
{
	struct io *io;
	int rc = check_request(disk, op, offset, buffer, length);

	if (rc < 0)
		return rc;
	if (done == NULL)
		return -EINVAL;     /* every accepted request is answered through its callback */
	io = calloc(1, sizeof(*io));
	if (io == NULL)
		return -ENOMEM;
	io->op = op;
	io->offset = offset;
	io->buffer = buffer;
	io->length = op == BLKFRONT_FLUSH ? 0 : length;
	io->done = done;
	io->arg = arg;
	io->bounce = (op == BLKFRONT_READ || op == BLKFRONT_WRITE) &&
		     blkreq_needs_bounce((uintptr_t)buffer, disk->info.sector_size);
	if ((op == BLKFRONT_READ || op == BLKFRONT_WRITE || op == BLKFRONT_DISCARD) && length == 0) {
		/* Nothing to transfer: done, but still through the callback, as promised. */
		io->fully_issued = true;
	} else if (op == BLKFRONT_FLUSH && !disk->info.flush && !disk->info.barrier) {
		/* No volatile cache in the backend: completed writes are durable already. */
		io->fully_issued = true;
	}
	if (io->fully_issued) {
		io_maybe_complete(disk, io);
		return 0;
	}
	/* In order behind anything that waits, then as much as fits goes on the ring now. The
	 * rest is issued by the service thread as responses free room: submitting never waits,
	 * which is what lets a callback submit. */
	list_add_tail(&disk->queue, &io->link);
	io->queued = true;
	issue(disk);
	return 0;
}

/* ---- Synchronous wrappers ------------------------------------------------------------------ */

struct sync_wait {
	bool done;
	int status;
};

static void sync_done(int status, void *arg)
{
	struct sync_wait *wait = arg;

	wait->status = status;
	wait->done = true;
}

static bool sync_finished(void *arg)
{
	return ((const struct sync_wait *)arg)->done;
}

static int submit_and_wait(struct blkfront *disk, enum blkfront_op op, uint64_t offset,
			   void *buffer, size_t length)
{
	struct sync_wait wait = { false, 0 };
	int rc;

	/* The service thread runs the callbacks; waiting in it would wait for itself. */
	if (thread_current() == disk->thread)
		return -EDEADLK;
	rc = blkfront_submit(disk, op, offset, buffer, length, sync_done, &wait);
	if (rc < 0)
		return rc;
	/* No deadline here: the service thread fails a request that gets no answer. */
	sched_wait(sync_finished, &wait, TIME_NEVER);
	return wait.status;
}

int blkfront_read(struct blkfront *disk, uint64_t offset, void *buffer, size_t length)
{
	return submit_and_wait(disk, BLKFRONT_READ, offset, buffer, length);
}

int blkfront_write(struct blkfront *disk, uint64_t offset, const void *buffer, size_t length)
{
	/* The buffer is only read (its grants are read-only); the cast is for the shared path. */
	return submit_and_wait(disk, BLKFRONT_WRITE, offset, (void *)buffer, length);
}

int blkfront_flush(struct blkfront *disk)
{
	return submit_and_wait(disk, BLKFRONT_FLUSH, 0, NULL, 0);
}

int blkfront_discard(struct blkfront *disk, uint64_t offset, uint64_t length)
{
	return submit_and_wait(disk, BLKFRONT_DISCARD, offset, NULL, length);
}
