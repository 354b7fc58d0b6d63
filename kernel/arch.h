/*
 * The hooks that generic code calls and each architecture implements. Mote has one
 * architecture, x86_64 PV, in arch/x86_64/; nothing outside that directory knows about x86.
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct trap_frame;

/* Make hypercall `op` with up to five arguments; returns Xen's result (0 or -errno). */
long arch_hypercall(long op, long a1, long a2, long a3, long a4, long a5);

/* Install the exception table and the event/failsafe callbacks with Xen. */
void arch_traps_init(void);

/* The CPU's time-stamp counter, the input to the pvclock (xen/time.c). */
uint64_t arch_read_tsc(void);

/* A hint to the CPU that we are spinning (x86 `pause`). */
void arch_cpu_relax(void);

/* Print the registers of `frame`, then a symbolized backtrace from it. */
void arch_dump_frame(const struct trap_frame *frame);

/* Print a symbolized backtrace that starts at frame pointer `fp`. */
void arch_backtrace(uintptr_t fp);

/*
 * Threads. arch_switch_stack saves the running thread's registers on its stack, stores its
 * stack pointer in *save_sp, and resumes the thread whose stack pointer is new_sp.
 * arch_thread_stack_init prepares a new stack so that the first switch to it calls `start`.
 */
void arch_switch_stack(uintptr_t *save_sp, uintptr_t new_sp);
uintptr_t arch_thread_stack_init(void *stack, size_t size, void (*start)(void));

/* The frame pointer saved in a switched-out thread's stack, for its backtrace. */
uintptr_t arch_thread_frame_pointer(uintptr_t saved_sp);

#endif
