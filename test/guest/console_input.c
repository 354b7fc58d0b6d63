/*
 * Boot test: console input. Read a line that dom0 types into the guest's console pty and echo
 * it back, so the harness can see the input ring works in the guest-bound direction too.
 */
#include "test/guest/testlib.h"
#include "xen/time.h"
#include "lib/string.h"

int app_main(int argc, char **argv)
{
	char line[128];
	size_t length = 0;

	(void)argc;
	(void)argv;
	printf("console: ready for input\n");
	/* Collect bytes until a newline (a terminal sends CR), for up to 20 s. */
	while (length < sizeof(line) - 1) {
		int count = console_read_wait(line + length, sizeof(line) - 1 - length,
					      time_now() + 20 * NSEC_PER_SEC);

		if (count < 0) {
			test_fail("no complete line of input within 20 s (%zu bytes so far)", length);
			test_finish_checked();
		}
		length += (size_t)count;
		line[length] = '\0';
		if (strchr(line, '\r') != NULL || strchr(line, '\n') != NULL)
			break;
	}
	line[strcspn(line, "\r\n")] = '\0';
	printf("console: read \"%s\"\n", line);
	TEST_CHECK(strcmp(line, "hello from dom0") == 0, "unexpected input");
	test_finish_checked();
}
