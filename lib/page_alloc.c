/*
 * lib/page_alloc.c: a bitmap page allocator. One bit per page (1 = allocated) is the whole of
 * its metadata: 1 KiB of bitmap covers 32 MiB, and it cannot be corrupted by a caller writing
 * past the end of an allocation, since it lives in pages that are never handed out.
 *
 * Searches are next-fit: they start where the last allocation ended, so that allocating many
 * single pages in a row does not rescan the full start of the bitmap every time.
 */
#include <stdint.h>
#include "lib/errno.h"
#include "lib/page_alloc.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "lib/util.h"

#define BITS_PER_WORD (sizeof(unsigned long) * 8)
#define NOT_FOUND SIZE_MAX

/* The allocator's whole state; page_alloc_init() rewrites all of it. */
static struct {
	unsigned long *bitmap;	/* bit i describes the page at first_page + i * PAGE_SIZE */
	uintptr_t first_page;	/* the first page that can be allocated, just after the bitmap */
	size_t total_pages;
	size_t free_pages;
	size_t next_search;	/* where the next search starts */
} allocator;

static bool page_used(size_t index)
{
	return allocator.bitmap[index / BITS_PER_WORD] & (1UL << (index % BITS_PER_WORD));
}

/* Bit by bit: runs are short, and a simple loop is easy to trust in the allocator. */
static void mark_pages(size_t first, size_t count, bool used)
{
	for (size_t index = first; index < first + count; index++) {
		unsigned long bit = 1UL << (index % BITS_PER_WORD);

		if (used)
			allocator.bitmap[index / BITS_PER_WORD] |= bit;
		else
			allocator.bitmap[index / BITS_PER_WORD] &= ~bit;
	}
}

int page_alloc_init(void *base, size_t npages)
{
	uintptr_t start = ALIGN_UP((uintptr_t)base, PAGE_SIZE);
	size_t bitmap_words, bitmap_pages;

	/* Rounding the base up can cost the first, partial page. */
	if (start != (uintptr_t)base) {
		if (npages == 0)
			return -EINVAL;
		npages--;
	}
	/*
	 * The bitmap only has to describe the pages after itself, but sizing it for all npages
	 * is simpler and wastes at most a few bits.
	 */
	bitmap_words = DIV_ROUND_UP(npages, BITS_PER_WORD);
	bitmap_pages = DIV_ROUND_UP(bitmap_words * sizeof(unsigned long), PAGE_SIZE);
	if (npages <= bitmap_pages)
		return -EINVAL;

	allocator.bitmap = (unsigned long *)start;
	allocator.first_page = start + bitmap_pages * PAGE_SIZE;
	allocator.total_pages = npages - bitmap_pages;
	allocator.free_pages = allocator.total_pages;
	allocator.next_search = 0;

	/*
	 * Bits past the last page read as allocated, so that searches never consider them and
	 * the scan can skip over full words without checking the end of the region.
	 */
	memset(allocator.bitmap, 0, bitmap_words * sizeof(unsigned long));
	mark_pages(allocator.total_pages, bitmap_words * BITS_PER_WORD - allocator.total_pages, true);
	return 0;
}

/* The first index of `count` free pages in a row, looking in [from, to), or NOT_FOUND. */
static size_t find_free_run(size_t from, size_t to, size_t count)
{
	size_t run_start = from, run_length = 0;

	for (size_t index = from; index < to;) {
		/* A word with every page used cannot contain or extend a run: skip it whole. */
		if (index % BITS_PER_WORD == 0 && allocator.bitmap[index / BITS_PER_WORD] == ~0UL) {
			index += BITS_PER_WORD;
			run_length = 0;
			continue;
		}
		if (page_used(index)) {
			run_length = 0;
		} else {
			if (run_length == 0)
				run_start = index;
			if (++run_length == count)
				return run_start;
		}
		index++;
	}
	return NOT_FOUND;
}

/* Pages are not zeroed: most callers overwrite them anyway, and zeroing 4 KiB costs. */
void *page_alloc(size_t count)
{
	size_t first;

	if (count == 0 || count > allocator.free_pages)
		return NULL;
	/* Next fit, then from the start; a run across the search point is found by the second. */
	first = find_free_run(allocator.next_search, allocator.total_pages, count);
	if (first == NOT_FOUND)
		first = find_free_run(0, allocator.total_pages, count);
	if (first == NOT_FOUND)
		return NULL;

	mark_pages(first, count, true);
	allocator.free_pages -= count;
	allocator.next_search = first + count;
	return (void *)(allocator.first_page + first * PAGE_SIZE);
}

/* The page index of `address`, or NOT_FOUND if it is outside the allocatable pages. */
static size_t page_index(const void *address)
{
	uintptr_t offset = (uintptr_t)address - allocator.first_page;

	/* Addresses below first_page wrap around to huge offsets, so one test covers both ends. */
	if ((uintptr_t)address < allocator.first_page || offset / PAGE_SIZE >= allocator.total_pages)
		return NOT_FOUND;
	return offset / PAGE_SIZE;
}

void page_free(void *page, size_t count)
{
	size_t first = page_index(page);

	if (!IS_ALIGNED((uintptr_t)page, PAGE_SIZE) || first == NOT_FOUND ||
	    count > allocator.total_pages - first)
		panic("page_free(%p, %zu): not pages of the allocator's region", page, count);
	/* Check every page before changing any, so a caught panic leaves the bitmap intact. */
	for (size_t index = first; index < first + count; index++) {
		if (!page_used(index))
			panic("page_free(%p, %zu): page %p is not allocated (double free?)", page,
			      count, (void *)(allocator.first_page + index * PAGE_SIZE));
	}
	mark_pages(first, count, false);
	allocator.free_pages += count;
}

bool page_is_allocated(const void *address)
{
	size_t index = page_index(address);

	return index != NOT_FOUND && page_used(index);
}

void page_alloc_stats(struct page_alloc_stats *out)
{
	size_t run_length = 0;

	*out = (struct page_alloc_stats){
		.total_pages = allocator.total_pages,
		.free_pages = allocator.free_pages,
		.used_pages = allocator.total_pages - allocator.free_pages,
	};
	for (size_t index = 0; index < allocator.total_pages; index++) {
		run_length = page_used(index) ? 0 : run_length + 1;
		out->largest_free_run = MAX(out->largest_free_run, run_length);
	}
}
