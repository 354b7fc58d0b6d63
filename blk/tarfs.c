/*
 * blk/tarfs.c: a ustar archive on a blkfront disk, and the raw area after it. Implements
 * blk/tarfs.h.
 *
 * The archive parser (blk/ustar.c) reads bytes at any offset and of any length; a disk reads
 * whole sectors. disk_read() bridges the two:
 *   - small reads (headers while mounting, the odd few bytes of a file) go through a 64 KiB
 *     read-ahead window, so that mounting an archive of many small files costs one disk
 *     request per 64 KiB rather than one per header;
 *   - large reads go straight into the caller's buffer, except for a partial sector at
 *     either end, which comes through the window. A file's contents start on a 512-byte
 *     boundary in the archive, so a read at a sector-aligned offset has no partial ends.
 */
#include <stdint.h>
#include <stdbool.h>
#include "blk/tarfs.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "lib/util.h"
#include "xen/console.h"
#include "xen/time.h"

#define WINDOW_SIZE (64 * 1024u)
/* The raw area starts on this boundary, so that its blocks are whole pages of the disk. */
#define RAW_ALIGNMENT 4096u

struct tarfs {
	struct blkfront *disk;
	struct ustar *archive;
	uint64_t capacity;
	uint32_t sector_size;
	uint64_t raw_offset, raw_size;

	/* The read-ahead window: disk bytes [window_offset, window_offset + window_length). */
	uint8_t *window;
	uint64_t window_offset;
	size_t window_length;           /* 0: empty */
	bool window_busy;               /* a thread is filling it (and waits for the disk) */
};

static bool window_free(void *arg)
{
	return !((const struct tarfs *)arg)->window_busy;
}

/*
 * Copy [offset, offset + length) from the window, filling it first if it does not hold
 * that range. length must be at most WINDOW_SIZE - sector_size: the window starts at the
 * sector boundary at or before `offset`, up to sector_size - 1 bytes early, and must still
 * reach offset + length. Near the end of the disk the window is shorter, but then so is
 * what can be asked for.
 */
static int read_through_window(struct tarfs *fs, uint64_t offset, uint8_t *buffer, size_t length)
{
	int rc = 0;

	/* Threads take turns: the window is filled by a disk read that waits. */
	sched_wait(window_free, fs, TIME_NEVER);
	if (offset < fs->window_offset || offset + length > fs->window_offset + fs->window_length) {
		uint64_t start = ALIGN_DOWN(offset, (uint64_t)fs->sector_size);
		size_t fill = (size_t)MIN((uint64_t)WINDOW_SIZE, fs->capacity - start);

		fs->window_busy = true;
		fs->window_length = 0;
		rc = blkfront_read(fs->disk, start, fs->window, fill);
		if (rc == 0) {
			fs->window_offset = start;
			fs->window_length = fill;
		}
		fs->window_busy = false;
	}
	if (rc == 0)
		memcpy(buffer, fs->window + (offset - fs->window_offset), length);
	return rc;
}

/* The ustar_source read callback: `length` bytes at byte `offset` of the disk. */
static int disk_read(void *context, uint64_t offset, void *buffer, size_t length)
{
	struct tarfs *fs = context;
	uint8_t *out = buffer;
	uint64_t head_end, tail_start;
	int rc;

	if (offset > fs->capacity || length > fs->capacity - offset)
		return -EINVAL;
	if (length <= WINDOW_SIZE - fs->sector_size)
		return read_through_window(fs, offset, out, length);

	/* Large: the partial sectors at the ends through the window, the middle directly. The
	 * middle is whole sectors at a sector-aligned disk offset, which blkfront takes as it
	 * is; if the caller's buffer is not aligned, blkfront bounces it. */
	head_end = MIN(ALIGN_UP(offset, (uint64_t)fs->sector_size), offset + length);
	tail_start = MAX(ALIGN_DOWN(offset + length, (uint64_t)fs->sector_size), head_end);
	if (head_end > offset) {
		rc = read_through_window(fs, offset, out, (size_t)(head_end - offset));
		if (rc < 0)
			return rc;
	}
	if (tail_start > head_end) {
		rc = blkfront_read(fs->disk, head_end, out + (head_end - offset),
				   (size_t)(tail_start - head_end));
		if (rc < 0)
			return rc;
	}
	if (offset + length > tail_start)
		return read_through_window(fs, tail_start, out + (tail_start - offset),
					   (size_t)(offset + length - tail_start));
	return 0;
}

