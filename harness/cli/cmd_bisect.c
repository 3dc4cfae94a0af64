// SPDX-License-Identifier: MIT
/*
 * `pmtorture bisect`: across an ordered list of kernels (--debian-kernel
 * A..B, or several --kernel), the first one whose verdict on the selected
 * cases differs from the first kernel's, by binary search.
 *
 * Each probe is one ordinary run (pmt_run_session) of the cases on one
 * kernel, with --repeat N, in its own results folder under the bisect's.
 * The rule, also in `pmtorture help`: a kernel FAILs when any repeat of
 * any case is FAIL or XFAIL (an expunge does not make a finding go away
 * for a bisect); it PASSes when none is and none is BROK; otherwise it is
 * BROK, could not be judged, and is skipped like `git bisect skip`: the
 * search probes the nearest other kernel instead.
 *
 * --by kind|reason compares a signature instead of the verdict
 * (bisect_sig.h): each probe is "same" as the first kernel or "differs".
 *
 * Relied on: the search assumes one change of verdict across the list
 * (what a fix or a regression that stays looks like); pmt_run_session
 * returns a summary whose "cases" carry "verdict", and "dir".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bisect.h"
#include "bisect_sig.h"
#include "commands.h"
#include "json_util.h"
#include "kernels.h"
#include "log.h"
#include "cases.h"
#include "session.h"
#include "util.h"

#define PROBE_NONE PMT_PROBE_NONE
#define PROBE_PASS PMT_PROBE_PASS
#define PROBE_FAIL PMT_PROBE_FAIL
#define PROBE_BROK PMT_PROBE_BROK

static const char *const probe_names[] = { "-", "PASS", "FAIL", "BROK" };

struct probe {
	enum pmt_probe_verdict verdict;
	int total, pass, fail, brok, skip;	/* fail includes XFAIL */
	int exit_status;
	double seconds;
	char dir[PATH_MAX];
	char why[512];				/* a run that did not finish */
	char *sig;				/* --by kind|reason: what is compared */
};

struct bisect {
	const struct pmt_options *o;
	struct pmt_kernel_set *kernels;
	struct probe *p;
	enum pmt_bisect_by by;
	char dir[PATH_MAX];
	int nprobes;
	int64_t t0;
};

/* The probe's outcome as the search sees it: a verdict, or with --by,
 * "same" or "differs" (from the first kernel's signature). */
static const char *probe_label(const struct bisect *b, const struct probe *p)
{
	if (b->by == PMT_BY_VERDICT || p->verdict == PROBE_BROK || p->verdict == PROBE_NONE)
		return probe_names[p->verdict];
	return p->verdict == PROBE_PASS ? "same" : "differs";
}

/* "9m12s" or "41s". */
static void duration(double s, char *buf, size_t len)
{
	int t = (int)(s + 0.5);

	if (t >= 60)
		snprintf(buf, len, "%dm%02ds", t / 60, t % 60);
	else
		snprintf(buf, len, "%ds", t);
}

static struct json_object *probe_json(const struct bisect *b, size_t i)
{
	const struct probe *p = &b->p[i];
	const struct pmt_kernel *k = &b->kernels->v[i];
	struct json_object *o = json_object_new_object(), *c = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int((int)i));
	json_object_object_add(o, "kernel", json_object_new_string(k->label));
	json_object_object_add(o, "name", json_object_new_string(k->name));
	if (k->package[0])
		json_object_object_add(o, "package", json_object_new_string(k->package));
	json_object_object_add(o, "verdict", json_object_new_string(probe_label(b, p)));
	if (p->sig)
		json_object_object_add(o, "signature", json_object_new_string(p->sig));
	json_object_object_add(c, "cases", json_object_new_int(p->total));
	json_object_object_add(c, "PASS", json_object_new_int(p->pass));
	json_object_object_add(c, "FAIL", json_object_new_int(p->fail));
	json_object_object_add(c, "BROK", json_object_new_int(p->brok));
	json_object_object_add(c, "SKIP", json_object_new_int(p->skip));
	json_object_object_add(o, "counts", c);
	json_object_object_add(o, "seconds", json_object_new_double(p->seconds));
	json_object_object_add(o, "exit_status", json_object_new_int(p->exit_status));
	json_object_object_add(o, "results", json_object_new_string(p->dir));
	if (p->why[0])
		json_object_object_add(o, "error", json_object_new_string(p->why));
	return o;
}

