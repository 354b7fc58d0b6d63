/*
 * Grant tables, version 1 (public/grant_table.h). Implements xen/gnttab.h.
 *
 * The table is an array of 8-byte entries (struct grant_entry_v1) in frames that Xen owns and
 * shares with us. Entry N is grant reference N: "domain `domid` may access machine frame
 * `frame`", switched on by the flags. Xen reads the entry when that domain maps or copies
 * reference N, and while it has the page mapped Xen keeps GTF_reading/GTF_writing set in the
 * entry's flags. Those bits are how we know whether a grant can end.
 *
 * A PV guest learns where its table lives from GNTTABOP_setup_table, which returns the
 * machine frames; they are not ours, so they go in the remap area (mm_map_frames). The table
 * starts with INITIAL_FRAMES frames and grows one frame at a time when the references run out,
 * up to the limit GNTTABOP_query_size reports. Frames are mapped as they are added, so they
 * need not be contiguous in virtual memory: frames[i] says where frame i is.
 *
 * References come from an id pool (lib/id_pool.h): pool id i is reference
 * i + GNTTAB_NR_RESERVED_ENTRIES, because the first entries belong to the toolstack, which
 * filled in 0 (console) and 1 (xenstore) before Mote started. We never hand them out.
 *
 * Mote runs on one vCPU and never grants from event handlers, so nothing here needs a lock.
 * The one concurrency that matters is with Xen and the other domain, on the entries' flags.
 */
#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include "xen/gnttab.h"
#include "xen/hypercall.h"
#include "xen/console.h"
#include "kernel/mm.h"
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/id_pool.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "lib/util.h"

#define ENTRIES_PER_FRAME ((unsigned int)(PAGE_SIZE / sizeof(grant_entry_v1_t)))
#define INITIAL_FRAMES 1u
#define FIRST_FREE_REF GNTTAB_NR_RESERVED_ENTRIES
#define BITS_PER_WORD 64u

static struct {
	grant_entry_v1_t **frames;   /* frames[i]: where table frame i is mapped (max_frames slots) */
	xen_pfn_t *frame_mfns;       /* the machine frames setup_table returned (max_frames slots) */
	unsigned int nr_frames;
	unsigned int max_frames;
	struct id_pool refs;         /* pool id i is reference i + FIRST_FREE_REF */
	uint64_t *leaked_refs;       /* bitmap by reference: the other side would not let go */
	unsigned int leaked;
	uint64_t grants;
} gnttab;

static unsigned int table_refs(unsigned int frames)
{
	return frames * ENTRIES_PER_FRAME;
}

static grant_entry_v1_t *entry(grant_ref_t ref)
{
	return &gnttab.frames[ref / ENTRIES_PER_FRAME][ref % ENTRIES_PER_FRAME];
}

static bool ref_leaked(grant_ref_t ref)
{
	return gnttab.leaked_refs[ref / BITS_PER_WORD] & (1ULL << (ref % BITS_PER_WORD));
}

static void set_ref_leaked(grant_ref_t ref, bool leaked)
{
	uint64_t bit = 1ULL << (ref % BITS_PER_WORD);

	if (leaked)
		gnttab.leaked_refs[ref / BITS_PER_WORD] |= bit;
	else
		gnttab.leaked_refs[ref / BITS_PER_WORD] &= ~bit;
}

/* Grant-table hypercalls report twice: the return value (could Xen read our arguments?)
 * and op.status (did the operation work?). Fold both into one errno. */
static int table_op(int cmd, void *op, const int16_t *status)
{
	long rc = hypercall_grant_table_op(cmd, op, 1);

	if (rc < 0)
		return (int)rc;
	if (*status != GNTST_okay) {
		printf("gnttab: grant_table_op %d failed with status %d\n", cmd, *status);
		return -EIO;
	}
	return 0;
}

/*
 * Make the table `count` frames long: ask Xen (setup_table returns the machine frames of the
 * whole table, old ones included, and grows the table if it is shorter), map the new frames,
 * and make room for their references in the bookkeeping. On failure nothing changes on our
 * side; Xen may keep a larger table, which the next attempt simply finds again.
 */
