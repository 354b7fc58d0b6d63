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
#include <xen/xen.h>
#include <xen/grant_table.h>

/* Set up the table with its first frames. It grows when references run out. */
int gnttab_init(void);

/* Grant `domid` access to machine frame `mfn`. Returns 0 and the reference, -ENOSPC if the
 * table cannot grow any more. */
int gnttab_grant_access(domid_t domid, uint64_t mfn, bool readonly, grant_ref_t *ref);

/* The same for the page at `page` (page aligned, in Mote's memory). */
int gnttab_grant_page(domid_t domid, const void *page, bool readonly, grant_ref_t *ref);

/*
 * End a grant. If the other domain still has the page mapped or is copying it (GTF_reading or
 * GTF_writing), the grant cannot end now: the reference is not reused, it is counted as
 * leaked, and -EBUSY is returned. The caller must then not reuse the page either.
 */
int gnttab_end_access(grant_ref_t ref);

struct gnttab_stats {
	unsigned int frames;        /* table frames set up */
	unsigned int max_frames;    /* what Xen allows (GNTTABOP_query_size) */
	unsigned int capacity;      /* references in the frames we have */
	unsigned int in_use;        /* granted, not yet ended */
	unsigned int leaked;        /* could not end: still in use by the other side */
	uint64_t grants;            /* since boot */
};
void gnttab_stats(struct gnttab_stats *out);

/* Print the counters and every reference in use (domain, frame, flags). */
void gnttab_dump(void);

#endif
