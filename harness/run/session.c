// SPDX-License-Identifier: MIT
/*
 * A session: the selected cases run one by one or in --jobs workers, each
 * in its own guest (the case runner, case/runner.h), into one results
 * folder.  Here: the run folder (QEMU's sockets, backing files; swept when
 * a SIGKILLed harness left it), the workers and the progress line, and the
 * session around the cases: expunges, baselines, run properties, reports,
 * the exit status, SIGINT/SIGTERM (an interrupted run).
 *
 * Relies on: a worker's case.json being complete once the worker exits
 * (report/results.h writes it atomically); kill(pid, 0) answering ESRCH
 * for a harness that is gone (its run folder is swept).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "baseline.h"
#include "cases.h"
#include "finding.h"
#include "jobs.h"
#include "json_util.h"
#include "kernels.h"
#include "log.h"
#include "merge.h"
#include "proc.h"
#include "progress.h"
#include "report.h"
#include "report_behaviour.h"
#include "results.h"
#include "runner.h"
#include "session.h"
#include "util.h"

/* What --accel auto found, kept for the whole process (bench runs several sessions). */
static enum pmt_accel decided_accel = PMT_ACCEL_AUTO;

/* Run folders of harnesses that were SIGKILLed: their QEMU died with them. */
static void sweep_stale_rundirs(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		int pid;

		if (sscanf(e->d_name, "pmtorture-run.%d", &pid) != 1 || pid == getpid())
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (pmt_fmt(path, sizeof(path), "%s/%s", tmp, e->d_name) == 0)
			pmt_rm_rf(path);
	}
	closedir(d);
}

static int make_rundir(struct pmt_runner *r, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	sweep_stale_rundirs(tmp);
	if (pmt_fmt(r->rundir, sizeof(r->rundir), "%s/pmtorture-run.%d", tmp, (int)getpid()) ||
	    mkdir(r->rundir, 0700)) {
		snprintf(err, errlen, "cannot create the run folder %s: %s", r->rundir, strerror(errno));
		return -1;
	}
	pmt_cleanup_register(r->rundir, 1);
	return 0;
}


/*
 * One case, in this process or a worker: its folder in the results and
 * the "case-start" event, then the case runner (case/runner.h).  A folder
 * that cannot be made is a BROK, and a failed write of the run.
 */
static void run_case(struct pmt_runner *r, struct pmt_run *run, struct pmt_case *c)
{
	c->details = json_object_new_object();
	c->notes = json_object_new_array();
	pmt_case_phase(c, "setup");
	if (pmt_run_case_dir(run, c)) {
		if (!pmt_run_failed(run))
			snprintf(run->write_error, sizeof(run->write_error),
				 "cannot create the case folder %s: %s", c->dir, strerror(errno));
		pmt_case_verdict(c, PMT_BROK, "setup: cannot create the case folder: %s", strerror(errno));
		return;
	}
	{
		struct json_object *ev = json_object_new_object();

		json_object_object_add(ev, "case", json_object_new_string(c->id));
		pmt_run_event(run, "case-start", ev);
	}
	pmt_case_run(r, c);
}

/* A session's cases and where they go, shared by the sequential and --jobs paths. */
struct session {
	struct pmt_runner *r;
	struct pmt_run *run;
	struct pmt_case *cases;
	struct pmt_progress progress;
	char base_rundir[PATH_MAX];	/* r->rundir; workers use job-N under it */
};

static void case_done(struct session *s, struct pmt_case *c)
{
	pmt_run_add_case(s->run, c);
	pmt_progress_end(&s->progress, c);
}

/* A failed write of the results, or a signal, stops the run: no guest boots after it. */
static int session_stopped(void *ctx)
{
	struct session *s = ctx;

	return pmt_run_failed(s->run) || pmt_interrupted();
}

static void job_start(void *ctx, size_t i, int slot)
{
	struct session *s = ctx;
	struct pmt_case *c = &s->cases[i];

	(void)slot;
	/* The parent needs c->dir to find the worker's case.json. */
	if (pmt_run_case_dir(s->run, c) && !pmt_run_failed(s->run))
		snprintf(s->run->write_error, sizeof(s->run->write_error),
			 "cannot create the case folder %s: %s", c->dir, strerror(errno));
	pmt_progress_start(&s->progress, c);
}

