/*
 * The boot-test protocol, as in XTF: a test guest prints what it checks, and its last console
 * line is "Test result: SUCCESS", "SKIP", "ERROR" or "FAILURE"; then it powers off. The
 * harness (scripts/boot-test.sh) reads that line from the guest's console log.
 */
#ifndef TEST_GUEST_TESTLIB_H
#define TEST_GUEST_TESTLIB_H

#include <stdnoreturn.h>
#include <stdbool.h>
#include "xen/console.h"
#include "kernel/kernel.h"

enum test_result { TEST_SUCCESS, TEST_SKIP, TEST_ERROR, TEST_FAILURE };

/*
 * Wait until the kernel's own start-up work in the background is over (control_init's
 * thread), so a test that counts threads, pages or watches starts from a steady baseline.
 */
void test_settle(void);

/* Print the result line and power off. */
noreturn void test_finish(enum test_result result);

/* Record a failed check with a message; test_finish_checked() then reports FAILURE. */
void test_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* FAILURE if any check failed, else SUCCESS. */
noreturn void test_finish_checked(void);

/* Check a condition; on failure print where and what, and remember it. */
#define TEST_CHECK(condition, ...)                                                     \
	do {                                                                           \
		if (!(condition)) {                                                    \
			printf("CHECK FAILED at %s:%d: %s: ", __FILE__, __LINE__, #condition); \
			test_fail(__VA_ARGS__);                                        \
		}                                                                      \
	} while (0)

#endif
