/*
 * lib/printf.c: the formatter behind every printf-like function in Mote (see lib/printf.h).
 * It parses one conversion at a time into a struct conversion, turns the argument into a
 * "field" (prefix, leading zeros, body) and pads that field to the requested width.
 */
#include <stdbool.h>
#include <stdint.h>
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

/* Where the output goes, and how much of it there has been so far. */
struct output {
	format_emit_fn *emit;
	void *context;
	size_t count;
};

/* One parsed conversion specification: everything between the '%' and the conversion letter. */
struct conversion {
	bool left_align;	/* '-' */
	bool plus_sign;		/* '+' */
	bool space_sign;	/* ' ' */
	bool alternate;		/* '#' */
	bool zero_pad;		/* '0' */
	unsigned width;		/* 0 when absent */
	int precision;		/* -1 when absent */
	char length;		/* 0, 'h', 'l', 'z', 'j', 't', or 'H' for hh and 'L' for ll */
};

/* Empty pieces are dropped here, so callbacks never see a zero-length call. */
static void put(struct output *out, const char *text, size_t length)
{
	if (length == 0)
		return;
	out->emit(out->context, text, length);
	out->count += length;
}

/* Padding goes out in small chunks, so no width needs a buffer of its size. */
static void put_repeated(struct output *out, char character, size_t count)
{
	char chunk[16];

	memset(chunk, character, sizeof(chunk));
	while (count > 0) {
		size_t length = MIN(count, sizeof(chunk));

		put(out, chunk, length);
		count -= length;
	}
}

/*
 * Every conversion ends here: a prefix (sign and/or 0x), `zeros` zeros, then the body, padded
 * with spaces to the field width on the left, or on the right with '-'.
 */
static void put_field(struct output *out, const struct conversion *spec, const char *prefix,
		      size_t prefix_length, size_t zeros, const char *body, size_t body_length)
{
	size_t content = prefix_length + zeros + body_length;
	size_t padding = spec->width > content ? spec->width - content : 0;

	if (!spec->left_align)
		put_repeated(out, ' ', padding);
	put(out, prefix, prefix_length);
	put_repeated(out, '0', zeros);
	put(out, body, body_length);
	if (spec->left_align)
		put_repeated(out, ' ', padding);
}

/*
 * A string field: the precision, if any, is the most characters to take from `text`.
 * strnlen() never reads past that limit, so "%.*s" may print from a buffer that has no NUL.
 */
static void put_string(struct output *out, const struct conversion *spec, const char *text)
{
	size_t max_length = spec->precision < 0 ? SIZE_MAX : (size_t)spec->precision;

	put_field(out, spec, NULL, 0, 0, text, strnlen(text, max_length));
}

/*
 * An integer field. `letter` is the conversion (d i u o x X p); the value arrives split into
 * magnitude and sign so that LLONG_MIN needs no special case.
 */
static void put_integer(struct output *out, const struct conversion *spec, char letter,
			unsigned long long magnitude, bool negative)
{
	const char *digit_set = letter == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned base = letter == 'o' ? 8 : (letter == 'x' || letter == 'X' || letter == 'p') ? 16 : 10;
	bool is_signed = letter == 'd' || letter == 'i' || letter == 'p';
	char digits[22]; /* 2^64 - 1 in octal, the longest case, has 22 digits */
	char *first_digit = digits + sizeof(digits);
	char prefix[3];
	size_t prefix_length = 0;
	size_t digit_count, zeros;

	/* C's rule: a zero value with precision 0 prints no digits at all. */
	if (magnitude != 0 || spec->precision != 0) {
		unsigned long long rest = magnitude;

		do {
			*--first_digit = digit_set[rest % base];
			rest /= base;
		} while (rest != 0);
	}
	digit_count = digits + sizeof(digits) - first_digit;
	zeros = spec->precision > 0 && (size_t)spec->precision > digit_count ?
		spec->precision - digit_count : 0;

	/* %#o guarantees a leading 0, adding one only if the digits do not already start so. */
	if (letter == 'o' && spec->alternate && zeros == 0 &&
	    (digit_count == 0 || *first_digit != '0'))
		zeros = 1;

	/* glibc treats %p as signed here: "%+p" prints +0x..., so the sign flags apply to it. */
	if (negative)
		prefix[prefix_length++] = '-';
	else if (is_signed && spec->plus_sign)
		prefix[prefix_length++] = '+';
	else if (is_signed && spec->space_sign)
		prefix[prefix_length++] = ' ';
	if (letter == 'p' || ((letter == 'x' || letter == 'X') && spec->alternate && magnitude != 0)) {
		prefix[prefix_length++] = '0';
		prefix[prefix_length++] = letter == 'X' ? 'X' : 'x';
	}

	/* The 0 flag pads with zeros between prefix and digits, unless '-' or a precision wins. */
	if (spec->zero_pad && !spec->left_align && spec->precision < 0) {
		size_t content = prefix_length + zeros + digit_count;

		if (spec->width > content)
			zeros += spec->width - content;
	}
	put_field(out, spec, prefix, prefix_length, zeros, first_digit, digit_count);
}

