// SPDX-License-Identifier: MIT
/*
 * flushstorm: flush requests from many threads at once, the guest half of
 * the flushstorm injector (injectors/flushstorm.c).
 *
 * Every way a guest asks the virtio-pmem device for a flush ends in
 * nvdimm_flush() -> async_pmem_flush() -> virtio_pmem_flush(), one request
 * on the device's single virtqueue (drivers/nvdimm/nd_virtio.c):
 *   fsync      ext4/xfs fsync of a file just written: a journal/log commit
 *              bio with REQ_PREFLUSH|REQ_FUA, or blkdev_issue_flush() when
 *              there is nothing to commit;
 *   fdatasync  the same without the timestamp-only metadata;
 *   raw        fsync() of the block device itself (blkdev_fsync ->
 *              blkdev_issue_flush): a bare PREFLUSH, nothing written;
 *   osync      a pwrite() on an O_SYNC fd (generic_write_sync ->
 *              vfs_fsync_range inside the write);
 *   odsync     the same with O_DSYNC.
 * Thread i uses kind i % nkinds.  All threads start each round together
 * (a barrier) and each issues "burst" flushes back to back, so up to
 * threads x burst requests are wanted at once.  A kernel that serializes
 * its flushes (flush_lock, "nvdimm: virtio_pmem: serialize flush
 * requests") sends them one at a time; one that does not fills the
 * 128-entry queue and waits on req_list for a free slot (-ENOSPC).
 *
 * Clock: flush times are CLOCK_REALTIME in microseconds, to be matched
 * with the host shim's rt0_us/rt1_us.  Before and after the storm the
 * program sends "clock" events {"t1":us,"ack":true} and waits for the
 * host's ack, noting when it came (t2): the host stamps each event with
 * its own clock on arrival (h), and the guest-to-host offset is then in
 * [h - t2, h - t1].  Right before the threads start it sends "storm"
 * {"ack":true} and waits for the ack: the host arms its hold then, so
 * that the held host flush is a storm flush, not a setup one.
 *
 * args: {"threads":T,"rounds":R,"burst":B,"kinds":"fsync,fdatasync,raw,
 *        osync,odsync","dev":"/dev/pmem0","sync":K,"hang_s":S}
 * result: {"kinds":[..],"threads","rounds","burst","clock":[[t1,t2],..],
 *          "flushes":[[kind,call_us,ret_us,errno],..],"count","failed",
 *          "first_errno","wall_ms","per_s","p50_ms","p99_ms","max_ms",
 *          "stuck":N}
 * A flush that has not returned after hang_s seconds (the threads are
 * joined with a bound) leaves its thread behind: "stuck" counts them and
 * the flushes they made so far are not reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "workload.h"

#define FS_MAX_THREADS	256
#define FS_MAX_FLUSHES	200000
#define FS_BLOCK	4096
#define FS_KINDS	5

enum fs_kind { K_FSYNC, K_FDATASYNC, K_RAW, K_OSYNC, K_ODSYNC };
static const char *const kind_names[FS_KINDS] = { "fsync", "fdatasync", "raw", "osync", "odsync" };

struct fs_rec {
	int64_t call_us, ret_us;
	int err;
};

struct stormer {
	pthread_t tid;
	enum fs_kind kind;
	int index, fd;
	long long rounds, burst;
	pthread_barrier_t *bar;
	struct fs_rec *recs;	/* rounds * burst */
	long long n;
	char err[160];
	atomic_bool done;
};

static int64_t rt_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *stormer_main(void *arg)
{
	struct stormer *s = arg;
	unsigned char buf[FS_BLOCK];

	for (long long r = 0; r < s->rounds; r++) {
		pthread_barrier_wait(s->bar);
		for (long long b = 0; b < s->burst; b++) {
			struct fs_rec *rec = &s->recs[s->n];
			off_t off = (off_t)((r * s->burst + b) % 16) * FS_BLOCK;
			int rc;

			memset(buf, (int)(r * 31 + b + s->index), sizeof(buf));
			if (s->kind != K_RAW && s->kind != K_OSYNC && s->kind != K_ODSYNC &&
			    pwrite(s->fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf)) {
				snprintf(s->err, sizeof(s->err), "pwrite: %s", strerror(errno));
				goto out;
			}
			rec->call_us = rt_us();
			switch (s->kind) {
			case K_FSYNC:
			case K_RAW:
				rc = fsync(s->fd);
				break;
			case K_FDATASYNC:
				rc = fdatasync(s->fd);
				break;
			default:
				rc = pwrite(s->fd, buf, sizeof(buf), off) == (ssize_t)sizeof(buf) ? 0 : -1;
				if (rc && !errno)
					errno = EIO;
				break;
			}
			rec->ret_us = rt_us();
			rec->err = rc ? errno : 0;
			s->n++;
		}
	}
out:
	atomic_store(&s->done, true);
	return NULL;
}

