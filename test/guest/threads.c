/*
 * Boot test: cooperative threads. Threads that sleep at the same time overlap; a condition set
 * by one thread wakes another; a thread that exits frees its stack; many threads take turns.
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "kernel/sched.h"
#include "xen/time.h"
#include "lib/page_alloc.h"

#define SLEEPERS 5
#define SLEEP (100 * NSEC_PER_MSEC)

static volatile unsigned int finished;

static void sleeper(void *arg)
{
	(void)arg;
	sched_sleep(SLEEP);
	finished++;
}

static bool all_finished(void *arg)
{
	return finished == *(unsigned int *)arg;
}

/* Ping-pong: two threads take turns through a shared counter, each waiting for its parity. */
static volatile unsigned int turn;
#define ROUNDS 1000

static bool my_turn(void *arg)
{
	return turn % 2 == (uintptr_t)arg || turn >= 2 * ROUNDS;
}

static void player(void *arg)
{
	while (turn < 2 * ROUNDS) {
		sched_wait(my_turn, arg, TIME_NEVER);
		if (turn < 2 * ROUNDS)
			turn++;
	}
	finished++;
}

int app_main(int argc, char **argv)
{
	struct page_alloc_stats pages_before, pages_after;
	struct sched_stats before, after;
	unsigned int expected;
	uint64_t start, took;
	int rc;

	(void)argc;
	(void)argv;
	test_settle();
	page_alloc_stats(&pages_before);
	sched_stats(&before);

	/* Five threads sleep 100 ms each, at the same time: about 100 ms in all, not 500. */
	start = time_now();
	for (int i = 0; i < SLEEPERS; i++)
		TEST_CHECK(thread_create("sleeper", sleeper, NULL) != NULL, "thread_create failed");
	expected = SLEEPERS;
	rc = sched_wait(all_finished, &expected, start + 5 * NSEC_PER_SEC);
	took = time_now() - start;
	TEST_CHECK(rc == 0, "only %u of %u sleepers finished", finished, SLEEPERS);
	printf("%d threads slept %lu ms each; all done after %lu ms\n", SLEEPERS,
	       (unsigned long)(SLEEP / NSEC_PER_MSEC), (unsigned long)(took / NSEC_PER_MSEC));
	TEST_CHECK(took >= SLEEP && took < 2 * SLEEP, "sleeps did not overlap: %lu ms",
		   (unsigned long)(took / NSEC_PER_MSEC));

	/* Two threads hand the turn back and forth 2000 times. */
	finished = 0;
	thread_create("ping", player, (void *)0);
	thread_create("pong", player, (void *)1);
	expected = 2;
	rc = sched_wait(all_finished, &expected, time_now() + 10 * NSEC_PER_SEC);
	TEST_CHECK(rc == 0 && turn == 2 * ROUNDS, "ping-pong stopped at turn %u", turn);
	printf("ping-pong: %u turns\n", turn);

	/* Let the last thread's stack be freed (it is freed by the next thread to run). */
	sched_yield();
	sched_stats(&after);
	page_alloc_stats(&pages_after);
	TEST_CHECK(after.threads == before.threads, "%u threads left, %u before", after.threads, before.threads);
	TEST_CHECK(pages_after.free_pages == pages_before.free_pages,
		   "%lu pages free, was %lu: thread stacks leaked",
		   (unsigned long)pages_after.free_pages, (unsigned long)pages_before.free_pages);
	printf("switches: %lu, blocks in Xen: %lu\n", (unsigned long)(after.switches - before.switches),
	       (unsigned long)(after.blocks - before.blocks));
	sched_dump();
	test_finish_checked();
}
