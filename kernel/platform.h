/*
 * What the scheduler (kernel/sched.c) needs from the platform under it. On Xen that is event
 * channels, the one-shot timer and SCHEDOP_block (xen/platform.c); the hosted build, where the
 * same threads and network stack run as a Linux process, implements it with poll().
 *
 * "Events" are whatever can make a waiting thread's condition true from outside the threads:
 * event-channel upcalls on Xen, file descriptors becoming ready in a Linux process.
 */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include <stdint.h>
#include <stdbool.h>

/* Hold back event delivery (returns whether it was already held back), and let it go again. */
bool platform_events_block(void);
void platform_events_enable(void);
bool platform_events_blocked(void);

/*
 * Called with events held back, after every thread's condition was found false: sleep until
 * an event arrives or system time reaches `deadline` (TIME_NEVER: no deadline). An event that
 * arrived after events were held back must end the sleep at once; that is what makes a lost
 * wake-up impossible. Returns with events enabled.
 */
void platform_idle(uint64_t deadline);

/* Unmap the page under a thread's stack (guard = true), or map it back. */
void platform_guard_page(void *page, bool guard);

#endif
