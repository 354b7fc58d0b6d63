/*
 * test/unit/test_blkreq.c: blk/blkreq.c, the bytes of blkif requests: which I/O is allowed,
 * how buffers become segments, when a bounce page is needed, the layout of direct and
 * indirect requests down to byte offsets (the ABI the backend reads), and the checks on
 * the backend's ring index and status codes.
 */
#include <check.h>
#include <stdint.h>
#include "blk/blkreq.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "test/unit/suites.h"
#include "test/unit/stubs.h"

#define PAGE 4096u
#define SECTOR 512u

START_TEST(range_checks)
{
	uint64_t capacity = 1000 * SECTOR;

	ck_assert_int_eq(blkreq_check_range(0, SECTOR, SECTOR, capacity), 0);
	ck_assert_int_eq(blkreq_check_range(capacity - SECTOR, SECTOR, SECTOR, capacity), 0);
	ck_assert_int_eq(blkreq_check_range(0, capacity, SECTOR, capacity), 0);
	ck_assert_int_eq(blkreq_check_range(capacity, 0, SECTOR, capacity), 0);
	/* Past the end, across it, and so far that offset + length wraps around. */
	ck_assert_int_eq(blkreq_check_range(capacity, SECTOR, SECTOR, capacity), -EINVAL);
	ck_assert_int_eq(blkreq_check_range(capacity - SECTOR, 2 * SECTOR, SECTOR, capacity), -EINVAL);
	ck_assert_int_eq(blkreq_check_range(UINT64_MAX - 511, 1024, SECTOR, capacity), -EINVAL);
	ck_assert_int_eq(blkreq_check_range(SECTOR, UINT64_MAX - 511, SECTOR, UINT64_MAX), -EINVAL);
	/* Partial sectors, of the disk's own size. */
	ck_assert_int_eq(blkreq_check_range(100, SECTOR, SECTOR, capacity), -EINVAL);
	ck_assert_int_eq(blkreq_check_range(0, 100, SECTOR, capacity), -EINVAL);
	ck_assert_int_eq(blkreq_check_range(SECTOR, 4096, 4096, 1 << 20), -EINVAL);
	ck_assert_int_eq(blkreq_check_range(4096, 4096, 4096, 1 << 20), 0);
	ck_assert_int_eq(blkreq_check_range(0, 0, 0, capacity), -EINVAL);
	/* A 2 TiB disk: byte offsets beyond 32 bits of sectors. */
	ck_assert_int_eq(blkreq_check_range((2ULL << 40) - SECTOR, SECTOR, SECTOR, 2ULL << 40), 0);
}
END_TEST

START_TEST(bounce_decision)
{
	ck_assert(!blkreq_needs_bounce(0x10000, SECTOR));
	ck_assert(!blkreq_needs_bounce(0x10200, SECTOR));
	ck_assert(blkreq_needs_bounce(0x10201, SECTOR));
	ck_assert(blkreq_needs_bounce(0x10100, SECTOR));
	/* 4 KiB logical blocks: only page-aligned buffers go straight through. */
	ck_assert(blkreq_needs_bounce(0x10200, 4096));
	ck_assert(!blkreq_needs_bounce(0x11000, 4096));
}
END_TEST

START_TEST(cut_aligned_pages)
{
	struct blkreq_segment segments[16];
	size_t bytes;

	/* Three whole pages: three segments, sectors 0..7 each. */
	ck_assert_uint_eq(blkreq_cut(0x20000, 3 * PAGE, 16, segments, &bytes), 3);
	ck_assert_uint_eq(bytes, 3 * PAGE);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(segments[i].page, 0x20000 + (uintptr_t)i * PAGE);
		ck_assert_uint_eq(segments[i].first_sect, 0);
		ck_assert_uint_eq(segments[i].last_sect, 7);
	}
}
END_TEST

