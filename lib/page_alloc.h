/*
 * lib/page_alloc.h: the physical page allocator. It hands out runs of contiguous 4 KiB pages
 * from one region of memory that the kernel has mapped, and is the source of all dynamic
 * memory in Mote: the heap (lib/heap.h) takes its pages from here.
 *
 * Not reentrant: callers must not use it from interrupt context while other code may be
 * inside it.
 */
#ifndef MOTE_LIB_PAGE_ALLOC_H
#define MOTE_LIB_PAGE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

struct page_alloc_stats {
	size_t total_pages;		/* pages that can be allocated (the bitmap excluded) */
	size_t free_pages;
	size_t used_pages;		/* total_pages - free_pages */
	size_t largest_free_run;	/* the largest count page_alloc() could satisfy now */
};

/*
 * Takes over `npages` pages of mapped, writable memory starting at `base` (rounded up to a
 * page boundary if it is not on one). The allocator's bitmap lives in the first pages of the
 * region; the rest is free. Calling it again forgets every earlier allocation. Returns 0, or
 * -EINVAL if the region cannot hold the bitmap and at least one page.
 */
int page_alloc_init(void *base, size_t npages);

/* `count` contiguous, page-aligned pages, not zeroed; NULL if count is 0 or no run is free. */
void *page_alloc(size_t count);

/*
 * Returns pages obtained from page_alloc(). Freeing pages that are outside the region, not
 * page-aligned or not allocated is a bug in the caller and panics.
 */
void page_free(void *page, size_t count);

/* True if `address` lies in a page that is currently allocated: lets the heap validate. */
bool page_is_allocated(const void *address);

void page_alloc_stats(struct page_alloc_stats *out);

#endif
