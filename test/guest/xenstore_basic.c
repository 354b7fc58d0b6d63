/*
 * Boot test: the xenstore client against dom0's real xenstored. The guest reads what the
 * toolstack wrote about it (domid, name, vm), then works under its own data/ directory:
 * write, read back, typed values, remove (and ENOENT after), a directory listing,
 * permissions set and read back, values bigger than the ring in both directions, a
 * transaction that is thrown away, and requests from several threads in flight at once.
 * test/boot/xenstore-basic.test compares the identity lines and the keys left behind with
 * what dom0 sees.
 */
#include <stdint.h>
#include <xen/io/xs_wire.h>
#include "test/guest/testlib.h"
#include "kernel/sched.h"
#include "xen/time.h"
#include "xen/xenstore.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/printf.h"
#include "lib/string.h"

/* The name, the vm path and the domid, as the toolstack wrote them. */
static int identity(void)
{
	char name[64], path[64], absolute[64];
	int domid = -1, rc, error;
	char *vm;

	rc = xs_read_int(XS_NO_TRANSACTION, "domid", &domid);
	TEST_CHECK(rc == 0, "read domid: %s", strerror(rc));
	rc = xs_read(XS_NO_TRANSACTION, "name", name, sizeof(name));
	TEST_CHECK(rc > 0, "read name: %s", strerror(rc));
	vm = xs_read_alloc(XS_NO_TRANSACTION, "vm", &error);
	TEST_CHECK(vm != NULL, "read vm: %s", strerror(error));
	printf("domid: %d\n", domid);
	printf("name: %s\n", rc > 0 ? name : "?");
	printf("vm: %s\n", vm != NULL ? vm : "?");
	free(vm);

	/* A relative path is relative to /local/domain/<domid>: the absolute one is the same. */
	snprintf(path, sizeof(path), "/local/domain/%d/name", domid);
	rc = xs_read(XS_NO_TRANSACTION, path, absolute, sizeof(absolute));
	TEST_CHECK(rc > 0 && strcmp(absolute, name) == 0, "%s: %s (%s)", path, absolute, strerror(rc));
	return domid;
}

static void write_read_remove(void)
{
	char value[32];
	uint64_t number = 0;
	int integer = 0, rc;

	rc = xs_write(XS_NO_TRANSACTION, "data/greeting", "hello from Mote");
	TEST_CHECK(rc == 0, "write: %s", strerror(rc));
	rc = xs_read(XS_NO_TRANSACTION, "data/greeting", value, sizeof(value));
	TEST_CHECK(rc == 15 && strcmp(value, "hello from Mote") == 0, "read back: %d '%s'", rc, value);
	printf("data/greeting = %s\n", value);
	rc = xs_read(XS_NO_TRANSACTION, "data/greeting", value, 4);
	TEST_CHECK(rc == -E2BIG, "read into 4 bytes: %s", strerror(rc));

	/* Typed values, as drivers use them (ring-ref, event-channel, state). */
	rc = xs_printf(XS_NO_TRANSACTION, "data/number", "%d", 42);
	TEST_CHECK(rc == 0, "printf: %s", strerror(rc));
	rc = xs_read_u64(XS_NO_TRANSACTION, "data/number", &number);
	TEST_CHECK(rc == 0 && number == 42, "read_u64: %s %lu", strerror(rc), (unsigned long)number);
	rc = xs_printf(XS_NO_TRANSACTION, "data/negative", "%d", -17);
	TEST_CHECK(rc == 0, "printf: %s", strerror(rc));
	rc = xs_read_int(XS_NO_TRANSACTION, "data/negative", &integer);
	TEST_CHECK(rc == 0 && integer == -17, "read_int: %s %d", strerror(rc), integer);
	rc = xs_read_int(XS_NO_TRANSACTION, "data/greeting", &integer);
	TEST_CHECK(rc == -EINVAL, "a greeting read as a number: %s", strerror(rc));
	printf("data/number = %lu, data/negative = %d\n", (unsigned long)number, integer);

	/* Remove: afterwards the key is gone, and removing it again is not an error. */
	rc = xs_write(XS_NO_TRANSACTION, "data/removed", "soon gone");
	TEST_CHECK(rc == 0, "write: %s", strerror(rc));
	rc = xs_rm(XS_NO_TRANSACTION, "data/removed");
	TEST_CHECK(rc == 0, "rm: %s", strerror(rc));
	rc = xs_read(XS_NO_TRANSACTION, "data/removed", value, sizeof(value));
	TEST_CHECK(rc == -ENOENT, "read after rm: %s", strerror(rc));
	printf("data/removed after rm: %s\n", strerror(rc));
	rc = xs_rm(XS_NO_TRANSACTION, "data/removed");
	TEST_CHECK(rc == 0, "rm of a missing key: %s", strerror(rc));

	/* xenstored's own errors come back as errno values. */
	rc = xs_write(XS_NO_TRANSACTION, "data//double-slash", "x");
	TEST_CHECK(rc == -EINVAL, "write to an invalid path: %s", strerror(rc));
	rc = xs_read(XS_NO_TRANSACTION, "/local/domain/0/name", value, sizeof(value));
	TEST_CHECK(rc == -EACCES, "read of dom0's name: %s", strerror(rc));
	printf("invalid path: EINVAL; dom0's keys: %s\n", strerror(rc));
}

