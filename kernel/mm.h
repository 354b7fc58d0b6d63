/*
 * Memory: the three address spaces of a PV guest and the mappings between them.
 *
 *   virtual  what the CPU uses; Mote maps pseudo-physical frame N at a fixed linear address.
 *   pfn      pseudo-physical frame number: the guest's own dense numbering, 0 .. nr_pages-1.
 *   mfn      machine frame number: the real frame in host memory, which is what Xen, page
 *            tables and grant references speak.
 *
 * pfn -> mfn comes from the p2m list that the domain builder gave us (start_info->mfn_list);
 * mfn -> pfn from the m2p table that Xen maps read-only into every PV guest. The implementation
 * is in arch/x86_64/mm.c, because building page tables is architecture specific.
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <xen/xen.h>

uint64_t virt_to_pfn(const void *va);
void *pfn_to_virt(uint64_t pfn);
uint64_t pfn_to_mfn(uint64_t pfn);
uint64_t mfn_to_pfn(uint64_t mfn);
uint64_t virt_to_mfn(const void *va);
void *mfn_to_virt(uint64_t mfn);

/*
 * Map all guest memory, make .text read-only and everything else non-executable, unmap the
 * stack's guard page, and hand the free frames to the page allocator (lib/page_alloc.h).
 */
int mm_init(const start_info_t *start_info);

/* Map `count` machine frames that Mote does not own (shared_info, grant table frames) at
 * consecutive virtual addresses. Returns NULL when the remap area is full. */
#define MM_MAP_WRITABLE 1u
void *mm_map_frames(const uint64_t *mfns, size_t count, unsigned int flags);
void mm_unmap_frames(void *va, size_t count);

/* Unmap one page of the linear map, or map it back: the guard page under a thread's stack. */
void mm_set_guard_page(void *page, bool guard);

/* Whether reading `va` is safe: used by the crash report to walk stacks it cannot trust. */
bool mm_address_is_mapped(const void *va);

struct mm_stats {
	uint64_t total_pages;       /* nr_pages from start_info */
	uint64_t first_free_pfn;    /* below this: image, boot data and page tables */
	uint64_t page_table_pages;  /* page-table frames Mote added at boot */
	uint64_t remap_pages_used;
	bool nx;                    /* the CPU honours the no-execute bit */
};
void mm_stats(struct mm_stats *out);

#endif
