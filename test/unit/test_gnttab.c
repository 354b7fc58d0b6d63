/*
 * test/unit/test_gnttab.c: xen/gnttab.c against a fake Xen. The kernel functions gnttab.c
 * needs -- arch_hypercall, mm_map_frames, mm_unmap_frames, virt_to_mfn -- are defined here:
 * the fake answers GNTTABOP_query_size and GNTTABOP_setup_table from an array of host pages
 * that stand for the table's machine frames, so a test can read the entries gnttab.c wrote,
 * and play the other domain by setting GTF_reading or GTF_writing in them as Xen would.
 */
#include <check.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include "kernel/arch.h"
#include "kernel/mm.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "xen/gnttab.h"
#include "test/unit/stubs.h"

#define FAKE_MAX_FRAMES 8
#define FAKE_MFN_BASE 0x10000u
#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define RESERVED GNTTAB_NR_RESERVED_ENTRIES
#define HEAP_PAGES 256
#define SOME_DOMAIN 7
#define SOME_MFN 0x12345

/* The fake hypervisor's state. Frame i of the table is table[i], "machine frame" BASE + i. */
static struct {
	grant_entry_v1_t table[FAKE_MAX_FRAMES][ENTRIES_PER_FRAME] __attribute__((aligned(PAGE_SIZE)));
	unsigned int max_frames;     /* what query_size reports */
	unsigned int nr_frames;      /* the table's size in "Xen" */
	unsigned int setup_calls;
	unsigned int pages_mapped;   /* by mm_map_frames, minus mm_unmap_frames */
	long query_result;           /* make query_size fail */
	int16_t setup_status;        /* make setup_table fail */
	bool map_fails;
} xen;

