/*
 * panic() and assert(): what Mote does when one of its own invariants breaks. It prints the
 * message and a symbolized backtrace on the console, then crashes the domain (lib/panic.h).
 * Bad input from outside never comes here: drivers log it and drop it.
 */
#include <stdarg.h>
#include <stdint.h>
#include "lib/panic.h"
#include "lib/assert.h"
#include "kernel/kernel.h"
#include "kernel/arch.h"
#include "xen/console.h"

static int panicking;

noreturn void panic(const char *format, ...)
{
	va_list args;

	/* A panic while printing a panic: do not try again, just stop. */
	if (panicking++)
		kernel_crash();
	printf("\n*** Mote panic: ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("\nBacktrace:\n");
	arch_backtrace((uintptr_t)__builtin_frame_address(0));
	kernel_crash();
}

noreturn void assert_fail(const char *expression, const char *file, int line, const char *function)
{
	panic("assertion failed: %s\n    in %s() at %s:%d", expression, function, file, line);
}
