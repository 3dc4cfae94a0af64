// SPDX-License-Identifier: MIT
/*
 * overwrite_fdatasync: overwrite random 4 KiB-aligned ranges of a
 * preallocated 1 MiB file, fdatasync after each.
 *
 * The file is preallocated with fallocate(), so its extents start
 * unwritten: fdatasync must persist their conversion to written along
 * with the data, because without it the data cannot be read back (it is
 * metadata needed to retrieve the data, which fdatasync may not skip).
 * Where fallocate is not supported the file is filled with written zeroes.
 * Events and result: promise.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "promise.h"
#include "workload.h"

#define OVERWRITE_FILE		"overwrite.dat"
#define OVERWRITE_SIZE		(1024 * 1024)
#define OVERWRITE_BLOCK		4096
#define OVERWRITE_MAX_BLOCKS	16	/* 64 KiB per op at most */
#define OVERWRITE_MAX_OPS	256

/* Preallocate the file; returns the way it was done, or NULL with errno. */
static const char *preallocate(int fd, const unsigned char *zeroes)
{
	if (!fallocate(fd, 0, 0, OVERWRITE_SIZE))
		return "fallocate";
	if (errno != EOPNOTSUPP)
		return NULL;
	if (pmt_pwrite_all(fd, zeroes, OVERWRITE_SIZE, 0))
		return NULL;
	return "zeroes";
}

static int overwrite_fdatasync_run(const char *dir, struct json_object *args,
				   struct json_object *result, char *err, size_t errlen)
{
	struct pmt_crash_file f;
	struct pmt_crash c;
	const char *how;
	size_t off, len;

	if (pmt_crash_begin(&c, dir, args, OVERWRITE_MAX_OPS, err, errlen) ||
	    pmt_crash_file_create(&c, &f, OVERWRITE_FILE, OVERWRITE_SIZE))
		return -1;
	f.size = OVERWRITE_SIZE;
	how = preallocate(f.fd, f.data);
	if (!how)
		return pmt_crash_file_fail(&c, &f, "preallocate %s/%s: %s", dir, OVERWRITE_FILE,
					   strerror(errno));
	json_object_object_add(result, "preallocated", json_object_new_string(how));

	/* Op 0: the zeroed file, durable under its name. */
	if (pmt_crash_file_change(&c, &f) || pmt_crash_file_commit(&c, &f, false, true))
		goto out;

	for (c.op = 1; c.op <= c.ops; c.op++) {
		off = (size_t)pmt_crash_rand(&c, 0, OVERWRITE_SIZE / OVERWRITE_BLOCK - 1) *
		      OVERWRITE_BLOCK;
		len = (size_t)pmt_crash_rand(&c, 1, OVERWRITE_MAX_BLOCKS) * OVERWRITE_BLOCK;
		if (len > OVERWRITE_SIZE - off)
			len = OVERWRITE_SIZE - off;
		pmt_crash_fill(&c, f.data + off, len);
		if (pmt_crash_file_write(&c, &f, off, len) ||
		    pmt_crash_file_commit(&c, &f, true, false))
			goto out;
		c.ops_done = c.op;
	}
out:
	return pmt_crash_file_end(&c, &f, result);
}

PMT_WORKLOAD_INFO(overwrite_fdatasync, "overwrite 4 KiB-aligned ranges of a preallocated 1 MiB file, fdatasync each");
