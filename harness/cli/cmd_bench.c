// SPDX-License-Identifier: MIT
/*
 * `pmtorture bench`: the figures the project tracks, measured on this
 * machine, printed, never asserted: boots cold and restored, one whole
 * mapsync case, a power cut's crash states per minute with one and two
 * checkers on ext4 and xfs (and where a state's time goes), the flush
 * storm, and plan times with and without snapshots.  Each figure comes
 * from a real run (pmt_run_session) on one guest at a time (--jobs 1), so
 * that guests do not share the CPUs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "crash_walk.h"
#include "json_util.h"
#include "log.h"
#include "session.h"
#include "util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_figure(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-44s min %6.2f s  median %6.2f s  max %6.2f s  (n=%d)\n", what, v[0], v[n / 2],
	       v[n - 1], n);
}

/*
 * `pmtorture bench`: the figures the project tracks, measured on this
 * machine: QEMU start to agent ready, and one whole mapsync case.
 */
/*
 * Persistence points: one power-cut case (append_fsync, 20 ops, every
 * point) on ext4 and on xfs, checked by one checker guest and by two side
 * by side (--checkers): points per run, crash states checked per minute in
 * the checkers and over the whole case (boots, mkfs and the workload
 * included), where a state's time goes, and the epoch log's size.
 */
static int bench_powercut_one(const struct pmt_options *o, const char *fs, int checkers)
{
	static const char *const ids[] = { "powercut:append_fsync:virtio-pmem:ext4",
					   "powercut:append_fsync:virtio-pmem:xfs" };
	struct pmt_options bo = *o;
	struct json_object *summary = NULL, *c, *d, *t;
	long long states, points, flushes, log_bytes;
	double check_s, whole_s, guest_s = 0;
	char what[64];
	int rc;

	bo.scenarios = "powercut";
	bo.plan = NULL;
	bo.jobs = 1;
	bo.checkers = checkers;
	bo.filter = strcmp(fs, "xfs") ? ids[0] : ids[1];
	bo.nparams = 0;		/* every point: the injector's default, crash_points=all */
	rc = pmt_run_session(&bo, &summary);
	if (!summary)
		return rc;
	c = json_object_array_get_idx(json_object_object_get(summary, "cases"), 0);
	/* The figure is the checking speed: a FAIL (a state the kernel could not
	 * recover, see README "Known findings") was still checked; a BROK was not. */
	if (!c || (strcmp(pmt_json_str(c, "verdict"), "PASS") &&
		   strcmp(pmt_json_str(c, "verdict"), "FAIL"))) {
		pmt_err("bench: %s was %s: %s", bo.filter, c ? pmt_json_str(c, "verdict") : "missing",
			c ? pmt_json_str(c, "reason") : "");
		json_object_put(summary);
		return 1;
	}
	d = json_object_object_get(c, "details");
	states = pmt_json_int64(d, "states", 0);
	points = pmt_json_int64(d, "points", 0);
	flushes = pmt_json_int64(d, "flushes", 0);
	log_bytes = pmt_json_int64(d, "epoch_log_bytes", 0);
	check_s = pmt_json_double(d, "check_s");
	whole_s = pmt_json_double(c, "duration_s");
	snprintf(what, sizeof(what), "powercut %s, %d checker%s:", fs, checkers,
		 checkers == 1 ? "" : "s");
	printf("%-44s %lld points of %lld host flushes, %lld states (%s)\n", what, points,
	       flushes, states, pmt_json_str(c, "verdict"));
	printf("%-44s %.0f states/min in the checkers (%.1f s), %.0f over the whole case (%.1f s)\n",
	       "", (double)states * 60.0 / (check_s > 0 ? check_s : 1), check_s,
	       (double)states * 60.0 / (whole_s > 0 ? whole_s : 1), whole_s);
	/* Per state, summed over the checkers: the host's build, then the guest's steps. */
	t = json_object_object_get(d, "check_times");
	printf("%-44s ms per state:", "");
	for (int i = PMT_STEPS - 1; i >= 0; i--) {
		double s = pmt_json_double(t, pmt_check_step_names[i]);

		if (i != PMT_STEP_BUILD)
			guest_s += s;
		printf(" %s %.0f", pmt_check_step_names[i], s * 1000.0 / (double)(states ? states : 1));
	}
	printf(", other %.0f\n", ((check_s * checkers) - guest_s -
				   pmt_json_double(t, "build")) * 1000.0 / (double)(states ? states : 1));
	if (checkers == 1 && !strcmp(fs, "ext4"))
		printf("%-44s %lld bytes, %.0f per flush\n", "epoch log", log_bytes,
		       (double)log_bytes / (double)(flushes ? flushes : 1));
	json_object_put(summary);
	return 0;
}

