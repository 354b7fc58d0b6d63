/*
 * The boot-test protocol for test guests (test/guest/testlib.h).
 */
#include <stdarg.h>
#include "test/guest/testlib.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "xen/control.h"

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

static bool control_is_ready(void *arg)
{
	(void)arg;
	return control_ready();
}

void test_settle(void)
{
	if (sched_wait(control_is_ready, NULL, time_now() + 10 * NSEC_PER_SEC) < 0)
		test_fail("the control keys were not watched within 10 s");
	/* The control thread returns right after; a short sleep lets it exit and the next
	 * thread free its stack. */
	sched_sleep(10 * NSEC_PER_MSEC);
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
