/*
 * x86_64 PV memory management: the p2m/m2p view, Mote's linear map of all guest memory, W^X,
 * the stack guard page, and a small area for mapping frames that belong to Xen or to other
 * domains. Implements kernel/mm.h.
 *
 * The rules of the PV MMU (public/xen.h, "MMU_NORMAL_PT_UPDATE"), which explain most of this:
 *   - Page tables hold machine frame numbers, and the guest may not write them directly. It
 *     asks Xen with mmu_update (any entry, by machine address) or update_va_mapping (the L1
 *     entry of one virtual address). Xen checks that we only map frames we own.
 *   - A frame that is in use as a page table must never be mapped writable anywhere. So a new
 *     table is filled in while it is still an ordinary page, then mapped read-only, and only
 *     then linked into its parent, at which point Xen validates it.
 *
 * The domain builder left us running on bootstrap page tables that map the image, the p2m
 * list, start_info, the xenstore and console pages, the page tables themselves and a small
 * stack, all at VIRT_BASE + pfn * 4096 (public/xen.h, "start_info"). mm_init extends that
 * linear map to every frame we own, and fixes the protections on the way.
 */
#include <stdint.h>
#include <xen/xen.h>
#include "kernel/mm.h"
#include "kernel/arch.h"
#include "xen/hypercall.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "lib/assert.h"
#include "lib/panic.h"
#include "lib/errno.h"
#include "lib/util.h"
#include "arch/x86_64/x86.h"

#define VIRT_BASE        0xffffffff80000000UL
#define ENTRIES_PER_TABLE 512

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_PRESENT  (1UL << 0)
#define PTE_WRITABLE (1UL << 1)
#define PTE_USER     (1UL << 2)
#define PTE_ACCESSED (1UL << 5)
#define PTE_DIRTY    (1UL << 6)
#define PTE_LARGE    (1UL << 7)
#define PTE_NX       (1UL << 63)
#define PTE_ADDRESS  0x000ffffffffff000UL

/* Flags for links to lower tables. A 64-bit PV kernel runs in ring 3, hence PTE_USER. */
#define TABLE_LINK   (PTE_PRESENT | PTE_WRITABLE | PTE_USER | PTE_ACCESSED | PTE_DIRTY)

/* The remap area: after the linear map, for frames that are not ours (mm_map_frames). */
#define REMAP_PAGES  1024

/* Updates are batched: one hypercall validates many entries. */
#define BATCH_SIZE   64

/* Symbols from kernel.ld and entry.S. */
extern char _text[], _etext[], _erodata[], _end[];
extern char boot_stack_guard[];

static struct {
	uint64_t nr_pages;
	const xen_pfn_t *p2m;        /* start_info->mfn_list: pfn -> mfn */
	uint64_t *l4;                /* the top-level table we run on (start_info->pt_base) */
	uint64_t boot_pt_first;      /* the bootstrap page tables: [first, first + count) */
	uint64_t boot_pt_count;
	uint64_t new_pt_first;       /* tables mm_init added: [new_pt_first, next_pt_pfn) */
	uint64_t next_pt_pfn;
	bool page_alloc_ready;       /* after mm_init, new tables come from page_alloc() */
	bool nx;
	uintptr_t remap_base;
	uint8_t remap_used[REMAP_PAGES / 8];
	uint64_t remap_pages_used;
	mmu_update_t batch[BATCH_SIZE];
	unsigned int batch_len;
} mm;

/* ---- Address conversions ------------------------------------------------------------------ */

uint64_t virt_to_pfn(const void *va)
{
	uintptr_t address = (uintptr_t)va;

	assert(address >= VIRT_BASE && address < VIRT_BASE + mm.nr_pages * PAGE_SIZE);
	return (address - VIRT_BASE) >> PAGE_SHIFT;
}

void *pfn_to_virt(uint64_t pfn)
{
	return (void *)(VIRT_BASE + (pfn << PAGE_SHIFT));
}

uint64_t pfn_to_mfn(uint64_t pfn)
{
	assert(pfn < mm.nr_pages);
	return mm.p2m[pfn];
}

/* Xen maps the machine-to-physical table read-only at a fixed address in every PV guest. */
uint64_t mfn_to_pfn(uint64_t mfn)
{
	return machine_to_phys_mapping[mfn];
}

uint64_t virt_to_mfn(const void *va)
{
	return pfn_to_mfn(virt_to_pfn(va));
}

void *mfn_to_virt(uint64_t mfn)
{
	return pfn_to_virt(mfn_to_pfn(mfn));
}

/* ---- Page-table updates through Xen ------------------------------------------------------- */

/* The machine address of a page-table entry, which is how mmu_update names it. */
static uint64_t entry_machine_address(const uint64_t *entry)
{
	return (virt_to_mfn(entry) << PAGE_SHIFT) | ((uintptr_t)entry & (PAGE_SIZE - 1));
}