/* One clock exchange with the host (see the top). */
static void clock_sync(struct json_object *clock, char *why, size_t len)
{
	struct json_object *ev = json_object_new_object(), *pair;
	int64_t t1 = rt_us();

	json_object_object_add(ev, "t1", json_object_new_int64(t1));
	json_object_object_add(ev, "ack", json_object_new_boolean(true));
	pmt_workload_emit("clock", ev);
	json_object_put(ev);
	if (pmt_workload_wait_ack(why, len))
		return;
	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_int64(t1));
	json_object_array_add(pair, json_object_new_int64(rt_us()));
	json_object_array_add(clock, pair);
}

static int cmp_ms(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int parse_kinds(const char *s, enum fs_kind *kinds, int *n, char *err, size_t errlen)
{
	char buf[128], *save = NULL;

	*n = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		int k;

		for (k = 0; k < FS_KINDS && strcmp(t, kind_names[k]); k++)
			;
		if (k == FS_KINDS || *n == FS_KINDS) {
			snprintf(err, errlen, "kinds: \"%s\" is not fsync, fdatasync, raw, osync or odsync", t);
			return -1;
		}
		kinds[(*n)++] = (enum fs_kind)k;
	}
	if (!*n) {
		snprintf(err, errlen, "kinds: none given");
		return -1;
	}
	return 0;
}

static int open_for(const char *dir, const char *dev, struct stormer *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int flags = O_RDWR | O_CREAT | O_CLOEXEC;

	if (s->kind == K_RAW) {
		/* Not exclusive, nothing written: only its flush. */
		s->fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			snprintf(err, errlen, "open %s: %s", dev, strerror(errno));
		return s->fd < 0 ? -1 : 0;
	}
	if (s->kind == K_OSYNC)
		flags |= O_SYNC;
	if (s->kind == K_ODSYNC)
		flags |= O_DSYNC;
	snprintf(path, sizeof(path), "%s/storm-%03d.dat", dir, s->index);
	s->fd = open(path, flags, 0644);
	if (s->fd < 0)
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
	return s->fd < 0 ? -1 : 0;
}

/* The program's arguments (see the top), checked. */
struct storm_args {
	long long threads, rounds, burst, nsync, hang_s;
	const char *dev;
	enum fs_kind kinds[FS_KINDS];
	int nk;
};

/* What the stormers' records add up to: the flushes array and the latencies. */
struct storm_tally {
	struct json_object *flushes;
	double *lat;		/* sorted, count of them */
	long long count, failed;
	int first_errno;
};

/* @args into @a, with the defaults of the top; 0, or -1 with @err. */
static int parse_storm_args(struct json_object *args, struct storm_args *a, char *err, size_t errlen)
{
	const char *kinds_s;

	if (arg_int(args, "threads", 8, 1, FS_MAX_THREADS, &a->threads, err, errlen) ||
	    arg_int(args, "rounds", 10, 1, 100000, &a->rounds, err, errlen) ||
	    arg_int(args, "burst", 4, 1, 1000, &a->burst, err, errlen) ||
	    arg_int(args, "sync", 3, 0, 20, &a->nsync, err, errlen) ||
	    arg_int(args, "hang_s", 60, 1, 3600, &a->hang_s, err, errlen) ||
	    arg_string(args, "kinds", false, &kinds_s, err, errlen) ||
	    arg_string(args, "dev", false, &a->dev, err, errlen))
		return -1;
	if (!a->dev)
		a->dev = "/dev/pmem0";
	if (parse_kinds(kinds_s ? kinds_s : "fsync,fdatasync,raw,osync,odsync", a->kinds, &a->nk,
			err, errlen))
		return -1;
	if (a->threads * a->rounds * a->burst > FS_MAX_FLUSHES) {
		snprintf(err, errlen, "threads x rounds x burst is more than %d", FS_MAX_FLUSHES);
		return -1;
	}
	return 0;
}

/*
 * Each stormer's kind, records and file, the file written and synced
 * before the storm.  Every fd is -1 or open on return, so the caller's
 * cleanup can close them.  0, or -1 with @err.
 */
