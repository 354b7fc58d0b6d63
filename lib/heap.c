/*
 * lib/heap.c: the heap behind lib/heap.h, built for small guests (a 4 MiB web server).
 *
 * Small requests (up to 2016 bytes) are rounded up to one of a few size classes. Each class
 * carves whole pages into equal blocks; a descriptor at the start of the page records which
 * blocks are allocated (a bitmap) and how many bytes each caller asked for. Nothing is kept
 * inside free blocks, so a use-after-free cannot corrupt the heap's own bookkeeping.
 *
 * Larger requests get a run of whole pages, with a header at the start of the first page.
 *
 * Every pointer the heap returns lies after its header in the same page, so the header of
 * any pointer p is found at the start of the page holding byte p - 1. free() checks the page
 * belongs to the page allocator, then the header's magic number, then the block's position
 * and allocated bit, and panics at the first thing that does not fit.
 */
#include <stdbool.h>
#include <stdint.h>
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/list.h"
#include "lib/page_alloc.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/util.h"

#define SMALL_PAGE_MAGIC 0x536d6c50u	/* "PlmS" in memory: a page of small blocks */
#define LARGE_MAGIC 0x4c726765u		/* "egrL": the first page of a large allocation */
#define MIN_ALIGNMENT 16		/* what C's max_align_t needs on x86-64 */
#define MAX_BLOCKS_PER_PAGE 256
#define BITS_PER_WORD (sizeof(unsigned long) * 8)

/*
 * Block sizes, growing by about half each step so that rounding up wastes at most about a
 * third of a block. Each is a multiple of 16 (the guaranteed alignment) and the largest such
 * size that still fits its number of blocks in a page, so the slack at the end of a page is
 * less than 16 bytes per block. Few classes matter too: each class in use holds at least
 * one page, which a 4 MiB guest notices.
 */
static const uint16_t class_sizes[] = { 16, 32, 48, 64, 96, 128, 192, 256, 400, 656, 1008, 2016 };
#define CLASS_COUNT ARRAY_SIZE(class_sizes)
#define LARGEST_SMALL_SIZE 2016		/* the last class; larger requests take whole pages */

/* The descriptor at the start of every page of small blocks. Blocks fill the page's end. */
struct small_page {
	uint32_t magic;
	uint16_t class_index;
	uint16_t live_blocks;
	struct list_node link;		/* on its class's pages_with_space or full_pages */
	unsigned long allocated[MAX_BLOCKS_PER_PAGE / BITS_PER_WORD];
	uint16_t requested[];		/* the size asked for, per block, for heap_stats() */
};

/* The header at the start of the first page of a large allocation. */
struct large_header {
	uint32_t magic;
	uint32_t offset;		/* from the header to the caller's pointer */
	size_t pages;
	size_t requested;
	struct list_node link;		/* on heap.large_allocations, for heap_check() */
};

/* The 16-byte class can afford the most blocks: they must all fit in the bitmap. */
BUILD_BUG_ON((PAGE_SIZE - sizeof(struct small_page)) / (16 + sizeof(uint16_t)) > MAX_BLOCKS_PER_PAGE);

struct size_class {
	struct list_node pages_with_space;	/* pages with at least one free block */
	struct list_node full_pages;		/* kept only so heap_check() can find them */
};

static struct {
	bool initialized;
	struct size_class classes[CLASS_COUNT];
	struct list_node large_allocations;
	struct heap_stats stats;
} heap;

/* What free() and realloc() learn about a pointer once they have validated it. */
struct block {
	struct small_page *page;	/* for a small block, else NULL */
	struct large_header *large;	/* for a large allocation, else NULL */
	size_t index;			/* a small block's number within its page */
	size_t requested;
};

void heap_init(void)
{
	for (size_t i = 0; i < CLASS_COUNT; i++) {
		list_init(&heap.classes[i].pages_with_space);
		list_init(&heap.classes[i].full_pages);
	}
	list_init(&heap.large_allocations);
	heap.stats = (struct heap_stats){ 0 };
	heap.initialized = true;
}

static void ensure_initialized(void)
{
	if (unlikely(!heap.initialized))
		heap_init();
}

/*
 * The descriptor is at the start of the page and the blocks at its end, with requested[] in
 * between, so each block costs its size plus a 2-byte slot. Putting the blocks at the end
 * means a class whose size is a power of two has naturally aligned blocks.
 */
