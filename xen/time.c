/*
 * Time: the pvclock, wall-clock time and the one-shot timer. Implements xen/time.h.
 *
 * The pvclock (public/xen.h, struct vcpu_time_info) lets the guest compute Xen's system time
 * without a hypercall. Xen publishes a snapshot -- system_time at TSC value tsc_timestamp --
 * plus a scale (tsc_to_system_mul, tsc_shift) from TSC ticks to nanoseconds. Then
 *     now = system_time + ((rdtsc() - tsc_timestamp) << tsc_shift) * tsc_to_system_mul >> 32
 * (a negative shift means shift right). Xen updates the snapshot while we may be reading it;
 * it makes `version` odd during an update, so a reader retries until it read the same even
 * version before and after.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/vcpu.h>
#include "xen/time.h"
#include "xen/evtchn.h"
#include "xen/hypercall.h"
#include "kernel/arch.h"
#include "lib/util.h"
#include "lib/panic.h"

static struct {
	const struct vcpu_time_info *clock;
	evtchn_port_t timer_port;
	uint64_t timer_events;
} time_state;

struct pvclock_snapshot {
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
};

static void read_snapshot(struct pvclock_snapshot *out, uint64_t *tsc)
{
	const volatile struct vcpu_time_info *clock = time_state.clock;
	uint32_t version;

	do {
		version = clock->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		out->tsc_timestamp = clock->tsc_timestamp;
		out->system_time = clock->system_time;
		out->mul = clock->tsc_to_system_mul;
		out->shift = clock->tsc_shift;
		if (tsc != NULL)
			*tsc = arch_read_tsc();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) != 0 || version != clock->version);
}

static uint64_t scale(uint64_t ticks, const struct pvclock_snapshot *snapshot)
{
	if (snapshot->shift < 0)
		ticks >>= -snapshot->shift;
	else
		ticks <<= snapshot->shift;
	/* A 64x32-bit product needs 96 bits before the shift. */
	return (uint64_t)(((unsigned __int128)ticks * snapshot->mul) >> 32);
}

uint64_t time_now(void)
{
	struct pvclock_snapshot snapshot;
	uint64_t tsc;

	/* Before time_init there is no clock; callers treat 0 as "no time yet". */
	if (time_state.clock == NULL)
		return 0;
	read_snapshot(&snapshot, &tsc);
	return snapshot.system_time + scale(tsc - snapshot.tsc_timestamp, &snapshot);
}

uint64_t time_tsc_to_ns(uint64_t tsc_ticks)
{
	struct pvclock_snapshot snapshot;

	read_snapshot(&snapshot, NULL);
	return scale(tsc_ticks, &snapshot);
}

/*
 * shared_info holds the wall-clock time at system time 0, guarded by wc_version like the
 * pvclock. Adding system time gives the time now.
 */
void time_wall_clock(struct wall_time *out)
{
	const volatile shared_info_t *shared = evtchn_shared_info();
	uint32_t version, nanoseconds;
	uint64_t seconds, now;

	do {
		version = shared->wc_version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		seconds = ((uint64_t)shared->wc_sec_hi << 32) | shared->wc_sec;
		nanoseconds = shared->wc_nsec;
		now = time_now();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) != 0 || version != shared->wc_version);

	now += nanoseconds;
	out->seconds = seconds + now / NSEC_PER_SEC;
	out->nanoseconds = (uint32_t)(now % NSEC_PER_SEC);
}

/* The timer's only job is to end SCHEDOP_block; waiters check the clock themselves. */
static void timer_event(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	time_state.timer_events++;
}

void time_set_timer(uint64_t deadline)
{
	/* set_timer_op takes absolute system time; 0 cancels. A deadline already in the past
	 * fires at once, which is what a waiter wants. */
	long rc = hypercall_set_timer_op(deadline == TIME_NEVER ? 0 : deadline);

	if (rc < 0)
		panic("set_timer_op(%lu) failed: %ld", (unsigned long)deadline, rc);
}

uint64_t time_timer_events(void)
{
	return time_state.timer_events;
}

int time_init(void)
{
	int rc;

	time_state.clock = &evtchn_shared_info()->vcpu_info[0].time;
	/* PV vCPUs start with a 100 Hz tick. An idle unikernel should not wake up at all, so
	 * stop it and use the one-shot timer for every deadline instead. */
	rc = (int)hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
	if (rc < 0)
		return rc;
	return evtchn_bind_virq(VIRQ_TIMER, timer_event, NULL, &time_state.timer_port);
}
