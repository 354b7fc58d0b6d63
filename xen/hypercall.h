/*
 * Typed wrappers for the hypercalls Mote makes (public/xen.h, "HYPERCALLS").
 *
 * A hypercall is to Xen what a system call is to Linux. How one is made is architecture
 * specific (on x86_64 PV: a call into the hypercall page that Xen filled in at boot), so every
 * wrapper here goes through arch_hypercall(), and this file stays generic. Each returns 0 or
 * a negative Xen errno, which uses Linux's numbers (public/errno.h).
 */
#ifndef XEN_HYPERCALL_H
#define XEN_HYPERCALL_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/version.h>
#include <xen/vcpu.h>
#include <xen/callback.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include "kernel/arch.h"

static inline long hypercall_sched_op(int cmd, void *arg)
{
	return arch_hypercall(__HYPERVISOR_sched_op, cmd, (long)arg, 0, 0, 0);
}

static inline long hypercall_event_channel_op(int cmd, void *arg)
{
	return arch_hypercall(__HYPERVISOR_event_channel_op, cmd, (long)arg, 0, 0, 0);
}

static inline long hypercall_xen_version(int cmd, void *arg)
{
	return arch_hypercall(__HYPERVISOR_xen_version, cmd, (long)arg, 0, 0, 0);
}

/* Arm the one-shot timer: VIRQ_TIMER fires once system time passes `deadline` (ns), 0 cancels. */
static inline long hypercall_set_timer_op(uint64_t deadline)
{
	return arch_hypercall(__HYPERVISOR_set_timer_op, (long)deadline, 0, 0, 0, 0);
}

static inline long hypercall_vcpu_op(int cmd, int vcpu, void *arg)
{
	return arch_hypercall(__HYPERVISOR_vcpu_op, cmd, vcpu, (long)arg, 0, 0);
}

static inline long hypercall_callback_op(int cmd, const void *arg)
{
	return arch_hypercall(__HYPERVISOR_callback_op, cmd, (long)arg, 0, 0, 0);
}

static inline long hypercall_grant_table_op(int cmd, void *arg, unsigned int count)
{
	return arch_hypercall(__HYPERVISOR_grant_table_op, cmd, (long)arg, count, 0, 0);
}

static inline long hypercall_memory_op(int cmd, void *arg)
{
	return arch_hypercall(__HYPERVISOR_memory_op, cmd, (long)arg, 0, 0, 0);
}

static inline long hypercall_console_io(int cmd, int count, const char *buffer)
{
	return arch_hypercall(__HYPERVISOR_console_io, cmd, count, (long)buffer, 0, 0);
}

static inline long hypercall_mmu_update(mmu_update_t *updates, unsigned int count,
					unsigned int *done, domid_t domid)
{
	return arch_hypercall(__HYPERVISOR_mmu_update, (long)updates, count, (long)done, domid, 0);
}

static inline long hypercall_mmuext_op(struct mmuext_op *ops, unsigned int count,
				       unsigned int *done, domid_t domid)
{
	return arch_hypercall(__HYPERVISOR_mmuext_op, (long)ops, count, (long)done, domid, 0);
}

static inline long hypercall_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{
	return arch_hypercall(__HYPERVISOR_update_va_mapping, (long)va, (long)pte, (long)flags, 0, 0);
}

static inline long hypercall_set_trap_table(const void *table)
{
	return arch_hypercall(__HYPERVISOR_set_trap_table, (long)table, 0, 0, 0, 0);
}

#endif
