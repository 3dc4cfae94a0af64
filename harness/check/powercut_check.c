// SPDX-License-Identifier: MIT
/*
 * The power cut's check stage: after the cut (the powercut injector's fire,
 * SIGKILL of QEMU), recover the shim's durable image (a cut mid-commit
 * leaves a journal to replay or drop: durable.h), then walk every
 * persistence point from the workload's first flush to the last in checker
 * guests (crash_states.h) and set the verdict: a broken promise, an
 * unmountable state or an fsck error is FAIL, with the command that
 * replays the gravest state; a case that checked no promise is BROK: it
 * proved nothing.  Its input is the injector's workload result:
 * {"shim_dir", "first", "crash_points", "events"}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash_states.h"
#include "durable.h"
#include "injector.h"
#include "json_util.h"
#include "minimize.h"
#include "powercut_check.h"
#include "util.h"

/* The epoch log's size on disk: what the power-cut model cost. */
static long long epoch_log_bytes(const char *dir)
{
	struct pmt_epoch *e = NULL;
	long long bytes = 0;
	size_t n = 0;

	if (pmt_epochs_load(dir, &e, &n))
		return 0;
	for (size_t i = 0; i < n; i++)
		bytes += (long long)e[i].bytes;
	pmt_epochs_free(e, n);
	return bytes;
}

/* The host flushes as the shim logged them, for the timeline: [[seq, pages, action]]. */
static struct json_object *flush_log(struct pmt_case *c, const char *dir)
{
	struct json_object *out = json_object_new_array();
	char log[PATH_MAX];
	size_t len = 0;
	char *text, *line, *save = NULL;

	pmt_fmt(log, sizeof(log), "%s/flushes.jsonl", dir);
	text = pmt_read_file(log, 1 << 22, &len);
	if (!text)
		return out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *f = json_tokener_parse(line), *t;

		if (!f)
			continue;
		t = json_object_new_array();
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(f, "seq", 0)));
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(f, "pages", 0)));
		json_object_array_add(t, json_object_new_string(pmt_json_str(f, "action")));
		json_object_array_add(out, t);
		json_object_put(f);
	}
	free(text);
	json_object_object_add(c->details, "host_flushes",
			       json_object_new_int64((int64_t)json_object_array_length(out)));
	return out;
}

/* The verdict from the walk's tallies. */
static void walk_verdict(struct pmt_case *c, const struct pmt_walk_result *w, long long flushes)
{
	struct json_object *broken, *bykind;
	char kinds[160] = "";
	size_t used = 0;

	if (!w->bad && !w->promises_checked) {
		pmt_case_verdict(c, PMT_BROK, "check: checked no promise (%lld points, %lld states, "
				 "%lld promises lapsed)", w->points, w->states, w->lapsed);
		return;
	}
	if (!w->bad) {
		pmt_case_verdict(c, PMT_PASS, "%lld flushes: %lld points, %lld states, %lld promises "
				 "checked, fsck clean", flushes, w->points, w->states,
				 w->promises_checked);
		return;
	}
	broken = json_object_new_object();
	bykind = json_object_new_object();
	for (int i = 0; i < PMT_WALK_KINDS; i++)
		if (w->kinds[i]) {
			used += (size_t)snprintf(kinds + used, sizeof(kinds) - used, "%s%s %lld",
						 used ? ", " : "", pmt_walk_kind_names[i], w->kinds[i]);
			json_object_object_add(bykind, pmt_walk_kind_names[i],
					       json_object_new_int64(w->kinds[i]));
		}
	/* The report's cell and tooltip give these counts (report_html.c). */
	json_object_object_add(broken, "states", json_object_new_int64(w->bad));
	json_object_object_add(broken, "points", json_object_new_int64(w->bad_points));
	json_object_object_add(broken, "kinds", bykind);
	json_object_object_add(c->details, "broken", broken);
	json_object_object_add(c->details, "reproduce", json_object_new_string(w->cmd));
	pmt_case_verdict(c, PMT_FAIL, "%s: %lld flushes, %lld promises checked; %lld of %lld "
			 "crash states broken at %lld of %lld points (%s); gravest first: %s; "
			 "reproduce: %s", c->variant, flushes, w->promises_checked, w->bad,
			 w->states, w->bad_points, w->points, kinds, w->first_bad, w->cmd);
}

/*
 * The gravest state, shrunk to what still fails the same way (minimize.h);
 * --param min_checks=0 leaves it whole.
 */
