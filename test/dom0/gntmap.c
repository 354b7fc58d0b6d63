/*
 * test/dom0/gntmap.c: plays the backend for the grant-map boot test (test/boot/grant-map.test).
 * It runs in dom0 and maps a guest's grant through Linux's /dev/xen/gntdev, as a real
 * userspace backend (qemu's, or a vchan) does:
 *
 *   1. IOCTL_GNTDEV_MAP_GRANT_REF tells gntdev "domain D, reference R"; it answers with an
 *      offset into the device, but maps nothing yet;
 *   2. mmap of the device at that offset makes the mapping: Linux asks Xen to map the
 *      guest's frame (GNTTABOP_map_grant_ref), and Xen checks the guest's grant entry --
 *      a read-write mapping of a read-only grant is refused -- and sets GTF_reading or
 *      GTF_writing in it for as long as the mapping lasts;
 *   3. munmap, then IOCTL_GNTDEV_UNMAP_GRANT_REF, unmap it; Xen clears those flags.
 *
 * Usage (the page contents are in grant_pattern.h):
 *   gntmap read DOMID REF          map read-only; the page must hold the read-only pattern
 *   gntmap write-denied DOMID REF  a read-write mapping of REF must be refused
 *   gntmap hold DOMID REF          map read-write; check the read-write pattern, write the
 *                                  reply pattern, then keep the mapping until SIGUSR1 (or
 *                                  60 s), and unmap
 * Exit status 0 when everything was as expected. Built static on the host (Makefile), so it
 * needs nothing from dom0 but the gntdev driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xen/sys/gntdev.h>
#include "test/dom0/grant_pattern.h"

#define HOLD_SECONDS 60

struct mapping {
	int device;
	uint64_t index;        /* gntdev's offset for this grant */
	volatile uint64_t *page;
};

/* Map one grant; on failure print why and return -1 (with errno from the failing step). */
static int map_grant(struct mapping *mapping, uint32_t domid, uint32_t ref, int protection)
{
	struct ioctl_gntdev_map_grant_ref map = { .count = 1 };
	struct ioctl_gntdev_unmap_grant_ref unmap = { .count = 1 };
	void *page;
	int saved;

	mapping->device = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC);
	if (mapping->device < 0) {
		printf("gntmap: open /dev/xen/gntdev: %s\n", strerror(errno));
		return -1;
	}
	map.refs[0].domid = domid;
	map.refs[0].ref = ref;
	if (ioctl(mapping->device, IOCTL_GNTDEV_MAP_GRANT_REF, &map) < 0) {
		saved = errno;
		printf("gntmap: IOCTL_GNTDEV_MAP_GRANT_REF(domain %u, ref %u): %s\n", domid, ref,
		       strerror(saved));
		close(mapping->device);
		errno = saved;
		return -1;
	}
	mapping->index = map.index;
	/* gntdev wants MAP_SHARED: the page is the guest's, not a private copy. */
	page = mmap(NULL, GRANT_PAGE_SIZE, protection, MAP_SHARED, mapping->device, (off_t)map.index);
	if (page == MAP_FAILED) {
		saved = errno;
		unmap.index = map.index;
		ioctl(mapping->device, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap);
		close(mapping->device);
		errno = saved;
		return -1;
	}
	mapping->page = page;
	return 0;
}

static int unmap_grant(struct mapping *mapping)
{
	struct ioctl_gntdev_unmap_grant_ref unmap = { .index = mapping->index, .count = 1 };
	int status = 0;

	if (munmap((void *)mapping->page, GRANT_PAGE_SIZE) < 0) {
		printf("gntmap: munmap: %s\n", strerror(errno));
		status = -1;
	}
	if (ioctl(mapping->device, IOCTL_GNTDEV_UNMAP_GRANT_REF, &unmap) < 0) {
		printf("gntmap: IOCTL_GNTDEV_UNMAP_GRANT_REF: %s\n", strerror(errno));
		status = -1;
	}
	close(mapping->device);
	return status;
}

