// SPDX-License-Identifier: MIT
/*
 * powercut: host power cuts at every persistence point of a workload on
 * virtio-pmem, from one guest run.
 *
 * QEMU runs with the LD_PRELOAD shim (injectors/powercut), which keeps an
 * epoch log: at each host flush n (QEMU's fsync of the backing file) the
 * pages written since flush n - 1, with their content at that moment, and
 * a count of completed flushes (durable.h).  The workload streams intents
 * before each change and promises after each sync (workloads/promise.h);
 * the harness stamps both with the flush count, holding the guest at each
 * change until it has read the count (the rule: harness/check/promises.h).
 *
 * The workload runs to its end (or to the --crash-at point) and QEMU is
 * killed.  Then every flush n from the workload's start is a crash point:
 * the durable image at n, plus any subset of epoch n + 1's pages, whole or
 * torn at a 512-byte sector (a host disk need not write a 4 KiB page
 * atomically): all lost, all kept, all kept torn, and --crash-states
 * seeded subsets, half of them with torn pages.  One checker guest that
 * stays up walks the points in order: for each state the host rewrites its
 * backing file, the guest mounts it (log recovery), verifies the promises
 * in force at that point, unmounts and runs fsck -n.
 *
 * Verdicts: a broken promise, an unmountable state or an fsck error is
 * FAIL, saved with a command that replays exactly that state.  A case that
 * checked no promise at any state is BROK: it proved nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "agent_proto.h"
#include "guest_setup.h"
#include "image.h"
#include "json_util.h"
#include "log.h"
#include "proc.h"
#include "shard.h"
#include "runner.h"
#include "util.h"
#include "crash_states.h"
#include "minimize.h"
#include "injector.h"
#include "lifecycle.h"
#include "powercut.h"
#include "shim_env.h"


/*
 * Where the final cut goes (--crash-at, or a plan's param.crash_at); every
 * persistence point before it is checked whatever the choice:
 *   end       after the workload's last op (the default)
 *   op        at op K's change, K from --seed: the guest is let go and
 *             killed at once, so the change is in flight
 *   flush     while the next host flush after op K starts is held before
 *             it is recorded: the guest's sync never returns
 *   flush-mid the same, after part of the flush's journal is written (the
 *             epoch must come back whole-old)
 *   time      at a seeded random time in the first 2 s of the workload
 */
enum crash_at { CRASH_END, CRASH_OP, CRASH_FLUSH, CRASH_FLUSH_MID, CRASH_TIME };
static const char *const crash_at_names[] = { "end", "op", "flush", "flush-mid", "time", NULL };

/* A planted device (--flush-mode): honest, lying, or dropping flushes. */
struct device_plan {
	bool lying;
	long long drop_every;	/* every Nth flush from the start, or 0 */
	long long drop_burst;	/* B flushes in a row from op drop_op, or 0 */
	long long drop_op;
};

struct cut {
	struct json_object *events;	/* intents, progress and promises, stamped, in order */
	struct pmt_agent *agent;
	enum crash_at kind;
	long long at_op;		/* op K, or -1 */
	const char *shim_dir;
	const struct device_plan *dev;
	bool cut;
	bool ack_failed;
	long long sync_error_op;
	long long drop_from;		/* the first dropped flush, once planted */
};

#define flushes_done pmt_shim_flushes_done
#define plant_mode pmt_shim_set_mode

static int on_event(void *ctx, const struct pmt_msg *m)
{
	struct cut *k = ctx;
	long long op = pmt_json_int64(m->root, "op", -1);
	bool is_progress = !strcmp(m->event, "progress");

	if (!strcmp(m->event, "sync-error"))
		k->sync_error_op = op;
	if (strcmp(m->event, "promise") && strcmp(m->event, "intent") && !is_progress)
		return 0;
	/* Read before the ack: the change's writes come after this count. */
	if (strcmp(m->event, "intent"))
		json_object_object_add(m->root, "flushed",
				       json_object_new_int64(flushes_done(k->shim_dir)));
	json_object_array_add(k->events, json_object_get(m->root));
	if (!is_progress)
		return 0;

	if (k->dev->drop_burst && op == k->dev->drop_op && k->drop_from < 0) {
		char mode[96];

		/* From the next flush: those of this change's sync. */
		k->drop_from = pmt_json_int64(m->root, "flushed", 0) + 1;
		snprintf(mode, sizeof(mode), "drop burst=%lld from=%lld\n", k->dev->drop_burst,
			 k->drop_from);
		plant_mode(k->shim_dir, mode);
	}
	if (op == k->at_op && k->kind != CRASH_END && k->kind != CRASH_TIME) {
		/* The shim reads this at its next flush and holds it. */
		if (k->kind == CRASH_FLUSH || k->kind == CRASH_FLUSH_MID)
			plant_mode(k->shim_dir, k->kind == CRASH_FLUSH ? "hold\n" : "hold-mid\n");
		if (pmt_json_bool(m->root, "ack", false))
			pmt_agent_send_ack(k->agent, pmt_json_int64(m->root, "flushed", 0));
		k->cut = true;
		return 1;	/* stop waiting for the reply */
	}
	if (pmt_json_bool(m->root, "ack", false) &&
	    pmt_agent_send_ack(k->agent, pmt_json_int64(m->root, "flushed", 0))) {
		k->ack_failed = true;
		return 1;
	}
	return 0;
}