START_TEST(cut_partial_pages)
{
	struct blkreq_segment segments[16];
	size_t bytes;

	/* From sector 3 of one page to sector 1 of the third: partial, whole, partial. */
	ck_assert_uint_eq(blkreq_cut(0x20000 + 3 * SECTOR, 5 * SECTOR + PAGE + 2 * SECTOR, 16,
				     segments, &bytes), 3);
	ck_assert_uint_eq(bytes, 5 * SECTOR + PAGE + 2 * SECTOR);
	ck_assert_uint_eq(segments[0].page, 0x20000);
	ck_assert_uint_eq(segments[0].first_sect, 3);
	ck_assert_uint_eq(segments[0].last_sect, 7);
	ck_assert_uint_eq(segments[1].first_sect, 0);
	ck_assert_uint_eq(segments[1].last_sect, 7);
	ck_assert_uint_eq(segments[2].page, 0x22000);
	ck_assert_uint_eq(segments[2].first_sect, 0);
	ck_assert_uint_eq(segments[2].last_sect, 1);

	/* One sector in the middle of a page. */
	ck_assert_uint_eq(blkreq_cut(0x20000 + 6 * SECTOR, SECTOR, 16, segments, &bytes), 1);
	ck_assert_uint_eq(segments[0].first_sect, 6);
	ck_assert_uint_eq(segments[0].last_sect, 6);
	ck_assert_uint_eq(bytes, SECTOR);
}
END_TEST

START_TEST(cut_stops_at_max)
{
	struct blkreq_segment segments[11];
	size_t bytes, total = 0;
	uintptr_t address = 0x40000 + SECTOR;
	size_t length = 100 * PAGE;
	unsigned int requests = 0;

	/* 11 segments at a time, as a direct request takes them, until the buffer is done;
	 * the pieces join up exactly. */
	while (total < length) {
		unsigned int count = blkreq_cut(address + total, length - total, 11, segments, &bytes);

		ck_assert_uint_ge(count, 1);
		ck_assert_uint_le(count, 11);
		ck_assert_uint_eq(segments[0].page, (address + total) & ~(uintptr_t)(PAGE - 1));
		total += bytes;
		requests++;
	}
	ck_assert_uint_eq(total, length);
	/* 101 pages touched, 11 to a request. */
	ck_assert_uint_eq(requests, 10);
}
END_TEST

START_TEST(indirect_page_count)
{
	ck_assert_uint_eq(BLKREQ_SEGMENTS_PER_INDIRECT_PAGE, 512);
	ck_assert_uint_eq(BLKREQ_MAX_INDIRECT_SEGMENTS, 4096);
	ck_assert_uint_eq(blkreq_indirect_pages(1), 1);
	ck_assert_uint_eq(blkreq_indirect_pages(256), 1);
	ck_assert_uint_eq(blkreq_indirect_pages(512), 1);
	ck_assert_uint_eq(blkreq_indirect_pages(513), 2);
	ck_assert_uint_eq(blkreq_indirect_pages(4096), 8);
}
END_TEST

static void make_segments(struct blkreq_segment *segments, grant_ref_t *grefs, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		segments[i].page = 0x100000 + (uintptr_t)i * PAGE;
		segments[i].first_sect = (uint8_t)(i % 8);
		segments[i].last_sect = 7;
		grefs[i] = 1000 + i;
	}
}

