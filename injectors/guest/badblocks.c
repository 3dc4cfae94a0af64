// SPDX-License-Identifier: MIT
/*
 * badblocks: mark the sectors under one page of a file as bad in
 * /sys/block/pmemN/badblocks and record what every access path gets.
 *
 * The pmem driver checks its badblocks list on each block I/O (EIO) and
 * in dax_direct_access() (a DAX fault becomes SIGBUS; a DAX write may go
 * through the recovery-write path and clear the range).  The list is in
 * 512-byte sectors relative to the block device, as FIEMAP's fe_physical
 * is: an fsdax namespace's data offset (its struct page reserve) is below
 * both, so no correction is needed for it; a partition's start is.
 *
 * args: {"file":"victim.dat","size":65536,"page":1,"dev":"/dev/pmem0",
 *        "dir":"..","timeout_ms":N}   ("dev" is a cross-check, optional)
 * result: {"file","size","page","offset","block","dev","partition_start",
 *          "extent":{"logical","physical","length","flags"},"sector",
 *          "sectors","file_dax","badblocks_before","armed","badblocks",
 *          "probes":[errprobe records, each with "badblocks" after it],
 *          "badblocks_after","write_cleared","ndctl_media_errors",
 *          "ndctl_exit","dmesg":[..]}
 * Returns -1 only when the bad block could not be armed (the host's BROK
 * "fault did not arm"); whatever the accesses do afterwards is a result.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "args.h"
#include "errprobe.h"
#include "exec.h"
#include "output.h"
#include "workload.h"

#define BB_DEFAULT_FILE		"victim.dat"
#define BB_DEFAULT_SIZE		65536
#define BB_MAX_SIZE		(1LL << 30)
#define BB_SECTOR		512
#define BB_SECTORS		(ERRPROBE_PAGE / BB_SECTOR)
#define BB_FIEMAP_EXTENTS	8
#define BB_NDCTL_TIMEOUT_MS	30000

struct bb_ctx {
	char sysdir[PATH_MAX];
	unsigned long long sector;
	int write_cleared;	/* -1 until the write path has run */
};

/*
 * Does the badblocks list @text hold [@sector, @sector + @count): a range
 * that covers all of it (@whole), or any bad sector in it (!@whole)?
 */
static bool bb_listed(const char *text, unsigned long long sector, unsigned int count, bool whole)
{
	unsigned long long s;
	unsigned int n;
	const char *p = text;
	int used;

	while (sscanf(p, "%llu %u%n", &s, &n, &used) == 2) {
		if (whole ? s <= sector && sector + count <= s + n : s < sector + count && sector < s + n)
			return true;
		p += used;
	}
	return false;
}

/* The physical byte address (on the block device) of the page at @off. */
static int bb_fiemap(int fd, off_t off, struct json_object *result,
		     unsigned long long *phys, char *err, size_t errlen)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[BB_FIEMAP_EXTENTS];
	} req;
	struct fiemap_extent *e;
	struct json_object *o;
	unsigned int i;

	memset(&req, 0, sizeof(req));
	req.fm.fm_start = (unsigned long long)off;
	req.fm.fm_length = ERRPROBE_PAGE;
	req.fm.fm_flags = FIEMAP_FLAG_SYNC;
	req.fm.fm_extent_count = BB_FIEMAP_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, &req.fm)) {
		snprintf(err, errlen, "FS_IOC_FIEMAP: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < req.fm.fm_mapped_extents && i < BB_FIEMAP_EXTENTS; i++) {
		e = &req.ext[i];
		if (e->fe_logical > (unsigned long long)off ||
		    (unsigned long long)off >= e->fe_logical + e->fe_length)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "logical", json_object_new_int64((int64_t)e->fe_logical));
		json_object_object_add(o, "physical", json_object_new_int64((int64_t)e->fe_physical));
		json_object_object_add(o, "length", json_object_new_int64((int64_t)e->fe_length));
		json_object_object_add(o, "flags", json_object_new_int((int)e->fe_flags));
		json_object_object_add(result, "extent", o);
		/* These do not say where the data is on the device. */
		if (e->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
				   FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_INLINE |
				   FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_UNWRITTEN)) {
			snprintf(err, errlen, "the page's extent has flags 0x%x: no usable physical address",
				 e->fe_flags);
			return -1;
		}
		*phys = e->fe_physical + ((unsigned long long)off - e->fe_logical);
		return 0;
	}
	snprintf(err, errlen, "FIEMAP found no extent at offset %lld", (long long)off);
	return -1;
}

