/*
 * test/unit/test_heap.c: lib/heap.c on top of lib/page_alloc.c, in a static 8 MiB region.
 * The stress test checks every block's contents, so blocks that overlap, or a heap that
 * writes into live blocks, show up as a corrupted pattern.
 */
#include <check.h>
#include <stdint.h>
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/util.h"
#include "test/unit/stubs.h"

#define REGION_PAGES 2048

static unsigned char region[REGION_PAGES * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static size_t free_pages_at_start;

static void setup(void)
{
	struct page_alloc_stats stats;

	ck_assert_int_eq(page_alloc_init(region, REGION_PAGES), 0);
	heap_init();
	page_alloc_stats(&stats);
	free_pages_at_start = stats.free_pages;
}

/* Nothing allocated, no page held, and every page back with the page allocator. */
static void assert_heap_empty(void)
{
	struct heap_stats stats;
	struct page_alloc_stats pages;

	ck_assert_int_eq(heap_check(), 0);
	heap_stats(&stats);
	ck_assert_uint_eq(stats.bytes_in_use, 0);
	ck_assert_uint_eq(stats.live_allocations, 0);
	ck_assert_uint_eq(stats.pages_held, 0);
	ck_assert_uint_eq(stats.total_allocations, stats.total_frees);
	page_alloc_stats(&pages);
	ck_assert_uint_eq(pages.free_pages, free_pages_at_start);
}

/* The byte a block of `size` bytes at `block` must hold at `offset`. */
static unsigned char pattern_byte(const void *block, size_t size, size_t offset)
{
	uint64_t mix = (uintptr_t)block * 0x9e3779b97f4a7c15ULL + size * 31 + offset;

	return (unsigned char)(mix ^ (mix >> 29) ^ (mix >> 47));
}

static void fill_pattern(void *block, size_t size)
{
	for (size_t i = 0; i < size; i++)
		((unsigned char *)block)[i] = pattern_byte(block, size, i);
}

/* Checks `length` bytes at `block` against the pattern written for (`origin`, `size`). */
static void verify_pattern(const void *block, const void *origin, size_t size, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (((const unsigned char *)block)[i] != pattern_byte(origin, size, i))
			ck_abort_msg("block %p (size %zu) corrupted at byte %zu", block, size, i);
	}
}

START_TEST(small_and_large_blocks)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 48, 100, 255, 256, 257, 1000, 2016, 2017,
					4000, 4096, 10000, 100000 };
	void *blocks[sizeof(sizes) / sizeof(sizes[0])];
	struct heap_stats stats;
	size_t requested = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		blocks[i] = malloc(sizes[i]);
		ck_assert_ptr_nonnull(blocks[i]);
		ck_assert_uint_eq((uintptr_t)blocks[i] % 16, 0);
		fill_pattern(blocks[i], sizes[i]);
		requested += sizes[i];
	}
	heap_stats(&stats);
	ck_assert_uint_eq(stats.bytes_in_use, requested);
	ck_assert_uint_eq(stats.live_allocations, ARRAY_SIZE(sizes));
	ck_assert_uint_eq(stats.total_allocations, ARRAY_SIZE(sizes));
	ck_assert_uint_gt(stats.pages_held, 100000 / PAGE_SIZE);
	ck_assert_int_eq(heap_check(), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		verify_pattern(blocks[i], blocks[i], sizes[i], sizes[i]);
		free(blocks[i]);
	}
	heap_stats(&stats);
	ck_assert_uint_eq(stats.total_frees, ARRAY_SIZE(sizes));
	assert_heap_empty();
	free(NULL);
}
END_TEST

START_TEST(zero_sized_allocations_are_unique)
{
	void *first = malloc(0), *second = malloc(0);
	struct heap_stats stats;

	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(second);
	ck_assert_ptr_ne(first, second);
	heap_stats(&stats);
	ck_assert_uint_eq(stats.live_allocations, 2);
	ck_assert_uint_eq(stats.bytes_in_use, 0);
	free(first);
	free(second);
	assert_heap_empty();
}
END_TEST

