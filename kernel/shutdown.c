/*
 * Ending the domain: SCHEDOP_shutdown with a reason that the toolstack acts on (public/sched.h).
 * poweroff and reboot are what `xl shutdown` and `xl reboot` ask for; crash makes `xl list`
 * show the domain as crashed and triggers its on_crash action.
 */
#include <stdint.h>
#include <xen/sched.h>
#include "kernel/kernel.h"
#include "xen/console.h"
#include "xen/hypercall.h"
#include "xen/time.h"

static noreturn void shutdown(unsigned int reason)
{
	struct sched_shutdown request = { .reason = reason };

	/* The console ring is the only record of what happened: let the backend read it all. */
	console_flush(2 * NSEC_PER_SEC);
	for (;;) {
		hypercall_sched_op(SCHEDOP_shutdown, &request);
		/* Xen does not return from a shutdown of ourselves; if it ever does, stay parked. */
		hypercall_sched_op(SCHEDOP_block, NULL);
	}
}

noreturn void kernel_poweroff(void)
{
	shutdown(SHUTDOWN_poweroff);
}

noreturn void kernel_reboot(void)
{
	shutdown(SHUTDOWN_reboot);
}

noreturn void kernel_crash(void)
{
	shutdown(SHUTDOWN_crash);
}