static unsigned char heap_region[HEAP_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

long arch_hypercall(long op, long a1, long a2, long a3, long a4, long a5)
{
	(void)a4;
	(void)a5;
	ck_assert_int_eq(op, __HYPERVISOR_grant_table_op);
	ck_assert_int_eq(a3, 1);
	if (a1 == GNTTABOP_query_size) {
		struct gnttab_query_size *query = (void *)a2;

		ck_assert_uint_eq(query->dom, DOMID_SELF);
		query->nr_frames = xen.nr_frames;
		query->max_nr_frames = xen.max_frames;
		query->status = GNTST_okay;
		return xen.query_result;
	}
	if (a1 == GNTTABOP_setup_table) {
		struct gnttab_setup_table *setup = (void *)a2;

		ck_assert_uint_eq(setup->dom, DOMID_SELF);
		xen.setup_calls++;
		/* Like Xen: refuse more than the maximum, else grow and list every frame. */
		if (setup->nr_frames > xen.max_frames || xen.setup_status != GNTST_okay) {
			setup->status = xen.setup_status != GNTST_okay ? xen.setup_status : GNTST_general_error;
			return 0;
		}
		if (setup->nr_frames > xen.nr_frames)
			xen.nr_frames = setup->nr_frames;
		for (unsigned int i = 0; i < setup->nr_frames; i++)
			setup->frame_list.p[i] = FAKE_MFN_BASE + i;
		setup->status = GNTST_okay;
		return 0;
	}
	ck_abort_msg("unexpected grant_table_op %ld", a1);
	return -ENOSYS;
}

void *mm_map_frames(const uint64_t *mfns, size_t count, unsigned int flags)
{
	uint64_t first = mfns[0] - FAKE_MFN_BASE;

	ck_assert(flags & MM_MAP_WRITABLE);
	if (xen.map_fails)
		return NULL;
	/* The fake's frames are consecutive in memory, so consecutive frames map in order. */
	for (size_t i = 0; i < count; i++)
		ck_assert_uint_eq(mfns[i], FAKE_MFN_BASE + first + i);
	ck_assert_uint_le(first + count, xen.nr_frames);
	xen.pages_mapped += count;
	return xen.table[first];
}

void mm_unmap_frames(void *va, size_t count)
{
	(void)va;
	xen.pages_mapped -= count;
}

uint64_t virt_to_mfn(const void *va)
{
	return 0x4000 + (((uintptr_t)va / PAGE_SIZE) & 0xffff);
}

/* Xen with a table of one frame in which the toolstack granted the console and xenstore. */
static void setup(void)
{
	memset(&xen, 0, sizeof(xen));
	xen.max_frames = FAKE_MAX_FRAMES;
	xen.nr_frames = 1;
	xen.table[0][GNTTAB_RESERVED_CONSOLE] = (grant_entry_v1_t){ GTF_permit_access, 0, 0x111 };
	xen.table[0][GNTTAB_RESERVED_XENSTORE] = (grant_entry_v1_t){ GTF_permit_access, 0, 0x222 };
	ck_assert_int_eq(page_alloc_init(heap_region, HEAP_PAGES), 0);
	heap_init();
}

static void setup_and_init(void)
{
	setup();
	ck_assert_int_eq(gnttab_init(), 0);
}

static grant_entry_v1_t *entry(grant_ref_t ref)
{
	return &xen.table[ref / ENTRIES_PER_FRAME][ref % ENTRIES_PER_FRAME];
}

static struct gnttab_stats stats_now(void)
{
	struct gnttab_stats stats;

	gnttab_stats(&stats);
	return stats;
}

/* What the fake backend does when it maps a reference: set a "mapped" bit in the entry. */
static void other_side_maps(grant_ref_t ref, uint16_t bit)
{
	entry(ref)->flags |= bit;
}

static void other_side_unmaps(grant_ref_t ref)
{
	entry(ref)->flags &= (uint16_t)~(GTF_reading | GTF_writing);
}

START_TEST(init_sets_up_the_first_frame)
{
	struct gnttab_stats stats = stats_now();

	ck_assert_uint_eq(stats.frames, 1);
	ck_assert_uint_eq(stats.max_frames, FAKE_MAX_FRAMES);
	ck_assert_uint_eq(stats.capacity, ENTRIES_PER_FRAME - RESERVED);
	ck_assert_uint_eq(stats.in_use, 0);
	ck_assert_uint_eq(stats.leaked, 0);
	ck_assert_uint_eq(stats.grants, 0);
	ck_assert_uint_eq(xen.setup_calls, 1);
	ck_assert_uint_eq(xen.pages_mapped, 1);
	/* The toolstack's entries are left alone. */
	ck_assert_uint_eq(entry(GNTTAB_RESERVED_CONSOLE)->frame, 0x111);
	ck_assert_uint_eq(entry(GNTTAB_RESERVED_XENSTORE)->frame, 0x222);
}
END_TEST

START_TEST(init_reports_failures)
{
	setup();
	xen.query_result = -ENOSYS;
	ck_assert_int_eq(gnttab_init(), -ENOSYS);
	setup();
	xen.max_frames = 0;
	ck_assert_int_eq(gnttab_init(), -ENOSPC);
	setup();
	xen.setup_status = GNTST_permission_denied;
	ck_assert_int_eq(gnttab_init(), -EIO);
	setup();
	xen.map_fails = true;
	ck_assert_int_eq(gnttab_init(), -ENOMEM);
}
END_TEST

START_TEST(grant_writes_the_entry)
{
	grant_ref_t ref, readonly_ref;

	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref), 0);
	ck_assert_uint_eq(ref, RESERVED);
	ck_assert_uint_eq(entry(ref)->domid, SOME_DOMAIN);
	ck_assert_uint_eq(entry(ref)->frame, SOME_MFN);
	ck_assert_uint_eq(entry(ref)->flags, GTF_permit_access);
	ck_assert_int_eq(gnttab_grant_access(0, SOME_MFN + 1, true, &readonly_ref), 0);
	ck_assert_uint_eq(readonly_ref, RESERVED + 1);
	ck_assert_uint_eq(entry(readonly_ref)->domid, 0);
	ck_assert_uint_eq(entry(readonly_ref)->flags, GTF_permit_access | GTF_readonly);
	ck_assert_uint_eq(stats_now().in_use, 2);
	ck_assert_uint_eq(stats_now().grants, 2);
	gnttab_dump();
}
END_TEST

START_TEST(grant_page_uses_the_page_frame)
{
	static unsigned char page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
	grant_ref_t ref;

	ck_assert_int_eq(gnttab_grant_page(SOME_DOMAIN, page, true, &ref), 0);
	ck_assert_uint_eq(entry(ref)->frame, virt_to_mfn(page));
	ck_assert_int_eq(gnttab_grant_page(SOME_DOMAIN, page + 1, true, &ref), -EINVAL);
	ck_assert_int_eq(gnttab_grant_page(SOME_DOMAIN, NULL, true, &ref), -EINVAL);
}
END_TEST

