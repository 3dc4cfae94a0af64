// SPDX-License-Identifier: MIT
/*
 * fio_verify: Debian's fio as an external workload, with verification.
 *
 * Two files, because a progress event ends the promise on the file it
 * names: with one file, a power cut at op K's progress (the default crash
 * point) would leave no promise to check.  Op K runs fio over file K % 2,
 * so the other one's promise from op K - 1 is in force at the cut.
 *
 * Op 0 creates fio0.dat and fio1.dat as 4 MiB of written zeroes each and
 * makes them durable under their names.  Op K runs one fio job:
 *
 *   fio --name=opK --filename=DIR/fioN.dat --rw=randwrite --bs=4k --size=4M
 *       --io_size=64k --fsync=1 --end_fsync=1 --verify=crc32c
 *       --verify_backlog=4 --do_verify=1 --randseed=SEED+K ...
 *
 * so fio itself checks, within the op, that it reads back what it wrote.
 * --fsync=1 alone is not enough: fio issues that fsync when it fetches the
 * next I/O, so the job's last write is never synced (the oracle caught
 * it: an all-lost crash state broke the promise).  --end_fsync=1 syncs it,
 * so once fio has exited 0 all of its writes are durable: only then is
 * the file hashed and promised.  The files were written in full at op 0,
 * so fio never extends them, and what it leaves is fio's data over zeroes.
 *
 * fio runs in the initramfs-fio.cpio image only (its libraries are ~80 MB;
 * the harness boots that image for this workload).  A fio that is not
 * there, or cannot start, is an error of the workload (BROK).  A fio that
 * fails its verification or exits non-zero otherwise is a result:
 * "fio_exit", "fio_op" and the tail of its output in "fio_output"; no
 * promise follows and the workload stops.
 * Events and the rest of the result: promise.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "exec.h"
#include "output.h"
#include "promise.h"
#include "workload.h"

#define FIO_NFILES		2
#define FIO_SIZE		(4 * 1024 * 1024)
#define FIO_MAX_OPS		64
/* One op is a few seconds under TCG; a hung fio must not hang the agent. */
#define FIO_TIMEOUT_MS		(120 * 1000LL)
/* fio's summary is long; its errors are at the end. */
#define FIO_OUTPUT_TAIL		2048
/* execvp()'s "not found", and ld.so's missing library: fio did not run. */
#define FIO_EXIT_NOT_RUN	127

/* Is an executable fio on PATH?  Checked first, so a missing one is BROK. */
static bool fio_present(void)
{
	const char *path = getenv("PATH");
	char buf[256], exe[300];
	char *dir, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(exe, sizeof(exe), "%s/fio", dir);
		if (!access(exe, X_OK))
			return true;
	}
	return false;
}

/* The last FIO_OUTPUT_TAIL bytes of fio's output, made JSON-safe. */
static struct json_object *output_tail(struct exec_result *res)
{
	size_t off = res->output_len > FIO_OUTPUT_TAIL ? res->output_len - FIO_OUTPUT_TAIL : 0;

	return output_json(res->output + off, res->output_len - off);
}

/* Read the whole of @fd (size @size) into a new buffer; NULL with errno. */
static unsigned char *read_all(int fd, size_t size)
{
	unsigned char *buf = malloc(size ? size : 1);
	size_t done = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	while (done < size) {
		n = pread(fd, buf + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* shorter than fstat said */
			free(buf);
			return NULL;
		}
		done += (size_t)n;
	}
	return buf;
}

/* Promise @path as it is now: call only once its writes are durable. */
static int promise_file(struct pmt_crash *c, const char *path, int fd)
{
	unsigned char *data;
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	data = read_all(fd, (size_t)st.st_size);
	if (!data)
		return -1;
	pmt_crash_promise_file(c, path, data, (size_t)st.st_size);
	free(data);
	return 0;
}

/*
 * Op c->op: one fio job.  Returns 0 when fio exited 0, 1 when it ran and
 * failed (recorded in @result), -1 with @why set when it could not run.
 */
static int run_fio(struct pmt_crash *c, const char *path, uint64_t seed,
		   struct json_object *result, char *why, size_t whylen)
{
	char name[32], filename[4096], randseed[32];
	const char *argv[] = {
		"fio", name, filename, "--rw=randwrite", "--bs=4k", "--size=4M",
		"--io_size=64k", "--ioengine=psync", "--fsync=1", "--end_fsync=1", "--verify=crc32c",
		"--verify_backlog=4", "--do_verify=1", "--verify_fatal=1", randseed,
		/* no state file in the agent's cwd, no progress lines */
		"--verify_state_save=0", "--eta=never", NULL,
	};
	struct exec_result res;
	int rc = 0;

