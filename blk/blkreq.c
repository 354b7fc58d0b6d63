/*
 * blk/blkreq.c: encoding of blkif requests and checks of responses (public/io/blkif.h).
 * Implements blk/blkreq.h; the driver that uses it is blk/blkfront.c, and docs/blkfront.md
 * draws the structures.
 *
 * A request names its data by segments. A segment is one page, given by a grant reference,
 * and the run of 512-byte sectors in it to transfer, first_sect..last_sect (0..7). The
 * sectors of consecutive segments are consecutive on the disk, so a buffer that spans pages
 * becomes one segment per page, and only the first and the last may be partial pages.
 */
#include "blk/blkreq.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/util.h"

/* The slot is a ring entry: it must be exactly as large, and every shape must fit in it. */
_Static_assert(sizeof(union blkreq_slot) == sizeof(union blkif_sring_entry),
	       "a request shape is larger than a ring entry");

int blkreq_check_range(uint64_t offset, size_t length, uint32_t sector_size, uint64_t capacity)
{
	/* Whole logical blocks only: the backend refuses anything else, and a partial block
	 * would need a read-modify-write the caller should know about. */
	if (sector_size == 0 || offset % sector_size != 0 || length % sector_size != 0)
		return -EINVAL;
	/* Written so that it cannot overflow: offset + length might wrap around 2^64. */
	if (offset > capacity || length > capacity - offset)
		return -EINVAL;
	return 0;
}

bool blkreq_needs_bounce(uintptr_t address, uint32_t sector_size)
{
	/* A segment starts on a 512-byte boundary of its page (first_sect), and the backend
	 * rejects a segment that is not whole logical blocks. A buffer on a sector_size
	 * boundary cut at page boundaries always gives such segments (sector_size divides the
	 * page size); any other buffer is copied through a page of our own. */
	return address % MAX(sector_size, BLKREQ_SECTOR_SIZE) != 0;
}

/* One segment per page the buffer touches: the page's address (the driver grants it), and
 * the sectors of the page that the buffer covers. A buffer of 4 KiB that starts in the
 * middle of a page therefore needs two segments, which is why aligned buffers are cheaper. */
unsigned int blkreq_cut(uintptr_t address, size_t length, unsigned int max,
			struct blkreq_segment *segments, size_t *bytes)
{
	unsigned int count = 0;
	size_t taken = 0;

	while (taken < length && count < max) {
		uintptr_t here = address + taken;
		size_t in_page = BLKREQ_PAGE_SIZE - here % BLKREQ_PAGE_SIZE;
		size_t chunk = MIN(in_page, length - taken);
		unsigned int first = (unsigned int)(here % BLKREQ_PAGE_SIZE) >> BLKREQ_SECTOR_SHIFT;

		segments[count].page = here - here % BLKREQ_PAGE_SIZE;
		segments[count].first_sect = (uint8_t)first;
		/* last_sect is inclusive: a whole page is 0..7. */
		segments[count].last_sect = (uint8_t)(first + (chunk >> BLKREQ_SECTOR_SHIFT) - 1);
		taken += chunk;
		count++;
	}
	*bytes = taken;
	return count;
}

unsigned int blkreq_indirect_pages(unsigned int nr_segments)
{
	return DIV_ROUND_UP(nr_segments, BLKREQ_SEGMENTS_PER_INDIRECT_PAGE);
}

static bool is_read_or_write(uint8_t operation)
{
	return operation == BLKIF_OP_READ || operation == BLKIF_OP_WRITE;
}

