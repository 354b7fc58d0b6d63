/*
 * Blocking without lost wake-ups (kernel/sched.h).
 *
 * The classic race: check a condition, find it false, and go to sleep -- but the event that
 * would have made it true arrived between the check and the sleep, so we sleep forever. Xen's
 * SCHEDOP_block (public/sched.h) is built to close it: it unblocks upcalls and blocks the
 * vCPU as one step, and returns at once if an event is already pending. So we block upcalls,
 * check, and only then block: any event after the check is pending, not lost.
 */
#include <stdint.h>
#include <stdbool.h>
#include <xen/sched.h>
#include "kernel/sched.h"
#include "xen/evtchn.h"
#include "xen/time.h"
#include "xen/hypercall.h"
#include "lib/errno.h"
#include "lib/panic.h"

static struct {
	uint64_t blocks;
} sched;

int sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline)
{
	/* SCHEDOP_block enables upcalls; doing that inside an event handler would nest them. */
	if (evtchn_upcalls_blocked())
		panic("sched_wait with upcalls blocked (called from an event handler?)");

	for (;;) {
		evtchn_block_upcalls();
		if (condition(arg)) {
			evtchn_enable_upcalls();
			return 0;
		}
		if (deadline != TIME_NEVER && time_now() >= deadline) {
			evtchn_enable_upcalls();
			return -ETIMEDOUT;
		}
		time_set_timer(deadline);
		sched.blocks++;
		/* Returns with upcalls enabled; the pending upcall runs right after it. */
		hypercall_sched_op(SCHEDOP_block, NULL);
	}
}

static bool deadline_passed(void *arg)
{
	return time_now() >= *(const uint64_t *)arg;
}

void sched_sleep(uint64_t nanoseconds)
{
	uint64_t deadline = time_now() + nanoseconds;

	sched_wait(deadline_passed, &deadline, deadline);
}

uint64_t sched_blocks(void)
{
	return sched.blocks;
}
