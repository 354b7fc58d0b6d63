/*
 * Entry points from Xen into Mote: the first instruction, the hypercall page, the exception
 * stubs, the event upcall, the failsafe callback, and the ELF notes that tell Xen's domain
 * builder how to load the image (public/elfnote.h).
 *
 * This is all of Mote's assembly apart from nothing: everything after the first `call` is C.
 *
 * How Xen enters a 64-bit PV guest (public/xen.h, "start_info"):
 *   - at XEN_ELFNOTE_ENTRY, in ring 3 (PV kernels never run in ring 0), with events masked;
 *   - %rsi = virtual address of start_info; %rsp = a small stack that Xen placed after the
 *     bootstrap page tables.
 * How Xen delivers an exception or event to a PV guest: it switches to the guest's kernel stack
 * and pushes a normal x86 interrupt frame (ss, rsp, rflags, cs, rip, and an error code for some
 * vectors), and on top of that %r11 and %rcx, because its own SYSRET path clobbered them.
 */
#include <xen/xen.h>
#include <xen/elfnote.h>
#include "arch/x86_64/frame.h"

#define VIRT_BASE 0xffffffff80000000

/* One ELF note: name "Xen", a type from public/elfnote.h, and a payload. */
#define XEN_NOTE(type, payload...)              \
	.pushsection .note.Xen, "a", @note;     \
	.balign 4;                              \
	.long 2f - 1f;                          \
	.long 4f - 3f;                          \
	.long type;                             \
1:	.asciz "Xen";                           \
2:	.balign 4;                              \
3:	payload;                                \
4:	.balign 4;                              \
	.popsection

XEN_NOTE(XEN_ELFNOTE_GUEST_OS,       .asciz "Mote")
XEN_NOTE(XEN_ELFNOTE_GUEST_VERSION,  .asciz "0.1")
XEN_NOTE(XEN_ELFNOTE_XEN_VERSION,    .asciz "xen-3.0")
XEN_NOTE(XEN_ELFNOTE_LOADER,         .asciz "generic")
/* Map the image at VIRT_BASE and treat that address as pseudo-physical 0. */
XEN_NOTE(XEN_ELFNOTE_VIRT_BASE,      .quad VIRT_BASE)
XEN_NOTE(XEN_ELFNOTE_PADDR_OFFSET,   .quad VIRT_BASE)
XEN_NOTE(XEN_ELFNOTE_ENTRY,          .quad _start)
XEN_NOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page)

/* ------------------------------------------------------------------------------------------ */
	.section .text.entry, "ax"
	.globl _start
_start:
	cld
	/* Read the TSC before anything else, so that the boot time covers all of Mote. */
	rdtsc
	shlq	$32, %rdx
	orq	%rax, %rdx
	/* arch_start(start_info, TSC at the first instruction, Xen's boot stack pointer) */
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rsp, %rdx
	/* Leave Xen's bootstrap stack for our own, which has a guard page under it. */
	leaq	boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp		/* a zero frame pointer ends every backtrace */
	call	arch_start
	ud2

/* ------------------------------------------------------------------------------------------ */
/*
 * Xen fills this page with 32-byte stubs, one per hypercall, when it builds the domain
 * (XEN_ELFNOTE_HYPERCALL_PAGE). Calling hypercall_page + 32 * N makes hypercall N. The
 * section holds no bytes in the file (kernel.ld): there is nothing in it until Xen writes it.
 */
	.section .hypercall_page, "ax", @nobits
	.balign 4096
	.globl hypercall_page
	.type hypercall_page, @function
hypercall_page:
	.skip 4096
	.size hypercall_page, 4096

/* ------------------------------------------------------------------------------------------ */
	.text
/*
 * long arch_hypercall(long op, long a1, long a2, long a3, long a4, long a5)
 * The 64-bit PV hypercall ABI passes arguments in %rdi, %rsi, %rdx, %r10, %r8 and returns in
 * %rax; the stub in the hypercall page loads the number itself. %rcx and %r11 are clobbered.
 */
	.globl arch_hypercall
	.type arch_hypercall, @function
arch_hypercall:
	movq	%rdi, %rax
	shlq	$5, %rax
	leaq	hypercall_page(%rip), %r11
	addq	%r11, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %r10
	movq	%r9, %r8
	call	*%rax
	ret
	.size arch_hypercall, . - arch_hypercall

/*
 * Save every general-purpose register below the frame that is already on the stack, in the
 * order of struct trap_frame (frame.h): the last pushed is the first member.
 */
.macro SAVE_REGS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro RESTORE_REGS
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
.endm

/* Undo Xen's extra %rcx/%r11 words so that the stack holds a native interrupt frame. */
.macro POP_XEN_RCX_R11
	movq	(%rsp), %rcx
	movq	8(%rsp), %r11
	addq	$16, %rsp
.endm

