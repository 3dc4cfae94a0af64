// SPDX-License-Identifier: MIT
/*
 * dax_mmap: stores through a MAP_SHARED mapping of a file on a DAX mount,
 * made durable with msync(MS_SYNC).
 *
 * With DAX the stores go straight to the pmem pages, past the page cache;
 * on virtio-pmem they are durable only after msync, which writes back the
 * CPU cache lines, commits the file's metadata and makes the device flush
 * (the host fsyncs its backing file).  The file starts sparse, so the
 * first stores to each page allocate blocks in the page fault: msync must
 * persist that allocation too.  A file that is not DAX would test the
 * page cache instead, so it is refused unless args.require_dax is false
 * (for testing the workload itself on a filesystem without DAX).
 * Events and result: promise.h, plus "dax":bool.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "promise.h"
#include "workload.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

#define DAX_FILE		"dax.dat"
#define DAX_SIZE		(1024 * 1024)
#define DAX_MAX_STORE		(64 * 1024)
#define DAX_PAGE		4096
#define DAX_MAX_OPS		256

static bool file_is_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		return false;
	return stx.stx_attributes & STATX_ATTR_DAX;
}

static int dax_mmap_run(const char *dir, struct json_object *args,
			struct json_object *result, char *err, size_t errlen)
{
	static const char *const paths[] = { DAX_FILE };
	struct json_object *v;
	bool require_dax = true, dax;
	size_t off, len, start, end;
	struct pmt_crash c;
	unsigned char *data, *map = MAP_FAILED;
	int fd, saved;

	if (json_object_object_get_ex(args, "require_dax", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "argument \"require_dax\" must be a boolean");
			return -1;
		}
		require_dax = json_object_get_boolean(v);
	}
	if (pmt_crash_begin(&c, dir, args, DAX_MAX_OPS, err, errlen))
		return -1;
	data = calloc(1, DAX_SIZE);
	if (!data)
		return pmt_crash_fail(&c, "out of memory");
	fd = openat(c.dirfd, DAX_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(data);
		return pmt_crash_fail(&c, "create %s/%s: %s", dir, DAX_FILE, strerror(errno));
	}
	dax = file_is_dax(fd);
	json_object_object_add(result, "dax", json_object_new_boolean(dax));
	if (require_dax && !dax) {
		close(fd);
		free(data);
		return pmt_crash_fail(&c, "%s/%s is not DAX (mount with -o dax)", dir, DAX_FILE);
	}
	if (ftruncate(fd, DAX_SIZE) ||
	    (map = mmap(NULL, DAX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		saved = errno;
		close(fd);
		free(data);
		return pmt_crash_fail(&c, "size and map %s/%s: %s", dir, DAX_FILE,
				      strerror(saved));
	}

	/* Op 0: the sparse file, its size durable under its name. */
	pmt_crash_intend_file(&c, DAX_FILE, data, DAX_SIZE);
	if (pmt_crash_progress(&c, paths, 1))
		goto no_ack;
	if (pmt_crash_fsync(&c, fd, DAX_FILE, false) || pmt_crash_fsync_dir(&c))
		goto out;
	pmt_crash_promise_file(&c, DAX_FILE, data, DAX_SIZE);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		off = (size_t)pmt_crash_rand(&c, 0, DAX_SIZE - 1);
		len = (size_t)pmt_crash_rand(&c, 1, DAX_MAX_STORE);
		if (len > DAX_SIZE - off)
			len = DAX_SIZE - off;
		pmt_crash_fill(&c, data + off, len);
		pmt_crash_intend_file(&c, DAX_FILE, data, DAX_SIZE);
		if (pmt_crash_progress(&c, paths, 1))
			goto no_ack;
		memcpy(map + off, data + off, len);
		/* Only the pages stored to, as an application would. */
		start = off & ~(size_t)(DAX_PAGE - 1);
		end = (off + len + DAX_PAGE - 1) & ~(size_t)(DAX_PAGE - 1);
		if (pmt_crash_msync(&c, map + start, end - start, DAX_FILE))
			goto out;
		pmt_crash_promise_file(&c, DAX_FILE, data, DAX_SIZE);
		c.ops_done = c.op;
	}
out:
	munmap(map, DAX_SIZE);
	close(fd);
	free(data);
	return pmt_crash_end(&c, result);
no_ack:
	munmap(map, DAX_SIZE);
	close(fd);
	free(data);
	return -1;
}

PMT_WORKLOAD_INFO(dax_mmap, "stores through MAP_SHARED on a DAX file, msync(MS_SYNC) each; promise hash");
