/*
 * test/unit/kernel_fakes.h: the kernel services that host unit tests and fuzz targets link
 * against: a clock that only moves when a test moves it, a sched_wait that never sleeps, no
 * threads, and a network interface that records what the stack transmits.
 */
#ifndef MOTE_TEST_UNIT_KERNEL_FAKES_H
#define MOTE_TEST_UNIT_KERNEL_FAKES_H

#include <stdbool.h>
#include <stdint.h>
#include "net/netif.h"

struct thread;

/*
 * A test that needs a different kernel underneath installs its own versions of these (and
 * clears them when done); NULL members keep the defaults. test_xenstore.c, for one, runs a
 * fake xenstored wherever the kernel would run other threads.
 */
struct fake_kernel_ops {
	uint64_t (*time_now)(void);
	int (*sched_wait)(bool (*condition)(void *arg), void *arg, uint64_t deadline);
	struct thread *(*thread_create)(const char *name, void (*entry)(void *arg), void *arg);
};
extern const struct fake_kernel_ops *fake_kernel_ops;

/* The fake clock behind time_now(): starts at 1 s, moves only when told. */
void fake_clock_set(uint64_t now);
void fake_clock_advance(uint64_t nanoseconds);

/*
 * If set, sched_wait calls this before it checks the condition: a test's stand-in for the
 * other threads and the network, e.g. the peer answering a SYN while tcp_connect waits.
 */
extern void (*fake_sched_hook)(void *context);
extern void *fake_sched_hook_context;

/*
 * A netif whose transmit() keeps copies of the frames (up to FAKE_NETIF_FRAMES, then drops
 * the oldest) and whose poll() does nothing. The MAC is 02:00:00:00:00:01, the MTU 1500.
 */
#define FAKE_NETIF_FRAMES 64
struct fake_netif {
	struct netif netif;
	uint8_t frames[FAKE_NETIF_FRAMES][2048];
	size_t lengths[FAKE_NETIF_FRAMES];
	unsigned int count;             /* frames kept; the newest is frames[count - 1] */
	unsigned int transmitted;       /* all frames ever */
};

void fake_netif_init(struct fake_netif *fake, unsigned int features);
void fake_netif_clear(struct fake_netif *fake);

#endif
