/*
 * Boot test: the console never drops a byte. Print 1 MiB of numbered 64-byte lines as fast as
 * possible; the output ring is 2 KiB, so the writer must wait for the backend again and again.
 * The harness checks in dom0 that every line arrived, complete and in order.
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "lib/printf.h"

#define LINES 16384	/* x 64 bytes = 1 MiB */

int app_main(int argc, char **argv)
{
	struct console_stats stats;

	(void)argc;
	(void)argv;
	for (unsigned int line = 0; line < LINES; line++) {
		/* "flood NNNNN " is 12 bytes; 51 letters and a newline make 64. */
		printf("flood %05u %.51s\n", line,
		       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + line % 2);
	}
	console_stats(&stats);
	printf("flood done: %u lines, the ring was full %lu times\n", LINES, (unsigned long)stats.waits);
	TEST_CHECK(stats.dropped == 0, "%lu bytes dropped", (unsigned long)stats.dropped);
	test_finish_checked();
}