static void batch_flush(void)
{
	unsigned int done = 0;
	long rc;

	if (mm.batch_len == 0)
		return;
	rc = hypercall_mmu_update(mm.batch, mm.batch_len, &done, DOMID_SELF);
	if (rc < 0)
		panic("mmu_update failed: %ld after %u of %u updates (ptr %#lx val %#lx)", rc, done,
		      mm.batch_len, (unsigned long)mm.batch[done].ptr,
		      (unsigned long)mm.batch[done].val);
	mm.batch_len = 0;
}

static void batch_set_entry(uint64_t *entry, uint64_t value)
{
	if (mm.batch_len == BATCH_SIZE)
		batch_flush();
	mm.batch[mm.batch_len].ptr = entry_machine_address(entry) | MMU_NORMAL_PT_UPDATE;
	mm.batch[mm.batch_len].val = value;
	mm.batch_len++;
}

static void tlb_flush_local(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	long rc = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);

	if (rc < 0)
		panic("MMUEXT_TLB_FLUSH_LOCAL failed: %ld", rc);
}

/* Change the L1 entry that maps one linear-map page, and invalidate its TLB entry. */
static void set_page_mapping(void *va, uint64_t value)
{
	long rc = hypercall_update_va_mapping((unsigned long)va, value, UVMF_INVLPG);

	if (rc < 0)
		panic("update_va_mapping(%p, %#lx) failed: %ld", va, (unsigned long)value, rc);
}

/* ---- Protection policy -------------------------------------------------------------------- */

static bool pfn_is_page_table(uint64_t pfn)
{
	return (pfn >= mm.boot_pt_first && pfn < mm.boot_pt_first + mm.boot_pt_count) ||
	       (pfn >= mm.new_pt_first && pfn < mm.next_pt_pfn);
}

/*
 * What the linear map entry of each of our frames should be: text is read-only and
 * executable; read-only data and page tables are read-only; everything else is writable;
 * nothing but text is executable; the guard page is not mapped at all.
 */
static uint64_t linear_entry(uint64_t pfn)
{
	uint64_t text_first = virt_to_pfn(_text), text_end = virt_to_pfn(_etext);
	uint64_t rodata_end = virt_to_pfn(_erodata);
	uint64_t nx = mm.nx ? PTE_NX : 0;
	uint64_t base = (pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_PRESENT | PTE_ACCESSED;

	if (pfn == virt_to_pfn(boot_stack_guard))
		return 0;
	if (pfn >= text_first && pfn < text_end)
		return base;
	if ((pfn >= text_end && pfn < rodata_end) || pfn_is_page_table(pfn))
		return base | nx;
	return base | PTE_WRITABLE | PTE_DIRTY | nx;
}

/* ---- Building tables ---------------------------------------------------------------------- */

static uint64_t *table_of(uint64_t entry)
{
	return mfn_to_virt((entry & PTE_ADDRESS) >> PAGE_SHIFT);
}

static unsigned int table_index(uintptr_t va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * (level - 1))) & (ENTRIES_PER_TABLE - 1);
}

/* Whether the tables we run on map `va` (walks them without creating anything). */
static bool linear_page_is_mapped(const void *va)
{
	uint64_t entry = mm.l4[table_index((uintptr_t)va, 4)];

	for (int level = 3; level >= 1; level--) {
		if (!(entry & PTE_PRESENT))
			return false;
		entry = table_of(entry)[table_index((uintptr_t)va, level)];
	}
	return entry & PTE_PRESENT;
}

/* A fresh page for a page table: from the frames after the boot data while mm_init runs, from
 * the page allocator afterwards. */
static void *page_table_page(void)
{
	void *page;

	if (mm.page_alloc_ready) {
		page = page_alloc(1);
		if (page == NULL)
			panic("out of memory for a page table");
		return page;
	}
	/* Mapping runs low to high, so the next frame is mapped unless the builder's layout
	 * broke our assumption; say so rather than fault. */
	page = pfn_to_virt(mm.next_pt_pfn);
	if (mm.next_pt_pfn >= mm.nr_pages || !linear_page_is_mapped(page))
		panic("page table frame %lu is not mapped yet", (unsigned long)mm.next_pt_pfn);
	mm.next_pt_pfn++;
	return page;
}

/*
 * Link a new table under `parent_entry`. `contents` is written into it first, while it is
 * still ordinary writable memory (NULL for an empty table); then it becomes read-only and is
 * linked, and Xen validates every entry at once.
 */
