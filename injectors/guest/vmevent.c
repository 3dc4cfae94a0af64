// SPDX-License-Identifier: MIT
/*
 * vmevent: the workload a VM lifecycle event fires into (the guest half of
 * injectors/vmevent.c).  Writer threads append records to their own file
 * on the pmem filesystem and fsync each one, in a loop, and they keep
 * doing so across agent requests: the host fires the event (migration,
 * snapshot and restore, suspend, unplug) between "start" and "finish",
 * with flushes in flight and no agent request pending, so that the
 * agent's channel can move to another QEMU.
 *
 * Steps (args "step"):
 *   start   {"writers":W,"before":B,"size":S} start W writers; answer once
 *           each has B records fsynced (promises made before the event):
 *           {"before_ok":bool,"error":..}.  They go on writing.
 *   suspend answer {"s3":bool,"state":..,"mem_sleep":..}, then (300 ms
 *           later, in a thread) write "deep" to /sys/power/mem_sleep and
 *           "mem" to /sys/power/state, which returns after the resume.
 *           Relied on: Linux lists "mem" in /sys/power/state when ACPI
 *           offers S3 (QEMU q35 needs ICH9-LPC.disable_s3=0), and "deep"
 *           in mem_sleep is S3 (s2idle is not seen by QEMU).
 *   finish  {"after":A} mark the event over (the time this request came);
 *           each writer does A more records and stops; join them (a
 *           writer stuck in its fsync blocks this answer: the host's hang
 *           verdict takes the stacks), then read every file back.
 *           result: {"writers":W,"records":N,"fsync_failed":F,
 *           "first_errno":E,"after":{"count","failed","first_errno",
 *           "first_ms","max_ms"},"straddle_max_ms":..,"mismatch":M,
 *           "first_mismatch":"..","suspend_rc":..}
 * An fsync "after" the event was called after finish came; one that was
 * called before and returned after straddles it (it was in flight).
 * Record r of writer w is S bytes at offset r*S, every byte a function of
 * (w, r): a read-back after the event must find each record a writer
 * fsynced (and wrote) whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "errprobe.h"
#include "workload.h"

#define VE_MAX_WRITERS	8
#define VE_MAX_RECORDS	4096	/* per writer: a bound on the file, not on time */
#define VE_PACE_US	10000	/* between records: a small load under TCG */
#define VE_START_MS	60000

struct ve_writer {
	pthread_t thread;
	int idx, fd;
	char path[256];
	atomic_long records;	/* written and fsync returned (any result) */
	long fsynced_ok;
	atomic_long failed;
	int first_errno;
	long after, after_failed;
	int after_errno;
	double after_first_ms, after_max_ms, straddle_max_ms;
};

static struct ve_writer writers[VE_MAX_WRITERS];
static int nwriters;
static long rec_size = 4096, after_rounds = 5;
static atomic_bool running, event_over;
static atomic_long suspend_rc = -1000;
static char suspend_err[128];

