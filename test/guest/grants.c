/*
 * Boot test: grant tables, on Mote's own. 10,000 grants granted and ended one after the
 * other leak nothing; several thousand held at once make the table grow past its first frame,
 * and are all distinct; the table then grows to the maximum Xen allows and the next grant
 * gets -ENOSPC; ending references that are reserved, out of range or not granted is refused
 * without damage. Every time, the counters must come back to where they started.
 * (test/guest/grant_map.c tests what only another domain can: mapping the pages.)
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include "test/guest/testlib.h"
#include "xen/gnttab.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"

#define LOOP_GRANTS 10000
#define HELD_GRANTS 3000
#define BACKEND_DOMAIN 0

static struct gnttab_stats baseline;
static void *page;

static struct gnttab_stats stats_now(void)
{
	struct gnttab_stats stats;

	gnttab_stats(&stats);
	return stats;
}

/* Nothing granted and nothing leaked beyond what was there when the test started. */
static void check_back_to_baseline(const char *after)
{
	struct gnttab_stats now = stats_now();

	TEST_CHECK(now.in_use == baseline.in_use && now.leaked == baseline.leaked,
		   "after %s: %u in use, %u leaked; at the start %u and %u", after, now.in_use,
		   now.leaked, baseline.in_use, baseline.leaked);
}

static void grant_and_end_in_a_loop(void)
{
	struct gnttab_stats before = stats_now();
	unsigned int failures = 0;
	grant_ref_t ref;

	for (unsigned int i = 0; i < LOOP_GRANTS; i++) {
		/* Alternate read-only and read-write: both must end the same way. */
		if (gnttab_grant_page(BACKEND_DOMAIN, page, i % 2 == 0, &ref) != 0 ||
		    gnttab_end_access(ref) != 0)
			failures++;
	}
	TEST_CHECK(failures == 0, "%u of %u grant/end pairs failed", failures, LOOP_GRANTS);
	TEST_CHECK(stats_now().grants - before.grants == LOOP_GRANTS, "%lu grants counted",
		   (unsigned long)(stats_now().grants - before.grants));
	TEST_CHECK(stats_now().frames == before.frames, "the table grew from %u to %u frames",
		   before.frames, stats_now().frames);
	check_back_to_baseline("the grant/end loop");
	printf("loop: granted and ended %u times, nothing leaked\n", LOOP_GRANTS);
}

/*
 * Hold `count` grants (or as many as the table gives, when count is 0), check they are all
 * distinct references outside the reserved range, end them all. Returns how many it held,
 * and in *last_result what the last grant returned.
 */
static unsigned int hold_grants(unsigned int count, int *last_result)
{
	unsigned int table_max = stats_now().max_frames * (PAGE_SIZE / sizeof(grant_entry_v1_t));
	unsigned int limit = count != 0 ? count : table_max;
	grant_ref_t *refs = malloc(limit * sizeof(*refs));
	uint8_t *seen = calloc(table_max, 1);
	unsigned int held = 0, duplicates = 0, out_of_range = 0, end_failures = 0;
	int rc = 0;

	if (refs == NULL || seen == NULL) {
		test_fail("no memory for %u references", limit);
		free(refs);
		free(seen);
		return 0;
	}
	while (held < limit && (rc = gnttab_grant_page(BACKEND_DOMAIN, page, true, &refs[held])) == 0) {
		grant_ref_t ref = refs[held++];

		/* Every reference is one the table has, and none is the toolstack's. */
		if (ref < GNTTAB_NR_RESERVED_ENTRIES ||
		    ref >= stats_now().capacity + GNTTAB_NR_RESERVED_ENTRIES || ref >= table_max)
			out_of_range++;
		else if (seen[ref]++)
			duplicates++;
	}
	*last_result = rc;
	TEST_CHECK(duplicates == 0, "%u references handed out twice", duplicates);
	TEST_CHECK(out_of_range == 0, "%u references out of range", out_of_range);
	TEST_CHECK(stats_now().in_use == baseline.in_use + held, "%u in use while %u are held",
		   stats_now().in_use, held);
	printf("held %u grants at once: %u frames, %u references\n", held, stats_now().frames,
	       stats_now().capacity);
	for (unsigned int i = 0; i < held; i++)
		end_failures += gnttab_end_access(refs[i]) != 0;
	TEST_CHECK(end_failures == 0, "%u of %u grants would not end", end_failures, held);
	free(refs);
	free(seen);
	return held;
}

