/*
 * test/unit/test_errno.c: lib/errno.h. The values themselves are checked by the compiler:
 * host.h has already included glibc's <errno.h>, and redefining one of its macros with a
 * different value is a warning, which -Werror turns into a build failure.
 */
#include <check.h>
#include "lib/errno.h"

START_TEST(names_of_positive_and_negative_numbers)
{
	ck_assert_str_eq(strerror(ENOENT), "ENOENT");
	ck_assert_str_eq(strerror(-ENOENT), "ENOENT");
	ck_assert_str_eq(strerror(-EPERM), "EPERM");
	ck_assert_str_eq(strerror(-ENOMEM), "ENOMEM");
	ck_assert_str_eq(strerror(-EINVAL), "EINVAL");
	ck_assert_str_eq(strerror(-ENAMETOOLONG), "ENAMETOOLONG");
	ck_assert_str_eq(strerror(-EPROTONOSUPPORT), "EPROTONOSUPPORT");
	ck_assert_str_eq(strerror(ECANCELED), "ECANCELED");
	ck_assert_str_eq(strerror(EINPROGRESS), "EINPROGRESS");
}
END_TEST

START_TEST(aliases_share_a_name)
{
	ck_assert_str_eq(strerror(-EWOULDBLOCK), "EAGAIN");
	ck_assert_str_eq(strerror(-ENOTSUP), "EOPNOTSUPP");
}
END_TEST

START_TEST(zero_and_unknown_numbers)
{
	ck_assert_str_eq(strerror(0), "OK");
	ck_assert_str_eq(strerror(41), "E?");
	ck_assert_str_eq(strerror(-4095), "E?");
	ck_assert_str_eq(strerror(256 + ENOENT), "E?");
	ck_assert_str_eq(strerror(-2147483647 - 1), "E?");
}
END_TEST

/* Every number from 1 to 133 has either its own name starting with 'E', or "E?". */
START_TEST(every_name_looks_like_one)
{
	for (int number = 1; number < 134; number++) {
		const char *name = strerror(-number);

		ck_assert_msg(name[0] == 'E' && name[1] != '\0', "errno %d named \"%s\"", number, name);
	}
}
END_TEST

Suite *errno_suite(void)
{
	Suite *suite = suite_create("errno");
	TCase *tests = tcase_create("strerror");

	tcase_add_test(tests, names_of_positive_and_negative_numbers);
	tcase_add_test(tests, aliases_share_a_name);
	tcase_add_test(tests, zero_and_unknown_numbers);
	tcase_add_test(tests, every_name_looks_like_one);
	suite_add_tcase(suite, tests);
	return suite;
}