static size_t blocks_per_page(size_t class_index)
{
	return (PAGE_SIZE - sizeof(struct small_page)) / (class_sizes[class_index] + sizeof(uint16_t));
}

static size_t first_block_offset(size_t class_index)
{
	return PAGE_SIZE - blocks_per_page(class_index) * class_sizes[class_index];
}

static void *block_address(struct small_page *page, size_t index)
{
	return (char *)page + first_block_offset(page->class_index) +
	       index * class_sizes[page->class_index];
}

static bool block_allocated(const struct small_page *page, size_t index)
{
	return page->allocated[index / BITS_PER_WORD] & (1UL << (index % BITS_PER_WORD));
}

/*
 * The smallest class that holds `size` bytes at `alignment`, or -1 for a large allocation.
 * Blocks sit at page end minus multiples of the class size, so a class whose size is a
 * multiple of the alignment has every block aligned.
 */
static int class_for(size_t size, size_t alignment)
{
	for (size_t i = 0; i < CLASS_COUNT; i++) {
		if (class_sizes[i] >= size && class_sizes[i] % alignment == 0)
			return i;
	}
	return -1;
}

/*
 * Takes a block from the first page of the class that has room, or from a fresh page. Pages
 * move to full_pages when their last block goes, so the list head always has a free block.
 */
static void *allocate_small(size_t class_index, size_t size)
{
	struct size_class *class = &heap.classes[class_index];
	struct small_page *page;
	size_t index = 0;

	if (list_empty(&class->pages_with_space)) {
		page = page_alloc(1);
		if (page == NULL)
			return NULL;
		*page = (struct small_page){ .magic = SMALL_PAGE_MAGIC, .class_index = class_index };
		list_add_head(&class->pages_with_space, &page->link);
		heap.stats.pages_held++;
	} else {
		page = list_entry(class->pages_with_space.next, struct small_page, link);
	}

	/* The page has a free block, so some word has a zero bit; take the lowest. */
	for (size_t word = 0; word < ARRAY_SIZE(page->allocated); word++) {
		if (page->allocated[word] != ~0UL) {
			index = word * BITS_PER_WORD + __builtin_ctzl(~page->allocated[word]);
			break;
		}
	}
	assert(index < blocks_per_page(class_index));
	page->allocated[index / BITS_PER_WORD] |= 1UL << (index % BITS_PER_WORD);
	page->requested[index] = size;
	if (++page->live_blocks == blocks_per_page(class_index)) {
		list_remove(&page->link);
		list_add_tail(&class->full_pages, &page->link);
	}
	return block_address(page, index);
}

/* Pages for `size` bytes placed `offset` bytes into the run, or 0 if that overflows. */
static size_t large_pages_needed(size_t offset, size_t size)
{
	if (size > SIZE_MAX - offset - PAGE_SIZE)
		return 0;
	return DIV_ROUND_UP(offset + size, PAGE_SIZE);
}

/*
 * A run of pages with the header at its start and the caller's pointer `offset` bytes in:
 * right after the header, or at the next multiple of a larger alignment (up to a page).
 */
static void *allocate_large(size_t size, size_t alignment)
{
	size_t offset = ALIGN_UP(sizeof(struct large_header), alignment);
	size_t pages = large_pages_needed(offset, size);
	struct large_header *header;

	if (pages == 0)
		return NULL;
	header = page_alloc(pages);
	if (header == NULL)
		return NULL;
	*header = (struct large_header){
		.magic = LARGE_MAGIC, .offset = offset, .pages = pages, .requested = size,
	};
	list_add_tail(&heap.large_allocations, &header->link);
	heap.stats.pages_held += pages;
	return (char *)header + offset;
}

/* The one allocation path: malloc, calloc, realloc and aligned_alloc all end up here. */
static void *allocate(size_t size, size_t alignment)
{
	int class_index;
	void *pointer;

	ensure_initialized();
	class_index = class_for(size, alignment);
	if (class_index >= 0)
		pointer = allocate_small(class_index, size);
	else
		pointer = allocate_large(size, alignment);
	if (pointer != NULL) {
		heap.stats.bytes_in_use += size;
		heap.stats.live_allocations++;
		heap.stats.total_allocations++;
	}
	return pointer;
}

void *malloc(size_t size)
{
	return allocate(size, MIN_ALIGNMENT);
}

void *aligned_alloc(size_t alignment, size_t size)
{
	if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > PAGE_SIZE)
		return NULL;
	return allocate(size, MAX(alignment, (size_t)MIN_ALIGNMENT));
}

