/*
 * The PV console ring (public/io/console.h). Implements xen/console.h.
 *
 * The console page holds two rings: `out` (guest to backend, 2 KiB) and `in` (backend to
 * guest, 1 KiB). Each has a producer and a consumer index that only ever increase; the byte
 * at index i is at ring[i % size], and prod - cons is the number of bytes in the ring. The
 * writer copies bytes in, publishes them by advancing prod, and signals the event channel; the
 * reader advances cons and signals back. The backend's index is untrusted: a prod - cons
 * larger than the ring means the backend is broken, and we stop using that direction.
 *
 * On Debian's release Xen a domU may not use the console_io hypercall (it returns -EPERM), so
 * this ring is the only console Mote has -- including for its crash reports.
 */
#include <stdint.h>
#include <stdbool.h>
#include <xen/xen.h>
#include <xen/io/console.h>
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/time.h"
#include "kernel/mm.h"
#include "kernel/sched.h"
#include "lib/printf.h"
#include "lib/errno.h"
#include "lib/util.h"

/* How long to wait for a stuck backend before giving up on a flush. */
#define FLUSH_TIMEOUT (2 * NSEC_PER_SEC)

static struct {
	struct xencons_interface *ring;
	evtchn_port_t port;
	bool output_broken;
	bool input_broken;
	struct console_stats stats;
} console;

int console_init(const start_info_t *start_info)
{
	/* The console page is one of ours, so it is in the linear map already. */
	console.ring = mfn_to_virt(start_info->console.domU.mfn);
	console.port = start_info->console.domU.evtchn;
	return 0;
}

/* Bytes in the output ring, or -1 if the backend's consumer index is impossible. */
static long output_used(XENCONS_RING_IDX prod)
{
	XENCONS_RING_IDX cons = READ_ONCE(console.ring->out_cons);

	if ((XENCONS_RING_IDX)(prod - cons) > sizeof(console.ring->out))
		return -1;
	return (long)(XENCONS_RING_IDX)(prod - cons);
}

/*
 * Wait for the backend to make progress. Upcalls are blocked here (console output may come
 * from anywhere, even a crash report), so poll the port instead of taking events.
 */
static void wait_for_backend(void)
{
	uint64_t now = time_now();

	console.stats.waits++;
	evtchn_notify(console.port);
	evtchn_poll(console.port, now != 0 ? now + 100 * NSEC_PER_MSEC : 0);
}

static void publish(XENCONS_RING_IDX prod)
{
	/* The bytes must be visible before the index that says they are there. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(console.ring->out_prod, prod);
	evtchn_notify(console.port);
}

static void put_byte(XENCONS_RING_IDX *prod, char byte)
{
	long used;

	while ((used = output_used(*prod)) == (long)sizeof(console.ring->out)) {
		publish(*prod);
		wait_for_backend();
	}
	if (used < 0) {
		console.output_broken = true;
		return;
	}
	console.ring->out[MASK_XENCONS_IDX(*prod, console.ring->out)] = byte;
	(*prod)++;
}

void console_write(const char *data, size_t length)
{
	bool were_blocked;
	XENCONS_RING_IDX prod;

	if (console.ring == NULL)
		return;
	/* Block upcalls: a handler that prints must not interleave with us mid-ring. */
	were_blocked = evtchn_shared_info() != NULL ? evtchn_block_upcalls() : true;
	prod = console.ring->out_prod;
	for (size_t i = 0; i < length && !console.output_broken; i++) {
		/* Terminals want CR LF; a log reader can strip the CR. */
		if (data[i] == '\n')
			put_byte(&prod, '\r');
		put_byte(&prod, data[i]);
	}
	if (console.output_broken)
		console.stats.dropped += length;
	else
		console.stats.bytes_written += length;
	publish(prod);
	if (evtchn_shared_info() != NULL)
		evtchn_restore_upcalls(were_blocked);
}

static void emit(void *context, const char *text, size_t length)
{
	(void)context;
	console_write(text, length);
}

int vprintf(const char *format, va_list args)
{
	return vformat(emit, NULL, format, args);
}

int printf(const char *format, ...)
{
	va_list args;
	int count;

	va_start(args, format);
	count = vprintf(format, args);
	va_end(args);
	return count;
}

void console_flush(uint64_t timeout)
{
	XENCONS_RING_IDX last_cons;
	uint64_t deadline;

	if (console.ring == NULL || console.output_broken)
		return;
	last_cons = READ_ONCE(console.ring->out_cons);
	deadline = time_now() + timeout;
	while (!console.output_broken && output_used(console.ring->out_prod) > 0) {
		XENCONS_RING_IDX cons = READ_ONCE(console.ring->out_cons);

		/* Allow `timeout` without progress, not in total: a slow backend still drains. */
		if (cons != last_cons) {
			last_cons = cons;
			deadline = time_now() + timeout;
		} else if (time_now() >= deadline) {
			return;
		}
		wait_for_backend();
	}
}

/* Input: any event on the console port may end a waiter's SCHEDOP_block; nothing else to do. */
static void console_event(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
}

int console_enable_input(void)
{
	return evtchn_bind(console.port, console_event, NULL);
}

size_t console_read(char *buffer, size_t length)
{
	struct xencons_interface *ring = console.ring;
	XENCONS_RING_IDX cons, prod;
	size_t count = 0;

	if (ring == NULL || console.input_broken)
		return 0;
	cons = ring->in_cons;
	prod = READ_ONCE(ring->in_prod);
	if ((XENCONS_RING_IDX)(prod - cons) > sizeof(ring->in)) {
		console.input_broken = true;
		printf("console: backend input index is impossible (cons %u, prod %u); ignoring input\n",
		       cons, prod);
		return 0;
	}
	/* Read the bytes only after the index that says they are there. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	while (cons != prod && count < length)
		buffer[count++] = ring->in[MASK_XENCONS_IDX(cons++, ring->in)];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE(ring->in_cons, cons);
	if (count > 0)
		evtchn_notify(console.port);
	console.stats.bytes_read += count;
	return count;
}

static bool input_ready(void *arg)
{
	(void)arg;
	return console.input_broken || READ_ONCE(console.ring->in_prod) != console.ring->in_cons;
}

int console_read_wait(char *buffer, size_t length, uint64_t deadline)
{
	int rc = sched_wait(input_ready, NULL, deadline);

	if (rc < 0)
		return rc;
	return (int)console_read(buffer, length);
}

void console_stats(struct console_stats *out)
{
	*out = console.stats;
}