static int bench_powercut(const struct pmt_options *o)
{
	static const char *const fs[] = { "ext4", "xfs" };
	int rc = 0;

	for (size_t f = 0; f < 2 && !rc; f++)
		for (int k = 1; k <= 2 && !rc; k++)
			rc = bench_powercut_one(o, fs[f], k);
	return rc;
}

/*
 * The flush storm (issue 18): flushstorm:slow on ext4 with a 1 ms host
 * fsync, so the figure is the device path's, not the delay's: guest
 * flushes per second, their latency, and the deepest queue the host saw.
 */
static int bench_storm(const struct pmt_options *o)
{
	struct pmt_options bo = *o;
	struct json_object *summary = NULL, *c, *d;
	int rc;

	bo.scenarios = "flushstorm";
	bo.workloads = "slow";
	bo.plan = NULL;
	bo.jobs = 1;
	bo.filter = "flushstorm:slow:virtio-pmem:ext4";
	bo.nparams = 0;
	bo.params[bo.nparams++] = (struct pmt_param_arg){ "delay_ms", 8, "1", "param" };
	rc = pmt_run_session(&bo, &summary);
	if (!summary)
		return rc;
	c = json_object_array_get_idx(json_object_object_get(summary, "cases"), 0);
	d = json_object_object_get(c, "details");
	if (!c || !json_object_object_get_ex(d, "per_s", NULL)) {
		pmt_err("bench: %s was %s: %s", bo.filter, c ? pmt_json_str(c, "verdict") : "missing",
			c ? pmt_json_str(c, "reason") : "");
		json_object_put(summary);
		return 1;
	}
	printf("%-44s %.0f flushes/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
	       "deepest host queue %lld (verdict %s)\n",
	       "flush storm, 8 threads, 1 ms host fsync", pmt_json_double(d, "per_s"),
	       pmt_json_double(d, "p50_ms"), pmt_json_double(d, "p99_ms"),
	       pmt_json_double(d, "max_ms"), pmt_json_int64(d, "deepest_queue", 0),
	       pmt_json_str(c, "verdict"));
	json_object_put(summary);
	return 0;
}

/* The figures of @iterations mapsync cases booted one way (after a warm-up). */
static int bench_boots(const struct pmt_options *o, bool snapshots, double *agent, double *ready,
		       double *whole, int *n)
{
	struct pmt_options bo = *o;

	bo.scenarios = "mapsync";
	bo.plan = NULL;
	bo.jobs = 1;	/* figures of one guest alone, not of guests sharing the CPUs */
	if (!o->filter)
		bo.filter = "mapsync:virtio-pmem:ext4";
	bo.no_snapshot = !snapshots;
	bo.quiet = true;
	pmt_quiet = true;
	*n = 0;
	/* Iteration 0 is a warm-up: it pays for the KVM probe, cold caches and
	 * the snapshot's first taking. */
	for (int i = 0; i <= o->iterations; i++) {
		struct json_object *summary = NULL, *cases, *c, *g;
		int rc = pmt_run_session(&bo, &summary);

		if (!summary)
			return rc;
		cases = json_object_object_get(summary, "cases");
		for (size_t k = 0; i > 0 && k < json_object_array_length(cases) && *n < 1000; k++) {
			c = json_object_array_get_idx(cases, k);
			if (strcmp(pmt_json_str(c, "verdict"), "PASS")) {
				pmt_err("bench: %s was %s: %s", pmt_json_str(c, "id"),
					pmt_json_str(c, "verdict"), pmt_json_str(c, "reason"));
				json_object_put(summary);
				return 1;
			}
			g = json_object_object_get(json_object_object_get(json_object_object_get(
				c, "details"), "boot"), "guest");
			agent[*n] = pmt_json_double(g, "agent_s");
			ready[*n] = pmt_json_double(g, "ready_s");
			whole[(*n)++] = pmt_json_double(c, "duration_s");
		}
		if (i == 0 && !snapshots)
			printf("bench: %s, accel %s, case %s\n",
			       pmt_json_str(json_object_object_get(summary, "properties"), "kernel"),
			       pmt_json_str(json_object_object_get(summary, "properties"), "accel"),
			       bo.filter);
		json_object_put(summary);
	}
	return *n ? 0 : 1;
}

