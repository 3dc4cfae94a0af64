// SPDX-License-Identifier: MIT
/*
 * flushprobe: write files and fsync them, recording what every fsync
 * returned.  The guest side of the flusheio scenario, where the host's
 * fsync() of the virtio-pmem backing file fails (or is slow).
 *
 * A guest fsync ends in a flush request to the device: ext4's journal
 * commit and xfs's log write carry REQ_PREFLUSH/REQ_FUA, pmem_submit_bio()
 * calls nvdimm_flush(), and on virtio-pmem that is async_pmem_flush() ->
 * virtio_pmem_flush(), which waits for the host's answer to the request.
 * QEMU answers with the result of its own fsync() of the backing file.
 *
 * args: {"step":"load"|"fail"|"recover","files":N,"threads":T,"rounds":R,
 *        "ack":B}
 *
 * "load" (default): T threads share N files (N < T is raised to T); each
 *   round a thread overwrites 4 KiB of each of its files and fsyncs it.
 *   Result: {"fsyncs","failed","first_errno","max_ms","mean_ms",
 *            "per_thread":[{"fsyncs","failed","max_ms"}],"probes":[..]}
 *   with one probe record, path "fsync": ok when every fsync returned 0.
 *
 * "before" (optional, first): while the host still flushes honestly,
 *   write 16 KiB to before.dat and fsync it; a 0 promises its content
 *   (result "promise", event as below with "from":"fsync_before_failure"):
 *   what a power cut after the failure must still give back.  Result
 *   {"promise":{..}|null,"errno":E}; no probe records.
 *
 * "fail" then "recover": one writer, so the host can switch its flushes
 *   from failing back to honest between the two calls.  The host has made
 *   every flush fail before "fail" starts.
 *   fail:    create flush.dat, open it twice (fd A and fd B, both before
 *            any failure), write 64 KiB through A, fsync(A) ("fsync"),
 *            fsync(A) again while the host still fails ("fsync_retry").
 *            A and B stay open in this process (the agent) for the next
 *            call: that is the only way B can have been opened before the
 *            failure and asked after the host recovered.
 *   recover: fsync(A) ("fsync_after_recovery"); fsync(B), which reports a
 *            writeback error recorded in the file's errseq once
 *            ("fsync_other_fd"), then again ("fsync_other_fd_again"); a fd
 *            opened now ("fsync_new_fd": errseq reports nothing older than
 *            the open); read the 64 KiB back and compare
 *            ("read_after_recovery": the data written before the failure);
 *            write 4 KiB and fsync ("write_after_recovery").
 *   Both return {"probes":[records]}, records shaped like errprobe's:
 *   {"path","ok","step","errno","error","data_ok","ms"}.
 *   recover also returns what its fsyncs that returned 0 claim is durable,
 *   for the host to check after a power cut: "promise", a promise.h
 *   object {"kind":"file","path":"flush.dat","size":S,"hash":H} for the
 *   file's content as of the last of them, and "promise_from", that
 *   probe's path; or "promise":null with "promise_none" saying why (no
 *   fsync returned 0, or the last write changed the file and its fsync
 *   failed, so what is durable is not known).  The same object goes out
 *   as a "promise" event (with "op":0 and "from":probe path) once its
 *   fsync has returned; with args.ack (recover only) the event carries
 *   "ack":true and the workload waits for the host's ack before its next
 *   call, so that the host can stamp the promise with its count of
 *   completed host flushes (no later flush can be the guest's).  "before"
 *   takes args.ack too.  An ack
 *   that does not come ends the waiting: "ack_error" in the result.
 *
 * args.stamp (fail, recover): every fsync of the step is bracketed by two
 *   events that wait for the host's ack, {"probe":P,"ack":true} as
 *   "fsync_call" right before the call and {"probe":P,"errno":E,
 *   "ack":true} as "fsync_return" right after it, so that the host can
 *   stamp both with its own flush count: the host flushes that ran during
 *   the call are known in the host's order, whatever the guest's clock
 *   says (a restored guest's clock starts from the snapshot's).  Each of
 *   these fsyncs' records then carries "fd" ("opened before the failure"
 *   or "opened after the failure": what the file's errseq can report to
 *   it) and "fs_after", the filesystem's error state right after it
 *   (fsstate.h); the fail step's result has "fs_state", the state after
 *   its last fsync.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "errprobe.h"
#include "fsstate.h"
#include "hash.h"
#include "workload.h"

#define FP_FILE		"flush.dat"
#define FP_BEFORE	"before.dat"
#define FP_BEFORE_SIZE	(16 * 1024)
#define FP_SIZE		(64 * 1024)
#define FP_BLOCK	4096
#define FP_MAX_THREADS	256
#define FP_MAX_FILES	1024
#define FP_MAX_ROUNDS	10000

/* fd A and fd B of the fail/recover pair, kept between the two calls. */
static int keep_a = -1, keep_b = -1;
/* recover's args.ack, and why it stopped (no ack came). */
static bool want_ack;
static char ack_error[256];
static char keep_path[PATH_MAX];
/* args.stamp, and the mount the fsyncs are on (for fs_after). */
static bool want_stamp;
static const char *stamp_dir;

