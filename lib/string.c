/*
 * lib/string.c: the memory, string and number-parsing functions declared in lib/string.h.
 * Written for clarity first; only the bulk memory functions (memcpy, memmove, memset) work a
 * word at a time, because the network stack and the heap call them on large buffers.
 */
#include <stdbool.h>
#include <stdint.h>
#include "lib/ctype.h"
#include "lib/string.h"

/*
 * A machine word that may alias any object: word-wide accesses to bytes that belong to
 * objects of other types would otherwise break C's aliasing rules.
 */
typedef unsigned long __attribute__((may_alias)) word_t;
#define WORD_SIZE sizeof(word_t)

/*
 * Compilers recognize a byte-copying loop and replace it by a call to memcpy (or memset),
 * which inside memcpy itself would be endless recursion. This attribute turns that rewrite
 * off for the functions that implement those very calls. GCC and Clang spell it differently
 * (the kernel is built with GCC; Clang may build the library for host tools).
 */
#if __has_attribute(no_builtin)
#define NO_LIBRARY_CALLS __attribute__((no_builtin))
#else
#define NO_LIBRARY_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif

/*
 * Type limits, from the compiler's predefined macros: <limits.h> is not usable in a -nostdinc
 * build, because GCC's copy forwards to the C library's.
 */
#define LONG_LIMIT __LONG_MAX__
#define LONG_LONG_LIMIT __LONG_LONG_MAX__
#define UNSIGNED_LONG_LIMIT (__LONG_MAX__ * 2UL + 1)
#define UNSIGNED_LONG_LONG_LIMIT (__LONG_LONG_MAX__ * 2ULL + 1)

static inline bool same_word_offset(const void *left, const void *right)
{
	return ((uintptr_t)left ^ (uintptr_t)right) % WORD_SIZE == 0;
}

/* Copies from low to high addresses, which is also safe for overlaps where to < from. */
NO_LIBRARY_CALLS
static void copy_forward(unsigned char *to, const unsigned char *from, size_t length)
{
	/* Whole words only pay off when both pointers reach word alignment together. */
	if (same_word_offset(to, from)) {
		while (length > 0 && (uintptr_t)to % WORD_SIZE != 0) {
			*to++ = *from++;
			length--;
		}
		while (length >= WORD_SIZE) {
			*(word_t *)to = *(const word_t *)from;
			to += WORD_SIZE;
			from += WORD_SIZE;
			length -= WORD_SIZE;
		}
	}
	while (length > 0) {
		*to++ = *from++;
		length--;
	}
}

/* Copies from high to low addresses, for overlaps where the destination is above the source. */
NO_LIBRARY_CALLS
static void copy_backward(unsigned char *to, const unsigned char *from, size_t length)
{
	to += length;
	from += length;
	if (same_word_offset(to, from)) {
		while (length > 0 && (uintptr_t)to % WORD_SIZE != 0) {
			*--to = *--from;
			length--;
		}
		while (length >= WORD_SIZE) {
			to -= WORD_SIZE;
			from -= WORD_SIZE;
			*(word_t *)to = *(const word_t *)from;
			length -= WORD_SIZE;
		}
	}
	while (length > 0) {
		*--to = *--from;
		length--;
	}
}

NO_LIBRARY_CALLS
void *memcpy(void *restrict destination, const void *restrict source, size_t length)
{
	copy_forward(destination, source, length);
	return destination;
}

NO_LIBRARY_CALLS
void *memmove(void *destination, const void *source, size_t length)
{
	uintptr_t to = (uintptr_t)destination;
	uintptr_t from = (uintptr_t)source;

	/* Only a destination that starts inside the source needs the backward copy. */
	if (to > from && to - from < length)
		copy_backward(destination, source, length);
	else
		copy_forward(destination, source, length);
	return destination;
}

