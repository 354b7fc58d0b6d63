/*
 * Exceptions: the trap table Mote gives Xen, the event and failsafe callbacks, and the crash
 * report for a fault: vector, error code, faulting address, registers and a symbolized
 * backtrace. Implements part of kernel/arch.h.
 *
 * A PV guest has no IDT of its own. It hands Xen a "virtual IDT" with set_trap_table
 * (public/arch-x86/xen.h, struct trap_info), and Xen bounces each exception to the listed
 * handler. Events arrive through a separate callback registered with callback_op
 * (public/callback.h). Every exception in Mote is fatal: the report goes to the console and
 * the domain shuts down with SHUTDOWN_crash, so that `xl list` shows it as crashed.
 */
#include <stdint.h>
#include <stdbool.h>
#include <stdnoreturn.h>
#include <xen/xen.h>
#include <xen/callback.h>
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/symbols.h"
#include "xen/hypercall.h"
#include "xen/evtchn.h"
#include "xen/console.h"
#include "lib/panic.h"
#include "arch/x86_64/frame.h"

/* The first byte of a function that sets up a frame. */
#define X86_PUSH_RBP 0x55

/* The stubs in entry.S. */
#define TRAP_STUBS(X) \
	X(0, trap_divide_error, "divide error", "#DE") \
	X(1, trap_debug, "debug", "#DB") \
	X(2, trap_nmi, "NMI", "NMI") \
	X(3, trap_breakpoint, "breakpoint", "#BP") \
	X(4, trap_overflow, "overflow", "#OF") \
	X(5, trap_bound_range, "bound range exceeded", "#BR") \
	X(6, trap_invalid_opcode, "invalid opcode", "#UD") \
	X(7, trap_device_not_available, "device not available", "#NM") \
	X(8, trap_double_fault, "double fault", "#DF") \
	X(9, trap_coprocessor_overrun, "coprocessor segment overrun", "#MF") \
	X(10, trap_invalid_tss, "invalid TSS", "#TS") \
	X(11, trap_segment_not_present, "segment not present", "#NP") \
	X(12, trap_stack_fault, "stack fault", "#SS") \
	X(13, trap_general_protection, "general protection fault", "#GP") \
	X(14, trap_page_fault, "page fault", "#PF") \
	X(15, trap_spurious, "spurious interrupt", "--") \
	X(16, trap_x87_fpu_error, "x87 FPU error", "#MF") \
	X(17, trap_alignment_check, "alignment check", "#AC") \
	X(18, trap_machine_check, "machine check", "#MC") \
	X(19, trap_simd_error, "SIMD floating-point error", "#XM") \
	X(20, trap_virtualization, "virtualization exception", "#VE") \
	X(21, trap_control_protection, "control protection", "#CP")

#define DECLARE_STUB(vector, stub, name, mnemonic) void stub(void);
TRAP_STUBS(DECLARE_STUB)
void hypervisor_callback(void);
void failsafe_callback(void);
void trap_handle(struct trap_frame *frame);

/*
 * flags bits 0-1: the lowest privilege that may raise the vector with `int` (only int3 may);
 * bit 2: mask events on entry, so no event upcall runs on top of a crash report.
 */
#define TRAP_MASK_EVENTS 4
#define TRAP_ENTRY(vector, stub, name, mnemonic) \
	{ vector, TRAP_MASK_EVENTS | ((vector) == 3 ? 3 : 0), FLAT_KERNEL_CS, (unsigned long)stub },
static const struct trap_info trap_table[] = {
	TRAP_STUBS(TRAP_ENTRY)
	{ 0, 0, 0, 0 }	/* terminator: address 0 */
};

#define TRAP_NAME(vector, stub, name, mnemonic) [vector] = { name, mnemonic },
static const struct {
	const char *name;
	const char *mnemonic;
} trap_names[] = { TRAP_STUBS(TRAP_NAME) };

static void register_callback(uint16_t type, void (*handler)(void))
{
	struct callback_register callback = {
		.type = type,
		.flags = CALLBACKF_mask_events,
		.address = (unsigned long)handler,
	};
	long rc = hypercall_callback_op(CALLBACKOP_register, &callback);

	if (rc < 0)
		panic("callback_op(register, type %u) failed: %ld", type, rc);
}

void arch_traps_init(void)
{
	long rc = hypercall_set_trap_table(trap_table);

	if (rc < 0)
		panic("set_trap_table failed: %ld", rc);
	register_callback(CALLBACKTYPE_event, hypervisor_callback);
	register_callback(CALLBACKTYPE_failsafe, failsafe_callback);
}

/* ---- The crash report --------------------------------------------------------------------- */

static void print_address(uint64_t address)
{
	uint64_t offset;
	const char *name = symbol_lookup(address, &offset);

	if (name != NULL)
		printf("%016lx <%s+0x%lx>", (unsigned long)address, name, (unsigned long)offset);
	else
		printf("%016lx", (unsigned long)address);
}

