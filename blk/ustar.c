/*
 * blk/ustar.c: mounting and reading a tar archive. Implements blk/ustar.h; the format is
 * POSIX.1-2001's ustar and pax interchange formats ("pax" in the Open Group's XCU), plus
 * GNU tar's long-name records. docs/tarfs.md has a picture of a header.
 *
 * A tar archive is a sequence of 512-byte blocks. Each member is a header block followed by
 * its contents, padded to a whole block; two zero blocks end the archive. The header's
 * fields are text: names NUL-padded, numbers in octal ASCII. What does not fit in a field
 * comes in a record of its own just before the member it describes:
 *   'L' (GNU)  the contents are the member's name, NUL-terminated
 *   'K' (GNU)  the contents are its link target
 *   'x' (pax)  the contents are "LENGTH KEY=VALUE\n" records: path, linkpath, size, mtime...
 *   'g' (pax)  the same for every member that follows; Mote ignores it
 *
 * The archive comes from a disk we do not control, so every header is checked before any of
 * it is used, every length is checked against the source before anything is read or
 * allocated, and a damaged archive fails the mount (or marks one entry) with a message that
 * says where. The host fuzz target (test/fuzz/ustar.c) feeds this file arbitrary bytes.
 */
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include "blk/ustar.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/string.h"
#include "lib/util.h"
#include "xen/console.h"

/*
 * The header block. Every field is text: names are NUL-padded (and need no NUL when they
 * fill the field), numbers are octal digits ended by a space or NUL, the type is one
 * character. GNU tar's format ("ustar  " magic) has the same fields up to `prefix`, where it
 * keeps other things; only POSIX ustar ("ustar\0" "00") has a name prefix there. uid, gid,
 * uname, gname and the device numbers are of no use to a read-only file system and are not
 * read; they still count in the checksum.
 */
struct header {
	char name[100];
	char mode[8];
	char uid[8];
	char gid[8];
	char size[12];
	char mtime[12];
	char checksum[8];
	char typeflag;
	char linkname[100];
	char magic[6];
	char version[2];
	char uname[32];
	char gname[32];
	char devmajor[8];
	char devminor[8];
	char prefix[155];
	char padding[12];
};
_Static_assert(sizeof(struct header) == USTAR_BLOCK_SIZE, "a tar header is one block");

/* A pax header is text we must hold whole; real ones are a few hundred bytes. The limit
 * keeps a hostile size field from making us allocate gigabytes. */
#define PAX_HEADER_MAX (64 * 1024)

struct entry {
	char *path;                 /* normalized: no leading, trailing or doubled '/' */
	char *link;                 /* symlink or hard link target (normalized for hard links) */
	enum ustar_type type;
	bool hard_link;             /* resolved to its target at the end of the mount */
	bool implied;               /* a directory only known from paths inside it */
	bool damaged;
	uint64_t size;
	uint64_t data;              /* byte offset of the contents in the source */
	int64_t mtime;
	uint32_t mode;
	size_t sequence;            /* order in the archive: a later duplicate wins */
};

struct ustar {
	struct ustar_source source;
	struct entry *entries;      /* sorted by path once mounted */
	size_t count, capacity;
	size_t files, damaged;
	uint64_t end;
	bool end_marker;
};

struct ustar_file {
	const struct ustar *archive;
	const struct entry *entry;
};

/*
 * What the records before a member said about it; cleared when the member is indexed. A pax
 * path beats a GNU long name, which beats the header's own name: pax records are the most
 * recent standard and, when an archive has both, the more precise.
 */
struct pending {
	char *long_name, *long_link;        /* 'L', 'K' */
	char *pax_path, *pax_link;          /* 'x' path=, linkpath= */
	bool has_size, has_mtime;
	uint64_t size;                      /* 'x' size=: overrides the header's */
	int64_t mtime;
};

static void pending_clear(struct pending *pending)
{
	free(pending->long_name);
	free(pending->long_link);
	free(pending->pax_path);
	free(pending->pax_link);
	memset(pending, 0, sizeof(*pending));
}

/* ---- Header fields ------------------------------------------------------------------------- */

/*
 * A number field. Usually octal ASCII, optionally led by spaces and ended by a space or NUL
 * (tar implementations differ); an empty field is 0. GNU tar writes numbers too large for
 * octal (a size of 8 GiB or more) in base-256: the first byte is 0x80 for positive or 0xff
 * for negative, and the rest is big-endian binary. Returns 0, or -EBADMSG for anything else.
 */
