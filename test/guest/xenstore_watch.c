/*
 * Boot test: watches. The guest sets two watches on data/ping -- same path, different
 * tokens -- and waits. dom0 (test/boot/xenstore-watch.test) writes data/ping; the first
 * watch's callback reads the new value and answers on data/pong, which dom0 reads back.
 * The callbacks run in the xenwatch thread and make xenstore calls of their own there.
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "kernel/sched.h"
#include "xen/time.h"
#include "xen/xenstore.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

static struct {
	unsigned int first_fired;       /* on_ping calls without a value: the one at set-up */
	unsigned int answered;          /* on_ping calls that answered on data/pong */
	unsigned int errors;
	unsigned int counted;           /* calls of the second watch */
} watched;

/* Like a driver's callback: look at what changed, and act on it with more calls. */
static void on_ping(struct xs_watch *watch, const char *changed, void *arg)
{
	char value[64], answer[80];
	int rc;

	(void)watch;
	(void)arg;
	/* The watch was set with a relative path, so the changed path is relative too. */
	TEST_CHECK(strcmp(changed, "data/ping") == 0, "changed path is %s", changed);
	rc = xs_read(XS_NO_TRANSACTION, "data/ping", value, sizeof(value));
	if (rc == -ENOENT) {
		printf("watch: %s fired when set (no value yet)\n", changed);
		watched.first_fired++;
		return;
	}
	if (rc < 0) {
		printf("watch: reading %s failed: %s\n", changed, strerror(rc));
		watched.errors++;
		return;
	}
	printf("watch: %s = %s\n", changed, value);
	snprintf(answer, sizeof(answer), "pong %s", value);
	rc = xs_write(XS_NO_TRANSACTION, "data/pong", answer);
	printf("watch: answered data/pong = %s (%s)\n", answer, strerror(rc));
	if (rc < 0)
		watched.errors++;
	else
		watched.answered++;
}

static void count_event(struct xs_watch *watch, const char *changed, void *arg)
{
	(void)watch;
	(void)changed;
	(*(unsigned int *)arg)++;
}

static bool set_up(void *arg)
{
	(void)arg;
	return watched.first_fired >= 1 && watched.counted >= 1;
}

static bool answered(void *arg)
{
	(void)arg;
	return watched.answered >= 1 || watched.errors > 0;
}

/* Poll for a key written by dom0 after our watches are gone (so no watch can tell us). */
static int xs_wait_for_key(const char *path, uint64_t timeout)
{
	uint64_t deadline = time_now() + timeout;
	char value[64];
	int rc;

	while ((rc = xs_read(XS_NO_TRANSACTION, path, value, sizeof(value))) == -ENOENT &&
	       time_now() < deadline)
		sched_sleep(50 * NSEC_PER_MSEC);
	return rc < 0 ? rc : 0;
}

int app_main(int argc, char **argv)
{
	struct xs_watch *ping, *counter;
	struct xs_stats stats;
	unsigned int counted_after_remove;
	int rc;

	(void)argc;
	(void)argv;
	ping = xs_watch_add("data/ping", on_ping, NULL, &rc);
	TEST_CHECK(ping != NULL, "watch data/ping: %s", strerror(rc));
	counter = xs_watch_add("data/ping", count_event, &watched.counted, &rc);
	TEST_CHECK(counter != NULL, "second watch on data/ping: %s", strerror(rc));
	if (ping == NULL || counter == NULL)
		test_finish(TEST_ERROR);

	/* Both watches fire once when they are set; wait for that before telling dom0. */
	rc = sched_wait(set_up, NULL, time_now() + 5 * NSEC_PER_SEC);
	TEST_CHECK(rc == 0, "watches did not fire when set (%u, %u)", watched.first_fired,
		   watched.counted);
	printf("watch: ready; waiting for dom0 to write data/ping\n");

	rc = sched_wait(answered, NULL, time_now() + 25 * NSEC_PER_SEC);
	TEST_CHECK(rc == 0 && watched.errors == 0, "no answer (%u errors)", watched.errors);
	/* The same change reached the second watch too: events go by token, not by path. */
	TEST_CHECK(watched.counted >= 2, "second watch saw %u events", watched.counted);
	printf("watch: second watch on data/ping saw %u events\n", watched.counted);

	/* Removed watches stay quiet: dom0 writes once more, and nothing may fire. */
	xs_watch_remove(ping);
	xs_watch_remove(counter);
	counted_after_remove = watched.counted;
	printf("watch: removed; dom0 may write again\n");
	rc = xs_wait_for_key("data/ping-again", 25 * NSEC_PER_SEC);
	TEST_CHECK(rc == 0, "dom0 did not write data/ping-again: %s", strerror(rc));
	sched_sleep(300 * NSEC_PER_MSEC);
	TEST_CHECK(watched.counted == counted_after_remove,
		   "a removed watch fired %u more times", watched.counted - counted_after_remove);
	xs_stats(&stats);
	TEST_CHECK(stats.bad_messages == 0, "%lu bad messages", (unsigned long)stats.bad_messages);
	printf("xenstore: %lu requests, %lu watch events, %lu bad messages\n",
	       (unsigned long)stats.requests, (unsigned long)stats.watch_events,
	       (unsigned long)stats.bad_messages);
	test_finish_checked();
}
