/*
 * lib/assert.h: run-time and build-time assertions. assert() is always compiled in: Mote has
 * no release build, and kernel code relies on it to stop before a broken invariant spreads.
 */
#ifndef MOTE_LIB_ASSERT_H
#define MOTE_LIB_ASSERT_H

#include <stdnoreturn.h>
#include "lib/util.h"

/* Called by a failed assert(); implemented by the kernel (kernel/panic.c). Never returns. */
noreturn void assert_fail(const char *expression, const char *file, int line,
			  const char *function) __attribute__((cold));

#define assert(condition) \
	(likely(condition) ? (void)0 : assert_fail(#condition, __FILE__, __LINE__, __func__))

/*
 * Build-time checks. BUILD_BUG_ON(condition) fails the build when `condition` is true and can
 * stand wherever a declaration can; static_assert is C11's spelling of the opposite test.
 */
#define static_assert _Static_assert
#define BUILD_BUG_ON(condition) _Static_assert(!(condition), "BUILD_BUG_ON(" #condition ")")

#endif
