/*
 * test/unit/stubs.c: panic() and assert_fail() for host unit tests. In the kernel they stop
 * the domain; here they record the message and, when a test armed CATCH_PANIC, jump back to
 * it, so that a test can assert that the library detects a double free. Otherwise they print
 * the message and abort, which fails the running test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/assert.h"
#include "lib/panic.h"
#include "test/unit/stubs.h"

/* The library's own vsnprintf is under test; report panics with glibc's. */
#undef vsnprintf

static struct {
	jmp_buf landing;
	bool armed;
	char message[512];
} catcher;

jmp_buf *stub_arm_panic_catch(void)
{
	catcher.armed = true;
	catcher.message[0] = '\0';
	return &catcher.landing;
}

void stub_disarm_panic_catch(void)
{
	catcher.armed = false;
}

const char *stub_last_panic_message(void)
{
	return catcher.message;
}

static noreturn void land_or_abort(void)
{
	if (catcher.armed) {
		catcher.armed = false;
		longjmp(catcher.landing, 1);
	}
	fprintf(stderr, "unexpected panic: %s\n", catcher.message);
	abort();
}

void panic(const char *fmt, ...)
{
	va_list arguments;

	va_start(arguments, fmt);
	vsnprintf(catcher.message, sizeof(catcher.message), fmt, arguments);
	va_end(arguments);
	land_or_abort();
}

void assert_fail(const char *expression, const char *file, int line, const char *function)
{
	snprintf(catcher.message, sizeof(catcher.message), "assertion failed: %s (%s:%d, %s)",
		 expression, file, line, function);
	land_or_abort();
}
