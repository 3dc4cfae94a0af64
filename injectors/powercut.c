// SPDX-License-Identifier: MIT
/*
 * powercut: host power cuts on virtio-pmem.  QEMU runs with the flush shim
 * (harness/shim/shim.c) preloaded: at each host flush (QEMU's
 * fsync() of the backing file, which is what a guest flush request
 * becomes in hw/virtio/virtio-pmem.c) it logs the pages written since the
 * last one, so every flush is a persistence point the harness can rebuild.
 * The cut itself is SIGKILL of QEMU: nothing the guest wrote after the
 * last completed fsync() is durable, exactly as a power loss.
 *
 * arm plants a device that breaks its promise when the plan asks for one
 * (flush_mode lying or drop:every=N: the oracle's own validation).
 * run_workload runs the workload itself: the workload streams intents
 * before each change and promises after each sync (workloads/promise.h);
 * this stamps both with the shim's flush count, holding the guest at each
 * change until it has read the count (the rule: harness/check/promises.h),
 * plants a drop burst at its op, and stops at the --crash-at point.  fire
 * cuts the power.  The check stage (harness/check/powercut_check.c) then
 * walks every persistence point.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent_proto.h"
#include "case.h"
#include "declare.h"
#include "durable.h"
#include "guest_setup.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "options.h"
#include "powercut.h"
#include "proc.h"
#include "shim_env.h"
#include "util.h"

/* Where the final cut goes: see enum crash_at below (its names, in its order). */
static const char *const crash_at_names[] = { "end", "op", "flush", "flush-mid", "time", NULL };

static int check_crash_points(const char *v, char *err, size_t errlen)
{
	struct pmt_param n = { .type = PMT_PARAM_INT, .min = 1, .max = 100000 };

	if (!strcmp(v, "all") || pmt_param_check(&n, v, err, errlen) == 0)
		return 0;
	snprintf(err, errlen, "expected all or a whole number from 1 to 100000");
	return -1;
}

/* honest, lying, drop, drop:burst=B, drop:every=N (device_parse below). */
static bool flush_mode_valid(const char *m)
{
	long long v;
	char tail;

	if (!strcmp(m, "honest") || !strcmp(m, "lying") || !strcmp(m, "drop"))
		return true;
	return (sscanf(m, "drop:burst=%lld%c", &v, &tail) == 1 ||
		sscanf(m, "drop:every=%lld%c", &v, &tail) == 1) && v > 0 && v < 1000000;
}

static int check_flush_mode(const char *v, char *err, size_t errlen)
{
	if (flush_mode_valid(v))
		return 0;
	snprintf(err, errlen, "expected honest, lying, drop, drop:burst=B or drop:every=N");
	return -1;
}

static const struct pmt_param powercut_params[] = {
	{ .name = "crash_at", .type = PMT_PARAM_ENUM, .choices = crash_at_names, .def = "end",
	  .help = "where the final cut goes (--crash-at): after the last op, at op K (K from "
		  "the seed), at a flush or while a host flush is held, or at a seeded moment in "
		  "the first 2 s" },
	{ .name = "crash_points", .type = PMT_PARAM_TEXT, .check = check_crash_points,
	  .def = "all", .help = "persistence points checked (--crash-points): all, or N seeded "
				"ones, the last always" },
	{ .name = "flush_mode", .type = PMT_PARAM_TEXT, .check = check_flush_mode,
	  .def = "honest", .help = "honest, or a planted device (--flush-mode): lying, drop, "
				   "drop:burst=B, drop:every=N" },
	/* Read by the check stage (harness/check/minimize.h). */
	{ .name = "min_checks", .type = PMT_PARAM_INT, .def = "64", .min = 0, .max = 10000,
	  .help = "a FAIL's gravest state is shrunk with at most this many checks (0: not)" },
	{ .name = "min_seconds", .type = PMT_PARAM_INT, .def = "300", .min = 1, .max = 86400,
	  .help = "... and within this many seconds" },
	{ NULL },
};

void pmt_powercut_shim_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/shim", c->rundir);
}

static int powercut_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	return pmt_shim_prepare(c, cfg, dir, err, errlen) < 0 ? -1 : 0;
}

