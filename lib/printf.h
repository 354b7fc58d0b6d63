/*
 * lib/printf.h: formatted output without floating point. vformat() is the one formatter;
 * it streams its output through a callback, so the console can print messages of any length
 * without a buffer, and vsnprintf()/snprintf() are small wrappers that collect into memory.
 *
 * Supported: %d %i %u %x %X %o %c %s %p %%, the flags - + space # 0, width and precision
 * (numbers or *), and the length modifiers hh h l ll z j t. The output matches glibc's for all
 * of these; in particular %s of NULL prints "(null)" and %p prints 0x... or "(nil)". An
 * unknown conversion is printed as written, flags and all, so mistakes stay visible.
 */
#ifndef MOTE_LIB_PRINTF_H
#define MOTE_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Receives each piece of output in order; `text` is not NUL-terminated and may contain NUL. */
typedef void format_emit_fn(void *context, const char *text, size_t length);

/*
 * Formats `fmt` and its arguments, passing the output to `emit` in pieces. Returns the number
 * of characters produced, or -EOVERFLOW if that does not fit in an int.
 */
int vformat(format_emit_fn *emit, void *context, const char *fmt, va_list arguments)
	__attribute__((format(printf, 3, 0)));

/*
 * C99 semantics: writes at most `size` bytes including the terminating NUL (always present
 * when size > 0) and returns the length the whole output would have had.
 */
int vsnprintf(char *buffer, size_t size, const char *fmt, va_list arguments)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *buffer, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
