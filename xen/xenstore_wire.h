/*
 * The xenstore wire format (public/io/xs_wire.h) as pure functions: building requests,
 * moving bytes through the shared ring, and checking everything that xenstored sends back.
 * Nothing here makes a hypercall, waits or allocates, so all of it runs in the host unit
 * tests (test/unit/test_xenstore.c). The client that uses it is xen/xenstore.c.
 *
 * A message, in either direction, is a struct xsd_sockmsg header followed by header.len bytes
 * of payload (at most XENSTORE_PAYLOAD_MAX). Payloads are mostly strings, each followed by a
 * NUL; docs/xenstore.md lists the shape of each request and reply.
 *
 * Errors: -EBADMSG means "xenstored sent something malformed"; xenstored itself never sends
 * that error name, so it cannot be confused with a real answer.
 */
#ifndef XEN_XENSTORE_WIRE_H
#define XEN_XENSTORE_WIRE_H

#include <stdint.h>
#include <stddef.h>
#include <xen/io/xs_wire.h>
#include "xen/xenstore.h"

/* A whole message: the header, the payload, and one more byte where we put a NUL, so that
 * a payload can be read as a string without running off its end. */
struct xs_wire_message {
	struct xsd_sockmsg header;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

/* The name of a message type ("READ", "WATCH_EVENT"), for log lines; "?" if unknown. */
const char *xs_wire_type_name(uint32_t type);

/*
 * Build the request `type` with `args` as its payload into `buffer`: each argument followed
 * by a NUL, except the value of an XS_WRITE (its last argument), which is raw bytes. Returns
 * the message's total length (header included) and writes it only if it fits in `size`, as
 * snprintf does; -E2BIG if the payload would exceed XENSTORE_PAYLOAD_MAX.
 */
int xs_wire_build_request(char *buffer, size_t size, uint32_t type, uint32_t request_id,
			  uint32_t transaction, const char *const args[], unsigned int count);

/* ---- The ring ----------------------------------------------------------------------------
 * Both rings are XENSTORE_RING_SIZE bytes with free-running 32-bit indices: the byte at
 * index i is at ring[MASK_XENSTORE_IDX(i)], and prod - cons (mod 2^32) is the fill level.
 */

/* Bytes in a ring with these indices, or -1 if that is more than the ring holds (the other
 * side wrote an impossible index). */
int xs_wire_ring_used(XENSTORE_RING_IDX prod, XENSTORE_RING_IDX cons);

/*
 * Copy as much of `data` as fits into the free part of `ring`, starting at *prod and
 * wrapping at the end; advance *prod. Returns the number of bytes copied. The caller checked
 * the indices with xs_wire_ring_used() and publishes *prod afterwards.
 */
size_t xs_wire_ring_put(char *ring, XENSTORE_RING_IDX cons, XENSTORE_RING_IDX *prod,
			const char *data, size_t length);

/* Assembles one incoming message from however many pieces the ring delivers it in. */
struct xs_wire_receiver {
	struct xs_wire_message message;
	size_t received;        /* bytes of header and payload so far */
};

void xs_wire_receiver_reset(struct xs_wire_receiver *receiver);

/*
 * Take bytes from `ring` between *cons and `prod` until the message in `receiver` is
 * complete; advance *cons past what was taken. Returns 1 when a message is complete (its
 * body NUL-terminated; the next message's bytes stay in the ring), 0 when the ring ran dry
 * first, -EBADMSG when the header announces more than XENSTORE_PAYLOAD_MAX bytes: then the
 * stream cannot be trusted to be framed any more.
 */
int xs_wire_ring_receive(struct xs_wire_receiver *receiver, const char *ring,
			 XENSTORE_RING_IDX *cons, XENSTORE_RING_IDX prod);

/* ---- Replies ----------------------------------------------------------------------------- */

/* xenstored's error name ("ENOENT") as a negative errno; -EIO for a name we do not know. */
int xs_wire_error_to_errno(const char *name);

/*
 * Is `reply` a well-formed answer to a request of type `request_type`? 0 if so; xenstored's
 * error as a negative errno if it is an XS_ERROR; -EBADMSG if it is malformed: a type other
 * than the request's or XS_ERROR, a missing NUL, or a payload that does not have the shape
 * this type of reply must have.
 */
int xs_wire_check_reply(uint32_t request_type, const struct xsd_sockmsg *header,
			const char *body);

/* An XS_WATCH_EVENT payload, "path NUL token NUL": points *path and *token into `body`.
 * -EBADMSG if it is not exactly two strings, or the path is empty. */
int xs_wire_parse_watch_event(const char *body, size_t length, const char **path,
			      const char **token);

/* An XS_TRANSACTION_START reply, the id in decimal: -EBADMSG unless it is a non-zero
 * 32-bit number. */
int xs_wire_parse_transaction_id(const char *body, size_t length, uint32_t *id);

/*
 * An XS_DIRECTORY reply, "name NUL name NUL ...", copied into `buffer` as it is. Returns the
 * number of names; -E2BIG if they do not fit in `size`; -EBADMSG for a missing NUL or an
 * empty name.
 */
int xs_wire_parse_directory(const char *body, size_t length, char *buffer, size_t size);

/*
 * An XS_GET_PERMS reply, one or more "<letter><domid>" strings, each followed by a NUL
 * (letters n, r, w, b). Returns the number of entries; -E2BIG if more than `max`; -EBADMSG
 * if any entry is not a permission.
 */
int xs_wire_parse_permissions(const char *body, size_t length,
			      struct xs_permission *permissions, unsigned int max);

/* One permission as xenstored writes it ("r1"). Returns the length; -EINVAL for an unknown
 * access, -E2BIG if it does not fit in `size` with its NUL. */
int xs_wire_format_permission(const struct xs_permission *permission, char *buffer,
			      size_t size);

/* Decimal numbers as xenstore values hold them: digits only (and a leading '-' for
 * xs_wire_parse_int); -EINVAL for anything else or a value out of range. */
int xs_wire_parse_u64(const char *text, uint64_t *out);
int xs_wire_parse_int(const char *text, int *out);

#endif
