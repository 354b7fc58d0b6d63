/*
 * Boot test: grants that another domain really maps. dom0 plays the backend with
 * test/dom0/gntmap, through Linux's gntdev (test/boot/grant-map.test runs it); the two sides
 * coordinate through this console and through the pages themselves:
 *
 *   guest                                       dom0 (during() in grant-map.test)
 *   holds filler grants: the table grows
 *   grants page RO (read-only) and page RW
 *   prints "grant-map: ready rw=R ro=R"  --->   gntmap read: maps RO read-only, checks it
 *                                               gntmap write-denied: RO mapped read-write
 *                                                 must be refused by Xen
 *                                               gntmap hold: maps RW, checks it, writes
 *   sees the reply in RW                 <---     the reply, keeps the mapping
 *   ends RO: clean (dom0 is done with it)
 *   ends RW: -EBUSY, leaked, not reused
 *   prints "... -EBUSY ..."              --->   SIGUSR1: gntmap unmaps RW
 *   retries ending RW until it works
 *   a fresh grant ends cleanly; counters back to the start
 */
#include <stdint.h>
#include <xen/xen.h>
#include "test/guest/testlib.h"
#include "test/dom0/grant_pattern.h"
#include "kernel/sched.h"
#include "xen/gnttab.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/page_alloc.h"
#include "lib/string.h"

#define DOM0 0
/* Enough to fill the first frame (512 entries), so the pages dom0 maps are in a grown one. */
#define FILLER_GRANTS 600
#define WAIT_SECONDS 40

static grant_ref_t fillers[FILLER_GRANTS];

static bool reply_arrived(void *page)
{
	return grant_pattern_mismatches(page, GRANT_PATTERN_REPLY) == 0;
}

static struct gnttab_stats stats_now(void)
{
	struct gnttab_stats stats;

	gnttab_stats(&stats);
	return stats;
}

/* Wait for dom0's reply, looking every 10 ms: dom0 cannot send us an event. */
static bool wait_for_reply(void *page)
{
	uint64_t deadline = time_now() + WAIT_SECONDS * NSEC_PER_SEC;

	while (!reply_arrived(page)) {
		if (time_now() > deadline)
			return false;
		sched_sleep(10 * NSEC_PER_MSEC);
	}
	return true;
}

/* Retry ending `ref` until the other side lets go; returns the number of attempts, 0 if never. */
static unsigned int end_when_released(grant_ref_t ref)
{
	uint64_t deadline = time_now() + WAIT_SECONDS * NSEC_PER_SEC;

	for (unsigned int attempt = 1; time_now() < deadline; attempt++) {
		int rc = gnttab_end_access(ref);

		if (rc == 0)
			return attempt;
		if (rc != -EBUSY) {
			test_fail("ending ref %u: %s", ref, strerror(rc));
			return 0;
		}
		sched_sleep(10 * NSEC_PER_MSEC);
	}
	return 0;
}