/* Call a C handler with the frame as its argument, on a 16-byte aligned stack. */
.macro CALL_WITH_FRAME handler
	movq	%rsp, %rdi
	movq	%rsp, %rbx		/* callee-saved, and already saved in the frame */
	andq	$-16, %rsp
	call	\handler
	movq	%rbx, %rsp
.endm

/*
 * Return to the interrupted code through HYPERVISOR_iret. A PV kernel cannot use iretq to
 * restore the event mask: the hypercall sets evtchn_upcall_mask from RFLAGS.IF of the frame,
 * which Xen filled in from the mask when it delivered the event (public/arch-x86/xen-x86_64.h,
 * struct iret_context). Stack on entry: rip, cs, rflags, rsp, ss. We add the flags word; the
 * iret stub in the hypercall page pushes %rcx, %r11 and %rax itself, completing the context.
 * It is jumped to, not called: it never returns here.
 */
.macro XEN_IRET
	pushq	$0			/* flags: not returning from a syscall */
	jmp	hypercall_page + __HYPERVISOR_iret * 32
.endm

/* Exception stubs. Vectors without an error code push a zero in its place. */
.macro TRAP_NO_ERROR vector, name
	.globl \name
	.type \name, @function
\name:
	POP_XEN_RCX_R11
	pushq	$0
	pushq	$\vector
	jmp	trap_common
	.size \name, . - \name
.endm

.macro TRAP_WITH_ERROR vector, name
	.globl \name
	.type \name, @function
\name:
	POP_XEN_RCX_R11
	pushq	$\vector
	jmp	trap_common
	.size \name, . - \name
.endm

TRAP_NO_ERROR    0, trap_divide_error
TRAP_NO_ERROR    1, trap_debug
TRAP_NO_ERROR    2, trap_nmi
TRAP_NO_ERROR    3, trap_breakpoint
TRAP_NO_ERROR    4, trap_overflow
TRAP_NO_ERROR    5, trap_bound_range
TRAP_NO_ERROR    6, trap_invalid_opcode
TRAP_NO_ERROR    7, trap_device_not_available
TRAP_WITH_ERROR  8, trap_double_fault
TRAP_NO_ERROR    9, trap_coprocessor_overrun
TRAP_WITH_ERROR 10, trap_invalid_tss
TRAP_WITH_ERROR 11, trap_segment_not_present
TRAP_WITH_ERROR 12, trap_stack_fault
TRAP_WITH_ERROR 13, trap_general_protection
TRAP_WITH_ERROR 14, trap_page_fault
TRAP_NO_ERROR   15, trap_spurious
TRAP_NO_ERROR   16, trap_x87_fpu_error
TRAP_WITH_ERROR 17, trap_alignment_check
TRAP_NO_ERROR   18, trap_machine_check
TRAP_NO_ERROR   19, trap_simd_error
TRAP_NO_ERROR   20, trap_virtualization
TRAP_WITH_ERROR 21, trap_control_protection

	.type trap_common, @function
trap_common:
	SAVE_REGS
	CALL_WITH_FRAME trap_handle
	RESTORE_REGS
	addq	$16, %rsp		/* vector and error code */
	XEN_IRET
	.size trap_common, . - trap_common

/*
 * The event upcall (CALLBACKTYPE_event). Xen masked events before entering; the C handler
 * drains the pending bitmaps, and XEN_IRET restores the mask that was in force before.
 */
	.globl hypervisor_callback
	.type hypervisor_callback, @function
hypervisor_callback:
	POP_XEN_RCX_R11
	pushq	$0
	pushq	$TRAP_VECTOR_EVENT
	SAVE_REGS
	CALL_WITH_FRAME evtchn_do_upcall
	RESTORE_REGS
	addq	$16, %rsp
	XEN_IRET
	.size hypervisor_callback, . - hypervisor_callback

/*
 * The failsafe callback (CALLBACKTYPE_failsafe): Xen could not load the segment registers of
 * a frame we asked it to return to. Mote never changes segments, so this is a Mote bug:
 * report it. Xen pushed %ds, %es, %fs and %gs above the usual frame; skip them.
 */
	.globl failsafe_callback
	.type failsafe_callback, @function
failsafe_callback:
	POP_XEN_RCX_R11
	addq	$32, %rsp
	pushq	$0
	pushq	$TRAP_VECTOR_FAILSAFE
	SAVE_REGS
	CALL_WITH_FRAME trap_handle
	ud2
	.size failsafe_callback, . - failsafe_callback

/* ------------------------------------------------------------------------------------------ */
/*
 * The boot stack, with an unmapped guard page right under it (arch_mm_init unmaps it), so a
 * stack overflow faults instead of silently overwriting .bss.
 */
	.section .bss.boot_stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard, boot_stack, boot_stack_top
boot_stack_guard:
	.skip 4096
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