static int parse_number(const char *field, size_t width, bool may_be_negative, int64_t *out)
{
	const uint8_t *bytes = (const uint8_t *)field;
	uint64_t value = 0;
	size_t i = 0;

	if (bytes[0] == 0xff) {
		/* Negative: the field is a two's complement number whose leading bytes are
		 * all sign; it must fit in 64 bits. Only a time can be negative. */
		if (!may_be_negative || width < 8)
			return -EBADMSG;
		for (i = 0; i < width - 8; i++) {
			if (bytes[i] != 0xff)
				return -EBADMSG;
		}
		for (; i < width; i++)
			value = value << 8 | bytes[i];
		if ((int64_t)value >= 0)
			return -EBADMSG;
		*out = (int64_t)value;
		return 0;
	}
	if ((bytes[0] & 0xc0) == 0x80) {
		/* Positive: the low 6 bits of the first byte and the bytes after it. */
		value = bytes[0] & 0x3f;
		for (i = 1; i < width; i++) {
			if (value > ((uint64_t)INT64_MAX >> 8))
				return -EBADMSG;
			value = value << 8 | bytes[i];
		}
		*out = (int64_t)value;
		return 0;
	}
	while (i < width && bytes[i] == ' ')
		i++;
	for (; i < width && bytes[i] >= '0' && bytes[i] <= '7'; i++) {
		if (value > (UINT64_MAX >> 3))
			return -EBADMSG;
		value = value << 3 | (uint64_t)(bytes[i] - '0');
	}
	/* After the digits only terminators may follow. */
	for (; i < width; i++) {
		if (bytes[i] != ' ' && bytes[i] != '\0')
			return -EBADMSG;
	}
	if (value > INT64_MAX)
		return -EBADMSG;
	*out = (int64_t)value;
	return 0;
}

/*
 * The checksum is the sum of the header's 512 bytes, with the checksum field itself counted
 * as eight spaces. POSIX sums unsigned bytes; some old tars summed signed chars, so either
 * is accepted, as GNU tar does.
 */
static bool checksum_matches(const struct header *header, int64_t *stored, int64_t *computed)
{
	const uint8_t *bytes = (const uint8_t *)header;
	int64_t unsigned_sum = 0, signed_sum = 0;

	for (size_t i = 0; i < USTAR_BLOCK_SIZE; i++) {
		bool in_field = i >= offsetof(struct header, checksum) &&
				i < offsetof(struct header, checksum) + sizeof(header->checksum);
		uint8_t byte = in_field ? ' ' : bytes[i];

		unsigned_sum += byte;
		signed_sum += (int8_t)byte;
	}
	*computed = unsigned_sum;
	if (parse_number(header->checksum, sizeof(header->checksum), false, stored) < 0) {
		*stored = -1;
		return false;
	}
	return *stored == unsigned_sum || *stored == signed_sum;
}

/* A block of zeros is where a header would be if the archive went on: the end marker. No
 * real header is all zeros, since its checksum field alone holds digits. */
static bool is_zero_block(const uint8_t *block)
{
	for (size_t i = 0; i < USTAR_BLOCK_SIZE; i++) {
		if (block[i] != 0)
			return false;
	}
	return true;
}

/* ---- Paths --------------------------------------------------------------------------------- */

/*
 * Write `length` bytes of `path` into `out` (at least length + 1 bytes) without empty and
 * "." components and without leading or trailing '/': "./a//b/" becomes "a/b". Returns the
 * new length. The result is never longer than the input.
 */
static size_t normalize(const char *path, size_t length, char *out)
{
	size_t written = 0, i = 0;

	while (i < length) {
		size_t start, component;

		while (i < length && path[i] == '/')
			i++;
		start = i;
		while (i < length && path[i] != '/')
			i++;
		component = i - start;
		if (component == 0 || (component == 1 && path[start] == '.'))
			continue;
		if (written > 0)
			out[written++] = '/';
		memcpy(out + written, path + start, component);
		written += component;
	}
	out[written] = '\0';
	return written;
}

/* A normalized copy of `path` in new memory, or NULL. */
static char *normalized_copy(const char *path, size_t length)
{
	char *copy = malloc(length + 1);

	if (copy != NULL)
		normalize(path, length, copy);
	return copy;
}

/* The member's name from its header: prefix "/" name for POSIX ustar, else just name. The
 * fields need no NUL when full, so their lengths are bounded by the field widths. */