/* Up to 11 segments fit in the slot itself: 112 bytes, of which the segments take 88. */
int blkreq_encode_direct(const struct blkreq_rw *rw, union blkreq_slot *slot)
{
	if (!is_read_or_write(rw->operation) || rw->nr_segments == 0 ||
	    rw->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return -EINVAL;
	/* Unused segment entries are zeroed: nothing of an earlier request leaks through. */
	memset(slot, 0, sizeof(*slot));
	slot->rw.operation = rw->operation;
	slot->rw.nr_segments = (uint8_t)rw->nr_segments;
	slot->rw.handle = rw->handle;
	slot->rw.id = rw->id;
	slot->rw.sector_number = rw->sector;
	for (unsigned int i = 0; i < rw->nr_segments; i++) {
		slot->rw.seg[i].gref = rw->grefs[i];
		slot->rw.seg[i].first_sect = rw->segments[i].first_sect;
		slot->rw.seg[i].last_sect = rw->segments[i].last_sect;
	}
	return 0;
}

int blkreq_encode_indirect(const struct blkreq_rw *rw, struct blkif_request_segment *const *pages,
			   const grant_ref_t *page_grefs, union blkreq_slot *slot)
{
	unsigned int nr_pages;

	if (!is_read_or_write(rw->operation) || rw->nr_segments == 0 ||
	    rw->nr_segments > BLKREQ_MAX_INDIRECT_SEGMENTS)
		return -EINVAL;
	nr_pages = blkreq_indirect_pages(rw->nr_segments);

	/* The segment descriptors, 512 to a page, in order: segment i is entry i % 512 of
	 * page i / 512. The rest of the last page is zeroed rather than left as it was. */
	for (unsigned int i = 0; i < rw->nr_segments; i++) {
		struct blkif_request_segment *entry =
			&pages[i / BLKREQ_SEGMENTS_PER_INDIRECT_PAGE][i % BLKREQ_SEGMENTS_PER_INDIRECT_PAGE];

		entry->gref = rw->grefs[i];
		entry->first_sect = rw->segments[i].first_sect;
		entry->last_sect = rw->segments[i].last_sect;
	}
	if (rw->nr_segments % BLKREQ_SEGMENTS_PER_INDIRECT_PAGE != 0) {
		unsigned int used = rw->nr_segments % BLKREQ_SEGMENTS_PER_INDIRECT_PAGE;

		memset(&pages[nr_pages - 1][used], 0,
		       (BLKREQ_SEGMENTS_PER_INDIRECT_PAGE - used) * sizeof(pages[0][0]));
	}

	/* The slot: BLKIF_OP_INDIRECT, the real operation in indirect_op, and the grants of
	 * the pages that hold the segments. Note the layout differs from a direct request:
	 * nr_segments is 16 bits, and the handle comes after the sector number. */
	memset(slot, 0, sizeof(*slot));
	slot->indirect.operation = BLKIF_OP_INDIRECT;
	slot->indirect.indirect_op = rw->operation;
	slot->indirect.nr_segments = (uint16_t)rw->nr_segments;
	slot->indirect.id = rw->id;
	slot->indirect.sector_number = rw->sector;
	slot->indirect.handle = rw->handle;
	for (unsigned int page = 0; page < nr_pages; page++)
		slot->indirect.indirect_grefs[page] = page_grefs[page];
	return 0;
}

void blkreq_encode_flush(uint8_t operation, blkif_vdev_t handle, uint64_t id,
			 union blkreq_slot *slot)
{
	/* No segments: a flush (or an empty barrier) carries no data, only the order "make
	 * what was written before this durable". The sector number means nothing here. */
	memset(slot, 0, sizeof(*slot));
	slot->rw.operation = operation;
	slot->rw.nr_segments = 0;
	slot->rw.handle = handle;
	slot->rw.id = id;
}

void blkreq_encode_discard(blkif_vdev_t handle, uint64_t id, uint64_t sector,
			   uint64_t nr_sectors, union blkreq_slot *slot)
{
	memset(slot, 0, sizeof(*slot));
	slot->discard.operation = BLKIF_OP_DISCARD;
	slot->discard.flag = 0;     /* not BLKIF_DISCARD_SECURE */
	slot->discard.handle = handle;
	slot->discard.id = id;
	slot->discard.sector_number = sector;
	slot->discard.nr_sectors = nr_sectors;
}

int blkreq_responses_ready(RING_IDX rsp_prod, RING_IDX rsp_cons, RING_IDX req_prod)
{
	/* Unsigned 32-bit differences: the indices wrap, and the differences still count. */
	RING_IDX ready = rsp_prod - rsp_cons;
	RING_IDX outstanding = req_prod - rsp_cons;

	if (ready > outstanding)
		return -EPROTO;
	return (int)ready;
}

int blkreq_status_to_errno(int16_t status)
{
	switch (status) {
	case BLKIF_RSP_OKAY:
		return 0;
	case BLKIF_RSP_ERROR:
		return -EIO;
	case BLKIF_RSP_EOPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EPROTO;
	}
}
