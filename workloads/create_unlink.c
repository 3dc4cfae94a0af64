// SPDX-License-Identifier: MIT
/*
 * create_unlink: create and unlink many small files, then fsync the
 * directory once per op.
 *
 * Each op flips a batch of names from a fixed pool: a name that exists is
 * unlinked, one that does not is created with a few bytes.  The files
 * themselves are never fsynced: only the names are promised ("exists" or
 * "absent"), and those are directory entries, which the directory's fsync
 * makes durable.  Events and result: promise.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "promise.h"
#include "workload.h"

#define CU_NAMES		64	/* the pool */
#define CU_BATCH		8	/* names flipped per op */
#define CU_MAX_BYTES		256
#define CU_MAX_OPS		256
#define CU_NAME_LEN		16

static void cu_name(unsigned int i, char name[CU_NAME_LEN])
{
	snprintf(name, CU_NAME_LEN, "cu-%02u", i);
}

/* Create @name with a few pseudo-random bytes; -1 with errno. */
static int cu_create(struct pmt_crash *c, const char *name)
{
	unsigned char buf[CU_MAX_BYTES];
	size_t len = (size_t)pmt_crash_rand(c, 0, CU_MAX_BYTES);
	int fd, ret;

	fd = openat(c->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	pmt_crash_fill(c, buf, len);
	ret = pmt_pwrite_all(fd, buf, len, 0);
	if (ret) {
		ret = errno;
		close(fd);
		errno = ret;
		return -1;
	}
	close(fd);
	return 0;
}

static int create_unlink_run(const char *dir, struct json_object *args,
			     struct json_object *result, char *err, size_t errlen)
{
	static char names[CU_NAMES][CU_NAME_LEN];
	const char *touched[CU_NAMES];
	bool exists[CU_NAMES] = { false }, in_batch[CU_NAMES];
	long long created = 0, unlinked = 0;
	struct pmt_crash c;
	unsigned int i, j, n;

	if (pmt_crash_begin(&c, dir, args, CU_MAX_OPS, err, errlen))
		return -1;

	/* Op 0: no name of the pool exists (an earlier run may have left some). */
	for (i = 0; i < CU_NAMES; i++) {
		cu_name(i, names[i]);
		touched[i] = names[i];
		if (unlinkat(c.dirfd, names[i], 0) && errno != ENOENT)
			return pmt_crash_fail(&c, "unlink %s/%s: %s", dir, names[i],
					      strerror(errno));
	}
	for (i = 0; i < CU_NAMES; i++)
		pmt_crash_intend_exists(&c, names[i], false);
	if (pmt_crash_progress(&c, touched, CU_NAMES))
		return -1;
	if (pmt_crash_fsync_dir(&c))
		goto out;
	for (i = 0; i < CU_NAMES; i++)
		pmt_crash_promise_exists(&c, names[i], false);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		unsigned int batch[CU_BATCH], flips[CU_NAMES] = { 0 };

		/* The batch first, so its intents go out before any change. */
		for (j = 0; j < CU_BATCH; j++) {
			batch[j] = (unsigned int)pmt_crash_rand(&c, 0, CU_NAMES - 1);
			flips[batch[j]]++;
		}
		for (i = 0; i < CU_NAMES; i++) {
			if (!flips[i])
				continue;
			/* A name flipped twice may be seen in between, too. */
			pmt_crash_intend_exists(&c, names[i], exists[i] != (flips[i] % 2));
			if (flips[i] > 1)
				pmt_crash_intend_exists(&c, names[i], !exists[i]);
		}
		memset(in_batch, 0, sizeof(in_batch));
		n = 0;
		for (j = 0; j < CU_BATCH; j++) {
			i = batch[j];
			if (!in_batch[i])
				touched[n++] = names[i];
			in_batch[i] = true;
		}
		if (pmt_crash_progress(&c, touched, n))
			return -1;
		for (j = 0; j < CU_BATCH; j++) {
			i = batch[j];
			if (exists[i] ? unlinkat(c.dirfd, names[i], 0) : cu_create(&c, names[i]))
				return pmt_crash_fail(&c, "op %lld: %s %s/%s: %s", c.op,
						      exists[i] ? "unlink" : "create", dir,
						      names[i], strerror(errno));
			if (exists[i])
				unlinked++;
			else
				created++;
			exists[i] = !exists[i];
		}
		if (pmt_crash_fsync_dir(&c))
			goto out;
		for (i = 0; i < CU_NAMES; i++)
			if (in_batch[i])
				pmt_crash_promise_exists(&c, names[i], exists[i]);
		c.ops_done = c.op;
	}
out:
	json_object_object_add(result, "created", json_object_new_int64(created));
	json_object_object_add(result, "unlinked", json_object_new_int64(unlinked));
	return pmt_crash_end(&c, result);
}

PMT_WORKLOAD_INFO(create_unlink, "create and unlink small files, fsync the directory; promise each name");
