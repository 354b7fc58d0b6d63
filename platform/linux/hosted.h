/*
 * platform/linux/hosted.h: the hosted platform, where Mote's threads, network stack and app
 * run as one Linux process on TAP devices instead of a Xen guest on netfront. It implements
 * what the Xen platform does for the rest of Mote: kernel/platform.h (the scheduler's
 * events and idling, with poll()), xen/time.h's clock, the console (glibc's stdout), panic,
 * and net/netif.h's netif_platform_open (the TAP driver).
 *
 * "Events" here are file descriptors becoming ready. A driver registers its descriptor with
 * a handler; the handler runs when poll() says the descriptor is ready and, like an event
 * handler on Xen, only notes that there is work (netif_notify).
 */
#ifndef PLATFORM_LINUX_HOSTED_H
#define PLATFORM_LINUX_HOSTED_H

#include <stdbool.h>

#define HOSTED_MAX_TAPS 4
#define HOSTED_MAX_DISKS 4

/* What main() read from the command line before it passed the rest to app_main. */
struct hosted_options {
	const char *taps[HOSTED_MAX_TAPS];      /* --tap NAME, repeatable; else $MOTE_TAP */
	int tap_count;
	bool offload;                           /* checksum offload on TAP (--no-offload: off) */
	unsigned long memory_mib;               /* --memory MiB: the page allocator's region */
	unsigned int loss_percent;              /* --loss P: drop P% of frames each way (tests) */
	const char *disks[HOSTED_MAX_DISKS];    /* --disk FILE, repeatable (platform/linux/disk.c) */
	int disk_count;
};

const struct hosted_options *hosted_options(void);

/*
 * Call handler(arg) whenever `fd` is readable. Returns 0, or -ENOSPC when the table of
 * watched descriptors is full.
 */
int hosted_watch_fd(int fd, void (*handler)(void *arg), void *arg);

#endif