static int prepare_stormers(struct stormer *st, const struct storm_args *a, pthread_barrier_t *bar,
			    const char *dir, char *err, size_t errlen)
{
	for (int i = 0; i < a->threads; i++)
		st[i].fd = -1;
	for (int i = 0; i < a->threads; i++) {
		st[i].index = i;
		st[i].kind = a->kinds[i % a->nk];
		st[i].rounds = a->rounds;
		st[i].burst = a->burst;
		st[i].bar = bar;
		st[i].recs = calloc((size_t)(a->rounds * a->burst), sizeof(*st[i].recs));
		if (!st[i].recs) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (open_for(dir, a->dev, &st[i], err, errlen))
			return -1;
		/* The file exists with its blocks before the storm: the storm's
		 * fsyncs commit the overwrites, not the allocation. */
		if (st[i].kind != K_RAW) {
			static const unsigned char zero[16 * FS_BLOCK];

			if (pwrite(st[i].fd, zero, sizeof(zero), 0) != (ssize_t)sizeof(zero) ||
			    fsync(st[i].fd)) {
				snprintf(err, errlen, "preparing storm-%03d.dat: %s", i, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

/* The "storm" event, and the host's ack (see the top); a failure goes to @why. */
static void announce_storm(char *why, size_t len)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "ack", json_object_new_boolean(true));
	pmt_workload_emit("storm", ev);
	json_object_put(ev);
	pmt_workload_wait_ack(why, len);
}

/*
 * Start the @threads stormers, counting them in @started.  0, or -1 with
 * @err once the ones started are cancelled.
 */
static int start_stormers(struct stormer *st, long long threads, int *started,
			  char *err, size_t errlen)
{
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&st[i].tid, NULL, stormer_main, &st[i])) {
			/* The barrier counts every thread: none can start alone. */
			snprintf(err, errlen, "pthread_create: %s", strerror(errno));
			for (int k = 0; k < i; k++)
				pthread_cancel(st[k].tid);
			return -1;
		}
		(*started)++;
	}
	return 0;
}

/*
 * Join the @started stormers, each within @hang_s seconds: a thread stuck
 * in a flush is a finding, left running.  Returns how many are stuck.
 */
static int join_stormers(struct stormer *st, int started, long long hang_s)
{
	int stuck = 0;

	for (int i = 0; i < started; i++) {
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += (time_t)hang_s;
		while (!atomic_load(&st[i].done)) {
			struct timespec now, nap = { 0, 20 * 1000 * 1000 };

			clock_gettime(CLOCK_REALTIME, &now);
			if (now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec))
				break;
			nanosleep(&nap, NULL);
		}
		if (atomic_load(&st[i].done))
			pthread_join(st[i].tid, NULL);
		else
			stuck++;
	}
	return stuck;
}

/*
 * The records of the stormers that finished into @t (flushes array and
 * sorted latencies; @t->lat is the caller's to free).  0, or -1 with @err
 * when a thread failed and none is stuck.
 */
static int collect_flushes(struct stormer *st, long long nflushes, long long threads, int stuck,
			   struct storm_tally *t, char *err, size_t errlen)
{
	t->flushes = json_object_new_array();
	t->lat = malloc(sizeof(*t->lat) * (size_t)nflushes + 1);
	for (int i = 0; i < threads && t->lat; i++) {
		if (st[i].err[0] && !stuck) {
			snprintf(err, errlen, "thread %d: %s", i, st[i].err);
			json_object_put(t->flushes);
			t->flushes = NULL;
			return -1;
		}
		if (!atomic_load(&st[i].done))
			continue;
		for (long long k = 0; k < st[i].n; k++) {
			struct fs_rec *r = &st[i].recs[k];
			struct json_object *a = json_object_new_array();

			json_object_array_add(a, json_object_new_int(st[i].kind));
			json_object_array_add(a, json_object_new_int64(r->call_us));
			json_object_array_add(a, json_object_new_int64(r->ret_us));
			json_object_array_add(a, json_object_new_int(r->err));
			json_object_array_add(t->flushes, a);
			t->lat[t->count++] = (double)(r->ret_us - r->call_us) / 1000.0;
			if (r->err && !t->failed++)
				t->first_errno = r->err;
		}
	}
	if (t->lat && t->count)
		qsort(t->lat, (size_t)t->count, sizeof(*t->lat), cmp_ms);
	return 0;
}

