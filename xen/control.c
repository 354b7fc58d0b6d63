/*
 * Obeying the toolstack: shutdown requests and sysrq keys (xen/control.h).
 *
 * `xl shutdown` writes "poweroff" to the guest's control/shutdown key, `xl reboot` writes
 * "reboot", and `xl sysrq <domain> <key>` writes the key to control/sysrq. The guest watches
 * both, acknowledges by clearing the key, and acts. The guest advertises which requests it
 * understands with control/feature-* keys; Mote cannot suspend, so it offers poweroff and
 * reboot only.
 *
 * A request goes to the app first: control_request() and control_wait_request() let it stop
 * cleanly and return from app_main. An app that ignores the request is stopped anyway after
 * CONTROL_GRACE, so `xl shutdown` always works.
 */
#include <stdint.h>
#include "xen/control.h"
#include "xen/xenstore.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/gnttab.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/panic.h"
#include "lib/string.h"

static struct {
	volatile enum control_request request;
	struct xs_watch *shutdown_watch;
	struct xs_watch *sysrq_watch;
	volatile bool ready;
} control;

bool control_ready(void)
{
	return control.ready;
}

const char *control_request_name(enum control_request request)
{
	static const char *const names[] = { "none", "poweroff", "reboot" };

	return names[request];
}

enum control_request control_request(void)
{
	return control.request;
}

static bool request_made(void *arg)
{
	(void)arg;
	return control.request != CONTROL_NONE;
}

enum control_request control_wait_request(uint64_t deadline)
{
	sched_wait(request_made, NULL, deadline);
	return control.request;
}

/* Runs once a request is made: the app's grace period, then the end. */
static void enforce_request(void *arg)
{
	(void)arg;
	sched_sleep(CONTROL_GRACE);
	printf("control: app_main did not return within %lu s of the %s request; stopping anyway\n",
	       (unsigned long)(CONTROL_GRACE / NSEC_PER_SEC), control_request_name(control.request));
	if (control.request == CONTROL_REBOOT)
		kernel_reboot();
	kernel_poweroff();
}

/* Read a control key and clear it in one transaction, so a request is taken exactly once. */
struct take_key {
	const char *path;
	char value[32];
};