/* The page-fault error code (Intel SDM vol. 3, 4.7). */
static void print_page_fault(const struct trap_frame *frame)
{
	const shared_info_t *shared = evtchn_shared_info();
	uint64_t error = frame->error_code;

	printf("    %s %s page, %s mode%s%s\n",
	       (error & 0x10) ? "instruction fetch from" : (error & 2) ? "write to" : "read from",
	       (error & 1) ? "a present (protected)" : "a not-present",
	       (error & 4) ? "user" : "kernel", (error & 8) ? ", reserved bit set" : "",
	       (error & 0x20) ? ", protection key" : "");
	/* A PV guest cannot read %cr2: Xen stores the faulting address in vcpu_info. */
	if (shared != NULL) {
		printf("    faulting address: ");
		print_address(shared->vcpu_info[0].arch.cr2);
		printf("\n");
	}
}

/*
 * Walk the chain of saved frame pointers: with -fno-omit-frame-pointer every function starts
 * with `push %rbp; mov %rsp, %rbp`, so [rbp] is the caller's rbp and [rbp + 8] the return
 * address. The stack may be what crashed, so check each step before reading it.
 */
static void walk_frames(uintptr_t fp, int first_depth)
{
	for (int depth = first_depth; depth < 32 && fp != 0; depth++) {
		const uint64_t *frame = (const uint64_t *)fp;

		if ((fp & 7) != 0 || !mm_address_is_mapped(frame) || !mm_address_is_mapped(frame + 1)) {
			printf("    (frame pointer %016lx is not on a stack)\n", (unsigned long)fp);
			return;
		}
		if (frame[1] == 0)
			return;
		printf("    #%d ", depth);
		/* The return address is after the call; look up the call itself. */
		print_address(frame[1] - 1);
		printf("\n");
		if (frame[0] != 0 && frame[0] <= fp) {
			printf("    (frame pointer goes backwards: %016lx)\n", (unsigned long)frame[0]);
			return;
		}
		fp = frame[0];
	}
}

void arch_backtrace(uintptr_t fp)
{
	walk_frames(fp, 1);
}

void arch_dump_frame(const struct trap_frame *frame)
{
	printf("    rip: ");
	print_address(frame->rip);
	printf("\n    rsp: %016lx  rflags: %016lx  cs: %04lx  ss: %04lx\n",
	       (unsigned long)frame->rsp, (unsigned long)frame->rflags,
	       (unsigned long)frame->cs, (unsigned long)frame->ss);
	printf("    rax: %016lx  rbx: %016lx  rcx: %016lx\n", (unsigned long)frame->rax,
	       (unsigned long)frame->rbx, (unsigned long)frame->rcx);
	printf("    rdx: %016lx  rsi: %016lx  rdi: %016lx\n", (unsigned long)frame->rdx,
	       (unsigned long)frame->rsi, (unsigned long)frame->rdi);
	printf("    rbp: %016lx  r8:  %016lx  r9:  %016lx\n", (unsigned long)frame->rbp,
	       (unsigned long)frame->r8, (unsigned long)frame->r9);
	printf("    r10: %016lx  r11: %016lx  r12: %016lx\n", (unsigned long)frame->r10,
	       (unsigned long)frame->r11, (unsigned long)frame->r12);
	printf("    r13: %016lx  r14: %016lx  r15: %016lx\n", (unsigned long)frame->r13,
	       (unsigned long)frame->r14, (unsigned long)frame->r15);
	printf("Backtrace:\n    #0 ");
	print_address(frame->rip);
	printf("\n");
	/*
	 * A fault before the function saved rbp -- on its first instruction, in a leaf function
	 * that never sets up a frame (gcc leaves them out even with -fno-omit-frame-pointer), or
	 * outside any function (a call through a bad pointer) -- leaves the caller's return
	 * address on top of the stack, and rbp still belongs to the caller's caller.
	 */
	uint64_t offset;
	const uint64_t *top = (const uint64_t *)frame->rsp;
	const char *function = symbol_lookup(frame->rip, &offset);
	bool no_frame = function == NULL || offset == 0 ||
			*(const uint8_t *)(frame->rip - offset) != X86_PUSH_RBP;

	if (no_frame && mm_address_is_mapped(top) && symbol_lookup(*top, &offset) != NULL) {
		printf("    #1 ");
		print_address(*top - 1);
		printf("   (return address on top of the stack)\n");
		walk_frames(frame->rbp, 2);
	} else {
		walk_frames(frame->rbp, 1);
	}
}

/* Called from entry.S for every exception, and for the failsafe callback. */
void trap_handle(struct trap_frame *frame)
{
	if (frame->vector == TRAP_VECTOR_FAILSAFE) {
		printf("\n*** Mote crashed: Xen could not return to the frame below (failsafe callback)\n");
	} else {
		unsigned int vector = (unsigned int)frame->vector;
		const char *name = vector < 22 ? trap_names[vector].name : "unknown exception";
		const char *mnemonic = vector < 22 ? trap_names[vector].mnemonic : "?";

		printf("\n*** Mote crashed: %s (%s, vector %u), error code %#lx\n", name, mnemonic,
		       vector, (unsigned long)frame->error_code);
		if (vector == 14)
			print_page_fault(frame);
	}
	arch_dump_frame(frame);
	kernel_crash();
}