static void fill(unsigned char *buf, long size, int w, long r)
{
	uint32_t x = (uint32_t)(w * 2654435761u) ^ (uint32_t)(r * 40503u + 1);

	for (long i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
}

static void *writer_main(void *arg)
{
	struct ve_writer *w = arg;
	unsigned char *buf = malloc((size_t)rec_size);
	long after_left = -1;

	if (!buf)
		return NULL;
	for (long r = 0; r < VE_MAX_RECORDS; r++) {
		bool after = atomic_load(&event_over);
		double t0, dt;
		int rc, e = 0;

		if (after && after_left < 0)
			after_left = after_rounds;
		if (after && after_left-- == 0)
			break;
		fill(buf, rec_size, w->idx, r);
		if (pwrite(w->fd, buf, (size_t)rec_size, (off_t)(r * rec_size)) != rec_size) {
			w->failed++;
			if (!w->first_errno)
				w->first_errno = errno ? errno : EIO;
			break;
		}
		t0 = errprobe_now_ms();
		rc = fsync(w->fd);
		if (rc)
			e = errno;
		dt = errprobe_now_ms() - t0;
		w->records = r + 1;
		if (rc) {
			w->failed++;
			if (!w->first_errno)
				w->first_errno = e;
		} else {
			w->fsynced_ok++;
		}
		if (after) {
			if (!w->after++)
				w->after_first_ms = dt;
			if (dt > w->after_max_ms)
				w->after_max_ms = dt;
			if (rc && !w->after_failed++)
				w->after_errno = e;
		} else if (atomic_load(&event_over) && dt > w->straddle_max_ms) {
			w->straddle_max_ms = dt;
		}
		if (!atomic_load(&running))
			break;
		usleep(VE_PACE_US);
	}
	free(buf);
	return NULL;
}

static int step_start(const char *dir, struct json_object *args, struct json_object *result,
		      char *err, size_t errlen)
{
	long long n, before, size;
	double t0 = errprobe_now_ms();
	bool ok;

	if (nwriters)
		return snprintf(err, errlen, "vmevent: already started"), -1;
	if (arg_int(args, "writers", 2, 1, VE_MAX_WRITERS, &n, err, errlen) ||
	    arg_int(args, "before", 5, 1, VE_MAX_RECORDS / 2, &before, err, errlen) ||
	    arg_int(args, "size", 4096, 512, 1 << 20, &size, err, errlen))
		return -1;
	rec_size = (long)size;
	atomic_store(&running, true);
	atomic_store(&event_over, false);
	for (int i = 0; i < n; i++) {
		struct ve_writer *w = &writers[i];

		memset(w, 0, sizeof(*w));
		w->idx = i;
		snprintf(w->path, sizeof(w->path), "%s/vmevent.%d", dir, i);
		w->fd = open(w->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0)
			return snprintf(err, errlen, "%s: %s", w->path, strerror(errno)), -1;
		if (pthread_create(&w->thread, NULL, writer_main, w)) {
			close(w->fd);
			return snprintf(err, errlen, "pthread_create failed"), -1;
		}
		nwriters++;
	}
	do {
		ok = true;
		for (int i = 0; i < nwriters; i++)
			ok &= writers[i].records >= before || writers[i].failed;
		if (!ok)
			usleep(10000);
	} while (!ok && errprobe_now_ms() - t0 < VE_START_MS);
	for (int i = 0; i < nwriters; i++)
		ok &= !writers[i].failed;
	json_object_object_add(result, "before_ok", json_object_new_boolean(ok));
	json_object_object_add(result, "start_ms", json_object_new_double(errprobe_now_ms() - t0));
	return 0;
}

static void *suspend_main(void *arg)
{
	const char *what[2][2] = { { "/sys/power/mem_sleep", "deep" }, { "/sys/power/state", "mem" } };
	long rc = 0;

	(void)arg;
	usleep(300000);		/* the agent's answer goes out first */
	for (int i = 0; i < 2 && !rc; i++) {
		int fd = open(what[i][0], O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, what[i][1], strlen(what[i][1])) < 0) {
			rc = -errno;
			snprintf(suspend_err, sizeof(suspend_err), "%s: %s", what[i][0], strerror(errno));
		}
		if (fd >= 0)
			close(fd);
	}
	atomic_store(&suspend_rc, rc);
	return NULL;
}

static void read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static int step_suspend(struct json_object *result, char *err, size_t errlen)
{
	char state[128], mem_sleep[128];
	pthread_t t;
	bool s3;

	read_text("/sys/power/state", state, sizeof(state));
	read_text("/sys/power/mem_sleep", mem_sleep, sizeof(mem_sleep));
	s3 = strstr(state, "mem") && strstr(mem_sleep, "deep");
	json_object_object_add(result, "s3", json_object_new_boolean(s3));
	json_object_object_add(result, "state", json_object_new_string(state));
	json_object_object_add(result, "mem_sleep", json_object_new_string(mem_sleep));
	if (!s3)
		return 0;
	if (pthread_create(&t, NULL, suspend_main, NULL))
		return snprintf(err, errlen, "pthread_create failed"), -1;
	pthread_detach(t);
	return 0;
}

