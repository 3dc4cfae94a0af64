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

/* args.require_dax: true unless given false.  0, or -1 with @err set. */
static int get_require_dax(struct json_object *args, bool *require_dax, char *err, size_t errlen)
{
	struct json_object *v;

	*require_dax = true;
	if (!json_object_object_get_ex(args, "require_dax", &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		snprintf(err, errlen, "argument \"require_dax\" must be a boolean");
		return -1;
	}
	*require_dax = json_object_get_boolean(v);
	return 0;
}

static int dax_mmap_run(const char *dir, struct json_object *args,
			struct json_object *result, char *err, size_t errlen)
{
	bool require_dax, dax;
	size_t off, len, start, end;
	struct pmt_crash_file f;
	struct pmt_crash c;
	unsigned char *map = MAP_FAILED;

	if (get_require_dax(args, &require_dax, err, errlen) ||
	    pmt_crash_begin(&c, dir, args, DAX_MAX_OPS, err, errlen) ||
	    pmt_crash_file_create(&c, &f, DAX_FILE, DAX_SIZE))
		return -1;
	f.size = DAX_SIZE;
	dax = file_is_dax(f.fd);
	json_object_object_add(result, "dax", json_object_new_boolean(dax));
	if (require_dax && !dax)
		return pmt_crash_file_fail(&c, &f, "%s/%s is not DAX (mount with -o dax)",
					   dir, DAX_FILE);
	if (ftruncate(f.fd, DAX_SIZE) ||
	    (map = mmap(NULL, DAX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0)) == MAP_FAILED)
		return pmt_crash_file_fail(&c, &f, "size and map %s/%s: %s", dir, DAX_FILE,
					   strerror(errno));

	/* Op 0: the sparse file, its size durable under its name. */
	if (pmt_crash_file_change(&c, &f) || pmt_crash_file_commit(&c, &f, false, true))
		goto out;

	for (c.op = 1; c.op <= c.ops; c.op++) {
		off = (size_t)pmt_crash_rand(&c, 0, DAX_SIZE - 1);
		len = (size_t)pmt_crash_rand(&c, 1, DAX_MAX_STORE);
		if (len > DAX_SIZE - off)
			len = DAX_SIZE - off;
		pmt_crash_fill(&c, f.data + off, len);
		if (pmt_crash_file_change(&c, &f))
			goto out;
		memcpy(map + off, f.data + off, len);
		/* Only the pages stored to, as an application would. */
		start = off & ~(size_t)(DAX_PAGE - 1);
		end = (off + len + DAX_PAGE - 1) & ~(size_t)(DAX_PAGE - 1);
		if (pmt_crash_msync(&c, map + start, end - start, DAX_FILE))
			goto out;
		pmt_crash_promise_file(&c, DAX_FILE, f.data, DAX_SIZE);
		c.ops_done = c.op;
	}
out:
	munmap(map, DAX_SIZE);
	return pmt_crash_file_end(&c, &f, result);
}

PMT_WORKLOAD_INFO(dax_mmap, "stores through MAP_SHARED on a DAX file, msync(MS_SYNC) each; promise hash");
