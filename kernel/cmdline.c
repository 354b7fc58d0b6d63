/*
 * Command-line splitting (kernel/cmdline.h). Built for the host too: test/unit/test_cmdline.c.
 */
#include <stddef.h>
#include <stdbool.h>
#include "kernel/cmdline.h"
#include "lib/errno.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * One pass with a read pointer and a write pointer: removing quotes and backslashes only ever
 * shortens an argument, so each argument is rewritten in place, NUL-terminated.
 */
int cmdline_split(char *line, char **argv, int max_args)
{
	char *read = line, *write = line;
	int argc = 0;

	for (;;) {
		char quote = 0;

		while (is_blank(*read))
			read++;
		if (*read == '\0')
			break;
		if (argc == max_args)
			return -E2BIG;
		argv[argc++] = write;
		while (*read != '\0' && (quote != 0 || !is_blank(*read))) {
			char c = *read++;

			if (quote == 0 && (c == '"' || c == '\'')) {
				quote = c;
			} else if (quote != 0 && c == quote) {
				quote = 0;
			} else if (c == '\\' && quote != '\'') {
				if (*read == '\0')
					return -EINVAL;
				*write++ = *read++;
			} else {
				*write++ = c;
			}
		}
		if (quote != 0)
			return -EINVAL;
		/* The terminator may overwrite the blank we stopped at; step past it first. */
		if (*read != '\0')
			read++;
		*write++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}