static int cmp_line(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(x ? x : "", y ? y : "");
}

/* The verdict of each case id of a summary, as "id=VERDICT\n" lines, sorted. */
static char *verdict_lines(struct json_object *summary)
{
	struct json_object *cases = json_object_object_get(summary, "cases");
	size_t n = json_object_array_length(cases), len = 0;
	char **lines = calloc(n + 1, sizeof(*lines)), *out = NULL;
	FILE *f = open_memstream(&out, &len);

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (asprintf(&lines[i], "%s=%s\n", pmt_json_str(c, "id"), pmt_json_str(c, "verdict")) < 0)
			lines[i] = NULL;
	}
	qsort(lines, n, sizeof(*lines), cmp_line);
	for (size_t i = 0; i < n; i++) {
		if (f && lines[i])
			fputs(lines[i], f);
		free(lines[i]);
	}
	free(lines);
	if (f)
		fclose(f);
	return out;
}

/*
 * A plan's wall time booting cold and from snapshots (the cache as it is:
 * warm after the first run), and whether every case got the same verdict.
 */
static int bench_plan(const struct pmt_options *o, const char *plan)
{
	double secs[2];
	char *verdicts[2] = { NULL, NULL };
	int ncases = 0, rc = 0;

	for (int snap = 0; snap < 2; snap++) {
		struct pmt_options bo = *o;
		struct json_object *summary = NULL;
		int64_t t0 = pmt_now_ms();

		bo.plan = plan;
		bo.no_snapshot = !snap;
		bo.quiet = true;
		pmt_run_session(&bo, &summary);
		secs[snap] = (pmt_now_ms() - t0) / 1000.0;
		if (!summary) {
			rc = 1;
			break;
		}
		ncases = (int)json_object_array_length(json_object_object_get(summary, "cases"));
		verdicts[snap] = verdict_lines(summary);
		json_object_put(summary);
	}
	if (!rc)
		printf("%-44s cold %7.1f s  snapshots %7.1f s  (%d cases, verdicts %s)\n",
		       plan, secs[0], secs[1], ncases,
		       verdicts[0] && verdicts[1] && !strcmp(verdicts[0], verdicts[1])
		       ? "the same" : "DIFFER");
	free(verdicts[0]);
	free(verdicts[1]);
	return rc;
}

int pmt_bench_main(const struct pmt_options *o)
{
	static double agent[2][1000], ready[2][1000], whole[2][1000];
	int n[2], rc;

	for (int snap = 0; snap < 2; snap++) {
		rc = bench_boots(o, snap, agent[snap], ready[snap], whole[snap], &n[snap]);
		if (rc)
			return rc;
	}
	print_figure("cold boot: QEMU start to agent ready", agent[0], n[0]);
	print_figure("restore: QEMU start to agent answering", agent[1], n[1]);
	print_figure("restore: QEMU start to pmem attached", ready[1], n[1]);
	print_figure("one whole mapsync case, cold boot", whole[0], n[0]);
	print_figure("one whole mapsync case, restored", whole[1], n[1]);
	rc = bench_powercut(o);
	if (!rc)
		rc = bench_storm(o);
	if (rc)
		return rc;
	/* --plan LIST times those plans; quick and errors by default. */
	{
		char *plans = pmt_xstrdup(o->plan ? o->plan : "quick,errors"), *save = NULL;

		for (char *p = strtok_r(plans, ",", &save); p && !rc; p = strtok_r(NULL, ",", &save))
			rc = bench_plan(o, p);
		free(plans);
	}
	return rc;
}