/* Wait (inotify, bounded) until the shim holds a flush: DIR/held or DIR/held-mid. */
static int wait_for_hold(const char *dir, const char *name, int timeout_s)
{
	char path[PATH_MAX];
	int64_t deadline = pmt_now_ms() + (int64_t)timeout_s * 1000;
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int rc = -1;

	pmt_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE) < 0)
		goto out;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char buf[4096];
		int64_t left;

		/* Checked after the watch exists: a hold before it is not missed. */
		if (access(path, F_OK) == 0) {
			rc = 0;
			break;
		}
		left = deadline - pmt_now_ms();
		/* Interrupted: the guest that would make the hold is gone. */
		if (left <= 0 || pmt_interrupted())
			break;
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) > 0 && read(fd, buf, sizeof(buf)) < 0)
			continue;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Run the workload and cut the power at the end or the crash point.  0, or -1 after a BROK. */
static int run_and_cut(struct pmt_case *c, struct cut *k, uint64_t *rng)
{
	struct json_object *args = json_object_new_object(), *wargs = json_object_new_object();
	struct pmt_agent *a = &c->vm->agent;
	char err[512];
	int rc;

	json_object_object_add(wargs, "ops", json_object_new_int(c->opt->ops));
	json_object_object_add(wargs, "seed", json_object_new_int64((int64_t)c->seed));
	json_object_object_add(wargs, "ack", json_object_new_boolean(true));
	json_object_object_add(args, "workload", json_object_new_string(c->variant));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	a->on_event = on_event;
	a->event_ctx = k;
	k->agent = a;
	if (k->kind == CRASH_TIME) {
		/* Not through pmt_case_agent: here a timeout is the crash point. */
		int64_t delay = (int64_t)(pmt_splitmix64(rng) % 2000);

		json_object_object_add(c->details, "crash_after_ms", json_object_new_int64(delay));
		rc = pmt_agent_call(a, "run", args, NULL, pmt_now_ms() + delay, err, sizeof(err));
		if (rc == PMT_AGENT_TRANSPORT && c->vm->backend->wait_exit(c->vm, pmt_now_ms())) {
			pmt_case_verdict(c, PMT_BROK, "workload: QEMU ended before the crash point: %s", err);
			rc = -1;
		} else {
			k->cut = rc == PMT_AGENT_TRANSPORT;
			rc = rc == PMT_AGENT_GUEST_ERROR ? 1 : 0;
		}
	} else {
		struct json_object *res = NULL;

		rc = pmt_case_agent(c, "run", args, &res, err, sizeof(err));
		/* Finished before the crash point: what it said counts too (an
		 * external workload such as fio verifies its own data). */
		if (rc == 0 && res) {
			json_object_object_add(c->details, "workload_result", json_object_get(res));
			if (pmt_json_int(res, "fio_exit", 0) != 0)
				pmt_case_verdict(c, PMT_FAIL, "workload: fio exited %d at op %d "
						 "(its verify failed or an I/O error): %s",
						 pmt_json_int(res, "fio_exit", 0),
						 pmt_json_int(res, "fio_op", -1),
						 pmt_json_str(res, "fio_output"));
		}
		json_object_put(res);
	}
	a->on_event = NULL;
	json_object_put(args);
	if (k->ack_failed) {
		pmt_case_verdict(c, PMT_BROK, "workload: sending the ack to the guest failed");
		c->vm->backend->power_cut(c->vm);
		return -1;
	}
	if (rc < 0)
		return -1;
	if (rc == 1) {
		pmt_case_verdict(c, PMT_BROK, "workload: %s could not run: %s", c->variant, err);
		return -1;
	}
	if (k->cut && (k->kind == CRASH_FLUSH || k->kind == CRASH_FLUSH_MID)) {
		const char *held = k->kind == CRASH_FLUSH ? "held" : "held-mid";

		if (wait_for_hold(k->shim_dir, held, c->opt->cmd_timeout_s)) {
			pmt_case_verdict(c, PMT_BROK, "workload: no host flush was held after op %lld "
					 "(fault did not fire)", k->at_op);
			c->vm->backend->power_cut(c->vm);
			return -1;
		}
	}
	/* The power goes: SIGKILL, nothing flushed.  A workload that ended
	 * before the crash point (a sync error stops it) is cut here too. */
	return pmt_inject_fire(c);
}

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
static void minimize(struct pmt_case *c, struct cut *k, const struct pmt_walk_result *w)
{
	const char *checks = pmt_case_param(c, "min_checks");
	const char *secs = pmt_case_param(c, "min_seconds");
	struct pmt_min_plan mp = {
		.dir = k->shim_dir, .save_dir = c->dir, .name = w->first_name,
		.point = w->first_point, .text = w->first_text,
		.max_checks = checks ? atoi(checks) : PMT_MIN_CHECKS,
		.max_seconds = secs ? atoi(secs) : PMT_MIN_SECONDS,
	};

	if (mp.max_checks > 0)
		pmt_minimize_state(c, &mp);
}

