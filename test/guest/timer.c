/*
 * Boot test: time. The pvclock must be monotonic, the wall clock plausible, a sleep must never
 * return early, the timer VIRQ must actually fire, and sleeping must block the vCPU in Xen.
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "kernel/sched.h"
#include "xen/time.h"

int app_main(int argc, char **argv)
{
	static const uint64_t sleeps[] = { 1 * NSEC_PER_MSEC, 10 * NSEC_PER_MSEC,
					   50 * NSEC_PER_MSEC, 200 * NSEC_PER_MSEC };
	uint64_t last = time_now(), backwards = 0, timer_before;
	struct sched_stats before, after;
	struct wall_time wall;

	(void)argc;
	(void)argv;
	for (int i = 0; i < 100000; i++) {
		uint64_t now = time_now();

		backwards += now < last;
		last = now;
	}
	TEST_CHECK(backwards == 0, "the pvclock went backwards %lu times", (unsigned long)backwards);

	time_wall_clock(&wall);
	/* 2020-01-01 and 2100-01-01: a clock outside this range is not set or not read right. */
	TEST_CHECK(wall.seconds > 1577836800 && wall.seconds < 4102444800,
		   "wall clock says %lu s since 1970", (unsigned long)wall.seconds);
	printf("wall clock: %lu.%09u s since 1970\n", (unsigned long)wall.seconds, wall.nanoseconds);

	sched_stats(&before);
	for (unsigned int i = 0; i < sizeof(sleeps) / sizeof(sleeps[0]); i++) {
		uint64_t start = time_now(), slept;

		timer_before = time_timer_events();
		sched_sleep(sleeps[i]);
		slept = time_now() - start;
		printf("sleep %lu us: took %lu us, %lu timer events\n",
		       (unsigned long)(sleeps[i] / NSEC_PER_USEC), (unsigned long)(slept / NSEC_PER_USEC),
		       (unsigned long)(time_timer_events() - timer_before));
		TEST_CHECK(slept >= sleeps[i], "sleep of %lu ns returned after %lu ns",
			   (unsigned long)sleeps[i], (unsigned long)slept);
		/* A short sleep may be over before the vCPU blocks (emulation is slow); a long one
		 * must have been ended by the timer. */
		if (sleeps[i] >= 50 * NSEC_PER_MSEC)
			TEST_CHECK(time_timer_events() > timer_before, "no timer event during a %lu ms sleep",
				   (unsigned long)(sleeps[i] / NSEC_PER_MSEC));
	}
	sched_stats(&after);
	printf("blocks in Xen: %lu\n", (unsigned long)(after.blocks - before.blocks));
	TEST_CHECK(after.blocks - before.blocks >= 2, "sleeping did not block the vCPU");
	test_finish_checked();
}
