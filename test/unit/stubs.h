/*
 * test/unit/stubs.h: host stand-ins for the kernel functions that lib/ calls (panic and
 * assert_fail), the means for a test to expect a panic and survive it, and REQUIRE.
 */
#ifndef MOTE_TEST_UNIT_STUBS_H
#define MOTE_TEST_UNIT_STUBS_H

#include <setjmp.h>
#include <stdbool.h>

/* Arms the catcher: the next panic or failed assert jumps to the returned jmp_buf. */
jmp_buf *stub_arm_panic_catch(void);
void stub_disarm_panic_catch(void);

/* The message of the most recent panic or failed assert, "" if there was none. */
const char *stub_last_panic_message(void);

/*
 * Runs `statement` and evaluates to true if it panicked (or failed an assert), which then
 * returns here instead of aborting the test. A panic outside CATCH_PANIC aborts the test
 * binary's test process, and Check reports the test as failed.
 */
#define CATCH_PANIC(statement) \
	({ \
		volatile bool panicked_ = false; \
		if (setjmp(*stub_arm_panic_catch()) == 0) { \
			statement; \
		} else { \
			panicked_ = true; \
		} \
		stub_disarm_panic_catch(); \
		panicked_; \
	})

/*
 * Check reports every passing ck_assert to its parent process, which costs a write each:
 * fine for a few hundred, far too slow in a loop of a million cases. REQUIRE only calls
 * into Check when the condition fails.
 */
#define REQUIRE(condition, ...) \
	do { \
		if (!(condition)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#endif