/* Every persistence point, in checker guests (harness/check/crash_states.h). */
static int check_points(struct pmt_case *c, struct cut *k, long long first, long long last,
			long long crash_points)
{
	struct pmt_walk_plan plan = {
		.dir = k->shim_dir, .current = c->vm->cfg.disks[0].path, .events = k->events,
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
			       json_object_new_int64(epoch_log_bytes(k->shim_dir)));
	if (!rc)
		walk_verdict(c, &w, last - first);
	if (!rc && c->verdict == PMT_FAIL && w.first_name[0])
		minimize(c, k, &w);

	/* The timeline of the run, for the report's picture. */
	proms = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(k->events); i++) {
		struct json_object *ev = json_object_array_get_idx(k->events, i), *t;

		if (strcmp(pmt_json_str(ev, "event"), "promise"))
			continue;
		t = json_object_new_array();
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(ev, "op", -1)));
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(ev, "flushed", -1)));
		json_object_array_add(proms, t);
	}
	json_object_object_add(timeline, "first", json_object_new_int64(first));
	json_object_object_add(timeline, "last", json_object_new_int64(last));
	json_object_object_add(timeline, "flushes", flush_log(c, k->shim_dir));
	json_object_object_add(timeline, "promises", proms);
	json_object_object_add(timeline, "points", json_object_get(w.timeline));
	json_object_object_add(c->details, "timeline", timeline);
	json_object_object_add(c->details, "failures", json_object_get(w.failures));
	json_object_object_add(c->details, "crash_states", json_object_get(w.report));
	pmt_walk_result_free(&w);
	return rc;
}

/* The injector's parameter @key (a plan's or --param), or @dflt (the named option's). */
static const char *param(const struct pmt_case *c, const char *key, const char *dflt)
{
	const char *v = pmt_case_param(c, key);

	return v ? v : dflt;
}

/* param.crash_points: all or a positive count; else --crash-points. */
static int crash_points_parse(struct pmt_case *c, long long *n)
{
	const char *v = param(c, "crash_points", NULL);
	char *end;

	*n = c->opt->crash_points;
	if (!v || !strcmp(v, "all")) {
		if (v)
			*n = 0;
		return 0;
	}
	errno = 0;
	*n = strtoll(v, &end, 10);
	if (errno || end == v || *end || *n < 1) {
		pmt_case_verdict(c, PMT_BROK, "setup: param.crash_points \"%s\" is not all or a "
				 "positive number", v);
		return -1;
	}
	return 0;
}

static int crash_at_parse(struct pmt_case *c, enum crash_at *kind)
{
	const char *name = param(c, "crash_at", c->opt->crash_at);

	for (int i = 0; crash_at_names[i]; i++) {
		if (!strcmp(name, crash_at_names[i])) {
			*kind = (enum crash_at)i;
			return 0;
		}
	}
	pmt_case_verdict(c, PMT_BROK, "setup: crash_at \"%s\" is not end, op, flush, flush-mid or time",
			 name);
	return -1;
}

/*
 * --flush-mode: honest, lying, drop (a burst of 4 from a seeded op in the
 * middle of the workload), drop:burst=B, drop:every=N.
 */
static int device_parse(struct pmt_case *c, struct device_plan *d, uint64_t *rng)
{
	const char *m = param(c, "flush_mode", c->opt->flush_mode);
	long long v;
	char tail;

	memset(d, 0, sizeof(*d));
	if (!strcmp(m, "honest"))
		return 0;
	if (!strcmp(m, "lying")) {
		d->lying = true;
		return 0;
	}
	if (!strcmp(m, "drop") || (sscanf(m, "drop:burst=%lld%c", &v, &tail) == 1 && v > 0)) {
		d->drop_burst = strcmp(m, "drop") ? v : 4;
		/* In the middle third, so flushes come before and after it. */
		d->drop_op = c->opt->ops / 3 + 1 +
			     (long long)(pmt_splitmix64(rng) % (uint64_t)(c->opt->ops / 3 + 1));
		return 0;
	}
	if (sscanf(m, "drop:every=%lld%c", &v, &tail) == 1 && v > 0) {
		d->drop_every = v;
		return 0;
	}
	pmt_case_verdict(c, PMT_BROK, "setup: flush mode \"%s\" is not honest, lying, drop, "
			 "drop:burst=B or drop:every=N", m);
	return -1;
}

