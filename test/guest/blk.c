/*
 * Boot test guest for blkfront and tarfs, against Linux's blkback in dom0. The command line
 * picks the test; test/boot/blk-*.test set up the disks and check what this prints:
 *
 *   read      mount the tar archive on the disk, read every file and print its SHA-256 (dom0
 *             compares with sha256sum), stat sizes and mtimes; reads of odd sizes and
 *             unaligned buffers; the errors for bad requests
 *   durable   write a random pattern to the raw area after the archive, flush, say so, and
 *             wait to be destroyed (dom0 then looks at the image file)
 *   readonly  a disk attached read-only: reads work, writes and flushes give -EROFS
 *   big       a 2 TiB disk: the capacity, and the last sector read and written
 *   two       two disks at once, one with a one-page ring and no indirect descriptors
 *   bench     read a 64 MiB file sequentially and print MiB/s (make bench)
 */
#include <stdint.h>
#include "test/guest/testlib.h"
#include "blk/blkfront.h"
#include "blk/tarfs.h"
#include "blk/ustar.h"
#include "kernel/sched.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/printf.h"
#include "lib/sha256.h"
#include "lib/string.h"
#include "lib/util.h"
#include "xen/time.h"

#define CHUNK (256 * 1024u)

static uint8_t *chunk_buffer;       /* CHUNK bytes, page aligned */

/* ---- Helpers ------------------------------------------------------------------------------- */

/* Open the index-th vbd (in xenstore's order), with `config`. */
static struct blkfront *open_disk(unsigned int index, const struct blkfront_config *config)
{
	char ids[128], *id = ids;
	struct blkfront *disk;
	int count = blkfront_list(ids, sizeof(ids)), rc;

	if (count <= (int)index) {
		test_fail("expected at least %u vbd, found %d", index + 1, count);
		test_finish_checked();
	}
	for (unsigned int i = 0; i < index; i++)
		id += strlen(id) + 1;
	rc = blkfront_open(id, config, &disk);
	if (rc < 0) {
		test_fail("blkfront_open(%s): %s", id, strerror(rc));
		test_finish_checked();
	}
	{
		const struct blkfront_info *info = blkfront_info(disk);

		printf("disk %s: %lu sectors of %u bytes (physical %u), %s%s; ring %u page%s, "
		       "%u entries (backend max order %u); %u segments per request (backend "
		       "indirect max %u); flush %d barrier %d discard %d\n",
		       info->name, (unsigned long)info->sectors, info->sector_size,
		       info->physical_sector_size, info->read_only ? "read-only" : "writable",
		       info->cdrom ? ", cdrom" : "", info->ring_pages,
		       info->ring_pages == 1 ? "" : "s", info->ring_entries,
		       info->max_ring_page_order, info->segments_per_request,
		       info->max_indirect_segments, info->flush, info->barrier, info->discard);
	}
	return disk;
}

static struct tarfs *mount_disk(struct blkfront *disk)
{
	struct tarfs *fs;
	int rc = tarfs_mount(disk, &fs);

	if (rc < 0) {
		test_fail("tarfs_mount: %s", strerror(rc));
		test_finish_checked();
	}
	return fs;
}

/* Hash a file. Every third file is read the awkward way: odd chunk sizes, at odd offsets,
 * into a buffer that is not sector aligned, so that the window, the partial-sector paths
 * and blkfront's bounce pages all serve real data. */
static int hash_file(struct ustar *archive, const char *path, unsigned int number,
		     char hex[SHA256_HEX_SIZE], uint64_t *size_out)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct ustar_file *file;
	struct ustar_stat stat;
	struct sha256 hash;
	uint64_t offset = 0;
	int rc = ustar_open(archive, path, &file);

	if (rc < 0)
		return rc;
	ustar_fstat(file, &stat);
	sha256_init(&hash);
	for (;;) {
		bool awkward = number % 3 == 1;
		size_t want = awkward ? 7777 + (size_t)(offset % 3) * 60000 : CHUNK;
		uint8_t *into = awkward ? chunk_buffer + 3 : chunk_buffer;
		long got = ustar_read(file, offset, into, MIN(want, (size_t)CHUNK - 3));

		if (got < 0) {
			ustar_close(file);
			return (int)got;
		}
		if (got == 0)
			break;
		sha256_update(&hash, into, (size_t)got);
		offset += (uint64_t)got;
	}
	ustar_close(file);
	sha256_final(&hash, digest);
	sha256_to_hex(digest, hex);
	*size_out = offset;
	return offset == stat.size ? 0 : -EIO;
}