/*
 * Fetch an integer argument of the size that the length modifier names. Narrow types travel
 * as int through "...", so they are fetched as int and then truncated as C specifies.
 */
static long long next_signed(va_list *arguments, char length)
{
	switch (length) {
	case 'H': return (signed char)va_arg(*arguments, int);
	case 'h': return (short)va_arg(*arguments, int);
	case 'l': return va_arg(*arguments, long);
	case 'L': return va_arg(*arguments, long long);
	case 'j': return va_arg(*arguments, intmax_t);
	case 'z': /* the signed type of size_t's width, which is ptrdiff_t's */
	case 't': return va_arg(*arguments, ptrdiff_t);
	default: return va_arg(*arguments, int);
	}
}

static unsigned long long next_unsigned(va_list *arguments, char length)
{
	switch (length) {
	case 'H': return (unsigned char)va_arg(*arguments, unsigned int);
	case 'h': return (unsigned short)va_arg(*arguments, unsigned int);
	case 'l': return va_arg(*arguments, unsigned long);
	case 'L': return va_arg(*arguments, unsigned long long);
	case 'j': return va_arg(*arguments, uintmax_t);
	case 'z':
	case 't': return va_arg(*arguments, size_t);
	default: return va_arg(*arguments, unsigned int);
	}
}

/* Reads a decimal width or precision, saturating rather than overflowing on absurd input. */
static int parse_decimal(const char **cursor)
{
	int value = 0;

	for (; isdigit(**cursor); (*cursor)++) {
		if (value <= (__INT_MAX__ - 9) / 10)
			value = value * 10 + (**cursor - '0');
	}
	return value;
}

/*
 * Parses flags, width, precision and length modifier from *cursor (just past the '%'),
 * fetching '*' arguments as it meets them.
 */
static void parse_conversion(const char **cursor, va_list *arguments, struct conversion *spec)
{
	const char *at = *cursor;

	*spec = (struct conversion){ .precision = -1 };
	/* Flags may come in any order and repeat; conflicts ('-' with '0') are settled later. */
	for (;; at++) {
		if (*at == '-')
			spec->left_align = true;
		else if (*at == '+')
			spec->plus_sign = true;
		else if (*at == ' ')
			spec->space_sign = true;
		else if (*at == '#')
			spec->alternate = true;
		else if (*at == '0')
			spec->zero_pad = true;
		else
			break;
	}

	if (*at == '*') {
		/* A negative width argument means '-' and its absolute value, as in C. */
		int width = va_arg(*arguments, int);

		at++;
		if (width < 0) {
			spec->left_align = true;
			spec->width = 0u - (unsigned)width;
		} else {
			spec->width = width;
		}
	} else {
		spec->width = parse_decimal(&at);
	}

	if (*at == '.') {
		at++;
		if (*at == '*') {
			/* A negative precision argument counts as no precision at all. */
			int precision = va_arg(*arguments, int);

			at++;
			spec->precision = precision < 0 ? -1 : precision;
		} else {
			spec->precision = parse_decimal(&at);
		}
	}

	/* hh and ll are stored as single letters, H and L, to keep the field one char. */
	if (*at == 'h' || *at == 'l') {
		spec->length = *at++;
		if (*at == spec->length) {
			spec->length = spec->length == 'h' ? 'H' : 'L';
			at++;
		}
	} else if (*at == 'z' || *at == 'j' || *at == 't') {
		spec->length = *at++;
	}
	*cursor = at;
}

