/*
 * test/unit/test_printf.c: lib/printf.c against glibc's printf family as the oracle. Formats
 * are mostly generated (flags x widths x precisions x length modifiers x values), so one
 * test covers hundreds of thousands of cases; a failure prints the first disagreements.
 * After the #undefs below, snprintf is glibc's and mote_snprintf the library's.
 */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/printf.h"

#undef snprintf
#undef vsnprintf
#undef strcmp
#undef memcmp
#undef memset
#undef strlen

static struct {
	unsigned long cases;
	unsigned long mismatches;
} tally;

/*
 * Formats with both implementations into generous buffers and compares the return values
 * and every byte up to the terminator (output may contain NUL, from %c).
 */
static void compare_format(const char *fmt, ...)
{
	char expected[1024], actual[1024];
	va_list for_glibc, for_mote;
	int expected_length, actual_length;

	va_start(for_glibc, fmt);
	va_copy(for_mote, for_glibc);
	memset(actual, 0x55, sizeof(actual));
	expected_length = vsnprintf(expected, sizeof(expected), fmt, for_glibc);
	actual_length = mote_vsnprintf(actual, sizeof(actual), fmt, for_mote);
	va_end(for_mote);
	va_end(for_glibc);

	tally.cases++;
	if (expected_length == actual_length && expected_length >= 0 &&
	    (size_t)expected_length < sizeof(expected) &&
	    memcmp(expected, actual, expected_length + 1) == 0)
		return;
	if (tally.mismatches++ < 20)
		fprintf(stderr, "format \"%s\": glibc \"%s\" (%d), mote \"%s\" (%d)\n", fmt, expected,
			expected_length, actual, actual_length);
}

static void expect_no_mismatches(void)
{
	ck_assert_uint_gt(tally.cases, 0);
	ck_assert_msg(tally.mismatches == 0, "%lu of %lu formats differ from glibc (see stderr)",
		      tally.mismatches, tally.cases);
}

/* Every combination of the five flags, each in a fixed order. */
static void flag_string(unsigned mask, char *out)
{
	static const char flags[] = "-+ #0";

	for (unsigned bit = 0; bit < 5; bit++) {
		if (mask & (1u << bit))
			*out++ = flags[bit];
	}
	*out = '\0';
}

static const char *const widths[] = { "", "1", "3", "12", "25", "*" };
static const int star_widths[] = { 9, -9, 0 };
static const char *const precisions[] = { "", ".", ".0", ".1", ".4", ".17", ".*" };
static const int star_precisions[] = { 6, -3, 0 };

/* Which '*' a generated format has, and the argument to pass for each. */
struct stars {
	bool width, precision;
	int width_value, precision_value;
};

/* Passes the '*' arguments ahead of the value, in the order the format consumes them. */
#define COMPARE_WITH_STARS(fmt, stars, value) \
	do { \
		if ((stars)->width && (stars)->precision) \
			compare_format(fmt, (stars)->width_value, (stars)->precision_value, value); \
		else if ((stars)->width) \
			compare_format(fmt, (stars)->width_value, value); \
		else if ((stars)->precision) \
			compare_format(fmt, (stars)->precision_value, value); \
		else \
			compare_format(fmt, value); \
	} while (0)

/* One generated format with one value; `value` points to an int, long long or pointer. */
typedef void format_one_fn(const char *fmt, const struct stars *stars, const void *value);

static void format_int(const char *fmt, const struct stars *stars, const void *value)
{
	COMPARE_WITH_STARS(fmt, stars, *(const int *)value);
}

static void format_long_long(const char *fmt, const struct stars *stars, const void *value)
{
	COMPARE_WITH_STARS(fmt, stars, *(const long long *)value);
}

static void format_pointer(const char *fmt, const struct stars *stars, const void *value)
{
	COMPARE_WITH_STARS(fmt, stars, *(const void *const *)value);
}

/*
 * Calls `format_one` for every flag/width/precision combination around `tail` (the length
 * modifier and conversion, e.g. "lld"), once for each test argument of each '*'.
 */
