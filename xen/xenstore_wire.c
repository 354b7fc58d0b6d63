/*
 * The xenstore wire format: requests, ring copies and reply checks. Implements
 * xen/xenstore_wire.h.
 *
 * Everything xenstored sends is treated as hostile here: xenstored runs in another domain,
 * and a bug (or worse) there must not become a crash or a hang in Mote. So every length is
 * checked before it is used, every string is checked for its NUL before it is read as a
 * string, and anything that does not have exactly the shape the protocol gives it is
 * -EBADMSG. The client decides what to do about it (xen/xenstore.c: log, count, fail the
 * request).
 */
#include <stdint.h>
#include <stddef.h>
#include <limits.h>
#include "xen/xenstore_wire.h"
#include "lib/assert.h"
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

/* The receiver fills header and body as one byte array, so they must be adjacent. */
static_assert(offsetof(struct xs_wire_message, body) == sizeof(struct xsd_sockmsg),
	      "the payload must follow the header directly");

/*
 * Message types, by number. A reply has the type of its request (or XS_ERROR); the only
 * message xenstored sends unasked is XS_WATCH_EVENT. Mote sends only a few of these; the
 * others are the toolstack's (INTRODUCE, RELEASE, ...), named here so logs can show them.
 */
static const char *const type_names[XS_TYPE_COUNT] = {
	[XS_CONTROL] = "CONTROL",
	[XS_DIRECTORY] = "DIRECTORY",
	[XS_READ] = "READ",
	[XS_GET_PERMS] = "GET_PERMS",
	[XS_WATCH] = "WATCH",
	[XS_UNWATCH] = "UNWATCH",
	[XS_TRANSACTION_START] = "TRANSACTION_START",
	[XS_TRANSACTION_END] = "TRANSACTION_END",
	[XS_INTRODUCE] = "INTRODUCE",
	[XS_RELEASE] = "RELEASE",
	[XS_GET_DOMAIN_PATH] = "GET_DOMAIN_PATH",
	[XS_WRITE] = "WRITE",
	[XS_MKDIR] = "MKDIR",
	[XS_RM] = "RM",
	[XS_SET_PERMS] = "SET_PERMS",
	[XS_WATCH_EVENT] = "WATCH_EVENT",
	[XS_ERROR] = "ERROR",
	[XS_IS_DOMAIN_INTRODUCED] = "IS_DOMAIN_INTRODUCED",
	[XS_RESUME] = "RESUME",
	[XS_SET_TARGET] = "SET_TARGET",
	[XS_RESET_WATCHES] = "RESET_WATCHES",
	[XS_DIRECTORY_PART] = "DIRECTORY_PART",
};

const char *xs_wire_type_name(uint32_t type)
{
	/* Type 20 was XS_RESTRICT, since removed: its slot is NULL. */
	if (type >= XS_TYPE_COUNT || type_names[type] == NULL)
		return "?";
	return type_names[type];
}

/* Every argument ends with a NUL, except the value of a WRITE: a value is bytes, not a
 * string, and its length is what the header's len says. */
static bool argument_has_nul(uint32_t type, unsigned int index, unsigned int count)
{
	return !(type == XS_WRITE && index == count - 1);
}

/*
 * A request is the header, then the arguments back to back. For example, reading
 * "data/x" as request 7 outside any transaction is the 16-byte header
 * { type XS_READ, req_id 7, tx_id 0, len 7 } followed by the 7 bytes "data/x\0".
 */
