/*
 * test/unit/test_ustar.c: blk/ustar.c on archives made by the host's GNU tar in all three of
 * its formats (test/unit/make-tar-fixtures.sh: ustar, gnu, pax), and on archives damaged in
 * every way the parser must notice -- a bad checksum, a field that is not a number, a file
 * cut short, a size past the end of the disk, a long name without its NUL, a malformed pax
 * record -- some made by corrupting a real archive, some built header by header here.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include "blk/ustar.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "test/unit/suites.h"
#include "test/unit/stubs.h"

/* The fixtures are read with glibc; the parser's own allocations use Mote's heap. */
#undef malloc
#undef free
#undef realloc

#ifndef USTAR_FIXTURES
#define USTAR_FIXTURES "build/fixtures"
#endif

#define HEAP_PAGES 2048
static uint8_t heap_region[HEAP_PAGES * PAGE_SIZE] __attribute__((aligned(4096)));

static void setup(void)
{
	ck_assert_int_eq(page_alloc_init(heap_region, HEAP_PAGES), 0);
	heap_init();
}

/* ---- An archive in memory -------------------------------------------------------------------- */

struct memory {
	uint8_t *bytes;
	size_t size;
	unsigned int reads;
};

static int memory_read(void *context, uint64_t offset, void *buffer, size_t length)
{
	struct memory *memory = context;

	/* The parser promises never to read outside the source. */
	ck_assert_msg(offset <= memory->size && length <= memory->size - offset,
		      "read of %zu bytes at %lu outside a %zu-byte source", length,
		      (unsigned long)offset, memory->size);
	memory->reads++;
	mote_memcpy(buffer, memory->bytes + offset, length);
	return 0;
}

static int mount_memory(struct memory *memory, struct ustar **archive)
{
	struct ustar_source source = { memory_read, memory, memory->size };

	return ustar_mount(&source, archive);
}

static struct memory load_fixture(const char *name)
{
	char path[256];
	struct memory memory = { NULL, 0, 0 };
	FILE *file;
	long size;

	snprintf(path, sizeof(path), "%s/%s", USTAR_FIXTURES, name);
	file = fopen(path, "rb");
	ck_assert_msg(file != NULL, "cannot open %s (make builds it)", path);
	fseek(file, 0, SEEK_END);
	size = ftell(file);
	fseek(file, 0, SEEK_SET);
	memory.bytes = malloc((size_t)size);
	memory.size = (size_t)size;
	ck_assert_int_eq(fread(memory.bytes, 1, memory.size, file), memory.size);
	fclose(file);
	return memory;
}

/* The contents of every fixture file: "mote-tar\n" over and over. */
static bool is_pattern(const uint8_t *bytes, size_t length, uint64_t offset)
{
	static const char pattern[] = "mote-tar\n";

	for (size_t i = 0; i < length; i++) {
		if (bytes[i] != (uint8_t)pattern[(offset + i) % 9])
			return false;
	}
	return true;
}

/* Read a whole file and check its size and contents. */
static void expect_file(struct ustar *archive, const char *path, uint64_t size)
{
	struct ustar_file *file;
	struct ustar_stat stat;
	uint8_t *buffer = malloc(size + 16);
	int rc = ustar_open(archive, path, &file);

	ck_assert_msg(rc == 0, "open %s: %d", path, rc);
	ustar_fstat(file, &stat);
	ck_assert_uint_eq(stat.size, size);
	ck_assert_int_eq(ustar_read(file, 0, buffer, size + 16), (long)size);
	ck_assert_msg(is_pattern(buffer, size, 0), "%s: wrong contents", path);
	/* A read in the middle, and reads at and past the end. */
	if (size > 10) {
		ck_assert_int_eq(ustar_read(file, 7, buffer, 3), 3);
		ck_assert(is_pattern(buffer, 3, 7));
	}
	ck_assert_int_eq(ustar_read(file, size, buffer, 1), 0);
	ck_assert_int_eq(ustar_read(file, size + 100, buffer, 1), 0);
	ustar_close(file);
	free(buffer);
}

struct listing {
	char names[32][320];
	int count;
};

static int remember(const char *name, const struct ustar_stat *stat, void *arg)
{
	struct listing *listing = arg;

	(void)stat;
	ck_assert_int_lt(listing->count, 32);
	snprintf(listing->names[listing->count++], sizeof(listing->names[0]), "%s", name);
	return 0;
}

