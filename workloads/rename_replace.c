// SPDX-License-Identifier: MIT
/*
 * rename_replace: the atomic-replace idiom.  Write the new content to a
 * temporary file, fsync it, rename it over the target, fsync the directory.
 *
 * rename(2) is atomic, so from the moment it starts the target is wholly
 * the old file or wholly the new one, never a mix or missing (the rename
 * promise, sent once the temporary file is durable).  Once the directory
 * fsync returns, it is the new one (the file promise), and the temporary
 * name is gone.  Sizes are not block multiples, on purpose.
 * Events and result: promise.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promise.h"
#include "workload.h"

#define REPLACE_FILE		"replace.dat"
#define REPLACE_TMP		"replace.dat.tmp"
#define REPLACE_MIN		1
#define REPLACE_MAX		(64 * 1024)
#define REPLACE_MAX_OPS		256

/*
 * Create @name holding @len bytes of @data and fsync it.  Returns 0, or -1
 * after pmt_crash_fail or sync-error: either way the run ends.
 */
static int write_synced(struct pmt_crash *c, const char *name, const void *data, size_t len)
{
	int fd, ret;

	fd = openat(c->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || pmt_pwrite_all(fd, data, len, 0)) {
		ret = errno;
		if (fd >= 0)
			close(fd);
		return pmt_crash_fail(c, "op %lld: write %s/%s: %s", c->op, c->dir, name,
				      strerror(ret));
	}
	ret = pmt_crash_fsync(c, fd, name, false);
	close(fd);
	return ret;
}

/* A script of intents, writes, fsyncs and promises that must read in this order. */
static int rename_replace_run(const char *dir, struct json_object *args,
			      struct json_object *result, char *err, size_t errlen)
{
	static const char *const target[] = { REPLACE_FILE };
	static const char *const tmp[] = { REPLACE_TMP };
	static const char *const both[] = { REPLACE_FILE, REPLACE_TMP };
	unsigned char *buf, *cur, *next, *swap;
	size_t cur_len, next_len;
	struct pmt_crash c;

	if (pmt_crash_begin(&c, dir, args, REPLACE_MAX_OPS, err, errlen))
		return -1;
	/* One buffer for both contents, so that every exit frees it once. */
	buf = malloc(2 * REPLACE_MAX);
	if (!buf)
		return pmt_crash_fail(&c, "out of memory");
	cur = buf;
	next = buf + REPLACE_MAX;
	/* A temporary file left by an earlier run would void "absent". */
	if (unlinkat(c.dirfd, REPLACE_TMP, 0) && errno != ENOENT) {
		pmt_crash_fail(&c, "unlink %s/%s: %s", dir, REPLACE_TMP, strerror(errno));
		goto out;
	}

	/* Op 0: the first target, written in place, durable under its name. */
	cur_len = (size_t)pmt_crash_rand(&c, REPLACE_MIN, REPLACE_MAX);
	pmt_crash_fill(&c, cur, cur_len);
	pmt_crash_intend_file(&c, REPLACE_FILE, cur, cur_len);
	if (pmt_crash_progress(&c, target, 1) ||
	    write_synced(&c, REPLACE_FILE, cur, cur_len) || pmt_crash_fsync_dir(&c))
		goto out;
	pmt_crash_promise_file(&c, REPLACE_FILE, cur, cur_len);
	pmt_crash_promise_exists(&c, REPLACE_TMP, false);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		next_len = (size_t)pmt_crash_rand(&c, REPLACE_MIN, REPLACE_MAX);
		pmt_crash_fill(&c, next, next_len);
		/* The target is untouched until rename(): only tmp changes. */
		pmt_crash_intend_file(&c, REPLACE_TMP, next, next_len);
		if (pmt_crash_progress(&c, tmp, 1) ||
		    write_synced(&c, REPLACE_TMP, next, next_len))
			goto out;
		pmt_crash_promise_rename(&c, REPLACE_FILE, cur, cur_len, next, next_len);
		pmt_crash_intend_file(&c, REPLACE_FILE, next, next_len);
		pmt_crash_intend_exists(&c, REPLACE_TMP, false);
		if (pmt_crash_progress(&c, both, 2))
			goto out;
		if (renameat(c.dirfd, REPLACE_TMP, c.dirfd, REPLACE_FILE)) {
			pmt_crash_fail(&c, "op %lld: rename %s over %s: %s", c.op,
				       REPLACE_TMP, REPLACE_FILE, strerror(errno));
			goto out;
		}
		if (pmt_crash_fsync_dir(&c))
			goto out;
		pmt_crash_promise_file(&c, REPLACE_FILE, next, next_len);
		pmt_crash_promise_exists(&c, REPLACE_TMP, false);
		c.ops_done = c.op;
		swap = cur;
		cur = next;
		next = swap;
		cur_len = next_len;
	}
out:
	free(buf);
	return pmt_crash_end(&c, result);
}

PMT_WORKLOAD_INFO(rename_replace, "write tmp, fsync, rename over the target, fsync the directory");