/* A page of a class is returned to page_alloc as soon as its last block is freed. */
START_TEST(empty_pages_go_back)
{
	void *blocks[1000];
	struct heap_stats stats;

	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++)
		blocks[i] = malloc(16);
	heap_stats(&stats);
	ck_assert_uint_ge(stats.pages_held, 4);
	/* Blocks within a page: 1000 16-byte blocks need only a handful of pages. */
	ck_assert_uint_le(stats.pages_held, 5);
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i += 2)
		free(blocks[i]);
	ck_assert_int_eq(heap_check(), 0);
	for (size_t i = 1; i < ARRAY_SIZE(blocks); i += 2)
		free(blocks[i]);
	assert_heap_empty();
}
END_TEST

START_TEST(calloc_zeroes_and_checks_overflow)
{
	unsigned char *dirty = malloc(600), *clean;

	memset(dirty, 0xee, 600);
	free(dirty);
	clean = calloc(100, 6);
	ck_assert_ptr_nonnull(clean);
	for (size_t i = 0; i < 600; i++)
		REQUIRE(clean[i] == 0, "calloc left byte %zu set", i);
	free(clean);

	ck_assert_ptr_null(calloc(SIZE_MAX / 2 + 1, 2));
	ck_assert_ptr_null(calloc(SIZE_MAX, SIZE_MAX));
	ck_assert_ptr_null(calloc((size_t)1 << 32, (size_t)1 << 32));
	clean = calloc(0, 0);
	ck_assert_ptr_nonnull(clean);
	free(clean);
	assert_heap_empty();
}
END_TEST

START_TEST(out_of_memory_is_null)
{
	void *big;

	ck_assert_ptr_null(malloc(SIZE_MAX));
	ck_assert_ptr_null(malloc(SIZE_MAX - PAGE_SIZE));
	ck_assert_ptr_null(malloc(REGION_PAGES * PAGE_SIZE));
	big = malloc((free_pages_at_start - 1) * PAGE_SIZE);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_null(malloc(2 * PAGE_SIZE));
	free(big);
	assert_heap_empty();
}
END_TEST

START_TEST(aligned_allocations)
{
	static const size_t sizes[] = { 0, 1, 100, 2000, 3000, 5000, 20000 };

	for (size_t alignment = 1; alignment <= PAGE_SIZE; alignment *= 2) {
		for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
			void *block = aligned_alloc(alignment, sizes[s]);

			ck_assert_ptr_nonnull(block);
			ck_assert_msg((uintptr_t)block % alignment == 0 && (uintptr_t)block % 16 == 0,
				      "aligned_alloc(%zu, %zu) = %p", alignment, sizes[s], block);
			fill_pattern(block, sizes[s]);
			ck_assert_int_eq(heap_check(), 0);
			verify_pattern(block, block, sizes[s], sizes[s]);
			free(block);
		}
	}
	ck_assert_ptr_null(aligned_alloc(0, 16));
	ck_assert_ptr_null(aligned_alloc(3, 16));
	ck_assert_ptr_null(aligned_alloc(48, 16));
	ck_assert_ptr_null(aligned_alloc(2 * PAGE_SIZE, 16));
	assert_heap_empty();
}
END_TEST

START_TEST(realloc_keeps_contents)
{
	char *block = realloc(NULL, 10);
	char *same, *moved;

	ck_assert_ptr_nonnull(block);
	memcpy(block, "0123456789", 10);
	/* Within the same size class, realloc resizes in place. */
	same = realloc(block, 14);
	ck_assert_ptr_eq(same, block);
	/* Growing past the class moves the block and keeps the contents. */
	moved = realloc(same, 5000);
	ck_assert_ptr_nonnull(moved);
	ck_assert_int_eq(memcmp(moved, "0123456789", 10), 0);
	memset(moved + 10, 'x', 4990);
	/* Large blocks shrink in place while they stay large, giving back whole pages. */
	same = realloc(moved, 4500);
	ck_assert_ptr_eq(same, moved);
	ck_assert_int_eq(heap_check(), 0);
	/* A failed realloc leaves the block as it was. */
	ck_assert_ptr_null(realloc(same, SIZE_MAX / 2));
	ck_assert_int_eq(memcmp(same, "0123456789xxx", 13), 0);
	/* Shrinking to a small size moves into a size class. */
	block = realloc(same, 12);
	ck_assert_ptr_nonnull(block);
	ck_assert_int_eq(memcmp(block, "0123456789xx", 12), 0);
	/* realloc(p, 0) gives a zero-byte allocation, still to be freed. */
	block = realloc(block, 0);
	ck_assert_ptr_nonnull(block);
	ck_assert_int_eq(heap_check(), 0);
	free(block);
	assert_heap_empty();
}
END_TEST

