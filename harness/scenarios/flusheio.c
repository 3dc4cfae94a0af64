// SPDX-License-Identifier: MIT
/*
 * flusheio: the host's fsync() of the virtio-pmem backing file fails, or
 * is slow.
 *
 * QEMU 7.2 answers a guest flush request with the result of fsync() on the
 * backing file (hw/virtio/virtio-pmem.c, worker_cb: ret 1 on failure).  The
 * guest's virtio_pmem_flush() returns that non-zero answer, and
 * async_pmem_flush() turns it into -EIO for the flush bio, so a guest
 * fsync() whose journal/log commit needs the flush must fail with EIO.
 * The LD_PRELOAD shim of the power-cut injector (injectors/powercut) sits
 * on that fsync(): DIR/mode switches it between honest and fail-eio at run
 * time, and PMT_SHIM_DELAY_MS makes every flush slow.
 *
 * Variants:
 *   fail  mkfs and mount flush honestly; then every flush fails while the
 *         guest writes and fsyncs a file (flushprobe "fail"); then the host
 *         recovers and the guest asks again (flushprobe "recover"): a later
 *         fsync, a second fd opened before the failure (the file's errseq),
 *         a fresh fd, the data written before the failure, a new write.
 *         The shim's flushes.jsonl must show failed flushes, else BROK.
 *   slow  every host flush sleeps PMT_SHIM_DELAY_MS (default 100 ms) while
 *         16 guest threads fsync their own files: the asynchronous flush
 *         path with many requests in flight.  Every fsync must succeed and
 *         the workload must end within the command timeout; the maximum
 *         fsync latency is reported.  No flush slower than the delay in
 *         flushes.jsonl means the fault did not fire: BROK.
 *
 * Observations are judged against results/expected/errors.tsv (MODE is the
 * variant).  Plan parameters: param.delay_ms, param.threads, param.rounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../expect.h"
#include "../guest_setup.h"
#include "../json_util.h"
#include "../image.h"
#include "../util.h"
#include "shim_env.h"

#define DEFAULT_DELAY_MS	100
#define DEFAULT_THREADS		16
#define DEFAULT_ROUNDS		4
#define KLOG_KEEP		24

/* The slow variant's extra shim setting; one case at a time per process. */
static char env_delay[64];

static int param_int(const struct pmt_case *c, const char *name, int def)
{
	return c->params ? pmt_json_int(c->params, name, def) : def;
}

static void shim_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/flusheio-shim", c->rundir);
}

static int flusheio_prepare(struct pmt_case *c, struct pmt_vm_config *cfg)
{
	char dir[PATH_MAX];
	int n;

	shim_dir(c, dir, sizeof(dir));
	n = pmt_shim_prepare(c, cfg, dir);
	if (n < 0)
		return -1;
	if (!strcmp(c->variant, "slow")) {
		snprintf(env_delay, sizeof(env_delay), "PMT_SHIM_DELAY_MS=%d",
			 param_int(c, "delay_ms", DEFAULT_DELAY_MS));
		cfg->env[n++] = env_delay;
	}
	cfg->env[n] = NULL;
	return 0;
}

/* What the shim did, from flushes.jsonl lines @from.. (0-based). */
struct flush_stats {
	int lines, failed, recorded, errors;
	double max_ms;
};

static void flush_stats(const char *dir, int from, struct flush_stats *st)
{
	char path[PATH_MAX], *text, *line, *next;

	memset(st, 0, sizeof(*st));
	pmt_fmt(path, sizeof(path), "%s/flushes.jsonl", dir);
	text = pmt_read_file(path, 64 << 20, NULL);
	if (!text)
		return;
	for (line = text; line && *line; line = next) {
		struct json_object *o;
		const char *action;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (st->lines++ < from)
			continue;
		o = json_tokener_parse(line);
		if (!o)
			continue;
		action = pmt_json_str(o, "action");
		st->failed += !strcmp(action, "failed");
		st->recorded += !strcmp(action, "recorded");
		st->errors += !strcmp(action, "error");
		if (pmt_json_double(o, "ms") > st->max_ms)
			st->max_ms = pmt_json_double(o, "ms");
		json_object_put(o);
	}
	free(text);
}