struct walk {
	struct ustar *archive;
	char **names;
	size_t count, capacity;
};

static int collect(const char *name, const struct ustar_stat *stat, void *arg)
{
	struct walk *walk = arg;

	(void)stat;
	if (walk->count == walk->capacity) {
		size_t capacity = walk->capacity ? 2 * walk->capacity : 16;
		char **grown = realloc(walk->names, capacity * sizeof(*grown));

		if (grown == NULL)
			return -ENOMEM;
		walk->names = grown;
		walk->capacity = capacity;
	}
	walk->names[walk->count] = malloc(strlen(name) + 1);
	if (walk->names[walk->count] == NULL)
		return -ENOMEM;
	memcpy(walk->names[walk->count++], name, strlen(name) + 1);
	return 0;
}

/* Print "sha256 HEX  PATH" (sha256sum's format) for every file under `directory`. */
static unsigned int hash_tree(struct ustar *archive, const char *directory, unsigned int number)
{
	struct walk walk = { archive, NULL, 0, 0 };
	int count = ustar_list(archive, directory, collect, &walk);

	TEST_CHECK(count >= 0, "ustar_list(%s): %s", directory, strerror(count));
	for (size_t i = 0; i < walk.count; i++) {
		size_t length = strlen(directory) + strlen(walk.names[i]) + 2;
		char *path = malloc(length), hex[SHA256_HEX_SIZE];
		struct ustar_stat stat;
		uint64_t size = 0;
		int rc;

		snprintf(path, length, "%s%s%s", directory, directory[0] ? "/" : "", walk.names[i]);
		rc = ustar_stat(archive, path, &stat);
		TEST_CHECK(rc == 0, "ustar_stat(%s): %s", path, strerror(rc));
		if (stat.type == USTAR_DIRECTORY) {
			number = hash_tree(archive, path, number);
		} else if (stat.type == USTAR_FILE) {
			rc = hash_file(archive, path, number++, hex, &size);
			TEST_CHECK(rc == 0, "reading %s: %s", path, strerror(rc));
			if (rc == 0) {
				printf("sha256 %s  %s\n", hex, path);
				printf("stat %s size %lu mtime %ld\n", path, (unsigned long)size,
				       (long)stat.mtime);
			}
		}
		free(path);
		free(walk.names[i]);
	}
	free(walk.names);
	return number;
}

/* A deterministic but run-specific pattern: xorshift from `seed`. */
static void fill_pattern(uint8_t *buffer, size_t length, uint64_t seed)
{
	uint64_t state = seed | 1;

	for (size_t i = 0; i < length; i++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		buffer[i] = (uint8_t)state;
	}
}

/* ---- The tests ----------------------------------------------------------------------------- */

/* Bad requests are refused before anything reaches the ring. */
static void check_refusals(struct blkfront *disk)
{
	const struct blkfront_info *info = blkfront_info(disk);
	int rc;

	rc = blkfront_read(disk, info->capacity, chunk_buffer, info->sector_size);
	TEST_CHECK(rc == -EINVAL, "read past the end: %s", strerror(rc));
	rc = blkfront_read(disk, info->capacity - info->sector_size, chunk_buffer,
			   2 * info->sector_size);
	TEST_CHECK(rc == -EINVAL, "read across the end: %s", strerror(rc));
	rc = blkfront_read(disk, 100, chunk_buffer, info->sector_size);
	TEST_CHECK(rc == -EINVAL, "read at a partial sector: %s", strerror(rc));
	rc = blkfront_read(disk, 0, chunk_buffer, 100);
	TEST_CHECK(rc == -EINVAL, "read of a partial sector: %s", strerror(rc));
	rc = blkfront_read(disk, UINT64_MAX - 511, chunk_buffer, 1024);
	TEST_CHECK(rc == -EINVAL, "read that wraps around: %s", strerror(rc));
	printf("refusals: past the end, across the end, partial sectors, wrap-around: EINVAL\n");
}