static int grow_table(unsigned int count)
{
	struct gnttab_setup_table setup = { .dom = DOMID_SELF, .nr_frames = count };
	unsigned int old = gnttab.nr_frames, added = count - old;
	size_t bitmap_words = table_refs(count) / BITS_PER_WORD;
	uint32_t *slots;
	uint64_t *bitmap;
	char *mapped;
	int rc;

	if (count > gnttab.max_frames)
		return -ENOSPC;
	set_xen_guest_handle(setup.frame_list, gnttab.frame_mfns);
	rc = table_op(GNTTABOP_setup_table, &setup, &setup.status);
	if (rc < 0)
		return rc;
	mapped = mm_map_frames(&gnttab.frame_mfns[old], added, MM_MAP_WRITABLE);
	if (mapped == NULL)
		return -ENOMEM;
	/* The bitmap first: if the pool's array then cannot grow, a longer bitmap is harmless. */
	bitmap = realloc(gnttab.leaked_refs, bitmap_words * sizeof(*bitmap));
	if (bitmap == NULL)
		goto out_of_memory;
	gnttab.leaked_refs = bitmap;
	for (size_t word = table_refs(old) / BITS_PER_WORD; word < bitmap_words; word++)
		bitmap[word] = 0;
	slots = realloc(gnttab.refs.slots, (table_refs(count) - FIRST_FREE_REF) * sizeof(*slots));
	if (slots == NULL)
		goto out_of_memory;
	for (unsigned int i = 0; i < added; i++)
		gnttab.frames[old + i] = (grant_entry_v1_t *)(mapped + i * PAGE_SIZE);
	gnttab.nr_frames = count;
	/* Xen hands out new frames zeroed, so every new entry is invalid (flags 0): free. */
	rc = id_pool_grow(&gnttab.refs, slots, table_refs(count) - FIRST_FREE_REF);
	assert(rc == 0);
	return 0;

out_of_memory:
	mm_unmap_frames(mapped, added);
	return -ENOMEM;
}

int gnttab_init(void)
{
	struct gnttab_query_size query = { .dom = DOMID_SELF };
	int rc;

	/* Start from nothing. The kernel calls this once; host tests, once per test. */
	memset(&gnttab, 0, sizeof(gnttab));
	rc = table_op(GNTTABOP_query_size, &query, &query.status);
	if (rc < 0)
		return rc;
	if (query.max_nr_frames < INITIAL_FRAMES)
		return -ENOSPC;
	gnttab.max_frames = query.max_nr_frames;
	gnttab.frames = calloc(gnttab.max_frames, sizeof(*gnttab.frames));
	gnttab.frame_mfns = calloc(gnttab.max_frames, sizeof(*gnttab.frame_mfns));
	if (gnttab.frames == NULL || gnttab.frame_mfns == NULL)
		return -ENOMEM;
	/* An empty pool; grow_table adds the references of the first frames. */
	id_pool_init(&gnttab.refs, NULL, 0);
	return grow_table(MAX(INITIAL_FRAMES, query.nr_frames));
}

int gnttab_grant_access(domid_t domid, uint64_t mfn, bool readonly, grant_ref_t *ref)
{
	grant_entry_v1_t *granted;
	uint32_t id;
	int rc;

	/* Only real domains can be granted to, and a v1 entry has 32 bits for the frame. */
	if (domid >= DOMID_FIRST_RESERVED || mfn > UINT32_MAX || ref == NULL)
		return -EINVAL;
	rc = id_pool_get(&gnttab.refs, &id);
	if (rc == -ENOSPC) {
		rc = grow_table(gnttab.nr_frames + 1);
		if (rc == 0)
			rc = id_pool_get(&gnttab.refs, &id);
	}
	if (rc < 0)
		return rc;
	*ref = id + FIRST_FREE_REF;
	granted = entry(*ref);
	/* A free reference's entry is invalid: the grant that used it last ended with flags 0. */
	assert(READ_ONCE(granted->flags) == 0);

	/*
	 * The order of the writes is the protocol (public/grant_table.h, "Introducing a valid
	 * entry"). The other domain may try to map this reference at any moment, even before we
	 * told it the number (a buggy or hostile backend can guess). Xen acts on an entry as
	 * soon as its flags say GTF_permit_access, and then uses domid and frame. So domid and
	 * frame are written first, then a write barrier, so that no CPU or compiler can make the
	 * flags visible before them; otherwise Xen could map whatever frame the entry held from
	 * its previous use, for whatever domain it named. (On x86, stores are not reordered with
	 * each other, so the barrier costs nothing but stops the compiler.)
	 */
	WRITE_ONCE(granted->domid, domid);
	WRITE_ONCE(granted->frame, (uint32_t)mfn);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(granted->flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)));
	gnttab.grants++;
	return 0;
}

int gnttab_grant_page(domid_t domid, const void *page, bool readonly, grant_ref_t *ref)
{
	if (page == NULL || !IS_ALIGNED((uintptr_t)page, PAGE_SIZE))
		return -EINVAL;
	return gnttab_grant_access(domid, virt_to_mfn(page), readonly, ref);
}

/*
 * Switch the entry off unless the other domain is using it (public/grant_table.h,
 * "Invalidating an unused GTF_permit_access entry"). Xen sets GTF_reading/GTF_writing with
 * an atomic compare-and-exchange of its own, after checking that the entry permits access.
 * A plain "read the flags, see no reading/writing bit, write 0" would race with it: Xen
 * could map the page between our read and our write, and we would reuse a page that the
 * other domain can still write. With cmpxchg either we clear the flags first (then Xen sees
 * an invalid entry and refuses the map), or Xen sets its bit first (then our cmpxchg fails,
 * returns the new flags, and the loop sees the bit).
 */