void tarfs_unmount(struct tarfs *fs)
{
	if (fs == NULL)
		return;
	ustar_unmount(fs->archive);
	if (fs->window != NULL)
		page_free(fs->window, WINDOW_SIZE / PAGE_SIZE);
	free(fs);
}

int tarfs_mount(struct blkfront *disk, struct tarfs **out)
{
	const struct blkfront_info *info = blkfront_info(disk);
	struct ustar_source source;
	struct ustar_info archive_info;
	struct tarfs *fs = calloc(1, sizeof(*fs));
	int rc;

	if (fs == NULL)
		return -ENOMEM;
	fs->disk = disk;
	fs->capacity = info->capacity;
	fs->sector_size = info->sector_size;
	/* Page aligned, so that blkfront can grant it without a bounce copy. */
	fs->window = page_alloc(WINDOW_SIZE / PAGE_SIZE);
	if (fs->window == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	source.read = disk_read;
	source.context = fs;
	source.size = fs->capacity;
	rc = ustar_mount(&source, &fs->archive);
	if (rc < 0)
		goto err;

	/* The raw area begins after the end-of-archive marker, rounded up to 4 KiB (and to
	 * the sector size), so that it never shares a block with the archive: writing it can
	 * never damage a file. GNU tar pads archives to 10 KiB with zeros; that padding is
	 * free space too. */
	ustar_info(fs->archive, &archive_info);
	fs->raw_offset = MIN(ALIGN_UP(archive_info.end, (uint64_t)MAX(RAW_ALIGNMENT, fs->sector_size)),
			     fs->capacity);
	fs->raw_size = fs->capacity - fs->raw_offset;
	printf("tarfs: %s: %zu entries, %zu files%s; archive ends at byte %lu%s; raw area %lu bytes "
	       "at %lu\n", info->name, archive_info.entries, archive_info.files,
	       archive_info.damaged ? " (some damaged)" : "", (unsigned long)archive_info.end,
	       archive_info.end_marker ? "" : " (no end marker)", (unsigned long)fs->raw_size,
	       (unsigned long)fs->raw_offset);
	*out = fs;
	return 0;

err:
	printf("tarfs: %s: cannot mount: %s\n", info->name, strerror(rc));
	tarfs_unmount(fs);
	return rc;
}

struct ustar *tarfs_archive(const struct tarfs *fs)
{
	return fs->archive;
}

uint64_t tarfs_raw_offset(const struct tarfs *fs)
{
	return fs->raw_offset;
}

uint64_t tarfs_raw_size(const struct tarfs *fs)
{
	return fs->raw_size;
}

/* Inside the raw area, whole sectors. blkfront checks the alignment again on the disk, but
 * only this check keeps a write from reaching back into the archive. */
static int raw_range(const struct tarfs *fs, uint64_t offset, size_t length)
{
	if (offset > fs->raw_size || length > fs->raw_size - offset)
		return -EINVAL;
	if (offset % fs->sector_size != 0 || length % fs->sector_size != 0)
		return -EINVAL;
	return 0;
}

int tarfs_raw_read(struct tarfs *fs, uint64_t offset, void *buffer, size_t length)
{
	int rc = raw_range(fs, offset, length);

	return rc < 0 ? rc : blkfront_read(fs->disk, fs->raw_offset + offset, buffer, length);
}

int tarfs_raw_write(struct tarfs *fs, uint64_t offset, const void *buffer, size_t length)
{
	uint64_t disk_offset = fs->raw_offset + offset;
	int rc = raw_range(fs, offset, length);

	/* A read-only disk says so first, whatever the range. */
	if (blkfront_info(fs->disk)->read_only)
		return -EROFS;
	if (rc < 0)
		return rc;
	/* The window may hold the old contents of these blocks: forget it. */
	sched_wait(window_free, fs, TIME_NEVER);
	if (disk_offset < fs->window_offset + fs->window_length &&
	    fs->window_offset < disk_offset + length)
		fs->window_length = 0;
	return blkfront_write(fs->disk, disk_offset, buffer, length);
}

int tarfs_raw_flush(struct tarfs *fs)
{
	return blkfront_flush(fs->disk);
}