static void directory(void)
{
	static const char *const names[] = { "alpha", "beta", "gamma" };
	char path[32], list[64];
	int count, rc;

	for (unsigned int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "data/dir/%s", names[i]);
		rc = xs_write(XS_NO_TRANSACTION, path, names[i]);
		TEST_CHECK(rc == 0, "write %s: %s", path, strerror(rc));
	}
	count = xs_directory(XS_NO_TRANSACTION, "data/dir", list, sizeof(list));
	TEST_CHECK(count == 3, "directory: %d", count);
	printf("directory data/dir:");
	/* The list holds exactly `count` NUL-terminated names; nothing marks its end. */
	const char *name = list;

	for (int n = 0; n < count; n++, name += strlen(name) + 1) {
		bool known = false;

		for (unsigned int i = 0; i < 3; i++)
			known |= strcmp(name, names[i]) == 0;
		TEST_CHECK(known, "unexpected child %s", name);
		printf(" %s", name);
	}
	printf("\n");
	rc = xs_directory(XS_NO_TRANSACTION, "data/dir", list, 8);
	TEST_CHECK(rc == -E2BIG, "directory into 8 bytes: %s", strerror(rc));
	rc = xs_rm(XS_NO_TRANSACTION, "data/dir");
	TEST_CHECK(rc == 0, "rm data/dir: %s", strerror(rc));
	rc = xs_directory(XS_NO_TRANSACTION, "data/dir", list, sizeof(list));
	TEST_CHECK(rc == -ENOENT, "directory after rm: %s", strerror(rc));
}

