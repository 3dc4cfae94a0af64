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

/* Create @name holding @len bytes of @data (not synced yet); -1 with errno. */
static int write_file(struct pmt_crash *c, const char *name, const void *data, size_t len,
		      int *fdp)
{
	*fdp = openat(c->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (*fdp < 0)
		return -1;
	return pmt_pwrite_all(*fdp, data, len, 0);
}

/*
 * Long because the workload is a script of intents, writes, fsyncs and promises that must
 * read in this order; each failure frees the two buffers itself, which a shared exit
 * label would shorten.
 */
static int rename_replace_run(const char *dir, struct json_object *args,
			      struct json_object *result, char *err, size_t errlen)
{
	static const char *const target[] = { REPLACE_FILE };
	static const char *const tmp[] = { REPLACE_TMP };
	static const char *const both[] = { REPLACE_FILE, REPLACE_TMP };
	unsigned char *cur, *next, *swap;
	size_t cur_len, next_len;
	struct pmt_crash c;
	int fd, ret;

	if (pmt_crash_begin(&c, dir, args, REPLACE_MAX_OPS, err, errlen))
		return -1;
	cur = malloc(REPLACE_MAX);
	next = malloc(REPLACE_MAX);
	if (!cur || !next) {
		free(cur);
		free(next);
		return pmt_crash_fail(&c, "out of memory");
	}
	/* A temporary file left by an earlier run would void "absent". */
	if (unlinkat(c.dirfd, REPLACE_TMP, 0) && errno != ENOENT) {
		free(cur);
		free(next);
		return pmt_crash_fail(&c, "unlink %s/%s: %s", dir, REPLACE_TMP, strerror(errno));
	}

	/* Op 0: the first target, written in place, durable under its name. */
	cur_len = (size_t)pmt_crash_rand(&c, REPLACE_MIN, REPLACE_MAX);
	pmt_crash_fill(&c, cur, cur_len);
	pmt_crash_intend_file(&c, REPLACE_FILE, cur, cur_len);
	if (pmt_crash_progress(&c, target, 1))
		goto no_ack;
	if (write_file(&c, REPLACE_FILE, cur, cur_len, &fd)) {
		ret = errno;
		if (fd >= 0)
			close(fd);
		free(cur);
		free(next);
		return pmt_crash_fail(&c, "write %s/%s: %s", dir, REPLACE_FILE, strerror(ret));
	}
	ret = pmt_crash_fsync(&c, fd, REPLACE_FILE, false);
	close(fd);
	if (ret || pmt_crash_fsync_dir(&c))
		goto out;
	pmt_crash_promise_file(&c, REPLACE_FILE, cur, cur_len);
	pmt_crash_promise_exists(&c, REPLACE_TMP, false);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		next_len = (size_t)pmt_crash_rand(&c, REPLACE_MIN, REPLACE_MAX);
		pmt_crash_fill(&c, next, next_len);
		/* The target is untouched until rename(): only tmp changes. */
		pmt_crash_intend_file(&c, REPLACE_TMP, next, next_len);
		if (pmt_crash_progress(&c, tmp, 1))
			goto no_ack;
		if (write_file(&c, REPLACE_TMP, next, next_len, &fd)) {
			ret = errno;
			if (fd >= 0)
				close(fd);
			free(cur);
			free(next);
			return pmt_crash_fail(&c, "op %lld: write %s/%s: %s", c.op, dir,
					      REPLACE_TMP, strerror(ret));
		}
		ret = pmt_crash_fsync(&c, fd, REPLACE_TMP, false);
		close(fd);
		if (ret)
			goto out;
		pmt_crash_promise_rename(&c, REPLACE_FILE, cur, cur_len, next, next_len);
		pmt_crash_intend_file(&c, REPLACE_FILE, next, next_len);
		pmt_crash_intend_exists(&c, REPLACE_TMP, false);
		if (pmt_crash_progress(&c, both, 2))
			goto no_ack;
		if (renameat(c.dirfd, REPLACE_TMP, c.dirfd, REPLACE_FILE)) {
			ret = errno;
			free(cur);
			free(next);
			return pmt_crash_fail(&c, "op %lld: rename %s over %s: %s", c.op,
					      REPLACE_TMP, REPLACE_FILE, strerror(ret));
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
	free(cur);
	free(next);
	return pmt_crash_end(&c, result);
no_ack:
	free(cur);
	free(next);
	return -1;
}

PMT_WORKLOAD_INFO(rename_replace, "write tmp, fsync, rename over the target, fsync the directory");
