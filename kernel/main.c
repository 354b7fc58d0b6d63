/*
 * kernel_main: Mote's boot, step by step, from the first C code to the application.
 *
 * Read it as a table of contents: each line starts one subsystem, and the order matters
 * because each step needs the ones before it. The architecture code (arch/x86_64/setup.c)
 * calls kernel_main on the boot stack, with events masked.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/version.h>
#include "kernel/kernel.h"
#include "kernel/arch.h"
#include "kernel/cmdline.h"
#include "kernel/mm.h"
#include "kernel/sched.h"
#include "xen/console.h"
#include "xen/control.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "xen/hypercall.h"
#include "xen/time.h"
#include "xen/xenstore.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/panic.h"
#include "lib/string.h"

static struct {
	const start_info_t *start_info;
	uint64_t boot_duration;
	uint64_t first_instruction;     /* time_now() at the first instruction, reckoned back */
	char command_line[MAX_GUEST_CMDLINE];
	char *argv[CMDLINE_MAX_ARGS + 2];
} kernel;

/* A step of kernel_main that fails leaves nothing sensible to run: say which and stop. */
#define MUST(call)                                                                  \
	do {                                                                        \
		int must_rc = (call);                                               \
		if (must_rc < 0)                                                    \
			panic("%s failed: %s (%d)", #call, strerror(must_rc), must_rc); \
	} while (0)

/* argv[0] is the image's name; the command line fills the rest. */
static int command_line_init(const start_info_t *start_info)
{
	int count;

	memcpy(kernel.command_line, start_info->cmd_line, sizeof(kernel.command_line));
	kernel.command_line[sizeof(kernel.command_line) - 1] = '\0';
	kernel.argv[0] = "mote";
	count = cmdline_split(kernel.command_line, &kernel.argv[1], CMDLINE_MAX_ARGS);
	if (count < 0) {
		printf("command line not understood (%s); the app gets no arguments\n",
		       strerror(count));
		kernel.argv[1] = NULL;
		count = 0;
	}
	return count + 1;
}

static void banner(const start_info_t *start_info)
{
	long version = hypercall_xen_version(XENVER_version, NULL);
	xen_extraversion_t extra = { 0 };

	hypercall_xen_version(XENVER_extraversion, extra);
	extra[sizeof(extra) - 1] = '\0';
	printf("Mote %s (x86_64 PV) on Xen %ld.%ld%s, %lu MiB\n", MOTE_VERSION, version >> 16,
	       version & 0xffff, extra, (unsigned long)(start_info->nr_pages >> (20 - 12)));
}

noreturn void kernel_main(const start_info_t *start_info, uint64_t entry_tsc)
{
	int argc, status;

	kernel.start_info = start_info;
	MUST(console_init(start_info));      /* PV console ring: printf works from here on */
	arch_traps_init();                   /* exception table: a fault prints a crash report */
	MUST(mm_init(start_info));           /* map all memory, W^X, stack guard, page allocator */
	heap_init();                         /* malloc and free, on top of the page allocator */
	MUST(evtchn_init(start_info));       /* shared_info and per-port event dispatch */
	MUST(time_init());                   /* pvclock, wall clock, one-shot timer */
	sched_init();                        /* the boot context becomes thread "main" */
	evtchn_enable_upcalls();             /* events are delivered: threads can wait from here on */
	MUST(console_enable_input());        /* console input wakes waiters */
	MUST(gnttab_init());                 /* grant table: share pages with backends */
	MUST(xs_init(start_info));           /* xenstore: the ring to dom0's key-value store */
	MUST(control_init());                /* obey xl shutdown, xl reboot and xl sysrq */
	argc = command_line_init(start_info);/* start_info->cmd_line into argc/argv */
	banner(start_info);                  /* who we are and what we run on */

	kernel.boot_duration = time_tsc_to_ns(arch_read_tsc() - entry_tsc);
	kernel.first_instruction = time_now() - kernel.boot_duration;
	status = app_main(argc, kernel.argv);/* the one application linked into this image */
	if (status != 0)
		printf("app_main returned %d\n", status);
	if (control_request() == CONTROL_REBOOT)
		kernel_reboot();
	kernel_poweroff();
}

uint64_t kernel_boot_duration(void)
{
	return kernel.boot_duration;
}

uint64_t kernel_uptime(void)
{
	return time_now() - kernel.first_instruction;
}

const start_info_t *kernel_start_info(void)
{
	return kernel.start_info;
}