/* The node is ours (we created it): we may keep others out, and let dom0 read it. */
static void permissions(int domid)
{
	struct xs_permission set[2] = {
		{ .domid = (domid_t)domid, .access = XS_ACCESS_NONE },
		{ .domid = 0, .access = XS_ACCESS_READ },
	};
	struct xs_permission got[4];
	int count, rc;

	rc = xs_write(XS_NO_TRANSACTION, "data/private", "for dom0's eyes only");
	TEST_CHECK(rc == 0, "write: %s", strerror(rc));
	count = xs_get_permissions(XS_NO_TRANSACTION, "data/private", got, 4);
	TEST_CHECK(count >= 1, "get permissions: %d", count);
	if (count >= 1)
		printf("permissions before: owner %u, others '%c' (%d entries)\n", got[0].domid,
		       "nrwb"[got[0].access], count);
	rc = xs_set_permissions(XS_NO_TRANSACTION, "data/private", set, 2);
	TEST_CHECK(rc == 0, "set permissions: %s", strerror(rc));
	count = xs_get_permissions(XS_NO_TRANSACTION, "data/private", got, 4);
	TEST_CHECK(count == 2, "get permissions: %d", count);
	if (count == 2) {
		TEST_CHECK(got[0].domid == domid && got[0].access == XS_ACCESS_NONE,
			   "owner entry: %u/%d", got[0].domid, got[0].access);
		TEST_CHECK(got[1].domid == 0 && got[1].access == XS_ACCESS_READ,
			   "dom0 entry: %u/%d", got[1].domid, got[1].access);
		printf("permissions: data/private = n%u,r%u\n", got[0].domid, got[1].domid);
	}
	/* A guest may not give its node away. */
	set[0].domid = 0;
	rc = xs_set_permissions(XS_NO_TRANSACTION, "data/private", set, 2);
	TEST_CHECK(rc < 0, "giving the node to dom0 succeeded");
	printf("permissions: giving data/private away: %s\n", strerror(rc));
}

/* The digits 0-9 over and over: a misplaced or lost piece shows. */
static bool is_digit_pattern(const char *value, int length)
{
	for (int i = 0; i < length; i++) {
		if (value[i] != '0' + i % 10)
			return false;
	}
	return true;
}

/*
 * Values bigger than the 1 KiB ring. The guest's own: 1900 bytes, so its request goes into
 * the ring in pieces as xenstored makes room (xenstored limits a guest's node to 2048 bytes,
 * so a bigger one gets ENOSPC). dom0's: 4000 bytes, which dom0 writes while we poll for it,
 * so the reply is close to the protocol's maximum.
 */
