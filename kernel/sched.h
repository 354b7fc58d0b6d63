/*
 * Waiting: how Mote sleeps until something happens. A waiter gives a condition and a deadline;
 * the vCPU blocks in Xen (SCHEDOP_block) until an event arrives, and checks again. An idle
 * Mote therefore uses no CPU at all.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdint.h>
#include <stdbool.h>

/*
 * Return 0 once condition(arg) is true, or -ETIMEDOUT once system time reaches `deadline`
 * (TIME_NEVER for none). The condition is checked with upcalls blocked, so an event that
 * makes it true can never slip in between the check and the block.
 */
int sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline);

/* Sleep for at least `nanoseconds`. */
void sched_sleep(uint64_t nanoseconds);

/* Times the vCPU blocked in Xen. */
uint64_t sched_blocks(void);

#endif