static void grow_past_the_first_frames(void)
{
	struct gnttab_stats before = stats_now();
	unsigned int per_frame = PAGE_SIZE / sizeof(grant_entry_v1_t);
	unsigned int held;
	int rc;

	TEST_CHECK(HELD_GRANTS > before.capacity, "the table already holds %u references", before.capacity);
	held = hold_grants(HELD_GRANTS, &rc);
	TEST_CHECK(held == HELD_GRANTS && rc == 0, "held %u of %u grants (last: %s)", held,
		   HELD_GRANTS, strerror(rc));
	TEST_CHECK(stats_now().frames == (HELD_GRANTS + GNTTAB_NR_RESERVED_ENTRIES + per_frame - 1) / per_frame,
		   "%u frames for %u grants", stats_now().frames, HELD_GRANTS);
	printf("growth: from %u to %u frames for %u grants held at once\n", before.frames,
	       stats_now().frames, HELD_GRANTS);
	check_back_to_baseline("holding and ending the grants");
}

static void fill_to_the_maximum(void)
{
	struct gnttab_stats full;
	grant_ref_t ref;
	unsigned int held;
	int rc;

	held = hold_grants(0, &rc);
	full = stats_now();
	TEST_CHECK(rc == -ENOSPC, "the grant after the last one returned %s, not -ENOSPC", strerror(rc));
	TEST_CHECK(full.frames == full.max_frames, "%u of %u frames when full", full.frames, full.max_frames);
	TEST_CHECK(held == full.capacity - baseline.in_use - baseline.leaked, "held %u grants in a table of %u",
		   held, full.capacity);
	printf("full: %u grants in %u frames (Xen's maximum), then %s\n", held, full.frames, strerror(rc));
	check_back_to_baseline("filling the table");
	/* The refused grant did not break anything: the next one works, without growth. */
	rc = gnttab_grant_page(BACKEND_DOMAIN, page, false, &ref);
	TEST_CHECK(rc == 0, "granting after -ENOSPC and freeing: %s", strerror(rc));
	if (rc == 0)
		TEST_CHECK(gnttab_end_access(ref) == 0, "ending ref %u", ref);
}

static void refuse_bad_references(void)
{
	struct gnttab_stats before = stats_now();
	grant_ref_t ref, again;
	int rc;

	for (grant_ref_t reserved = 0; reserved < GNTTAB_NR_RESERVED_ENTRIES; reserved++)
		TEST_CHECK(gnttab_end_access(reserved) == -EINVAL, "ending reserved ref %u", reserved);
	rc = gnttab_end_access(before.capacity + GNTTAB_NR_RESERVED_ENTRIES);
	TEST_CHECK(rc == -EINVAL, "ending a ref past the table: %s", strerror(rc));
	rc = gnttab_grant_page(BACKEND_DOMAIN, page, false, &ref);
	TEST_CHECK(rc == 0, "grant: %s", strerror(rc));
	/* Its neighbour is in the table but not granted. */
	TEST_CHECK(gnttab_end_access(ref ^ 1) == -EINVAL, "ending ref %u, never granted", ref ^ 1);
	TEST_CHECK(gnttab_end_access(ref) == 0, "ending ref %u", ref);
	TEST_CHECK(gnttab_end_access(ref) == -EINVAL, "ending ref %u a second time", ref);
	TEST_CHECK(gnttab_grant_page(BACKEND_DOMAIN, (char *)page + 1, false, &again) == -EINVAL,
		   "granting an address that is not page aligned");
	TEST_CHECK(gnttab_grant_page(DOMID_SELF, page, false, &again) == -EINVAL,
		   "granting to DOMID_SELF");
	/* The free list survived: two grants get two references. */
	TEST_CHECK(gnttab_grant_page(BACKEND_DOMAIN, page, false, &ref) == 0 &&
		   gnttab_grant_page(BACKEND_DOMAIN, page, false, &again) == 0 && ref != again,
		   "two grants after the bad calls: refs %u and %u", ref, again);
	printf("bad references refused; dump with two grants in use:\n");
	gnttab_dump();
	gnttab_end_access(ref);
	gnttab_end_access(again);
	check_back_to_baseline("the bad calls");
}

int app_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	gnttab_stats(&baseline);
	printf("grant table: %u of %u frames, %u references, %u in use\n", baseline.frames,
	       baseline.max_frames, baseline.capacity, baseline.in_use);
	page = page_alloc(1);
	if (page == NULL)
		test_finish(TEST_ERROR);
	memset(page, 0x5a, PAGE_SIZE);
	grant_and_end_in_a_loop();
	grow_past_the_first_frames();
	fill_to_the_maximum();
	refuse_bad_references();
	test_finish_checked();
}