static void big_values(void)
{
	static char big[1901], back[XENSTORE_PAYLOAD_MAX + 1];
	static char too_big[XENSTORE_PAYLOAD_MAX + 1];
	uint64_t deadline = time_now() + 15 * NSEC_PER_SEC;
	int rc;

	for (unsigned int i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('0' + i % 10);
	rc = xs_write(XS_NO_TRANSACTION, "data/big", big);
	TEST_CHECK(rc == 0, "write 1900 bytes: %s", strerror(rc));
	rc = xs_read(XS_NO_TRANSACTION, "data/big", back, sizeof(back));
	TEST_CHECK(rc == 1900 && is_digit_pattern(back, 1900), "read back 1900 bytes: %d", rc);
	printf("data/big: 1900 bytes written, %d read back\n", rc);
	xs_rm(XS_NO_TRANSACTION, "data/big");

	/* Over xenstored's quota for guests: its ENOSPC comes back as -ENOSPC. */
	memset(too_big, '0', 4000);
	rc = xs_write(XS_NO_TRANSACTION, "data/quota", too_big);
	TEST_CHECK(rc == -ENOSPC, "write 4000 bytes: %s", strerror(rc));
	printf("data/quota: writing 4000 bytes: %s (xenstored's per-node quota)\n", strerror(rc));
	/* Beyond the protocol's limit: refused before anything is sent. */
	memset(too_big, 'x', sizeof(too_big) - 1);
	rc = xs_write(XS_NO_TRANSACTION, "data/too-big", too_big);
	TEST_CHECK(rc == -E2BIG, "write beyond the protocol's limit: %s", strerror(rc));

	while ((rc = xs_read(XS_NO_TRANSACTION, "data/from-dom0", back, sizeof(back))) == -ENOENT &&
	       time_now() < deadline)
		sched_sleep(50 * NSEC_PER_MSEC);
	TEST_CHECK(rc == 4000 && is_digit_pattern(back, 4000), "dom0's 4000 bytes: %d", rc);
	printf("data/from-dom0: %d bytes read, %s\n", rc,
	       rc == 4000 && is_digit_pattern(back, 4000) ? "intact" : "WRONG");
}

static void aborted_transaction(void)
{
	xs_transaction_t transaction;
	char value[16];
	int rc;

	rc = xs_transaction_start(&transaction);
	TEST_CHECK(rc == 0, "transaction start: %s", strerror(rc));
	if (rc < 0)
		return;
	rc = xs_write(transaction, "data/tentative", "maybe");
	TEST_CHECK(rc == 0, "write in the transaction: %s", strerror(rc));
	rc = xs_read(transaction, "data/tentative", value, sizeof(value));
	TEST_CHECK(rc == 5, "read in the transaction: %s", strerror(rc));
	rc = xs_read(XS_NO_TRANSACTION, "data/tentative", value, sizeof(value));
	TEST_CHECK(rc == -ENOENT, "read outside the transaction: %s", strerror(rc));
	rc = xs_transaction_end(transaction, false);
	TEST_CHECK(rc == 0, "transaction abort: %s", strerror(rc));
	rc = xs_read(XS_NO_TRANSACTION, "data/tentative", value, sizeof(value));
	TEST_CHECK(rc == -ENOENT, "read after the abort: %s", strerror(rc));
	printf("transaction %u: write seen inside, not outside, gone after abort\n", transaction);
}

/* Several threads, each with its own key: their requests are in flight together. */
#define WORKERS 4
#define ROUNDS 25

struct worker {
	unsigned int index;
	unsigned int errors;
	bool done;
};

static void worker_main(void *arg)
{
	struct worker *worker = arg;
	char path[32], value[32], back[32];

	snprintf(path, sizeof(path), "data/threads/%u", worker->index);
	for (unsigned int round = 0; round < ROUNDS; round++) {
		snprintf(value, sizeof(value), "worker %u round %u", worker->index, round);
		if (xs_write(XS_NO_TRANSACTION, path, value) < 0 ||
		    xs_read(XS_NO_TRANSACTION, path, back, sizeof(back)) < 0 ||
		    strcmp(back, value) != 0)
			worker->errors++;
	}
	worker->done = true;
}

static bool workers_done(void *arg)
{
	const struct worker *workers = arg;

	for (unsigned int i = 0; i < WORKERS; i++) {
		if (!workers[i].done)
			return false;
	}
	return true;
}

static void threads(void)
{
	static struct worker workers[WORKERS];
	unsigned int errors = 0;
	uint64_t start = time_now();
	int rc;

	for (unsigned int i = 0; i < WORKERS; i++) {
		workers[i].index = i;
		TEST_CHECK(thread_create("xs-worker", worker_main, &workers[i]) != NULL,
			   "thread_create");
	}
	rc = sched_wait(workers_done, workers, start + 30 * NSEC_PER_SEC);
	TEST_CHECK(rc == 0, "workers did not finish");
	for (unsigned int i = 0; i < WORKERS; i++)
		errors += workers[i].errors;
	TEST_CHECK(errors == 0, "%u failed rounds", errors);
	printf("%u threads x %u write+read rounds: %u errors, %lu ms\n", WORKERS, ROUNDS, errors,
	       (unsigned long)((time_now() - start) / NSEC_PER_MSEC));
	xs_rm(XS_NO_TRANSACTION, "data/threads");
}

int app_main(int argc, char **argv)
{
	struct xs_stats stats;
	int domid;

	(void)argc;
	(void)argv;
	domid = identity();
	write_read_remove();
	directory();
	permissions(domid);
	big_values();
	aborted_transaction();
	threads();

	xs_stats(&stats);
	TEST_CHECK(stats.bad_messages == 0, "%lu bad messages", (unsigned long)stats.bad_messages);
	printf("xenstore: %lu requests, %lu bad messages\n", (unsigned long)stats.requests,
	       (unsigned long)stats.bad_messages);
	xs_dump();
	test_finish_checked();
}