/* bisect.json, rewritten after each probe: an interrupted bisect keeps what it learnt. */
static void write_json(const struct bisect *b, const char *result_kind, const char *line)
{
	struct json_object *o = json_object_new_object(), *ks = json_object_new_array();
	struct json_object *ps = json_object_new_array();
	char path[PATH_MAX + 16];
	const char *s;

	for (size_t i = 0; i < b->kernels->n; i++) {
		json_object_array_add(ks, json_object_new_string(b->kernels->v[i].label));
		if (b->p[i].verdict != PROBE_NONE)
			json_object_array_add(ps, probe_json(b, i));
	}
	json_object_object_add(o, "kernels", ks);
	json_object_object_add(o, "by", json_object_new_string(pmt_bisect_by_name(b->by)));
	json_object_object_add(o, "repeat", json_object_new_int(b->o->repeat ? b->o->repeat : 1));
	json_object_object_add(o, "scenarios", json_object_new_string(b->o->scenarios));
	if (b->o->filter)
		json_object_object_add(o, "filter", json_object_new_string(b->o->filter));
	json_object_object_add(o, "rule", json_object_new_string(
		"a kernel FAILs if any repeat of any case is FAIL or XFAIL; it PASSes if none is and "
		"none is BROK; else it is BROK and skipped"));
	json_object_object_add(o, "probes", ps);
	json_object_object_add(o, "duration_s",
			       json_object_new_double((pmt_now_ms() - b->t0) / 1000.0));
	if (result_kind) {
		json_object_object_add(o, "result", json_object_new_string(result_kind));
		json_object_object_add(o, "line", json_object_new_string(line));
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(path, sizeof(path), "%s/bisect.json", b->dir);
	if (pmt_write_file_atomic(path, s, strlen(s)))
		pmt_err("cannot write %s: %s", path, strerror(errno));
	json_object_put(o);
}

/* One run of the cases on kernel @i alone; its verdict by the rule above. */
static enum pmt_probe_verdict probe(void *ctx, size_t i)
{
	struct bisect *b = ctx;
	struct pmt_kernel_set one = { .v = &b->kernels->v[i], .n = 1 };
	struct pmt_options po = *b->o;
	struct probe *p = &b->p[i];
	struct json_object *summary = NULL, *cases;
	const struct pmt_kernel *k = &b->kernels->v[i];
	char root[PATH_MAX], took[32];
	int64_t t0 = pmt_now_ms();

	if (p->verdict != PROBE_NONE)
		return p->verdict;
	b->nprobes++;
	if (pmt_fmt(root, sizeof(root), "%s/%s", b->dir, k->label)) {
		snprintf(p->why, sizeof(p->why), "results path too long");
		p->verdict = PROBE_BROK;
		return p->verdict;
	}
	pmt_info("bisect: probe %d: kernel %s (%zu of %zu)", b->nprobes, k->name, i + 1,
		 b->kernels->n);
	po.kernels = &one;
	po.kernel = NULL;
	po.modules = NULL;
	po.results = root;
	p->exit_status = pmt_run_session(&po, &summary);
	p->seconds = (pmt_now_ms() - t0) / 1000.0;
	if (!summary) {
		/* The run did not finish: an image that could not be built, say. */
		snprintf(p->why, sizeof(p->why), "the run on %s did not finish (exit %d): see above",
			 k->label, p->exit_status);
		p->verdict = PROBE_BROK;
	} else {
		cases = json_object_object_get(summary, "cases");
		for (size_t c = 0; cases && c < json_object_array_length(cases); c++) {
			const char *v = pmt_json_str(json_object_array_get_idx(cases, c), "verdict");

			p->total++;
			p->pass += !strcmp(v, "PASS");
			p->fail += !strcmp(v, "FAIL") || !strcmp(v, "XFAIL");
			p->brok += !strcmp(v, "BROK");
			p->skip += !strcmp(v, "SKIP");
		}
		snprintf(p->dir, sizeof(p->dir), "%s", pmt_json_str(summary, "dir"));
		p->verdict = p->fail ? PROBE_FAIL : !p->brok && p->pass ? PROBE_PASS : PROBE_BROK;
		/* --by kind|reason: the same signature as kernel 0's (probed first)
		 * is that side of the search, another one the other side. */
		if (b->by != PMT_BY_VERDICT && p->verdict != PROBE_BROK) {
			p->sig = pmt_bisect_signature(summary, b->by);
			if (!p->sig)
				abort();
			p->verdict = i == 0 || !b->p[0].sig || !strcmp(p->sig, b->p[0].sig)
				     ? PROBE_PASS : PROBE_FAIL;
		}
		json_object_put(summary);
	}
	duration(p->seconds, took, sizeof(took));
	printf("bisect: %-24s %s  PASS %d/%d, FAIL %d/%d, BROK %d, SKIP %d  (%s)  %s\n", k->name,
	       probe_label(b, p), p->pass, p->total, p->fail, p->total, p->brok, p->skip, took,
	       p->dir[0] ? p->dir : p->why);
	fflush(stdout);
	write_json(b, NULL, NULL);
	return p->verdict;
}

/* "FAIL 8/14 at 6.12.107": a probe's verdict, with the count of that verdict. */
static void probe_words(const struct bisect *b, size_t i, char *buf, size_t len)
{
	const struct probe *p = &b->p[i];

	if (b->by != PMT_BY_VERDICT && p->verdict != PROBE_BROK) {
		snprintf(buf, len, "%s at %s: FAIL %d/%d", probe_label(b, p), b->kernels->v[i].name,
			 p->fail, p->total);
		return;
	}
	snprintf(buf, len, "%s %d/%d at %s", probe_names[p->verdict],
		 p->verdict == PROBE_FAIL ? p->fail : p->pass, p->total, b->kernels->v[i].name);
}

/* The unprobed kernel in (lo, hi) nearest the middle, or -1 when there is none. */
static long next_probe(const enum pmt_probe_verdict *v, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2;

	for (size_t d = 0; d < hi - lo; d++) {
		if (mid >= d && mid - d > lo && v[mid - d] == PMT_PROBE_NONE)
			return (long)(mid - d);
		if (mid + d < hi && mid + d > lo && v[mid + d] == PMT_PROBE_NONE)
			return (long)(mid + d);
	}
	return -1;
}

enum pmt_bisect_outcome pmt_bisect_search(size_t n,
					  enum pmt_probe_verdict (*probe_fn)(void *ctx, size_t i),
					  void *ctx, size_t *lo, size_t *hi)
{
	enum pmt_probe_verdict *v = calloc(n ? n : 1, sizeof(*v)), v0;
	enum pmt_bisect_outcome out;
	long mid;

	if (!v)
		abort();
	*lo = 0;
	*hi = 0;
	v0 = v[0] = n ? probe_fn(ctx, 0) : PMT_PROBE_BROK;
	if (v0 == PMT_PROBE_BROK) {
		out = PMT_BISECT_FIRST_BROK;
		goto done;
	}
	/* The last kernel that can be judged. */
	for (*hi = n - 1; *hi > 0 && (v[*hi] = probe_fn(ctx, *hi)) == PMT_PROBE_BROK; --*hi)
		;
	if (*hi == 0) {
		out = PMT_BISECT_ALL_BROK;
		goto done;
	}
	if (v[*hi] == v0) {
		out = PMT_BISECT_NO_CHANGE;
		goto done;
	}
	/* lo has kernel 0's verdict, hi the other one. */
	while ((mid = next_probe(v, *lo, *hi)) >= 0) {
		v[mid] = probe_fn(ctx, (size_t)mid);
		if (v[mid] == v0)
			*lo = (size_t)mid;
		else if (v[mid] != PMT_PROBE_BROK)
			*hi = (size_t)mid;
	}
	out = *hi - *lo > 1 ? PMT_BISECT_BETWEEN : PMT_BISECT_FOUND;
done:
	free(v);
	return out;
}

static int make_dir(struct bisect *b, char *err, size_t errlen)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (pmt_mkdir_p(b->o->results, 0755) ||
	    pmt_fmt(b->dir, sizeof(b->dir), "%s/bisect-%04d%02d%02d-%02d%02d%02d-%d", b->o->results,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (int)getpid()) ||
	    mkdir(b->dir, 0755)) {
		snprintf(err, errlen, "cannot create the bisect folder under %s: %s", b->o->results,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Say the result, on stdout and in bisect.json; returns the exit status. */
static int finish(struct bisect *b, const char *kind, const char *line, int rc)
{
	char took[32];

	duration((pmt_now_ms() - b->t0) / 1000.0, took, sizeof(took));
	write_json(b, kind, line);
	printf("bisect: %d probes in %s; %s/bisect.json\n%s\n", b->nprobes, took, b->dir, line);
	fflush(stdout);
	return rc;
}

int pmt_bisect_main(const struct pmt_options *o)
{
	struct bisect b = { .o = o, .kernels = o->kernels, .t0 = pmt_now_ms() };
	struct pmt_case *cases;
	char err[1024], line[1024], w1[160], w2[160];
	size_t n, lo = 0, hi = 0, ncases;
	enum pmt_bisect_outcome outcome;
	enum pmt_probe_verdict v0;
	int rc;

	if (!o->kernels || o->kernels->n < 2) {
		pmt_err("bisect needs two kernels or more: --debian-kernel A..B, or --kernel ... "
			"--kernel ...");
		return 2;
	}
	n = o->kernels->n;
	/* A selection that matches nothing is refused before anything is fetched. */
	if (pmt_cases_build(o, &cases, &ncases, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	pmt_cases_free(cases, ncases);
	if (make_dir(&b, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	b.p = calloc(n, sizeof(*b.p));
	if (!b.p)
		abort();
	if (o->bisect_by && pmt_bisect_by_parse(o->bisect_by, &b.by))
		abort();	/* the options table refused any other name */
	pmt_info("bisect: %zu kernels, %s to %s; results in %s", n, o->kernels->v[0].name,
		 o->kernels->v[n - 1].name, b.dir);

	outcome = pmt_bisect_search(n, probe, &b, &lo, &hi);
	v0 = b.p[0].verdict;
	probe_words(&b, lo, w1, sizeof(w1));
	probe_words(&b, hi, w2, sizeof(w2));
	switch (outcome) {
	case PMT_BISECT_FIRST_BROK:
		snprintf(line, sizeof(line), "open: the first kernel %s could not be judged (BROK %d/%d): "
			 "nothing to compare with", o->kernels->v[0].name, b.p[0].brok, b.p[0].total);
		rc = finish(&b, "open", line, 2);
		break;
	case PMT_BISECT_ALL_BROK:
		snprintf(line, sizeof(line), "open: no kernel after %s could be judged (all BROK)",
			 o->kernels->v[0].name);
		rc = finish(&b, "open", line, 2);
		break;
	case PMT_BISECT_NO_CHANGE:
		snprintf(line, sizeof(line), "no change: %s, %s%s", w1, w2,
			 hi < n - 1 ? " (the kernels after it were BROK)" : "");
		rc = finish(&b, "no change", line, 1);
		break;
	case PMT_BISECT_BETWEEN:
		/* Only BROK kernels between them: the change is in one of those or at hi. */
		snprintf(line, sizeof(line), "first %s: one of %s..%s (%s, %s; the kernels between are BROK)",
			 v0 == PROBE_FAIL ? "fixed" : "broken", o->kernels->v[lo + 1].name,
			 o->kernels->v[hi].name, w1, w2);
		rc = finish(&b, "open", line, 2);
		break;
	case PMT_BISECT_FOUND:
	default:
		if (b.by != PMT_BY_VERDICT) {
			snprintf(line, sizeof(line), "first different (by %s): %s (%s, %s)",
				 pmt_bisect_by_name(b.by), o->kernels->v[hi].name, w1, w2);
			rc = finish(&b, "first different", line, 0);
			break;
		}
		snprintf(line, sizeof(line), "first %s: %s (%s, %s)", v0 == PROBE_FAIL ? "fixed" : "broken",
			 o->kernels->v[hi].name, w1, w2);
		rc = finish(&b, v0 == PROBE_FAIL ? "first fixed" : "first broken", line, 0);
		break;
	}
	for (size_t i = 0; i < n; i++)
		free(b.p[i].sig);
	free(b.p);
	return rc;
}