/* Every allocation the parser made is gone again, and the heap is intact. */
static void expect_nothing_leaked(void)
{
	struct heap_stats stats;

	heap_stats(&stats);
	ck_assert_uint_eq(stats.live_allocations, 0);
	ck_assert_int_eq(heap_check(), 0);
}

/* ---- The three formats ------------------------------------------------------------------- */

static void check_common_tree(const char *fixture, bool has_verylong)
{
	struct memory memory = load_fixture(fixture);
	struct ustar *archive;
	struct ustar_stat stat;
	struct ustar_info info;
	struct ustar_file *file;
	struct listing listing = { .count = 0 };
	char long_path[200];

	ck_assert_int_eq(mount_memory(&memory, &archive), 0);

	/* Sizes around the block boundary, an empty file, a nested one. */
	expect_file(archive, "empty", 0);
	expect_file(archive, "sizes/511", 511);
	expect_file(archive, "sizes/512", 512);
	expect_file(archive, "sizes/513", 513);
	expect_file(archive, "sizes/10000", 10000);
	expect_file(archive, "dir/sub/deep.txt", 100);
	/* The hard link and its target share contents. */
	expect_file(archive, "hard", 511);

	/* 185 characters: prefix + name in ustar, an 'L' record in gnu, pax path in pax. */
	snprintf(long_path, sizeof(long_path), "long/%.90s/%.90s",
		 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
		 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	expect_file(archive, long_path, 1234);
	if (has_verylong) {
		char very[320];

		mote_memset(very, 0, sizeof(very));
		mote_memcpy(very, "verylong/", 9);
		mote_memset(very + 9, 'v', 150);
		very[159] = '/';
		mote_memset(very + 160, 'w', 140);
		expect_file(archive, very, 3000);
	} else {
		ck_assert_int_eq(ustar_stat(archive, "verylong", &stat), -ENOENT);
	}

	/* Metadata: mtimes, types, modes, the symlink's target. */
	ck_assert_int_eq(ustar_stat(archive, "sizes/513", &stat), 0);
	ck_assert_int_eq(stat.mtime, 1234567890);
	ck_assert_int_eq(stat.type, USTAR_FILE);
	ck_assert_uint_eq(stat.mode, 0644);
	ck_assert_int_eq(ustar_stat(archive, "sizes/512", &stat), 0);
	ck_assert_int_eq(stat.mtime, 1700000000);
	ck_assert_int_eq(ustar_stat(archive, "link", &stat), 0);
	ck_assert_int_eq(stat.type, USTAR_SYMLINK);
	ck_assert_str_eq(stat.link, "sizes/512");
	ck_assert_int_eq(ustar_open(archive, "link", &file), -EINVAL);
	ck_assert_int_eq(ustar_stat(archive, "emptydir", &stat), 0);
	ck_assert_int_eq(stat.type, USTAR_DIRECTORY);

	/* Paths are normalized: these are all the same file, and the root is a directory. */
	ck_assert_int_eq(ustar_stat(archive, "/sizes//512/", &stat), 0);
	ck_assert_int_eq(ustar_stat(archive, "./sizes/./512", &stat), 0);
	ck_assert_uint_eq(stat.size, 512);
	ck_assert_int_eq(ustar_stat(archive, "/", &stat), 0);
	ck_assert_int_eq(stat.type, USTAR_DIRECTORY);

	/* Errors. */
	ck_assert_int_eq(ustar_open(archive, "sizes", &file), -EISDIR);
	ck_assert_int_eq(ustar_open(archive, "", &file), -EISDIR);
	ck_assert_int_eq(ustar_open(archive, "sizes/514", &file), -ENOENT);
	ck_assert_int_eq(ustar_stat(archive, "siz", &stat), -ENOENT);
	ck_assert_int_eq(ustar_list(archive, "sizes/512", remember, &listing), -ENOTDIR);
	ck_assert_int_eq(ustar_list(archive, "nope", remember, &listing), -ENOENT);

	/* Listings: direct children only, in byte order. */
	ck_assert_int_eq(ustar_list(archive, "sizes", remember, &listing), 4);
	ck_assert_str_eq(listing.names[0], "10000");
	ck_assert_str_eq(listing.names[1], "511");
	ck_assert_str_eq(listing.names[2], "512");
	ck_assert_str_eq(listing.names[3], "513");
	listing.count = 0;
	ck_assert_int_eq(ustar_list(archive, "", remember, &listing), has_verylong ? 8 : 7);
	ck_assert_str_eq(listing.names[0], "dir");
	ck_assert_str_eq(listing.names[1], "empty");
	ck_assert_str_eq(listing.names[2], "emptydir");
	ck_assert_str_eq(listing.names[3], "hard");
	ck_assert_str_eq(listing.names[4], "link");
	ck_assert_str_eq(listing.names[5], "long");
	ck_assert_str_eq(listing.names[6], "sizes");
	listing.count = 0;
	ck_assert_int_eq(ustar_list(archive, "emptydir", remember, &listing), 0);
	ck_assert_int_eq(ustar_list(archive, "dir", remember, &listing), 1);
	ck_assert_str_eq(listing.names[0], "sub");

	/* The end-of-archive marker: GNU tar pads to 10 KiB records, so the end is before the
	 * end of the file, and everything from there on is zero. */
	ustar_info(archive, &info);
	ck_assert(info.end_marker);
	ck_assert_uint_eq(info.end % 512, 0);
	ck_assert_uint_le(info.end, memory.size);
	for (size_t i = info.end - 1024; i < memory.size; i++)
		REQUIRE(memory.bytes[i] == 0, "byte %zu after the end is not zero", i);
	ck_assert_uint_eq(info.files, has_verylong ? 9 : 8);
	ck_assert_uint_eq(info.damaged, 0);

	ustar_unmount(archive);
	free(memory.bytes);
	expect_nothing_leaked();
}

START_TEST(ustar_format)
{
	check_common_tree("ustar.tar", false);
}
END_TEST

START_TEST(gnu_format)
{
	check_common_tree("gnu.tar", true);
}
END_TEST

START_TEST(pax_format)
{
	check_common_tree("pax.tar", true);
}
END_TEST

/* ---- Damaging a real archive ------------------------------------------------------------- */

/* The header of the member named `name` (gnu.tar: names start with "./"), or -1. */
static long find_header(const struct memory *memory, const char *name)
{
	for (size_t offset = 0; offset + 512 <= memory->size; offset += 512) {
		if (mote_strncmp((const char *)memory->bytes + offset, name, 100) == 0)
			return (long)offset;
	}
	return -1;
}

/* Recompute a header's checksum after the test changed it. */
static void fix_checksum(uint8_t *header)
{
	unsigned int sum = 0;

	mote_memset(header + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += header[i];
	snprintf((char *)header + 148, 8, "%06o", sum);
	header[155] = ' ';
}

START_TEST(bad_checksum_fails_the_mount)
{
	struct memory memory = load_fixture("gnu.tar");
	long header = find_header(&memory, "./sizes/10000");
	struct ustar *archive;

	ck_assert_int_ge(header, 0);
	memory.bytes[header + 3] ^= 0x01;       /* a name byte; the checksum is not updated */
	ck_assert_int_eq(mount_memory(&memory, &archive), -EBADMSG);
	free(memory.bytes);
	expect_nothing_leaked();
}
END_TEST

START_TEST(signed_checksum_is_accepted)
{
	struct memory memory = load_fixture("gnu.tar");
	long header = find_header(&memory, "./sizes/512");
	struct ustar *archive;
	int sum = 0;

	/* Old tars summed signed chars: a name byte above 127 makes the two sums differ. */
	memory.bytes[header + 20] = 0xe9;
	mote_memset(memory.bytes + header + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (int8_t)memory.bytes[header + i];
	snprintf((char *)memory.bytes + header + 148, 8, "%06o", sum);
	ck_assert_int_eq(mount_memory(&memory, &archive), 0);
	ustar_unmount(archive);
	free(memory.bytes);
}
END_TEST

START_TEST(size_that_is_not_a_number)
{
	struct memory memory = load_fixture("gnu.tar");
	long header = find_header(&memory, "./sizes/513");
	struct ustar *archive;

	mote_memcpy(memory.bytes + header + 124, "000000010x1", 11);
	fix_checksum(memory.bytes + header);
	ck_assert_int_eq(mount_memory(&memory, &archive), -EBADMSG);
	free(memory.bytes);
}
END_TEST

START_TEST(truncated_file_is_damaged)
{
	struct memory memory = load_fixture("gnu.tar");
	long header = find_header(&memory, "./sizes/10000");
	struct ustar *archive;
	struct ustar_file *file;
	struct ustar_stat stat;
	struct ustar_info info;

	/* The disk ends 5000 bytes into the file. */
	memory.size = (size_t)header + 512 + 5000;
	ck_assert_int_eq(mount_memory(&memory, &archive), 0);
	ck_assert_int_eq(ustar_stat(archive, "sizes/10000", &stat), 0);
	ck_assert(stat.damaged);
	ck_assert_int_eq(ustar_open(archive, "sizes/10000", &file), -EBADMSG);
	/* What came before is fine; what would have come after is not there. */
	expect_file(archive, "hard", 511);
	ck_assert_int_eq(ustar_stat(archive, "sizes/511", &stat), -ENOENT);
	ustar_info(archive, &info);
	ck_assert_uint_eq(info.damaged, 1);
	ck_assert(!info.end_marker);
	ustar_unmount(archive);
	free(memory.bytes);
}
END_TEST

START_TEST(size_past_the_end_of_the_disk)
{
	struct memory memory = load_fixture("gnu.tar");
	long header = find_header(&memory, "./sizes/512");
	struct ustar *archive;
	struct ustar_stat stat;

	/* 8 GiB - 1 in octal: far more than the archive holds. */
	mote_memcpy(memory.bytes + header + 124, "77777777777", 11);
	fix_checksum(memory.bytes + header);
	ck_assert_int_eq(mount_memory(&memory, &archive), 0);
	ck_assert_int_eq(ustar_stat(archive, "sizes/512", &stat), 0);
	ck_assert(stat.damaged);
	ck_assert_uint_eq(stat.size, 077777777777);
	ustar_unmount(archive);
	free(memory.bytes);
}
END_TEST

START_TEST(every_truncation_of_a_real_archive)
{
	struct memory memory = load_fixture("pax.tar");
	size_t full = memory.size;
	int saved_stdout = dup(1), null = open("/dev/null", O_WRONLY);

	/* Cut anywhere, at block boundaries and between them: never a crash, never a read
	 * outside the source, and a mount that fails says why (on stdout: hushed here, there
	 * are hundreds of them). */
	fflush(stdout);
	dup2(null, 1);
	for (size_t size = 0; size <= full; size += 97) {
		struct ustar *archive;
		int rc;

		memory.size = size;
		rc = mount_memory(&memory, &archive);
		REQUIRE(rc == 0 || rc == -EBADMSG, "size %zu: %d", size, rc);
		if (rc == 0)
			ustar_unmount(archive);
	}
	fflush(stdout);
	dup2(saved_stdout, 1);
	close(null);
	close(saved_stdout);
	free(memory.bytes);
	expect_nothing_leaked();
}
END_TEST

/* ---- Archives built by hand -------------------------------------------------------------- */

struct builder {
	uint8_t bytes[64 * 1024];
	size_t size;
};

/* Append a header (with a correct checksum) and `data` padded to a block. */
static uint8_t *add_member(struct builder *b, const char *name, char type, const void *data,
			   size_t length)
{
	uint8_t *header = b->bytes + b->size;

	mote_memset(header, 0, 512);
	mote_memcpy(header, name, mote_strnlen(name, 100));
	mote_memcpy(header + 100, "0000644", 8);
	mote_memcpy(header + 108, "0000000", 8);
	mote_memcpy(header + 116, "0000000", 8);
	snprintf((char *)header + 124, 12, "%011lo", (unsigned long)length);
	mote_memcpy(header + 136, "14524770400", 12);       /* 1700000000 */
	header[156] = (uint8_t)type;
	mote_memcpy(header + 257, "ustar\0" "00", 8);
	fix_checksum(header);
	b->size += 512;
	if (length > 0)
		mote_memcpy(b->bytes + b->size, data, length);
	b->size += (length + 511) / 512 * 512;
	return header;
}

static void add_end(struct builder *b)
{
	mote_memset(b->bytes + b->size, 0, 1024);
	b->size += 1024;
}

static int mount_built(struct builder *b, struct ustar **archive)
{
	static struct memory memory;

	memory.bytes = b->bytes;
	memory.size = b->size;
	return mount_memory(&memory, archive);
}

static struct builder builder;

START_TEST(long_name_without_terminator)
{
	struct ustar *archive;

	builder.size = 0;
	add_member(&builder, "././@LongLink", 'L', "no-terminator", 13);
	add_member(&builder, "short", '0', "mote-tar\n", 9);
	add_end(&builder);
	ck_assert_int_eq(mount_built(&builder, &archive), -EBADMSG);
}
END_TEST

START_TEST(long_name_with_terminator)
{
	struct ustar *archive;
	struct ustar_stat stat;

	builder.size = 0;
	add_member(&builder, "././@LongLink", 'L', "./a/real/name\0", 14);
	add_member(&builder, "short", '0', "mote-tar\n", 9);
	add_end(&builder);
	ck_assert_int_eq(mount_built(&builder, &archive), 0);
	ck_assert_int_eq(ustar_stat(archive, "a/real/name", &stat), 0);
	ck_assert_uint_eq(stat.size, 9);
	ck_assert_int_eq(ustar_stat(archive, "short", &stat), -ENOENT);
	/* Its directories are implied. */
	ck_assert_int_eq(ustar_stat(archive, "a/real", &stat), 0);
	ck_assert_int_eq(stat.type, USTAR_DIRECTORY);
	ustar_unmount(archive);
}
END_TEST

START_TEST(long_name_too_long)
{
	static char name[USTAR_PATH_MAX + 2];
	struct ustar *archive;

	mote_memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	builder.size = 0;
	add_member(&builder, "././@LongLink", 'L', name, sizeof(name));
	add_member(&builder, "short", '0', "x", 1);
	add_end(&builder);
	ck_assert_int_eq(mount_built(&builder, &archive), -ENAMETOOLONG);
}
END_TEST

START_TEST(pax_path_and_size)
{
	static const char pax[] = "28 path=dir/from-pax-header\n" "11 size=20\n"
				  "19 mtime=1.5e9junk\n";
	static const char good[] = "28 path=dir/from-pax-header\n" "11 size=20\n"
				   "23 mtime=1600000000.75\n" "20 SCHILY.xattr.a=b\n";
	struct ustar *archive;
	struct ustar_stat stat;

	/* A bad mtime value damages the archive. */
	builder.size = 0;
	add_member(&builder, "PaxHeaders/x", 'x', pax, sizeof(pax) - 1);
	add_member(&builder, "x", '0', "mote-tar\nmote-tar\nmo", 20);
	add_end(&builder);
	ck_assert_int_eq(mount_built(&builder, &archive), -EBADMSG);

	/* path= names the member, size= overrides the header's (0 here), mtime= keeps whole
	 * seconds, unknown keys are skipped. */
	builder.size = 0;
	add_member(&builder, "PaxHeaders/x", 'x', good, sizeof(good) - 1);
	{
		uint8_t *header = add_member(&builder, "x", '0', "mote-tar\nmote-tar\nmo", 20);

		mote_memcpy(header + 124, "00000000000", 11);
		fix_checksum(header);
	}
	add_end(&builder);
	ck_assert_int_eq(mount_built(&builder, &archive), 0);
	ck_assert_int_eq(ustar_stat(archive, "dir/from-pax-header", &stat), 0);
	ck_assert_uint_eq(stat.size, 20);
	ck_assert_int_eq(stat.mtime, 1600000000);
	expect_file(archive, "dir/from-pax-header", 20);
	ck_assert_int_eq(ustar_stat(archive, "x", &stat), -ENOENT);
	ustar_unmount(archive);
}
END_TEST

START_TEST(malformed_pax_records)
{
	static const char *const bad[] = {
		"7 path\n",                 /* no '=' */
		"99 path=x\n",              /* longer than the header */
		"9 path=x",                 /* no newline where the length says */
		"x path=abc\n",             /* no length */
		"0 path=abc\n",             /* a length that cannot be */
		"11 size=-5\n",             /* a negative size */
		"13 size=12a4\n",           /* not a number */
		"29 size=99999999999999999999\n",   /* too large */
	};
	struct ustar *archive;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		builder.size = 0;
		add_member(&builder, "PaxHeaders/x", 'x', bad[i], mote_strlen(bad[i]));
		add_member(&builder, "x", '0', "abc", 3);
		add_end(&builder);
		REQUIRE(mount_built(&builder, &archive) == -EBADMSG, "record %zu accepted", i);
	}
}
END_TEST

START_TEST(base_256_numbers)
{
	struct ustar *archive;
	struct ustar_stat stat;
	uint8_t *header;

	/* GNU tar's binary numbers: a size of 20 and a negative mtime (-1000). */
	builder.size = 0;
	header = add_member(&builder, "bin", '0', "mote-tar\nmote-tar\nmo", 20);
	mote_memset(header + 124, 0, 12);
	header[124] = 0x80;
	header[135] = 20;
	mote_memset(header + 136, 0xff, 12);
	header[146] = 0xfc;                     /* ...fc18 = -1000 */
	header[147] = 0x18;
	fix_checksum(header);
	add_end(&builder);
	ck_assert_int_eq(mount_built(&builder, &archive), 0);
	ck_assert_int_eq(ustar_stat(archive, "bin", &stat), 0);
	ck_assert_uint_eq(stat.size, 20);
	ck_assert_int_eq(stat.mtime, -1000);
	expect_file(archive, "bin", 20);
	ustar_unmount(archive);

	/* A size of 2^64 - 1 does not fit in 63 bits. */
	mote_memset(header + 124, 0xff, 12);
	header[124] = 0x80;
	fix_checksum(header);
	ck_assert_int_eq(mount_built(&builder, &archive), -EBADMSG);
	/* A negative size makes no sense. */
	mote_memset(header + 124, 0xff, 12);
	fix_checksum(header);
	ck_assert_int_eq(mount_built(&builder, &archive), -EBADMSG);
}
END_TEST

START_TEST(later_duplicate_wins)
{
	struct ustar *archive;

	builder.size = 0;
	add_member(&builder, "same", '0', "old", 3);
	add_member(&builder, "other", '0', "mote-tar\n", 9);
	add_member(&builder, "./same", '0', "mote-tar\nmote", 13);
	add_end(&builder);
	ck_assert_int_eq(mount_built(&builder, &archive), 0);
	expect_file(archive, "same", 13);
	ustar_unmount(archive);
}
END_TEST

START_TEST(empty_and_missing_end)
{
	struct ustar *archive;
	struct ustar_info info;

	/* A zeroed disk is an empty archive that ends after two blocks. */
	builder.size = 0;
	add_end(&builder);
	mote_memset(builder.bytes + builder.size, 0, 4096);
	builder.size += 4096;
	ck_assert_int_eq(mount_built(&builder, &archive), 0);
	ustar_info(archive, &info);
	ck_assert_uint_eq(info.entries, 0);
	ck_assert_uint_eq(info.end, 1024);
	ck_assert(info.end_marker);
	ustar_unmount(archive);

	/* A member and then nothing: no marker, the archive ends where its blocks do. */
	builder.size = 0;
	add_member(&builder, "only", '0', "mote-tar\n", 9);
	ck_assert_int_eq(mount_built(&builder, &archive), 0);
	ustar_info(archive, &info);
	ck_assert(!info.end_marker);
	ck_assert_uint_eq(info.end, 1024);
	expect_file(archive, "only", 9);
	ustar_unmount(archive);
}
END_TEST

START_TEST(garbage_is_not_an_archive)
{
	struct ustar *archive;

	for (size_t i = 0; i < 4096; i++)
		builder.bytes[i] = (uint8_t)(i * 7 + 3);
	builder.size = 4096;
	ck_assert_int_eq(mount_built(&builder, &archive), -EBADMSG);
}
END_TEST

Suite *ustar_suite(void)
{
	Suite *suite = suite_create("ustar");
	TCase *formats = tcase_create("formats");
	TCase *damage = tcase_create("damage");
	TCase *built = tcase_create("built");

	tcase_add_checked_fixture(formats, setup, expect_nothing_leaked);
	tcase_add_test(formats, ustar_format);
	tcase_add_test(formats, gnu_format);
	tcase_add_test(formats, pax_format);
	suite_add_tcase(suite, formats);

	tcase_add_checked_fixture(damage, setup, expect_nothing_leaked);
	tcase_add_test(damage, bad_checksum_fails_the_mount);
	tcase_add_test(damage, signed_checksum_is_accepted);
	tcase_add_test(damage, size_that_is_not_a_number);
	tcase_add_test(damage, truncated_file_is_damaged);
	tcase_add_test(damage, size_past_the_end_of_the_disk);
	tcase_add_test(damage, every_truncation_of_a_real_archive);
	suite_add_tcase(suite, damage);

	tcase_add_checked_fixture(built, setup, expect_nothing_leaked);
	tcase_add_test(built, long_name_without_terminator);
	tcase_add_test(built, long_name_with_terminator);
	tcase_add_test(built, long_name_too_long);
	tcase_add_test(built, pax_path_and_size);
	tcase_add_test(built, malformed_pax_records);
	tcase_add_test(built, base_256_numbers);
	tcase_add_test(built, later_duplicate_wins);
	tcase_add_test(built, empty_and_missing_end);
	tcase_add_test(built, garbage_is_not_an_archive);
	suite_add_tcase(suite, built);
	return suite;
}
