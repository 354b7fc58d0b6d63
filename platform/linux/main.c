/*
 * platform/linux/main.c: the hosted target's entry point. It does for a Linux process what
 * kernel_main does for a Xen guest: set up memory (an mmap'd region for the page allocator
 * and heap, so memory limits behave as in a guest), the threads, then call app_main with
 * the arguments that are not the platform's own.
 *
 *     build/linux/mote-echo --tap tap0 [--disk FILE] [--memory 16] [--no-offload] [--loss 2]
 *                           APP ARGUMENTS...
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "platform/linux/hosted.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "kernel/symbols.h"
#include "kernel/arch.h"
#include "xen/control.h"
#include "xen/time.h"
#include "lib/assert.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/panic.h"

/* Mote's own vsnprintf is renamed (test/unit/host.h); panic messages use glibc's. */
#undef vsnprintf

static struct hosted_options options = { .offload = true, .memory_mib = 16 };
static uint64_t boot_duration;
static uint64_t started;

/* kernel/kernel.h: from the start of main to app_main, the hosted "boot". */
uint64_t kernel_boot_duration(void)
{
	return boot_duration;
}

/* kernel/kernel.h: since the start of main. */
uint64_t kernel_uptime(void)
{
	return time_now() - started;
}

const struct hosted_options *hosted_options(void)
{
	return &options;
}

noreturn void panic(const char *format, ...)
{
	va_list arguments;

	fflush(stdout);
	fprintf(stderr, "\n*** Mote panic: ");
	va_start(arguments, format);
	vfprintf(stderr, format, arguments);
	va_end(arguments);
	fprintf(stderr, "\n");
	abort();
}

noreturn void assert_fail(const char *expression, const char *file, int line,
			  const char *function)
{
	panic("assertion failed: %s\n    in %s() at %s:%d", expression, function, file, line);
}

/* A hosted process has no symbol table of its own to search; gdb does this better. */
const char *symbol_lookup(uint64_t address, uint64_t *offset)
{
	(void)address;
	*offset = 0;
	return NULL;
}

void arch_backtrace(uintptr_t fp)
{
	(void)fp;
}

static noreturn void usage(const char *program)
{
	fprintf(stderr, "usage: %s [--tap NAME]... [--disk FILE]... [--memory MIB] [--no-offload]\n"
		"       [--loss PERCENT] [app arguments]\n"
		"  the TAP device may also be named in $MOTE_TAP; each --disk is a disk for\n"
		"  blkfront (ids 0, 1, ...); --loss drops that share of the frames in each\n"
		"  direction, to test retransmission\n", program);
	exit(2);
}

int main(int argc, char **argv)
{
	started = time_now();
	char *app_argv[argc + 1];
	int app_argc = 1;
	void *region;

	/* Line-buffered even into a pipe, so test logs show each line as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	app_argv[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tap") == 0 && i + 1 < argc) {
			if (options.tap_count == HOSTED_MAX_TAPS)
				usage(argv[0]);
			options.taps[options.tap_count++] = argv[++i];
		} else if (strcmp(argv[i], "--disk") == 0 && i + 1 < argc) {
			if (options.disk_count == HOSTED_MAX_DISKS)
				usage(argv[0]);
			options.disks[options.disk_count++] = argv[++i];
		} else if (strcmp(argv[i], "--memory") == 0 && i + 1 < argc) {
			options.memory_mib = strtoul(argv[++i], NULL, 10);
			if (options.memory_mib < 1 || options.memory_mib > 4096)
				usage(argv[0]);
		} else if (strcmp(argv[i], "--loss") == 0 && i + 1 < argc) {
			options.loss_percent = (unsigned int)strtoul(argv[++i], NULL, 10);
			if (options.loss_percent > 50)
				usage(argv[0]);
		} else if (strcmp(argv[i], "--no-offload") == 0) {
			options.offload = false;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(argv[0]);
		} else {
			app_argv[app_argc++] = argv[i];
		}
	}
	app_argv[app_argc] = NULL;
	if (options.tap_count == 0 && getenv("MOTE_TAP") != NULL)
		options.taps[options.tap_count++] = getenv("MOTE_TAP");

	/* All of Mote's memory comes from this region, as all of a guest's comes from Xen. */
	region = mmap(NULL, options.memory_mib << 20, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED || page_alloc_init(region, (options.memory_mib << 20) / PAGE_SIZE) < 0) {
		fprintf(stderr, "cannot set up %lu MiB of memory\n", options.memory_mib);
		return 1;
	}
	heap_init();
	sched_init();
	control_init();
	boot_duration = time_now() - started;
	return app_main(app_argc, app_argv);
}
