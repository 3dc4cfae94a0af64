// SPDX-License-Identifier: MIT
/*
 * dmflakey, guest half: a device-mapper table over the pmem device whose
 * middle is a dm-flakey target, the way xfstests' dm-flakey tests break a
 * device on purpose, driven by the DM ioctls (linux/dm-ioctl.h) so the
 * guest needs no dmsetup.
 *
 * Kernel behaviour relied on (drivers/md/dm-flakey.c): a flakey target
 * with up interval 0 and down interval 1 is always "down"; down, the
 * feature "error_writes" fails every write with EIO and "drop_writes"
 * completes every write as a success without writing it; reads pass in
 * both; with up interval 1 and down 0 it is never down, a plain pass-through.
 * A table is replaced by loading the new one (DM_TABLE_LOAD, it is
 * the inactive table) and resuming (DM_DEV_SUSPEND without
 * DM_SUSPEND_FLAG: dm suspends the device, swaps the tables, resumes).
 * devtmpfs creates /dev/mapper/control and /dev/dm-N.  dm-flakey has no
 * DAX, so the filesystem is mounted without it.
 *
 * args: {"step":"arm"|"fire", "dev":"/dev/pmem0", "fs":"ext4", "file":"victim.dat",
 *        "size":65536, "page":1, "pages":1, "mode":"error_writes"|"drop_writes"}
 * arm: unmount the filesystem from @dev, put a pass-through dm device over it,
 *   mount that, write @file (the original pattern, fsync'ed) and find the
 *   sectors of pages [page, page + pages) with FIEMAP (they must be one
 *   run).  result: {"dm_dev","sector","sectors","device_sectors"}
 * fire: make those sectors flakey with @mode; pwrite the written pattern
 *   over the pages and fsync ("write"); put the all-linear table back,
 *   unmount and mount again ("remount"), and read the pages ("reread":
 *   data_ok when they hold what was written; "old_data" when they hold
 *   the original).  result: {"probes":[...], "table"}
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/dm-ioctl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "args.h"
#include "errprobe.h"
#include "workload.h"

#define DMF_NAME	"pmt-flakey"
#define DMF_CONTROL	"/dev/mapper/control"
#define DMF_MAX_PAGES	16
#define DMF_EXTENTS	8

struct dmf_req {
	struct dm_ioctl io;
	char data[4096];
};

static void dmf_init(struct dmf_req *r)
{
	memset(r, 0, sizeof(*r));
	r->io.version[0] = DM_VERSION_MAJOR;
	r->io.data_size = sizeof(*r);
	r->io.data_start = sizeof(r->io);
	snprintf(r->io.name, sizeof(r->io.name), "%s", DMF_NAME);
}

static int dmf_call(unsigned long cmd, const char *what, struct dmf_req *r, char *err, size_t errlen)
{
	int fd = open(DMF_CONTROL, O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s (are dm-mod and dm-flakey loaded?)", DMF_CONTROL,
			 strerror(errno));
		return -1;
	}
	rc = ioctl(fd, cmd, r);
	if (rc)
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
	close(fd);
	return rc ? -1 : 0;
}

/* Append target @type over [start, start + len) with @params; 0 or -1 when full. */
static int dmf_target(struct dmf_req *r, size_t *off, unsigned long long start,
		      unsigned long long len, const char *type, const char *params)
{
	struct dm_target_spec *spec;
	size_t need = sizeof(*spec) + strlen(params) + 1;

	need = (need + 7) & ~(size_t)7;
	if (!len)
		return 0;
	if (*off + need > sizeof(r->data))
		return -1;
	spec = (struct dm_target_spec *)(r->data + *off);
	spec->sector_start = start;
	spec->length = len;
	spec->next = (unsigned int)need;
	snprintf(spec->target_type, sizeof(spec->target_type), "%s", type);
	strcpy((char *)(spec + 1), params);
	*off += need;
	r->io.target_count++;
	return 0;
}

/*
 * Load and activate the table: linear over all of @devno, except
 * [sector, sector + sectors) flakey with @mode when @mode is set.
 */
