/*
 * platform/linux/disk.c: blk/blkfront.h for the hosted target, on files. Each `--disk FILE`
 * on the command line is a disk, found by blkfront_list as ids "0", "1", ..., so code above
 * the driver (tarfs, httpd) runs unchanged in a Linux process: a tar archive of a site is a
 * disk here as it is under Xen.
 *
 * The I/O itself is pread/pwrite on the file. blkfront's contract is that completion
 * callbacks run in the disk's own thread and never inside blkfront_submit, so each disk has
 * a thread that runs the callbacks of finished requests, as the Xen driver's does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "platform/linux/hosted.h"
#include "blk/blkfront.h"
#include "kernel/sched.h"
#include "xen/time.h"
#include "lib/heap.h"
#include "lib/list.h"
#include "lib/string.h"

struct completion {
	struct list_node link;
	blkfront_callback_t done;
	void *arg;
	int status;
};

struct blkfront {
	int fd;
	struct blkfront_info info;
	struct blkfront_stats stats;
	struct list_node completed;     /* callbacks waiting for the disk's thread */
};

int blkfront_list(char *ids, size_t size)
{
	const struct hosted_options *options = hosted_options();
	size_t used = 0;

	for (int i = 0; i < options->disk_count; i++) {
		int length = snprintf(ids + used, size - used, "%d", i);

		if (length < 0 || used + (size_t)length + 1 > size)
			return -E2BIG;
		used += (size_t)length + 1;
	}
	return options->disk_count;
}

static bool has_completions(void *arg)
{
	return !list_empty(&((struct blkfront *)arg)->completed);
}

static void completion_thread(void *arg)
{
	struct blkfront *disk = arg;

	for (;;) {
		struct completion *completion;

		sched_wait(has_completions, disk, TIME_NEVER);
		completion = container_of(list_pop_head(&disk->completed), struct completion, link);
		completion->done(completion->status, completion->arg);
		free(completion);
	}
}

int blkfront_open(const char *id, const struct blkfront_config *config, struct blkfront **out)
{
	const struct hosted_options *options = hosted_options();
	char *end;
	long index = strtol(id, &end, 10);
	struct blkfront *disk;
	struct stat stat;

	(void)config;
	if (*end != '\0' || index < 0 || index >= options->disk_count)
		return -ENODEV;
	disk = calloc(1, sizeof(*disk));
	if (disk == NULL)
		return -ENOMEM;
	list_init(&disk->completed);
	disk->fd = open(options->disks[index], O_RDWR);
	if (disk->fd < 0 && (errno == EACCES || errno == EROFS)) {
		disk->fd = open(options->disks[index], O_RDONLY);
		disk->info.read_only = true;
	}
	if (disk->fd < 0 || fstat(disk->fd, &stat) < 0) {
		int error = -errno;

		printf("disk %s: cannot open %s: %s\n", id, options->disks[index], strerror(errno));
		if (disk->fd >= 0)
			close(disk->fd);
		free(disk);
		return error;
	}
	snprintf(disk->info.name, sizeof(disk->info.name), "file%ld", index);
	disk->info.sector_size = 512;
	disk->info.physical_sector_size = 512;
	disk->info.sectors = (uint64_t)stat.st_size / 512;
	disk->info.capacity = disk->info.sectors * 512;
	disk->info.flush = true;
	if (thread_create("disk", completion_thread, disk) == NULL) {
		close(disk->fd);
		free(disk);
		return -ENOMEM;
	}
	*out = disk;
	return 0;
}

void blkfront_close(struct blkfront *disk)
{
	/* The completion thread cannot be stopped from outside; the disk stays allocated for
	 * it, with its file closed. The hosted target opens its disks once, for its lifetime. */
	close(disk->fd);
	disk->fd = -1;
}

const struct blkfront_info *blkfront_info(const struct blkfront *disk)
{
	return &disk->info;
}

bool blkfront_broken(const struct blkfront *disk, const char **reason)
{
	if (disk->fd >= 0)
		return false;
	if (reason != NULL)
		*reason = "closed";
	return true;
}

/* The whole of an I/O, with the same checks and errors as the Xen driver. */
static int do_io(struct blkfront *disk, enum blkfront_op op, uint64_t offset, void *buffer,
		 size_t length)
{
	if (disk->fd < 0)
		return -EIO;
	if (op == BLKFRONT_FLUSH)
		return disk->info.read_only ? -EROFS : (fdatasync(disk->fd) == 0 ? 0 : -EIO);
	if (offset > disk->info.capacity || length > disk->info.capacity - offset)
		return -EINVAL;
	if (op != BLKFRONT_READ && disk->info.read_only)
		return -EROFS;
	if (op == BLKFRONT_DISCARD)
		return 0;
	disk->stats.requests++;
	while (length > 0) {
		ssize_t done = op == BLKFRONT_READ ? pread(disk->fd, buffer, length, (off_t)offset)
						   : pwrite(disk->fd, buffer, length, (off_t)offset);

		if (done < 0 && errno == EINTR)
			continue;
		if (done <= 0) {
			disk->stats.io_errors++;
			return -EIO;
		}
		buffer = (uint8_t *)buffer + done;
		offset += (uint64_t)done;
		length -= (size_t)done;
	}
	return 0;
}

int blkfront_submit(struct blkfront *disk, enum blkfront_op op, uint64_t offset, void *buffer,
		    size_t length, blkfront_callback_t done, void *arg)
{
	struct completion *completion = malloc(sizeof(*completion));

	if (completion == NULL)
		return -ENOMEM;
	completion->done = done;
	completion->arg = arg;
	completion->status = do_io(disk, op, offset, buffer, length);
	list_add_tail(&disk->completed, &completion->link);
	return 0;
}

int blkfront_read(struct blkfront *disk, uint64_t offset, void *buffer, size_t length)
{
	return do_io(disk, BLKFRONT_READ, offset, buffer, length);
}

int blkfront_write(struct blkfront *disk, uint64_t offset, const void *buffer, size_t length)
{
	return do_io(disk, BLKFRONT_WRITE, offset, (void *)buffer, length);
}

int blkfront_flush(struct blkfront *disk)
{
	return do_io(disk, BLKFRONT_FLUSH, 0, NULL, 0);
}

int blkfront_discard(struct blkfront *disk, uint64_t offset, uint64_t length)
{
	return do_io(disk, BLKFRONT_DISCARD, offset, NULL, (size_t)length);
}

void blkfront_stats(const struct blkfront *disk, struct blkfront_stats *out)
{
	*out = disk->stats;
}
