/*
 * test/unit/test_string.c: lib/string.c and lib/ctype.h, mostly against glibc as the oracle.
 * After the #undefs below, a plain name (memcpy) is glibc's and mote_memcpy is the library's.
 */
#include <check.h>
#include <stdint.h>
#include "lib/ctype.h"
#include "lib/string.h"
#include "test/unit/stubs.h"

#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strcasecmp
#undef strncasecmp
#undef strchr
#undef strrchr
#undef strstr
#undef strspn
#undef strcspn
#undef strtoul
#undef strtoull
#undef strtol
#undef strtoll
#undef isdigit
#undef isxdigit
#undef isspace
#undef isalpha
#undef isalnum
#undef isupper
#undef islower
#undef isprint
#undef tolower
#undef toupper

/* Only the sign of a comparison is specified; the magnitude is the implementation's. */
static int sign(int value)
{
	return (value > 0) - (value < 0);
}

/* Fills a buffer with bytes that differ from their neighbours, so a misplaced byte shows. */
static void fill_distinct(unsigned char *buffer, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		buffer[i] = (unsigned char)(i * 7 + seed);
}

START_TEST(memcpy_every_alignment_and_length)
{
	unsigned char source[160], expected[160], actual[160];

	fill_distinct(source, sizeof(source), 3);
	for (size_t to = 0; to < 16; to++) {
		for (size_t from = 0; from < 16; from++) {
			for (size_t length = 0; length <= 100; length++) {
				fill_distinct(expected, sizeof(expected), 100);
				fill_distinct(actual, sizeof(actual), 100);
				memcpy(expected + to, source + from, length);
				REQUIRE(mote_memcpy(actual + to, source + from, length) == actual + to &&
						memcmp(expected, actual, sizeof(actual)) == 0,
					"memcpy to+%zu from+%zu length %zu", to, from, length);
			}
		}
	}
}
END_TEST

START_TEST(memmove_overlapping_both_ways)
{
	unsigned char expected[128], actual[128];

	for (size_t to = 0; to < 40; to++) {
		for (size_t from = 0; from < 40; from++) {
			for (size_t length = 0; length <= 80; length += (length < 20 ? 1 : 7)) {
				fill_distinct(expected, sizeof(expected), 1);
				fill_distinct(actual, sizeof(actual), 1);
				memmove(expected + to, expected + from, length);
				REQUIRE(mote_memmove(actual + to, actual + from, length) == actual + to &&
						memcmp(expected, actual, sizeof(actual)) == 0,
					"memmove to+%zu from+%zu length %zu", to, from, length);
			}
		}
	}
}
END_TEST

START_TEST(memset_every_alignment_and_length)
{
	unsigned char expected[128], actual[128];
	const int values[] = { 0, 0xa5, 0xff, 0x1ff, -1 };

	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		for (size_t start = 0; start < 16; start++) {
			for (size_t length = 0; length <= 100; length++) {
				fill_distinct(expected, sizeof(expected), 9);
				fill_distinct(actual, sizeof(actual), 9);
				memset(expected + start, values[v], length);
				REQUIRE(mote_memset(actual + start, values[v], length) == actual + start &&
						memcmp(expected, actual, sizeof(actual)) == 0,
					"memset(+%zu, %#x, %zu)", start, values[v], length);
			}
		}
	}
}
END_TEST

START_TEST(memcmp_and_memchr)
{
	const unsigned char left[] = { 1, 2, 3, 0x80, 0, 5 };
	const unsigned char right[] = { 1, 2, 3, 0x7f, 0, 6 };

	for (size_t length = 0; length <= sizeof(left); length++) {
		ck_assert_int_eq(sign(mote_memcmp(left, right, length)),
				 sign(memcmp(left, right, length)));
		ck_assert_int_eq(mote_memcmp(left, left, length), 0);
	}
	/* Bytes compare as unsigned: 0x80 is greater than 0x7f. */
	ck_assert_int_gt(mote_memcmp(left, right, 4), 0);
	ck_assert_ptr_eq(mote_memchr(left, 0x80, sizeof(left)), left + 3);
	ck_assert_ptr_eq(mote_memchr(left, 0x180, sizeof(left)), left + 3);
	ck_assert_ptr_eq(mote_memchr(left, 0, sizeof(left)), left + 4);
	ck_assert_ptr_eq(mote_memchr(left, 5, sizeof(left)), left + 5);
	ck_assert_ptr_null(mote_memchr(left, 5, 5));
	ck_assert_ptr_null(mote_memchr(left, 6, sizeof(left)));
	ck_assert_ptr_null(mote_memchr(left, 1, 0));
}
END_TEST

