// SPDX-License-Identifier: MIT
/*
 * falloc_punch: change a file's allocation rather than its bytes, fsync
 * after each change.
 *
 * Each op is one of: a write, fallocate() (which may extend the file),
 * a hole punched with FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, or
 * ftruncate() to a smaller or larger size.  Offsets are not block aligned,
 * so the filesystem must zero partial blocks itself.  Holes, preallocated
 * ranges and extensions all read as zeroes, which is what the promise's
 * hash expects after fsync.  Events and result: promise.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promise.h"
#include "workload.h"

#define FP_FILE			"falloc.dat"
#define FP_MAX_SIZE		(2 * 1024 * 1024)
#define FP_INITIAL_SIZE		(1024 * 1024)
#define FP_MAX_WRITE		(64 * 1024)
#define FP_MAX_RANGE		(256 * 1024)
#define FP_MAX_OPS		256

enum fp_action { FP_WRITE, FP_FALLOCATE, FP_PUNCH, FP_TRUNCATE, FP_NR_ACTIONS };

static const char *const fp_action_names[FP_NR_ACTIONS] = {
	"write", "fallocate", "punch", "truncate",
};

/* One op: what to do, chosen before anything changes. */
struct fp_step {
	enum fp_action act;
	size_t off, len;	/* write, fallocate, punch */
	size_t end;		/* truncate: the new size */
};

/*
 * Choose a random action and apply it to the model @data of @*size bytes
 * (bytes past *size are always zero there, as in a file).  The file is
 * changed later by fp_apply(), after the intent is out.
 */
static void fp_plan(struct pmt_crash *c, unsigned char *data, size_t *size, struct fp_step *st)
{
	st->act = (enum fp_action)pmt_crash_rand(c, 0, FP_NR_ACTIONS - 1);
	if (st->act == FP_PUNCH && *size == 0)
		st->act = FP_WRITE;
	switch (st->act) {
	case FP_WRITE:
		st->off = (size_t)pmt_crash_rand(c, 0, FP_MAX_SIZE - 1);
		st->len = (size_t)pmt_crash_rand(c, 1, FP_MAX_WRITE);
		if (st->len > FP_MAX_SIZE - st->off)
			st->len = FP_MAX_SIZE - st->off;
		pmt_crash_fill(c, data + st->off, st->len);
		if (st->off + st->len > *size)
			*size = st->off + st->len;
		return;
	case FP_FALLOCATE:
		st->off = (size_t)pmt_crash_rand(c, 0, FP_MAX_SIZE - 1);
		st->len = (size_t)pmt_crash_rand(c, 1, FP_MAX_RANGE);
		if (st->len > FP_MAX_SIZE - st->off)
			st->len = FP_MAX_SIZE - st->off;
		/* Existing bytes stay; the model is already zero past the end. */
		if (st->off + st->len > *size)
			*size = st->off + st->len;
		return;
	case FP_PUNCH:
		st->off = (size_t)pmt_crash_rand(c, 0, *size - 1);
		st->len = (size_t)pmt_crash_rand(c, 1, FP_MAX_RANGE);
		if (st->len > *size - st->off)
			st->len = *size - st->off;
		memset(data + st->off, 0, st->len);
		return;
	case FP_TRUNCATE:
	default:
		st->end = (size_t)pmt_crash_rand(c, 0, FP_MAX_SIZE);
		if (st->end < *size)
			memset(data + st->end, 0, *size - st->end);
		*size = st->end;
		return;
	}
}

/* Do @st to @fd (@data is the model after it).  0, or -1 with errno. */
static int fp_apply(int fd, const unsigned char *data, const struct fp_step *st)
{
	switch (st->act) {
	case FP_WRITE:
		return pmt_pwrite_all(fd, data + st->off, st->len, (off_t)st->off);
	case FP_FALLOCATE:
		return fallocate(fd, 0, (off_t)st->off, (off_t)st->len);
	case FP_PUNCH:
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 (off_t)st->off, (off_t)st->len);
	case FP_TRUNCATE:
	default:
		return ftruncate(fd, (off_t)st->end);
	}
}

static int falloc_punch_run(const char *dir, struct json_object *args,
			    struct json_object *result, char *err, size_t errlen)
{
	static const char *const paths[] = { FP_FILE };
	long long counts[FP_NR_ACTIONS] = { 0 };
	struct json_object *actions;
	struct fp_step st;
	struct pmt_crash c;
	unsigned char *data;
	size_t size = FP_INITIAL_SIZE;
	int fd, saved, i;

	if (pmt_crash_begin(&c, dir, args, FP_MAX_OPS, err, errlen))
		return -1;
	data = calloc(1, FP_MAX_SIZE);
	if (!data)
		return pmt_crash_fail(&c, "out of memory");
	fd = openat(c.dirfd, FP_FILE, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(data);
		return pmt_crash_fail(&c, "create %s/%s: %s", dir, FP_FILE, strerror(errno));
	}

	/* Op 0: 1 MiB of data to punch holes in, durable under its name. */
	pmt_crash_fill(&c, data, size);
	pmt_crash_intend_file(&c, FP_FILE, data, size);
	if (pmt_crash_progress(&c, paths, 1))
		goto no_ack;
	if (pmt_pwrite_all(fd, data, size, 0)) {
		saved = errno;
		close(fd);
		free(data);
		return pmt_crash_fail(&c, "write %s/%s: %s", dir, FP_FILE, strerror(saved));
	}
	if (pmt_crash_fsync(&c, fd, FP_FILE, false) || pmt_crash_fsync_dir(&c))
		goto out;
	pmt_crash_promise_file(&c, FP_FILE, data, size);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		fp_plan(&c, data, &size, &st);
		pmt_crash_intend_file(&c, FP_FILE, data, size);
		if (pmt_crash_progress(&c, paths, 1))
			goto no_ack;
		if (fp_apply(fd, data, &st)) {
			/* EOPNOTSUPP here means this fs cannot run the workload. */
			saved = errno;
			close(fd);
			free(data);
			return pmt_crash_fail(&c, "op %lld: %s on %s/%s: %s", c.op,
					      fp_action_names[st.act], dir, FP_FILE,
					      strerror(saved));
		}
		counts[st.act]++;
		if (pmt_crash_fsync(&c, fd, FP_FILE, false))
			goto out;
		pmt_crash_promise_file(&c, FP_FILE, data, size);
		c.ops_done = c.op;
	}
out:
	close(fd);
	free(data);
	actions = json_object_new_object();
	for (i = 0; i < FP_NR_ACTIONS; i++)
		json_object_object_add(actions, fp_action_names[i],
				       json_object_new_int64(counts[i]));
	json_object_object_add(result, "actions", actions);
	return pmt_crash_end(&c, result);
no_ack:
	close(fd);
	free(data);
	return -1;
}

PMT_WORKLOAD_INFO(falloc_punch, "fallocate, punch holes, truncate, write; fsync each; promise size and hash");