START_TEST(direct_request_layout)
{
	struct blkreq_segment segments[12];
	grant_ref_t grefs[12];
	union blkreq_slot slot;
	struct blkreq_rw rw = {
		.operation = BLKIF_OP_WRITE, .handle = 51712, .id = 17,
		.sector = 0x123456789aULL, .nr_segments = 3, .segments = segments, .grefs = grefs,
	};
	const uint8_t *bytes = (const uint8_t *)&slot;

	make_segments(segments, grefs, 12);
	mote_memset(&slot, 0xee, sizeof(slot));
	ck_assert_int_eq(blkreq_encode_direct(&rw, &slot), 0);
	/* The x86_64 layout the backend reads: operation, nr_segments, handle, pad, id,
	 * sector_number, then 8-byte segments from offset 24. */
	ck_assert_uint_eq(sizeof(slot), 112);
	ck_assert_uint_eq(bytes[0], BLKIF_OP_WRITE);
	ck_assert_uint_eq(bytes[1], 3);
	ck_assert_uint_eq(bytes[2] | bytes[3] << 8, 51712);
	ck_assert_uint_eq(slot.rw.id, 17);
	ck_assert_uint_eq(*(const uint64_t *)(bytes + 16), 0x123456789aULL);
	ck_assert_uint_eq(*(const uint32_t *)(bytes + 24), 1000);
	ck_assert_uint_eq(bytes[28], 0);
	ck_assert_uint_eq(bytes[29], 7);
	ck_assert_uint_eq(slot.rw.seg[2].gref, 1002);
	ck_assert_uint_eq(slot.rw.seg[2].first_sect, 2);
	/* Nothing of the slot's earlier contents is left in the unused segments. */
	for (size_t i = 24 + 3 * 8; i < sizeof(slot); i++)
		REQUIRE(bytes[i] == 0, "byte %zu not cleared", i);

	rw.nr_segments = 11;
	ck_assert_int_eq(blkreq_encode_direct(&rw, &slot), 0);
	rw.nr_segments = 12;
	ck_assert_int_eq(blkreq_encode_direct(&rw, &slot), -EINVAL);
	rw.nr_segments = 0;
	ck_assert_int_eq(blkreq_encode_direct(&rw, &slot), -EINVAL);
	rw.nr_segments = 1;
	rw.operation = BLKIF_OP_FLUSH_DISKCACHE;
	ck_assert_int_eq(blkreq_encode_direct(&rw, &slot), -EINVAL);
}
END_TEST

START_TEST(indirect_request_layout)
{
	static struct blkreq_segment segments[700];
	static grant_ref_t grefs[700];
	static struct blkif_request_segment page0[512], page1[512];
	struct blkif_request_segment *pages[2] = { page0, page1 };
	grant_ref_t page_grefs[2] = { 77, 78 };
	union blkreq_slot slot;
	struct blkreq_rw rw = {
		.operation = BLKIF_OP_READ, .handle = 51728, .id = 99, .sector = 1ULL << 32,
		.nr_segments = 700, .segments = segments, .grefs = grefs,
	};
	const uint8_t *bytes = (const uint8_t *)&slot;

	make_segments(segments, grefs, 700);
	mote_memset(page1, 0xee, sizeof(page1));
	ck_assert_int_eq(blkreq_encode_indirect(&rw, pages, page_grefs, &slot), 0);
	/* The slot: BLKIF_OP_INDIRECT, the real operation, a 16-bit count, the id, the sector,
	 * the handle *after* the sector, then the indirect pages' grants from offset 28. */
	ck_assert_uint_eq(bytes[0], BLKIF_OP_INDIRECT);
	ck_assert_uint_eq(bytes[1], BLKIF_OP_READ);
	ck_assert_uint_eq(bytes[2] | bytes[3] << 8, 700);
	ck_assert_uint_eq(*(const uint64_t *)(bytes + 8), 99);
	ck_assert_uint_eq(*(const uint64_t *)(bytes + 16), 1ULL << 32);
	ck_assert_uint_eq(bytes[24] | bytes[25] << 8, 51728);
	ck_assert_uint_eq(*(const uint32_t *)(bytes + 28), 77);
	ck_assert_uint_eq(*(const uint32_t *)(bytes + 32), 78);
	ck_assert_uint_eq(*(const uint32_t *)(bytes + 36), 0);
	/* The segments: 512 in the first page, 188 in the second, the rest of it zeroed. */
	ck_assert_uint_eq(page0[0].gref, 1000);
	ck_assert_uint_eq(page0[511].gref, 1511);
	ck_assert_uint_eq(page0[5].first_sect, 5);
	ck_assert_uint_eq(page1[0].gref, 1512);
	ck_assert_uint_eq(page1[187].gref, 1699);
	ck_assert_uint_eq(page1[187].last_sect, 7);
	ck_assert_uint_eq(page1[188].gref, 0);
	ck_assert_uint_eq(page1[511].last_sect, 0);

	rw.nr_segments = 0;
	ck_assert_int_eq(blkreq_encode_indirect(&rw, pages, page_grefs, &slot), -EINVAL);
	rw.nr_segments = 4097;
	ck_assert_int_eq(blkreq_encode_indirect(&rw, pages, page_grefs, &slot), -EINVAL);
}
END_TEST