static void test_read(void)
{
	struct blkfront *disk = open_disk(0, NULL);
	struct tarfs *fs = mount_disk(disk);
	struct ustar *archive = tarfs_archive(fs);
	struct blkfront_stats stats;
	struct ustar_file *file;
	struct ustar_stat stat;
	unsigned int files;
	int rc;

	check_refusals(disk);
	rc = ustar_open(archive, "no/such/file", &file);
	TEST_CHECK(rc == -ENOENT, "open of a missing file: %s", strerror(rc));
	rc = ustar_open(archive, "tree", &file);
	TEST_CHECK(rc == -EISDIR, "open of a directory: %s", strerror(rc));
	rc = ustar_stat(archive, "/tree//sub/", &stat);
	TEST_CHECK(rc == 0 && stat.type == USTAR_DIRECTORY, "stat of /tree//sub/: %s",
		   strerror(rc));

	files = hash_tree(archive, "", 0);
	blkfront_stats(disk, &stats);
	printf("read: %u files; %lu requests (%lu indirect, %lu bounced), %lu segments, "
	       "%lu notifications, %lu bad responses\n", files, (unsigned long)stats.requests,
	       (unsigned long)stats.indirect_requests, (unsigned long)stats.bounced,
	       (unsigned long)stats.segments, (unsigned long)stats.notifications,
	       (unsigned long)stats.bad_responses);
	TEST_CHECK(stats.bounced > 0, "no request went through bounce pages");
	TEST_CHECK(stats.indirect_requests > 0, "no request used indirect descriptors");
	TEST_CHECK(stats.bad_responses == 0 && stats.leaked_grants == 0, "protocol trouble");
	tarfs_unmount(fs);
	blkfront_close(disk);
	test_finish_checked();
}

static void test_durable(void)
{
	struct blkfront *disk = open_disk(0, NULL);
	struct tarfs *fs = mount_disk(disk);
	size_t length = 128 * 1024;
	uint8_t digest[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];
	/* One page more than the pattern: it moves up by a byte below. */
	uint8_t *pattern = page_alloc(length / PAGE_SIZE + 1);
	int rc;

	TEST_CHECK(tarfs_raw_size(fs) >= length, "raw area of %lu bytes is too small",
		   (unsigned long)tarfs_raw_size(fs));
	fill_pattern(pattern, length, time_now());
	sha256(pattern, length, digest);
	sha256_to_hex(digest, hex);
	/* Part through an unaligned buffer, part aligned, then a flush. */
	rc = tarfs_raw_write(fs, 0, pattern, 512 * 7);
	TEST_CHECK(rc == 0, "raw write: %s", strerror(rc));
	memmove(pattern + 1, pattern, length);
	rc = tarfs_raw_write(fs, 512 * 7, pattern + 1 + 512 * 7, length - 512 * 7);
	TEST_CHECK(rc == 0, "raw write (unaligned buffer): %s", strerror(rc));
	rc = tarfs_raw_write(fs, tarfs_raw_size(fs), pattern, 512);
	TEST_CHECK(rc == -EINVAL, "write past the raw area: %s", strerror(rc));
	rc = tarfs_raw_flush(fs);
	TEST_CHECK(rc == 0, "flush: %s", strerror(rc));
	if (rc == 0)
		printf("durable: flushed %zu bytes at disk offset %lu sha256 %s\n", length,
		       (unsigned long)tarfs_raw_offset(fs), hex);
	/* dom0 destroys us now; nothing after this line may be needed. */
	for (;;)
		sched_sleep(NSEC_PER_SEC);
}