static int set_mode(struct pmt_case *c, const char *dir, const char *mode)
{
	char path[PATH_MAX], text[32];
	int n = snprintf(text, sizeof(text), "%s\n", mode);

	pmt_fmt(path, sizeof(path), "%s/mode", dir);
	if (pmt_write_file_atomic(path, text, (size_t)n)) {
		pmt_case_verdict(c, PMT_BROK, "inject: cannot switch the shim to %s: %s", mode,
				 strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Run flushprobe step @step.  0 with *res; -1 after a BROK; 1 when the
 * guest did not answer within the command timeout but QEMU is alive (a
 * hang: an observation, not a framework failure).
 */
static int run_probe(struct pmt_case *c, const char *step, int threads, int rounds,
		     struct json_object **res)
{
	struct json_object *args = json_object_new_object(), *wargs = json_object_new_object();
	int64_t deadline = pmt_now_ms() + (int64_t)c->opt->cmd_timeout_s * 1000;
	enum pmt_agent_status st;
	char err[512];

	json_object_object_add(wargs, "step", json_object_new_string(step));
	json_object_object_add(wargs, "files", json_object_new_int(threads));
	json_object_object_add(wargs, "threads", json_object_new_int(threads));
	json_object_object_add(wargs, "rounds", json_object_new_int(rounds));
	json_object_object_add(args, "workload", json_object_new_string("flushprobe"));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	st = pmt_agent_call(&c->vm->agent, "run", args, res, deadline, err, sizeof(err));
	json_object_put(args);
	if (st == PMT_AGENT_OK)
		return 0;
	if (st == PMT_AGENT_GUEST_ERROR) {
		pmt_case_verdict(c, PMT_BROK, "%s: flushprobe %s could not run: %s", c->phase, step, err);
		return -1;
	}
	if (!c->vm->backend->wait_exit(c->vm, pmt_now_ms())) {
		/* Alive but silent: the guest is stuck in the flush. */
		json_object_object_add(c->details, "hang", json_object_new_string(err));
		c->vm->backend->power_cut(c->vm);
		return 1;
	}
	pmt_vm_describe_exit(c->vm, err, sizeof(err));
	pmt_case_verdict(c, PMT_BROK, "%s: flushprobe %s: %s", c->phase, step, err);
	return -1;
}

/* Keep the kernel lines that say what the failed flush did to the fs. */
static void keep_kernel_log(struct pmt_case *c)
{
	static const char *const keys[] = {
		"I/O error", "EXT4-fs", "JBD2", "XFS", "pmem", "virtio", "Buffer I/O", NULL,
	};
	struct json_object *res = NULL, *lines = json_object_new_array();
	char err[256], *text, *line, *next;

	if (!c->vm->agent_up || c->vm->exited ||
	    pmt_case_agent(c, "dmesg", NULL, &res, err, sizeof(err))) {
		json_object_put(lines);
		json_object_put(res);
		return;
	}
	text = strdup(pmt_json_str(res, "text"));
	json_object_put(res);
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (int i = 0; keys[i]; i++) {
			if (strstr(line, keys[i]) && !strstr(line, "ommand line") &&
			    json_object_array_length(lines) < KLOG_KEEP) {
				json_object_array_add(lines, json_object_new_string(line));
				break;
			}
		}
	}
	free(text);
	json_object_object_add(c->details, "kernel_log", lines);
}

static void add_probes(struct json_object *probes, struct json_object *res)
{
	struct json_object *p;

	if (json_object_object_get_ex(res, "probes", &p))
		for (size_t i = 0; i < json_object_array_length(p); i++)
			json_object_array_add(probes, json_object_get(json_object_array_get_idx(p, i)));
}

static int run_fail(struct pmt_case *c, const char *dir, struct json_object *probes)
{
	struct json_object *res = NULL;
	struct flush_stats st;
	int before, rc;

	flush_stats(dir, 0, &st);
	before = st.lines;
	pmt_case_phase(c, "inject");
	if (set_mode(c, dir, "fail-eio"))
		return -1;
	rc = run_probe(c, "fail", 1, 1, &res);
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_FAIL, "inject: the guest's fsync did not return within %d s "
					 "of a failing host flush", c->opt->cmd_timeout_s);
		return -1;
	}
	json_object_object_add(c->details, "fail_step", json_object_get(res));
	add_probes(probes, res);
	json_object_put(res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes_failed", json_object_new_int(st.failed));
	if (!st.failed) {
		pmt_case_verdict(c, PMT_BROK, "inject: fault did not fire: the shim failed no flush "
				 "(%d flushes seen)", st.lines - before);
		return -1;
	}

	pmt_case_phase(c, "recover");
	if (set_mode(c, dir, "honest"))
		return -1;
	before = st.lines;
	res = NULL;
	rc = run_probe(c, "recover", 1, 1, &res);
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_FAIL, "recover: the guest did not answer within %d s "
					 "after the host recovered", c->opt->cmd_timeout_s);
		return -1;
	}
	json_object_object_add(c->details, "recover_step", json_object_get(res));
	add_probes(probes, res);
	json_object_put(res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes_after_recovery",
			       json_object_new_int(st.lines - before));
	return 0;
}

