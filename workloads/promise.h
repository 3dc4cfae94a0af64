/* SPDX-License-Identifier: MIT */
/*
 * What the crash-consistency workloads share: reproducible data, the
 * events they stream to the host, and syncs that stop the run on failure.
 *
 * Events (pmt_workload_emit), in the order a workload sends them:
 *   {"event":"intent","op":K,"kind":"file","path":P,"size":S,"hash":H,"sectors":".."}
 *   {"event":"intent","op":K,"kind":"exists"|"absent","path":P}
 *       what P will be once the change the next progress event starts has
 *       been synced: the promise that op will make.  Sent before that
 *       progress event; a change may announce several paths.
 *   {"event":"progress","op":K,"paths":["a.dat",..],"ack":true}
 *       a change to these paths starts now; a path without an intent since
 *       the previous progress is changed in a way the workload does not
 *       describe (opaque).  Op 0 is the setup (creating the files).  With
 *       args.ack the workload then waits for the host's "ack" request
 *       before it changes anything: the host stamps the change with its
 *       count of completed host flushes while the guest is held.
 *   {"event":"promise","op":K,"kind":"file","path":P,"size":S,"hash":H,"sectors":".."}
 *   {"event":"promise","op":K,"kind":"exists","path":P}
 *   {"event":"promise","op":K,"kind":"absent","path":P}
 *   {"event":"promise","op":K,"kind":"rename","path":P,
 *    "old_hash":H1,"new_hash":H2,"size_old":S1,"size_new":S2}
 *   {"event":"promise","op":K,"kind":"prefix","path":P,"size":S,"hash":H}
 *       sent only once the sync that makes it true has returned 0.  Paths
 *       are relative to the workload's directory, hashes are as in hash.h,
 *       "sectors" (files up to PMT_SECTORS_MAX_SIZE) too.
 *       A rename promise means P is wholly old or wholly new; the "file"
 *       promise for the new content follows the directory fsync.  A prefix
 *       promise means P has at least S bytes and the first S hash to H.
 *   Which promises are in force at which host flush, and what an intent
 *       allows meanwhile: harness/check/promises.h.
 *   {"event":"sync-error","op":K,"call":"fsync","path":P,"errno":E,"error":".."}
 *       a sync failed; the workload stops and returns its result.
 *
 * Result: {"ops_done":N,"syncs":N} and, after a failed sync,
 * "sync_error":{"op":K,"call":..,"errno":E}.
 */
#ifndef PMT_PROMISE_H
#define PMT_PROMISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#define PMT_CRASH_DEFAULT_OPS	20

struct pmt_crash {
	const char *dir;
	int dirfd;		/* O_DIRECTORY, for openat() and the dir fsync */
	uint64_t rng;		/* splitmix64 state, from args.seed */
	long long ops;		/* requested */
	long long op;		/* the one in progress */
	long long ops_done;	/* ops whose promises are out */
	long long syncs;	/* syncs that returned 0 */
	bool ack;		/* args.ack: wait for the host at each progress */
	bool failed;		/* could not go on: c->err says why */
	bool sync_failed;
	int sync_errno;
	const char *sync_call;
	char *err;
	size_t errlen;
};

/*
 * Parse {"ops":N,"seed":S,"ack":B} (ops in [1, @max_ops]) and open @dir.  Returns 0,
 * or -1 with the reason in @err.  Pair with pmt_crash_end().
 */
int pmt_crash_begin(struct pmt_crash *c, const char *dir, struct json_object *args,
		    long long max_ops, char *err, size_t errlen);
/*
 * Fill @result, close the directory; returns 0 (a failed sync is a result),
 * or -1 when the run failed (pmt_crash_fail, or no ack), so that a
 * workload can leave by one exit whatever stopped it.
 */
