/*
 * platform/linux/platform.c: the scheduler's platform (kernel/platform.h) and the clock
 * (xen/time.h) for the hosted target.
 *
 * On Xen, an event can arrive at any instruction; here, events are descriptors that poll()
 * reports ready, and their handlers run only where this file calls them: when every thread
 * waits (platform_idle), and, so that a thread that never waits cannot starve the network,
 * once every OPPORTUNISTIC_POLL_EVERY times the scheduler looks for the next thread
 * (platform_events_block). Either way a handler runs between two threads, never inside
 * one, which is all that "events held back" has to guarantee.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include "platform/linux/hosted.h"
#include "kernel/platform.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/page_alloc.h"
#include "lib/panic.h"

#define MAX_WATCHED 8
#define OPPORTUNISTIC_POLL_EVERY 64        /* scheduler passes between looks at the fds */

static struct {
	struct pollfd fds[MAX_WATCHED];
	void (*handlers[MAX_WATCHED])(void *arg);
	void *args[MAX_WATCHED];
	int count;
	bool blocked;
	unsigned int blocks_since_poll;
} events;

uint64_t time_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
}

void time_wall_clock(struct wall_time *out)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	out->seconds = (uint64_t)now.tv_sec;
	out->nanoseconds = (uint32_t)now.tv_nsec;
}

int hosted_watch_fd(int fd, void (*handler)(void *arg), void *arg)
{
	if (events.count == MAX_WATCHED)
		return -ENOSPC;
	events.fds[events.count] = (struct pollfd){ .fd = fd, .events = POLLIN };
	events.handlers[events.count] = handler;
	events.args[events.count] = arg;
	events.count++;
	return 0;
}

/* Wait up to `timeout` (NULL: forever) for descriptors, then run the ready ones' handlers. */
static void poll_and_dispatch(const struct timespec *timeout)
{
	int ready = ppoll(events.fds, (nfds_t)events.count, timeout, NULL);

	events.blocks_since_poll = 0;
	if (ready < 0) {
		if (errno == EINTR)
			return;
		panic("ppoll failed: errno %d", errno);
	}
	for (int i = 0; i < events.count && ready > 0; i++) {
		if (events.fds[i].revents == 0)
			continue;
		ready--;
		/*
		 * An error or hang-up (the TAP device was deleted) stays reported for ever: stop
		 * watching the descriptor, or every poll would return at once and spin. The
		 * handler runs one last time, so the driver meets the error on its next read.
		 */
		if (events.fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			fprintf(stderr, "platform: descriptor %d failed; no longer watched\n",
				events.fds[i].fd);
			events.fds[i].fd = -1;  /* ppoll skips negative descriptors */
		}
		events.handlers[i](events.args[i]);
	}
}

bool platform_events_block(void)
{
	bool was_blocked = events.blocked;

	/*
	 * Counting calls, not reading the clock, decides when to look: on some virtual
	 * machines every clock_gettime is a system call.
	 */
	if (!was_blocked && ++events.blocks_since_poll >= OPPORTUNISTIC_POLL_EVERY) {
		static const struct timespec zero = { 0, 0 };

		poll_and_dispatch(&zero);
	}
	events.blocked = true;
	return was_blocked;
}

void platform_events_enable(void)
{
	events.blocked = false;
}

bool platform_events_blocked(void)
{
	return events.blocked;
}

void platform_idle(uint64_t deadline)
{
	uint64_t now = time_now();

	if (deadline == TIME_NEVER) {
		poll_and_dispatch(NULL);
	} else {
		uint64_t wait = deadline > now ? deadline - now : 0;
		struct timespec timeout = { (time_t)(wait / NSEC_PER_SEC),
					    (long)(wait % NSEC_PER_SEC) };

		poll_and_dispatch(&timeout);
	}
	events.blocked = false;
}

void platform_guard_page(void *page, bool guard)
{
	if (mprotect(page, PAGE_SIZE, guard ? PROT_NONE : PROT_READ | PROT_WRITE) != 0)
		panic("mprotect of a stack guard page failed: errno %d", errno);
}