int vformat(format_emit_fn *emit, void *context, const char *fmt, va_list arguments)
{
	struct output out = { .emit = emit, .context = context, .count = 0 };
	va_list remaining;

	/* A copy that can be passed by address: a va_list parameter cannot be, portably. */
	va_copy(remaining, arguments);
	while (*fmt != '\0') {
		const char *specification;
		struct conversion spec;
		char letter;

		/* Text up to the next '%' goes out in one piece, which is kind to slow consoles. */
		specification = strchr(fmt, '%');
		if (specification == NULL) {
			put(&out, fmt, strlen(fmt));
			break;
		}
		put(&out, fmt, specification - fmt);

		fmt = specification + 1;
		parse_conversion(&fmt, &remaining, &spec);
		letter = *fmt;
		if (letter == '\0') {
			/* The format ends inside a specification: show what there was. */
			put(&out, specification, fmt - specification);
			break;
		}
		fmt++;

		switch (letter) {
		case 'd':
		case 'i': {
			long long value = next_signed(&remaining, spec.length);
			/* Negating in unsigned arithmetic is defined even for LLONG_MIN. */
			unsigned long long magnitude = value;

			if (value < 0)
				magnitude = 0 - magnitude;

			put_integer(&out, &spec, letter, magnitude, value < 0);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			put_integer(&out, &spec, letter, next_unsigned(&remaining, spec.length), false);
			break;
		case 'p': {
			void *pointer = va_arg(remaining, void *);

			/* glibc prints NULL as a plain string that ignores the precision and 0 flag. */
			if (pointer == NULL) {
				put_field(&out, &spec, NULL, 0, 0, "(nil)", 5);
				break;
			}
			put_integer(&out, &spec, letter, (uintptr_t)pointer, false);
			break;
		}
		case 'c': {
			/* A char argument arrives promoted to int, and NUL is printed like any other. */
			char character = (char)va_arg(remaining, int);

			put_field(&out, &spec, NULL, 0, 0, &character, 1);
			break;
		}
		case 's': {
			const char *text = va_arg(remaining, const char *);

			/* As glibc: "(null)", or nothing when the precision cannot fit all of it. */
			if (text == NULL)
				text = spec.precision < 0 || spec.precision >= 6 ? "(null)" : "";
			put_string(&out, &spec, text);
			break;
		}
		case '%':
			put(&out, "%", 1);
			break;
		default:
			/* Unknown conversions print verbatim, so a typo is visible in the output. */
			put(&out, specification, fmt - specification);
			break;
		}
	}
	va_end(remaining);
	/* __INT_MAX__ is INT_MAX: <limits.h> is not usable in a -nostdinc build. */
	return out.count > __INT_MAX__ ? -EOVERFLOW : (int)out.count;
}

/* vsnprintf's emit callback state: a buffer that keeps one byte back for the NUL. */
struct buffer_output {
	char *buffer;
	size_t size;
	size_t used;
};

/* Keeps what fits and drops the rest; vformat() still counts the dropped characters. */
static void emit_to_buffer(void *context, const char *text, size_t length)
{
	struct buffer_output *out = context;

	if (out->used + 1 < out->size) {
		size_t room = out->size - 1 - out->used;
		size_t copied = MIN(length, room);

		memcpy(out->buffer + out->used, text, copied);
		out->used += copied;
	}
}

/* Size 0 writes nothing at all, which makes vsnprintf(NULL, 0, ...) a way to measure. */
int vsnprintf(char *buffer, size_t size, const char *fmt, va_list arguments)
{
	struct buffer_output out = { .buffer = buffer, .size = size, .used = 0 };
	int length = vformat(emit_to_buffer, &out, fmt, arguments);

	if (size > 0)
		buffer[out.used] = '\0';
	return length;
}

int snprintf(char *buffer, size_t size, const char *fmt, ...)
{
	va_list arguments;
	int length;

	va_start(arguments, fmt);
	length = vsnprintf(buffer, size, fmt, arguments);
	va_end(arguments);
	return length;
}