static bool invalidate_entry(grant_entry_v1_t *granted)
{
	uint16_t flags = __atomic_load_n(&granted->flags, __ATOMIC_SEQ_CST);

	do {
		if (flags & (GTF_reading | GTF_writing))
			return false;
	} while (!__atomic_compare_exchange_n(&granted->flags, &flags, 0, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return true;
}

int gnttab_end_access(grant_ref_t ref)
{
	uint32_t id = ref - FIRST_FREE_REF;
	grant_entry_v1_t *granted;
	int rc;

	if (ref < FIRST_FREE_REF || ref >= table_refs(gnttab.nr_frames)) {
		printf("gnttab: end_access(%u): not a reference Mote hands out\n", ref);
		return -EINVAL;
	}
	if (!id_pool_in_use(&gnttab.refs, id)) {
		printf("gnttab: end_access(%u): that reference is not granted\n", ref);
		return -EINVAL;
	}
	granted = entry(ref);
	if (!invalidate_entry(granted)) {
		/*
		 * The other domain still has the page mapped. We cannot take it back (only the
		 * other side can unmap), so neither the reference nor the page may be reused. The
		 * reference stays out of the pool; the caller may call us again later, and once
		 * the other side has let go the grant ends normally.
		 */
		if (!ref_leaked(ref)) {
			set_ref_leaked(ref, true);
			gnttab.leaked++;
			printf("gnttab: ref %u is still mapped by domain %u (flags %#x): leaked, not reused\n",
			       ref, READ_ONCE(granted->domid), READ_ONCE(granted->flags));
		}
		return -EBUSY;
	}
	if (ref_leaked(ref)) {
		set_ref_leaked(ref, false);
		gnttab.leaked--;
		printf("gnttab: ref %u was released by domain %u at last: no longer leaked\n", ref,
		       READ_ONCE(granted->domid));
	}
	rc = id_pool_put(&gnttab.refs, id);
	assert(rc == 0);
	return 0;
}

void gnttab_stats(struct gnttab_stats *out)
{
	out->frames = gnttab.nr_frames;
	out->max_frames = gnttab.max_frames;
	out->capacity = gnttab.refs.capacity;
	/* A leaked reference is still taken from the pool, but no longer granted by anyone. */
	out->in_use = gnttab.refs.in_use - gnttab.leaked;
	out->leaked = gnttab.leaked;
	out->grants = gnttab.grants;
	out->heap_bytes = gnttab.nr_frames == 0 ? 0 :
		(table_refs(gnttab.nr_frames) - FIRST_FREE_REF) * sizeof(*gnttab.refs.slots) +
		table_refs(gnttab.nr_frames) / BITS_PER_WORD * sizeof(*gnttab.leaked_refs) +
		gnttab.max_frames * (sizeof(*gnttab.frames) + sizeof(*gnttab.frame_mfns));
}

static void dump_entry(grant_ref_t ref, const char *note)
{
	const grant_entry_v1_t *granted = entry(ref);
	uint16_t flags = READ_ONCE(granted->flags);

	printf("  ref %5u: domain %5u frame %#9x flags %#06x%s%s%s%s\n", ref,
	       READ_ONCE(granted->domid), READ_ONCE(granted->frame), flags,
	       flags & GTF_readonly ? " readonly" : "", flags & GTF_reading ? " reading" : "",
	       flags & GTF_writing ? " writing" : "", note);
}

void gnttab_dump(void)
{
	struct gnttab_stats stats;

	gnttab_stats(&stats);
	printf("gnttab: %u of %u frames, %u references: %u in use, %u leaked, %lu grants since boot, "
	       "%lu bytes of heap\n", stats.frames, stats.max_frames, stats.capacity, stats.in_use,
	       stats.leaked, (unsigned long)stats.grants, (unsigned long)stats.heap_bytes);
	/* The toolstack's entries show which pages dom0 was given before we started. */
	for (grant_ref_t ref = 0; ref < FIRST_FREE_REF; ref++)
		if (READ_ONCE(entry(ref)->flags) != 0)
			dump_entry(ref, ref == GNTTAB_RESERVED_CONSOLE ? " (toolstack: console)"
				   : ref == GNTTAB_RESERVED_XENSTORE ? " (toolstack: xenstore)"
				   : " (toolstack)");
	for (uint32_t id = 0; id < gnttab.refs.capacity; id++)
		if (id_pool_in_use(&gnttab.refs, id))
			dump_entry(id + FIRST_FREE_REF, ref_leaked(id + FIRST_FREE_REF) ? " LEAKED" : "");
}