static char *header_name(const struct header *header)
{
	size_t name_length = strnlen(header->name, sizeof(header->name));
	size_t prefix_length = 0;
	char joined[sizeof(header->prefix) + 1 + sizeof(header->name)];

	if (memcmp(header->magic, "ustar\0", 6) == 0)
		prefix_length = strnlen(header->prefix, sizeof(header->prefix));
	memcpy(joined, header->prefix, prefix_length);
	if (prefix_length > 0)
		joined[prefix_length++] = '/';
	memcpy(joined + prefix_length, header->name, name_length);
	return normalized_copy(joined, prefix_length + name_length);
}

/* ---- The index ------------------------------------------------------------------------------ */

/*
 * The index is one array of entries, sorted by path once the whole archive has been read. A
 * lookup is a binary search; the entries inside a directory "d" are the run of paths that
 * begin with "d/", so listing is a search for the start of the run and a walk along it. The
 * array grows by doubling while the archive is read.
 */

/* A new, zeroed entry at the end of the array (which may move). Its sequence number is its
 * place in the archive, which decides between duplicates later. */
static struct entry *add_entry(struct ustar *archive)
{
	if (archive->count == archive->capacity) {
		size_t capacity = archive->capacity ? archive->capacity * 2 : 64;
		struct entry *grown = realloc(archive->entries, capacity * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		archive->entries = grown;
		archive->capacity = capacity;
	}
	memset(&archive->entries[archive->count], 0, sizeof(archive->entries[0]));
	archive->entries[archive->count].sequence = archive->count;
	return &archive->entries[archive->count++];
}

/* Index order: by path; for one path, an implied directory before any real entry, and real
 * entries in archive order, so that the last of a group is the one that counts. */
static int compare_entries(const struct entry *left, const struct entry *right)
{
	int order = strcmp(left->path, right->path);

	if (order != 0)
		return order;
	if (left->implied != right->implied)
		return left->implied ? -1 : 1;
	return left->sequence < right->sequence ? -1 : left->sequence > right->sequence;
}

/* Heapsort: no recursion, no extra memory, O(n log n) whatever the archive's order. */
static void sift_down(struct entry *entries, size_t root, size_t count)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct entry swap;

		if (child >= count)
			return;
		if (child + 1 < count && compare_entries(&entries[child], &entries[child + 1]) < 0)
			child++;
		if (compare_entries(&entries[root], &entries[child]) >= 0)
			return;
		swap = entries[root];
		entries[root] = entries[child];
		entries[child] = swap;
		root = child;
	}
}

static void sort_entries(struct entry *entries, size_t count)
{
	for (size_t i = count / 2; i-- > 0;)
		sift_down(entries, i, count);
	for (size_t end = count; end-- > 1;) {
		struct entry swap = entries[0];

		entries[0] = entries[end];
		entries[end] = swap;
		sift_down(entries, 0, end);
	}
}

static void free_entry(struct entry *entry)
{
	free(entry->path);
	free(entry->link);
}

