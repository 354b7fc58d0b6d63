/*
 * blk/tarfs.c: a ustar archive on a blkfront disk, and the raw area after it. Implements
 * blk/tarfs.h.
 *
 * The archive parser (blk/ustar.c) reads bytes at any offset and of any length; a disk reads
 * whole sectors. disk_read() bridges the two:
 *   - small reads (headers while mounting, the chunks a web server sends) go through a
 *     cache of 64 KiB blocks, so that mounting an archive of many small files costs one disk
 *     request per 64 KiB rather than one per header, and a file that is read again and again
 *     comes from memory, as Linux's page cache would serve it;
 *   - large reads go straight into the caller's buffer, except for a partial sector at
 *     either end, which comes through the cache. A file's contents start on a 512-byte
 *     boundary in the archive, so a read at a sector-aligned offset has no partial ends.
 *
 * The cache holds at most an eighth of the memory that was free at mount time, allocates a
 * block only when it is first needed, and evicts the least recently used. Threads share it:
 * a block being filled is marked so, and a second reader of it waits for the one disk
 * request instead of making its own, while readers of other blocks go ahead.
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

#define CACHE_BLOCK (64 * 1024u)
/* The cache's size: an eighth of the free memory, in these bounds (blocks). */
#define CACHE_MIN_BLOCKS 2u
#define CACHE_MAX_BLOCKS 512u
/* The raw area starts on this boundary, so that its blocks are whole pages of the disk. */
#define RAW_ALIGNMENT 4096u

enum block_state {
	BLOCK_EMPTY,
	BLOCK_FILLING,          /* a thread waits for the disk to fill it */
	BLOCK_VALID,
};

struct cache_block {
	enum block_state state;
	uint64_t offset;        /* on the disk; a multiple of CACHE_BLOCK */
	size_t length;          /* CACHE_BLOCK, or less at the end of the disk */
	uint64_t last_used;     /* fs->use_clock when last read: for LRU eviction */
	uint8_t *data;          /* page aligned, so blkfront grants it without a bounce copy */
};

struct tarfs {
	struct blkfront *disk;
	struct ustar *archive;
	uint64_t capacity;
	uint32_t sector_size;
	uint64_t raw_offset, raw_size;

	struct cache_block *blocks;     /* block_limit entries; [0, blocks_allocated) have data */
	unsigned int block_limit;
	unsigned int blocks_allocated;
	uint64_t use_clock;
	uint64_t hits, misses;
};

static bool block_settled(void *arg)
{
	return ((const struct cache_block *)arg)->state != BLOCK_FILLING;
}

/* Some block can be (re)used: not every allocated one is being filled. */
static bool block_available(void *arg)
{
	const struct tarfs *fs = arg;

	for (unsigned int i = 0; i < fs->blocks_allocated; i++)
		if (fs->blocks[i].state != BLOCK_FILLING)
			return true;
	return false;
}

/* A block to fill: a new one while the limit and memory allow, else the least recently used
 * that nobody is filling. NULL if every block is being filled. */
static struct cache_block *cache_victim(struct tarfs *fs)
{
	struct cache_block *victim = NULL;

	if (fs->blocks_allocated < fs->block_limit) {
		struct cache_block *fresh = &fs->blocks[fs->blocks_allocated];

		fresh->data = page_alloc(CACHE_BLOCK / PAGE_SIZE);
		if (fresh->data != NULL) {
			fs->blocks_allocated++;
			return fresh;
		}
		/* Memory is short: stop growing and make do with what we have. */
		fs->block_limit = MAX(fs->blocks_allocated, 1u);
	}
	for (unsigned int i = 0; i < fs->blocks_allocated; i++) {
		struct cache_block *block = &fs->blocks[i];

		if (block->state == BLOCK_FILLING)
			continue;
		if (block->state == BLOCK_EMPTY)
			return block;
		if (victim == NULL || block->last_used < victim->last_used)
			victim = block;
	}
	return victim;
}

/* The block that holds disk offset `block_offset` (a multiple of CACHE_BLOCK), read from
 * the disk if it is not cached. */
static int cache_get(struct tarfs *fs, uint64_t block_offset, struct cache_block **out)
{
	for (;;) {
		struct cache_block *block = NULL;
		int rc;

		for (unsigned int i = 0; i < fs->blocks_allocated; i++) {
			if (fs->blocks[i].state != BLOCK_EMPTY && fs->blocks[i].offset == block_offset) {
				block = &fs->blocks[i];
				break;
			}
		}
		if (block != NULL && block->state == BLOCK_FILLING) {
			/* Another thread's disk request brings it: wait, then look again (its read
			 * may have failed, or the block been reused since). */
			sched_wait(block_settled, block, TIME_NEVER);
			continue;
		}
		if (block != NULL) {
			fs->hits++;
			block->last_used = ++fs->use_clock;
			*out = block;
			return 0;
		}
		block = cache_victim(fs);
		if (block == NULL) {
			if (fs->blocks_allocated == 0)
				return -ENOMEM;
			sched_wait(block_available, fs, TIME_NEVER);
			continue;
		}
		fs->misses++;
		block->state = BLOCK_FILLING;
		block->offset = block_offset;
		block->length = (size_t)MIN((uint64_t)CACHE_BLOCK, fs->capacity - block_offset);
		rc = blkfront_read(fs->disk, block_offset, block->data, block->length);
		block->state = rc == 0 ? BLOCK_VALID : BLOCK_EMPTY;
		if (rc < 0)
			return rc;
		block->last_used = ++fs->use_clock;
		*out = block;
		return 0;
	}
}

