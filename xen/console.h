/*
 * The PV console: a pair of byte rings in a page shared with the console backend
 * (xenconsoled in dom0), public/io/console.h. All of Mote's output goes here.
 */
#ifndef XEN_CONSOLE_H
#define XEN_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <xen/xen.h>

/* Find the ring from start_info. printf works from here on. */
int console_init(const start_info_t *start_info);

/* Take console input events, once event channels work. */
int console_enable_input(void);

/* Write all of `data`; waits for ring space rather than drop a byte. */
void console_write(const char *data, size_t length);

int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *format, va_list args) __attribute__((format(printf, 1, 0)));

/* Wait until the backend has read everything, or `timeout` ns without progress. */
void console_flush(uint64_t timeout);

/* Copy up to `length` bytes of input without waiting. Returns the count. */
size_t console_read(char *buffer, size_t length);

/* Wait for input until system time `deadline`; returns the count, or -ETIMEDOUT. */
int console_read_wait(char *buffer, size_t length, uint64_t deadline);

struct console_stats {
	uint64_t bytes_written;
	uint64_t bytes_read;
	uint64_t waits;         /* times the output ring was full */
	uint64_t dropped;       /* bytes not written because the ring state was impossible */
};
void console_stats(struct console_stats *out);

#endif