/* In the worker: its own run folder, then case.json for the parent. */
static void job_run(void *ctx, size_t i, int slot)
{
	struct session *s = ctx;
	struct pmt_case *c = &s->cases[i];

	if (pmt_fmt(s->r->rundir, sizeof(s->r->rundir), "%s/job-%d", s->base_rundir, slot))
		_exit(1);
	run_case(s->r, s->run, c);
	/*
	 * Cut short by a signal (the parent passes its own on): no result, so
	 * the parent lists the case as not run.  The worker's run folder goes
	 * now, not only with the parent's.
	 */
	if (pmt_interrupted()) {
		pmt_rm_rf(s->r->rundir);
		pmt_interrupt_reraise();
	}
	if (s->r->qemu_version[0])
		json_object_object_add(c->details, "qemu_version",
				       json_object_new_string(s->r->qemu_version));
	pmt_run_write_case(s->run, c);
}

static void job_end(void *ctx, size_t i, int status)
{
	struct session *s = ctx;
	struct pmt_case *c = &s->cases[i];
	char err[PATH_MAX + 64], how[64];

	if (pmt_case_load_result(c, err, sizeof(err))) {
		/* Cut short by the interrupt: not run, never a BROK. */
		if (pmt_interrupted())
			return;
		c->details = c->details ? c->details : json_object_new_object();
		c->notes = c->notes ? c->notes : json_object_new_array();
		if (status == -1)
			pmt_case_verdict(c, PMT_BROK, "setup: cannot start a worker process: %s",
					 strerror(errno));
		else
			pmt_case_verdict(c, PMT_BROK, "worker %s before the case ended (%s)",
					 pmt_describe_status(status, how, sizeof(how)), err);
	}
	if (!s->r->qemu_version[0])
		pmt_fmt(s->r->qemu_version, sizeof(s->r->qemu_version), "%s",
			pmt_json_str(c->details, "qemu_version"));
	case_done(s, c);
}

static void job_tick(void *ctx)
{
	struct session *s = ctx;

	pmt_progress_tick(&s->progress);
}

/*
 * Cases run in this process while --accel auto has not decided (the first
 * boot decides, once) or with --jobs 1; the rest in workers, side by side.
 */
static void run_all(struct session *s, size_t n, int jobs)
{
	struct pmt_jobs_ops ops = {
		.ctx = s, .start = job_start, .run = job_run, .end = job_end, .tick = job_tick,
		.stopped = session_stopped,
	};
	char dir[PATH_MAX];
	size_t i = 0;

	pmt_progress_init(&s->progress, n, jobs);
	for (; i < n && (jobs == 1 || s->r->accel == PMT_ACCEL_AUTO); i++) {
		struct pmt_case *c = &s->cases[i];

		if (session_stopped(s))
			break;
		pmt_progress_start(&s->progress, c);
		run_case(s->r, s->run, c);
		/* The verdict of a case cut short by a signal says nothing: not run. */
		if (pmt_interrupted())
			break;
		case_done(s, c);
	}
	if (i < n && !session_stopped(s)) {
		pmt_fmt(s->base_rundir, sizeof(s->base_rundir), "%s", s->r->rundir);
		for (int k = 0; k < jobs; k++) {
			if (pmt_fmt(dir, sizeof(dir), "%s/job-%d", s->base_rundir, k) == 0 &&
			    mkdir(dir, 0700) == 0)
				pmt_cleanup_register(dir, 1);
		}
		pmt_jobs_run(&ops, i, n, jobs);
		for (int k = 0; k < jobs; k++)
			if (pmt_fmt(dir, sizeof(dir), "%s/job-%d", s->base_rundir, k) == 0)
				pmt_cleanup_unregister(dir);
	}
	pmt_progress_finish(&s->progress);
}

/* The command line as one string, single-quoted where a shell would need it. */
static void options_string(const struct pmt_options *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 1; i < o->argc && off < len; i++) {
		const char *a = o->argv[i];
		bool quote = !*a || strpbrk(a, " \t'\"*?[]$`\\|&;<>(){}#~") != NULL;

		off += snprintf(buf + off, len - off, "%s%s%s%s", i > 1 ? " " : "",
				quote ? "'" : "", a, quote ? "'" : "");
	}
}

/* The filesystems the cases ran on, in order, comma separated. */
static void case_filesystems(const struct pmt_case *cases, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		if (!pmt_list_has(buf, cases[i].fs))
			off += snprintf(buf + off, len - off, "%s%s", off ? "," : "", cases[i].fs);
}

