/*
 * Event channels: Xen's virtual interrupts (public/event_channel.h).
 *
 * A port is one end of a channel. It can be bound to a VIRQ (a virtual interrupt from Xen,
 * such as the timer), to a port of another domain (an "interdomain" channel, which is how
 * split drivers signal their backends), or left unbound for another domain to connect to.
 * Sending on a port sets the pending bit of the other end; Xen then calls our upcall, which
 * runs the handler registered for each pending port.
 *
 * Handlers run in event context: events are masked, and they must not block. Mote's handlers
 * only note that something happened; the code that waits (kernel/sched.h) does the work.
 */
#ifndef XEN_EVTCHN_H
#define XEN_EVTCHN_H

#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

/* Ports above this cannot have a handler. Xen hands out the lowest free port first, and a
 * unikernel uses a few dozen, so this is far more than needed. */
#define EVTCHN_MAX_PORTS 1024

typedef void (*evtchn_handler_t)(evtchn_port_t port, void *arg);

/* Map shared_info and get ready to dispatch. Upcalls stay blocked until evtchn_enable_upcalls(). */
int evtchn_init(const start_info_t *start_info);

/* The shared_info page (NULL before evtchn_init). */
shared_info_t *evtchn_shared_info(void);

/* Attach `handler` to a port that already exists (e.g. the console's, from start_info). */
int evtchn_bind(evtchn_port_t port, evtchn_handler_t handler, void *arg);

/* Bind a VIRQ (public/xen.h, VIRQ_*) of vCPU 0 to a new port. */
int evtchn_bind_virq(uint32_t virq, evtchn_handler_t handler, void *arg, evtchn_port_t *port);

/* A new port that domain `remote` may connect to (how a frontend offers a channel). */
int evtchn_alloc_unbound(domid_t remote, evtchn_handler_t handler, void *arg,
			 evtchn_port_t *port);

/* Connect to port `remote_port` of domain `remote`. */
int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
			    evtchn_handler_t handler, void *arg, evtchn_port_t *port);

/* Close the port and forget its handler. */
void evtchn_unbind(evtchn_port_t port);

/* Signal the other end. */
int evtchn_notify(evtchn_port_t port);

/* A masked port still becomes pending, but its handler runs only once it is unmasked. */
void evtchn_mask(evtchn_port_t port);
void evtchn_unmask(evtchn_port_t port);
bool evtchn_is_pending(evtchn_port_t port);
bool evtchn_is_masked(evtchn_port_t port);

/*
 * Wait, without taking upcalls, until `port` is pending or system time passes `deadline` (ns,
 * 0 = no deadline); clears the pending bit. For code that cannot take upcalls, like the console
 * when it waits for ring space. Returns 0, or -ETIMEDOUT.
 */
int evtchn_poll(evtchn_port_t port, uint64_t deadline);

/*
 * Event delivery on this vCPU, the PV equivalent of cli/sti: Xen delivers no upcall while
 * vcpu_info->evtchn_upcall_mask is set. block returns the previous state for restore.
 */
bool evtchn_block_upcalls(void);
void evtchn_restore_upcalls(bool were_blocked);
void evtchn_enable_upcalls(void);
bool evtchn_upcalls_blocked(void);

struct evtchn_stats {
	uint64_t upcalls;       /* times Xen entered the upcall */
	uint64_t events;        /* handlers run */
	uint64_t spurious;      /* pending ports without a handler */
	unsigned int bound;     /* ports with a handler */
};
void evtchn_stats(struct evtchn_stats *out);

/* Print every bound port with its handler, mask and pending bits, and event count. */
void evtchn_dump(void);

#endif
