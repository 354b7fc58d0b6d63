/*
 * Boot test: no-execute. Jumping into data must fault with an instruction fetch, and the
 * crash report must say so and name the function that jumped.
 */
#include <stdint.h>
#include "test/guest/testlib.h"

static uint8_t not_code[16] = { 0xc3 };	/* `ret`: harmless, if it ever ran */

__attribute__((noinline, noclone)) static int jump_into_data(void (*target)(void))
{
	target();
	return 1;	/* work after the call, so the compiler cannot make it a jump */
}

int app_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("calling into .data at %p; this must crash\n", (void *)not_code);
	printf("executing data did not fault (%d)\n", jump_into_data((void (*)(void))(uintptr_t)not_code));
	test_finish(TEST_FAILURE);
}
