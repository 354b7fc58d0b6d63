/*
 * lib/string.h: C's memory and string functions, plus the BSD strlcpy/strlcat and the
 * strto*() number parsers. They behave as C specifies, with two differences that matter to a
 * kernel: nothing depends on a locale, and the parsers set no errno (Mote has none). An
 * overflowing number is clamped, as in C, so the clamped value is the overflow signal.
 */
#ifndef MOTE_LIB_STRING_H
#define MOTE_LIB_STRING_H

#include <stddef.h>

void *memcpy(void *restrict destination, const void *restrict source, size_t length);
void *memmove(void *destination, const void *source, size_t length);
void *memset(void *destination, int byte, size_t length);
int memcmp(const void *left, const void *right, size_t length);
void *memchr(const void *memory, int byte, size_t length);

size_t strlen(const char *string);
size_t strnlen(const char *string, size_t max_length);
int strcmp(const char *left, const char *right);
int strncmp(const char *left, const char *right, size_t max_length);
int strcasecmp(const char *left, const char *right);
int strncasecmp(const char *left, const char *right, size_t max_length);
char *strchr(const char *string, int character);
char *strrchr(const char *string, int character);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *string, const char *accept);
size_t strcspn(const char *string, const char *reject);

/*
 * Copy or append into a buffer of `size` bytes, always NUL-terminating when size > 0, and
 * return the length the full result would have had: a return value >= size means truncation.
 */
size_t strlcpy(char *restrict destination, const char *restrict source, size_t size);
size_t strlcat(char *restrict destination, const char *restrict source, size_t size);

/*
 * Parse an integer: leading white space, an optional sign, then digits in `base` (2..36, or 0
 * to accept C's 0x and 0 prefixes; base 16 also accepts 0x). *end, if end is not NULL, gets
 * the first unparsed character, or `string` itself when there were no digits. Out-of-range
 * values are clamped to the type's limits; the unsigned versions negate a leading '-' as C does.
 */
unsigned long strtoul(const char *restrict string, char **restrict end, int base);
unsigned long long strtoull(const char *restrict string, char **restrict end, int base);
long strtol(const char *restrict string, char **restrict end, int base);
long long strtoll(const char *restrict string, char **restrict end, int base);

#endif