static void test_readonly(void)
{
	struct blkfront *disk = open_disk(0, NULL);
	struct tarfs *fs = mount_disk(disk);
	const struct blkfront_info *info = blkfront_info(disk);
	int rc;

	TEST_CHECK(info->read_only, "the disk is not read-only");
	hash_tree(tarfs_archive(fs), "", 0);
	rc = blkfront_write(disk, 0, chunk_buffer, info->sector_size);
	TEST_CHECK(rc == -EROFS, "write: %s", strerror(rc));
	rc = tarfs_raw_write(fs, 0, chunk_buffer, info->sector_size);
	TEST_CHECK(rc == -EROFS, "raw write: %s", strerror(rc));
	rc = blkfront_flush(disk);
	TEST_CHECK(rc == -EROFS, "flush: %s", strerror(rc));
	rc = blkfront_submit(disk, BLKFRONT_WRITE, 0, chunk_buffer, 512, NULL, NULL);
	TEST_CHECK(rc == -EROFS, "asynchronous write: %s", strerror(rc));
	printf("readonly: write, raw write, flush and submit all gave %s\n", strerror(-EROFS));
	tarfs_unmount(fs);
	blkfront_close(disk);
	test_finish_checked();
}

static void test_big(void)
{
	struct blkfront *disk = open_disk(0, NULL);
	const struct blkfront_info *info = blkfront_info(disk);
	uint64_t last = info->capacity - info->sector_size;
	uint8_t *pattern = chunk_buffer + 4096;
	int rc;

	printf("big: capacity %lu bytes, %lu sectors\n", (unsigned long)info->capacity,
	       (unsigned long)info->sectors);
	TEST_CHECK(info->capacity == 2ULL << 40, "capacity is not 2 TiB");
	check_refusals(disk);
	rc = blkfront_read(disk, last, chunk_buffer, info->sector_size);
	TEST_CHECK(rc == 0, "read of the last sector: %s", strerror(rc));
	TEST_CHECK(memcmp(chunk_buffer, "dom0 was here", 13) == 0, "last sector not as dom0 wrote it");
	memset(pattern, 0, info->sector_size);
	memcpy(pattern, "mote wrote the last sector", 26);
	rc = blkfront_write(disk, last, pattern, info->sector_size);
	TEST_CHECK(rc == 0, "write of the last sector: %s", strerror(rc));
	memset(chunk_buffer, 0xaa, info->sector_size);
	rc = blkfront_read(disk, last, chunk_buffer, info->sector_size);
	TEST_CHECK(rc == 0 && memcmp(chunk_buffer, pattern, info->sector_size) == 0,
		   "the last sector does not read back: %s", strerror(rc));
	/* The middle, where a 32-bit byte offset would long have wrapped. */
	rc = blkfront_write(disk, 1ULL << 40, pattern, info->sector_size);
	TEST_CHECK(rc == 0, "write at 1 TiB: %s", strerror(rc));
	if (info->discard) {
		rc = blkfront_discard(disk, 1ULL << 40, 4096);
		printf("big: discard at 1 TiB: %s\n", strerror(rc));
		TEST_CHECK(rc == 0 || rc == -EOPNOTSUPP, "discard: %s", strerror(rc));
	}
	rc = blkfront_flush(disk);
	TEST_CHECK(rc == 0, "flush: %s", strerror(rc));
	printf("big: last sector %lu read, written and read back\n",
	       (unsigned long)(last / info->sector_size));
	blkfront_close(disk);
	test_finish_checked();
}

/* ---- Two disks, driven at the same time with the asynchronous API -------------------------- */

struct pending_read {
	bool done;
	int status;
};

static void read_done(int status, void *arg)
{
	struct pending_read *read = arg;

	read->status = status;
	read->done = true;
}

static bool both_done(void *arg)
{
	const struct pending_read *reads = arg;

	return reads[0].done && reads[1].done;
}

