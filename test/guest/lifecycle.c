/*
 * Boot test guest for the toolstack's requests. With "obey" it waits for `xl shutdown` or
 * `xl reboot` and returns from app_main, so the kernel acts on the request; with "ignore" it
 * never returns, and the kernel must end it anyway after CONTROL_GRACE. It stays up until a
 * request comes, so dom0 can also send sysrq keys meanwhile.
 */
#include "test/guest/testlib.h"
#include "kernel/sched.h"
#include "xen/control.h"
#include "lib/string.h"

int app_main(int argc, char **argv)
{
	bool ignore = argc > 1 && strcmp(argv[1], "ignore") == 0;
	enum control_request request;

	printf("lifecycle: up, %s shutdown requests\n", ignore ? "ignoring" : "obeying");
	request = control_wait_request(TIME_NEVER);
	printf("lifecycle: got a %s request\n", control_request_name(request));
	if (ignore) {
		for (;;)
			sched_sleep(NSEC_PER_SEC);
	}
	printf("lifecycle: cleaning up and returning from app_main\n");
	return 0;
}
