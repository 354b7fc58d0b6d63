/*
 * The register frame that the entry stubs in entry.S build on the stack before calling C,
 * and the constants that both sides share. Included from assembly and from C.
 */
#ifndef ARCH_X86_64_FRAME_H
#define ARCH_X86_64_FRAME_H

/* Pseudo-vectors for frames that are not CPU exceptions. */
#define TRAP_VECTOR_EVENT    256
#define TRAP_VECTOR_FAILSAFE 257

#define BOOT_STACK_SIZE (32 * 1024)

#ifndef __ASSEMBLY__
#include <stdint.h>

/* Field order is the reverse of the pushes in SAVE_REGS, then what the stubs and Xen pushed. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	/* The native interrupt frame. */
	uint64_t rip, cs, rflags, rsp, ss;
};
#endif

#endif
