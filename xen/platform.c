/*
 * The scheduler's platform on Xen (kernel/platform.h): events are event-channel upcalls, and
 * idling is SCHEDOP_block with the one-shot timer armed for the next deadline.
 */
#include <stdint.h>
#include <stdbool.h>
#include <xen/sched.h>
#include "kernel/platform.h"
#include "kernel/mm.h"
#include "xen/evtchn.h"
#include "xen/hypercall.h"
#include "xen/time.h"

bool platform_events_block(void)
{
	return evtchn_block_upcalls();
}

void platform_events_enable(void)
{
	evtchn_enable_upcalls();
}

bool platform_events_blocked(void)
{
	return evtchn_upcalls_blocked();
}

/*
 * SCHEDOP_block (public/sched.h) unblocks upcalls and blocks the vCPU as one step, and
 * returns at once if an event is already pending: an event after the caller's last check is
 * pending, not lost. It returns with upcalls enabled, and the pending upcall runs right after.
 */
void platform_idle(uint64_t deadline)
{
	time_set_timer(deadline);
	hypercall_sched_op(SCHEDOP_block, NULL);
}

void platform_guard_page(void *page, bool guard)
{
	mm_set_guard_page(page, guard);
}
