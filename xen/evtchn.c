/*
 * Event channels with the 2-level ABI (public/event_channel.h, public/xen.h "shared_info").
 * Implements xen/evtchn.h.
 *
 * The 2-level ABI keeps its state in the shared_info page that Xen and the guest both map:
 *   evtchn_pending[w], bit b  port 64 * w + b has an event (Xen sets it; we clear it)
 *   evtchn_mask[w], bit b     do not call the upcall for that port
 *   vcpu_info.evtchn_pending_sel   which words of evtchn_pending may have bits set (level 1)
 *   vcpu_info.evtchn_upcall_pending   "look at the selector" (level 0)
 * Xen sets them top-down (port, selector, upcall_pending) and then enters our upcall unless
 * vcpu_info.evtchn_upcall_mask is set. We clear them in the same order, so an event that
 * arrives while we scan is never lost: it sets its bits again and Xen upcalls once more.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>
#include "xen/evtchn.h"
#include "xen/hypercall.h"
#include "xen/time.h"
#include "xen/console.h"
#include "kernel/mm.h"
#include "kernel/symbols.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/util.h"

struct trap_frame;
void evtchn_do_upcall(struct trap_frame *frame);

#define BITS_PER_WORD 64

struct port_state {
	evtchn_handler_t handler;
	void *arg;
	uint64_t events;
};

static struct {
	shared_info_t *shared;
	struct port_state ports[EVTCHN_MAX_PORTS];
	uint64_t upcalls;
	uint64_t events;
	uint64_t spurious;
	unsigned int bound;
} evtchn;

static vcpu_info_t *vcpu(void)
{
	return &evtchn.shared->vcpu_info[0];
}

int evtchn_init(const start_info_t *start_info)
{
	/* start_info gives the machine address of shared_info; it is Xen's page, not ours,
	 * so it goes in the remap area rather than the linear map. */
	uint64_t mfn = start_info->shared_info >> 12;

	evtchn.shared = mm_map_frames(&mfn, 1, MM_MAP_WRITABLE);
	if (evtchn.shared == NULL)
		return -ENOMEM;
	/* Mask every port until someone binds it, so nothing we do not know about upcalls. */
	for (unsigned int word = 0; word < ARRAY_SIZE(evtchn.shared->evtchn_mask); word++)
		__atomic_store_n(&evtchn.shared->evtchn_mask[word], ~0UL, __ATOMIC_SEQ_CST);
	return 0;
}

shared_info_t *evtchn_shared_info(void)
{
	return evtchn.shared;
}

/* ---- Upcall control ----------------------------------------------------------------------- */

bool evtchn_upcalls_blocked(void)
{
	return READ_ONCE(vcpu()->evtchn_upcall_mask) != 0;
}

bool evtchn_block_upcalls(void)
{
	bool were_blocked = evtchn_upcalls_blocked();

	WRITE_ONCE(vcpu()->evtchn_upcall_mask, 1);
	barrier();
	return were_blocked;
}

void evtchn_enable_upcalls(void)
{
	barrier();
	WRITE_ONCE(vcpu()->evtchn_upcall_mask, 0);
	/* An event that came while blocked is waiting for us; Xen only checks for pending
	 * upcalls on its way back to the guest, so give it a way back: any hypercall will do. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (READ_ONCE(vcpu()->evtchn_upcall_pending))
		hypercall_xen_version(XENVER_version, NULL);
}

void evtchn_restore_upcalls(bool were_blocked)
{
	if (!were_blocked)
		evtchn_enable_upcalls();
}

/* ---- Per-port bits ------------------------------------------------------------------------ */

static unsigned long port_bit(evtchn_port_t port)
{
	return 1UL << (port % BITS_PER_WORD);
}

bool evtchn_is_pending(evtchn_port_t port)
{
	return __atomic_load_n(&evtchn.shared->evtchn_pending[port / BITS_PER_WORD],
			       __ATOMIC_SEQ_CST) & port_bit(port);
}

bool evtchn_is_masked(evtchn_port_t port)
{
	return __atomic_load_n(&evtchn.shared->evtchn_mask[port / BITS_PER_WORD],
			       __ATOMIC_SEQ_CST) & port_bit(port);
}

static void clear_pending(evtchn_port_t port)
{
	__atomic_fetch_and(&evtchn.shared->evtchn_pending[port / BITS_PER_WORD], ~port_bit(port),
			   __ATOMIC_SEQ_CST);
}

void evtchn_mask(evtchn_port_t port)
{
	__atomic_fetch_or(&evtchn.shared->evtchn_mask[port / BITS_PER_WORD], port_bit(port),
			  __ATOMIC_SEQ_CST);
}

/*
 * Unmasking must also deliver an event that became pending while the port was masked. Xen's
 * EVTCHNOP_unmask does exactly that (it sets the selector and upcall bits if the port is
 * pending), so use it rather than repeat that dance here.
 */
void evtchn_unmask(evtchn_port_t port)
{
	struct evtchn_unmask unmask = { .port = port };
	long rc = hypercall_event_channel_op(EVTCHNOP_unmask, &unmask);

	if (rc < 0)
		panic("EVTCHNOP_unmask(%u) failed: %ld", port, rc);
}

int evtchn_notify(evtchn_port_t port)
{
	struct evtchn_send send = { .port = port };

	return (int)hypercall_event_channel_op(EVTCHNOP_send, &send);
}

int evtchn_poll(evtchn_port_t port, uint64_t deadline)
{
	struct sched_poll poll = { .nr_ports = 1, .timeout = deadline };

	set_xen_guest_handle(poll.ports, &port);
	for (;;) {
		if (evtchn.shared != NULL && evtchn_is_pending(port)) {
			clear_pending(port);
			return 0;
		}
		if (deadline != 0 && time_now() >= deadline)
			return -ETIMEDOUT;
		/* Returns when the port is pending, at the deadline, or at once if an upcall
		 * is due (only when upcalls are enabled). Before shared_info is mapped we cannot
		 * see or clear pending bits, so one return is all we can wait for. */
		hypercall_sched_op(SCHEDOP_poll, &poll);
		if (evtchn.shared == NULL)
			return 0;
	}
}

/* ---- Binding ------------------------------------------------------------------------------ */

int evtchn_bind(evtchn_port_t port, evtchn_handler_t handler, void *arg)
{
	if (port >= EVTCHN_MAX_PORTS)
		return -ENOSPC;
	if (evtchn.ports[port].handler != NULL)
		return -EBUSY;
	evtchn.ports[port] = (struct port_state){ .handler = handler, .arg = arg };
	evtchn.bound++;
	clear_pending(port);
	evtchn_unmask(port);
	return 0;
}

static void close_port(evtchn_port_t port)
{
	struct evtchn_close close = { .port = port };

	hypercall_event_channel_op(EVTCHNOP_close, &close);
}

/* Attach the handler to a port Xen just gave us; close the port again if we cannot. */
static int bind_new_port(evtchn_port_t new_port, evtchn_handler_t handler, void *arg,
			 evtchn_port_t *port)
{
	int rc = evtchn_bind(new_port, handler, arg);

	if (rc < 0) {
		close_port(new_port);
		return rc;
	}
	*port = new_port;
	return 0;
}

int evtchn_bind_virq(uint32_t virq, evtchn_handler_t handler, void *arg, evtchn_port_t *port)
{
	struct evtchn_bind_virq bind = { .virq = virq, .vcpu = 0 };
	long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &bind);

	if (rc < 0)
		return (int)rc;
	return bind_new_port(bind.port, handler, arg, port);
}