/* A product that wraps around would hand out a block smaller than the caller will use. */
void *calloc(size_t count, size_t size)
{
	size_t total;
	void *pointer;

	if (__builtin_mul_overflow(count, size, &total))
		return NULL;
	pointer = malloc(total);
	if (pointer != NULL)
		memset(pointer, 0, total);
	return pointer;
}

/*
 * Validates `pointer` as a live heap block and describes it in *block, or panics naming
 * `caller`. Every read is of memory the check before it has shown to be heap metadata.
 */
static void find_block(void *pointer, const char *caller, struct block *block)
{
	uintptr_t page_start = ALIGN_DOWN((uintptr_t)pointer - 1, PAGE_SIZE);
	uint32_t magic;

	/* Checked first, so that a wild pointer never makes the heap read unmapped memory. */
	if (!page_is_allocated((void *)page_start))
		panic("%s(%p): not a heap pointer, or already freed (no allocated page there)", caller,
		      pointer);
	magic = *(const uint32_t *)page_start;

	*block = (struct block){ 0 };
	if (magic == SMALL_PAGE_MAGIC) {
		struct small_page *page = (struct small_page *)page_start;
		size_t offset = (uintptr_t)pointer - page_start;
		size_t first, size;

		if (page->class_index >= CLASS_COUNT)
			panic("%s(%p): heap page %p has a corrupt descriptor", caller, pointer, page);
		first = first_block_offset(page->class_index);
		size = class_sizes[page->class_index];
		if (offset < first || offset >= PAGE_SIZE || (offset - first) % size != 0)
			panic("%s(%p): not the start of a heap block", caller, pointer);
		block->index = (offset - first) / size;
		if (!block_allocated(page, block->index))
			panic("%s(%p): double free (the block is not allocated)", caller, pointer);
		block->page = page;
		block->requested = page->requested[block->index];
	} else if (magic == LARGE_MAGIC) {
		struct large_header *header = (struct large_header *)page_start;

		if ((uintptr_t)pointer != page_start + header->offset)
			panic("%s(%p): not the start of a heap block", caller, pointer);
		block->large = header;
		block->requested = header->requested;
	} else {
		panic("%s(%p): not a heap pointer (no heap header at %p)", caller, pointer,
		      (void *)page_start);
	}
}

static void release_small(struct small_page *page, size_t index)
{
	struct size_class *class = &heap.classes[page->class_index];
	bool was_full = page->live_blocks == blocks_per_page(page->class_index);

	page->allocated[index / BITS_PER_WORD] &= ~(1UL << (index % BITS_PER_WORD));
	page->live_blocks--;
	if (page->live_blocks == 0) {
		/* Give the page back at once: a small guest cannot afford idle pages per class. */
		list_remove(&page->link);
		page->magic = 0;
		page_free(page, 1);
		heap.stats.pages_held--;
	} else if (was_full) {
		list_remove(&page->link);
		list_add_head(&class->pages_with_space, &page->link);
	}
}

static void release_large(struct large_header *header)
{
	size_t pages = header->pages;

	list_remove(&header->link);
	/* Clearing the magic makes a second free() of the same pointer fail validation. */
	header->magic = 0;
	page_free(header, pages);
	heap.stats.pages_held -= pages;
}

static void release(const struct block *block)
{
	heap.stats.bytes_in_use -= block->requested;
	heap.stats.live_allocations--;
	heap.stats.total_frees++;
	if (block->page != NULL)
		release_small(block->page, block->index);
	else
		release_large(block->large);
}

void free(void *pointer)
{
	struct block block;

	if (pointer == NULL)
		return;
	find_block(pointer, "free", &block);
	release(&block);
}

/*
 * Tries to give the block `size` bytes without moving it: a small block stays if `size`
 * still belongs in its class, a large one if it needs no more pages (extra pages are freed).
 */
static bool resize_in_place(struct block *block, size_t size)
{
	if (block->page != NULL) {
		if (class_for(size, MIN_ALIGNMENT) != block->page->class_index)
			return false;
		block->page->requested[block->index] = size;
	} else {
		struct large_header *header = block->large;
		size_t pages = large_pages_needed(header->offset, size);

		if (size <= LARGEST_SMALL_SIZE || pages == 0 || pages > header->pages)
			return false;
		if (pages < header->pages) {
			page_free((char *)header + pages * PAGE_SIZE, header->pages - pages);
			heap.stats.pages_held -= header->pages - pages;
			header->pages = pages;
		}
		header->requested = size;
	}
	/* Subtract first: the sum of live sizes can never go below the part being replaced. */
	heap.stats.bytes_in_use = heap.stats.bytes_in_use - block->requested + size;
	return true;
}

