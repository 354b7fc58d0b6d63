/*
 * The xenstore client: a hierarchical key-value store that dom0's xenstored keeps for every
 * domain, reached over a shared ring page and an event channel (public/io/xs_wire.h).
 * Drivers find their devices and negotiate with their backends here; the toolstack asks the
 * guest to shut down here.
 *
 * Paths that do not start with '/' are relative to the domain's home, /local/domain/<domid>.
 * Every call returns 0 (or a length) on success, or a negative errno: xenstored's error
 * strings ("ENOENT", "EACCES", "EAGAIN", ...) become -ENOENT, -EACCES, -EAGAIN, ...
 * The client adds its own: -ETIMEDOUT (no answer within 10 s), -EBADMSG (the answer was
 * malformed; logged and counted in bad_messages), -EIO (the ring is broken beyond repair:
 * every call fails from then on), -E2BIG (a request over XENSTORE_PAYLOAD_MAX bytes).
 *
 * Calls block the calling thread until xenstored answers (other threads run meanwhile); they
 * must not be made from event handlers. Watch callbacks run in the "xenwatch" thread, where
 * they may make xenstore calls themselves.
 */
#ifndef XEN_XENSTORE_H
#define XEN_XENSTORE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <xen/xen.h>

/* A transaction id; XS_NO_TRANSACTION makes each call stand alone. */
typedef uint32_t xs_transaction_t;
#define XS_NO_TRANSACTION 0

/* Map the ring and bind its event channel. The xenwatch thread starts with the first watch. */
int xs_init(const start_info_t *start_info);

/*
 * Read `path` into `buffer` (NUL-terminated). Returns the value's length, or -ENOENT, ...;
 * -E2BIG if it does not fit (the value may be up to XENSTORE_PAYLOAD_MAX bytes).
 */
int xs_read(xs_transaction_t transaction, const char *path, char *buffer, size_t size);

/* Read a value into a new malloc'ed string (caller frees); NULL on error with *error set. */
char *xs_read_alloc(xs_transaction_t transaction, const char *path, int *error);

/* Typed reads: -EINVAL if the value is not a number in range. */
int xs_read_u64(xs_transaction_t transaction, const char *path, uint64_t *out);
int xs_read_int(xs_transaction_t transaction, const char *path, int *out);

int xs_write(xs_transaction_t transaction, const char *path, const char *value);
int xs_printf(xs_transaction_t transaction, const char *path, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
int xs_mkdir(xs_transaction_t transaction, const char *path);
int xs_rm(xs_transaction_t transaction, const char *path);

/*
 * List the children of `path` into `buffer` as consecutive NUL-terminated names. Returns the
 * number of children; -E2BIG if they do not fit.
 */
int xs_directory(xs_transaction_t transaction, const char *path, char *buffer, size_t size);

/* Permissions (xenstored's "n0", "r1", "w2", "b3": none/read/write/both for a domain). The
 * first entry names the owner and the access of everyone else. */
enum xs_access { XS_ACCESS_NONE, XS_ACCESS_READ, XS_ACCESS_WRITE, XS_ACCESS_BOTH };
struct xs_permission {
	domid_t domid;
	enum xs_access access;
};
int xs_get_permissions(xs_transaction_t transaction, const char *path,
		       struct xs_permission *permissions, unsigned int max);
int xs_set_permissions(xs_transaction_t transaction, const char *path,
		       const struct xs_permission *permissions, unsigned int count);

/*
 * Transactions: everything between start and end sees one snapshot and commits atomically.
 * xs_transaction_end returns -EAGAIN if another writer got in between; then start over.
 * xs_transaction_run does that loop: it calls body(transaction, arg) and commits, up to
 * `attempts` times, and returns body's error, the commit's, or -EAGAIN after the last attempt.
 */
int xs_transaction_start(xs_transaction_t *transaction);
int xs_transaction_end(xs_transaction_t transaction, bool commit);
int xs_transaction_run(int (*body)(xs_transaction_t transaction, void *arg), void *arg,
		       unsigned int attempts);

/*
 * Watches: `callback` runs (in the xenwatch thread) once when the watch is set, as xenstored
 * always fires a new watch, and then whenever `path` or anything below it changes. `changed`
 * is the path that changed.
 */
struct xs_watch;
typedef void (*xs_watch_callback_t)(struct xs_watch *watch, const char *changed, void *arg);
struct xs_watch *xs_watch_add(const char *path, xs_watch_callback_t callback, void *arg,
			      int *error);
void xs_watch_remove(struct xs_watch *watch);

struct xs_stats {
	uint64_t requests;
	uint64_t watch_events;
	uint64_t bad_messages;      /* malformed replies or events, dropped */
	unsigned int watches;
};
void xs_stats(struct xs_stats *out);

/* Print the ring indices, requests in flight and watches. */
void xs_dump(void);

#endif