START_TEST(end_clears_the_entry_and_the_ref_is_reused)
{
	grant_ref_t ref, again;

	gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref);
	ck_assert_int_eq(gnttab_end_access(ref), 0);
	ck_assert_uint_eq(entry(ref)->flags, 0);
	ck_assert_uint_eq(stats_now().in_use, 0);
	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &again), 0);
	ck_assert_uint_eq(again, ref);
}
END_TEST

START_TEST(bad_arguments_are_refused_and_change_nothing)
{
	grant_ref_t ref, other;
	struct gnttab_stats before;

	ck_assert_int_eq(gnttab_grant_access(DOMID_SELF, SOME_MFN, false, &ref), -EINVAL);
	ck_assert_int_eq(gnttab_grant_access(DOMID_FIRST_RESERVED, SOME_MFN, false, &ref), -EINVAL);
	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, 1ULL << 32, false, &ref), -EINVAL);
	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, NULL), -EINVAL);
	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref), 0);
	before = stats_now();
	for (grant_ref_t reserved = 0; reserved < RESERVED; reserved++)
		ck_assert_int_eq(gnttab_end_access(reserved), -EINVAL);
	ck_assert_uint_eq(entry(GNTTAB_RESERVED_CONSOLE)->flags, GTF_permit_access);
	ck_assert_int_eq(gnttab_end_access(ENTRIES_PER_FRAME), -EINVAL);   /* beyond the table */
	ck_assert_int_eq(gnttab_end_access(UINT32_MAX), -EINVAL);
	ck_assert_int_eq(gnttab_end_access(ref + 1), -EINVAL);              /* never granted */
	ck_assert_int_eq(gnttab_end_access(ref), 0);
	ck_assert_int_eq(gnttab_end_access(ref), -EINVAL);                  /* ended twice */
	ck_assert_uint_eq(stats_now().in_use, before.in_use - 1);
	ck_assert_uint_eq(stats_now().grants, before.grants);
	/* The free list is intact: two grants get two different references. */
	gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref);
	gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &other);
	ck_assert_uint_ne(ref, other);
}
END_TEST

/* The other side has the page mapped (`bit`): the grant cannot end; once it unmaps, it can. */
static void check_busy_grant(uint16_t bit)
{
	grant_ref_t ref, others[ENTRIES_PER_FRAME];
	struct gnttab_stats stats;

	gnttab_grant_access(SOME_DOMAIN, SOME_MFN, bit == GTF_reading, &ref);
	other_side_maps(ref, bit);
	ck_assert_int_eq(gnttab_end_access(ref), -EBUSY);
	stats = stats_now();
	ck_assert_uint_eq(stats.leaked, 1);
	ck_assert_uint_eq(stats.in_use, 0);
	ck_assert(entry(ref)->flags & GTF_permit_access);
	/* Trying again while it is still mapped changes nothing. */
	ck_assert_int_eq(gnttab_end_access(ref), -EBUSY);
	ck_assert_uint_eq(stats_now().leaked, 1);
	/* Not handed out again, even when the table has to grow. */
	for (unsigned int i = 0; i < ENTRIES_PER_FRAME; i++) {
		ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &others[i]), 0);
		ck_assert_uint_ne(others[i], ref);
	}
	for (unsigned int i = 0; i < ENTRIES_PER_FRAME; i++)
		ck_assert_int_eq(gnttab_end_access(others[i]), 0);
	/* Unmapped: ending it again now works, and it is no longer leaked. */
	other_side_unmaps(ref);
	ck_assert_int_eq(gnttab_end_access(ref), 0);
	ck_assert_uint_eq(entry(ref)->flags, 0);
	stats = stats_now();
	ck_assert_uint_eq(stats.leaked, 0);
	ck_assert_uint_eq(stats.in_use, 0);
}

START_TEST(busy_reading_grant_is_leaked_not_reused)
{
	check_busy_grant(GTF_reading);
}
END_TEST

