/*
 * Small x86_64 helpers shared by the files in arch/x86_64/ (and by nothing else).
 */
#ifndef ARCH_X86_64_X86_H
#define ARCH_X86_64_X86_H

#include <stdint.h>

/*
 * CPUID through Xen: "ud2; .ascii 'xen'" before cpuid makes Xen emulate it with the feature
 * policy of this domain (XEN_CPUID, public/arch-x86/xen.h), which is what the guest may use.
 */
static inline void x86_xen_cpuid(uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	asm volatile("ud2a; .ascii \"xen\"; cpuid"
		     : "+a"(*eax), "=b"(*ebx), "+c"(*ecx), "=d"(*edx));
}

/* Record where Xen's boot stack was, so mm_init knows which frames the builder used. */
void x86_mm_record_boot_stack(uintptr_t stack_pointer);

#endif