NO_LIBRARY_CALLS
void *memset(void *destination, int byte, size_t length)
{
	unsigned char *to = destination;
	unsigned char value = (unsigned char)byte;
	/* 0x0101...01 times the byte repeats it in every byte of the word. */
	word_t pattern = ((word_t)-1 / 0xff) * value;

	while (length > 0 && (uintptr_t)to % WORD_SIZE != 0) {
		*to++ = value;
		length--;
	}
	while (length >= WORD_SIZE) {
		*(word_t *)to = pattern;
		to += WORD_SIZE;
		length -= WORD_SIZE;
	}
	while (length > 0) {
		*to++ = value;
		length--;
	}
	return destination;
}

/* Bytes compare as unsigned char, so 0x80 sorts after 0x7f, as C requires. */
int memcmp(const void *left, const void *right, size_t length)
{
	const unsigned char *a = left, *b = right;

	for (size_t i = 0; i < length; i++) {
		if (a[i] != b[i])
			return a[i] - b[i];
	}
	return 0;
}

void *memchr(const void *memory, int byte, size_t length)
{
	const unsigned char *bytes = memory;

	for (size_t i = 0; i < length; i++) {
		if (bytes[i] == (unsigned char)byte)
			return (void *)(bytes + i);
	}
	return NULL;
}

size_t strlen(const char *string)
{
	size_t length = 0;

	while (string[length] != '\0')
		length++;
	return length;
}

size_t strnlen(const char *string, size_t max_length)
{
	size_t length = 0;

	while (length < max_length && string[length] != '\0')
		length++;
	return length;
}

/* C compares strings as arrays of unsigned char, whatever the signedness of char. */
int strcmp(const char *left, const char *right)
{
	return strncmp(left, right, SIZE_MAX);
}

int strncmp(const char *left, const char *right, size_t max_length)
{
	for (size_t i = 0; i < max_length; i++) {
		unsigned char a = left[i], b = right[i];

		/* Equal bytes that are both NUL end both strings: they are equal. */
		if (a != b || a == '\0')
			return a - b;
	}
	return 0;
}

int strcasecmp(const char *left, const char *right)
{
	return strncasecmp(left, right, SIZE_MAX);
}

int strncasecmp(const char *left, const char *right, size_t max_length)
{
	/* Through unsigned char: a negative char would be outside tolower()'s domain. */
	for (size_t i = 0; i < max_length; i++) {
		int a = tolower((unsigned char)left[i]);
		int b = tolower((unsigned char)right[i]);

		if (a != b || a == '\0')
			return a - b;
	}
	return 0;
}

/* The terminating NUL counts as part of the string, so strchr(s, '\0') finds the end. */
char *strchr(const char *string, int character)
{
	for (;; string++) {
		if (*string == (char)character)
			return (char *)string;
		if (*string == '\0')
			return NULL;
	}
}

/* One pass that remembers the last match, rather than finding the end and walking back. */
char *strrchr(const char *string, int character)
{
	const char *found = NULL;

	for (;; string++) {
		if (*string == (char)character)
			found = string;
		if (*string == '\0')
			return (char *)found;
	}
}

/* The simple quadratic search: Mote's strings are short (headers, command lines, paths). */
char *strstr(const char *haystack, const char *needle)
{
	size_t needle_length = strlen(needle);

	for (; *haystack != '\0'; haystack++) {
		if (strncmp(haystack, needle, needle_length) == 0)
			return (char *)haystack;
	}
	return needle_length == 0 ? (char *)haystack : NULL;
}

/* strspn/strcspn: the sets are a handful of characters, so strchr() on them is cheap. */
size_t strspn(const char *string, const char *accept)
{
	size_t length = 0;

	while (string[length] != '\0' && strchr(accept, string[length]) != NULL)
		length++;
	return length;
}

size_t strcspn(const char *string, const char *reject)
{
	size_t length = 0;

	while (string[length] != '\0' && strchr(reject, string[length]) == NULL)
		length++;
	return length;
}

/*
 * Returning the source length, not the copied length, lets the caller detect truncation
 * with one comparison; the price is reading all of the source even when little is copied.
 */
