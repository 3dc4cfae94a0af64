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
#include <stdlib.h>
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
	static const char *const paths[] = { OVERWRITE_FILE };
	struct pmt_crash c;
	unsigned char *data;
	const char *how;
	size_t off, len;
	int fd;

	if (pmt_crash_begin(&c, dir, args, OVERWRITE_MAX_OPS, err, errlen))
		return -1;
	data = calloc(1, OVERWRITE_SIZE);
	if (!data)
		return pmt_crash_fail(&c, "out of memory");
	fd = openat(c.dirfd, OVERWRITE_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(data);
		return pmt_crash_fail(&c, "create %s/%s: %s", dir, OVERWRITE_FILE, strerror(errno));
	}
	how = preallocate(fd, data);
	if (!how) {
		close(fd);
		free(data);
		return pmt_crash_fail(&c, "preallocate %s/%s: %s", dir, OVERWRITE_FILE,
				      strerror(errno));
	}
	json_object_object_add(result, "preallocated", json_object_new_string(how));

	/* Op 0: the zeroed file, durable under its name. */
	pmt_crash_intend_file(&c, OVERWRITE_FILE, data, OVERWRITE_SIZE);
	if (pmt_crash_progress(&c, paths, 1))
		goto no_ack;
	if (pmt_crash_fsync(&c, fd, OVERWRITE_FILE, false) || pmt_crash_fsync_dir(&c))
		goto out;
	pmt_crash_promise_file(&c, OVERWRITE_FILE, data, OVERWRITE_SIZE);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		off = (size_t)pmt_crash_rand(&c, 0, OVERWRITE_SIZE / OVERWRITE_BLOCK - 1) *
		      OVERWRITE_BLOCK;
		len = (size_t)pmt_crash_rand(&c, 1, OVERWRITE_MAX_BLOCKS) * OVERWRITE_BLOCK;
		if (len > OVERWRITE_SIZE - off)
			len = OVERWRITE_SIZE - off;
		pmt_crash_fill(&c, data + off, len);
		pmt_crash_intend_file(&c, OVERWRITE_FILE, data, OVERWRITE_SIZE);
		if (pmt_crash_progress(&c, paths, 1))
			goto no_ack;
		if (pmt_pwrite_all(fd, data + off, len, (off_t)off)) {
			close(fd);
			free(data);
			return pmt_crash_fail(&c, "op %lld: write %zu bytes at %zu: %s",
					      c.op, len, off, strerror(errno));
		}
		if (pmt_crash_fsync(&c, fd, OVERWRITE_FILE, true))
			goto out;
		pmt_crash_promise_file(&c, OVERWRITE_FILE, data, OVERWRITE_SIZE);
		c.ops_done = c.op;
	}
out:
	close(fd);
	free(data);
	return pmt_crash_end(&c, result);
no_ack:
	close(fd);
	free(data);
	return -1;
}

PMT_WORKLOAD_INFO(overwrite_fdatasync, "overwrite 4 KiB-aligned ranges of a preallocated 1 MiB file, fdatasync each");