static void minimize(struct pmt_case *c, const char *shim_dir, const struct pmt_walk_result *w)
{
	struct pmt_min_plan mp = {
		.dir = shim_dir, .save_dir = c->dir, .name = w->first_name,
		.point = w->first_point, .text = w->first_text,
		.max_checks = (int)pmt_case_param_int(c, "min_checks", PMT_MIN_CHECKS),
		.max_seconds = (int)pmt_case_param_int(c, "min_seconds", PMT_MIN_SECONDS),
	};

	if (mp.max_checks > 0)
		pmt_minimize_state(c, &mp);
}

/* Every persistence point, in checker guests (crash_states.h). */
static int check_points(struct pmt_case *c, const char *shim_dir, struct json_object *events,
			long long first, long long last, long long crash_points)
{
	struct pmt_walk_plan plan = {
		.dir = shim_dir, .current = c->vm->cfg.disks[0].path, .events = events,
		.first = first, .last = last, .crash_points = crash_points,
		.crash_states = c->opt->crash_states, .seed = c->seed,
		.save_dir = c->dir, .fs = c->fs,
	};
	struct json_object *timeline = json_object_new_object(), *proms;
	struct pmt_walk_result w;
	int rc;

	pmt_case_phase(c, "crash-states");
	rc = pmt_check_crash_states(c, &plan, c->checkers, &w);
	json_object_object_add(c->details, "points_total", json_object_new_int64(last - first + 1));
	json_object_object_add(c->details, "points", json_object_new_int64(w.points));
	json_object_object_add(c->details, "states", json_object_new_int64(w.states));
	json_object_object_add(c->details, "promises_checked",
			       json_object_new_int64(w.promises_checked));
	json_object_object_add(c->details, "promises_lapsed", json_object_new_int64(w.lapsed));
	json_object_object_add(c->details, "epoch_log_bytes",
			       json_object_new_int64(epoch_log_bytes(shim_dir)));
	if (!rc)
		walk_verdict(c, &w, last - first);
	if (!rc && c->verdict == PMT_FAIL && w.first_name[0])
		minimize(c, shim_dir, &w);

	/* The timeline of the run, for the report's picture. */
	proms = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		struct json_object *ev = json_object_array_get_idx(events, i), *t;

		if (strcmp(pmt_json_str(ev, "event"), "promise"))
			continue;
		t = json_object_new_array();
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(ev, "op", -1)));
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(ev, "flushed", -1)));
		json_object_array_add(proms, t);
	}
	json_object_object_add(timeline, "first", json_object_new_int64(first));
	json_object_object_add(timeline, "last", json_object_new_int64(last));
	json_object_object_add(timeline, "flushes", flush_log(c, shim_dir));
	json_object_object_add(timeline, "promises", proms);
	json_object_object_add(timeline, "points", json_object_get(w.timeline));
	json_object_object_add(c->details, "timeline", timeline);
	json_object_object_add(c->details, "failures", json_object_get(w.failures));
	json_object_object_add(c->details, "crash_states", json_object_get(w.report));
	pmt_walk_result_free(&w);
	return rc;
}

static int crash_states_check(struct pmt_case *c, struct json_object *result)
{
	const char *dir = pmt_json_str(result, "shim_dir");
	struct json_object *events = json_object_object_get(result, "events");
	long long first = pmt_json_int64(result, "first", -1), made = 0;
	uint64_t last;

	pmt_case_phase(c, "durable");
	if (!dir[0] || first < 0 || !json_object_is_type(events, json_type_array)) {
		pmt_case_verdict(c, PMT_BROK, "durable: the workload left no shim folder or events");
		return -1;
	}
	/* Read after the cut: no flush completes once QEMU is gone. */
	if (pmt_flush_counter_read(dir, &last)) {
		pmt_case_verdict(c, PMT_BROK, "durable: the shim keeps no flush count in %s: %s",
				 dir, strerror(errno));
		return -1;
	}
	json_object_object_add(c->details, "flushes", json_object_new_int64((long long)last - first));
	if (pmt_durable_recover(dir) < 0) {
		pmt_case_verdict(c, PMT_BROK, "durable: recovering %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(events); i++)
		made += !strcmp(pmt_json_str(json_object_array_get_idx(events, i), "event"), "promise");
	json_object_object_add(c->details, "promises_made", json_object_new_int64(made));
	return check_points(c, dir, events, first, (long long)last,
			    pmt_json_int64(result, "crash_points", 0));
}

const struct pmt_check_stage pmt_check_stage_powercut = {
	.name = "crash-states",
	.check = crash_states_check,
};
