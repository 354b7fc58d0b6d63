/*
 * platform/linux/control.c: xen/control.h for the hosted target. On Xen the toolstack asks a
 * guest to stop through xenstore; a hosted process has no toolstack and is stopped by a
 * signal (Ctrl-C, kill), which ends it at once. So no request ever arrives here: an app that
 * waits for one (echo's main thread) simply waits until the process is killed.
 */
#include "xen/control.h"
#include "kernel/sched.h"

static bool never(void *arg)
{
	(void)arg;
	return false;
}

enum control_request control_request(void)
{
	return CONTROL_NONE;
}

enum control_request control_wait_request(uint64_t deadline)
{
	sched_wait(never, NULL, deadline);
	return CONTROL_NONE;
}

const char *control_request_name(enum control_request request)
{
	return request == CONTROL_POWEROFF ? "poweroff" : request == CONTROL_REBOOT ? "reboot"
										 : "none";
}