int evtchn_alloc_unbound(domid_t remote, evtchn_handler_t handler, void *arg,
			 evtchn_port_t *port)
{
	struct evtchn_alloc_unbound alloc = { .dom = DOMID_SELF, .remote_dom = remote };
	long rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);

	if (rc < 0)
		return (int)rc;
	return bind_new_port(alloc.port, handler, arg, port);
}

int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
			    evtchn_handler_t handler, void *arg, evtchn_port_t *port)
{
	struct evtchn_bind_interdomain bind = { .remote_dom = remote, .remote_port = remote_port };
	long rc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &bind);

	if (rc < 0)
		return (int)rc;
	return bind_new_port(bind.local_port, handler, arg, port);
}

void evtchn_unbind(evtchn_port_t port)
{
	if (port < EVTCHN_MAX_PORTS && evtchn.ports[port].handler != NULL) {
		evtchn_mask(port);
		evtchn.ports[port] = (struct port_state){ 0 };
		evtchn.bound--;
	}
	close_port(port);
}

/* ---- The upcall --------------------------------------------------------------------------- */

/* Called from hypervisor_callback (entry.S) with upcalls blocked. */
void evtchn_do_upcall(struct trap_frame *frame)
{
	vcpu_info_t *info = vcpu();
	unsigned long selector;

	(void)frame;
	evtchn.upcalls++;
	WRITE_ONCE(info->evtchn_upcall_pending, 0);
	/* The exchange is a full barrier: clear level 0 before reading level 1. */
	selector = __atomic_exchange_n(&info->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (selector != 0) {
		unsigned int word = (unsigned int)__builtin_ctzl(selector);
		unsigned long pending;

		selector &= selector - 1;
		while ((pending = __atomic_load_n(&evtchn.shared->evtchn_pending[word], __ATOMIC_SEQ_CST) &
				  ~__atomic_load_n(&evtchn.shared->evtchn_mask[word], __ATOMIC_SEQ_CST)) != 0) {
			evtchn_port_t port = word * BITS_PER_WORD + (unsigned int)__builtin_ctzl(pending);
			struct port_state *state;

			/* Clear before handling, so an event during the handler is seen again. */
			clear_pending(port);
			if (port >= EVTCHN_MAX_PORTS || evtchn.ports[port].handler == NULL) {
				evtchn.spurious++;
				continue;
			}
			state = &evtchn.ports[port];
			state->events++;
			evtchn.events++;
			state->handler(port, state->arg);
		}
	}
}

void evtchn_stats(struct evtchn_stats *out)
{
	out->upcalls = evtchn.upcalls;
	out->events = evtchn.events;
	out->spurious = evtchn.spurious;
	out->bound = evtchn.bound;
}

void evtchn_dump(void)
{
	printf("event channels: %u bound, %lu upcalls, %lu events, %lu spurious, upcalls %s\n",
	       evtchn.bound, (unsigned long)evtchn.upcalls, (unsigned long)evtchn.events,
	       (unsigned long)evtchn.spurious, evtchn_upcalls_blocked() ? "blocked" : "enabled");
	for (evtchn_port_t port = 0; port < EVTCHN_MAX_PORTS; port++) {
		const struct port_state *state = &evtchn.ports[port];
		uint64_t offset = 0;
		const char *name;

		if (state->handler == NULL)
			continue;
		name = symbol_lookup((uint64_t)(uintptr_t)state->handler, &offset);
		printf("  port %4u  %-24s events %-8lu%s%s\n", port, name != NULL ? name : "?",
		       (unsigned long)state->events, evtchn_is_masked(port) ? " masked" : "",
		       evtchn_is_pending(port) ? " pending" : "");
	}
}