START_TEST(flush_and_discard_layout)
{
	union blkreq_slot slot;

	mote_memset(&slot, 0xee, sizeof(slot));
	blkreq_encode_flush(BLKIF_OP_FLUSH_DISKCACHE, 51712, 5, &slot);
	ck_assert_uint_eq(slot.rw.operation, BLKIF_OP_FLUSH_DISKCACHE);
	ck_assert_uint_eq(slot.rw.nr_segments, 0);
	ck_assert_uint_eq(slot.rw.handle, 51712);
	ck_assert_uint_eq(slot.rw.id, 5);
	ck_assert_uint_eq(slot.rw.sector_number, 0);

	blkreq_encode_discard(51712, 6, 2048, 8, &slot);
	ck_assert_uint_eq(slot.discard.operation, BLKIF_OP_DISCARD);
	ck_assert_uint_eq(slot.discard.flag, 0);
	ck_assert_uint_eq(slot.discard.id, 6);
	ck_assert_uint_eq(slot.discard.sector_number, 2048);
	ck_assert_uint_eq(slot.discard.nr_sectors, 8);
}
END_TEST

START_TEST(response_index_checks)
{
	/* Nothing new, some, all that is outstanding. */
	ck_assert_int_eq(blkreq_responses_ready(10, 10, 15), 0);
	ck_assert_int_eq(blkreq_responses_ready(12, 10, 15), 2);
	ck_assert_int_eq(blkreq_responses_ready(15, 10, 15), 5);
	/* More than we asked for, or behind what we already read: impossible. */
	ck_assert_int_eq(blkreq_responses_ready(16, 10, 15), -EPROTO);
	ck_assert_int_eq(blkreq_responses_ready(9, 10, 15), -EPROTO);
	/* The indices wrap at 2^32 and still count. */
	ck_assert_int_eq(blkreq_responses_ready(2, UINT32_MAX - 1, 5), 4);
	ck_assert_int_eq(blkreq_responses_ready(7, UINT32_MAX - 1, 5), -EPROTO);
}
END_TEST

START_TEST(status_codes)
{
	ck_assert_int_eq(blkreq_status_to_errno(BLKIF_RSP_OKAY), 0);
	ck_assert_int_eq(blkreq_status_to_errno(BLKIF_RSP_ERROR), -EIO);
	ck_assert_int_eq(blkreq_status_to_errno(BLKIF_RSP_EOPNOTSUPP), -EOPNOTSUPP);
	ck_assert_int_eq(blkreq_status_to_errno(1), -EPROTO);
	ck_assert_int_eq(blkreq_status_to_errno(-3), -EPROTO);
	ck_assert_int_eq(blkreq_status_to_errno(INT16_MIN), -EPROTO);
}
END_TEST

Suite *blkreq_suite(void)
{
	Suite *suite = suite_create("blkreq");
	TCase *tests = tcase_create("blkreq");

	tcase_add_test(tests, range_checks);
	tcase_add_test(tests, bounce_decision);
	tcase_add_test(tests, cut_aligned_pages);
	tcase_add_test(tests, cut_partial_pages);
	tcase_add_test(tests, cut_stops_at_max);
	tcase_add_test(tests, indirect_page_count);
	tcase_add_test(tests, direct_request_layout);
	tcase_add_test(tests, indirect_request_layout);
	tcase_add_test(tests, flush_and_discard_layout);
	tcase_add_test(tests, response_index_checks);
	tcase_add_test(tests, status_codes);
	suite_add_tcase(suite, tests);
	return suite;
}
