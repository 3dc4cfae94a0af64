// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include "json_util.h"
#include "kernels.h"
#include "report.h"
#include "report_html.h"
#include "injector.h"
#include "proc.h"
#include "results.h"
#include "util.h"

/* Remember the first failed write of the results (errno is the cause). */
static int write_failed(struct pmt_run *r, const char *path)
{
	if (!r->write_error[0])
		snprintf(r->write_error, sizeof(r->write_error), "cannot write %s: %s", path,
			 strerror(errno ? errno : EIO));
	return -1;
}

int pmt_run_open(struct pmt_run *r, const char *root, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	time_t now = time(NULL);
	struct tm tm;
	struct json_object *counts;

	memset(r, 0, sizeof(*r));
	r->events_fd = -1;
	localtime_r(&now, &tm);
	snprintf(r->id, sizeof(r->id), "%04d%02d%02d-%02d%02d%02d-%d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid());
	if (pmt_fmt(r->root, sizeof(r->root), "%s", root) ||
	    pmt_fmt(r->dir, sizeof(r->dir), "%s/%s", root, r->id)) {
		snprintf(err, errlen, "results folder path too long: %s", root);
		return -1;
	}
	if (pmt_mkdir_p(r->root, 0755) || access(r->root, W_OK)) {
		snprintf(err, errlen, "cannot write the results folder %s: %s", r->root, strerror(errno));
		return -1;
	}
	/*
	 * Made with mkdir, which fails if the folder exists: a run never
	 * writes into another's.  Time and pid can repeat (two harnesses as
	 * PID 1 in separate namespaces, started in one second), so on a clash
	 * the id gets a random suffix.
	 */
	for (int tries = 0; mkdir(r->dir, 0755); tries++) {
		unsigned int rnd = 0;
		size_t l = strlen(r->id);

		if (errno != EEXIST || tries == 16 ||
		    getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			snprintf(err, errlen, "cannot create the results folder %s: %s", r->dir,
				 strerror(errno == EEXIST ? EEXIST : errno));
			return -1;
		}
		if (tries)
			r->id[l - 9] = '\0';	/* drop the previous try's suffix */
		l = strlen(r->id);
		snprintf(r->id + l, sizeof(r->id) - l, "-%08x", rnd);
		if (pmt_fmt(r->dir, sizeof(r->dir), "%s/%s", root, r->id)) {
			snprintf(err, errlen, "results folder path too long: %s", root);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/events.jsonl", r->dir);
	r->events_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (r->events_fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	r->summary = json_object_new_object();
	json_object_object_add(r->summary, "run_id", json_object_new_string(r->id));
	json_object_object_add(r->summary, "properties", json_object_new_object());
	counts = json_object_new_object();
	for (int i = 0; i < PMT_NR_VERDICTS; i++)
		json_object_object_add(counts, pmt_verdict_name(i), json_object_new_int(0));
	json_object_object_add(r->summary, "counts", counts);
	json_object_object_add(r->summary, "cases", json_object_new_array());
	return 0;
}

void pmt_run_event(struct pmt_run *r, const char *type, struct json_object *fields)
{
	struct json_object *ev = fields ? fields : json_object_new_object();
	struct timespec ts;
	const char *s;
	char *line;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(ev, "time", json_object_new_double(ts.tv_sec + ts.tv_nsec / 1e9));
	json_object_object_add(ev, "type", json_object_new_string(type));
	pmt_json_sanitize(ev);
	s = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN);
	n = strlen(s);
	line = malloc(n + 1);
	if (line && r->events_fd >= 0) {
		/* One write(2) per event on an O_APPEND fd: lines never interleave. */
		memcpy(line, s, n);
		line[n] = '\n';
		if (pmt_write_all(r->events_fd, line, n + 1)) {
			char path[PATH_MAX + 32];

			snprintf(path, sizeof(path), "%s/events.jsonl", r->dir);
			write_failed(r, path);
		}
	}
	free(line);
	json_object_put(ev);
}

void pmt_run_set_property(struct pmt_run *r, const char *key, const char *value)
{
	struct json_object *props = json_object_object_get(r->summary, "properties");

	json_object_object_add(props, key, json_object_new_string(value ? value : ""));
}

/*
 * "mapsync:virtio-pmem:ext4" -> "mapsync-virtio-pmem-ext4": one safe path
 * element.  '#' (repeats) too: it would cut a report's relative links.
 */
static void case_dirname(const char *id, char *out, size_t len)
{
	size_t i;

	for (i = 0; id[i] && i + 1 < len; i++) {
		char ch = id[i];

		out[i] = (ch == ':' || ch == '/' || ch == ' ' || ch == '#') ? '-' : ch;
	}
	out[i] = '\0';
}

int pmt_run_case_dir(struct pmt_run *r, struct pmt_case *c)
{
	char name[160];

	case_dirname(c->id, name, sizeof(name));
	if (pmt_fmt(c->dir, sizeof(c->dir), "%s/cases/%s", r->dir, name))
		return -1;
	return pmt_mkdir_p(c->dir, 0755);
}

static int write_json_atomic(const char *path, struct json_object *o)
{
	const char *s;

	/* Guest text came in sanitized; console text read by a scenario may not have. */
	pmt_json_sanitize(o);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_NOSLASHESCAPE);

	return pmt_write_file_atomic(path, s, strlen(s));
}

static void add_str(struct json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
}

/* The case as case.json and summary.json hold it. */
static struct json_object *case_json(struct pmt_run *r, struct pmt_case *c)
{
	struct json_object *o = json_object_new_object();
	char seed[32];

	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "scenario", json_object_new_string(c->scenario->name));
	json_object_object_add(o, "device", json_object_new_string(pmt_device_name(c->device)));
	json_object_object_add(o, "fs", json_object_new_string(c->fs));
	json_object_object_add(o, "verdict", json_object_new_string(pmt_verdict_name(c->verdict)));
	json_object_object_add(o, "reason", json_object_new_string(c->reason));
	json_object_object_add(o, "duration_s", json_object_new_double(c->duration_s));
	json_object_object_add(o, "boot_s", json_object_new_double(c->boot_s));
	json_object_object_add(o, "dir", json_object_new_string(c->dir + strlen(r->dir) + 1));
	json_object_object_add(o, "details", json_object_get(c->details));
	json_object_object_add(o, "notes", json_object_get(c->notes));
	/* Where the case came from, so a report can say how to run it again. */
	add_str(o, "variant", c->variant);
	add_str(o, "section", c->section);
	add_str(o, "mount_opts", c->mount_opts);
	add_str(o, "mkfs_opts", c->mkfs_opts);
	add_str(o, "injector", c->inj ? c->inj->name : NULL);
	/* Issue 9: the kernel it ran on (the label its id carries in a matrix). */
	if (c->kernel)
		add_str(o, "kernel", c->kernel->label);
	else if (*pmt_json_str(c->details, "guest_kernel"))
		add_str(o, "kernel", pmt_json_str(c->details, "guest_kernel"));
	if (c->params)
		json_object_object_add(o, "params", json_object_get(c->params));
	json_object_object_add(o, "repeat", json_object_new_int((int)(c->repeat ? c->repeat : 1)));
	snprintf(seed, sizeof(seed), "%llu", c->seed);
	json_object_object_add(o, "seed", json_object_new_string(seed));
	return o;
}

int pmt_run_write_case(struct pmt_run *r, struct pmt_case *c)
{
	struct json_object *o = case_json(r, c);
	char path[PATH_MAX + 32];
	int rc;

	snprintf(path, sizeof(path), "%s/case.json", c->dir);
	rc = write_json_atomic(path, o);
	json_object_put(o);
	return rc;
}

int pmt_case_load_result(struct pmt_case *c, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	struct json_object *o, *v;
	int verdict;

	snprintf(path, sizeof(path), "%s/case.json", c->dir);
	o = json_object_from_file(path);
	verdict = o ? pmt_verdict_parse(pmt_json_str(o, "verdict")) : -1;
	if (verdict < 0) {
		snprintf(err, errlen, "%s: missing or not a case result", path);
		json_object_put(o);
		return -1;
	}
	c->verdict = verdict;
	c->verdict_set = true;
	snprintf(c->reason, sizeof(c->reason), "%s", pmt_json_str(o, "reason"));
	c->boot_s = pmt_json_double(o, "boot_s");
	c->duration_s = pmt_json_double(o, "duration_s");
	if (json_object_object_get_ex(o, "details", &v)) {
		json_object_put(c->details);
		c->details = json_object_get(v);
	}
	if (json_object_object_get_ex(o, "notes", &v)) {
		json_object_put(c->notes);
		c->notes = json_object_get(v);
	}
	json_object_put(o);
	return 0;
}

int pmt_run_add_case(struct pmt_run *r, struct pmt_case *c)
{
	struct json_object *o = case_json(r, c), *counts, *v;
	const char *verdict = pmt_verdict_name(c->verdict);
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/case.json", c->dir);
	if (write_json_atomic(path, o))
		write_failed(r, path);

	json_object_array_add(json_object_object_get(r->summary, "cases"), json_object_get(o));
	counts = json_object_object_get(r->summary, "counts");
	if (json_object_object_get_ex(counts, verdict, &v))
		json_object_set_int(v, json_object_get_int(v) + 1);
	/* Keep summary.json current, so an interrupted run still has one. */
	snprintf(path, sizeof(path), "%s/summary.json", r->dir);
	if (write_json_atomic(path, r->summary))
		write_failed(r, path);

	v = json_object_new_object();
	c->recorded = true;
	json_object_object_add(v, "case", json_object_new_string(c->id));
	json_object_object_add(v, "verdict", json_object_new_string(verdict));
	json_object_object_add(v, "reason", json_object_new_string(c->reason));
	json_object_object_add(v, "duration_s", json_object_new_double(c->duration_s));
	json_object_object_add(v, "boot_s", json_object_new_double(c->boot_s));
	pmt_run_event(r, "case-end", v);
	json_object_put(o);
	return pmt_run_failed(r) ? -1 : 0;
}

void pmt_run_mark_interrupted(struct pmt_run *r, int sig, const struct pmt_case *cases, size_t n)
{
	struct json_object *not_run = json_object_new_array(), *info = json_object_new_object();
	const char *name = pmt_signal_name(sig);
	char reason[64];
	size_t ran = 0;

	snprintf(reason, sizeof(reason), "not run: interrupted by %s", name);
	for (size_t i = 0; i < n; i++) {
		const struct pmt_case *c = &cases[i];
		struct json_object *o;

		if (c->recorded) {
			ran++;
			continue;
		}
		/* What names the case, as in "cases", but no verdict and no times. */
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(c->id));
		json_object_object_add(o, "scenario", json_object_new_string(c->scenario->name));
		json_object_object_add(o, "device",
				       json_object_new_string(pmt_device_name(c->device)));
		json_object_object_add(o, "fs", json_object_new_string(c->fs));
		add_str(o, "variant", c->variant);
		add_str(o, "kernel", c->kernel ? c->kernel->label : NULL);
		json_object_object_add(o, "reason", json_object_new_string(reason));
		json_object_array_add(not_run, o);
	}
	json_object_object_add(info, "signal", json_object_new_string(name));
	json_object_object_add(info, "cases", json_object_new_int64((int64_t)n));
	json_object_object_add(info, "finished", json_object_new_int64((int64_t)ran));
	json_object_object_add(info, "not_run", json_object_new_int64((int64_t)(n - ran)));
	json_object_object_add(r->summary, "interrupted", info);
	json_object_object_add(r->summary, "not_run", not_run);
	/* JUnit readers see properties only. */
	pmt_run_set_property(r, "interrupted", name);
	info = json_object_new_object();
	json_object_object_add(info, "signal", json_object_new_string(name));
	pmt_run_event(r, "run-interrupted", info);
}

