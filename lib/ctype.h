/*
 * lib/ctype.h: character classes for the "C" locale, ASCII only. Mote has no locales, so
 * these are simple range checks; bytes 128..255 belong to no class.
 */
#ifndef MOTE_LIB_CTYPE_H
#define MOTE_LIB_CTYPE_H

static inline int isdigit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int isupper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static inline int islower(int c)
{
	return c >= 'a' && c <= 'z';
}

static inline int isalpha(int c)
{
	return isupper(c) || islower(c);
}

static inline int isalnum(int c)
{
	return isalpha(c) || isdigit(c);
}

static inline int isxdigit(int c)
{
	return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Space, \t, \n, \v, \f and \r, as in C. */
static inline int isspace(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Printable means graphic or space: everything from ' ' to '~'. */
static inline int isprint(int c)
{
	return c >= ' ' && c <= '~';
}

/* 'a' and 'A' differ only in bit 5 (0x20), in every ASCII letter pair. */
static inline int tolower(int c)
{
	return isupper(c) ? c | 0x20 : c;
}

static inline int toupper(int c)
{
	return islower(c) ? c & ~0x20 : c;
}

#endif