/* The result of the top into @result; it takes @t->flushes, and a reference to @clock. */
static void put_result(struct json_object *result, const struct storm_args *a,
		       struct json_object *clock, const char *why, const struct storm_tally *t,
		       int stuck, int64_t wall_us)
{
	struct json_object *kn = json_object_new_array();
	long long count = t->count;

	for (int i = 0; i < a->nk; i++)
		json_object_array_add(kn, json_object_new_string(kind_names[a->kinds[i]]));
	json_object_object_add(result, "kinds", kn);
	json_object_object_add(result, "kind_names", json_object_new_string(
		"fsync=0 fdatasync=1 raw=2 osync=3 odsync=4"));
	json_object_object_add(result, "threads", json_object_new_int64(a->threads));
	json_object_object_add(result, "rounds", json_object_new_int64(a->rounds));
	json_object_object_add(result, "burst", json_object_new_int64(a->burst));
	json_object_object_add(result, "clock", json_object_get(clock));
	if (why[0])
		json_object_object_add(result, "clock_error", json_object_new_string(why));
	json_object_object_add(result, "flushes", t->flushes);
	json_object_object_add(result, "count", json_object_new_int64(count));
	json_object_object_add(result, "failed", json_object_new_int64(t->failed));
	json_object_object_add(result, "first_errno", json_object_new_int(t->first_errno));
	json_object_object_add(result, "stuck", json_object_new_int(stuck));
	json_object_object_add(result, "wall_ms", json_object_new_double((double)wall_us / 1000.0));
	json_object_object_add(result, "per_s", json_object_new_double(
		wall_us > 0 ? (double)count * 1e6 / (double)wall_us : 0));
	json_object_object_add(result, "p50_ms", json_object_new_double(count ? t->lat[count / 2] : 0));
	json_object_object_add(result, "p99_ms", json_object_new_double(
		count ? t->lat[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1] : 0));
	json_object_object_add(result, "max_ms", json_object_new_double(count ? t->lat[count - 1] : 0));
}

/*
 * The storm: set up, clock exchanges, start, a bounded join, the result.
 * The cleanup is here because it must leave a stuck thread's records, fd,
 * barrier and stormer array alone: the thread may still use them.
 */
static int flushstorm_run(const char *dir, struct json_object *args, struct json_object *result,
			  char *err, size_t errlen)
{
	struct json_object *clock = json_object_new_array();
	struct storm_args a = { 0 };
	struct storm_tally t = { 0 };
	struct stormer *st = NULL;
	pthread_barrier_t bar;
	char why[256] = "";
	int started = 0, stuck = 0, rc = -1;
	int64_t t0, t1;

	if (parse_storm_args(args, &a, err, errlen))
		goto out_clock;
	st = calloc((size_t)a.threads, sizeof(*st));
	if (!st || pthread_barrier_init(&bar, NULL, (unsigned int)a.threads)) {
		snprintf(err, errlen, "out of memory");
		free(st);
		goto out_clock;
	}
	if (prepare_stormers(st, &a, &bar, dir, err, errlen))
		goto out_threads;
	for (int i = 0; i < a.nsync && !why[0]; i++)
		clock_sync(clock, why, sizeof(why));
	if (!why[0])
		announce_storm(why, sizeof(why));
	t0 = rt_us();
	if (start_stormers(st, a.threads, &started, err, errlen))
		goto out_threads;
	stuck = join_stormers(st, started, a.hang_s);
	t1 = rt_us();
	for (int i = 0; i < a.nsync && !why[0] && !stuck; i++)
		clock_sync(clock, why, sizeof(why));
	if (collect_flushes(st, a.threads * a.rounds * a.burst, a.threads, stuck, &t, err, errlen))
		goto out_threads;
	put_result(result, &a, clock, why, &t, stuck, t1 - t0);
	rc = 0;
out_threads:
	free(t.lat);
	for (int i = 0; i < a.threads; i++) {
		/* A stuck thread still uses its records and its fd: leave them. */
		if (i < started && !atomic_load(&st[i].done))
			continue;
		if (st[i].fd >= 0)
			close(st[i].fd);
		free(st[i].recs);
	}
	if (!stuck) {
		pthread_barrier_destroy(&bar);
		free(st);
	}
out_clock:
	json_object_put(clock);
	return rc;
}

PMT_WORKLOAD_INFO(flushstorm, "flush requests from many threads at once: fsync, fdatasync, "
		  "raw device fsync, O_SYNC/O_DSYNC writes; every flush's time and errno");