START_TEST(busy_writing_grant_is_leaked_not_reused)
{
	check_busy_grant(GTF_writing);
}
END_TEST

START_TEST(table_grows_to_its_maximum_then_refuses)
{
	static grant_ref_t refs[FAKE_MAX_FRAMES * ENTRIES_PER_FRAME];
	static bool seen[FAKE_MAX_FRAMES * ENTRIES_PER_FRAME];
	unsigned int count = 0, most = FAKE_MAX_FRAMES * ENTRIES_PER_FRAME - RESERVED;
	struct gnttab_stats stats;
	grant_ref_t ref;
	int rc;

	while ((rc = gnttab_grant_access(SOME_DOMAIN, SOME_MFN + count, false, &ref)) == 0) {
		ck_assert_uint_ge(ref, RESERVED);
		ck_assert_uint_lt(ref, FAKE_MAX_FRAMES * ENTRIES_PER_FRAME);
		ck_assert_msg(!seen[ref], "ref %u handed out twice", ref);
		seen[ref] = true;
		/* The entry is in the frame that Xen says holds it. */
		ck_assert_uint_eq(entry(ref)->frame, SOME_MFN + count);
		refs[count++] = ref;
	}
	ck_assert_int_eq(rc, -ENOSPC);
	ck_assert_uint_eq(count, most);
	stats = stats_now();
	ck_assert_uint_eq(stats.frames, FAKE_MAX_FRAMES);
	ck_assert_uint_eq(stats.capacity, most);
	ck_assert_uint_eq(stats.in_use, most);
	ck_assert_uint_eq(xen.nr_frames, FAKE_MAX_FRAMES);
	ck_assert_uint_eq(xen.pages_mapped, FAKE_MAX_FRAMES);
	/* One frame at a time: the first setup, then one per frame added. */
	ck_assert_uint_eq(xen.setup_calls, FAKE_MAX_FRAMES);
	for (unsigned int i = 0; i < count; i++)
		ck_assert_int_eq(gnttab_end_access(refs[i]), 0);
	ck_assert_uint_eq(stats_now().in_use, 0);
	/* No growth needed any more. */
	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref), 0);
	ck_assert_uint_eq(xen.setup_calls, FAKE_MAX_FRAMES);
}
END_TEST

START_TEST(failed_growth_changes_nothing)
{
	grant_ref_t ref;
	unsigned int granted = 0;
	struct gnttab_stats stats;

	for (; granted < ENTRIES_PER_FRAME - RESERVED; granted++)
		ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref), 0);
	xen.map_fails = true;
	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref), -ENOMEM);
	stats = stats_now();
	ck_assert_uint_eq(stats.frames, 1);
	ck_assert_uint_eq(stats.capacity, ENTRIES_PER_FRAME - RESERVED);
	ck_assert_uint_eq(stats.in_use, granted);
	/* Xen kept its second frame; the next attempt finds it and maps it. */
	xen.map_fails = false;
	ck_assert_int_eq(gnttab_grant_access(SOME_DOMAIN, SOME_MFN, false, &ref), 0);
	ck_assert_uint_eq(ref, ENTRIES_PER_FRAME);
	ck_assert_uint_eq(stats_now().frames, 2);
	ck_assert_uint_eq(xen.pages_mapped, 2);
}
END_TEST

Suite *gnttab_suite(void)
{
	Suite *suite = suite_create("gnttab");
	TCase *tests = tcase_create("gnttab");

	tcase_add_checked_fixture(tests, setup_and_init, NULL);
	tcase_add_test(tests, init_sets_up_the_first_frame);
	tcase_add_test(tests, init_reports_failures);
	tcase_add_test(tests, grant_writes_the_entry);
	tcase_add_test(tests, grant_page_uses_the_page_frame);
	tcase_add_test(tests, end_clears_the_entry_and_the_ref_is_reused);
	tcase_add_test(tests, bad_arguments_are_refused_and_change_nothing);
	tcase_add_test(tests, busy_reading_grant_is_leaked_not_reused);
	tcase_add_test(tests, busy_writing_grant_is_leaked_not_reused);
	tcase_add_test(tests, table_grows_to_its_maximum_then_refuses);
	tcase_add_test(tests, failed_growth_changes_nothing);
	suite_add_tcase(suite, tests);
	return suite;
}
