/*
 * Xenbus device discovery and the state handshake helpers (xen/xenbus.h, public/io/xenbus.h).
 *
 * Everything here is a thin layer over xenstore. What it adds is the protocol's rules: where
 * the keys are, how long to wait for them, and how to tell a backend that is slow from one
 * that went away. A driver's handshake then reads as a flat list of steps (see blkfront.c).
 */
#include <stdint.h>
#include <stdarg.h>
#include "xen/xenbus.h"
#include "xen/xenstore.h"
#include "xen/console.h"
#include "xen/time.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

const char *xenbus_state_name(XenbusState state)
{
	static const char *const names[] = {
		[XenbusStateUnknown] = "Unknown",
		[XenbusStateInitialising] = "Initialising",
		[XenbusStateInitWait] = "InitWait",
		[XenbusStateInitialised] = "Initialised",
		[XenbusStateConnected] = "Connected",
		[XenbusStateClosing] = "Closing",
		[XenbusStateClosed] = "Closed",
		[XenbusStateReconfiguring] = "Reconfiguring",
		[XenbusStateReconfigured] = "Reconfigured",
	};

	if ((unsigned int)state < ARRAY_SIZE(names))
		return names[state];
	return "invalid";
}

int xenbus_list_devices(const char *type, char *ids, size_t size)
{
	char path[32];
	int count;

	snprintf(path, sizeof(path), "device/%s", type);
	count = xs_directory(XS_NO_TRANSACTION, path, ids, size);
	/* No directory at all just means no device of that type. */
	return count == -ENOENT ? 0 : count;
}

/*
 * The backend's state, as the watch on it last saw it. The backend writes the key; a value that
 * is missing or not a state at all means it went away or is broken -- treat both as Closed.
 */
static void backend_state_changed(struct xs_watch *watch, const char *changed, void *arg)
{
	struct xenbus_device *device = arg;
	char path[sizeof(device->backend) + 8];
	uint64_t state;

	(void)watch;
	(void)changed;
	snprintf(path, sizeof(path), "%s/state", device->backend);
	if (xs_read_u64(XS_NO_TRANSACTION, path, &state) < 0 || state > XenbusStateReconfigured)
		state = XenbusStateClosed;
	if (state != device->backend_state)
		device->state_changes++;
	device->backend_state = (XenbusState)state;
}

/* Poll a key until it appears. Waits happen only at device setup, so polling every 10 ms is
 * simpler than a watch and costs nothing that matters. */
static int wait_for_key(const char *path, char *value, size_t size, uint64_t deadline)
{
	for (;;) {
		int rc = xs_read(XS_NO_TRANSACTION, path, value, size);

		if (rc != -ENOENT || time_now() >= deadline)
			return rc;
		sched_sleep(10 * NSEC_PER_MSEC);
	}
}