static int take_key_body(xs_transaction_t transaction, void *arg)
{
	struct take_key *take = arg;
	int rc = xs_read(transaction, take->path, take->value, sizeof(take->value));

	if (rc == -ENOENT || (rc >= 0 && take->value[0] == '\0')) {
		take->value[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return rc;
	return xs_write(transaction, take->path, "");
}

static int take_key(struct take_key *take, const char *path)
{
	take->path = path;
	take->value[0] = '\0';
	return xs_transaction_run(take_key_body, take, 10);
}

static void shutdown_changed(struct xs_watch *watch, const char *changed, void *arg)
{
	struct take_key take;
	enum control_request request;
	int rc;

	(void)watch;
	(void)changed;
	(void)arg;
	rc = take_key(&take, "control/shutdown");
	if (rc < 0) {
		printf("control: cannot read control/shutdown: %s\n", strerror(rc));
		return;
	}
	if (take.value[0] == '\0')
		return;
	if (strcmp(take.value, "poweroff") == 0 || strcmp(take.value, "halt") == 0) {
		request = CONTROL_POWEROFF;
	} else if (strcmp(take.value, "reboot") == 0) {
		request = CONTROL_REBOOT;
	} else {
		/* "suspend" among others: we did not offer it (no feature-suspend). */
		printf("control: ignoring shutdown request '%s'\n", take.value);
		return;
	}
	if (control.request != CONTROL_NONE)
		return;
	printf("control: %s requested by the toolstack\n", control_request_name(request));
	control.request = request;
	if (thread_create("shutdown", enforce_request, NULL) == NULL) {
		printf("control: out of memory; stopping now\n");
		enforce_request(NULL);
	}
}

static void dump_memory(void)
{
	struct page_alloc_stats pages;
	struct heap_stats heap;
	struct mm_stats memory;

	mm_stats(&memory);
	page_alloc_stats(&pages);
	heap_stats(&heap);
	printf("memory: %lu pages in the domain, %lu free, %lu used, largest free run %lu\n",
	       (unsigned long)memory.total_pages, (unsigned long)pages.free_pages,
	       (unsigned long)pages.used_pages, (unsigned long)pages.largest_free_run);
	printf("heap: %lu bytes in %lu blocks, %lu pages held, %lu allocations, %lu frees\n",
	       (unsigned long)heap.bytes_in_use, (unsigned long)heap.live_allocations,
	       (unsigned long)heap.pages_held, (unsigned long)heap.total_allocations,
	       (unsigned long)heap.total_frees);
	printf("mm: %lu page-table pages added at boot, %lu remapped pages, NX %s\n",
	       (unsigned long)memory.page_table_pages, (unsigned long)memory.remap_pages_used,
	       memory.nx ? "on" : "off");
}

void control_dump_state(void)
{
	struct console_stats console;

	printf("==== Mote state dump, %lu ms after boot ====\n",
	       (unsigned long)(time_now() / NSEC_PER_MSEC));
	dump_memory();
	sched_dump();
	evtchn_dump();
	gnttab_dump();
	xs_dump();
	console_stats(&console);
	printf("console: %lu bytes written, %lu read, ring full %lu times\n",
	       (unsigned long)console.bytes_written, (unsigned long)console.bytes_read,
	       (unsigned long)console.waits);
	printf("==== end of state dump ====\n");
}

static void sysrq_help(void)
{
	printf("sysrq keys: d dump everything, m memory, t threads, e event channels, g grants, "
	       "x xenstore, c crash, o poweroff, b reboot, h help\n");
}

static void sysrq_changed(struct xs_watch *watch, const char *changed, void *arg)
{
	struct take_key take;

	(void)watch;
	(void)changed;
	(void)arg;
	if (take_key(&take, "control/sysrq") < 0 || take.value[0] == '\0')
		return;
	printf("sysrq: %c\n", take.value[0]);
	switch (take.value[0]) {
	case 'd': control_dump_state(); break;
	case 'm': dump_memory(); break;
	case 't': sched_dump(); break;
	case 'e': evtchn_dump(); break;
	case 'g': gnttab_dump(); break;
	case 'x': xs_dump(); break;
	case 'c': panic("crash requested with sysrq");
	case 'o': kernel_poweroff();
	case 'b': kernel_reboot();
	default: sysrq_help(); break;
	}
}

/*
 * The xenstore work of control_init, in a thread of its own: each request is a round trip to
 * dom0, and the app need not wait for them. A request made before the watch is set is not
 * lost: a new watch fires once at once, and the callback reads the key.
 */
static void control_setup(void *arg)
{
	int rc;

	(void)arg;
	/* The toolstack made these keys writable for us; they tell xl what we can do. */
	rc = xs_write(XS_NO_TRANSACTION, "control/feature-poweroff", "1");
	if (rc == 0)
		rc = xs_write(XS_NO_TRANSACTION, "control/feature-reboot", "1");
	if (rc < 0)
		printf("control: cannot advertise features: %s\n", strerror(rc));
	control.shutdown_watch = xs_watch_add("control/shutdown", shutdown_changed, NULL, &rc);
	if (control.shutdown_watch == NULL)
		printf("control: cannot watch control/shutdown (%s): xl shutdown will not work\n",
		       strerror(rc));
	control.sysrq_watch = xs_watch_add("control/sysrq", sysrq_changed, NULL, &rc);
	if (control.sysrq_watch == NULL)
		printf("control: cannot watch control/sysrq (%s)\n", strerror(rc));
	control.ready = true;
}

int control_init(void)
{
	return thread_create("control", control_setup, NULL) != NULL ? 0 : -ENOMEM;
}