static int dmf_load(dev_t devno, unsigned long long total, unsigned long long sector,
		    unsigned long long sectors, const char *mode, char *table, size_t tlen,
		    char *err, size_t errlen)
{
	struct dmf_req r;
	char p[128];
	size_t off = 0;
	int bad = 0;

	dmf_init(&r);
	if (!mode) {
		/* flakey up 1 s, down 0 s: never down.  Not "linear": over pmem that
		 * table would be DAX-capable, and dm refuses to change a device's
		 * type (DAX to bio-based) once it has a table. */
		snprintf(p, sizeof(p), "%u:%u 0 1 0", major(devno), minor(devno));
		bad |= dmf_target(&r, &off, 0, total, "flakey", p);
		snprintf(table, tlen, "0 %llu flakey %s", total, p);
	} else {
		snprintf(p, sizeof(p), "%u:%u 0", major(devno), minor(devno));
		bad |= dmf_target(&r, &off, 0, sector, "linear", p);
		/* up 0 s, down 1 s: always down; the feature says what down does. */
		snprintf(p, sizeof(p), "%u:%u %llu 0 1 1 %s", major(devno), minor(devno), sector, mode);
		bad |= dmf_target(&r, &off, sector, sectors, "flakey", p);
		snprintf(table, tlen, "%llu %llu flakey %s", sector, sectors, p);
		snprintf(p, sizeof(p), "%u:%u %llu", major(devno), minor(devno), sector + sectors);
		bad |= dmf_target(&r, &off, sector + sectors, total - sector - sectors, "linear", p);
	}
	if (bad) {
		snprintf(err, errlen, "the dm table does not fit");
		return -1;
	}
	r.io.data_size = (unsigned int)(sizeof(r.io) + off);
	if (dmf_call(DM_TABLE_LOAD, "DM_TABLE_LOAD", &r, err, errlen))
		return -1;
	dmf_init(&r);
	/* No freeze of the filesystem for the swap (dmsetup suspend --nolockfs,
	 * as xfstests does): with writes failing, freezing would try to write
	 * back the failed pages and fail the swap itself. */
	r.io.flags = DM_SKIP_LOCKFS_FLAG;
	return dmf_call(DM_DEV_SUSPEND, "DM_DEV_SUSPEND (resume)", &r, err, errlen);
}