static int bb_arm(const char *sysdir, unsigned long long sector, struct json_object *result,
		  char *err, size_t errlen)
{
	char path[PATH_MAX], line[64];
	struct json_object *now;
	const char *text;
	ssize_t n;
	int fd, len;

	snprintf(path, sizeof(path), "%s/badblocks", sysdir);
	len = snprintf(line, sizeof(line), "%llu %d\n", sector, BB_SECTORS);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "fault did not arm: open %s: %s", path, strerror(errno));
		return -1;
	}
	do {
		n = write(fd, line, (size_t)len);
	} while (n < 0 && errno == EINTR);
	if (n != len) {
		snprintf(err, errlen, "fault did not arm: write \"%llu %d\" to %s: %s",
			 sector, BB_SECTORS, path, n < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	close(fd);

	now = errprobe_badblocks_json(sysdir);
	text = now ? json_object_get_string(now) : "";
	if (!now || !bb_listed(text, sector, BB_SECTORS, true)) {
		snprintf(err, errlen, "fault did not arm: %s does not list \"%llu %d\" after the write (it reads \"%.64s\")",
			 path, sector, BB_SECTORS, text);
		json_object_put(now);
		return -1;
	}
	json_object_object_add(result, "armed", json_object_new_boolean(true));
	json_object_object_add(result, "badblocks", now);
	return 0;
}

/* After each access path: the list as it stands, to see which path cleared it. */
static void bb_after_path(const char *path, struct json_object *rec, void *arg)
{
	struct bb_ctx *ctx = arg;
	struct json_object *now = errprobe_badblocks_json(ctx->sysdir);

	if (!strcmp(path, "write"))
		ctx->write_cleared = now ?
			!bb_listed(json_object_get_string(now), ctx->sector, BB_SECTORS, false) : -1;
	json_object_object_add(rec, "badblocks", now);
}

/* `ndctl list --media-errors`: parsed when it is JSON, else the raw text. */
static void bb_ndctl(struct json_object *result)
{
	static const char *const argv[] = { "ndctl", "list", "--media-errors", NULL };
	struct json_object *parsed = NULL;
	struct exec_result res;
	char err[256];

	if (exec_run(argv, BB_NDCTL_TIMEOUT_MS, &res, err, sizeof(err))) {
		json_object_object_add(result, "ndctl_media_errors", NULL);
		json_object_object_add(result, "ndctl_error", json_object_new_string(err));
		return;
	}
	json_object_object_add(result, "ndctl_exit", json_object_new_int(res.exit_code));
	if (res.exit_code == 0 && !res.truncated)
		parsed = json_tokener_parse(res.output);
	json_object_object_add(result, "ndctl_media_errors", parsed);
	if (!parsed)
		json_object_object_add(result, "ndctl_output",
				       output_json(res.output, res.output_len));
	exec_result_free(&res);
}

static int bb_args(struct json_object *args, const char **file, const char **dir,
		   const char **dev, long long *size, long long *page, long long *timeout,
		   char *err, size_t errlen)
{
	return errprobe_victim_args(args, BB_DEFAULT_FILE, BB_DEFAULT_SIZE, BB_MAX_SIZE, file, dir,
				    size, page, err, errlen) ||
	       arg_string(args, "dev", false, dev, err, errlen) ||
	       arg_int(args, "timeout_ms", ERRPROBE_TIMEOUT_MS, 100, 600000, timeout, err, errlen)
	       ? -1 : 0;
}

/*
 * Long because it is the fault in order (create the file, find its sector, arm the bad
 * block, probe, read back), carrying the file's fd and the context through; little would
 * lift out but the result fields.
 */
static int badblocks_run(const char *dir, struct json_object *args,
			 struct json_object *result, char *err, size_t errlen)
{
	const char *file, *dir_arg, *dev;
	long long size, page, timeout;
	unsigned long long phys, start;
	struct errprobe_opts opts;
	struct bb_ctx ctx;
	char path[PATH_MAX], name[64], mark[128], devpath[80];
	struct json_object *dmesg;
	off_t off;
	int fd;

	if (bb_args(args, &file, &dir_arg, &dev, &size, &page, &timeout, err, errlen))
		return -1;
	if (errprobe_victim_path(dir, dir_arg, file, path, sizeof(path), err, errlen))
		return -1;
	off = (off_t)page * ERRPROBE_PAGE;
	if (errprobe_create_file(path, size, err, errlen))
		return -1;
	json_object_object_add(result, "file", json_object_new_string(path));
	json_object_object_add(result, "size", json_object_new_int64(size));
	json_object_object_add(result, "page", json_object_new_int64(page));
	json_object_object_add(result, "offset", json_object_new_int64(off));

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	json_object_object_add(result, "file_dax", errprobe_tristate_json(errprobe_file_dax(fd)));
	memset(&ctx, 0, sizeof(ctx));
	ctx.write_cleared = -1;
	if (errprobe_blockdev(fd, ctx.sysdir, sizeof(ctx.sysdir), name, sizeof(name),
			      &start, err, errlen) ||
	    bb_fiemap(fd, off, result, &phys, err, errlen))
		goto fail;
	snprintf(devpath, sizeof(devpath), "/dev/%s", name);
	json_object_object_add(result, "block", json_object_new_string(name));
	json_object_object_add(result, "dev", json_object_new_string(devpath));
	json_object_object_add(result, "partition_start", json_object_new_int64((int64_t)start));
	/* The host names the device it set up: a different one means a wrong aim. */
	if (dev && strcmp(dev, devpath)) {
		snprintf(err, errlen, "fault did not arm: the file is on %s, not on %s", devpath, dev);
		goto fail;
	}
	if (phys % BB_SECTOR) {
		snprintf(err, errlen, "physical address %llu is not sector aligned", phys);
		goto fail;
	}
	ctx.sector = start + phys / BB_SECTOR;
	json_object_object_add(result, "sector", json_object_new_int64((int64_t)ctx.sector));
	json_object_object_add(result, "sectors", json_object_new_int(BB_SECTORS));
	json_object_object_add(result, "badblocks_before", errprobe_badblocks_json(ctx.sysdir));

	errprobe_kmsg_mark("badblocks", mark, sizeof(mark));
	if (bb_arm(ctx.sysdir, ctx.sector, result, err, errlen))
		goto fail;
	/* Reads must reach the device, not a page cached before the arming. */
	posix_fadvise(fd, off, ERRPROBE_PAGE, POSIX_FADV_DONTNEED);
	close(fd);

	memset(&opts, 0, sizeof(opts));
	opts.timeout_ms = timeout;
	opts.drop_cache = true;
	opts.after = bb_after_path;
	opts.after_arg = &ctx;
	json_object_object_add(result, "probes", errprobe_probe_all(path, off, &opts));
	json_object_object_add(result, "badblocks_after", errprobe_badblocks_json(ctx.sysdir));
	json_object_object_add(result, "write_cleared", errprobe_tristate_json(ctx.write_cleared));
	bb_ndctl(result);
	dmesg = errprobe_kmsg_since(mark);
	json_object_object_add(result, "dmesg", dmesg);
	/* The file stays: deleted, its bad block would go to the next allocation. */
	return 0;

fail:
	close(fd);
	return -1;
}

PMT_WORKLOAD_INFO(badblocks, "mark a file page's sectors bad in /sys/block/*/badblocks; probe every access path");