int app_main(int argc, char **argv)
{
	struct gnttab_stats baseline, now;
	grant_ref_t ref_ro, ref_rw, fresh;
	void *page_ro = page_alloc(1), *page_rw = page_alloc(1), *filler = page_alloc(1);
	unsigned int attempts;
	int rc;

	(void)argc;
	(void)argv;
	if (page_ro == NULL || page_rw == NULL || filler == NULL)
		test_finish(TEST_ERROR);
	gnttab_stats(&baseline);
	memset(filler, 0, PAGE_SIZE);
	for (unsigned int i = 0; i < FILLER_GRANTS; i++) {
		rc = gnttab_grant_page(DOM0, filler, true, &fillers[i]);
		TEST_CHECK(rc == 0, "filler grant %u: %s", i, strerror(rc));
	}
	grant_pattern_fill(page_ro, GRANT_PATTERN_READONLY);
	grant_pattern_fill(page_rw, GRANT_PATTERN_READWRITE);
	TEST_CHECK(gnttab_grant_page(DOM0, page_ro, true, &ref_ro) == 0, "read-only grant");
	TEST_CHECK(gnttab_grant_page(DOM0, page_rw, false, &ref_rw) == 0, "read-write grant");
	now = stats_now();
	TEST_CHECK(now.frames > 1 && ref_ro >= PAGE_SIZE / 8 && ref_rw >= PAGE_SIZE / 8,
		   "refs %u and %u are not in a grown frame (%u frames)", ref_ro, ref_rw, now.frames);
	printf("grant-map: %u frames, %u filler grants\n", now.frames, FILLER_GRANTS);
	printf("grant-map: ready rw=%u ro=%u\n", ref_rw, ref_ro);

	if (!wait_for_reply(page_rw)) {
		test_fail("no reply from dom0 in the read-write page within %d s (%zu words differ)",
			  WAIT_SECONDS, grant_pattern_mismatches(page_rw, GRANT_PATTERN_REPLY));
		test_finish(TEST_FAILURE);
	}
	printf("grant-map: dom0's reply is in the read-write page\n");
	TEST_CHECK(grant_pattern_mismatches(page_ro, GRANT_PATTERN_READONLY) == 0,
		   "the read-only page changed");

	/* dom0 mapped the read-only page and unmapped it again before it wrote the reply. */
	rc = gnttab_end_access(ref_ro);
	TEST_CHECK(rc == 0, "ending the read-only grant dom0 has unmapped: %s", strerror(rc));
	printf("grant-map: read-only grant, mapped and unmapped by dom0, ended: %s\n", strerror(rc));

	/* dom0 holds the read-write page: the grant must not end, and the ref is not reused. */
	rc = gnttab_end_access(ref_rw);
	now = stats_now();
	TEST_CHECK(rc == -EBUSY, "ending the grant dom0 still maps returned %s", strerror(rc));
	TEST_CHECK(now.leaked == baseline.leaked + 1, "%u leaked, was %u", now.leaked, baseline.leaked);
	TEST_CHECK(gnttab_end_access(ref_rw) == -EBUSY, "second try while dom0 still maps it");
	TEST_CHECK(stats_now().leaked == baseline.leaked + 1, "a second try counted another leak");
	for (unsigned int i = 0; i < 16; i++) {
		TEST_CHECK(gnttab_grant_page(DOM0, filler, true, &fresh) == 0 && fresh != ref_rw,
			   "grant %u got ref %u (the leaked ref is %u)", i, fresh, ref_rw);
		gnttab_end_access(fresh);
	}
	printf("grant-map: end_access while dom0 maps the page: %s, leaked %u\n", strerror(rc),
	       now.leaked - baseline.leaked);

	/* dom0 unmaps when it reads the line above; then the grant can end after all. */
	attempts = end_when_released(ref_rw);
	TEST_CHECK(attempts > 0, "ref %u still busy %d s after asking dom0 to unmap", ref_rw, WAIT_SECONDS);
	printf("grant-map: dom0 unmapped; ref %u ended on attempt %u, %u leaked\n", ref_rw, attempts,
	       stats_now().leaked - baseline.leaked);

	/* A fresh grant of the same page ends cleanly. */
	rc = gnttab_grant_page(DOM0, page_rw, false, &fresh);
	TEST_CHECK(rc == 0, "fresh grant: %s", strerror(rc));
	rc = gnttab_end_access(fresh);
	TEST_CHECK(rc == 0, "ending the fresh grant (ref %u): %s", fresh, strerror(rc));
	printf("grant-map: fresh grant ref %u ended: %s\n", fresh, strerror(rc));

	for (unsigned int i = 0; i < FILLER_GRANTS; i++)
		gnttab_end_access(fillers[i]);
	now = stats_now();
	TEST_CHECK(now.in_use == baseline.in_use && now.leaked == baseline.leaked,
		   "%u in use, %u leaked at the end; %u and %u at the start", now.in_use, now.leaked,
		   baseline.in_use, baseline.leaked);
	test_finish_checked();
}