static int run_slow(struct pmt_case *c, const char *dir, struct json_object *probes)
{
	int delay = param_int(c, "delay_ms", DEFAULT_DELAY_MS);
	int threads = param_int(c, "threads", DEFAULT_THREADS);
	int rounds = param_int(c, "rounds", DEFAULT_ROUNDS);
	struct json_object *res = NULL, *rec;
	struct flush_stats st;
	int before, rc;

	flush_stats(dir, 0, &st);
	before = st.lines;
	pmt_case_phase(c, "load");
	rc = run_probe(c, "load", threads, rounds, &res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes", json_object_new_int(st.lines - before));
	json_object_object_add(c->details, "host_flush_max_ms", json_object_new_double(st.max_ms));
	json_object_object_add(c->details, "delay_ms", json_object_new_int(delay));
	if (rc < 0)
		return -1;
	if (rc > 0) {
		/* The judged observation is the hang itself. */
		rec = json_object_new_object();
		json_object_object_add(rec, "path", json_object_new_string("fsync"));
		json_object_object_add(rec, "timed_out", json_object_new_boolean(true));
		json_object_array_add(probes, rec);
		return 0;
	}
	json_object_object_add(c->details, "load", json_object_get(res));
	add_probes(probes, res);
	json_object_object_add(c->details, "guest_fsync_max_ms",
			       json_object_new_double(pmt_json_double(res, "max_ms")));
	json_object_put(res);
	if (st.lines == before || st.max_ms < delay) {
		pmt_case_verdict(c, PMT_BROK, "load: fault did not fire: %d host flushes, the slowest "
				 "%.0f ms (delay %d ms)", st.lines - before, st.max_ms, delay);
		return -1;
	}
	return 0;
}

static int flusheio_run(struct pmt_case *c)
{
	const struct pmt_expectations *e;
	struct json_object *probes = json_object_new_array();
	char dev[64], dir[PATH_MAX], err[512];
	size_t used;
	int rc;

	e = pmt_expectations_default(err, sizeof(err));
	if (!e) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		goto out;
	}
	if (pmt_setup_fs(c, dev, sizeof(dev)))
		goto out;
	shim_dir(c, dir, sizeof(dir));
	rc = !strcmp(c->variant, "fail") ? run_fail(c, dir, probes) : run_slow(c, dir, probes);
	keep_kernel_log(c);
	if (rc)
		goto out;
	pmt_case_phase(c, "check");
	pmt_expect_judge(e, c, c->variant, probes);
	/* The figure the slow variant exists for goes into the table's reason. */
	used = strlen(c->reason);
	if (c->verdict == PMT_PASS && !strcmp(c->variant, "slow"))
		snprintf(c->reason + used, sizeof(c->reason) - used,
			 "; max fsync %.0f ms with %d flushers",
			 pmt_json_double(c->details, "guest_fsync_max_ms"),
			 param_int(c, "threads", DEFAULT_THREADS));
out:
	json_object_put(probes);
	shim_dir(c, dir, sizeof(dir));
	/* flushes.jsonl is the evidence of what the host did: keep it. */
	{
		char from[PATH_MAX + 16], to[PATH_MAX + 16];

		snprintf(from, sizeof(from), "%s/flushes.jsonl", dir);
		snprintf(to, sizeof(to), "%s/flushes.jsonl", c->dir);
		if (rename(from, to)) {
			char *t = pmt_read_file(from, 64 << 20, &used);

			if (t)
				pmt_write_file_atomic(to, t, used);
			free(t);
		}
	}
	/* The shim's folder stays: QEMU flushes into it until shutdown, and
	 * the next case (or the run's cleanup) removes it. */
	return 0;
}

static const char *const flusheio_fs[] = { "ext4", "xfs", NULL };
static const char *const flusheio_variants[] = { "fail", "slow", NULL };

const struct pmt_scenario pmt_scenario_flusheio = {
	.name = "flusheio",
	.description = "the host's fsync of the backing file fails (guest fsync EIO?) or is slow",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = flusheio_fs,
	.mount_opts = "dax",
	.variants = flusheio_variants,
	.prepare_vm = flusheio_prepare,
	.run = flusheio_run,
};
