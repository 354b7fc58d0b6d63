/*
 * Xenbus: the conventions that split drivers follow in xenstore (public/io/xenbus.h).
 *
 * The toolstack creates, for each virtual device, a frontend directory in the guest's home
 * (device/<type>/<id>, e.g. device/vbd/51712) and a backend directory in the backend domain's
 * home (/local/domain/0/backend/vbd/<our domid>/51712). Each side writes its own `state` key
 * and watches the other's, and they step through the XenbusState values together:
 *
 *   frontend: Initialising -> (publish rings, event channel) Initialised -> Connected
 *   backend:  InitWait (hotplug done) -> Connected (read what the frontend published)
 *
 * and either side moves to Closing, then Closed, to take the device down.
 */
#ifndef XEN_XENBUS_H
#define XEN_XENBUS_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <xen/xen.h>
#include <xen/io/xenbus.h>
#include "xen/xenstore.h"

struct xenbus_device {
	char nodename[48];          /* frontend directory, e.g. "device/vbd/51712" */
	char backend[128];          /* backend directory, an absolute path */
	domid_t backend_id;
	struct xs_watch *backend_watch;
	volatile XenbusState backend_state;  /* kept up to date by the watch */
	uint64_t state_changes;     /* backend state changes seen */
};

/* List the ids under device/<type> into `ids` (consecutive NUL-terminated strings). Returns
 * the count; 0 if the guest has no such device. */
int xenbus_list_devices(const char *type, char *ids, size_t size);

/*
 * Find the backend of device/<type>/<id>, waiting up to `timeout` ns for its `backend` and
 * `backend-id` keys (the toolstack may write them after the guest starts), and watch the
 * backend's state. -ETIMEDOUT with a message saying which key never appeared.
 */
int xenbus_device_open(struct xenbus_device *device, const char *type, const char *id,
		       uint64_t timeout);
void xenbus_device_close(struct xenbus_device *device);

/* Write our state to <nodename>/state. */
int xenbus_switch_state(struct xenbus_device *device, XenbusState state);

/*
 * Wait until the backend reaches `wanted`. -ETIMEDOUT after `timeout` ns, -ENODEV if the
 * backend goes to Closing or Closed instead (unless that is what we wait for); both print what
 * the backend's state was.
 */
int xenbus_wait_backend_state(struct xenbus_device *device, XenbusState wanted,
			      uint64_t timeout);

/* The backend is going away (Closing, Closed, or its directory was removed). */
bool xenbus_backend_closing(const struct xenbus_device *device);

/* Read <nodename>/<key> (our own directory; the toolstack writes e.g. a vif's `mac` there)
 * or <backend>/<key> into `buffer`, NUL-terminated. The value's length, or -ENOENT, -E2BIG. */
int xenbus_read(const struct xenbus_device *device, const char *key, char *buffer, size_t size);
int xenbus_read_backend(const struct xenbus_device *device, const char *key, char *buffer,
			size_t size);

/* Read <backend>/<key> as a number; -ENOENT if absent. */
int xenbus_read_backend_u64(const struct xenbus_device *device, const char *key, uint64_t *out);

/* Write <nodename>/<key> (within `transaction`, or XS_NO_TRANSACTION). */
int xenbus_printf(const struct xenbus_device *device, xs_transaction_t transaction,
		  const char *key, const char *format, ...) __attribute__((format(printf, 4, 5)));

const char *xenbus_state_name(XenbusState state);

#endif