static void set_properties(struct pmt_runner *r, struct pmt_run *run, const struct pmt_case *cases,
			   size_t n, int jobs)
{
	const struct pmt_options *o = r->opt;
	char num[32], text[2048];
	struct utsname host;

	snprintf(num, sizeof(num), "%llu", o->seed);
	pmt_run_set_property(run, "kernel", r->img.release);
	/* Issue 9: a kernel matrix names every kernel. */
	if (pmt_kernels_multi(o)) {
		pmt_kernels_labels(o, text, sizeof(text));
		pmt_run_set_property(run, "kernel", text);
		pmt_run_set_property(run, "kernels", text);
	}
	pmt_run_set_property(run, "kernel_image", r->img.kernel);
	pmt_run_set_property(run, "qemu", r->qemu_version[0] ? r->qemu_version : "unknown");
	/* A finding names the host too: the host's page cache is the power cut's model. */
	if (!uname(&host)) {
		snprintf(text, sizeof(text), "%s %s", host.sysname, host.release);
		pmt_run_set_property(run, "host_kernel", text);
	}
	pmt_run_set_property(run, "accel", pmt_accel_name(r->accel));
	pmt_run_set_property(run, "seed", num);
	pmt_run_set_property(run, "plan", o->plan ? o->plan : "");
	pmt_run_set_property(run, "scenarios", o->scenarios);
	pmt_run_set_property(run, "devices", o->devices);
	pmt_run_set_property(run, "filesystems", o->filesystems);
	case_filesystems(cases, n, text, sizeof(text));
	pmt_run_set_property(run, "fs", text);
	options_string(o, text, sizeof(text));
	pmt_run_set_property(run, "options", text);
	snprintf(num, sizeof(num), "%d", jobs);
	pmt_run_set_property(run, "jobs", num);
	if (o->shard_count) {
		snprintf(num, sizeof(num), "%u/%u", o->shard_index, o->shard_count);
		pmt_run_set_property(run, "shard", num);
	}
	if (o->repeat) {
		snprintf(num, sizeof(num), "%d", o->repeat);
		pmt_run_set_property(run, "repeat", num);
	}
	if (o->expunge)
		pmt_run_set_property(run, "expunge", o->expunge);
}

/*
 * --expunge and --baseline, read before anything boots so that a bad file
 * costs nothing; -1 after a one-line error.
 */
static int load_judges(const struct pmt_options *o, struct pmt_expunge *ex,
		       struct json_object **previous)
{
	char err[1024];

	memset(ex, 0, sizeof(*ex));
	*previous = NULL;
	if (o->expunge && pmt_expunge_load(o->expunge, ex, err, sizeof(err))) {
		pmt_err("--expunge %s", err);
		return -1;
	}
	if (o->baseline && !(*previous = pmt_summary_load(o->baseline, err, sizeof(err)))) {
		pmt_err("--baseline %s", err);
		pmt_expunge_free(ex);
		return -1;
	}
	return 0;
}

/*
 * After the last case, before any report: known failures become XFAIL,
 * then each case is compared with the baseline.  The exit status follows:
 * FAIL or BROK without a baseline, NEW-FAIL or BROK with one.
 */
static int judge(struct pmt_run *run, const struct pmt_expunge *ex, struct json_object *previous)
{
	if (ex->n && pmt_expunge_apply(ex, run->summary))
		pmt_info("%s: expunged failures are XFAIL", ex->file);
	if (previous) {
		struct json_object *bl;
		char key[64], num[16];

		pmt_baseline_apply(run->summary, previous);
		pmt_run_set_property(run, "baseline", pmt_json_str(previous, "run_id"));
		/* JUnit readers see properties only: the classes' counts go there too. */
		bl = json_object_object_get(json_object_object_get(run->summary, "baseline"), "counts");
		json_object_object_foreach(bl, cls, val) {
			snprintf(key, sizeof(key), "baseline_%s", cls);
			snprintf(num, sizeof(num), "%d", json_object_get_int(val));
			pmt_run_set_property(run, key, num);
		}
	}
	return pmt_baseline_exit_status(run->summary);
}

/*
 * One function because it is the run from start to end in order, and the cleanups at out:
 * and out_judges: undo what was made up to the step that failed; the work itself is
 * already in the functions it calls.
 */