void *realloc(void *pointer, size_t size)
{
	struct block block;
	void *moved;

	if (pointer == NULL)
		return malloc(size);
	find_block(pointer, "realloc", &block);
	if (resize_in_place(&block, size))
		return pointer;

	/* Allocate before freeing: on failure C requires the old block to stay valid. */
	moved = malloc(size);
	if (moved == NULL)
		return NULL;
	/* Bytes past what the caller asked for were never theirs, so they need no copying. */
	memcpy(moved, pointer, MIN(block.requested, size));
	release(&block);
	return moved;
}

void heap_stats(struct heap_stats *out)
{
	*out = heap.stats;
}

/* A list whose neighbours do not point back has been overwritten. */
static bool links_consistent(const struct list_node *node)
{
	return node->next->prev == node && node->prev->next == node;
}

/*
 * Checks one page of small blocks and adds its blocks to the running totals. `full` says
 * which list it was found on, which must agree with its count of live blocks.
 */
static bool small_page_consistent(const struct small_page *page, size_t class_index, bool full,
				  struct heap_stats *totals)
{
	size_t blocks = blocks_per_page(class_index);
	size_t live = 0;

	if (!page_is_allocated(page) || page->magic != SMALL_PAGE_MAGIC ||
	    page->class_index != class_index || !links_consistent(&page->link))
		return false;
	for (size_t index = 0; index < MAX_BLOCKS_PER_PAGE; index++) {
		if (!block_allocated(page, index))
			continue;
		if (index >= blocks || page->requested[index] > class_sizes[class_index])
			return false;
		live++;
		totals->bytes_in_use += page->requested[index];
	}
	/* Empty pages are returned at once, so every listed page has a live block. */
	if (live != page->live_blocks || live == 0 || (live == blocks) != full)
		return false;
	totals->live_allocations += live;
	totals->pages_held++;
	return true;
}

/* allocate_large() puts the pointer right after the header, or at a power of two. */
static bool large_offset_valid(size_t offset)
{
	if (offset == ALIGN_UP(sizeof(struct large_header), MIN_ALIGNMENT))
		return true;
	return offset >= sizeof(struct large_header) && offset <= PAGE_SIZE &&
	       (offset & (offset - 1)) == 0;
}

static bool large_consistent(const struct large_header *header, struct heap_stats *totals)
{
	if (!page_is_allocated(header) || header->magic != LARGE_MAGIC || header->pages == 0 ||
	    !page_is_allocated((const char *)header + (header->pages - 1) * PAGE_SIZE) ||
	    !large_offset_valid(header->offset) ||
	    header->requested > header->pages * PAGE_SIZE - header->offset ||
	    !links_consistent(&header->link))
		return false;
	totals->bytes_in_use += header->requested;
	totals->live_allocations++;
	totals->pages_held += header->pages;
	return true;
}

/*
 * Recounts everything from the metadata alone and compares the result with the running
 * counters, so a corrupted descriptor or a bookkeeping bug both show up as a mismatch.
 */
int heap_check(void)
{
	struct heap_stats totals = { 0 };
	struct small_page *page;
	struct large_header *header;

	ensure_initialized();
	for (size_t i = 0; i < CLASS_COUNT; i++) {
		list_for_each_entry(page, &heap.classes[i].pages_with_space, link) {
			if (!small_page_consistent(page, i, false, &totals))
				return -EFAULT;
		}
		list_for_each_entry(page, &heap.classes[i].full_pages, link) {
			if (!small_page_consistent(page, i, true, &totals))
				return -EFAULT;
		}
	}
	list_for_each_entry(header, &heap.large_allocations, link) {
		if (!large_consistent(header, &totals))
			return -EFAULT;
	}
	/* The running counters must agree with what the walk found. */
	if (totals.bytes_in_use != heap.stats.bytes_in_use ||
	    totals.live_allocations != heap.stats.live_allocations ||
	    totals.pages_held != heap.stats.pages_held ||
	    heap.stats.total_allocations - heap.stats.total_frees != heap.stats.live_allocations)
		return -EFAULT;
	return 0;
}
