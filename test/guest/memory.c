/*
 * Boot test: memory. Take every free page from the page allocator, write each one and read it
 * back, give them all back; then stress the heap with blocks whose contents are checked on
 * every free. Counters must return to where they started.
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "kernel/mm.h"
#include "lib/page_alloc.h"
#include "lib/heap.h"
#include "lib/string.h"
#include "lib/util.h"

#define HEAP_SLOTS 512
#define HEAP_ROUNDS 20000

/* A pattern that differs per page and per word, so a page mapped twice would be caught. */
static uint64_t page_word(const void *page, size_t index)
{
	return (uint64_t)(uintptr_t)page * 31 + index * 0x9e3779b97f4a7c15ULL;
}

static void test_all_pages(void)
{
	struct page_alloc_stats before, full, after;
	struct mm_stats memory;
	void **pages;
	size_t count = 0, capacity;

	page_alloc_stats(&before);
	mm_stats(&memory);
	printf("pages: %lu in the domain, %lu free for the allocator\n",
	       (unsigned long)memory.total_pages, (unsigned long)before.free_pages);
	/* The list of pages lives in the pages themselves' first page: allocate it first. */
	capacity = (before.free_pages * sizeof(void *) + PAGE_SIZE - 1) / PAGE_SIZE;
	pages = page_alloc(capacity);
	TEST_CHECK(pages != NULL, "cannot allocate %lu pages for the list", (unsigned long)capacity);
	if (pages == NULL)
		return;
	for (void *page; (page = page_alloc(1)) != NULL; count++) {
		uint64_t *words = page;

		for (size_t i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++)
			words[i] = page_word(page, i);
		pages[count] = page;
	}
	page_alloc_stats(&full);
	TEST_CHECK(full.free_pages == 0, "%lu pages still free", (unsigned long)full.free_pages);
	TEST_CHECK(count + capacity == before.free_pages, "got %lu + %lu of %lu pages",
		   (unsigned long)count, (unsigned long)capacity, (unsigned long)before.free_pages);
	for (size_t n = 0; n < count; n++) {
		const uint64_t *words = pages[n];
		size_t bad = 0;

		for (size_t i = 0; i < PAGE_SIZE / sizeof(uint64_t); i++)
			bad += words[i] != page_word(words, i);
		TEST_CHECK(bad == 0, "page %p: %lu words changed", pages[n], (unsigned long)bad);
	}
	for (size_t n = 0; n < count; n++)
		page_free(pages[n], 1);
	page_free(pages, capacity);
	page_alloc_stats(&after);
	TEST_CHECK(after.free_pages == before.free_pages, "free pages %lu, was %lu",
		   (unsigned long)after.free_pages, (unsigned long)before.free_pages);
	printf("pages: allocated, wrote and verified %lu pages (%lu MiB), freed them all\n",
	       (unsigned long)(count + capacity), (unsigned long)((count + capacity) >> 8));
}

struct block {
	uint8_t *data;
	size_t size;
	uint32_t seed;
};

static uint32_t random_next(uint32_t *state)
{
	/* xorshift32: deterministic, so a failure can be replayed. */
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static void fill(struct block *block)
{
	for (size_t i = 0; i < block->size; i++)
		block->data[i] = (uint8_t)(block->seed + i * 7);
}

static bool intact(const struct block *block, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (block->data[i] != (uint8_t)(block->seed + i * 7))
			return false;
	return true;
}

static void test_heap(void)
{
	static struct block blocks[HEAP_SLOTS];
	struct heap_stats before, after;
	uint32_t state = 12345;
	unsigned long corrupt = 0, failed = 0;

	heap_stats(&before);
	for (unsigned int round = 0; round < HEAP_ROUNDS; round++) {
		struct block *block = &blocks[random_next(&state) % HEAP_SLOTS];
		uint32_t choice = random_next(&state);
		/* Mostly small blocks, some up to 64 KiB: both size classes and whole pages. */
		size_t size = (choice & 7) == 0 ? choice % 65536 : choice % 512;

		if (block->data != NULL && (choice >> 16) % 4 == 0) {
			/* realloc keeps the common prefix. */
			size_t kept = MIN(size, block->size);
			uint8_t *grown = realloc(block->data, size + 1);

			if (grown == NULL) {
				failed++;
				continue;
			}
			block->data = grown;
			if (!intact(block, kept))
				corrupt++;
			block->size = size + 1;
			fill(block);
		} else if (block->data != NULL) {
			if (!intact(block, block->size))
				corrupt++;
			free(block->data);
			block->data = NULL;
		} else {
			block->data = malloc(size + 1);
			if (block->data == NULL) {
				failed++;
				continue;
			}
			block->size = size + 1;
			block->seed = choice;
			fill(block);
		}
		if (round % 1000 == 0 && heap_check() != 0) {
			test_fail("heap_check failed at round %u", round);
			return;
		}
	}
	for (unsigned int i = 0; i < HEAP_SLOTS; i++) {
		if (blocks[i].data != NULL) {
			if (!intact(&blocks[i], blocks[i].size))
				corrupt++;
			free(blocks[i].data);
			blocks[i].data = NULL;
		}
	}
	heap_stats(&after);
	TEST_CHECK(corrupt == 0, "%lu blocks changed while allocated", corrupt);
	TEST_CHECK(failed == 0, "%lu allocations failed", failed);
	TEST_CHECK(heap_check() == 0, "heap_check failed at the end");
	TEST_CHECK(after.bytes_in_use == before.bytes_in_use && after.live_allocations == before.live_allocations,
		   "heap holds %lu bytes in %lu blocks, was %lu in %lu",
		   (unsigned long)after.bytes_in_use, (unsigned long)after.live_allocations,
		   (unsigned long)before.bytes_in_use, (unsigned long)before.live_allocations);
	TEST_CHECK(after.pages_held == before.pages_held, "heap holds %lu pages, was %lu",
		   (unsigned long)after.pages_held, (unsigned long)before.pages_held);
	printf("heap: %u rounds of malloc/realloc/free with checked contents, %lu allocations\n",
	       HEAP_ROUNDS, (unsigned long)(after.total_allocations - before.total_allocations));
}

int app_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_settle();
	test_all_pages();
	test_heap();
	test_finish_checked();
}