int xenbus_device_open(struct xenbus_device *device, const char *type, const char *id,
		       uint64_t timeout)
{
	uint64_t deadline = time_now() + timeout;
	char path[sizeof(device->nodename) + 16], backend_id[8];
	unsigned long number;
	char *end;
	int rc;

	memset(device, 0, sizeof(*device));
	snprintf(device->nodename, sizeof(device->nodename), "device/%s/%s", type, id);

	/* The toolstack writes these; a guest can start before it has (the race that bit
	 * MirageOS and Qubes), so wait for them rather than fail at once. */
	snprintf(path, sizeof(path), "%s/backend", device->nodename);
	rc = wait_for_key(path, device->backend, sizeof(device->backend), deadline);
	if (rc < 0) {
		printf("xenbus: %s: no backend path (%s)\n", device->nodename, strerror(rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/backend-id", device->nodename);
	rc = wait_for_key(path, backend_id, sizeof(backend_id), deadline);
	if (rc < 0) {
		printf("xenbus: %s: no backend-id (%s)\n", device->nodename, strerror(rc));
		return rc;
	}
	number = strtoul(backend_id, &end, 10);
	if (*end != '\0' || end == backend_id || number >= DOMID_FIRST_RESERVED) {
		printf("xenbus: %s: backend-id '%s' is not a domain id\n", device->nodename, backend_id);
		return -EINVAL;
	}
	device->backend_id = (domid_t)number;

	/* A new watch fires once at once, which reads the current state. */
	snprintf(path, sizeof(path), "%s/state", device->backend);
	device->backend_state = XenbusStateUnknown;
	device->backend_watch = xs_watch_add(path, backend_state_changed, device, &rc);
	if (device->backend_watch == NULL) {
		printf("xenbus: %s: cannot watch %s (%s)\n", device->nodename, path, strerror(rc));
		return rc;
	}
	return 0;
}

void xenbus_device_close(struct xenbus_device *device)
{
	if (device->backend_watch != NULL) {
		xs_watch_remove(device->backend_watch);
		device->backend_watch = NULL;
	}
}

int xenbus_switch_state(struct xenbus_device *device, XenbusState state)
{
	return xenbus_printf(device, XS_NO_TRANSACTION, "state", "%u", (unsigned int)state);
}

bool xenbus_backend_closing(const struct xenbus_device *device)
{
	return device->backend_state == XenbusStateClosing ||
	       device->backend_state == XenbusStateClosed;
}

struct state_wait {
	struct xenbus_device *device;
	XenbusState wanted;
};

static bool backend_reached(void *arg)
{
	const struct state_wait *wait = arg;

	return wait->device->backend_state == wait->wanted ||
	       (wait->wanted < XenbusStateClosing && xenbus_backend_closing(wait->device));
}

int xenbus_wait_backend_state(struct xenbus_device *device, XenbusState wanted,
			      uint64_t timeout)
{
	struct state_wait wait = { device, wanted };
	int rc = sched_wait(backend_reached, &wait, time_now() + timeout);

	if (rc == -ETIMEDOUT) {
		printf("xenbus: %s: backend %s still %s after %lu ms, waiting for %s\n",
		       device->nodename, device->backend, xenbus_state_name(device->backend_state),
		       (unsigned long)(timeout / NSEC_PER_MSEC), xenbus_state_name(wanted));
		return rc;
	}
	if (device->backend_state != wanted) {
		printf("xenbus: %s: backend went to %s while we waited for %s\n", device->nodename,
		       xenbus_state_name(device->backend_state), xenbus_state_name(wanted));
		return -ENODEV;
	}
	return 0;
}

int xenbus_read(const struct xenbus_device *device, const char *key, char *buffer, size_t size)
{
	char path[sizeof(device->nodename) + 48];

	snprintf(path, sizeof(path), "%s/%s", device->nodename, key);
	return xs_read(XS_NO_TRANSACTION, path, buffer, size);
}

int xenbus_read_backend(const struct xenbus_device *device, const char *key, char *buffer,
			size_t size)
{
	char path[sizeof(device->backend) + 48];

	snprintf(path, sizeof(path), "%s/%s", device->backend, key);
	return xs_read(XS_NO_TRANSACTION, path, buffer, size);
}

int xenbus_read_backend_u64(const struct xenbus_device *device, const char *key, uint64_t *out)
{
	char path[sizeof(device->backend) + 48];

	snprintf(path, sizeof(path), "%s/%s", device->backend, key);
	return xs_read_u64(XS_NO_TRANSACTION, path, out);
}

int xenbus_printf(const struct xenbus_device *device, xs_transaction_t transaction,
		  const char *key, const char *format, ...)
{
	char path[sizeof(device->nodename) + 48], value[128];
	va_list args;
	int length;

	snprintf(path, sizeof(path), "%s/%s", device->nodename, key);
	va_start(args, format);
	length = vsnprintf(value, sizeof(value), format, args);
	va_end(args);
	if (length < 0 || (size_t)length >= sizeof(value))
		return -E2BIG;
	return xs_write(transaction, path, value);
}