static void for_every_specification(const char *tail, format_one_fn *format_one, const void *value)
{
	char fmt[64], flags[8];

	for (unsigned mask = 0; mask < 32; mask++) {
		flag_string(mask, flags);
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			for (size_t p = 0; p < sizeof(precisions) / sizeof(precisions[0]); p++) {
				struct stars stars = {
					.width = widths[w][0] == '*',
					.precision = precisions[p][0] == '.' && precisions[p][1] == '*',
				};

				snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s]", flags, widths[w],
					 precisions[p], tail);
				for (size_t sw = 0; sw < (stars.width ? 3 : 1); sw++) {
					for (size_t sp = 0; sp < (stars.precision ? 3 : 1); sp++) {
						stars.width_value = star_widths[sw];
						stars.precision_value = star_precisions[sp];
						format_one(fmt, &stars, value);
					}
				}
			}
		}
	}
}

static const char *const integer_conversions[] = { "d", "i", "u", "o", "x", "X" };

/* int-sized and narrower: no modifier, h and hh (values beyond the narrow range truncate). */
static const int int_values[] = { 0, 1, -1, 7, 42, -42, 127, 128, -128, -129, 255, 256, 32767,
				  32768, -32768, 65535, 65536, 1234567, -7654321, INT_MAX, INT_MIN };
static const char *const int_modifiers[] = { "", "h", "hh" };

/* 64-bit: l, ll, z, j, t all take a 64-bit argument on x86-64. */
static const long long long_values[] = { 0, 1, -1, 8, 0x7f, 4294967295LL, 4294967296LL,
					 -4294967296LL, 123456789012345LL, LLONG_MAX, LLONG_MIN,
					 LLONG_MIN + 1, (long long)0x8000000000000000ULL >> 1 };
static const char *const long_modifiers[] = { "l", "ll", "z", "j", "t" };

START_TEST(int_conversions)
{
	char tail[8];

	for (size_t c = 0; c < sizeof(integer_conversions) / sizeof(integer_conversions[0]); c++) {
		for (size_t m = 0; m < sizeof(int_modifiers) / sizeof(int_modifiers[0]); m++) {
			snprintf(tail, sizeof(tail), "%s%s", int_modifiers[m], integer_conversions[c]);
			for (size_t v = 0; v < sizeof(int_values) / sizeof(int_values[0]); v++)
				for_every_specification(tail, format_int, &int_values[v]);
		}
	}
	expect_no_mismatches();
}
END_TEST

START_TEST(long_conversions)
{
	char tail[8];

	for (size_t c = 0; c < sizeof(integer_conversions) / sizeof(integer_conversions[0]); c++) {
		for (size_t m = 0; m < sizeof(long_modifiers) / sizeof(long_modifiers[0]); m++) {
			snprintf(tail, sizeof(tail), "%s%s", long_modifiers[m], integer_conversions[c]);
			for (size_t v = 0; v < sizeof(long_values) / sizeof(long_values[0]); v++)
				for_every_specification(tail, format_long_long, &long_values[v]);
		}
	}
	expect_no_mismatches();
}
END_TEST

START_TEST(character_conversions)
{
	static const int characters[] = { 'a', ' ', '%', '\0', 0x80, 0xff, 0x141 };

	for (size_t v = 0; v < sizeof(characters) / sizeof(characters[0]); v++)
		for_every_specification("c", format_int, &characters[v]);
	expect_no_mismatches();
}
END_TEST

START_TEST(string_conversions)
{
	/* NULL included: "(null)", or nothing when the precision is below 6, as glibc. */
	static const char *const strings[] = { "", "a", "hello", "exactly 12 c", "a longer string: it is 34 characters",
					       NULL };

	for (size_t v = 0; v < sizeof(strings) / sizeof(strings[0]); v++)
		for_every_specification("s", format_pointer, &strings[v]);
	expect_no_mismatches();
}
END_TEST

