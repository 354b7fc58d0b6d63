/*
 * blk/blkreq.h: the bytes of the block-device ring protocol (public/io/blkif.h), apart from
 * the driver (blk/blkfront.c) so that host unit tests can check them:
 *
 *   - which I/O is allowed at all (sector alignment, the end of the disk),
 *   - how a buffer is cut into segments: runs of 512-byte sectors inside one page,
 *   - which buffers cannot be shared as they are and need a bounce page,
 *   - how a request is laid out in a ring slot, directly (up to 11 segments) or through
 *     indirect pages (up to the backend's feature-max-indirect-segments),
 *   - the checks on what the backend writes back: ring indices and status codes.
 *
 * Nothing here touches Xen: no grants, no event channels, no shared memory. The driver
 * grants the pages and passes the references in.
 */
#ifndef MOTE_BLK_BLKREQ_H
#define MOTE_BLK_BLKREQ_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <xen/xen.h>
#include <xen/io/blkif.h>

/*
 * blkif counts in 512-byte sectors: sector_number, first_sect and last_sect, whatever the
 * disk's own "sector-size" is, as long as the frontend does not set
 * feature-large-sector-size (Mote does not).
 */
#define BLKREQ_SECTOR_SHIFT 9
#define BLKREQ_SECTOR_SIZE (1u << BLKREQ_SECTOR_SHIFT)
#define BLKREQ_PAGE_SIZE 4096u
#define BLKREQ_SECTORS_PER_PAGE (BLKREQ_PAGE_SIZE / BLKREQ_SECTOR_SIZE)

/* An indirect page is an array of segment descriptors: 512 of 8 bytes each. */
#define BLKREQ_SEGMENTS_PER_INDIRECT_PAGE \
	((unsigned int)(BLKREQ_PAGE_SIZE / sizeof(struct blkif_request_segment)))
/* The most an indirect request can describe: BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST pages. */
#define BLKREQ_MAX_INDIRECT_SEGMENTS \
	(BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * BLKREQ_SEGMENTS_PER_INDIRECT_PAGE)

/* One segment: sectors first_sect..last_sect (inclusive) of the page at `page`. */
struct blkreq_segment {
	uintptr_t page;             /* virtual address of the page (page aligned) */
	uint8_t first_sect;
	uint8_t last_sect;
};

/* One ring slot, in any of the shapes a request can take; all fit in 112 bytes. */
union blkreq_slot {
	blkif_request_t rw;
	blkif_request_indirect_t indirect;
	blkif_request_discard_t discard;
	union blkif_sring_entry entry;
};

/* A read or write, as the driver describes it before it is encoded. */
struct blkreq_rw {
	uint8_t operation;          /* BLKIF_OP_READ or BLKIF_OP_WRITE */
	blkif_vdev_t handle;        /* the virtual device number (device/vbd/<handle>) */
	uint64_t id;                /* echoed in the response: the driver's slot number */
	uint64_t sector;            /* first 512-byte sector on the disk */
	unsigned int nr_segments;
	const struct blkreq_segment *segments;
	const grant_ref_t *grefs;   /* the grant of each segment's page */
};

/*
 * May `length` bytes at byte `offset` be read or written on a disk of `capacity` bytes whose
 * logical blocks are `sector_size` bytes? Both must be multiples of sector_size, and the
 * range must end within the disk (without overflowing). Returns 0 or -EINVAL.
 */
int blkreq_check_range(uint64_t offset, size_t length, uint32_t sector_size, uint64_t capacity);

/*
 * Can a buffer at `address` be granted to the backend as it is? A segment is made of whole
 * 512-byte sectors of a page, and the backend does I/O in the disk's logical blocks, so the
 * buffer must start on a `sector_size` boundary. One that does not goes through a bounce
 * page: the driver copies it to (or from) a page of its own.
 */
bool blkreq_needs_bounce(uintptr_t address, uint32_t sector_size);

/*
 * Cut the front of the buffer [address, address + length) into segments, at most `max` of
 * them, one per page touched. address and length must be multiples of 512 and length > 0.
 * Fills `segments`, sets *bytes to how much of the buffer they cover, and returns how many
 * there are. The first and the last segment may cover part of a page; all the others cover a
 * whole page.
 */
unsigned int blkreq_cut(uintptr_t address, size_t length, unsigned int max,
			struct blkreq_segment *segments, size_t *bytes);

/* Indirect pages needed to describe `nr_segments` segments. */
unsigned int blkreq_indirect_pages(unsigned int nr_segments);

/* A request with its segments in the slot itself (1..BLKIF_MAX_SEGMENTS_PER_REQUEST).
 * Returns 0, or -EINVAL for a segment count or operation that does not fit. */
int blkreq_encode_direct(const struct blkreq_rw *rw, union blkreq_slot *slot);

/*
 * A BLKIF_OP_INDIRECT request: the segments go into the indirect pages (each BLKREQ_PAGE_SIZE
 * bytes; blkreq_indirect_pages(rw->nr_segments) of them), the slot gets the grant of each
 * page. Returns 0, or -EINVAL for 0 or more than BLKREQ_MAX_INDIRECT_SEGMENTS segments.
 */
int blkreq_encode_indirect(const struct blkreq_rw *rw, struct blkif_request_segment *const *pages,
			   const grant_ref_t *page_grefs, union blkreq_slot *slot);

/* BLKIF_OP_FLUSH_DISKCACHE or BLKIF_OP_WRITE_BARRIER with no data: `operation` says which. */
void blkreq_encode_flush(uint8_t operation, blkif_vdev_t handle, uint64_t id,
			 union blkreq_slot *slot);

/* BLKIF_OP_DISCARD of `nr_sectors` 512-byte sectors from `sector` on. */
void blkreq_encode_discard(blkif_vdev_t handle, uint64_t id, uint64_t sector,
			   uint64_t nr_sectors, union blkreq_slot *slot);

/*
 * How many responses may be read: the backend's rsp_prod minus our rsp_cons. The backend can
 * answer no more requests than we have put on the ring and not yet seen answered (req_prod -
 * rsp_cons); a larger count, including one that wrapped "negative", means its index is
 * garbage. Returns the count, or -EPROTO.
 */
int blkreq_responses_ready(RING_IDX rsp_prod, RING_IDX rsp_cons, RING_IDX req_prod);

/* A response status as an errno: OKAY 0, ERROR -EIO, EOPNOTSUPP -EOPNOTSUPP; any other
 * value is not in blkif.h and gives -EPROTO. */
int blkreq_status_to_errno(int16_t status);

#endif
