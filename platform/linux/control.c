/*
 * platform/linux/control.c: xen/control.h for the hosted target. What `xl shutdown` is to a
 * guest, SIGTERM and SIGINT (Ctrl-C) are to a process: the app sees a poweroff request and
 * may stop cleanly; a second signal ends the process at once.
 */
#include <signal.h>
#include <stdlib.h>
#include "xen/control.h"
#include "kernel/sched.h"

static volatile sig_atomic_t requested;

/* The signal interrupts poll() in platform_idle, so the scheduler looks at every waiting
 * thread's condition again and the app's wait for the request ends. */
static void on_signal(int signal_number)
{
	(void)signal_number;
	if (requested)
		_Exit(130);
	requested = 1;
}

int control_init(void)
{
	struct sigaction action = { .sa_handler = on_signal };

	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	return 0;
}

bool control_ready(void)
{
	return true;
}

enum control_request control_request(void)
{
	return requested ? CONTROL_POWEROFF : CONTROL_NONE;
}

static bool request_made(void *arg)
{
	(void)arg;
	return requested;
}

enum control_request control_wait_request(uint64_t deadline)
{
	sched_wait(request_made, NULL, deadline);
	return control_request();
}

const char *control_request_name(enum control_request request)
{
	static const char *const names[] = { "none", "poweroff", "reboot" };

	return names[request];
}

void control_dump_state(void)
{
}
