/*
 * Boot test: event channels. A channel looped back to ourselves (an unbound port, then an
 * interdomain bind to it from the same domain) must deliver in both directions; a masked port
 * must hold its event back until it is unmasked; an unbound port must not deliver any more.
 */
#include <stdint.h>
#include <xen/xen.h>
#include "test/guest/testlib.h"
#include "kernel/sched.h"
#include "xen/evtchn.h"
#include "xen/time.h"

struct counter {
	volatile unsigned int events;
	unsigned int expected;
};

static void count_event(evtchn_port_t port, void *arg)
{
	struct counter *counter = arg;

	(void)port;
	counter->events++;
}

static bool reached(void *arg)
{
	const struct counter *counter = arg;

	return counter->events >= counter->expected;
}

/* Wait up to a second for `counter` to reach `expected`. */
static bool wait_for(struct counter *counter, unsigned int expected)
{
	counter->expected = expected;
	return sched_wait(reached, counter, time_now() + NSEC_PER_SEC) == 0;
}

int app_main(int argc, char **argv)
{
	struct counter a = { 0 }, b = { 0 };
	evtchn_port_t port_a, port_b;
	struct evtchn_stats before, after;
	int rc;

	(void)argc;
	(void)argv;
	evtchn_stats(&before);
	rc = evtchn_alloc_unbound(DOMID_SELF, count_event, &a, &port_a);
	TEST_CHECK(rc == 0, "alloc_unbound: %d", rc);
	rc = evtchn_bind_interdomain(DOMID_SELF, port_a, count_event, &b, &port_b);
	TEST_CHECK(rc == 0, "bind_interdomain: %d", rc);
	if (rc != 0)
		test_finish(TEST_ERROR);
	printf("loopback channel: port %u <-> port %u\n", port_a, port_b);

	/* Each end's notify arrives at the other end. */
	evtchn_notify(port_b);
	TEST_CHECK(wait_for(&a, 1), "port %u saw %u events after a notify on %u", port_a, a.events, port_b);
	evtchn_notify(port_a);
	TEST_CHECK(wait_for(&b, 1), "port %u saw %u events after a notify on %u", port_b, b.events, port_a);
	printf("delivery: a=%u b=%u\n", a.events, b.events);

	/* Masked: the event becomes pending but the handler does not run. */
	evtchn_mask(port_a);
	evtchn_notify(port_b);
	sched_sleep(20 * NSEC_PER_MSEC);
	TEST_CHECK(a.events == 1, "masked port ran its handler (%u events)", a.events);
	TEST_CHECK(evtchn_is_pending(port_a), "masked port is not pending after a notify");
	printf("masked: pending=%d events=%u\n", evtchn_is_pending(port_a), a.events);

	/* Unmasked: the held-back event is delivered now. */
	evtchn_unmask(port_a);
	TEST_CHECK(wait_for(&a, 2), "unmasking did not deliver the pending event (%u events)", a.events);
	printf("unmasked: events=%u\n", a.events);

	/* Many notifies before the handler runs coalesce into at least one event. */
	for (int i = 0; i < 100; i++)
		evtchn_notify(port_b);
	TEST_CHECK(wait_for(&a, 3), "a burst of notifies was lost");

	evtchn_unbind(port_b);
	evtchn_unbind(port_a);
	rc = evtchn_notify(port_b);
	TEST_CHECK(rc < 0, "notify on a closed port succeeded");
	evtchn_stats(&after);
	TEST_CHECK(after.bound == before.bound, "%u ports bound, was %u", after.bound, before.bound);
	printf("events: %lu upcalls, %lu handled, %lu spurious\n",
	       (unsigned long)(after.upcalls - before.upcalls),
	       (unsigned long)(after.events - before.events),
	       (unsigned long)(after.spurious - before.spurious));
	test_finish_checked();
}