static int powercut_arm(struct pmt_case *c, char *err, size_t errlen)
{
	const char *m = pmt_case_param(c, "flush_mode");
	char dir[PATH_MAX], mode[96];
	long long every = 0, first;
	char tail;

	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	first = pmt_shim_flushes_done(dir);
	if (first < 0) {
		snprintf(err, errlen, "the shim keeps no flush count in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!strcmp(m, "lying"))
		snprintf(mode, sizeof(mode), "lying");
	else if (sscanf(m, "drop:every=%lld%c", &every, &tail) == 1 && every > 0)
		snprintf(mode, sizeof(mode), "drop every=%lld from=%lld", every, first + 1);
	else
		return 0;	/* honest; a drop burst is planted at its op */
	if (pmt_shim_set_mode(dir, mode)) {
		snprintf(err, errlen, "cannot plant the %s device: %s", m, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the workload, stamped, and the crash point ---- */

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

/* Run the workload to its end or to the crash point.  0, or -1 after a BROK. */
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
	/* The power goes next (fire): SIGKILL, nothing flushed.  A workload
	 * that ended before the crash point (a sync error stops it) is cut too. */
	return 0;
}

/* The injector's parameter @key (a plan's, --param's, else its table's default). */
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

	*n = 0;
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
	const char *name = param(c, "crash_at", "end");

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
	const char *m = param(c, "flush_mode", "honest");
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

/*
 * The workload, stamped and cut short where --crash-at says; the check
 * stage reads *@result: {"shim_dir", "first", "crash_points", "events"}.
 */
static int powercut_run_workload(struct pmt_case *c, struct json_object **result, char *err,
				 size_t errlen)
{
	struct cut k = { .events = json_object_new_array(), .sync_error_op = -1, .drop_from = -1 };
	struct device_plan dev;
	char dir[PATH_MAX];
	long long first, crash_points;
	uint64_t rng;

	(void)err;
	(void)errlen;
	*result = NULL;
	rng = c->seed ^ pmt_fnv64(PMT_FNV64_INIT, c->id, strlen(c->id));
	if (crash_at_parse(c, &k.kind) || device_parse(c, &dev, &rng) ||
	    crash_points_parse(c, &crash_points))
		goto fail;
	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	k.shim_dir = dir;
	k.dev = &dev;
	/* The first persistence point: mkfs and mount flushed honestly. */
	first = flushes_done(dir);
	if (first < 0) {
		pmt_case_verdict(c, PMT_BROK, "workload: the shim keeps no flush count in %s: %s",
				 dir, strerror(errno));
		goto fail;
	}
	k.at_op = k.kind == CRASH_END ? -1 :
		  1 + (long long)(pmt_splitmix64(&rng) % (uint64_t)c->opt->ops);
	if (run_and_cut(c, &k, &rng))
		goto fail;
	if (dev.drop_burst && k.drop_from < 0) {
		pmt_case_verdict(c, PMT_BROK, "workload: the drop burst was never planted "
				 "(op %lld not reached; fault did not fire)", dev.drop_op);
		goto fail;
	}
	json_object_object_add(c->details, "crash_at", json_object_new_string(crash_at_names[k.kind]));
	if (k.at_op >= 0)
		json_object_object_add(c->details, "crash_point", json_object_new_int64(k.at_op));
	json_object_object_add(c->details, "cut_at_progress", json_object_new_boolean(k.cut));
	json_object_object_add(c->details, "flush_mode",
			       json_object_new_string(param(c, "flush_mode", "honest")));
	if (k.drop_from >= 0)
		json_object_object_add(c->details, "dropped_from", json_object_new_int64(k.drop_from));
	if (k.sync_error_op >= 0)
		json_object_object_add(c->details, "sync_error_op",
				       json_object_new_int64(k.sync_error_op));
	*result = json_object_new_object();
	json_object_object_add(*result, "shim_dir", json_object_new_string(dir));
	json_object_object_add(*result, "first", json_object_new_int64(first));
	json_object_object_add(*result, "crash_points", json_object_new_int64(crash_points));
	json_object_object_add(*result, "events", k.events);
	return 0;
fail:
	json_object_put(k.events);
	return -1;
}

static int powercut_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *f = json_object_new_object();

	(void)err;
	(void)errlen;
	/* SIGKILL: QEMU flushes nothing more, as at a power loss. */
	c->vm->backend->power_cut(c->vm);
	json_object_object_add(f, "how", json_object_new_string("SIGKILL of QEMU"));
	pmt_fault_fired(c, f);
	return 0;
}

static void powercut_disarm(struct pmt_case *c)
{
	char dir[PATH_MAX];

	if (!c->rundir)
		return;
	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	pmt_rm_rf(dir);
}

PMT_INJECTOR(powercut,
	"host power cut (SIGKILL of QEMU) with every host flush logged, so "
	"each persistence point can be rebuilt",
	.devices = PMT_ON_VIRTIO_PMEM, .params = powercut_params,
	.probe = pmt_shim_probe, .prepare_vm = powercut_prepare, .arm = powercut_arm,
	.run_workload = powercut_run_workload, .fire = powercut_fire, .disarm = powercut_disarm);