/* Every record of @w read back; the first mismatch described in @first. */
static long verify(struct ve_writer *w, char *first, size_t len)
{
	unsigned char *want = malloc((size_t)rec_size), *got = malloc((size_t)rec_size);
	long bad = 0;

	if (!want || !got) {
		free(want);
		free(got);
		snprintf(first, len, "out of memory");
		return 1;
	}
	for (long r = 0; r < w->records; r++) {
		ssize_t n = pread(w->fd, got, (size_t)rec_size, (off_t)(r * rec_size));

		fill(want, rec_size, w->idx, r);
		if (n == rec_size && !memcmp(want, got, (size_t)rec_size))
			continue;
		if (!bad++ && !first[0])
			snprintf(first, len, "%s record %ld (offset %ld): %s", w->path, r,
				 r * rec_size, n < 0 ? strerror(errno) : n != rec_size ?
				 "short read" : "content differs");
	}
	free(want);
	free(got);
	return bad;
}

static int step_finish(struct json_object *args, struct json_object *result, char *err,
		       size_t errlen)
{
	struct json_object *after = json_object_new_object();
	long long a;
	long records = 0, failed = 0, mismatch = 0, acount = 0, afailed = 0;
	int first_errno = 0, after_errno = 0;
	double afirst = -1, amax = 0, straddle = 0;
	char first[512] = "";

	if (!nwriters) {
		json_object_put(after);
		return snprintf(err, errlen, "vmevent: finish before start"), -1;
	}
	if (arg_int(args, "after", 5, 1, VE_MAX_RECORDS / 2, &a, err, errlen)) {
		json_object_put(after);
		return -1;
	}
	after_rounds = (long)a;
	atomic_store(&event_over, true);
	for (int i = 0; i < nwriters; i++)
		pthread_join(writers[i].thread, NULL);
	atomic_store(&running, false);
	for (int i = 0; i < nwriters; i++) {
		struct ve_writer *w = &writers[i];

		records += w->records;
		failed += w->failed;
		if (!first_errno)
			first_errno = w->first_errno;
		acount += w->after;
		afailed += w->after_failed;
		if (!after_errno)
			after_errno = w->after_errno;
		if (w->after && (afirst < 0 || w->after_first_ms > afirst))
			afirst = w->after_first_ms;
		if (w->after_max_ms > amax)
			amax = w->after_max_ms;
		if (w->straddle_max_ms > straddle)
			straddle = w->straddle_max_ms;
		mismatch += verify(w, first, sizeof(first));
		close(w->fd);
	}
	nwriters = 0;
	json_object_object_add(after, "count", json_object_new_int64(acount));
	json_object_object_add(after, "failed", json_object_new_int64(afailed));
	json_object_object_add(after, "first_errno", json_object_new_int(after_errno));
	json_object_object_add(after, "first_ms", json_object_new_double(afirst));
	json_object_object_add(after, "max_ms", json_object_new_double(amax));
	json_object_object_add(result, "after", after);
	json_object_object_add(result, "records_per_writer_max", json_object_new_int64(VE_MAX_RECORDS));
	json_object_object_add(result, "records", json_object_new_int64(records));
	json_object_object_add(result, "fsync_failed", json_object_new_int64(failed));
	json_object_object_add(result, "first_errno", json_object_new_int(first_errno));
	json_object_object_add(result, "straddle_max_ms", json_object_new_double(straddle));
	json_object_object_add(result, "mismatch", json_object_new_int64(mismatch));
	json_object_object_add(result, "first_mismatch", json_object_new_string(first));
	json_object_object_add(result, "suspend_rc", json_object_new_int64(atomic_load(&suspend_rc)));
	if (suspend_err[0])
		json_object_object_add(result, "suspend_error", json_object_new_string(suspend_err));
	return 0;
}

static int vmevent_run(const char *dir, struct json_object *args, struct json_object *result,
		       char *err, size_t errlen)
{
	const char *step;

	if (arg_string(args, "step", true, &step, err, errlen))
		return -1;
	if (!strcmp(step, "start"))
		return step_start(dir, args, result, err, errlen);
	if (!strcmp(step, "suspend"))
		return step_suspend(result, err, errlen);
	if (!strcmp(step, "finish"))
		return step_finish(args, result, err, errlen);
	snprintf(err, errlen, "vmevent: unknown step \"%s\"", step);
	return -1;
}

PMT_WORKLOAD_INFO(vmevent, "writers that append and fsync across a VM lifecycle event, "
		  "then read back");
