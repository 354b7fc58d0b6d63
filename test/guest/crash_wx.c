/*
 * Boot test: W^X. Writing to Mote's own text must fault, and the crash report must name the
 * function that wrote. The harness expects the domain to end crashed.
 */
#include <stdint.h>
#include "test/guest/testlib.h"

__attribute__((noinline, noclone)) static void write_to_text(volatile uint8_t *code)
{
	*code = 0xc3;	/* a `ret` over the first byte of a function */
}

int app_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("writing to the text of app_main at %p; this must crash\n", (void *)app_main);
	write_to_text((volatile uint8_t *)(uintptr_t)app_main);
	printf("the write to text did not fault\n");
	test_finish(TEST_FAILURE);
}
