/*
 * blk/tarfs.h: a tar archive on a virtual disk, mounted read-only, and the space after it.
 *
 * The disk holds a plain tar archive (`tar -cf disk.img files...`, then optionally grown
 * with `truncate`). tarfs_mount reads it through blkfront and indexes it with blk/ustar.h;
 * files are then opened, read, listed and stat'ed with the ustar_*() calls on
 * tarfs_archive(fs).
 *
 * Everything after the archive is the *raw area*: plain blocks that an app may read, write
 * and flush for data it wants to keep (a log, a counter, a small database). It starts on a
 * 4 KiB boundary after the archive's end-of-archive marker and runs to the end of the disk.
 * Offsets are relative to its start; lengths and offsets must be whole sectors. What was
 * written and then flushed with tarfs_raw_flush survives the guest being destroyed.
 * docs/tarfs.md describes both.
 */
#ifndef MOTE_BLK_TARFS_H
#define MOTE_BLK_TARFS_H

#include <stdint.h>
#include <stddef.h>
#include "blk/blkfront.h"
#include "blk/ustar.h"

struct tarfs;

/* Mount the archive at the start of `disk` (which must stay open until unmounted).
 * Errors are ustar_mount's, or the disk's. */
int tarfs_mount(struct blkfront *disk, struct tarfs **out);
void tarfs_unmount(struct tarfs *fs);

/* The archive, for ustar_open/ustar_read/ustar_stat/ustar_list. */
struct ustar *tarfs_archive(const struct tarfs *fs);

/* Where the raw area starts on the disk (a byte offset), and how large it is (0 if the
 * archive fills the disk). */
uint64_t tarfs_raw_offset(const struct tarfs *fs);
uint64_t tarfs_raw_size(const struct tarfs *fs);

/* Read, write and flush the raw area. -EINVAL past its end or for partial sectors; the
 * disk's errors otherwise (-EROFS on a read-only disk). */
int tarfs_raw_read(struct tarfs *fs, uint64_t offset, void *buffer, size_t length);
int tarfs_raw_write(struct tarfs *fs, uint64_t offset, const void *buffer, size_t length);
int tarfs_raw_flush(struct tarfs *fs);

/* One console line about the read cache: its size, hits and misses. */
void tarfs_print_stats(const struct tarfs *fs);

#endif