START_TEST(double_free_panics)
{
	void *small = malloc(40), *keep = malloc(40), *large = malloc(3 * PAGE_SIZE);
	struct heap_stats before, after;

	free(small);
	heap_stats(&before);
	ck_assert(CATCH_PANIC(free(small)));
	ck_assert_ptr_nonnull(strstr(stub_last_panic_message(), "double free"));
	free(large);
	ck_assert(CATCH_PANIC(free(large)));
	ck_assert(CATCH_PANIC(realloc(small, 100)));
	heap_stats(&after);
	ck_assert_uint_eq(after.total_frees, before.total_frees + 1);
	ck_assert_int_eq(heap_check(), 0);
	free(keep);
	assert_heap_empty();
}
END_TEST

START_TEST(wild_free_panics)
{
	char *block = malloc(100), *large = malloc(3 * PAGE_SIZE);
	void *raw_page = page_alloc(1);
	int local;

	memset(raw_page, 0, PAGE_SIZE);
	ck_assert(CATCH_PANIC(free(&local)));
	ck_assert_ptr_nonnull(strstr(stub_last_panic_message(), "not a heap pointer"));
	ck_assert(CATCH_PANIC(free(block + 1)));
	ck_assert(CATCH_PANIC(free(block + 16)));
	ck_assert(CATCH_PANIC(free(block - 64)));
	ck_assert(CATCH_PANIC(free(large + 16)));
	ck_assert(CATCH_PANIC(free(large + PAGE_SIZE)));
	/* A page from page_alloc that the heap does not own has no heap header. */
	ck_assert(CATCH_PANIC(free((char *)raw_page + 64)));
	ck_assert(CATCH_PANIC(free(region + sizeof(region) + PAGE_SIZE)));
	ck_assert_int_eq(heap_check(), 0);
	free(block);
	free(large);
	page_free(raw_page, 1);
	assert_heap_empty();
}
END_TEST

START_TEST(heap_check_finds_corruption)
{
	char *small = malloc(64), *large = malloc(3 * PAGE_SIZE);
	unsigned char *descriptor = (unsigned char *)ALIGN_DOWN((uintptr_t)small, PAGE_SIZE);
	unsigned char *header = (unsigned char *)ALIGN_DOWN((uintptr_t)large, PAGE_SIZE);
	unsigned char saved;

	ck_assert_int_eq(heap_check(), 0);
	/*
	 * Flip, one at a time, bits in the small page's descriptor (magic, class, live count
	 * and bitmap) and the large header (magic, offset, pages, requested size). The list
	 * links are left alone: a wild link would make heap_check() itself read wild memory.
	 */
	for (size_t offset = 0; offset < 56; offset++) {
		if (offset >= 8 && offset < 24)
			continue;
		saved = descriptor[offset];
		descriptor[offset] ^= 0x40;
		ck_assert_msg(heap_check() == -EFAULT, "descriptor byte %zu", offset);
		descriptor[offset] = saved;
	}
	for (size_t offset = 0; offset < 24; offset++) {
		saved = header[offset];
		header[offset] ^= 0x40;
		ck_assert_msg(heap_check() == -EFAULT, "large header byte %zu", offset);
		header[offset] = saved;
	}
	ck_assert_int_eq(heap_check(), 0);
	free(small);
	free(large);
	assert_heap_empty();
}
END_TEST