/* Copy [offset, offset + length) of the disk through the cache, block by block. */
static int cache_read(struct tarfs *fs, uint64_t offset, uint8_t *buffer, size_t length)
{
	while (length > 0) {
		uint64_t block_offset = ALIGN_DOWN(offset, (uint64_t)CACHE_BLOCK);
		struct cache_block *block;
		size_t within, take;
		int rc = cache_get(fs, block_offset, &block);

		if (rc < 0)
			return rc;
		/* Nothing yields between cache_get and the copy: the block cannot change under us. */
		within = (size_t)(offset - block_offset);
		take = MIN(length, block->length - within);
		memcpy(buffer, block->data + within, take);
		buffer += take;
		offset += take;
		length -= take;
	}
	return 0;
}

/* Forget cached blocks that overlap a range about to be written. */
static void cache_forget(struct tarfs *fs, uint64_t offset, size_t length)
{
	for (unsigned int i = 0; i < fs->blocks_allocated; i++) {
		struct cache_block *block = &fs->blocks[i];

		if (block->state == BLOCK_EMPTY || block->offset >= offset + length ||
		    block->offset + block->length <= offset)
			continue;
		/* A fill in progress would bring the old contents: let it finish, then drop it. */
		sched_wait(block_settled, block, TIME_NEVER);
		if (block->offset < offset + length && offset < block->offset + block->length)
			block->state = BLOCK_EMPTY;
	}
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
	if (length <= CACHE_BLOCK)
		return cache_read(fs, offset, out, length);

	/* Large: the partial sectors at the ends through the cache, the middle directly. The
	 * middle is whole sectors at a sector-aligned disk offset, which blkfront takes as it
	 * is; if the caller's buffer is not aligned, blkfront bounces it. */
	head_end = MIN(ALIGN_UP(offset, (uint64_t)fs->sector_size), offset + length);
	tail_start = MAX(ALIGN_DOWN(offset + length, (uint64_t)fs->sector_size), head_end);
	if (head_end > offset) {
		rc = cache_read(fs, offset, out, (size_t)(head_end - offset));
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
		return cache_read(fs, tail_start, out + (tail_start - offset),
				  (size_t)(offset + length - tail_start));
	return 0;
}

void tarfs_unmount(struct tarfs *fs)
{
	if (fs == NULL)
		return;
	ustar_unmount(fs->archive);
	for (unsigned int i = 0; i < fs->blocks_allocated; i++)
		page_free(fs->blocks[i].data, CACHE_BLOCK / PAGE_SIZE);
	free(fs->blocks);
	free(fs);
}

int tarfs_mount(struct blkfront *disk, struct tarfs **out)
{
	const struct blkfront_info *info = blkfront_info(disk);
	struct ustar_source source;
	struct ustar_info archive_info;
	struct page_alloc_stats memory;
	struct tarfs *fs = calloc(1, sizeof(*fs));
	int rc;

	if (fs == NULL)
		return -ENOMEM;
	fs->disk = disk;
	fs->capacity = info->capacity;
	fs->sector_size = info->sector_size;
	page_alloc_stats(&memory);
	fs->block_limit = (unsigned int)MIN(MAX(memory.free_pages * PAGE_SIZE / 8 / CACHE_BLOCK,
						(size_t)CACHE_MIN_BLOCKS), (size_t)CACHE_MAX_BLOCKS);
	fs->blocks = calloc(fs->block_limit, sizeof(*fs->blocks));
	if (fs->blocks == NULL) {
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
	/* The cache may hold the old contents of these sectors. */
	cache_forget(fs, disk_offset, length);
	return blkfront_write(fs->disk, disk_offset, buffer, length);
}

int tarfs_raw_flush(struct tarfs *fs)
{
	return blkfront_flush(fs->disk);
}

void tarfs_print_stats(const struct tarfs *fs)
{
	printf("tarfs: %s: cache of %u blocks of %u KiB (limit %u): %lu hits, %lu misses\n",
	       blkfront_info(fs->disk)->name, fs->blocks_allocated, CACHE_BLOCK / 1024, fs->block_limit,
	       (unsigned long)fs->hits, (unsigned long)fs->misses);
}