static int dev_info(const char *dev, dev_t *devno, unsigned long long *sectors, char *err,
		    size_t errlen)
{
	struct stat st;
	unsigned long long bytes;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || ioctl(fd, BLKGETSIZE64, &bytes)) {
		snprintf(err, errlen, "%s: %s", dev, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	*devno = st.st_rdev;
	*sectors = bytes / 512;
	return 0;
}

/* The dm device's node: devtmpfs makes /dev/dm-N; made here if it did not. */
static int dm_node(char *path, size_t len, char *err, size_t errlen)
{
	struct dmf_req r;
	dev_t d;

	dmf_init(&r);
	if (dmf_call(DM_DEV_STATUS, "DM_DEV_STATUS", &r, err, errlen))
		return -1;
	d = (dev_t)r.io.dev;
	snprintf(path, len, "/dev/dm-%u", minor(d));
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(path, len, "/dev/%s", DMF_NAME);
	if (mknod(path, S_IFBLK | 0600, d) && errno != EEXIST) {
		snprintf(err, errlen, "mknod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The sectors under pages [page, page + pages) of @fd, which must be one run. */
static int file_sectors(int fd, long long page, long long pages, unsigned long long *sector,
			char *err, size_t errlen)
{
	unsigned long long first = 0;

	for (long long i = 0; i < pages; i++) {
		struct {
			struct fiemap fm;
			struct fiemap_extent ext[DMF_EXTENTS];
		} q;
		unsigned long long off = (unsigned long long)(page + i) * ERRPROBE_PAGE, phys = 0;
		bool found = false;

		memset(&q, 0, sizeof(q));
		q.fm.fm_start = off;
		q.fm.fm_length = ERRPROBE_PAGE;
		q.fm.fm_flags = FIEMAP_FLAG_SYNC;
		q.fm.fm_extent_count = DMF_EXTENTS;
		if (ioctl(fd, FS_IOC_FIEMAP, &q.fm)) {
			snprintf(err, errlen, "FS_IOC_FIEMAP: %s", strerror(errno));
			return -1;
		}
		for (unsigned int k = 0; k < q.fm.fm_mapped_extents && k < DMF_EXTENTS; k++) {
			struct fiemap_extent *e = &q.ext[k];

			if (off < e->fe_logical || off >= e->fe_logical + e->fe_length ||
			    (e->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
					    FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_DATA_INLINE)))
				continue;
			phys = e->fe_physical + (off - e->fe_logical);
			found = true;
		}
		if (!found) {
			snprintf(err, errlen, "FIEMAP: page %lld has no usable physical address", page + i);
			return -1;
		}
		if (i == 0)
			first = phys;
		else if (phys != first + (unsigned long long)i * ERRPROBE_PAGE) {
			snprintf(err, errlen, "pages %lld..%lld are not one run on the device",
				 page, page + pages - 1);
			return -1;
		}
	}
	*sector = first / 512;
	return 0;
}

struct dmf_args {
	const char *step, *dev, *fs, *file, *mode;
	long long size, page, pages;
};

static int read_args(struct json_object *args, struct dmf_args *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (arg_string(args, "step", true, &a->step, err, errlen) ||
	    arg_string(args, "dev", true, &a->dev, err, errlen) ||
	    arg_string(args, "fs", true, &a->fs, err, errlen) ||
	    arg_string(args, "file", true, &a->file, err, errlen) ||
	    arg_string(args, "mode", false, &a->mode, err, errlen) ||
	    arg_int(args, "size", 65536, ERRPROBE_PAGE, 1 << 24, &a->size, err, errlen) ||
	    arg_int(args, "page", 1, 0, 4095, &a->page, err, errlen) ||
	    arg_int(args, "pages", 1, 1, DMF_MAX_PAGES, &a->pages, err, errlen))
		return -1;
	if ((a->page + a->pages) * ERRPROBE_PAGE > a->size) {
		snprintf(err, errlen, "pages %lld..%lld are beyond the %lld-byte file", a->page,
			 a->page + a->pages - 1, a->size);
		return -1;
	}
	if (strchr(a->file, '/')) {
		snprintf(err, errlen, "file must be a name, not a path");
		return -1;
	}
	return 0;
}

static int step_arm(const char *dir, const struct dmf_args *a, struct json_object *result,
		    char *err, size_t errlen)
{
	char node[64], path[PATH_MAX], table[256];
	unsigned long long total, sector;
	struct dmf_req r;
	dev_t devno;
	int fd;

	if (dev_info(a->dev, &devno, &total, err, errlen))
		return -1;
	if (umount2(dir, 0)) {
		snprintf(err, errlen, "umount %s: %s", dir, strerror(errno));
		return -1;
	}
	dmf_init(&r);
	if (dmf_call(DM_DEV_CREATE, "DM_DEV_CREATE", &r, err, errlen) ||
	    dmf_load(devno, total, 0, 0, NULL, table, sizeof(table), err, errlen) ||
	    dm_node(node, sizeof(node), err, errlen))
		return -1;
	if (mount(node, dir, a->fs, 0, "")) {
		snprintf(err, errlen, "mount %s on %s: %s", node, dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, a->file);
	if (errprobe_create_file(path, a->size, err, errlen))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (file_sectors(fd, a->page, a->pages, &sector, err, errlen)) {
		close(fd);
		return -1;
	}
	close(fd);
	json_object_object_add(result, "dm_dev", json_object_new_string(node));
	json_object_object_add(result, "table", json_object_new_string(table));
	json_object_object_add(result, "sector", json_object_new_int64((int64_t)sector));
	json_object_object_add(result, "sectors",
			       json_object_new_int64(a->pages * (ERRPROBE_PAGE / 512)));
	json_object_object_add(result, "device_sectors", json_object_new_int64((int64_t)total));
	return 0;
}

static struct json_object *record(const char *path, int ok, int errnum, const char *step)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "path", json_object_new_string(path));
	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	json_object_object_add(r, "errno", json_object_new_int(errnum));
	json_object_object_add(r, "step", json_object_new_string(step));
	if (!ok)
		json_object_object_add(r, "error", json_object_new_string(strerror(errnum)));
	return r;
}

/* The pages' extent in the file, a buffer for them and the file open with @flags. */
struct pages_io {
	size_t len;
	off_t off;
	unsigned char *buf;
	int fd;
};

static int pages_open(struct pages_io *io, const char *path, int flags, const struct dmf_args *a)
{
	io->len = (size_t)a->pages * ERRPROBE_PAGE;
	io->off = (off_t)a->page * ERRPROBE_PAGE;
	io->buf = malloc(io->len);
	io->fd = open(path, flags | O_CLOEXEC);
	return io->buf && io->fd >= 0 ? 0 : -1;
}

static void pages_close(struct pages_io *io)
{
	if (io->fd >= 0)
		close(io->fd);
	free(io->buf);
}

/* pwrite the written pattern over the pages, then fsync: the promise a program asks for. */
static struct json_object *probe_write(const char *path, const struct dmf_args *a)
{
	struct pages_io io;
	struct json_object *r;

	if (pages_open(&io, path, O_WRONLY, a)) {
		r = record("write", 0, errno, "open");
	} else {
		errprobe_fill(ERRPROBE_WRITTEN, io.off, io.buf, io.len);
		if (pwrite(io.fd, io.buf, io.len, io.off) != (ssize_t)io.len)
			r = record("write", 0, errno, "pwrite");
		else if (fsync(io.fd))
			r = record("write", 0, errno, "fsync");
		else
			r = record("write", 1, 0, "fsync");
	}
	pages_close(&io);
	return r;
}

static struct json_object *probe_reread(const char *path, const struct dmf_args *a)
{
	struct pages_io io;
	struct json_object *r;

	if (pages_open(&io, path, O_RDONLY, a)) {
		r = record("reread", 0, errno, "open");
	} else if (pread(io.fd, io.buf, io.len, io.off) != (ssize_t)io.len) {
		r = record("reread", 0, errno ? errno : EIO, "pread");
	} else {
		r = record("reread", 1, 0, "pread");
		json_object_object_add(r, "data_ok", json_object_new_boolean(
			errprobe_check(ERRPROBE_WRITTEN, io.off, io.buf, io.len)));
		json_object_object_add(r, "old_data", json_object_new_boolean(
			errprobe_check(ERRPROBE_ORIGINAL, io.off, io.buf, io.len)));
	}
	pages_close(&io);
	return r;
}

static int step_fire(const char *dir, const struct dmf_args *a, struct json_object *result,
		     char *err, size_t errlen)
{
	struct json_object *probes = json_object_new_array();
	long long sector, sectors;
	unsigned long long total;
	char node[64], path[PATH_MAX], table[256];
	dev_t devno;

	if (!a->mode || (strcmp(a->mode, "error_writes") && strcmp(a->mode, "drop_writes"))) {
		snprintf(err, errlen, "mode must be error_writes or drop_writes");
		goto fail;
	}
	if (arg_int(result, "sector", -1, 0, LLONG_MAX, &sector, err, errlen) ||
	    arg_int(result, "sectors", -1, 1, LLONG_MAX, &sectors, err, errlen) ||
	    dev_info(a->dev, &devno, &total, err, errlen) || dm_node(node, sizeof(node), err, errlen))
		goto fail;
	if ((unsigned long long)(sector + sectors) > total) {
		snprintf(err, errlen, "sectors %lld+%lld are beyond the device", sector, sectors);
		goto fail;
	}
	if (dmf_load(devno, total, (unsigned long long)sector, (unsigned long long)sectors, a->mode,
		     table, sizeof(table), err, errlen))
		goto fail;
	json_object_object_add(result, "table", json_object_new_string(table));
	snprintf(path, sizeof(path), "%s/%s", dir, a->file);
	json_object_array_add(probes, probe_write(path, a));
	/* The device is good again (all pass-through); what reached it is what a remount reads. */
	if (dmf_load(devno, total, 0, 0, NULL, table, sizeof(table), err, errlen))
		goto fail;
	if (umount2(dir, 0) && umount2(dir, MNT_DETACH)) {
		snprintf(err, errlen, "umount %s after the write: %s", dir, strerror(errno));
		goto fail;
	}
	if (mount(node, dir, a->fs, 0, "")) {
		json_object_array_add(probes, record("remount", 0, errno, "mount"));
	} else {
		json_object_array_add(probes, record("remount", 1, 0, "mount"));
		json_object_array_add(probes, probe_reread(path, a));
	}
	json_object_object_add(result, "probes", probes);
	return 0;
fail:
	json_object_put(probes);
	return -1;
}

static int dmflakey_run(const char *dir, struct json_object *args, struct json_object *result,
			char *err, size_t errlen)
{
	struct dmf_args a;
	struct json_object *armed;

	if (read_args(args, &a, err, errlen))
		return -1;
	if (!strcmp(a.step, "arm"))
		return step_arm(dir, &a, result, err, errlen);
	if (strcmp(a.step, "fire")) {
		snprintf(err, errlen, "step must be arm or fire, not \"%s\"", a.step);
		return -1;
	}
	/* fire reads where arm put the flaky sectors: the host passes them back. */
	if (arg_object(args, "armed", &armed, err, errlen))
		return -1;
	if (!armed) {
		snprintf(err, errlen, "fire needs \"armed\": the result of arm");
		return -1;
	}
	json_object_object_foreach(armed, k, v)
		json_object_object_add(result, k, json_object_get(v));
	return step_fire(dir, &a, result, err, errlen);
}

PMT_WORKLOAD_INFO(dmflakey, "dm-flakey over the pmem device: a file's sectors fail or drop their writes");
