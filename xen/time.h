/*
 * Time from Xen: monotonic system time from the pvclock, wall-clock time, and the one-shot
 * timer (public/xen.h, "vcpu_time_info" and "shared_info"; public/vcpu.h).
 */
#ifndef XEN_TIME_H
#define XEN_TIME_H

#include <stdint.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL
#define TIME_NEVER    UINT64_MAX

/* Stop Xen's default periodic tick and bind VIRQ_TIMER, so the timer fires only when asked. */
int time_init(void);

/* Xen system time: nanoseconds since the host booted, monotonic. 0 before time_init(). */
uint64_t time_now(void);

/* Nanoseconds that `tsc_ticks` cycles of this vCPU's TSC take. */
uint64_t time_tsc_to_ns(uint64_t tsc_ticks);

struct wall_time {
	uint64_t seconds;       /* since 1970-01-01 00:00 UTC */
	uint32_t nanoseconds;
};
void time_wall_clock(struct wall_time *out);

/* Ask for VIRQ_TIMER once system time reaches `deadline` (TIME_NEVER cancels). */
void time_set_timer(uint64_t deadline);

/* VIRQ_TIMER events so far. */
uint64_t time_timer_events(void);

#endif
