/*
 * test/unit/kernel_fakes.c: the kernel services host tests link against (see kernel_fakes.h).
 * sched_wait checks its condition once and never waits: a test that needs something to
 * happen first makes it happen, then calls again.
 */
#include <stdbool.h>
#include "test/unit/kernel_fakes.h"
#include "kernel/sched.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/util.h"

static uint64_t fake_now = NSEC_PER_SEC;

const struct fake_kernel_ops *fake_kernel_ops;

uint64_t time_now(void)
{
	if (fake_kernel_ops != NULL && fake_kernel_ops->time_now != NULL)
		return fake_kernel_ops->time_now();
	return fake_now;
}

void fake_clock_set(uint64_t now)
{
	fake_now = now;
}

void fake_clock_advance(uint64_t nanoseconds)
{
	fake_now += nanoseconds;
}

void (*fake_sched_hook)(void *context);
void *fake_sched_hook_context;

int sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline)
{
	if (fake_kernel_ops != NULL && fake_kernel_ops->sched_wait != NULL)
		return fake_kernel_ops->sched_wait(condition, arg, deadline);
	if (fake_sched_hook != NULL)
		fake_sched_hook(fake_sched_hook_context);
	return condition(arg) ? 0 : -ETIMEDOUT;
}

/* The stack starts threads (net, dhcp) only in net_start and dhcp_start; tests do not. */
struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
	if (fake_kernel_ops != NULL && fake_kernel_ops->thread_create != NULL)
		return fake_kernel_ops->thread_create(name, entry, arg);
	(void)name;
	(void)entry;
	(void)arg;
	return NULL;
}

int netif_platform_open(struct netif **interfaces, int max)
{
	(void)interfaces;
	(void)max;
	return 0;
}

static int fake_transmit(struct netif *netif, struct netbuf *frame)
{
	struct fake_netif *fake = container_of(netif, struct fake_netif, netif);
	size_t length = netbuf_chain_length(frame);

	if (fake->count == FAKE_NETIF_FRAMES) {
		memmove(fake->frames[0], fake->frames[1], sizeof(fake->frames[0]) * (FAKE_NETIF_FRAMES - 1));
		memmove(fake->lengths, fake->lengths + 1, sizeof(fake->lengths[0]) * (FAKE_NETIF_FRAMES - 1));
		fake->count--;
	}
	if (length > sizeof(fake->frames[0]))
		length = sizeof(fake->frames[0]);
	/* A device with checksum offload would finish the checksum; so do we, to check it. */
	if (frame->flags & NETBUF_CSUM_PARTIAL) {
		frame = netbuf_linearize(frame);
		netif_finish_checksum(frame);
	}
	netbuf_copy_out(frame, 0, fake->frames[fake->count], length);
	fake->lengths[fake->count++] = length;
	fake->transmitted++;
	netbuf_free(frame);
	return 0;
}

static int fake_poll(struct netif *netif, int budget)
{
	(void)netif;
	(void)budget;
	return 0;
}

static const struct netif_ops fake_ops = { .transmit = fake_transmit, .poll = fake_poll };

void fake_netif_init(struct fake_netif *fake, unsigned int features)
{
	static const uint8_t mac[ETH_ADDRESS_LEN] = { 0x02, 0, 0, 0, 0, 0x01 };

	memset(fake, 0, sizeof(*fake));
	memcpy(fake->netif.name, "fake0", 6);
	memcpy(fake->netif.mac, mac, sizeof(mac));
	fake->netif.mtu = 1500;
	fake->netif.features = features;
	fake->netif.ops = &fake_ops;
}

void fake_netif_clear(struct fake_netif *fake)
{
	fake->count = 0;
}