static int check_pattern(const struct mapping *mapping, uint64_t seed, const char *what)
{
	size_t wrong = grant_pattern_mismatches(mapping->page, seed);

	if (wrong != 0) {
		printf("gntmap: %s: %zu of %zu words differ (first word %#llx)\n", what, wrong,
		       GRANT_PAGE_WORDS, (unsigned long long)mapping->page[0]);
		return -1;
	}
	printf("gntmap: %s: all %zu words as expected\n", what, GRANT_PAGE_WORDS);
	return 0;
}

static int read_only(uint32_t domid, uint32_t ref)
{
	struct mapping mapping;
	int status;

	if (map_grant(&mapping, domid, ref, PROT_READ) < 0) {
		printf("gntmap: read-only mapping of ref %u refused: %s\n", ref, strerror(errno));
		return 1;
	}
	printf("gntmap: mapped ref %u of domain %u read-only\n", ref, domid);
	status = check_pattern(&mapping, GRANT_PATTERN_READONLY, "read-only page");
	return unmap_grant(&mapping) < 0 || status < 0;
}

static int write_denied(uint32_t domid, uint32_t ref)
{
	struct mapping mapping;

	if (map_grant(&mapping, domid, ref, PROT_READ | PROT_WRITE) == 0) {
		printf("gntmap: ref %u is read-only, but a read-write mapping worked\n", ref);
		unmap_grant(&mapping);
		return 1;
	}
	printf("gntmap: read-write mapping of read-only ref %u refused, as it must be (%s)\n", ref,
	       strerror(errno));
	return 0;
}

static int hold(uint32_t domid, uint32_t ref)
{
	struct timespec patience = { .tv_sec = HOLD_SECONDS };
	struct mapping mapping;
	sigset_t release;
	int status;

	/* Block SIGUSR1 first: one sent before we wait for it stays pending, and is not lost. */
	sigemptyset(&release);
	sigaddset(&release, SIGUSR1);
	sigprocmask(SIG_BLOCK, &release, NULL);
	if (map_grant(&mapping, domid, ref, PROT_READ | PROT_WRITE) < 0) {
		printf("gntmap: read-write mapping of ref %u refused: %s\n", ref, strerror(errno));
		return 1;
	}
	printf("gntmap: mapped ref %u of domain %u read-write\n", ref, domid);
	status = check_pattern(&mapping, GRANT_PATTERN_READWRITE, "read-write page");
	/* The guest waits for this reply, which also tells it the page is mapped now. */
	grant_pattern_fill(mapping.page, GRANT_PATTERN_REPLY);
	printf("gntmap: wrote the reply; holding the mapping until SIGUSR1\n");
	fflush(stdout);
	if (sigtimedwait(&release, NULL, &patience) < 0) {
		printf("gntmap: no SIGUSR1 within %d s; unmapping anyway\n", HOLD_SECONDS);
		status = -1;
	}
	if (unmap_grant(&mapping) < 0)
		status = -1;
	printf("gntmap: unmapped ref %u\n", ref);
	return status < 0;
}

int main(int argc, char **argv)
{
	uint32_t domid, ref;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 4) {
		fprintf(stderr, "usage: gntmap read|write-denied|hold DOMID REF\n");
		return 2;
	}
	domid = (uint32_t)strtoul(argv[2], NULL, 0);
	ref = (uint32_t)strtoul(argv[3], NULL, 0);
	if (strcmp(argv[1], "read") == 0)
		return read_only(domid, ref);
	if (strcmp(argv[1], "write-denied") == 0)
		return write_denied(domid, ref);
	if (strcmp(argv[1], "hold") == 0)
		return hold(domid, ref);
	fprintf(stderr, "gntmap: unknown command %s\n", argv[1]);
	return 2;
}