/*
 * Random malloc/realloc/free traffic from a fixed seed. Each live block carries a pattern
 * derived from its address and size; it is checked before every realloc and free.
 */
#define SLOTS 600
#define OPERATIONS 40000

struct slot {
	unsigned char *block;
	size_t size;
};

static struct slot slots[SLOTS];

/* A small linear congruential generator: the same sequence on every run and machine. */
static uint32_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*state >> 33);
}

/* Mostly small sizes, as a network stack makes them, with some pages-long buffers. */
static size_t random_size(uint64_t *state)
{
	uint32_t kind = next_random(state) % 100;

	if (kind < 60)
		return next_random(state) % 129;
	if (kind < 90)
		return next_random(state) % 2100;
	return next_random(state) % (5 * PAGE_SIZE);
}

START_TEST(randomized_stress)
{
	uint64_t state = 20240611;
	size_t out_of_memory = 0;

	for (unsigned operation = 0; operation < OPERATIONS; operation++) {
		struct slot *slot = &slots[next_random(&state) % SLOTS];

		if (slot->block == NULL) {
			slot->size = random_size(&state);
			slot->block = malloc(slot->size);
			if (slot->block == NULL) {
				out_of_memory++;
				continue;
			}
			REQUIRE((uintptr_t)slot->block % 16 == 0, "misaligned %p", slot->block);
			fill_pattern(slot->block, slot->size);
		} else if (next_random(&state) % 3 == 0) {
			size_t new_size = random_size(&state);
			unsigned char *moved;

			verify_pattern(slot->block, slot->block, slot->size, slot->size);
			moved = realloc(slot->block, new_size);
			if (moved == NULL) {
				out_of_memory++;
				continue;
			}
			/* The contents moved with the block: the old pattern, up to the shorter size. */
			verify_pattern(moved, slot->block, slot->size, MIN(slot->size, new_size));
			slot->block = moved;
			slot->size = new_size;
			fill_pattern(slot->block, slot->size);
		} else {
			verify_pattern(slot->block, slot->block, slot->size, slot->size);
			free(slot->block);
			slot->block = NULL;
		}
		if (operation % 256 == 0)
			ck_assert_int_eq(heap_check(), 0);
	}
	ck_assert_int_eq(heap_check(), 0);
	/* The region is large enough that the traffic should never run out. */
	ck_assert_uint_eq(out_of_memory, 0);
	for (size_t i = 0; i < SLOTS; i++) {
		if (slots[i].block != NULL) {
			verify_pattern(slots[i].block, slots[i].block, slots[i].size, slots[i].size);
			free(slots[i].block);
		}
	}
	assert_heap_empty();
}
END_TEST

START_TEST(malloc_initializes_on_first_use)
{
	void *block;

	/* No heap_init() here: a fresh page allocator under a never-used heap. */
	ck_assert_int_eq(page_alloc_init(region, REGION_PAGES), 0);
	block = malloc(32);

	ck_assert_ptr_nonnull(block);
	free(block);
	ck_assert_int_eq(heap_check(), 0);
}
END_TEST

Suite *heap_suite(void)
{
	Suite *suite = suite_create("heap");
	TCase *tests = tcase_create("heap");
	TCase *first_use = tcase_create("first use");

	tcase_add_checked_fixture(tests, setup, NULL);
	tcase_add_test(tests, small_and_large_blocks);
	tcase_add_test(tests, zero_sized_allocations_are_unique);
	tcase_add_test(tests, empty_pages_go_back);
	tcase_add_test(tests, calloc_zeroes_and_checks_overflow);
	tcase_add_test(tests, out_of_memory_is_null);
	tcase_add_test(tests, aligned_allocations);
	tcase_add_test(tests, realloc_keeps_contents);
	tcase_add_test(tests, double_free_panics);
	tcase_add_test(tests, wild_free_panics);
	tcase_add_test(tests, heap_check_finds_corruption);
	tcase_add_test(tests, randomized_stress);
	suite_add_tcase(suite, tests);
	suite_add_tcase(suite, first_use);
	tcase_add_test(first_use, malloc_initializes_on_first_use);
	return suite;
}
