/*
 * The x86_64 side of threads: the first stack frame of a new thread, and reading a sleeping
 * thread's stack for a backtrace. Implements part of kernel/arch.h.
 */
#include <stdint.h>
#include "kernel/arch.h"

/* What arch_switch_stack pushes, lowest address first. */
struct switch_frame {
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t return_address;
};

uintptr_t arch_thread_stack_init(void *stack, size_t size, void (*start)(void))
{
	/*
	 * Build the frame that arch_switch_stack pops, so the first switch to the thread
	 * "returns" into `start` with the stack aligned as if `start` had been called: a fake,
	 * zero return address above it (which also ends backtraces), at a 16-byte boundary.
	 */
	uint64_t *top = (uint64_t *)(((uintptr_t)stack + size) & ~(uintptr_t)15);
	struct switch_frame *frame;

	*--top = 0;
	frame = (struct switch_frame *)top - 1;
	*frame = (struct switch_frame){ .return_address = (uint64_t)(uintptr_t)start };
	return (uintptr_t)frame;
}

uintptr_t arch_thread_frame_pointer(uintptr_t saved_sp)
{
	return (uintptr_t)((const struct switch_frame *)saved_sp)->rbp;
}
