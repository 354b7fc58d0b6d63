/*
 * Boot test: a null dereference must fault, and the report must name the function.
 */
#include <stdint.h>
#include "test/guest/testlib.h"

/* Volatile, so the compiler cannot see that the pointer is null and trap on its own. */
static volatile uintptr_t null_address;

__attribute__((noinline, noclone)) static int read_through_null(volatile int *pointer)
{
	return *pointer;
}

int app_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("reading through a null pointer; this must crash\n");
	printf("read %d\n", read_through_null((volatile int *)null_address));
	test_finish(TEST_FAILURE);
}