/* The entry for a normalized path, or NULL (binary search of the sorted index). */
static const struct entry *lookup(const struct ustar *archive, const char *path)
{
	size_t low = 0, high = archive->count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strcmp(archive->entries[middle].path, path);

		if (order == 0)
			return &archive->entries[middle];
		if (order < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

/* Every directory on the way to an entry exists, even if the archive has no header for it
 * (tar -cf x.tar a/b/c names only the file). Add the missing ones as implied. */
static int add_implied_directories(struct ustar *archive)
{
	size_t real = archive->count;

	for (size_t i = 0; i < real; i++) {
		for (const char *slash = strchr(archive->entries[i].path, '/'); slash != NULL;
		     slash = strchr(slash + 1, '/')) {
			/* add_entry may move the array: take the path again each time. */
			size_t length = (size_t)(slash - archive->entries[i].path);
			char *parent = malloc(length + 1);
			struct entry *entry;

			if (parent == NULL)
				return -ENOMEM;
			memcpy(parent, archive->entries[i].path, length);
			parent[length] = '\0';
			entry = add_entry(archive);
			if (entry == NULL) {
				free(parent);
				return -ENOMEM;
			}
			entry->path = parent;
			entry->type = USTAR_DIRECTORY;
			entry->implied = true;
			entry->mode = 0755;
			slash = archive->entries[i].path + length;
		}
	}
	return 0;
}

/*
 * Turn the collected entries into the index: add implied directories, sort, keep only the
 * last entry of each path (tar appends; the last copy is the file), and point hard links at
 * the contents of their targets.
 */
static int finish_index(struct ustar *archive)
{
	size_t kept = 0;
	int rc = add_implied_directories(archive);

	if (rc < 0)
		return rc;
	sort_entries(archive->entries, archive->count);
	for (size_t i = 0; i < archive->count; i++) {
		bool last_of_path = i + 1 == archive->count ||
				    strcmp(archive->entries[i].path, archive->entries[i + 1].path) != 0;

		if (last_of_path)
			archive->entries[kept++] = archive->entries[i];
		else
			free_entry(&archive->entries[i]);
	}
	archive->count = kept;

	archive->files = archive->damaged = 0;
	for (size_t i = 0; i < archive->count; i++) {
		struct entry *entry = &archive->entries[i];

		if (entry->hard_link) {
			/* A hard link has no contents of its own: it shares an earlier file's. */
			const struct entry *target = lookup(archive, entry->link);

			if (target != NULL && target->type == USTAR_FILE && !target->hard_link) {
				entry->type = USTAR_FILE;
				entry->data = target->data;
				entry->size = target->size;
				entry->damaged = target->damaged;
			} else {
				entry->type = USTAR_OTHER;    /* dangling: stat only */
			}
		}
		archive->files += entry->type == USTAR_FILE;
		archive->damaged += entry->damaged;
	}
	return 0;
}

/* ---- Reading the archive -------------------------------------------------------------------- */

/*
 * Every way the archive can be damaged ends here: one console line with the header's byte
 * offset and what was wrong with it, so that `dd skip=` or a hex dump can find it; the error
 * is returned and fails the mount.
 */
static int __attribute__((format(printf, 3, 4))) damaged(int error, uint64_t offset,
							  const char *format, ...)
{
	va_list args;

	printf("ustar: damaged archive: header at byte %lu: ", (unsigned long)offset);
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("\n");
	return error;
}

/* The contents of a metadata record ('L', 'K', 'x'), NUL-terminated, in new memory. The
 * size is checked twice before anything is allocated: against the limit for its kind of
 * record, and against what is left of the source. */
static int read_record(struct ustar *archive, uint64_t offset, uint64_t size, size_t limit,
		       char **out)
{
	char *data;
	int rc;

	if (size > limit)
		return damaged(size > USTAR_PATH_MAX ? -ENAMETOOLONG : -EBADMSG, offset,
			       "a %lu-byte name or pax record (the limit is %zu)",
			       (unsigned long)size, limit);
	if (size > archive->source.size - (offset + USTAR_BLOCK_SIZE))
		return damaged(-EBADMSG, offset, "its %lu-byte record runs past the end of the disk",
			       (unsigned long)size);
	data = malloc(size + 1);
	if (data == NULL)
		return -ENOMEM;
	rc = archive->source.read(archive->source.context, offset + USTAR_BLOCK_SIZE, data, size);
	if (rc < 0) {
		free(data);
		return rc;
	}
	data[size] = '\0';
	*out = data;
	return 0;
}

/* A GNU 'L' or 'K' record: the name and its NUL (GNU counts the NUL in the size). */
static int read_long_name(struct ustar *archive, uint64_t offset, uint64_t size, char **name)
{
	char *data;
	size_t length;
	int rc = read_record(archive, offset, size, USTAR_PATH_MAX, &data);

	if (rc < 0)
		return rc;
	length = strnlen(data, size);
	if (length == size) {
		free(data);
		return damaged(-EBADMSG, offset, "GNU long name without a terminating NUL");
	}
	free(*name);                        /* a second record replaces the first */
	*name = normalized_copy(data, length);
	free(data);
	return *name == NULL ? -ENOMEM : 0;
}

/* Parse a decimal number of pax text, with an optional '-' and an ignored fraction (mtime
 * may be "1700000000.25"; GNU tar writes nanoseconds). Overflow is damage, not a clamp: a
 * size that silently became INT64_MAX would be believed. Returns 0 or -EBADMSG. */
static int parse_decimal(const char *text, size_t length, bool may_be_negative, int64_t *out)
{
	bool negative = length > 0 && text[0] == '-';
	uint64_t value = 0;
	size_t i = negative, digits = 0;

	if (negative && !may_be_negative)
		return -EBADMSG;
	for (; i < length && text[i] >= '0' && text[i] <= '9'; i++, digits++) {
		if (value > (INT64_MAX - 9) / 10)
			return -EBADMSG;
		value = value * 10 + (uint64_t)(text[i] - '0');
	}
	if (digits == 0)
		return -EBADMSG;
	if (i < length && text[i] == '.') {
		for (i++; i < length && text[i] >= '0' && text[i] <= '9'; i++)
			;
	}
	if (i != length)
		return -EBADMSG;
	*out = negative ? -(int64_t)value : (int64_t)value;
	return 0;
}

/* Replace *slot with a copy of a pax value (path or linkpath), normalized if it is a path in
 * the archive. A pax value is counted, not terminated, so a NUL inside it would cut the name
 * short without anyone noticing: that is damage. */
static int take_pax_path(const char *value, size_t length, bool normalize_it, char **slot)
{
	char *copy;

	if (length + 1 > USTAR_PATH_MAX)
		return -ENAMETOOLONG;
	if (memchr(value, '\0', length) != NULL)
		return -EBADMSG;
	copy = normalize_it ? normalized_copy(value, length) : malloc(length + 1);
	if (copy == NULL)
		return -ENOMEM;
	if (!normalize_it) {
		memcpy(copy, value, length);
		copy[length] = '\0';
	}
	free(*slot);
	*slot = copy;
	return 0;
}

/*
 * A pax extended header: records "LENGTH KEY=VALUE\n", where LENGTH is the decimal length of
 * the whole record including itself and the newline. Keys Mote does not use (atime, uid,
 * SCHILY.*, ...) are skipped; a record that does not parse damages the archive.
 */
static int parse_pax(struct pending *pending, const char *data, size_t size, uint64_t offset)
{
	size_t at = 0;

	/* Each pass takes one record: the length digits, a space, the key up to '=', the
	 * value up to the newline that the length says ends the record. The length is
	 * checked against what is left before anything after the digits is looked at. */
	while (at < size) {
		const char *record = data + at, *key, *equals, *value;
		size_t length = 0, i = 0, key_length, value_length;
		int64_t number;
		int rc = 0;

		while (i < size - at && record[i] >= '0' && record[i] <= '9' && length < size) {
			length = length * 10 + (size_t)(record[i] - '0');
			i++;
		}
		if (i == 0 || i >= size - at || record[i] != ' ' || length <= i + 1 ||
		    length > size - at || record[length - 1] != '\n')
			return damaged(-EBADMSG, offset, "pax record at +%zu is malformed", at);
		key = record + i + 1;
		equals = memchr(key, '=', (size_t)(record + length - 1 - key));
		if (equals == NULL)
			return damaged(-EBADMSG, offset, "pax record at +%zu has no '='", at);
		key_length = (size_t)(equals - key);
		value = equals + 1;
		value_length = (size_t)(record + length - 1 - value);

		if (key_length == 4 && memcmp(key, "path", 4) == 0) {
			rc = take_pax_path(value, value_length, true, &pending->pax_path);
		} else if (key_length == 8 && memcmp(key, "linkpath", 8) == 0) {
			rc = take_pax_path(value, value_length, false, &pending->pax_link);
		} else if (key_length == 4 && memcmp(key, "size", 4) == 0) {
			rc = parse_decimal(value, value_length, false, &number);
			pending->size = (uint64_t)number;
			pending->has_size = rc == 0;
		} else if (key_length == 5 && memcmp(key, "mtime", 5) == 0) {
			rc = parse_decimal(value, value_length, true, &number);
			pending->mtime = number;
			pending->has_mtime = rc == 0;
		}
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			return damaged(rc, offset, "pax record %.*s at +%zu has a bad value",
				       (int)MIN(key_length, 32), key, at);
		at += length;
	}
	return 0;
}

/*
 * One member: index it, with what the records before it said. Returns 0, or a negative
 * errno. *truncated is set if its contents run past the end of the source.
 */
static int index_member(struct ustar *archive, const struct header *header, uint64_t offset,
			struct pending *pending, uint64_t size, int64_t mtime, int64_t mode)
{
	char *path = pending->pax_path ? pending->pax_path : pending->long_name;
	struct entry *entry;

	/* Take ownership of the long names; the header's name is the fallback. */
	if (path == pending->pax_path)
		pending->pax_path = NULL;
	else
		pending->long_name = NULL;
	if (path == NULL)
		path = header_name(header);
	if (path == NULL)
		return -ENOMEM;
	if (path[0] == '\0') {
		/* "./" or "/": the root itself, which always exists. */
		free(path);
		return 0;
	}
	entry = add_entry(archive);
	if (entry == NULL) {
		free(path);
		return -ENOMEM;
	}
	entry->path = path;
	entry->size = size;
	entry->data = offset + USTAR_BLOCK_SIZE;
	entry->mtime = pending->has_mtime ? pending->mtime : mtime;
	entry->mode = (uint32_t)(mode & 07777);

	/* The type decides what the entry is. Regular files ('0'; '\0' from pre-POSIX tars;
	 * '7', "contiguous", which no system implements and which is read as a file) have
	 * contents; links have a target instead; anything else (devices, FIFOs) is listed but
	 * cannot be opened. */
	switch (header->typeflag) {
	case '0':
	case '\0':
	case '7':
		entry->type = USTAR_FILE;
		/* Before POSIX, a directory was a "file" whose name ends in '/'. */
		if (header->typeflag == '\0' && strnlen(header->name, sizeof(header->name)) > 0 &&
		    header->name[strnlen(header->name, sizeof(header->name)) - 1] == '/')
			entry->type = USTAR_DIRECTORY;
		break;
	case '5':
		entry->type = USTAR_DIRECTORY;
		break;
	case '1':
	case '2': {
		/* The target: a 'K' record, a pax linkpath, or the header's linkname. */
		char *link = pending->pax_link ? pending->pax_link : pending->long_link;
		size_t length = strnlen(header->linkname, sizeof(header->linkname));

		if (link == pending->pax_link)
			pending->pax_link = NULL;
		else
			pending->long_link = NULL;
		if (link == NULL) {
			link = malloc(length + 1);
			if (link == NULL)
				return -ENOMEM;
			memcpy(link, header->linkname, length);
			link[length] = '\0';
		}
		if (header->typeflag == '1') {
			/* A hard link names another member by its archive path. */
			entry->link = normalized_copy(link, strlen(link));
			free(link);
			if (entry->link == NULL)
				return -ENOMEM;
			entry->hard_link = true;
		} else {
			entry->link = link;
			entry->type = USTAR_SYMLINK;
		}
		entry->size = 0;
		break;
	}
	default:
		entry->type = USTAR_OTHER;
		entry->size = 0;
		break;
	}
	return 0;
}

/*
 * Read every header from the start. Returns 0 at the end-of-archive marker or the end of the
 * source, or the first error.
 *
 * The loop keeps one invariant: `offset` is a block boundary at which a header is due, and
 * offset + USTAR_BLOCK_SIZE <= source size before the header is read. Every step forward is
 * computed from a size that was first checked against what is left of the source, so no
 * field of the archive, however large, can move a read outside it or wrap the offset around.
 */
static int scan(struct ustar *archive)
{
	const uint64_t source_size = archive->source.size;
	struct pending pending;
	union {
		struct header header;
		uint8_t bytes[USTAR_BLOCK_SIZE];
	} block;
	uint64_t offset = 0;
	int rc = 0;

	memset(&pending, 0, sizeof(pending));
	for (;;) {
		int64_t stored, computed, size, mtime, mode;
		uint64_t contents, padded;

		if (source_size - offset < USTAR_BLOCK_SIZE) {
			/* Out of blocks before the marker: the archive simply stops here. */
			archive->end = offset;
			break;
		}
		rc = archive->source.read(archive->source.context, offset, block.bytes,
					  USTAR_BLOCK_SIZE);
		if (rc < 0)
			break;
		if (is_zero_block(block.bytes)) {
			/* The end: POSIX says two zero blocks; one is taken as the end too (GNU tar
			 * warns and stops as well). The free space begins after the second. */
			archive->end = offset + USTAR_BLOCK_SIZE;
			archive->end_marker = true;
			if (source_size - archive->end >= USTAR_BLOCK_SIZE) {
				rc = archive->source.read(archive->source.context, archive->end,
							  block.bytes, USTAR_BLOCK_SIZE);
				if (rc < 0)
					break;
				if (is_zero_block(block.bytes))
					archive->end += USTAR_BLOCK_SIZE;
			}
			break;
		}
		if (!checksum_matches(&block.header, &stored, &computed)) {
			rc = damaged(-EBADMSG, offset, "checksum field says %ld, the header sums to %ld",
				     (long)stored, (long)computed);
			break;
		}
		if (parse_number(block.header.size, sizeof(block.header.size), false, &size) < 0 ||
		    parse_number(block.header.mtime, sizeof(block.header.mtime), true, &mtime) < 0 ||
		    parse_number(block.header.mode, sizeof(block.header.mode), false, &mode) < 0) {
			rc = damaged(-EBADMSG, offset, "size, mtime or mode is not a number");
			break;
		}
		/* A pax size= overrides the header's field (which may be 0 or wrong when the
		 * real size does not fit in 11 octal digits); it applies to members, not to
		 * the metadata records. An 'x' record followed by another 'x' record keeps
		 * its size= for the member that finally comes. */
		contents = (uint64_t)size;
		if (pending.has_size && block.header.typeflag != 'x' && block.header.typeflag != 'g' &&
		    block.header.typeflag != 'L' && block.header.typeflag != 'K')
			contents = pending.size;
		/* Links and devices have no contents; everything else has `contents` bytes,
		 * padded to whole blocks. */
		if (block.header.typeflag == '1' || block.header.typeflag == '2')
			contents = 0;

		switch (block.header.typeflag) {
		case 'L':
			rc = read_long_name(archive, offset, contents, &pending.long_name);
			break;
		case 'K':
			rc = read_long_name(archive, offset, contents, &pending.long_link);
			break;
		case 'x': {
			char *text = NULL;

			rc = read_record(archive, offset, contents, PAX_HEADER_MAX, &text);
			if (rc == 0) {
				rc = parse_pax(&pending, text, (size_t)contents, offset);
				free(text);
			}
			break;
		}
		case 'g':
			/* Global pax records: nothing Mote needs; skipped. */
			break;
		default:
			rc = index_member(archive, &block.header, offset, &pending, contents, mtime,
					  mode);
			pending_clear(&pending);
			if (rc == 0 && contents > source_size - offset - USTAR_BLOCK_SIZE) {
				/* The contents run past the end: the entry is damaged, and no
				 * header can follow it. */
				printf("ustar: damaged archive: member at byte %lu has %lu bytes of "
				       "contents, but only %lu bytes follow: marked damaged\n",
				       (unsigned long)offset, (unsigned long)contents,
				       (unsigned long)(source_size - offset - USTAR_BLOCK_SIZE));
				if (archive->count > 0 &&
				    archive->entries[archive->count - 1].data == offset + USTAR_BLOCK_SIZE)
					archive->entries[archive->count - 1].damaged = true;
				archive->end = source_size;
				goto out;
			}
			break;
		}
		if (rc < 0)
			break;
		/* Next header: after the contents, rounded up to a block. (Metadata records
		 * were checked against the source size when they were read.) */
		padded = ALIGN_UP(contents, (uint64_t)USTAR_BLOCK_SIZE);
		if (padded < contents || padded > source_size - offset - USTAR_BLOCK_SIZE) {
			archive->end = source_size;
			break;
		}
		offset += USTAR_BLOCK_SIZE + padded;
	}
out:
	pending_clear(&pending);
	return rc;
}

/* ---- The API ------------------------------------------------------------------------------- */

/* Free the index. Safe on a half-built archive: ustar_mount uses it to clean up. */
void ustar_unmount(struct ustar *archive)
{
	if (archive == NULL)
		return;
	for (size_t i = 0; i < archive->count; i++)
		free_entry(&archive->entries[i]);
	free(archive->entries);
	free(archive);
}

/* Mount: read the headers (scan), then sort and complete the index (finish_index). Either
 * step's failure frees everything, so a failed mount leaves nothing behind. */
int ustar_mount(const struct ustar_source *source, struct ustar **out)
{
	struct ustar *archive = calloc(1, sizeof(*archive));
	int rc;

	if (archive == NULL)
		return -ENOMEM;
	archive->source = *source;
	rc = scan(archive);
	if (rc == 0)
		rc = finish_index(archive);
	if (rc < 0) {
		ustar_unmount(archive);
		return rc;
	}
	*out = archive;
	return 0;
}

/* Look up a caller's path (normalized first, so that the index holds one spelling of each
 * path and the caller may use any). NULL with *error set if there is none; the root, which
 * has no entry, is reported through *root. */
static const struct entry *find(const struct ustar *archive, const char *path, bool *root,
				int *error)
{
	size_t length = strlen(path);
	const struct entry *entry;
	char *normal;

	*root = false;
	if (length + 1 > USTAR_PATH_MAX) {
		*error = -ENAMETOOLONG;
		return NULL;
	}
	normal = normalized_copy(path, length);
	if (normal == NULL) {
		*error = -ENOMEM;
		return NULL;
	}
	if (normal[0] == '\0') {
		*root = true;
		free(normal);
		*error = 0;
		return NULL;
	}
	entry = lookup(archive, normal);
	free(normal);
	*error = entry == NULL ? -ENOENT : 0;
	return entry;
}

/* What stat reports: contents only count for files, a target only for symlinks (a hard
 * link was resolved into a file at mount time). */
static void fill_stat(const struct entry *entry, struct ustar_stat *out)
{
	out->type = entry->type;
	out->size = entry->type == USTAR_FILE ? entry->size : 0;
	out->mtime = entry->mtime;
	out->mode = entry->mode;
	out->link = entry->type == USTAR_SYMLINK ? entry->link : NULL;
	out->damaged = entry->damaged;
}

static void root_stat(struct ustar_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->type = USTAR_DIRECTORY;
	out->mode = 0755;
}

int ustar_stat(const struct ustar *archive, const char *path, struct ustar_stat *out)
{
	bool root;
	int error;
	const struct entry *entry = find(archive, path, &root, &error);

	if (root) {
		root_stat(out);
		return 0;
	}
	if (entry == NULL)
		return error;
	fill_stat(entry, out);
	return 0;
}

int ustar_open(const struct ustar *archive, const char *path, struct ustar_file **out)
{
	bool root;
	int error;
	const struct entry *entry = find(archive, path, &root, &error);
	struct ustar_file *file;

	if (root)
		return -EISDIR;
	if (entry == NULL)
		return error;
	if (entry->type == USTAR_DIRECTORY)
		return -EISDIR;
	if (entry->type != USTAR_FILE)
		return -EINVAL;
	if (entry->damaged) {
		printf("ustar: %s: its contents are not all in the archive\n", entry->path);
		return -EBADMSG;
	}
	file = malloc(sizeof(*file));
	if (file == NULL)
		return -ENOMEM;
	file->archive = archive;
	file->entry = entry;
	*out = file;
	return 0;
}

/* The contents are one run of bytes in the archive, starting at entry->data: a read is one
 * read of the source, cut at the end of the file. */
long ustar_read(struct ustar_file *file, uint64_t offset, void *buffer, size_t length)
{
	const struct entry *entry = file->entry;
	size_t count;
	int rc;

	if (offset >= entry->size || length == 0)
		return 0;
	count = (size_t)MIN((uint64_t)length, entry->size - offset);
	/* A long is the return type: reads are cut to what it can count. */
	count = MIN(count, (size_t)INT64_MAX);
	rc = file->archive->source.read(file->archive->source.context, entry->data + offset, buffer,
					count);
	return rc < 0 ? rc : (long)count;
}

void ustar_fstat(const struct ustar_file *file, struct ustar_stat *out)
{
	fill_stat(file->entry, out);
}

void ustar_close(struct ustar_file *file)
{
	free(file);
}

/* Listing walks the run of the sorted index that lies inside the directory and reports
 * the entries with no further '/', which are its direct children. The root's run is the
 * whole index. */
int ustar_list(const struct ustar *archive, const char *directory, ustar_list_callback_t each,
	       void *arg)
{
	bool root;
	int error, count = 0;
	const struct entry *entry = find(archive, directory, &root, &error);
	size_t prefix_length = 0, low = 0, high = archive->count;
	const char *prefix = "";

	if (!root) {
		if (entry == NULL)
			return error;
		if (entry->type != USTAR_DIRECTORY)
			return -ENOTDIR;
		prefix = entry->path;
		prefix_length = strlen(prefix);
		/* The entries inside are exactly those starting with "prefix/": a contiguous
		 * run of the sorted index. Find its start by binary search. */
		while (low < high) {
			size_t middle = low + (high - low) / 2;
			const char *path = archive->entries[middle].path;
			int order = strncmp(path, prefix, prefix_length);

			if (order == 0)
				order = path[prefix_length] == '\0' ? -1 : (unsigned char)path[prefix_length] - '/';
			if (order < 0)
				low = middle + 1;
			else
				high = middle;
		}
	}
	for (size_t i = low; i < archive->count; i++) {
		const char *path = archive->entries[i].path, *name = path;
		struct ustar_stat stat;
		int rc;

		if (!root) {
			if (strncmp(path, prefix, prefix_length) != 0 || path[prefix_length] != '/')
				break;
			name = path + prefix_length + 1;
		}
		/* Only direct children: grandchildren have another '/'. */
		if (strchr(name, '/') != NULL)
			continue;
		fill_stat(&archive->entries[i], &stat);
		rc = each(name, &stat, arg);
		if (rc < 0)
			return rc;
		count++;
	}
	return count;
}

void ustar_info(const struct ustar *archive, struct ustar_info *out)
{
	out->entries = archive->count;
	out->files = archive->files;
	out->damaged = archive->damaged;
	out->end = archive->end;
	out->end_marker = archive->end_marker;
}