static int powercut_run(struct pmt_case *c)
{
	struct cut k = { .events = json_object_new_array(), .sync_error_op = -1, .drop_from = -1 };
	struct device_plan dev;
	char dev_name[64], dir[PATH_MAX];
	long long first, last, crash_points;
	uint64_t rng;
	int rc = -1;

	rng = c->seed ^ pmt_fnv1a64(c->id);
	if (crash_at_parse(c, &k.kind) || device_parse(c, &dev, &rng) ||
	    crash_points_parse(c, &crash_points))
		goto out;
	if (pmt_setup_fs(c, dev_name, sizeof(dev_name)))
		goto out;
	if (!pmt_json_bool(json_object_object_get(c->details, "mount"), "dax", false)) {
		pmt_case_verdict(c, PMT_BROK, "mount: DAX is not active on %s", dev_name);
		goto out;
	}
	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	k.shim_dir = dir;
	k.dev = &dev;
	/* The first persistence point: mkfs and mount flushed honestly. */
	first = flushes_done(dir);
	if (first < 0) {
		pmt_case_verdict(c, PMT_BROK, "setup: the shim keeps no flush count in %s: %s", dir,
				 strerror(errno));
		goto out;
	}
	/* A planted device (lying, drop:every) starts here. */
	if (pmt_inject_arm(c))
		goto out;
	k.at_op = k.kind == CRASH_END ? -1 :
		  1 + (long long)(pmt_splitmix64(&rng) % (uint64_t)c->opt->ops);
	pmt_case_phase(c, "workload");
	if (run_and_cut(c, &k, &rng))
		goto out;
	if (dev.drop_burst && k.drop_from < 0) {
		pmt_case_verdict(c, PMT_BROK, "workload: the drop burst was never planted "
				 "(op %lld not reached; fault did not fire)", dev.drop_op);
		goto out;
	}
	last = flushes_done(dir);
	json_object_object_add(c->details, "crash_at", json_object_new_string(crash_at_names[k.kind]));
	if (k.at_op >= 0)
		json_object_object_add(c->details, "crash_point", json_object_new_int64(k.at_op));
	json_object_object_add(c->details, "cut_at_progress", json_object_new_boolean(k.cut));
	json_object_object_add(c->details, "flush_mode",
			       json_object_new_string(param(c, "flush_mode", c->opt->flush_mode)));
	json_object_object_add(c->details, "flushes", json_object_new_int64(last - first));
	if (k.drop_from >= 0)
		json_object_object_add(c->details, "dropped_from", json_object_new_int64(k.drop_from));
	if (k.sync_error_op >= 0)
		json_object_object_add(c->details, "sync_error_op",
				       json_object_new_int64(k.sync_error_op));
	pmt_case_phase(c, "durable");
	if (pmt_durable_recover(dir) < 0) {
		pmt_case_verdict(c, PMT_BROK, "durable: recovering %s: %s", dir, strerror(errno));
		goto out;
	}
	{
		long long made = 0;

		for (size_t i = 0; i < json_object_array_length(k.events); i++)
			made += !strcmp(pmt_json_str(json_object_array_get_idx(k.events, i),
						     "event"), "promise");
		json_object_object_add(c->details, "promises_made", json_object_new_int64(made));
	}
	rc = check_points(c, &k, first, last, crash_points);
out:
	json_object_put(k.events);
	return rc;
}

static const char *const powercut_fs[] = { "ext4", "xfs", NULL };
/* Every workload that makes promises (workloads/workload_list.h). */
static const char *const powercut_workloads[] = {
#define PMT_WORKLOAD(name, promises, needs_fio) PMT_IF_PROMISES_##promises(#name)
#define PMT_IF_PROMISES_1(x) x,
#define PMT_IF_PROMISES_0(x)
#include "workload_list.h"
#undef PMT_WORKLOAD
	NULL,
};

const struct pmt_scenario pmt_scenario_powercut = {
	.name = "powercut",
	.description = "host power cuts at every persistence point: every crash state keeps the "
		       "promises in force, fsck clean",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = powercut_fs,
	.mount_opts = "dax",
	.variants = powercut_workloads,
	.injector = "powercut",
	.run = powercut_run,
};