static unsigned char pattern(size_t pos, unsigned int gen)
{
	return (unsigned char)(pos * 7 + (pos >> 12) * 17 + gen * 31 + 0x5a);
}

static void fill(unsigned char *buf, size_t len, size_t pos, unsigned int gen)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(pos + i, gen);
}

static int sync_fd(int fd)
{
	int r;

	do {
		r = fsync(fd);
	} while (r && errno == EINTR);
	return r;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Event @event for probe @path (with @err unless < 0); wait for its ack. */
static void stamp(const char *event, const char *path, int err)
{
	struct json_object *ev;

	if (!want_stamp)
		return;
	ev = json_object_new_object();
	json_object_object_add(ev, "probe", json_object_new_string(path));
	if (err >= 0)
		json_object_object_add(ev, "errno", json_object_new_int(err));
	json_object_object_add(ev, "ack", json_object_new_boolean(true));
	pmt_workload_emit(event, ev);
	json_object_put(ev);
	if (pmt_workload_wait_ack(ack_error, sizeof(ack_error)))
		want_stamp = false;	/* ack_error says why */
}

/* fsync @fd as probe @path, stamped by the host (args.stamp).  errno or 0;
 * *@ms its time. */
static int stamped_fsync(const char *path, int fd, double *ms)
{
	double t0;
	int err;

	stamp("fsync_call", path, -1);
	t0 = errprobe_now_ms();
	err = sync_fd(fd) ? errno : 0;
	*ms = errprobe_now_ms() - t0;
	stamp("fsync_return", path, err);
	return err;
}

/* What a stamped fsync's record adds: the fd's age and the fs's state. */
static void add_fs_after(struct json_object *r, bool fd_before)
{
	if (!stamp_dir)
		return;
	json_object_object_add(r, "fd", json_object_new_string(
		fd_before ? "opened before the failure" : "opened after the failure"));
	json_object_object_add(r, "fs_after", fsstate_read(stamp_dir));
}

/* fsync @fd as access path @path; @fd_before: opened before the failure. */
static struct json_object *probe_fsync(const char *path, int fd, bool fd_before)
{
	double ms;
	int err = stamped_fsync(path, fd, &ms);
	struct json_object *r = errprobe_step_record(path, "fsync", err, ms);

	add_fs_after(r, fd_before);
	return r;
}

static void close_kept(void)
{
	if (keep_a >= 0)
		close(keep_a);
	if (keep_b >= 0)
		close(keep_b);
	keep_a = keep_b = -1;
}

static int step_fail(const char *dir, struct json_object *probes, char *err, size_t errlen)
{
	static unsigned char buf[FP_SIZE];
	double t0;
	int e;

	close_kept();
	if (snprintf(keep_path, sizeof(keep_path), "%s/%s", dir, FP_FILE) >= (int)sizeof(keep_path)) {
		snprintf(err, errlen, "path too long: %s", dir);
		return -1;
	}
	keep_a = open(keep_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	keep_b = keep_a < 0 ? -1 : open(keep_path, O_RDWR | O_CLOEXEC);
	if (keep_a < 0 || keep_b < 0) {
		snprintf(err, errlen, "open %s: %s", keep_path, strerror(errno));
		close_kept();
		return -1;
	}
	/* The write itself needs no flush: it lands in the pmem (DAX) or the
	 * page cache.  Only its fsync asks the host. */
	fill(buf, sizeof(buf), 0, 0);
	t0 = errprobe_now_ms();
	e = pwrite_all(keep_a, buf, sizeof(buf), 0) ? errno : 0;
	if (e) {
		json_object_array_add(probes, errprobe_step_record("fsync", "pwrite", e, errprobe_now_ms() - t0));
		return 0;
	}
	json_object_array_add(probes, probe_fsync("fsync", keep_a, true));
	json_object_array_add(probes, probe_fsync("fsync_retry", keep_a, true));
	return 0;
}

/* The promise a 0 from fsync makes for flush.dat holding @len bytes of @data. */
static struct json_object *file_promise(const char *path, const unsigned char *data, size_t len)
{
	struct json_object *p = json_object_new_object();
	char hex[PMT_HASH_HEX_LEN];

	pmt_hash_hex(pmt_hash(data, len), hex);
	json_object_object_add(p, "kind", json_object_new_string("file"));
	json_object_object_add(p, "path", json_object_new_string(path));
	json_object_object_add(p, "size", json_object_new_int64((int64_t)len));
	json_object_object_add(p, "hash", json_object_new_string(hex));
	return p;
}

/* After probe @r: if it is a 0 from fsync, the file's @data is promised. */
static void promise_path(const char *path, struct json_object *r, const unsigned char *data,
			 size_t len, struct json_object **promise, const char **from)
{
	struct json_object *ev;

	if (!json_object_get_boolean(json_object_object_get(r, "ok")) ||
	    strcmp(json_object_get_string(json_object_object_get(r, "step")), "fsync"))
		return;
	json_object_put(*promise);
	*promise = file_promise(path, data, len);
	*from = json_object_get_string(json_object_object_get(r, "path"));
	ev = json_object_new_object();
	json_object_object_add(ev, "op", json_object_new_int(0));
	json_object_object_foreach(*promise, k, v)
		json_object_object_add(ev, k, json_object_get(v));
	json_object_object_add(ev, "from", json_object_new_string(*from));
	if (want_ack)
		json_object_object_add(ev, "ack", json_object_new_boolean(true));
	pmt_workload_emit("promise", ev);
	json_object_put(ev);
	if (want_ack && pmt_workload_wait_ack(ack_error, sizeof(ack_error)))
		want_ack = false;	/* ack_error says why */
}

static void maybe_promise(struct json_object *r, const unsigned char *data, size_t len,
			  struct json_object **promise, const char **from)
{
	promise_path(FP_FILE, r, data, len, promise, from);
}

static int step_before(const char *dir, struct json_object *result, char *err, size_t errlen)
{
	static unsigned char buf[FP_BEFORE_SIZE];
	struct json_object *promise = NULL, *r;
	const char *from = NULL;
	char path[PATH_MAX];
	int fd, e;

	if (snprintf(path, sizeof(path), "%s/%s", dir, FP_BEFORE) >= (int)sizeof(path)) {
		snprintf(err, errlen, "path too long: %s", dir);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	fill(buf, sizeof(buf), 0, 2);
	e = pwrite_all(fd, buf, sizeof(buf), 0) ? errno : 0;
	r = e ? errprobe_step_record("fsync_before_failure", "pwrite", e, 0)
	      : probe_fsync("fsync_before_failure", fd, true);
	close(fd);
	promise_path(FP_BEFORE, r, buf, sizeof(buf), &promise, &from);
	json_object_object_add(result, "errno", json_object_new_int(
		json_object_get_int(json_object_object_get(r, "errno"))));
	json_object_put(r);
	json_object_object_add(result, "promise", promise);
	if (ack_error[0])
		json_object_object_add(result, "ack_error", json_object_new_string(ack_error));
	return 0;
}

/*
 * One function because its probes run in order on the kept fds and each may change the
 * one promise and the reason there is none; the write after recovery could be a helper
 * taking both by pointer.
 */
static int step_recover(struct json_object *probes, struct json_object *result,
			char *err, size_t errlen)
{
	static unsigned char content[FP_SIZE];	/* what the file holds in the guest */
	struct json_object *promise = NULL;
	const char *from = NULL, *none = "no fsync returned 0 after the failure";
	static unsigned char buf[FP_SIZE], want[FP_SIZE];
	struct json_object *r;
	double t0;
	int fd, e = 0;
	ssize_t n;

	if (keep_a < 0 || keep_b < 0) {
		snprintf(err, errlen, "\"recover\" needs a \"fail\" step before it");
		return -1;
	}
	fill(content, sizeof(content), 0, 0);
	r = probe_fsync("fsync_after_recovery", keep_a, true);
	json_object_array_add(probes, r);
	maybe_promise(r, content, sizeof(content), &promise, &from);
	r = probe_fsync("fsync_other_fd", keep_b, true);
	json_object_array_add(probes, r);
	maybe_promise(r, content, sizeof(content), &promise, &from);
	r = probe_fsync("fsync_other_fd_again", keep_b, true);
	json_object_array_add(probes, r);
	maybe_promise(r, content, sizeof(content), &promise, &from);

	fd = open(keep_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		json_object_array_add(probes, errprobe_step_record("fsync_new_fd", "open", errno, 0));
	} else {
		r = probe_fsync("fsync_new_fd", fd, false);
		json_object_array_add(probes, r);
		maybe_promise(r, content, sizeof(content), &promise, &from);
		close(fd);
	}

	/* What was written before the failure, through a fresh fd. */
	t0 = errprobe_now_ms();
	fd = open(keep_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errprobe_step_record("read_after_recovery", "open", errno, 0);
	} else {
		n = pread(fd, buf, sizeof(buf), 0);
		e = n < 0 ? errno : 0;
		close(fd);
		r = errprobe_step_record("read_after_recovery", "pread", e, errprobe_now_ms() - t0);
		if (!e) {
			fill(want, sizeof(want), 0, 0);
			json_object_object_add(r, "bytes", json_object_new_int64(n));
			json_object_object_add(r, "data_ok", json_object_new_boolean(
				n == (ssize_t)sizeof(buf) && !memcmp(buf, want, sizeof(buf))));
		}
	}
	json_object_array_add(probes, r);

	/* Does the filesystem still take writes once the host is fine again? */
	fill(buf, FP_BLOCK, 0, 1);
	t0 = errprobe_now_ms();
	/* One pwrite: -1 means it wrote nothing (the promise stands), a short
	 * count that it changed part of the block. */
	do {
		n = pwrite(keep_a, buf, FP_BLOCK, 0);
	} while (n < 0 && errno == EINTR);
	if (n != FP_BLOCK) {
		r = errprobe_step_record("write_after_recovery", "pwrite", n < 0 ? errno : EIO, errprobe_now_ms() - t0);
		if (n >= 0) {
			json_object_object_add(r, "bytes", json_object_new_int64(n));
			if (promise)
				none = "write_after_recovery's pwrite was short after a fsync "
				       "returned 0: what is durable is not known";
			json_object_put(promise);
			promise = NULL;
		}
	} else {
		double ms;

		memcpy(content, buf, FP_BLOCK);
		e = stamped_fsync("write_after_recovery", keep_a, &ms);
		if (e) {
			r = errprobe_step_record("write_after_recovery", "fsync", e, errprobe_now_ms() - t0);
			add_fs_after(r, true);
			if (promise)
				none = "write_after_recovery changed the file and its fsync failed: "
				       "what is durable is not known";
			json_object_put(promise);
			promise = NULL;
		} else {
			r = errprobe_step_record("write_after_recovery", "fsync", 0, errprobe_now_ms() - t0);
			add_fs_after(r, true);
			maybe_promise(r, content, sizeof(content), &promise, &from);
		}
	}
	json_object_array_add(probes, r);
	close_kept();
	json_object_object_add(result, "promise", promise);
	if (ack_error[0])
		json_object_object_add(result, "ack_error", json_object_new_string(ack_error));
	if (promise)
		json_object_object_add(result, "promise_from", json_object_new_string(from));
	else
		json_object_object_add(result, "promise_none", json_object_new_string(none));
	return 0;
}

/* ---- load: many concurrent flushers ---- */

struct flusher {
	pthread_t tid;
	const char *dir;
	int index, nthreads, nfiles;
	long long rounds;
	long long fsyncs, failed;
	int first_errno;
	double max_ms, sum_ms;
	char err[160];		/* a setup failure (open, write) */
};

static void *flusher_main(void *arg)
{
	struct flusher *f = arg;
	unsigned char buf[FP_BLOCK];
	int fds[FP_MAX_FILES];
	int nmine = 0;

	for (int i = f->index; i < f->nfiles; i += f->nthreads) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/flush-%04d.dat", f->dir, i);
		fds[nmine] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fds[nmine] < 0) {
			snprintf(f->err, sizeof(f->err), "open %s: %s", path, strerror(errno));
			goto out;
		}
		nmine++;
	}
	for (long long r = 0; r < f->rounds; r++) {
		for (int i = 0; i < nmine; i++) {
			double t0, ms;

			fill(buf, sizeof(buf), (size_t)r * FP_BLOCK, (unsigned int)f->index);
			if (pwrite_all(fds[i], buf, sizeof(buf), (off_t)(r % 16) * FP_BLOCK)) {
				snprintf(f->err, sizeof(f->err), "pwrite: %s", strerror(errno));
				goto out;
			}
			t0 = errprobe_now_ms();
			if (sync_fd(fds[i])) {
				if (!f->failed++)
					f->first_errno = errno;
			}
			ms = errprobe_now_ms() - t0;
			f->fsyncs++;
			f->sum_ms += ms;
			if (ms > f->max_ms)
				f->max_ms = ms;
		}
	}
out:
	for (int i = 0; i < nmine; i++)
		close(fds[i]);
	return NULL;
}

static int step_load(const char *dir, long long files, long long threads, long long rounds,
		     struct json_object *result, char *err, size_t errlen)
{
	struct flusher *fl = calloc((size_t)threads, sizeof(*fl));
	struct json_object *per = json_object_new_array(), *probes, *r;
	long long fsyncs = 0, failed = 0;
	double max_ms = 0, sum_ms = 0, t0 = errprobe_now_ms();
	int first_errno = 0, started = 0, rc = 0;

	if (!fl) {
		json_object_put(per);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (files < threads)
		files = threads;
	for (int i = 0; i < threads; i++) {
		fl[i] = (struct flusher){ .dir = dir, .index = i, .nthreads = (int)threads,
					  .nfiles = (int)files, .rounds = rounds };
		if (pthread_create(&fl[i].tid, NULL, flusher_main, &fl[i])) {
			snprintf(err, errlen, "pthread_create: %s", strerror(errno));
			rc = -1;
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		struct json_object *t = json_object_new_object();

		pthread_join(fl[i].tid, NULL);
		if (fl[i].err[0] && !rc) {
			snprintf(err, errlen, "thread %d: %s", i, fl[i].err);
			rc = -1;
		}
		fsyncs += fl[i].fsyncs;
		failed += fl[i].failed;
		if (fl[i].failed && !first_errno)
			first_errno = fl[i].first_errno;
		sum_ms += fl[i].sum_ms;
		if (fl[i].max_ms > max_ms)
			max_ms = fl[i].max_ms;
		json_object_object_add(t, "fsyncs", json_object_new_int64(fl[i].fsyncs));
		json_object_object_add(t, "failed", json_object_new_int64(fl[i].failed));
		json_object_object_add(t, "max_ms", json_object_new_double(fl[i].max_ms));
		json_object_array_add(per, t);
	}
	free(fl);
	if (rc) {
		json_object_put(per);
		return -1;
	}
	json_object_object_add(result, "threads", json_object_new_int64(threads));
	json_object_object_add(result, "files", json_object_new_int64(files));
	json_object_object_add(result, "rounds", json_object_new_int64(rounds));
	json_object_object_add(result, "fsyncs", json_object_new_int64(fsyncs));
	json_object_object_add(result, "failed", json_object_new_int64(failed));
	json_object_object_add(result, "first_errno", json_object_new_int(first_errno));
	json_object_object_add(result, "max_ms", json_object_new_double(max_ms));
	json_object_object_add(result, "mean_ms",
			       json_object_new_double(fsyncs ? sum_ms / (double)fsyncs : 0));
	json_object_object_add(result, "wall_ms", json_object_new_double(errprobe_now_ms() - t0));
	json_object_object_add(result, "per_thread", per);
	probes = json_object_new_array();
	r = errprobe_step_record("fsync", "fsync", first_errno, max_ms);
	json_object_object_add(r, "fsyncs", json_object_new_int64(fsyncs));
	json_object_object_add(r, "failed", json_object_new_int64(failed));
	json_object_array_add(probes, r);
	json_object_object_add(result, "probes", probes);
	return 0;
}

static int flushprobe_run(const char *dir, struct json_object *args,
			  struct json_object *result, char *err, size_t errlen)
{
	long long files, threads, rounds;
	struct json_object *probes;
	struct json_object *v;
	const char *step;
	int rc;

	if (arg_string(args, "step", false, &step, err, errlen) ||
	    arg_int(args, "files", 1, 1, FP_MAX_FILES, &files, err, errlen) ||
	    arg_int(args, "threads", 1, 1, FP_MAX_THREADS, &threads, err, errlen) ||
	    arg_int(args, "rounds", 1, 1, FP_MAX_ROUNDS, &rounds, err, errlen))
		return -1;
	if (!step || !strcmp(step, "load"))
		return step_load(dir, files, threads, rounds, result, err, errlen);
	if (strcmp(step, "fail") && strcmp(step, "recover") && strcmp(step, "before")) {
		snprintf(err, errlen, "argument \"step\" must be load, before, fail or recover");
		return -1;
	}
	want_ack = false;
	want_stamp = false;
	stamp_dir = NULL;
	ack_error[0] = '\0';
	if (json_object_object_get_ex(args, "stamp", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "argument \"stamp\" must be a boolean");
			return -1;
		}
		want_stamp = json_object_get_boolean(v) && strcmp(step, "before");
		stamp_dir = want_stamp ? dir : NULL;
	}
	if (json_object_object_get_ex(args, "ack", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "argument \"ack\" must be a boolean");
			return -1;
		}
		want_ack = json_object_get_boolean(v) && strcmp(step, "fail");
	}
	if (!strcmp(step, "before"))
		return step_before(dir, result, err, errlen);
	probes = json_object_new_array();
	rc = !strcmp(step, "fail") ? step_fail(dir, probes, err, errlen)
				   : step_recover(probes, result, err, errlen);
	if (rc) {
		json_object_put(probes);
		return -1;
	}
	if (!strcmp(step, "fail") && stamp_dir) {
		json_object_object_add(result, "fs_state", fsstate_read(stamp_dir));
		if (ack_error[0])
			json_object_object_add(result, "ack_error", json_object_new_string(ack_error));
	}
	json_object_object_add(result, "probes", probes);
	return 0;
}

PMT_WORKLOAD_INFO(flushprobe, "write files and fsync them from T threads; every fsync's errno and latency");
