// SPDX-License-Identifier: MIT
/*
 * append_fsync: append 4 KiB-64 KiB chunks to one file, fsync after each.
 *
 * Once fsync returns, the appended bytes and the new size are durable: a
 * crash may lose what was written after it, never what came before.  Each
 * op promises the whole file (size and hash), and also its prefix: the
 * file promise lapses when the next append starts, the prefix one does
 * not, so a power cut in the middle of an append still has a promise to
 * check.  Chunk lengths are not block multiples, so the tail block is
 * rewritten by the next append too.
 * Events and result: promise.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promise.h"
#include "workload.h"

#define APPEND_FILE		"append.dat"
#define APPEND_MIN		4096
#define APPEND_MAX		(64 * 1024)
#define APPEND_MAX_OPS		64	/* keeps the file within 4 MiB */

static int append_fsync_run(const char *dir, struct json_object *args,
			    struct json_object *result, char *err, size_t errlen)
{
	static const char *const paths[] = { APPEND_FILE };
	struct pmt_crash c;
	unsigned char *data;
	size_t size = 0, len;
	int fd;

	if (pmt_crash_begin(&c, dir, args, APPEND_MAX_OPS, err, errlen))
		return -1;
	/* The file's expected content: what every promise hashes. */
	data = malloc((size_t)c.ops * APPEND_MAX);
	if (!data)
		return pmt_crash_fail(&c, "out of memory");
	fd = openat(c.dirfd, APPEND_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(data);
		return pmt_crash_fail(&c, "create %s/%s: %s", dir, APPEND_FILE, strerror(errno));
	}

	/* Op 0: the empty file, durable under its name. */
	pmt_crash_intend_file(&c, APPEND_FILE, data, 0);
	if (pmt_crash_progress(&c, paths, 1))
		goto no_ack;
	if (pmt_crash_fsync(&c, fd, APPEND_FILE, false) || pmt_crash_fsync_dir(&c))
		goto out;
	pmt_crash_promise_file(&c, APPEND_FILE, data, 0);
	pmt_crash_promise_prefix(&c, APPEND_FILE, data, 0);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		len = (size_t)pmt_crash_rand(&c, APPEND_MIN, APPEND_MAX);
		pmt_crash_fill(&c, data + size, len);
		pmt_crash_intend_file(&c, APPEND_FILE, data, size + len);
		if (pmt_crash_progress(&c, paths, 1))
			goto no_ack;
		if (pmt_pwrite_all(fd, data + size, len, (off_t)size)) {
			close(fd);
			free(data);
			return pmt_crash_fail(&c, "op %lld: append %zu bytes at %zu: %s",
					      c.op, len, size, strerror(errno));
		}
		size += len;
		if (pmt_crash_fsync(&c, fd, APPEND_FILE, false))
			goto out;
		pmt_crash_promise_file(&c, APPEND_FILE, data, size);
		pmt_crash_promise_prefix(&c, APPEND_FILE, data, size);
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

PMT_WORKLOAD_INFO(append_fsync, "append 4-64 KiB chunks, fsync each; promise size and hash");