int pmt_crash_end(struct pmt_crash *c, struct json_object *result);
/* For a workload's own failure: close the directory and return -1. */
int pmt_crash_fail(struct pmt_crash *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

uint64_t pmt_crash_rand(struct pmt_crash *c, uint64_t lo, uint64_t hi);
void pmt_crash_fill(struct pmt_crash *c, void *buf, size_t len);

/*
 * A change of op c->op to @n paths starts: send progress and, with
 * args.ack, wait for the host's ack.  Returns 0, or -1 with the reason in
 * c->err (no ack: the caller stops with pmt_crash_fail's return, -1).
 */
int pmt_crash_progress(struct pmt_crash *c, const char *const *paths, size_t n);

/* Intents, sent before the progress that starts the change (see above). */
void pmt_crash_intend_file(struct pmt_crash *c, const char *path,
			   const void *data, size_t size);
void pmt_crash_intend_exists(struct pmt_crash *c, const char *path, bool exists);

/*
 * fsync (or fdatasync when @data_only) of @fd, which is @path ("." for the
 * directory).  Returns 0, or -1 after sending sync-error: the caller stops.
 */
int pmt_crash_fsync(struct pmt_crash *c, int fd, const char *path, bool data_only);
int pmt_crash_fsync_dir(struct pmt_crash *c);
/* msync(MS_SYNC) of [@addr, @addr + @len) of @path; as above. */
int pmt_crash_msync(struct pmt_crash *c, void *addr, size_t len, const char *path);

void pmt_crash_promise_file(struct pmt_crash *c, const char *path,
			    const void *data, size_t size);
void pmt_crash_promise_prefix(struct pmt_crash *c, const char *path,
			      const void *data, size_t size);
void pmt_crash_promise_exists(struct pmt_crash *c, const char *path, bool exists);
void pmt_crash_promise_rename(struct pmt_crash *c, const char *path,
			      const void *old_data, size_t size_old,
			      const void *new_data, size_t size_new);

/*
 * The one file most workloads change, and its expected content: what the
 * promises about it hash.  The helpers below are the steps every such
 * workload takes in the same order: intent, progress, change, sync, promise.
 */
struct pmt_crash_file {
	const char *name;	/* in the workload's directory */
	int fd;			/* O_RDWR; -1 once closed */
	unsigned char *data;	/* the expected content, zero past @size */
	size_t size;		/* of the expected content now */
};

/*
 * Allocate @cap zeroed bytes of expected content (size 0) and create
 * @name, truncated.  Returns 0, or -1 after pmt_crash_fail.  Pair with
 * pmt_crash_file_end() or pmt_crash_file_fail().
 */
int pmt_crash_file_create(struct pmt_crash *c, struct pmt_crash_file *f,
			  const char *name, size_t cap);
/* Close and free @f, then pmt_crash_end(); returns what that returns. */
int pmt_crash_file_end(struct pmt_crash *c, struct pmt_crash_file *f,
		       struct json_object *result);
/* Close and free @f, then pmt_crash_fail(); returns -1. */
int pmt_crash_file_fail(struct pmt_crash *c, struct pmt_crash_file *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * The change of op c->op to @f starts: intend its expected content, send
 * progress.  Returns 0, or -1 (no ack): the caller ends the run.
 */
int pmt_crash_file_change(struct pmt_crash *c, struct pmt_crash_file *f);
/*
 * pmt_crash_file_change(), then write bytes [@off, @off + @len) of the
 * expected content to the file.  Returns 0, or -1 (no ack, or after
 * pmt_crash_fail): the caller ends the run.
 */
int pmt_crash_file_write(struct pmt_crash *c, struct pmt_crash_file *f, size_t off, size_t len);
/*
 * fsync (fdatasync when @data_only) @f and, when @new_name, the directory
 * too; then promise its expected content.  Returns 0, or -1 after
 * sync-error: the caller ends the run.
 */
int pmt_crash_file_commit(struct pmt_crash *c, struct pmt_crash_file *f,
			  bool data_only, bool new_name);

/*
 * pwrite all of @buf at @off, counting what got in, in @done (a short
 * write is the fs filling up).  Returns 0, or -1 with errno (ENOSPC for a
 * write that made no progress).
 */
int pmt_pwrite_count(int fd, const void *buf, size_t len, off_t off, size_t *done);
/* pmt_pwrite_count() without the count. */
int pmt_pwrite_all(int fd, const void *buf, size_t len, off_t off);

#endif /* PMT_PROMISE_H */