	snprintf(name, sizeof(name), "--name=op%lld", c->op);
	snprintf(filename, sizeof(filename), "--filename=%s/%s", c->dir, path);
	snprintf(randseed, sizeof(randseed), "--randseed=%llu",
		 (unsigned long long)(seed + (uint64_t)c->op));
	if (exec_run(argv, FIO_TIMEOUT_MS, &res, why, whylen))
		return -1;
	if (res.exit_code == FIO_EXIT_NOT_RUN) {
		struct json_object *tail = output_tail(&res);

		snprintf(why, whylen, "fio did not start: %s", json_object_get_string(tail));
		json_object_put(tail);
		exec_result_free(&res);
		return -1;
	}
	json_object_object_add(result, "fio_exit", json_object_new_int(res.exit_code));
	if (res.exit_code || res.timed_out) {
		json_object_object_add(result, "fio_op", json_object_new_int64(c->op));
		if (res.signal)
			json_object_object_add(result, "fio_signal", json_object_new_int(res.signal));
		if (res.timed_out)
			json_object_object_add(result, "fio_timed_out", json_object_new_boolean(true));
		json_object_object_add(result, "fio_output", output_tail(&res));
		rc = 1;
	}
	exec_result_free(&res);
	return rc;
}

static void close_all(int *fds)
{
	for (int i = 0; i < FIO_NFILES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int fio_verify_run(const char *dir, struct json_object *args,
			  struct json_object *result, char *err, size_t errlen)
{
	static const char *const paths[FIO_NFILES] = { "fio0.dat", "fio1.dat" };
	int fds[FIO_NFILES] = { -1, -1 };
	struct pmt_crash c;
	unsigned char *zeroes;
	char why[512];
	uint64_t seed;
	int i, r;

	if (pmt_crash_begin(&c, dir, args, FIO_MAX_OPS, err, errlen))
		return -1;
	if (!fio_present())
		return pmt_crash_fail(&c, "fio is not in this initramfs");
	seed = c.rng;	/* the "seed" argument: fio's seeds derive from it */

	/* Op 0: 4 MiB of written zeroes per file, durable under their names. */
	if (pmt_crash_progress(&c, paths, FIO_NFILES))
		return -1;
	zeroes = calloc(1, FIO_SIZE);
	if (!zeroes)
		return pmt_crash_fail(&c, "out of memory");
	for (i = 0; i < FIO_NFILES; i++) {
		fds[i] = openat(c.dirfd, paths[i], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fds[i] < 0 || pmt_pwrite_all(fds[i], zeroes, FIO_SIZE, 0)) {
			r = errno;
			close_all(fds);
			free(zeroes);
			return pmt_crash_fail(&c, "create %s/%s: %s", dir, paths[i], strerror(r));
		}
		if (pmt_crash_fsync(&c, fds[i], paths[i], false)) {
			free(zeroes);
			goto out;
		}
	}
	if (pmt_crash_fsync_dir(&c)) {
		free(zeroes);
		goto out;
	}
	for (i = 0; i < FIO_NFILES; i++)
		pmt_crash_promise_file(&c, paths[i], zeroes, FIO_SIZE);
	free(zeroes);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		i = (int)(c.op % FIO_NFILES);
		/* Opaque: what fio writes is fio's; its promise follows. */
		if (pmt_crash_progress(&c, &paths[i], 1)) {
			close_all(fds);
			return -1;
		}
		r = run_fio(&c, paths[i], seed, result, why, sizeof(why));
		if (r < 0) {
			close_all(fds);
			return pmt_crash_fail(&c, "op %lld: %s", c.op, why);
		}
		if (r > 0)
			break;	/* a result for the host: no promise */
		if (promise_file(&c, paths[i], fds[i])) {
			r = errno;
			close_all(fds);
			return pmt_crash_fail(&c, "op %lld: reading %s/%s: %s", c.op, dir,
					      paths[i], strerror(r));
		}
		c.ops_done = c.op;
	}
out:
	close_all(fds);
	return pmt_crash_end(&c, result);
}

PMT_WORKLOAD_INFO(fio_verify, "fio randwrite + fsync with crc32c verify per op, two files; promise each");