int xs_wire_build_request(char *buffer, size_t size, uint32_t type, uint32_t request_id,
			  uint32_t transaction, const char *const args[], unsigned int count)
{
	struct xsd_sockmsg header = {
		.type = type, .req_id = request_id, .tx_id = transaction, .len = 0,
	};
	size_t payload = 0, offset;

	for (unsigned int i = 0; i < count; i++) {
		/* Stop counting early, so a huge argument cannot overflow the sum. */
		payload += strnlen(args[i], XENSTORE_PAYLOAD_MAX + 1);
		payload += argument_has_nul(type, i, count) ? 1 : 0;
		if (payload > XENSTORE_PAYLOAD_MAX)
			return -E2BIG;
	}
	/* xenstored drops a connection that exceeds the limit; for a domain that is fatal,
	 * since it cannot reconnect. So the limit is checked here, before anything is sent. */
	if (sizeof(header) + payload > size)
		return (int)(sizeof(header) + payload);

	/* The header is copied with memcpy: `buffer` need not be aligned for a struct. */
	header.len = (uint32_t)payload;
	memcpy(buffer, &header, sizeof(header));
	offset = sizeof(header);
	for (unsigned int i = 0; i < count; i++) {
		size_t length = strlen(args[i]);

		memcpy(buffer + offset, args[i], length);
		offset += length;
		if (argument_has_nul(type, i, count))
			buffer[offset++] = '\0';
	}
	return (int)offset;
}

/* ---- The ring ---------------------------------------------------------------------------- */

int xs_wire_ring_used(XENSTORE_RING_IDX prod, XENSTORE_RING_IDX cons)
{
	/* Unsigned subtraction is right across the 2^32 wrap of the indices. */
	XENSTORE_RING_IDX used = prod - cons;

	return used > XENSTORE_RING_SIZE ? -1 : (int)used;
}

size_t xs_wire_ring_put(char *ring, XENSTORE_RING_IDX cons, XENSTORE_RING_IDX *prod,
			const char *data, size_t length)
{
	size_t copied = 0;

	/* At most two rounds: up to the end of the ring, then from its start. */
	while (copied < length) {
		int used = xs_wire_ring_used(*prod, cons);
		size_t offset = MASK_XENSTORE_IDX(*prod);
		size_t chunk;

		if (used < 0)
			break;
		/* No more than the free space, and no further than the end of the array. */
		chunk = MIN(length - copied, XENSTORE_RING_SIZE - (size_t)used);
		chunk = MIN(chunk, XENSTORE_RING_SIZE - offset);
		if (chunk == 0)
			break;
		memcpy(ring + offset, data + copied, chunk);
		*prod += (XENSTORE_RING_IDX)chunk;
		copied += chunk;
	}
	return copied;
}

void xs_wire_receiver_reset(struct xs_wire_receiver *receiver)
{
	receiver->received = 0;
}

int xs_wire_ring_receive(struct xs_wire_receiver *receiver, const char *ring,
			 XENSTORE_RING_IDX *cons, XENSTORE_RING_IDX prod)
{
	struct xs_wire_message *message = &receiver->message;
	char *bytes = (char *)message;

	/*
	 * The ring is a byte stream: xenstored may publish a message a few bytes at a time,
	 * and the reader may look in the middle. So the receiver remembers how much of the
	 * current message it has (`received`) and each call continues from there: first the
	 * 16 header bytes, then exactly header.len payload bytes, never a byte of the next
	 * message.
	 */
	for (;;) {
		size_t wanted, available, offset, chunk;

		if (receiver->received < sizeof(message->header)) {
			wanted = sizeof(message->header) - receiver->received;
		} else {
			/* The header is in: its length decides how much more to take. A length
			 * beyond the limit means we no longer know where messages begin. */
			if (message->header.len > XENSTORE_PAYLOAD_MAX)
				return -EBADMSG;
			wanted = sizeof(message->header) + message->header.len - receiver->received;
			if (wanted == 0) {
				message->body[message->header.len] = '\0';
				return 1;
			}
		}
		/* The caller validated the indices; an impossible fill level is treated as empty
		 * rather than trusted. */
		available = (XENSTORE_RING_IDX)(prod - *cons);
		if (available == 0 || available > XENSTORE_RING_SIZE)
			return 0;
		offset = MASK_XENSTORE_IDX(*cons);
		chunk = MIN(wanted, MIN(available, XENSTORE_RING_SIZE - offset));
		memcpy(bytes + receiver->received, ring + offset, chunk);
		receiver->received += chunk;
		*cons += (XENSTORE_RING_IDX)chunk;
	}
}

