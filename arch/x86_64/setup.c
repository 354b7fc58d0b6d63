/*
 * The first C code Mote runs, and the small x86 primitives that generic code reaches through
 * kernel/arch.h.
 */
#include <stdint.h>
#include <stdnoreturn.h>
#include <xen/xen.h>
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "lib/string.h"
#include "arch/x86_64/x86.h"

noreturn void arch_start(const start_info_t *start_info, uint64_t entry_tsc, uintptr_t xen_stack);

/*
 * start_info lives in a page of the domain builder's layout; keep our own copy so that
 * nothing depends on where that page is.
 */
static start_info_t start_info_copy;

/* Called from _start (entry.S) on the boot stack, with events masked. */
noreturn void arch_start(const start_info_t *start_info, uint64_t entry_tsc, uintptr_t xen_stack)
{
	memcpy(&start_info_copy, start_info, sizeof(start_info_copy));
	x86_mm_record_boot_stack(xen_stack);
	kernel_main(&start_info_copy, entry_tsc);
}

uint64_t arch_read_tsc(void)
{
	uint32_t low, high;

	asm volatile("rdtsc" : "=a"(low), "=d"(high));
	return ((uint64_t)high << 32) | low;
}

void arch_cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}
