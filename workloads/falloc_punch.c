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
	long long counts[FP_NR_ACTIONS] = { 0 };
	struct json_object *actions;
	struct pmt_crash_file f;
	struct fp_step st;
	struct pmt_crash c;
	int i;

	if (pmt_crash_begin(&c, dir, args, FP_MAX_OPS, err, errlen) ||
	    pmt_crash_file_create(&c, &f, FP_FILE, FP_MAX_SIZE))
		return -1;

	/* Op 0: 1 MiB of data to punch holes in, durable under its name. */
	f.size = FP_INITIAL_SIZE;
	pmt_crash_fill(&c, f.data, f.size);
	if (pmt_crash_file_write(&c, &f, 0, f.size) || pmt_crash_file_commit(&c, &f, false, true))
		goto out;

	for (c.op = 1; c.op <= c.ops; c.op++) {
		fp_plan(&c, f.data, &f.size, &st);
		if (pmt_crash_file_change(&c, &f))
			goto out;
		/* EOPNOTSUPP here means this fs cannot run the workload. */
		if (fp_apply(f.fd, f.data, &st))
			return pmt_crash_file_fail(&c, &f, "op %lld: %s on %s/%s: %s", c.op,
						   fp_action_names[st.act], dir, FP_FILE,
						   strerror(errno));
		counts[st.act]++;
		if (pmt_crash_file_commit(&c, &f, false, false))
			goto out;
		c.ops_done = c.op;
	}
out:
	actions = json_object_new_object();
	for (i = 0; i < FP_NR_ACTIONS; i++)
		json_object_object_add(actions, fp_action_names[i],
				       json_object_new_int64(counts[i]));
	json_object_object_add(result, "actions", actions);
	return pmt_crash_file_end(&c, &f, result);
}

PMT_WORKLOAD_INFO(falloc_punch, "fallocate, punch holes, truncate, write; fsync each; promise size and hash");