static const char *const sample_strings[] = {
	"", "a", "A", "ab", "abc", "abd", "ABC", "aBc", "abcdef", "hello world", "\x80", "\x7f",
	"\xff\x01", "Content-Length", "content-length", "CONTENT-LENGTH: 42", "z", "zz",
};
#define SAMPLE_COUNT (sizeof(sample_strings) / sizeof(sample_strings[0]))

START_TEST(lengths)
{
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		const char *string = sample_strings[i];

		REQUIRE(mote_strlen(string) == strlen(string), "strlen(\"%s\")", string);
		for (size_t max = 0; max < 20; max++)
			REQUIRE(mote_strnlen(string, max) == strnlen(string, max),
				"strnlen(\"%s\", %zu)", string, max);
	}
}
END_TEST

START_TEST(comparisons)
{
	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		for (size_t j = 0; j < SAMPLE_COUNT; j++) {
			const char *a = sample_strings[i], *b = sample_strings[j];

			REQUIRE(sign(mote_strcmp(a, b)) == sign(strcmp(a, b)), "strcmp %zu %zu", i, j);
			REQUIRE(sign(mote_strcasecmp(a, b)) == sign(strcasecmp(a, b)),
				"strcasecmp %zu %zu", i, j);
			for (size_t n = 0; n < 8; n++) {
				REQUIRE(sign(mote_strncmp(a, b, n)) == sign(strncmp(a, b, n)),
					"strncmp %zu %zu %zu", i, j, n);
				REQUIRE(sign(mote_strncasecmp(a, b, n)) == sign(strncasecmp(a, b, n)),
					"strncasecmp %zu %zu %zu", i, j, n);
			}
		}
	}
}
END_TEST

START_TEST(searches)
{
	const char *haystack = "GET /index.html HTTP/1.1\r\nHost: mote\r\n";
	const char *needles[] = { "", "G", "GET", "/", "HTTP", "\r\n", "mote\r\n", "Host:",
				  "host", "x", "1.1\r\nH", "GET /index.html HTTP/1.1\r\nHost: mote\r\n!" };

	for (int c = 0; c < 256; c++) {
		REQUIRE(mote_strchr(haystack, c) == strchr(haystack, c), "strchr %d", c);
		REQUIRE(mote_strrchr(haystack, c) == strrchr(haystack, c), "strrchr %d", c);
	}
	/* The terminator is part of the string for strchr and strrchr. */
	ck_assert_ptr_eq(mote_strchr(haystack, '\0'), haystack + strlen(haystack));
	ck_assert_ptr_eq(mote_strrchr(haystack, '\0'), haystack + strlen(haystack));
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		ck_assert_ptr_eq(mote_strstr(haystack, needles[i]), strstr(haystack, needles[i]));
	ck_assert_ptr_eq(mote_strstr("", ""), strstr("", ""));
	ck_assert_ptr_null(mote_strstr("", "a"));
	ck_assert_ptr_null(mote_strstr("aaa", "aaaa"));
	ck_assert_str_eq(mote_strstr("aaab", "aab"), "aab");

	for (size_t i = 0; i < SAMPLE_COUNT; i++) {
		const char *sets[] = { "", "a", "abc", "bca ", "lo", "-:", "\x80" };

		for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
			REQUIRE(mote_strspn(sample_strings[i], sets[s]) ==
					strspn(sample_strings[i], sets[s]), "strspn %zu %zu", i, s);
			REQUIRE(mote_strcspn(sample_strings[i], sets[s]) ==
					strcspn(sample_strings[i], sets[s]), "strcspn %zu %zu", i, s);
		}
	}
}
END_TEST

