/*
 * Boot test: a transaction that conflicts with a write by dom0 is retried and ends right.
 * The guest reads data/counter inside a transaction, says so on the console, and waits
 * until dom0 (test/boot/xenstore-transaction.test) has changed the counter from outside.
 * Its write of counter+1 then commits with EAGAIN; xs_transaction_run starts over, reads
 * dom0's value, and the second commit succeeds: dom0's write is not lost.
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "kernel/sched.h"
#include "xen/time.h"
#include "xen/xenstore.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define START_VALUE 10

struct increment {
	unsigned int attempts;
	int last_body_rc;
};

/* Wait (outside the transaction) until data/counter is no longer `seen`. */
static int wait_for_dom0(uint64_t seen)
{
	uint64_t deadline = time_now() + 20 * NSEC_PER_SEC, now_value = seen;
	int rc;

	do {
		sched_sleep(50 * NSEC_PER_MSEC);
		rc = xs_read_u64(XS_NO_TRANSACTION, "data/counter", &now_value);
	} while (rc == 0 && now_value == seen && time_now() < deadline);
	if (rc == 0 && now_value == seen)
		rc = -ETIMEDOUT;
	if (rc == 0)
		printf("transaction: dom0 changed data/counter to %lu outside the transaction\n",
		       (unsigned long)now_value);
	return rc;
}

/* The body of the transaction: counter = counter + 1, as seen inside the transaction. */
static int increment(xs_transaction_t transaction, void *arg)
{
	struct increment *state = arg;
	uint64_t value = 0;
	int rc;

	state->attempts++;
	if (state->attempts > 1)
		printf("transaction: attempt %u (attempt %u %s)\n", state->attempts,
		       state->attempts - 1, state->last_body_rc == 0 ?
		       "was refused at commit: EAGAIN" : "failed in its body");
	rc = xs_read_u64(transaction, "data/counter", &value);
	printf("transaction %u: attempt %u read data/counter=%lu\n", transaction,
	       state->attempts, (unsigned long)value);
	if (rc == 0 && state->attempts == 1) {
		printf("transaction: waiting for dom0 to change data/counter\n");
		rc = wait_for_dom0(value);
	}
	if (rc == 0)
		rc = xs_printf(transaction, "data/counter", "%lu", (unsigned long)value + 1);
	if (rc == 0)
		printf("transaction %u: wrote data/counter=%lu, committing\n", transaction,
		       (unsigned long)value + 1);
	state->last_body_rc = rc;
	return rc;
}

int app_main(int argc, char **argv)
{
	struct increment state = { 0 };
	uint64_t final_value = 0;
	int rc;

	(void)argc;
	(void)argv;
	rc = xs_printf(XS_NO_TRANSACTION, "data/counter", "%d", START_VALUE);
	TEST_CHECK(rc == 0, "write data/counter: %s", strerror(rc));

	rc = xs_transaction_run(increment, &state, 5);
	TEST_CHECK(rc == 0, "transaction: %s", strerror(rc));
	TEST_CHECK(state.attempts >= 2, "only %u attempt(s): the conflict went unnoticed",
		   state.attempts);
	rc = xs_read_u64(XS_NO_TRANSACTION, "data/counter", &final_value);
	TEST_CHECK(rc == 0, "read data/counter: %s", strerror(rc));
	printf("transaction: committed data/counter=%lu after %u attempts\n",
	       (unsigned long)final_value, state.attempts);
	test_finish_checked();
}