static void test_two(void)
{
	/* The second disk takes the simplest path: a one-page ring, 11 segments, no indirect. */
	static const struct blkfront_config plain = {
		.max_ring_page_order = 0,
		.max_segments = 11,
		.max_grants = 64,
		.connect_timeout = 10 * NSEC_PER_SEC,
	};
	struct blkfront *disks[2] = { open_disk(0, NULL), open_disk(1, &plain) };
	struct pending_read reads[2] = { { false, 0 }, { false, 0 } };
	size_t length = 2 * 1024 * 1024;
	uint8_t *buffers[2];
	struct tarfs *fs;

	TEST_CHECK(blkfront_info(disks[1])->ring_pages == 1 &&
		   blkfront_info(disks[1])->segments_per_request == 11, "plain config not applied");
	/* Both disks' first 2 MiB, in flight together. */
	for (int i = 0; i < 2; i++) {
		int rc;

		buffers[i] = page_alloc(length / PAGE_SIZE);
		rc = blkfront_submit(disks[i], BLKFRONT_READ, 0, buffers[i], length, read_done,
				     &reads[i]);
		TEST_CHECK(rc == 0, "submit on disk %d: %s", i, strerror(rc));
		if (rc < 0)
			reads[i].done = true;
	}
	sched_wait(both_done, reads, TIME_NEVER);
	for (int i = 0; i < 2; i++) {
		uint8_t digest[SHA256_DIGEST_SIZE];
		char hex[SHA256_HEX_SIZE];

		TEST_CHECK(reads[i].status == 0, "read on disk %d: %s", i, strerror(reads[i].status));
		sha256(buffers[i], length, digest);
		sha256_to_hex(digest, hex);
		printf("two: disk %d first 2 MiB sha256 %s\n", i, hex);
	}
	/* And each disk's archive, file by file. */
	for (int i = 0; i < 2; i++) {
		fs = mount_disk(disks[i]);
		printf("two: disk %d files:\n", i);
		hash_tree(tarfs_archive(fs), "", 0);
		tarfs_unmount(fs);
	}
	blkfront_close(disks[0]);
	blkfront_close(disks[1]);
	test_finish_checked();
}

/* ---- Benchmark ----------------------------------------------------------------------------- */

/* Sequential read of the file "big": synchronous reads of `chunk` bytes. */
static void bench_pass(struct ustar *archive, size_t chunk, uint8_t *buffer)
{
	struct ustar_file *file;
	struct ustar_stat stat;
	uint64_t offset = 0, start, elapsed;
	int rc = ustar_open(archive, "big", &file);

	if (rc < 0) {
		test_fail("open big: %s", strerror(rc));
		return;
	}
	ustar_fstat(file, &stat);
	start = time_now();
	while (offset < stat.size) {
		long got = ustar_read(file, offset, buffer, chunk);

		if (got <= 0) {
			test_fail("read at %lu: %s", (unsigned long)offset, strerror((int)got));
			break;
		}
		offset += (uint64_t)got;
	}
	elapsed = time_now() - start;
	ustar_close(file);
	printf("bench: read %lu MiB in %lu ms with %zu KiB reads: %lu.%02lu MiB/s\n",
	       (unsigned long)(offset >> 20), (unsigned long)(elapsed / NSEC_PER_MSEC), chunk >> 10,
	       (unsigned long)((offset * NSEC_PER_SEC / elapsed) >> 20),
	       (unsigned long)(((offset * NSEC_PER_SEC / elapsed) % (1 << 20)) * 100 >> 20));
}

static void test_bench(void)
{
	struct blkfront *disk = open_disk(0, NULL);
	struct tarfs *fs = mount_disk(disk);
	size_t big_chunk = 4 * 1024 * 1024;
	uint8_t *buffer = page_alloc(big_chunk / PAGE_SIZE);

	TEST_CHECK(buffer != NULL, "no memory for the buffer");
	if (buffer != NULL) {
		bench_pass(tarfs_archive(fs), 64 * 1024, buffer);
		bench_pass(tarfs_archive(fs), big_chunk, buffer);
	}
	tarfs_unmount(fs);
	blkfront_close(disk);
	test_finish_checked();
}

int app_main(int argc, char **argv)
{
	chunk_buffer = page_alloc(CHUNK / PAGE_SIZE);
	if (chunk_buffer == NULL || argc < 2) {
		printf("usage: read | durable | readonly | big | two | bench\n");
		test_finish(TEST_ERROR);
	}
	if (strcmp(argv[1], "read") == 0)
		test_read();
	else if (strcmp(argv[1], "durable") == 0)
		test_durable();
	else if (strcmp(argv[1], "readonly") == 0)
		test_readonly();
	else if (strcmp(argv[1], "big") == 0)
		test_big();
	else if (strcmp(argv[1], "two") == 0)
		test_two();
	else if (strcmp(argv[1], "bench") == 0)
		test_bench();
	printf("unknown test '%s'\n", argv[1]);
	test_finish(TEST_ERROR);
}