/* strlcpy/strlcat are not in every glibc: these spell out the BSD semantics instead. */
START_TEST(bounded_copy_and_append)
{
	char buffer[8];

	ck_assert_uint_eq(mote_strlcpy(buffer, "hello", sizeof(buffer)), 5);
	ck_assert_str_eq(buffer, "hello");
	ck_assert_uint_eq(mote_strlcpy(buffer, "hello world", sizeof(buffer)), 11);
	ck_assert_str_eq(buffer, "hello w");
	ck_assert_uint_eq(mote_strlcpy(buffer, "1234567", sizeof(buffer)), 7);
	ck_assert_str_eq(buffer, "1234567");
	ck_assert_uint_eq(mote_strlcpy(buffer, "", sizeof(buffer)), 0);
	ck_assert_str_eq(buffer, "");
	buffer[0] = 'x';
	ck_assert_uint_eq(mote_strlcpy(buffer, "abc", 0), 3);
	ck_assert_int_eq(buffer[0], 'x');
	ck_assert_uint_eq(mote_strlcpy(buffer, "abc", 1), 3);
	ck_assert_str_eq(buffer, "");

	mote_strlcpy(buffer, "ab", sizeof(buffer));
	ck_assert_uint_eq(mote_strlcat(buffer, "cd", sizeof(buffer)), 4);
	ck_assert_str_eq(buffer, "abcd");
	ck_assert_uint_eq(mote_strlcat(buffer, "efghij", sizeof(buffer)), 10);
	ck_assert_str_eq(buffer, "abcdefg");
	ck_assert_uint_eq(mote_strlcat(buffer, "xyz", sizeof(buffer)), 10);
	ck_assert_str_eq(buffer, "abcdefg");
	/* No NUL within size: the destination counts as size long and is left alone. */
	memcpy(buffer, "12345678", 8);
	ck_assert_uint_eq(mote_strlcat(buffer, "ab", 4), 6);
	ck_assert_int_eq(memcmp(buffer, "12345678", 8), 0);
	ck_assert_uint_eq(mote_strlcat(buffer, "ab", 0), 2);
}
END_TEST

static const char *const number_inputs[] = {
	"", " ", "0", "00", "-0", "+0", "7", "42", "+42", "-42", " \t\n\v\f\r+42x", "+-1", "--1",
	"-", "+", "0x", "0X", "0x1f", "0X1F", "0xg", "0x-1", "-0x10", "  0x", "0777", "0778",
	"0779", "08", "12abc", "abc", "zz", "ZZ", "Zz!", "1010102", "101", "  -101 ",
	"2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
	"9223372036854775807", "9223372036854775808", "-9223372036854775807",
	"-9223372036854775808", "-9223372036854775809", "18446744073709551615",
	"18446744073709551616", "-18446744073709551615", "-18446744073709551616",
	"99999999999999999999999999999", "-99999999999999999999999999999",
	"0x7fffffffffffffff", "0x8000000000000000", "0xffffffffffffffff", "0x10000000000000000",
	"-0xffffffffffffffff", "0000000000000000000000000000000012", "1z", "3w5e11264sgsf",
	"3w5e11264sgsg", "\x80" "1", "1\x80",
};
/* Valid bases only: for an invalid one glibc leaves *end unset, Mote sets it to the input. */
static const int number_bases[] = { 0, 2, 3, 8, 10, 16, 35, 36 };

START_TEST(number_parsing_against_glibc)
{
	for (size_t i = 0; i < sizeof(number_inputs) / sizeof(number_inputs[0]); i++) {
		for (size_t b = 0; b < sizeof(number_bases) / sizeof(number_bases[0]); b++) {
			const char *input = number_inputs[i];
			int base = number_bases[b];
			char *expected_end, *actual_end;

			REQUIRE(mote_strtoul(input, &actual_end, base) ==
					strtoul(input, &expected_end, base) &&
					actual_end == expected_end,
				"strtoul(\"%s\", %d)", input, base);
			REQUIRE(mote_strtoull(input, &actual_end, base) ==
					strtoull(input, &expected_end, base) &&
					actual_end == expected_end,
				"strtoull(\"%s\", %d)", input, base);
			REQUIRE(mote_strtol(input, &actual_end, base) ==
					strtol(input, &expected_end, base) &&
					actual_end == expected_end,
				"strtol(\"%s\", %d)", input, base);
			REQUIRE(mote_strtoll(input, &actual_end, base) ==
					strtoll(input, &expected_end, base) &&
					actual_end == expected_end,
				"strtoll(\"%s\", %d)", input, base);
		}
	}
}
END_TEST

