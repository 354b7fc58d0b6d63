/*
 * The guest command line (`extra=` in the xl config, start_info->cmd_line) split into the
 * argc/argv that app_main receives.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#define CMDLINE_MAX_ARGS 64

/*
 * Split `line` in place into at most `max_args` arguments, stored in argv[0..] and
 * followed by a NULL (argv needs max_args + 1 slots). Arguments are separated by blanks; 'single' and "double" quotes group
 * blanks into one argument, and a backslash takes the next character literally (except
 * inside single quotes), as in a shell. Returns the number of arguments stored, -E2BIG if
 * there are more than max_args, or -EINVAL for an unterminated quote or a trailing backslash.
 */
int cmdline_split(char *line, char **argv, int max_args);

#endif
