/*
 * hello: the smallest Mote application. It shows what the kernel gives every app: the console,
 * the command line, the clocks, and the boot time measured from Mote's first instruction.
 */
#include <stdint.h>
#include "kernel/kernel.h"
#include "xen/console.h"
#include "xen/time.h"

int app_main(int argc, char **argv)
{
	uint64_t boot = kernel_boot_duration();
	struct wall_time now;

	time_wall_clock(&now);
	printf("Hello from Mote!\n");
	printf("boot time: %lu.%03lu ms from the first instruction to app_main\n",
	       (unsigned long)(boot / NSEC_PER_MSEC),
	       (unsigned long)(boot % NSEC_PER_MSEC / NSEC_PER_USEC));
	printf("wall clock: %lu s since 1970 (UTC)\n", (unsigned long)now.seconds);
	printf("command line: %d argument%s\n", argc - 1, argc == 2 ? "" : "s");
	for (int i = 1; i < argc; i++)
		printf("  argv[%d] = \"%s\"\n", i, argv[i]);
	return 0;
}