START_TEST(number_parsing_specifics)
{
	char *end;

	ck_assert_uint_eq(mote_strtoul("0x1A", NULL, 16), 26);
	ck_assert_uint_eq(mote_strtoul("0x1A", &end, 0), 26);
	ck_assert_int_eq(*end, '\0');
	ck_assert_int_eq(mote_strtol("-0x1a", &end, 0), -26);
	ck_assert_uint_eq(mote_strtoul("0xz", &end, 16), 0);
	ck_assert_int_eq(*end, 'x');
	ck_assert_uint_eq(mote_strtoul("  +", &end, 10), 0);
	ck_assert_str_eq(end, "  +");
	ck_assert_uint_eq(mote_strtoul("-1", NULL, 10), UINT64_MAX);
	ck_assert_int_eq(mote_strtoll("-9223372036854775808", NULL, 10), INT64_MIN);
	ck_assert_int_eq(mote_strtoll("9223372036854775808", NULL, 10), INT64_MAX);
	ck_assert_uint_eq(mote_strtoull("18446744073709551616", &end, 10), UINT64_MAX);
	ck_assert_int_eq(*end, '\0');
	/* C11 has no 0b prefix: base 2 parses the "0" and stops at 'b'. */
	ck_assert_uint_eq(mote_strtoul("0b101", &end, 2), 0);
	ck_assert_int_eq(*end, 'b');
	ck_assert_uint_eq(mote_strtoul("z", NULL, 36), 35);
	ck_assert_uint_eq(mote_strtoul("12", &end, 1), 0);
	ck_assert_str_eq(end, "12");
	ck_assert_int_eq(mote_strtol(" 12", &end, 37), 0);
	ck_assert_str_eq(end, " 12");
	ck_assert_int_eq(mote_strtoll("-12", &end, -1), 0);
	ck_assert_str_eq(end, "-12");
}
END_TEST

START_TEST(character_classes_against_glibc)
{
	/* glibc is in the "C" locale here: nothing calls setlocale(). */
	for (int c = -1; c < 256; c++) {
		REQUIRE(!!mote_isdigit(c) == !!isdigit(c), "isdigit(%d)", c);
		REQUIRE(!!mote_isxdigit(c) == !!isxdigit(c), "isxdigit(%d)", c);
		REQUIRE(!!mote_isspace(c) == !!isspace(c), "isspace(%d)", c);
		REQUIRE(!!mote_isalpha(c) == !!isalpha(c), "isalpha(%d)", c);
		REQUIRE(!!mote_isalnum(c) == !!isalnum(c), "isalnum(%d)", c);
		REQUIRE(!!mote_isupper(c) == !!isupper(c), "isupper(%d)", c);
		REQUIRE(!!mote_islower(c) == !!islower(c), "islower(%d)", c);
		REQUIRE(!!mote_isprint(c) == !!isprint(c), "isprint(%d)", c);
		REQUIRE(mote_tolower(c) == tolower(c), "tolower(%d)", c);
		REQUIRE(mote_toupper(c) == toupper(c), "toupper(%d)", c);
	}
}
END_TEST

Suite *string_suite(void)
{
	Suite *suite = suite_create("string");
	TCase *memory = tcase_create("memory");
	TCase *strings = tcase_create("strings");
	TCase *numbers = tcase_create("numbers");
	TCase *characters = tcase_create("ctype");

	tcase_add_test(memory, memcpy_every_alignment_and_length);
	tcase_add_test(memory, memmove_overlapping_both_ways);
	tcase_add_test(memory, memset_every_alignment_and_length);
	tcase_add_test(memory, memcmp_and_memchr);
	tcase_add_test(strings, lengths);
	tcase_add_test(strings, comparisons);
	tcase_add_test(strings, searches);
	tcase_add_test(strings, bounded_copy_and_append);
	tcase_add_test(numbers, number_parsing_against_glibc);
	tcase_add_test(numbers, number_parsing_specifics);
	tcase_add_test(characters, character_classes_against_glibc);
	suite_add_tcase(suite, memory);
	suite_add_tcase(suite, strings);
	suite_add_tcase(suite, numbers);
	suite_add_tcase(suite, characters);
	return suite;
}
