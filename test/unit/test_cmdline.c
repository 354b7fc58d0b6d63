/*
 * Unit tests for kernel/cmdline.c: splitting start_info->cmd_line into argv.
 */
#include <check.h>
#include "test/unit/suites.h"
#include "kernel/cmdline.h"
#include "lib/errno.h"

/* Split `input` (copied, since splitting is in place) and compare with `expected`. */
static void check_split(const char *input, int expected_count, const char *const *expected)
{
	char line[256];
	char *argv[CMDLINE_MAX_ARGS + 1];
	int count;

	ck_assert_uint_lt(strlen(input), sizeof(line));
	strcpy(line, input);
	count = cmdline_split(line, argv, CMDLINE_MAX_ARGS);
	ck_assert_int_eq(count, expected_count);
	for (int i = 0; i < count; i++)
		ck_assert_str_eq(argv[i], expected[i]);
	ck_assert_ptr_null(argv[count]);
}

START_TEST(test_empty_and_blank)
{
	check_split("", 0, NULL);
	check_split("   \t  ", 0, NULL);
}
END_TEST

START_TEST(test_plain_words)
{
	static const char *const expected[] = { "ip=10.0.0.2/24", "gw=10.0.0.1", "x" };

	check_split("ip=10.0.0.2/24 gw=10.0.0.1 x", 3, expected);
	check_split("  ip=10.0.0.2/24\t\tgw=10.0.0.1   x  ", 3, expected);
}
END_TEST

START_TEST(test_quotes)
{
	static const char *const expected[] = { "hello world", "it's", "a\"b", "", "mixed quoted" };

	check_split("\"hello world\" \"it's\" 'a\"b' '' mixed' 'quoted", 5, expected);
}
END_TEST

START_TEST(test_backslash)
{
	static const char *const expected[] = { "a b", "\"", "\\", "c\\d" };

	/* Outside quotes and in double quotes a backslash escapes; in single quotes it is literal. */
	check_split("a\\ b \"\\\"\" \\\\ 'c\\d'", 4, expected);
}
END_TEST

START_TEST(test_errors)
{
	char unterminated[] = "one \"two";
	char single[] = "one 'two";
	char trailing[] = "one two\\";
	char *argv[4];

	ck_assert_int_eq(cmdline_split(unterminated, argv, 3), -EINVAL);
	ck_assert_int_eq(cmdline_split(single, argv, 3), -EINVAL);
	ck_assert_int_eq(cmdline_split(trailing, argv, 3), -EINVAL);
}
END_TEST

START_TEST(test_too_many)
{
	char line[] = "a b c d";
	char exact[] = "a b c";
	char *argv[4];

	ck_assert_int_eq(cmdline_split(line, argv, 3), -E2BIG);
	ck_assert_int_eq(cmdline_split(exact, argv, 3), 3);
	ck_assert_ptr_null(argv[3]);
}
END_TEST

Suite *cmdline_suite(void)
{
	Suite *suite = suite_create("cmdline");
	TCase *tcase = tcase_create("split");

	tcase_add_test(tcase, test_empty_and_blank);
	tcase_add_test(tcase, test_plain_words);
	tcase_add_test(tcase, test_quotes);
	tcase_add_test(tcase, test_backslash);
	tcase_add_test(tcase, test_errors);
	tcase_add_test(tcase, test_too_many);
	suite_add_tcase(suite, tcase);
	return suite;
}
