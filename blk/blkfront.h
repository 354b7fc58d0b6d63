/*
 * blk/blkfront.h: virtual disks, the frontend half of Xen's split block driver
 * (public/io/blkif.h). The backend (blkback in dom0's Linux, usually) owns the real storage;
 * Mote puts requests on a shared ring and the backend reads or writes Mote's pages.
 * docs/blkfront.md explains the protocol; blk/blkfront.c is the driver.
 *
 * A disk is opened by its xenbus id, the number under device/vbd/ (blkfront_list finds them;
 * xvda is 51712). I/O is addressed in bytes: offset and length must be multiples of the
 * disk's sector_size, and the range must lie within the disk. Buffers may be anywhere in
 * Mote's memory, at any alignment; those that do not start on a sector boundary are copied
 * through bounce pages, which is slower.
 *
 * Every call returns 0 or a negative errno:
 *   -EINVAL   offset or length not whole sectors, or past the end of the disk
 *   -EROFS    a write, flush or discard on a read-only disk
 *   -EIO      the backend reported an I/O error, or answered nonsense; or the disk is
 *             broken (below)
 *   -EOPNOTSUPP  discard on a disk whose backend does not offer it; a flush or discard the
 *             backend refused with BLKIF_RSP_EOPNOTSUPP
 *   -ENOMEM   no memory for the request's bookkeeping or its bounce pages
 *   -ENOSPC   the grant table is full, and none of this disk's requests is in flight to
 *             free a grant (with some in flight, the request waits for them instead)
 *   -EDEADLK  a synchronous call from a completion callback (it would wait for itself)
 *
 * The backend is not trusted. A response that names a request not in flight, has an unknown
 * status or the wrong operation is logged and fails that request only. A backend that keeps
 * doing that, moves its ring index somewhere impossible, or leaves a request unanswered for
 * BLKFRONT_IO_TIMEOUT, makes the disk *broken*: every request in flight fails with -EIO, and
 * so does every later call, with a log line giving the reason. The rest of Mote goes on.
 */
#ifndef MOTE_BLK_BLKFRONT_H
#define MOTE_BLK_BLKFRONT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct blkfront;

/* A request not answered within this time breaks the disk. */
#define BLKFRONT_IO_TIMEOUT (30ULL * 1000 * 1000 * 1000)

/*
 * Choices for blkfront_open; NULL means the defaults (shown). The backend's offer is the
 * upper bound of each: Mote never asks for more than it advertises.
 */
struct blkfront_config {
	unsigned int max_ring_page_order;   /* ring of up to 2^order pages (2: 128 requests) */
	unsigned int max_segments;          /* per request; above 11 uses indirect descriptors
					     * if the backend has them (default 256: 1 MiB) */
	unsigned int max_grants;            /* data pages granted at once (default 4096: 16 MiB) */
	uint64_t connect_timeout;           /* ns to wait for each backend state (default 10 s) */
};

/* What the backend said about the disk, and what was negotiated. */
struct blkfront_info {
	char name[24];                  /* "vbd/51712": the xenbus device, for messages */
	uint64_t sectors;               /* capacity in sector_size units ("sectors") */
	uint64_t capacity;              /* bytes: sectors * sector_size */
	uint32_t sector_size;           /* logical block: the unit of I/O ("sector-size") */
	uint32_t physical_sector_size;  /* "physical-sector-size" (default: sector_size) */
	bool read_only;                 /* "info" has VDISK_READONLY */
	bool cdrom;                     /* VDISK_CDROM */
	bool removable;                 /* VDISK_REMOVABLE */
	bool flush;                     /* "feature-flush-cache" */
	bool barrier;                   /* "feature-barrier" */
	bool discard;                   /* "feature-discard" */
	uint32_t max_indirect_segments; /* "feature-max-indirect-segments", 0 if absent */
	unsigned int max_ring_page_order;   /* "max-ring-page-order", 0 if absent */
	unsigned int ring_pages;        /* the ring we set up (1 if the backend offers no order) */
	unsigned int ring_entries;      /* requests the ring holds */
	unsigned int segments_per_request;  /* what one request carries: 11 or the indirect max */
};

/* Find the vbd devices: their ids go into `ids` as consecutive NUL-terminated strings.
 * Returns how many; 0 if the guest has none. */
int blkfront_list(char *ids, size_t size);

/*
 * Connect to device/vbd/<id>: the xenbus handshake, step by step (docs/blkfront.md). Waits
 * up to config->connect_timeout for each state of the backend; a backend that does not get
 * there is reported on the console and gives -ETIMEDOUT (-ENODEV if it closed instead).
 */
int blkfront_open(const char *id, const struct blkfront_config *config, struct blkfront **out);

/* Wait for requests in flight, disconnect from the backend and free everything. */
void blkfront_close(struct blkfront *disk);

const struct blkfront_info *blkfront_info(const struct blkfront *disk);

/* Whether the disk is broken (see above); `reason` says why in plain words. */
bool blkfront_broken(const struct blkfront *disk, const char **reason);

/* ---- Asynchronous requests --------------------------------------------------------------- */

enum blkfront_op {
	BLKFRONT_READ,
	BLKFRONT_WRITE,
	/* Make every write submitted before the flush durable. With feature-flush-cache it is
	 * BLKIF_OP_FLUSH_DISKCACHE; without, feature-barrier's BLKIF_OP_WRITE_BARRIER; without
	 * either the backend has no volatile cache to flush, and the flush completes at once. */
	BLKFRONT_FLUSH,
	/* Tell the backend a range is no longer needed (feature-discard): reads of it may
	 * return anything afterwards. buffer is unused. */
	BLKFRONT_DISCARD,
};

/* Called once per accepted request, in the disk's own thread, never from inside
 * blkfront_submit. status is 0 or a negative errno as above. It must not wait; it may
 * submit more requests. */
typedef void (*blkfront_callback_t)(int status, void *arg);

/*
 * Start a request and return at once. 0: `done` (which must not be NULL) will be called when
 * it has finished; the buffer must stay untouched until then. An error: the request was not started and `done`
 * will not be called. Any length is accepted; the driver cuts it into as many ring requests
 * as it needs and keeps up to a full ring of them in flight.
 */
int blkfront_submit(struct blkfront *disk, enum blkfront_op op, uint64_t offset, void *buffer,
		    size_t length, blkfront_callback_t done, void *arg);

/* ---- Synchronous requests: submit and wait for the callback ------------------------------ */

int blkfront_read(struct blkfront *disk, uint64_t offset, void *buffer, size_t length);
int blkfront_write(struct blkfront *disk, uint64_t offset, const void *buffer, size_t length);
int blkfront_flush(struct blkfront *disk);
int blkfront_discard(struct blkfront *disk, uint64_t offset, uint64_t length);

struct blkfront_stats {
	uint64_t requests;          /* ring requests issued */
	uint64_t indirect_requests; /* of which BLKIF_OP_INDIRECT */
	uint64_t segments;          /* data pages granted */
	uint64_t bounced;           /* ring requests that went through bounce pages */
	uint64_t io_errors;         /* responses with BLKIF_RSP_ERROR */
	uint64_t bad_responses;     /* responses that broke the protocol */
	uint64_t leaked_grants;     /* grants the backend still held after answering */
	uint64_t notifications;     /* events from the backend */
	unsigned int in_flight;     /* ring requests now */
};
void blkfront_stats(const struct blkfront *disk, struct blkfront_stats *out);

#endif