/* ---- Replies ----------------------------------------------------------------------------- */

/*
 * The error names of public/io/xs_wire.h (its xsd_errors table), with Mote's numbers.
 * xenstored sends errors as names, not numbers, precisely so that the two sides need not
 * agree on errno values: a FreeBSD or Windows guest maps them to its own.
 */
static const struct {
	const char *name;
	int number;
} error_names[] = {
	{ "EINVAL", EINVAL }, { "EACCES", EACCES }, { "EEXIST", EEXIST },
	{ "EISDIR", EISDIR }, { "ENOENT", ENOENT }, { "ENOMEM", ENOMEM },
	{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "ENOTEMPTY", ENOTEMPTY },
	{ "ENOSYS", ENOSYS }, { "EROFS", EROFS }, { "EBUSY", EBUSY },
	{ "EAGAIN", EAGAIN }, { "EISCONN", EISCONN }, { "E2BIG", E2BIG },
	{ "EPERM", EPERM },
};

int xs_wire_error_to_errno(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(error_names); i++) {
		if (strcmp(name, error_names[i].name) == 0)
			return -error_names[i].number;
	}
	return -EIO;
}

/* Exactly one string: the payload ends with its only NUL. (memchr, not strlen: strlen
 * would read past the payload when the NUL is missing.) */
static bool is_one_string(const char *body, size_t length)
{
	return length > 0 && memchr(body, '\0', length) == body + length - 1;
}

/* Zero or more non-empty strings, each followed by a NUL. */
static bool is_name_list(const char *body, size_t length)
{
	if (length == 0)
		return true;
	if (body[length - 1] != '\0' || body[0] == '\0')
		return false;
	/* Two NULs in a row would be an empty name. */
	for (size_t i = 1; i < length; i++) {
		if (body[i] == '\0' && body[i - 1] == '\0')
			return false;
	}
	return true;
}

int xs_wire_check_reply(uint32_t request_type, const struct xsd_sockmsg *header,
			const char *body)
{
	size_t length = header->len;
	uint32_t id;

	if (length > XENSTORE_PAYLOAD_MAX)
		return -EBADMSG;
	if (header->type == XS_ERROR)
		return is_one_string(body, length) ? xs_wire_error_to_errno(body) : -EBADMSG;
	/* "Requests each generate a reply with an identical type" (docs/misc/xenstore.txt). */
	if (header->type != request_type)
		return -EBADMSG;

	/* The shape of each reply, from docs/misc/xenstore.txt in Xen's tree. */
	switch (request_type) {
	case XS_READ:
		return 0;               /* a value: any bytes at all */
	case XS_DIRECTORY:
		return is_name_list(body, length) ? 0 : -EBADMSG;
	case XS_GET_PERMS:
		return xs_wire_parse_permissions(body, length, NULL, UINT_MAX) > 0 ? 0 : -EBADMSG;
	case XS_TRANSACTION_START:
		return xs_wire_parse_transaction_id(body, length, &id);
	case XS_GET_DOMAIN_PATH:
		return is_one_string(body, length) ? 0 : -EBADMSG;
	default:
		/* Everything else that Mote sends is answered with "OK" and its NUL. */
		return length == 3 && memcmp(body, "OK", 3) == 0 ? 0 : -EBADMSG;
	}
}

/*
 * xenstored sends "<changed path> NUL <token> NUL". The token is whatever the client gave
 * with XS_WATCH; it is how the client tells its watches apart, since two watches may cover
 * the same path.
 */
int xs_wire_parse_watch_event(const char *body, size_t length, const char **path,
			      const char **token)
{
	const char *first_nul = memchr(body, '\0', length);
	size_t rest;

	if (first_nul == NULL || first_nul == body)
		return -EBADMSG;
	rest = length - (size_t)(first_nul + 1 - body);
	if (!is_one_string(first_nul + 1, rest))
		return -EBADMSG;
	*path = body;
	*token = first_nul + 1;
	return 0;
}

