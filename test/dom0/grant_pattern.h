/*
 * test/dom0/grant_pattern.h: the page contents that the grant-map boot test passes between the
 * guest (test/guest/grant_map.c, in Mote) and dom0 (test/dom0/gntmap.c, in Linux). Both sides
 * include this file, so they cannot disagree on what a page should hold.
 *
 * Word i of a page with pattern `seed` is seed << 48 ^ i * (2^64 / golden ratio): different for
 * every word and every seed, so a page from the wrong frame, or a half-written one, shows.
 */
#ifndef TEST_DOM0_GRANT_PATTERN_H
#define TEST_DOM0_GRANT_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRANT_PAGE_SIZE 4096
#define GRANT_PAGE_WORDS (GRANT_PAGE_SIZE / sizeof(uint64_t))

#define GRANT_PATTERN_READONLY 0x524fu   /* the guest's read-only page */
#define GRANT_PATTERN_READWRITE 0x5257u  /* the guest's read-write page, before dom0 writes */
#define GRANT_PATTERN_REPLY 0x3044u      /* what dom0 writes into the read-write page */

static inline uint64_t grant_pattern_word(uint64_t seed, size_t index)
{
	return seed << 48 ^ index * 0x9e3779b97f4a7c15ULL;
}

static inline void grant_pattern_fill(volatile uint64_t *page, uint64_t seed)
{
	for (size_t i = 0; i < GRANT_PAGE_WORDS; i++)
		page[i] = grant_pattern_word(seed, i);
}

/* The number of words that differ from the pattern: 0 means the page is exactly right. */
static inline size_t grant_pattern_mismatches(const volatile uint64_t *page, uint64_t seed)
{
	size_t wrong = 0;

	for (size_t i = 0; i < GRANT_PAGE_WORDS; i++)
		wrong += page[i] != grant_pattern_word(seed, i);
	return wrong;
}

#endif