int pmt_run_session(const struct pmt_options *o, struct json_object **summary)
{
	struct pmt_runner r = { .opt = o };
	struct session s = { .r = &r };
	struct pmt_case *cases = NULL;
	struct json_object *previous = NULL;
	struct pmt_expunge ex;
	struct pmt_run run;
	char err[1024];
	size_t n = 0;
	int jobs, rc = 2;

	r.accel = o->accel == PMT_ACCEL_AUTO ? decided_accel : o->accel;
	if (pmt_cases_build(o, &cases, &n, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	if (load_judges(o, &ex, &previous)) {
		pmt_cases_free(cases, n);
		return 2;
	}
	/* A bad kernel, modules or image is refused before anything is made. */
	if (n > 0 && pmt_kernels_prepare_all(o, &r.img, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out_judges;
	}
	if (pmt_run_open(&run, o->results, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out_judges;
	}
	jobs = o->jobs ? o->jobs : pmt_jobs_default(o->mem_mb);
	if ((size_t)jobs > n)
		jobs = n ? (int)n : 1;
	r.checkers = o->checkers ? o->checkers : pmt_checkers_default(jobs, o->mem_mb);
	if (n == 0) {
		/* A CI job's shard may hold nothing of a small plan: a valid, empty run. */
		pmt_info("shard %u/%u holds none of the selected cases; nothing to run",
			 o->shard_index, o->shard_count);
	} else if (make_rundir(&r, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out;
	} else {
		/* From here a signal stops the run, which reports and cleans up. */
		pmt_interrupt_defer(true);
		char kernels[1024];

		pmt_kernels_labels(o, kernels, sizeof(kernels));
		pmt_info("guest kernel%s %s, %zu case%s, %d at a time, results in %s",
			 pmt_kernels_multi(o) ? "s" : "", pmt_kernels_multi(o) ? kernels : r.img.release,
			 n, n == 1 ? "" : "s", jobs, run.dir);
		/* Before the workers fork: each kind's line comes once (runner.h). */
		for (size_t i = 0; i < n; i++)
			pmt_runner_say_builtin(&r, &cases[i]);
	}
	set_properties(&r, &run, cases, n, jobs);
	pmt_run_event(&run, "run-start", NULL);

	s.run = &run;
	s.cases = cases;
	run_all(&s, n, jobs);
	if (o->accel == PMT_ACCEL_AUTO)
		decided_accel = r.accel;
	if (pmt_interrupted())
		pmt_run_mark_interrupted(&run, pmt_interrupted(), cases, n);

	if (pmt_run_failed(&run)) {
		pmt_err("%s; the run stopped there", run.write_error);
		rc = 2;
		goto out;
	}
	set_properties(&r, &run, cases, n, jobs);
	rc = judge(&run, &ex, previous);
	pmt_run_event(&run, "run-end", NULL);
	if (pmt_run_finish(&run, err, sizeof(err))) {
		pmt_err("%s", err);
		rc = 2;
		goto out;
	}
	*summary = json_object_get(run.summary);
	json_object_object_add(*summary, "dir", json_object_new_string(run.dir));
out:
	if (r.rundir[0]) {
		pmt_rm_rf(r.rundir);
		pmt_cleanup_unregister(r.rundir);
	}
	if (pmt_interrupted()) {
		struct json_object *info = json_object_object_get(run.summary, "interrupted");

		pmt_err("interrupted by %s: %lld of %zu case%s finished, %lld not run; "
			"reports in %s", pmt_signal_name(pmt_interrupted()),
			(long long)pmt_json_int64(info, "finished", 0), n, n == 1 ? "" : "s",
			(long long)pmt_json_int64(info, "not_run", 0), run.dir);
	}
	pmt_run_close(&run);
out_judges:
	pmt_expunge_free(&ex);
	json_object_put(previous);
	pmt_cases_free(cases, n);
	/* An interrupted run dies of its signal once it has cleaned up. */
	pmt_interrupt_reraise();
	return rc;
}

int pmt_run_main(const struct pmt_options *o)
{
	struct json_object *summary = NULL;
	int rc = pmt_run_session(o, &summary), behaviour;
	const char *dir;
	char err[512];

	if (!summary)
		return rc;
	dir = pmt_json_str(summary, "dir");
	pmt_report_table(stdout, summary);
	/* A FAIL's bundle for a bug report (finding.h), named under the table. */
	pmt_findings_write_run(dir, summary, stdout);
	/* The error scenarios' observations, side by side, under the verdicts. */
	behaviour = pmt_bhv_write(dir, &summary, 1, true, stdout, err, sizeof(err));
	if (behaviour < 0)
		pmt_err("%s", err);
	printf("results: %s\njunit:   %s/junit.xml\ntap:     %s/results.tap\nhtml:    %s/report.html\n",
	       dir, dir, dir, dir);
	if (behaviour > 0)
		printf("behaviour: %s/behaviour.md\n           %s/behaviour.html\n", dir, dir);
	fflush(stdout);
	json_object_put(summary);
	return rc;
}