START_TEST(pointer_conversions)
{
	int local;
	static const void *pointers[] = { NULL, (void *)1, (void *)0x1234, (void *)0xffffffff,
					  (void *)UINTPTR_MAX, (void *)0xffff800000001000 };

	for (size_t v = 0; v < sizeof(pointers) / sizeof(pointers[0]); v++)
		for_every_specification("p", format_pointer, &pointers[v]);
	pointers[0] = &local;
	for_every_specification("p", format_pointer, &pointers[0]);
	expect_no_mismatches();
}
END_TEST

START_TEST(mixed_formats)
{
	compare_format("plain text, no conversions");
	compare_format("");
	compare_format("%%");
	compare_format("100%% sure, %d%%", 100);
	compare_format("%d %s %c %x %p", -5, "five", '5', 0x5u, (void *)0x5);
	compare_format("%s=%d; %s=%u; %s=%lld", "a", 1, "b", 2u, "c", -3LL);
	compare_format("%-10s|%10s|%.2s|", "left", "right", "truncate");
	compare_format("%08.3d|%-8.3d|%+.0d|% .0d|%.0d|", 5, -5, 0, 0, 0);
	compare_format("%#o %#o %#.0o %#.3o %#5o %#x %#X %#.0x %#08x", 0, 8, 0, 8, 8, 0, 255, 0, 255);
	compare_format("%hhd %hhu %hd %hu", 255, 255, 65535, 65535);
	compare_format("%zu %zd %td %ju %jd", (size_t)-1, (ptrdiff_t)-1, (ptrdiff_t)PTRDIFF_MIN,
		       (uintmax_t)UINTMAX_MAX, (intmax_t)INTMAX_MIN);
	compare_format("%*d|%-*d|%*d|%.*d|%.*d", 6, 42, 6, 42, -6, 42, 4, 7, -1, 7);
	compare_format("%300d|%-300s|", 1, "x");
	compare_format("%.300d", -1);
	compare_format("%c%c%c", 'a', '\0', 'b');
	expect_no_mismatches();
}
END_TEST

/*
 * C99 truncation: for every buffer size from 0 up, the same return value as glibc, the same
 * bytes written, a terminator whenever size > 0, and nothing written past `size`.
 */
START_TEST(truncation_and_return_value)
{
	static const char *const formats[] = { "hello, %s! %d%%", "%-12d|", "%c%c", "%020p" };
	char expected[64], actual[64];

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (size_t size = 0; size < 40; size++) {
			int expected_length, actual_length;

			memset(expected, '#', sizeof(expected));
			memset(actual, '#', sizeof(actual));
			switch (f) {
			case 0:
				expected_length = snprintf(expected, size, formats[f], "world", 42);
				actual_length = mote_snprintf(actual, size, formats[f], "world", 42);
				break;
			case 1:
				expected_length = snprintf(expected, size, formats[f], -31337);
				actual_length = mote_snprintf(actual, size, formats[f], -31337);
				break;
			case 2:
				expected_length = snprintf(expected, size, formats[f], 'x', 'y');
				actual_length = mote_snprintf(actual, size, formats[f], 'x', 'y');
				break;
			default:
				expected_length = snprintf(expected, size, formats[f], (void *)0xabc);
				actual_length = mote_snprintf(actual, size, formats[f], (void *)0xabc);
				break;
			}
			ck_assert_int_eq(actual_length, expected_length);
			ck_assert_msg(memcmp(actual, expected, sizeof(actual)) == 0,
				      "format \"%s\" size %zu", formats[f], size);
		}
	}
	/* Size 0 writes nothing at all, so a NULL buffer is allowed: the way to measure. */
	ck_assert_int_eq(mote_snprintf(NULL, 0, "%s-%d", "abc", 12345), 9);
}
END_TEST

/* vformat's callback: collects the pieces and counts the calls. */
struct collected {
	char text[4096];
	size_t length;
	unsigned calls;
	size_t longest_piece;
};

