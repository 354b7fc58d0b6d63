/*
 * test/fuzz/ustar.c: libFuzzer target for the tar parser (blk/ustar.c). Each input is a disk
 * image: mount it, and if that works, walk every directory, stat every entry and read every
 * file in pieces of a few sizes. Built with the address and undefined-behaviour sanitizers,
 * against glibc's allocator, so an out-of-bounds access or a leak is reported at once; the
 * read callback also fails the run if the parser reads outside the image.
 *
 *   make fuzz-smoke     a few seconds, as part of `make test`
 *   make fuzz           FUZZ_SECONDS (default 60) per target; crashes land in build/fuzz/
 * The seeds are the unit tests' archives (build/fixtures: ustar, gnu and pax formats).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "blk/ustar.h"

struct image {
	const uint8_t *bytes;
	size_t size;
};

static int image_read(void *context, uint64_t offset, void *buffer, size_t length)
{
	const struct image *image = context;

	if (offset > image->size || length > image->size - offset)
		abort();    /* the parser promised to stay inside the source */
	memcpy(buffer, image->bytes + offset, length);
	return 0;
}

struct walk {
	struct ustar *archive;
	const char *directory;
	int depth;
};

static void read_file(struct ustar *archive, const char *path)
{
	static uint8_t buffer[4096];
	struct ustar_file *file;
	struct ustar_stat stat;
	uint64_t offset = 0;
	size_t piece = 1;

	if (ustar_open(archive, path, &file) != 0)
		return;
	ustar_fstat(file, &stat);
	/* Pieces of 1, 7, 49, ... bytes, capped: odd offsets and lengths everywhere. */
	for (int i = 0; i < 64; i++) {
		long got = ustar_read(file, offset, buffer, piece);

		if (got <= 0)
			break;
		if ((uint64_t)got > stat.size - offset)
			abort();
		offset += (uint64_t)got;
		piece = piece * 7 % sizeof(buffer) + 1;
	}
	ustar_close(file);
}

static int visit(const char *name, const struct ustar_stat *stat, void *arg)
{
	const struct walk *parent = arg;
	char path[USTAR_PATH_MAX * 2];
	struct ustar_stat again;

	snprintf(path, sizeof(path), "%s%s%s", parent->directory, parent->directory[0] ? "/" : "",
		 name);
	if (ustar_stat(parent->archive, path, &again) != 0)
		abort();    /* listed, so it must be found */
	if (stat->type == USTAR_DIRECTORY && parent->depth < 16) {
		struct walk child = { parent->archive, path, parent->depth + 1 };

		ustar_list(parent->archive, path, visit, &child);
	} else if (stat->type == USTAR_FILE) {
		read_file(parent->archive, path);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image image = { data, size };
	struct ustar_source source = { image_read, &image, size };
	struct ustar *archive;
	struct ustar_info info;
	struct walk root;

	if (ustar_mount(&source, &archive) != 0)
		return 0;
	ustar_info(archive, &info);
	if (info.end > size)
		abort();
	root = (struct walk){ archive, "", 0 };
	ustar_list(archive, "", visit, &root);
	ustar_unmount(archive);
	return 0;
}
