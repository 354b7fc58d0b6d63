/*
 * Switching between Mote's cooperative threads (kernel/sched.c).
 *
 * A switch happens only inside a function call, so only the registers that the System V ABI
 * says a callee must preserve need saving: %rbx, %rbp, %r12-%r15. They go on the old
 * thread's stack, its stack pointer goes into *save_sp, and the new thread's registers come
 * off its own stack. The `ret` then returns into wherever the new thread called this.
 */
	.text
/* void arch_switch_stack(uintptr_t *save_sp, uintptr_t new_sp) */
	.globl arch_switch_stack
	.type arch_switch_stack, @function
arch_switch_stack:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size arch_switch_stack, . - arch_switch_stack

	.section .note.GNU-stack, "", @progbits
