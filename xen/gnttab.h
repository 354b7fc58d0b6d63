/*
 * Grant tables, version 1 (public/grant_table.h): how a guest lets another domain map or copy
 * one of its pages. The guest writes an entry -- "domain D may access frame F, read-only or
 * read-write" -- into a table it shares with Xen, and passes the entry's index, the grant
 * reference, to the other domain (through xenstore or a ring). Split drivers grant their ring
 * pages and data buffers to their backends this way.
 */
#ifndef XEN_GNTTAB_H
#define XEN_GNTTAB_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

/* Set up the table with its first frames. It grows when references run out. Call once. */
int gnttab_init(void);

/*
 * Grant `domid` access to machine frame `mfn`. Returns 0 and the reference; -ENOSPC if the
 * table is at Xen's maximum size and every reference is taken; -ENOMEM if it could not grow
 * for want of memory; -EINVAL for a reserved domid (DOMID_SELF...) or an mfn above 32 bits,
 * which a v1 entry cannot hold. References 0 .. GNTTAB_NR_RESERVED_ENTRIES-1 belong to the
 * toolstack and are never returned.
 */
int gnttab_grant_access(domid_t domid, uint64_t mfn, bool readonly, grant_ref_t *ref);

/* The same for the page at `page` (page aligned, in Mote's memory; else -EINVAL). */
int gnttab_grant_page(domid_t domid, const void *page, bool readonly, grant_ref_t *ref);

/*
 * End a grant. If the other domain still has the page mapped or is copying it (GTF_reading or
 * GTF_writing), the grant cannot end now: the reference is not reused, it is counted as
 * leaked (and logged, once), and -EBUSY is returned. The caller must then not reuse the page
 * either. It may call again later: once the other side has let go, the grant ends, returns 0,
 * and the reference is no longer leaked. A reference that is reserved, outside the table or
 * not granted gives -EINVAL (and a log line) and changes nothing.
 */
int gnttab_end_access(grant_ref_t ref);

struct gnttab_stats {
	unsigned int frames;        /* table frames set up */
	unsigned int max_frames;    /* what Xen allows (GNTTABOP_query_size) */
	unsigned int capacity;      /* references we can hand out (the reserved ones excluded) */
	unsigned int in_use;        /* granted, not yet ended, not leaked */
	unsigned int leaked;        /* ending failed: still in use by the other side */
	uint64_t grants;            /* since boot */
	size_t heap_bytes;          /* our bookkeeping on the heap: grows with the table, never shrinks */
};
void gnttab_stats(struct gnttab_stats *out);

/* Print the counters and every reference in use (domain, frame, flags). */
void gnttab_dump(void);

#endif
