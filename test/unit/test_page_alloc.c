/*
 * test/unit/test_page_alloc.c: lib/page_alloc.c on a static, page-aligned region.
 */
#include <check.h>
#include <stdint.h>
#include "lib/errno.h"
#include "lib/page_alloc.h"
#include "test/unit/stubs.h"

#define REGION_PAGES 300
/* One bitmap page describes up to 32768 pages, so the region loses exactly one. */
#define USABLE_PAGES (REGION_PAGES - 1)

static unsigned char region[REGION_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static void *pages[REGION_PAGES];

static void setup(void)
{
	ck_assert_int_eq(page_alloc_init(region, REGION_PAGES), 0);
}

static struct page_alloc_stats stats_now(void)
{
	struct page_alloc_stats stats;

	page_alloc_stats(&stats);
	return stats;
}

static void assert_all_free(void)
{
	struct page_alloc_stats stats = stats_now();

	ck_assert_uint_eq(stats.total_pages, USABLE_PAGES);
	ck_assert_uint_eq(stats.free_pages, USABLE_PAGES);
	ck_assert_uint_eq(stats.used_pages, 0);
	ck_assert_uint_eq(stats.largest_free_run, USABLE_PAGES);
}

/* A page handed out must be aligned, inside the region, and clear of the bitmap page. */
static void assert_valid_page(const void *page, size_t count)
{
	uintptr_t address = (uintptr_t)page;

	ck_assert_ptr_nonnull(page);
	ck_assert_uint_eq(address % PAGE_SIZE, 0);
	ck_assert_uint_ge(address, (uintptr_t)region + PAGE_SIZE);
	ck_assert_uint_le(address + count * PAGE_SIZE, (uintptr_t)region + sizeof(region));
}

START_TEST(initial_state)
{
	assert_all_free();
	ck_assert(!page_is_allocated(region + PAGE_SIZE));
	/* The bitmap's own page is never part of the allocatable range. */
	ck_assert(!page_is_allocated(region));
}
END_TEST

START_TEST(init_rejects_tiny_regions_and_aligns_the_base)
{
	ck_assert_int_eq(page_alloc_init(region, 0), -EINVAL);
	ck_assert_int_eq(page_alloc_init(region, 1), -EINVAL);
	ck_assert_int_eq(page_alloc_init(region + 1, 2), -EINVAL);
	ck_assert_int_eq(page_alloc_init(region, 2), 0);
	ck_assert_uint_eq(stats_now().total_pages, 1);

	/* An unaligned base costs the partial first page. */
	ck_assert_int_eq(page_alloc_init(region + 100, 10), 0);
	ck_assert_uint_eq(stats_now().total_pages, 8);
	assert_valid_page(page_alloc(1), 1);
}
END_TEST

START_TEST(single_pages_until_exhausted)
{
	size_t count = 0;
	void *page;

	while ((page = page_alloc(1)) != NULL) {
		assert_valid_page(page, 1);
		ck_assert(page_is_allocated(page));
		ck_assert(page_is_allocated((char *)page + PAGE_SIZE - 1));
		/* Each page is really usable, and distinct from all the others. */
		*(size_t *)page = count;
		ck_assert_uint_lt(count, REGION_PAGES);
		pages[count++] = page;
	}
	ck_assert_uint_eq(count, USABLE_PAGES);
	ck_assert_uint_eq(stats_now().free_pages, 0);
	ck_assert_uint_eq(stats_now().largest_free_run, 0);
	for (size_t i = 0; i < count; i++)
		ck_assert_uint_eq(*(size_t *)pages[i], i);
	for (size_t i = 0; i < count; i++)
		page_free(pages[i], 1);
	assert_all_free();
}
END_TEST

START_TEST(contiguous_runs)
{
	static const size_t sizes[] = { 3, 1, 7, 16, 2, 64, 5 };
	void *runs[sizeof(sizes) / sizeof(sizes[0])];
	size_t used = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		runs[i] = page_alloc(sizes[i]);
		assert_valid_page(runs[i], sizes[i]);
		used += sizes[i];
		/* Fill the whole run: overlapping runs would overwrite each other's bytes. */
		memset(runs[i], (int)i + 1, sizes[i] * PAGE_SIZE);
	}
	ck_assert_uint_eq(stats_now().used_pages, used);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const unsigned char *bytes = runs[i];

		for (size_t b = 0; b < sizes[i] * PAGE_SIZE; b++)
			REQUIRE(bytes[b] == i + 1, "run %zu byte %zu overwritten", i, b);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		page_free(runs[i], sizes[i]);
	assert_all_free();

	ck_assert_ptr_null(page_alloc(0));
	ck_assert_ptr_null(page_alloc(USABLE_PAGES + 1));
	runs[0] = page_alloc(USABLE_PAGES);
	assert_valid_page(runs[0], USABLE_PAGES);
	ck_assert_ptr_null(page_alloc(1));
	page_free(runs[0], USABLE_PAGES);
	assert_all_free();
}
END_TEST

