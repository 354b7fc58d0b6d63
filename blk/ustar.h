/*
 * blk/ustar.h: a read-only file system made of a tar archive, as `tar` writes it: POSIX
 * ustar (IEEE 1003.1-1988 and its pax extension, 2001), including the two ways of naming
 * what does not fit in a ustar header -- GNU tar's long-name records (type 'L' and 'K') and
 * pax extended headers (type 'x', with path, linkpath, size and mtime records).
 * docs/tarfs.md describes the format and how it is checked.
 *
 * The archive is read through a callback, so the same code runs on a disk (blk/tarfs.h), on
 * a buffer in a host unit test, and under libFuzzer. Mounting reads every header once,
 * checks its checksum and fields, and builds a sorted index of paths; after that, stat and
 * list are lookups, and reading a file reads its bytes straight from the archive.
 *
 * Damage is reported, never trusted: a header whose checksum is wrong, a number field that
 * is not a number, a long name without its terminating NUL, or a malformed pax record fails
 * the mount with -EBADMSG and a console line giving the byte offset. A file whose contents
 * run past the end of the source (a truncated archive, or a size larger than the disk) is
 * indexed as damaged: stat shows it, ustar_open refuses it with -EBADMSG.
 */
#ifndef MOTE_BLK_USTAR_H
#define MOTE_BLK_USTAR_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define USTAR_BLOCK_SIZE 512
/* The longest path accepted from a long-name or pax record, terminator included. */
#define USTAR_PATH_MAX 4096

/* Where the archive's bytes come from. */
struct ustar_source {
	/* Read exactly `length` bytes at byte `offset` (within `size`): 0 or a negative errno. */
	int (*read)(void *context, uint64_t offset, void *buffer, size_t length);
	void *context;
	uint64_t size;              /* bytes of the source: nothing is read beyond */
};

enum ustar_type {
	USTAR_FILE,                 /* '0', '\0', '7' (contiguous), and hard links to files */
	USTAR_DIRECTORY,            /* '5', or implied by a path inside it */
	USTAR_SYMLINK,              /* '2' */
	USTAR_OTHER,                /* devices, FIFOs, dangling hard links: stat only */
};

struct ustar_stat {
	enum ustar_type type;
	uint64_t size;              /* bytes of contents (0 for all but files) */
	int64_t mtime;              /* modification time, seconds since 1970 */
	uint32_t mode;              /* permission bits, as archived */
	const char *link;           /* a symlink's target; NULL otherwise */
	bool damaged;               /* the contents are not all in the archive */
};

struct ustar;
struct ustar_file;

/*
 * Read the headers and build the index. The source must stay valid until ustar_unmount.
 * Returns 0, -EBADMSG for a damaged archive, -ENAMETOOLONG for a name over USTAR_PATH_MAX,
 * -ENOMEM, or the source's own read error.
 */
int ustar_mount(const struct ustar_source *source, struct ustar **out);
void ustar_unmount(struct ustar *archive);

/*
 * Paths are relative to the archive's root; a leading '/', "./" components, repeated and
 * trailing slashes are ignored, so "a/b", "/a/b" and "./a//b/" are the same file. "" or "/"
 * is the root directory. -ENOENT if there is no such path.
 */
int ustar_stat(const struct ustar *archive, const char *path, struct ustar_stat *out);

/* Open a file (-EISDIR for a directory, -EINVAL for anything else that is not a file,
 * -EBADMSG for a damaged one). Close with ustar_close. */
int ustar_open(const struct ustar *archive, const char *path, struct ustar_file **out);

/* Read up to `length` bytes at `offset`. Returns the count (0 at or past the end of the
 * file), or a negative errno from the source. */
long ustar_read(struct ustar_file *file, uint64_t offset, void *buffer, size_t length);

/* The open file's metadata. */
void ustar_fstat(const struct ustar_file *file, struct ustar_stat *out);
void ustar_close(struct ustar_file *file);

/*
 * Call `each` for every entry directly inside `directory`, in byte order of their names.
 * `name` is the last component only. Returns the number of entries, the first negative
 * value `each` returns (which stops the listing), -ENOENT, or -ENOTDIR.
 */
typedef int (*ustar_list_callback_t)(const char *name, const struct ustar_stat *stat, void *arg);
int ustar_list(const struct ustar *archive, const char *directory, ustar_list_callback_t each,
	       void *arg);

struct ustar_info {
	size_t entries;             /* paths in the index, implied directories included */
	size_t files;
	size_t damaged;
	/* Byte offset just past the end-of-archive marker (two zero blocks): where free space
	 * begins. If the archive has no marker, where the headers stop. */
	uint64_t end;
	bool end_marker;            /* the marker was there */
};
void ustar_info(const struct ustar *archive, struct ustar_info *out);

#endif
