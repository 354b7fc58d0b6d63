/*
 * lib/heap.h: malloc and friends, for objects of any size. Pointers are 16-byte aligned,
 * like C's max_align_t. The heap takes whole pages from lib/page_alloc.h and gives them back
 * as soon as they hold no allocation, so it works wherever page_alloc_init() has been called.
 *
 * Misuse is caught, not tolerated: free() or realloc() of a pointer that malloc never
 * returned, or that was already freed, panics. Not reentrant (see lib/page_alloc.h).
 */
#ifndef MOTE_LIB_HEAP_H
#define MOTE_LIB_HEAP_H

#include <stddef.h>

struct heap_stats {
	size_t bytes_in_use;		/* the sum of the sizes callers asked for, live blocks only */
	size_t live_allocations;
	size_t pages_held;		/* pages currently taken from page_alloc() */
	size_t total_allocations;	/* since heap_init(); a realloc that moves the block */
	size_t total_frees;		/* counts as one allocation and one free */
};

/*
 * Starts an empty heap, forgetting (not freeing) any earlier allocations. malloc() calls it
 * on first use; call it again only when page_alloc_init() has reset the pages under the heap.
 */
void heap_init(void);

/* malloc(0) returns a unique pointer that must be freed like any other. NULL when out of memory. */
void *malloc(size_t size);
/* NULL for a NULL pointer does nothing. */
void free(void *pointer);
/* Zeroed memory for count objects; NULL if count * size overflows. */
void *calloc(size_t count, size_t size);
/*
 * Resizes in place when it can, else moves. realloc(NULL, n) is malloc(n); realloc(p, 0)
 * returns a zero-byte allocation (not NULL). On failure, returns NULL and `pointer` is intact.
 */
void *realloc(void *pointer, size_t size);
/* `alignment` must be a power of two up to PAGE_SIZE, else NULL. Free with free(). */
void *aligned_alloc(size_t alignment, size_t size);

void heap_stats(struct heap_stats *out);

/* Walks every piece of heap metadata: 0 if all is consistent, -EFAULT if anything is not. */
int heap_check(void);

#endif
