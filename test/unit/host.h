/*
 * test/unit/host.h: forced into every host unit-test object (gcc -include). Mote's library
 * defines functions with C library names; linked into a test binary under those names they
 * would replace glibc's own memcpy, malloc or snprintf for the whole process, Check included.
 * So every such name is renamed to mote_<name> here, in library and tests alike.
 *
 * glibc's headers are included first, before the renaming, so their declarations keep the
 * real names; headers that are included again later are skipped by their include guards.
 * A test that wants glibc's version of a renamed function (as an oracle) #undefs the macro.
 */
#ifndef MOTE_TEST_UNIT_HOST_H
#define MOTE_TEST_UNIT_HOST_H

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* glibc's assert; Mote's own comes from lib/assert.h, which calls the stub assert_fail(). */
#undef assert

/* glibc may also define some of these as macros; the renaming has to replace those. */
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

#define isdigit mote_isdigit
#define isxdigit mote_isxdigit
#define isspace mote_isspace
#define isalpha mote_isalpha
#define isalnum mote_isalnum
#define isupper mote_isupper
#define islower mote_islower
#define isprint mote_isprint
#define tolower mote_tolower
#define toupper mote_toupper

#define memcpy mote_memcpy
#define memmove mote_memmove
#define memset mote_memset
#define memcmp mote_memcmp
#define memchr mote_memchr
#define strlen mote_strlen
#define strnlen mote_strnlen
#define strcmp mote_strcmp
#define strncmp mote_strncmp
#define strcasecmp mote_strcasecmp
#define strncasecmp mote_strncasecmp
#define strchr mote_strchr
#define strrchr mote_strrchr
#define strstr mote_strstr
#define strspn mote_strspn
#define strcspn mote_strcspn
#define strlcpy mote_strlcpy
#define strlcat mote_strlcat
#define strtoul mote_strtoul
#define strtoull mote_strtoull
#define strtol mote_strtol
#define strtoll mote_strtoll
#define strerror mote_strerror

#define vsnprintf mote_vsnprintf
#define snprintf mote_snprintf

#define malloc mote_malloc
#define free mote_free
#define calloc mote_calloc
#define realloc mote_realloc
#define aligned_alloc mote_aligned_alloc

/*
 * Declare every renamed function, so that a renamed name is usable in any test file: Check's
 * own macros call strcmp() and memcmp(), which now mean mote_strcmp() and mote_memcmp().
 */
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/printf.h"
#include "lib/string.h"

#endif