size_t strlcpy(char *restrict destination, const char *restrict source, size_t size)
{
	size_t source_length = strlen(source);

	if (size > 0) {
		size_t copied = source_length < size - 1 ? source_length : size - 1;

		memcpy(destination, source, copied);
		destination[copied] = '\0';
	}
	return source_length;
}

size_t strlcat(char *restrict destination, const char *restrict source, size_t size)
{
	/* A destination with no NUL within `size` is already full: append nothing. */
	size_t destination_length = strnlen(destination, size);

	if (destination_length == size)
		return size + strlen(source);
	return destination_length +
	       strlcpy(destination + destination_length, source, size - destination_length);
}

/* The value of a digit in bases up to 36, or 36 for anything that is not a digit. */
static unsigned digit_value(char character)
{
	if (isdigit(character))
		return character - '0';
	if (isalpha(character))
		return tolower(character) - 'a' + 10;
	return 36;
}

/* What the shared parser found: the digits' value, and what the caller must clamp. */
struct parsed_number {
	unsigned long long magnitude;
	bool negative;
	bool overflow;		/* the digits did not fit in an unsigned long long */
};

/*
 * The part that all four strto*() share: white space, sign, prefix and digits. Each caller
 * then only has to clamp the result to its own type's range.
 */
static struct parsed_number parse_number(const char *string, char **end, int base)
{
	struct parsed_number number = { 0, false, false };
	const char *cursor = string;
	const char *first_digit;

	/* An invalid base parses nothing; C leaves *end unspecified, Mote makes it `string`. */
	if (base < 0 || base == 1 || base > 36) {
		if (end != NULL)
			*end = (char *)string;
		return number;
	}
	while (isspace(*cursor))
		cursor++;
	if (*cursor == '+' || *cursor == '-') {
		number.negative = *cursor == '-';
		cursor++;
	}
	/* "0x" counts as a prefix only if a hex digit follows; "0xg" parses as 0, ending at x. */
	if ((base == 0 || base == 16) && cursor[0] == '0' && tolower(cursor[1]) == 'x' &&
	    isxdigit(cursor[2])) {
		cursor += 2;
		base = 16;
	} else if (base == 0) {
		base = cursor[0] == '0' ? 8 : 10;
	}

	first_digit = cursor;
	for (unsigned digit; (digit = digit_value(*cursor)) < (unsigned)base; cursor++) {
		/* Keep consuming digits after an overflow: *end must point past all of them. */
		if (number.magnitude > (UNSIGNED_LONG_LONG_LIMIT - digit) / base)
			number.overflow = true;
		else
			number.magnitude = number.magnitude * base + digit;
	}
	if (end != NULL)
		*end = (char *)(cursor == first_digit ? string : cursor);
	return number;
}

/* Unsigned results: too large gives `max`; a '-' negates modulo the type's range, as in C. */
static unsigned long long clamp_unsigned(struct parsed_number number, unsigned long long max)
{
	if (number.overflow || number.magnitude > max)
		return max;
	return number.negative ? (0 - number.magnitude) & max : number.magnitude;
}

/* Signed results: the range is [-max - 1, max], one more on the negative side. */
static long long clamp_signed(struct parsed_number number, long long max)
{
	bool too_large = number.overflow || number.magnitude > (unsigned long long)max;

	if (number.negative)
		return too_large ? -max - 1 : -(long long)number.magnitude;
	return too_large ? max : (long long)number.magnitude;
}

unsigned long strtoul(const char *restrict string, char **restrict end, int base)
{
	return clamp_unsigned(parse_number(string, end, base), UNSIGNED_LONG_LIMIT);
}

unsigned long long strtoull(const char *restrict string, char **restrict end, int base)
{
	return clamp_unsigned(parse_number(string, end, base), UNSIGNED_LONG_LONG_LIMIT);
}

long strtol(const char *restrict string, char **restrict end, int base)
{
	return clamp_signed(parse_number(string, end, base), LONG_LIMIT);
}

long long strtoll(const char *restrict string, char **restrict end, int base)
{
	return clamp_signed(parse_number(string, end, base), LONG_LONG_LIMIT);
}