int xs_wire_parse_transaction_id(const char *body, size_t length, uint32_t *id)
{
	uint64_t value;

	if (!is_one_string(body, length) || xs_wire_parse_u64(body, &value) < 0)
		return -EBADMSG;
	/* 0 is XS_NO_TRANSACTION: xenstored must never hand it out. */
	if (value == 0 || value > UINT32_MAX)
		return -EBADMSG;
	*id = (uint32_t)value;
	return 0;
}

int xs_wire_parse_directory(const char *body, size_t length, char *buffer, size_t size)
{
	int count = 0;

	/* The reply already has the format the caller wants: check it, then copy it whole. */
	if (!is_name_list(body, length))
		return -EBADMSG;
	if (length > size)
		return -E2BIG;
	memcpy(buffer, body, length);
	for (size_t i = 0; i < length; i++)
		count += body[i] == '\0';
	return count;
}

/* The letter for each enum xs_access: none, read, write, both. */
static const char access_letters[] = { [XS_ACCESS_NONE] = 'n', [XS_ACCESS_READ] = 'r',
				       [XS_ACCESS_WRITE] = 'w', [XS_ACCESS_BOTH] = 'b' };

/* One "<letter><domid>" string; false if it is not one. */
static bool parse_permission(const char *text, struct xs_permission *out)
{
	const char *letter = memchr(access_letters, text[0], sizeof(access_letters));
	uint64_t domid;

	if (text[0] == '\0' || letter == NULL)
		return false;
	if (xs_wire_parse_u64(text + 1, &domid) < 0 || domid > UINT16_MAX)
		return false;
	out->access = (enum xs_access)(letter - access_letters);
	out->domid = (domid_t)domid;
	return true;
}

int xs_wire_parse_permissions(const char *body, size_t length,
			      struct xs_permission *permissions, unsigned int max)
{
	unsigned int count = 0;
	size_t offset = 0;

	/* At least one entry: a node always has an owner. */
	if (length == 0 || !is_name_list(body, length))
		return -EBADMSG;
	/* Entry 0 is the owner, with the access of every domain not listed; the others
	 * grant their domain the access they name. */
	while (offset < length) {
		struct xs_permission permission;

		if (!parse_permission(body + offset, &permission))
			return -EBADMSG;
		if (count == max)
			return -E2BIG;
		if (permissions != NULL)
			permissions[count] = permission;
		count++;
		offset += strlen(body + offset) + 1;
	}
	return (int)MIN(count, (unsigned int)INT_MAX);
}

int xs_wire_format_permission(const struct xs_permission *permission, char *buffer,
			      size_t size)
{
	int length;

	if ((unsigned int)permission->access >= sizeof(access_letters))
		return -EINVAL;
	length = snprintf(buffer, size, "%c%u", access_letters[permission->access],
			  (unsigned int)permission->domid);
	return (size_t)length < size ? length : -E2BIG;
}

int xs_wire_parse_u64(const char *text, uint64_t *out)
{
	uint64_t value = 0;

	/* Stricter than strtoull: no spaces, no sign, no base prefix, and an overflow is an
	 * error rather than a clamped value. A xenstore number is digits and nothing else. */
	if (*text == '\0')
		return -EINVAL;
	for (; *text != '\0'; text++) {
		unsigned int digit = (unsigned int)(*text - '0');

		if (!isdigit(*text) || value > (UINT64_MAX - digit) / 10)
			return -EINVAL;
		value = value * 10 + digit;
	}
	*out = value;
	return 0;
}

int xs_wire_parse_int(const char *text, int *out)
{
	bool negative = text[0] == '-';
	uint64_t magnitude;

	if (xs_wire_parse_u64(text + negative, &magnitude) < 0)
		return -EINVAL;
	/* The negative range reaches one further than the positive one. */
	if (magnitude > (uint64_t)INT_MAX + negative)
		return -EINVAL;
	*out = negative ? (int)(-(int64_t)magnitude) : (int)magnitude;
	return 0;
}