static void link_new_table(uint64_t *parent_entry, const uint64_t *contents)
{
	uint64_t *table = page_table_page();
	uint64_t mfn = virt_to_mfn(table);

	batch_flush();
	if (contents != NULL)
		memcpy(table, contents, PAGE_SIZE);
	else
		memset(table, 0, PAGE_SIZE);
	set_page_mapping(table, (mfn << PAGE_SHIFT) | PTE_PRESENT | PTE_ACCESSED |
			 (mm.nx ? PTE_NX : 0));
	batch_set_entry(parent_entry, (mfn << PAGE_SHIFT) | TABLE_LINK);
	batch_flush();
}

/* The L2 entry for `va`, creating the L3 and L2 tables on the way if they are missing. */
static uint64_t *l2_entry(uintptr_t va)
{
	uint64_t *entry = &mm.l4[table_index(va, 4)];

	for (int level = 3; level >= 2; level--) {
		if (!(*entry & PTE_PRESENT))
			link_new_table(entry, NULL);
		assert(!(*entry & PTE_LARGE));
		entry = &table_of(*entry)[table_index(va, level)];
	}
	return entry;
}

/* The L1 entry for `va`, creating every missing table on the way. */
static uint64_t *l1_entry(uintptr_t va)
{
	uint64_t *entry = l2_entry(va);

	if (!(*entry & PTE_PRESENT))
		link_new_table(entry, NULL);
	assert(!(*entry & PTE_LARGE));
	return &table_of(*entry)[table_index(va, 1)];
}

/*
 * Map frames [first, first + 512) -- one L1 table's worth -- in the linear map. If the
 * bootstrap tables already have an L1 here, correct its entries one by one; otherwise build a
 * complete new L1 in a scratch page and link it in one go.
 */
static void map_linear_chunk(uint64_t first)
{
	static uint64_t scratch[ENTRIES_PER_TABLE] __attribute__((aligned(PAGE_SIZE)));
	uint64_t *l2 = l2_entry((uintptr_t)pfn_to_virt(first));
	uint64_t count = MIN((uint64_t)ENTRIES_PER_TABLE, mm.nr_pages - first);

	if (*l2 & PTE_PRESENT) {
		uint64_t *l1 = table_of(*l2);

		for (uint64_t i = 0; i < count; i++) {
			uint64_t want = linear_entry(first + i);

			/* Xen may have set accessed/dirty; only the frame and permissions matter. */
			if ((l1[i] & ~(PTE_ACCESSED | PTE_DIRTY)) != (want & ~(PTE_ACCESSED | PTE_DIRTY)))
				batch_set_entry(&l1[i], want);
		}
		batch_flush();
		return;
	}
	memset(scratch, 0, sizeof(scratch));
	for (uint64_t i = 0; i < count; i++)
		scratch[i] = linear_entry(first + i);
	link_new_table(l2, scratch);
}

/* CPUID as Xen's policy for this guest says, not as the host CPU says (the "xen" prefix
 * asks Xen to emulate the instruction; see XEN_CPUID in public/arch-x86/xen.h). */
static bool cpu_has_nx(void)
{
	uint32_t eax = 0x80000000, ebx = 0, ecx = 0, edx = 0;

	x86_xen_cpuid(&eax, &ebx, &ecx, &edx);
	if (eax < 0x80000001)
		return false;
	eax = 0x80000001;
	ecx = 0;
	x86_xen_cpuid(&eax, &ebx, &ecx, &edx);
	return (edx >> 20) & 1;
}

/*
 * The first frame that nothing from the domain builder uses. The builder's layout is an
 * implementation detail of libxenguest, so take the highest end of everything start_info
 * tells us about, and Xen's boot stack, which sits right after the page tables.
 */
static uint64_t first_free_pfn(const start_info_t *si, uintptr_t xen_stack)
{
	uint64_t end = virt_to_pfn((void *)((uintptr_t)_end - 1)) + 1;

	end = MAX(end, virt_to_pfn((void *)(si->mfn_list + si->nr_pages * sizeof(xen_pfn_t) - 1)) + 1);
	end = MAX(end, virt_to_pfn((void *)si->pt_base) + si->nr_pt_frames);
	end = MAX(end, mfn_to_pfn(si->store_mfn) + 1);
	end = MAX(end, mfn_to_pfn(si->console.domU.mfn) + 1);
	end = MAX(end, virt_to_pfn((void *)(xen_stack - 1)) + 1);
	if (si->mod_len != 0)
		end = MAX(end, virt_to_pfn((void *)(si->mod_start + si->mod_len - 1)) + 1);
	return end;
}

static uintptr_t xen_boot_stack;

void x86_mm_record_boot_stack(uintptr_t stack_pointer)
{
	xen_boot_stack = stack_pointer;
}

