/*
 * lib/panic.h: the one way Mote reports a broken invariant. panic() prints the message and a
 * crash report and stops the domain; it never returns. The kernel implements it
 * (kernel/panic.c); host unit tests supply their own version that a test can catch.
 */
#ifndef MOTE_LIB_PANIC_H
#define MOTE_LIB_PANIC_H

#include <stdnoreturn.h>

noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), cold));

#endif
