/*
 * The boot-test protocol for test guests (test/guest/testlib.h).
 */
#include <stdarg.h>
#include "test/guest/testlib.h"
#include "kernel/kernel.h"

static struct {
	unsigned int failures;
} test;

void test_fail(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("\n");
	test.failures++;
}

noreturn void test_finish(enum test_result result)
{
	static const char *const names[] = { "SUCCESS", "SKIP", "ERROR", "FAILURE" };

	printf("Test result: %s\n", names[result]);
	kernel_poweroff();
}

noreturn void test_finish_checked(void)
{
	if (test.failures > 0)
		printf("%u check%s failed\n", test.failures, test.failures == 1 ? "" : "s");
	test_finish(test.failures > 0 ? TEST_FAILURE : TEST_SUCCESS);
}