int mm_init(const start_info_t *si)
{
	uint64_t free_pfn;

	mm.nr_pages = si->nr_pages;
	mm.p2m = (const xen_pfn_t *)si->mfn_list;
	mm.l4 = (uint64_t *)si->pt_base;
	mm.boot_pt_first = virt_to_pfn(mm.l4);
	mm.boot_pt_count = si->nr_pt_frames;
	mm.nx = cpu_has_nx();

	/* The linear map and the remap area after it must fit below the top of memory. */
	if (mm.nr_pages > (0x7f000000UL >> PAGE_SHIFT) - REMAP_PAGES)
		panic("%lu pages do not fit in Mote's 2 GiB linear map", (unsigned long)mm.nr_pages);

	free_pfn = first_free_pfn(si, xen_boot_stack);
	mm.new_pt_first = mm.next_pt_pfn = free_pfn;

	/* New tables come from the first free frames, which the bootstrap map covers (the
	 * builder maps at least 512 KiB past its boot stack). Map chunk by chunk, low to high,
	 * so every frame a new table needs is mapped by the time it is taken. */
	for (uint64_t first = 0; first < mm.nr_pages; first += ENTRIES_PER_TABLE)
		map_linear_chunk(first);
	tlb_flush_local();

	/* Everything from here up is free memory. */
	free_pfn = mm.next_pt_pfn;
	if (page_alloc_init(pfn_to_virt(free_pfn), mm.nr_pages - free_pfn) < 0)
		panic("page allocator: cannot manage pfns %lu..%lu", (unsigned long)free_pfn,
		      (unsigned long)mm.nr_pages);
	mm.page_alloc_ready = true;

	/* The remap area starts at the next 2 MiB boundary after the linear map. */
	mm.remap_base = ALIGN_UP(VIRT_BASE + mm.nr_pages * PAGE_SIZE, 2UL << 20);
	return 0;
}

void mm_set_guard_page(void *page, bool guard)
{
	assert(IS_ALIGNED((uintptr_t)page, PAGE_SIZE));
	set_page_mapping(page, guard ? 0 : linear_entry(virt_to_pfn(page)));
}

bool mm_address_is_mapped(const void *va)
{
	/* Before mm_init only the image is known to be there. */
	if (mm.l4 == NULL)
		return (const char *)va >= _text && (const char *)va < _end;
	if ((uintptr_t)va < VIRT_BASE)
		return false;
	return linear_page_is_mapped(va);
}

/* ---- The remap area ----------------------------------------------------------------------- */

static bool remap_slot_used(size_t slot)
{
	return mm.remap_used[slot / 8] & (1u << (slot % 8));
}

static void remap_slot_set(size_t slot, bool used)
{
	if (used)
		mm.remap_used[slot / 8] |= (uint8_t)(1u << (slot % 8));
	else
		mm.remap_used[slot / 8] &= (uint8_t)~(1u << (slot % 8));
}

void *mm_map_frames(const uint64_t *mfns, size_t count, unsigned int flags)
{
	size_t run = 0;

	for (size_t slot = 0; slot < REMAP_PAGES && count > 0; slot++) {
		run = remap_slot_used(slot) ? 0 : run + 1;
		if (run < count)
			continue;

		size_t first = slot + 1 - count;
		uintptr_t va = mm.remap_base + first * PAGE_SIZE;
		uint64_t protection = PTE_PRESENT | PTE_ACCESSED | (mm.nx ? PTE_NX : 0);

		if (flags & MM_MAP_WRITABLE)
			protection |= PTE_WRITABLE | PTE_DIRTY;
		for (size_t i = 0; i < count; i++) {
			batch_set_entry(l1_entry(va + i * PAGE_SIZE), (mfns[i] << PAGE_SHIFT) | protection);
			remap_slot_set(first + i, true);
		}
		batch_flush();
		mm.remap_pages_used += count;
		return (void *)va;
	}
	return NULL;
}

void mm_unmap_frames(void *va, size_t count)
{
	uintptr_t address = (uintptr_t)va;
	size_t first = (address - mm.remap_base) / PAGE_SIZE;

	assert(address >= mm.remap_base && first + count <= REMAP_PAGES);
	assert(IS_ALIGNED(address, PAGE_SIZE));
	for (size_t i = 0; i < count; i++) {
		assert(remap_slot_used(first + i));
		batch_set_entry(l1_entry(address + i * PAGE_SIZE), 0);
		remap_slot_set(first + i, false);
	}
	batch_flush();
	tlb_flush_local();
	mm.remap_pages_used -= count;
}

void mm_stats(struct mm_stats *out)
{
	out->total_pages = mm.nr_pages;
	out->first_free_pfn = mm.next_pt_pfn;
	out->page_table_pages = mm.next_pt_pfn - mm.new_pt_first;
	out->remap_pages_used = mm.remap_pages_used;
	out->nx = mm.nx;
}