static void collect(void *context, const char *text, size_t length)
{
	struct collected *out = context;

	ck_assert_uint_gt(length, 0);
	ck_assert_uint_le(out->length + length, sizeof(out->text));
	for (size_t i = 0; i < length; i++)
		out->text[out->length + i] = text[i];
	out->length += length;
	out->calls++;
	if (length > out->longest_piece)
		out->longest_piece = length;
}

static int format_into(struct collected *out, const char *fmt, ...)
{
	va_list arguments;
	int length;

	va_start(arguments, fmt);
	length = vformat(collect, out, fmt, arguments);
	va_end(arguments);
	return length;
}

START_TEST(vformat_streams_everything)
{
	struct collected out = { .length = 0 };
	char expected[4096];
	int expected_length = snprintf(expected, sizeof(expected), "%s: %2000d|%-1500s|%c.",
				       "long field", 77, "pad", '\0');
	int length = format_into(&out, "%s: %2000d|%-1500s|%c.", "long field", 77, "pad", '\0');

	ck_assert_int_eq(length, expected_length);
	ck_assert_uint_eq(out.length, (size_t)expected_length);
	ck_assert_int_eq(memcmp(out.text, expected, out.length), 0);
	/* Padding is streamed in small chunks, not built in a width-sized buffer. */
	ck_assert_uint_le(out.longest_piece, 64);
	ck_assert_uint_gt(out.calls, 100);

	/* Literal text between conversions goes out in one piece. */
	out = (struct collected){ .length = 0 };
	ck_assert_int_eq(format_into(&out, "a fairly long literal run of text"), 33);
	ck_assert_uint_eq(out.calls, 1);

	out = (struct collected){ .length = 0 };
	ck_assert_int_eq(format_into(&out, ""), 0);
	ck_assert_uint_eq(out.calls, 0);
}
END_TEST

/* A wrapper without the format attribute, so the compiler lets us pass bad formats. */
static int format_unchecked(char *buffer, size_t size, const char *fmt, ...)
{
	va_list arguments;
	int length;

	va_start(arguments, fmt);
	length = mote_vsnprintf(buffer, size, fmt, arguments);
	va_end(arguments);
	return length;
}

START_TEST(unknown_conversions_print_verbatim)
{
	char buffer[64];

	ck_assert_int_eq(format_unchecked(buffer, sizeof(buffer), "[%y]"), 4);
	ck_assert_str_eq(buffer, "[%y]");
	format_unchecked(buffer, sizeof(buffer), "[%-5y][%#08.3k]");
	ck_assert_str_eq(buffer, "[%-5y][%#08.3k]");
	/* %n is deliberately unsupported: it writes through a pointer argument. */
	format_unchecked(buffer, sizeof(buffer), "[%n]", (int *)NULL);
	ck_assert_str_eq(buffer, "[%n]");
	format_unchecked(buffer, sizeof(buffer), "%d then %", 5);
	ck_assert_str_eq(buffer, "5 then %");
	format_unchecked(buffer, sizeof(buffer), "ends inside %-08.");
	ck_assert_str_eq(buffer, "ends inside %-08.");
	format_unchecked(buffer, sizeof(buffer), "%5%|%-5%");
	ck_assert_str_eq(buffer, "%|%");
}
END_TEST

Suite *printf_suite(void)
{
	Suite *suite = suite_create("printf");
	TCase *against_glibc = tcase_create("against glibc");
	TCase *behaviour = tcase_create("behaviour");

	tcase_add_test(against_glibc, int_conversions);
	tcase_add_test(against_glibc, long_conversions);
	tcase_add_test(against_glibc, character_conversions);
	tcase_add_test(against_glibc, string_conversions);
	tcase_add_test(against_glibc, pointer_conversions);
	tcase_add_test(against_glibc, mixed_formats);
	tcase_add_test(behaviour, truncation_and_return_value);
	tcase_add_test(behaviour, vformat_streams_everything);
	tcase_add_test(behaviour, unknown_conversions_print_verbatim);
	suite_add_tcase(suite, against_glibc);
	suite_add_tcase(suite, behaviour);
	return suite;
}