static int write_text_atomic(const char *dir, const char *name, char *text)
{
	char path[PATH_MAX + 32];
	int rc;

	if (!text)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = pmt_write_file_atomic(path, text, strlen(text));
	free(text);
	return rc;
}

int pmt_reports_write(const char *dir, struct json_object *const *summaries, size_t n,
		      char *err, size_t errlen)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (write_json_atomic(path, summaries[0]) ||
	    write_text_atomic(dir, "junit.xml", pmt_report_junit(summaries[0])) ||
	    write_text_atomic(dir, "results.tap", pmt_report_tap(summaries[0])) ||
	    write_text_atomic(dir, "report.html", pmt_report_html(summaries, n))) {
		snprintf(err, errlen, "cannot write the reports in %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int pmt_run_finish(struct pmt_run *r, char *err, size_t errlen)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 48];

	if (pmt_reports_write(r->dir, &r->summary, 1, err, errlen))
		return -1;
	/* results/latest is replaced atomically: a symlink renamed over the old one. */
	snprintf(path, sizeof(path), "%s/latest", r->root);
	snprintf(tmp, sizeof(tmp), "%s/.latest.%s", r->root, r->id);
	unlink(tmp);
	if (symlink(r->id, tmp) == 0 && rename(tmp, path))
		unlink(tmp);
	return 0;
}

void pmt_run_close(struct pmt_run *r)
{
	if (r->events_fd >= 0)
		close(r->events_fd);
	r->events_fd = -1;
	json_object_put(r->summary);
	r->summary = NULL;
}