START_TEST(fragmentation_and_largest_run)
{
	for (size_t i = 0; i < USABLE_PAGES; i++)
		pages[i] = page_alloc(1);
	/* Pages come out in address order from a fresh allocator. */
	for (size_t i = 1; i < USABLE_PAGES; i++)
		ck_assert_ptr_eq(pages[i], (char *)pages[i - 1] + PAGE_SIZE);

	/* Free every other page: plenty of free memory, but no two pages in a row. */
	for (size_t i = 0; i < USABLE_PAGES; i += 2)
		page_free(pages[i], 1);
	ck_assert_uint_eq(stats_now().free_pages, (USABLE_PAGES + 1) / 2);
	ck_assert_uint_eq(stats_now().largest_free_run, 1);
	ck_assert_ptr_null(page_alloc(2));

	/* Freeing pages 101, 103 and 105 joins 100..106 into a run of 7. */
	page_free(pages[101], 1);
	page_free(pages[103], 1);
	page_free(pages[105], 1);
	ck_assert_uint_eq(stats_now().largest_free_run, 7);
	ck_assert_ptr_null(page_alloc(8));
	ck_assert_ptr_eq(page_alloc(7), pages[100]);
	ck_assert_uint_eq(stats_now().largest_free_run, 1);
}
END_TEST

START_TEST(next_fit_wraps_around)
{
	void *first = page_alloc(1);
	void *rest = page_alloc(USABLE_PAGES - 1);

	ck_assert_ptr_nonnull(rest);
	/* The search now starts past the end; the freed first page must still be found. */
	page_free(first, 1);
	ck_assert_ptr_eq(page_alloc(1), first);
	page_free(first, 1);
	page_free((char *)rest + 10 * PAGE_SIZE, 3);
	/* A run of 4 that straddles nothing free does not exist; one of 3 does. */
	ck_assert_ptr_null(page_alloc(4));
	ck_assert_ptr_eq(page_alloc(3), (char *)rest + 10 * PAGE_SIZE);
}
END_TEST

START_TEST(bad_frees_panic_and_change_nothing)
{
	void *page = page_alloc(2);
	int local;

	page_free(page, 2);
	ck_assert(CATCH_PANIC(page_free(page, 1)));
	ck_assert_ptr_nonnull(strstr(stub_last_panic_message(), "not allocated"));
	ck_assert(CATCH_PANIC(page_free(&local, 1)));
	ck_assert(CATCH_PANIC(page_free(region, 1)));
	ck_assert(CATCH_PANIC(page_free(region + sizeof(region), 1)));

	page = page_alloc(2);
	ck_assert(CATCH_PANIC(page_free((char *)page + 1, 1)));
	/* A run that is only partly allocated is rejected before any of it is freed. */
	ck_assert(CATCH_PANIC(page_free(page, 3)));
	ck_assert_uint_eq(stats_now().used_pages, 2);
	ck_assert(page_is_allocated(page));
	ck_assert(CATCH_PANIC(page_free(page, USABLE_PAGES + 5)));
	page_free(page, 2);
	assert_all_free();
}
END_TEST

START_TEST(init_again_forgets_everything)
{
	for (size_t i = 0; i < 50; i++)
		page_alloc(3);
	ck_assert_uint_eq(stats_now().used_pages, 150);
	ck_assert_int_eq(page_alloc_init(region, REGION_PAGES), 0);
	assert_all_free();
	ck_assert_ptr_eq(page_alloc(1), region + PAGE_SIZE);
}
END_TEST

Suite *page_alloc_suite(void)
{
	Suite *suite = suite_create("page_alloc");
	TCase *tests = tcase_create("page_alloc");

	tcase_add_checked_fixture(tests, setup, NULL);
	tcase_add_test(tests, initial_state);
	tcase_add_test(tests, init_rejects_tiny_regions_and_aligns_the_base);
	tcase_add_test(tests, single_pages_until_exhausted);
	tcase_add_test(tests, contiguous_runs);
	tcase_add_test(tests, fragmentation_and_largest_run);
	tcase_add_test(tests, next_fit_wraps_around);
	tcase_add_test(tests, bad_frees_panic_and_change_nothing);
	tcase_add_test(tests, init_again_forgets_everything);
	suite_add_tcase(suite, tests);
	return suite;
}
