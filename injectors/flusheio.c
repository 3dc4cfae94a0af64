// SPDX-License-Identifier: MIT
/*
 * flusheio: the host's fsync() of the virtio-pmem backing file fails, or
 * is slow.  QEMU 7.2 answers a guest flush request with the result of
 * fsync() on the backing file (hw/virtio/virtio-pmem.c, worker_cb: ret 1
 * on failure); the guest's virtio_pmem_flush() returns it, and
 * async_pmem_flush() turns it into -EIO for the flush bio.  The flush shim
 * (harness/shim/shim.c) sits on that fsync(): DIR/mode switches it
 * between honest and fail-eio at run time, PMT_SHIM_DELAY_MS makes every
 * flush slow, and DIR/flushes.jsonl records what each flush did, which is
 * how the fault is known to have fired.
 *
 * The variants lose and lose-drop use the shim's fail-lose modes: a Linux
 * host after a write-back error marks the pages clean without writing them
 * (mm: mapping_set_error, errseq reports it once per file description), so
 * the one failed fsync loses them for good and the next fsync returns 0.
 * lose-drop: the host has also dropped them from its page cache, and the
 * guest's DAX view reads the old content again.
 *
 * The fault is timed by the guest's program (flushprobe, guest half in
 * injectors/guest/flushprobe.c), so run_workload drives it and records the
 * fault as fired from the shim's log:
 *   fail, lose, lose-drop: "before" (a promise made while the host is
 *     fine), the shim fails flushes, "fail" (the guest's fsyncs see it),
 *     the host recovers, "recover" (later fsyncs, another fd, the data);
 *     each promise the guest makes is stamped with the host's flush count
 *     when its fsync returned (the guest waits for the ack); so is each
 *     fsync of fail and recover at its call and at its return (events
 *     fsync_call, fsync_return), with the host's CLOCK_REALTIME too, for
 *     the check stage to name the host flushes that ran during it
 *     (harness/check/flush_window.h);
 *   slow: every host flush sleeps delay_ms while 16 threads fsync.
 * Each probe record is observed for the expectations table; the check
 * stage (harness/check/flusheio_check.c) judges them and, after the
 * failure, cuts the power and checks each promise.  A guest that does not
 * answer is the hang verdict (harness/case/hang.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_proto.h"
#include "case.h"
#include "declare.h"
#include "durable.h"
#include "flusheio.h"
#include "guest_setup.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "shim_env.h"
#include "util.h"

#define KLOG_KEEP	24

static const struct pmt_param flusheio_params[] = {
	{ .name = "delay_ms", .type = PMT_PARAM_INT, .def = "100", .min = 0, .max = 60000,
	  .help = "slow: every host flush sleeps this long first" },
	{ .name = "threads", .type = PMT_PARAM_INT, .def = "16", .min = 1, .max = 256,
	  .help = "slow: guest threads, each fsyncing its own file" },
	{ .name = "rounds", .type = PMT_PARAM_INT, .def = "4", .min = 1, .max = 10000,
	  .help = "slow: write+fsync rounds per thread" },
	{ NULL },
};

/* The slow variant's extra shim setting; one case at a time per process. */
static char env_delay[64];

static bool is_slow(const struct pmt_case *c)
{
	return c->variant && !strcmp(c->variant, "slow");
}

struct json_object *pmt_flushprobe_request(const char *step, int threads, int rounds, bool ack)
{
	struct json_object *args = json_object_new_object(), *wargs = json_object_new_object();

	json_object_object_add(wargs, "step", json_object_new_string(step));
	json_object_object_add(wargs, "files", json_object_new_int(threads));
	json_object_object_add(wargs, "threads", json_object_new_int(threads));
	json_object_object_add(wargs, "rounds", json_object_new_int(rounds));
	if (ack)
		json_object_object_add(wargs, "ack", json_object_new_boolean(true));
	json_object_object_add(args, "workload", json_object_new_string("flushprobe"));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	return args;
}

static int flusheio_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char *const extra[] = { is_slow(c) ? env_delay : NULL, NULL };

	snprintf(env_delay, sizeof(env_delay), "PMT_SHIM_DELAY_MS=%lld",
		 pmt_case_param_int(c, "delay_ms", 100));
	return pmt_shim_prepare_case(c, cfg, extra, err, errlen);
}

/* What the shim did, from flushes.jsonl lines @from.. (0-based). */
struct flush_stats {
	int lines, failed;
	long long lost;		/* pages fail-lose flushes lost */
	double max_ms;
};

static void flush_stats(const char *dir, int from, struct flush_stats *st)
{
	char path[PATH_MAX + 16], *text, *line, *next;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	text = pmt_read_file(path, 64 << 20, NULL);
	for (line = text; line && *line; line = next) {
		struct json_object *o;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (st->lines++ < from)
			continue;
		o = json_tokener_parse(line);
		if (!o)
			continue;
		st->failed += !strcmp(pmt_json_str(o, "action"), "failed");
		st->lost += pmt_json_int64(o, "lost", 0);
		if (pmt_json_double(o, "ms") > st->max_ms)
			st->max_ms = pmt_json_double(o, "ms");
		json_object_put(o);
	}
	free(text);
}

/* The shim's failing mode for the variant: fail-eio, or fail-lose(-drop). */
static const char *fail_mode(const struct pmt_case *c)
{
	if (c->variant && !strcmp(c->variant, "lose"))
		return "fail-lose";
	if (c->variant && !strcmp(c->variant, "lose-drop"))
		return "fail-lose-drop";
	return "fail-eio";
}

/* mkfs and mount flushed through the shim: its flush count must be there. */
static int flusheio_arm(struct pmt_case *c, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct json_object *f = json_object_new_object();

	pmt_shim_dir(c, dir, sizeof(dir));
	if (pmt_shim_flushes_done(dir) < 0) {
		json_object_put(f);
		snprintf(err, errlen, "the shim keeps no flush count in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (is_slow(c))
		json_object_object_add(f, "delay_ms", json_object_new_int64(
			pmt_case_param_int(c, "delay_ms", 100)));
	else
		json_object_object_add(f, "mode", json_object_new_string(fail_mode(c)));
	pmt_fault_armed(c, f);
	return 0;
}

/*
 * The promises of a step, stamped with the host's flush count as they
 * arrive; with @stamps also the guest's fsync_call/fsync_return events.
 */
struct promise_watch {
	struct pmt_agent *agent;
	const char *dir;
	struct json_object *events;
	struct json_object *stamps;	/* NULL: the step stamps no fsync */
	int ack_errors;
};

static long long realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A fsync_call or fsync_return: {"event","probe","errno"?,"flushed","rt_us"}. */
static void stamp_fsync(struct promise_watch *w, const struct pmt_msg *m, long long flushed)
{
	struct json_object *s = json_object_new_object(), *v;

	json_object_object_add(s, "event", json_object_new_string(m->event));
	json_object_object_add(s, "probe", json_object_new_string(pmt_json_str(m->root, "probe")));
	if (json_object_object_get_ex(m->root, "errno", &v))
		json_object_object_add(s, "errno", json_object_get(v));
	json_object_object_add(s, "flushed", json_object_new_int64(flushed));
	json_object_object_add(s, "rt_us", json_object_new_int64(realtime_us()));
	json_object_array_add(w->stamps, s);
}

static int on_promise(void *ctx, const struct pmt_msg *m)
{
	struct promise_watch *w = ctx;
	bool promise = !strcmp(m->event, "promise");
	long long flushed;
	uint64_t seq = 0;

	if (!promise && !(w->stamps && (!strcmp(m->event, "fsync_call") ||
					!strcmp(m->event, "fsync_return"))))
		return 0;
	/* The guest waits: for a return or a promise this count covers its
	 * fsync's flushes; for a call, no flush of that fsync is in it. */
	flushed = pmt_flush_counter_read(w->dir, &seq) ? -1 : (long long)seq;
	if (promise) {
		json_object_object_add(m->root, "flushed", json_object_new_int64(flushed));
		json_object_array_add(w->events, json_object_get(m->root));
	} else {
		stamp_fsync(w, m, flushed);
	}
	if (!json_object_get_boolean(json_object_object_get(m->root, "ack")))
		return 0;
	if (pmt_agent_send_ack(w->agent, (long long)seq))
		w->ack_errors++;
	return 0;
}

/*
 * Run flushprobe step @step; with @w its promise events are stamped into
 * w->events and acked.  0 with *res; -1 with why in @err, or with @err
 * empty after the agent call recorded the verdict (no answer: the hang
 * verdict, or BROK when QEMU is gone).
 */
static int run_probe(struct pmt_case *c, const char *step, int threads, int rounds,
		     struct promise_watch *w, struct json_object **res, char *err, size_t errlen)
{
	struct json_object *args = pmt_flushprobe_request(step, threads, rounds, w != NULL);
	char why[512];
	int rc;

	if (w && w->stamps)
		json_object_object_add(json_object_object_get(args, "args"), "stamp",
				       json_object_new_boolean(true));
	if (w) {
		w->agent = &c->vm->agent;
		c->vm->agent.on_event = on_promise;
		c->vm->agent.event_ctx = w;
	}
	rc = pmt_case_agent(c, "run", args, res, why, sizeof(why));
	c->vm->agent.on_event = NULL;
	json_object_put(args);
	if (rc > 0)
		snprintf(err, errlen, "%s: flushprobe %s could not run: %s", c->phase, step,
			 rc == 1 ? why : "interrupted");
	return rc ? -1 : 0;
}

/* Observe a step's probe records, for the expectations table. */
static void observe_probes(struct pmt_case *c, struct json_object *res)
{
	struct json_object *p;

	if (json_object_object_get_ex(res, "probes", &p))
		for (size_t i = 0; i < json_object_array_length(p); i++)
			pmt_case_observe(c, NULL, json_object_get(json_object_array_get_idx(p, i)));
}

/* Keep the kernel lines that say what the failed flush did to the fs. */
static void keep_kernel_log(struct pmt_case *c)
{
	static const char *const keys[] = {
		"I/O error", "EXT4-fs", "JBD2", "XFS", "pmem", "virtio", "Buffer I/O", NULL,
	};
	struct json_object *res = NULL, *lines;
	char err[256], *text, *line, *next;

	if (!c->vm->agent_up || c->vm->exited ||
	    pmt_case_agent(c, "dmesg", NULL, &res, err, sizeof(err))) {
		json_object_put(res);
		return;
	}
	lines = json_object_new_array();
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

/*
 * fail, lose, lose-drop: before, inject, recover.  The fsyncs of fail and
 * recover are stamped into @stamps.  0, or -1 as run_probe.
 */
static int run_fail(struct pmt_case *c, const char *dir, struct json_object *events,
		    struct json_object *before_events, struct json_object *stamps,
		    char *err, size_t errlen)
{
	struct promise_watch w = { .dir = dir, .events = events, .stamps = stamps };
	struct promise_watch wb = { .dir = dir, .events = before_events };
	struct promise_watch wf = { .dir = dir, .events = events, .stamps = stamps };
	struct json_object *res = NULL, *f;
	struct flush_stats st;
	bool lose = strcmp(c->variant, "fail") != 0;
	int before;

	/* A promise made while the host is fine, for the check after the cut. */
	pmt_case_phase(c, "before");
	if (run_probe(c, "before", 1, 1, &wb, &res, err, errlen))
		return -1;
	json_object_object_add(c->details, "before_step", res);

	flush_stats(dir, 0, &st);
	before = st.lines;
	pmt_case_phase(c, "inject");
	if (pmt_shim_set_mode(dir, fail_mode(c))) {
		snprintf(err, errlen, "inject: cannot switch the shim to %s: %s", fail_mode(c),
			 strerror(errno));
		return -1;
	}
	if (run_probe(c, "fail", 1, 1, &wf, &res, err, errlen))
		return -1;
	w.ack_errors = wf.ack_errors;
	json_object_object_add(c->details, "fail_step", json_object_get(res));
	observe_probes(c, res);
	json_object_put(res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes_failed", json_object_new_int(st.failed));
	if (lose)
		json_object_object_add(c->details, "host_pages_lost", json_object_new_int64(st.lost));
	if (!st.failed) {
		snprintf(err, errlen, "inject: fault did not fire: the shim failed no flush "
			 "(%d flushes seen)", st.lines - before);
		return -1;
	}
	f = json_object_new_object();
	json_object_object_add(f, "host_flushes_failed", json_object_new_int(st.failed));
	if (lose)
		json_object_object_add(f, "host_pages_lost", json_object_new_int64(st.lost));
	pmt_fault_fired(c, f);

	pmt_case_phase(c, "recover");
	if (pmt_shim_set_mode(dir, "honest")) {
		snprintf(err, errlen, "recover: cannot switch the shim to honest: %s", strerror(errno));
		return -1;
	}
	before = st.lines;
	res = NULL;
	if (run_probe(c, "recover", 1, 1, &w, &res, err, errlen)) {
		if (w.ack_errors)
			json_object_object_add(c->details, "ack_errors", json_object_new_int(w.ack_errors));
		return -1;
	}
	if (w.ack_errors)
		json_object_object_add(c->details, "ack_errors", json_object_new_int(w.ack_errors));
	json_object_object_add(c->details, "recover_step", json_object_get(res));
	observe_probes(c, res);
	json_object_put(res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes_after_recovery",
			       json_object_new_int(st.lines - before));
	return 0;
}

/* slow: the flushers against slow host flushes.  0, or -1 as run_probe. */
static int run_slow(struct pmt_case *c, const char *dir, char *err, size_t errlen)
{
	int delay = (int)pmt_case_param_int(c, "delay_ms", 100);
	struct json_object *res = NULL, *f;
	struct flush_stats st;
	int before, rc;

	flush_stats(dir, 0, &st);
	before = st.lines;
	pmt_case_phase(c, "load");
	rc = run_probe(c, "load", (int)pmt_case_param_int(c, "threads", 16),
		       (int)pmt_case_param_int(c, "rounds", 4), NULL, &res, err, errlen);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes", json_object_new_int(st.lines - before));
	json_object_object_add(c->details, "host_flush_max_ms", json_object_new_double(st.max_ms));
	json_object_object_add(c->details, "delay_ms", json_object_new_int(delay));
	if (rc)
		return -1;
	json_object_object_add(c->details, "load", json_object_get(res));
	observe_probes(c, res);
	json_object_object_add(c->details, "guest_fsync_max_ms",
			       json_object_new_double(pmt_json_double(res, "max_ms")));
	json_object_put(res);
	if (st.lines == before || st.max_ms < delay) {
		snprintf(err, errlen, "load: fault did not fire: %d host flushes, the slowest "
			 "%.0f ms (delay %d ms)", st.lines - before, st.max_ms, delay);
		return -1;
	}
	f = json_object_new_object();
	json_object_object_add(f, "slowest_host_flush_ms", json_object_new_double(st.max_ms));
	pmt_fault_fired(c, f);
	return 0;
}

/*
 * The variant's flow; the check stage reads *@result: {"shim_dir"} and,
 * after a failure, the promise events stamped with their flush counts,
 * "events" (after the failure) and "before" (the one made before it), and
 * "stamps", the fsync_call/fsync_return stamps of fail and recover.
 */
static int flusheio_run_workload(struct pmt_case *c, struct json_object **result, char *err,
				 size_t errlen)
{
	struct json_object *events = json_object_new_array(), *before = json_object_new_array();
	struct json_object *stamps = json_object_new_array();
	char dir[PATH_MAX];
	int rc;

	pmt_shim_dir(c, dir, sizeof(dir));
	rc = is_slow(c) ? run_slow(c, dir, err, errlen)
			: run_fail(c, dir, events, before, stamps, err, errlen);
	keep_kernel_log(c);
	if (rc) {
		json_object_put(events);
		json_object_put(before);
		json_object_put(stamps);
		return -1;
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "shim_dir", json_object_new_string(dir));
	json_object_object_add(*result, "events", events);
	json_object_object_add(*result, "before", before);
	json_object_object_add(*result, "stamps", stamps);
	return 0;
}

PMT_INJECTOR(flusheio,
	"the host's fsync() behind a guest flush fails with EIO, or is slow",
	.devices = PMT_ON_VIRTIO_PMEM, .params = flusheio_params,
	.probe = pmt_shim_probe, .prepare_vm = flusheio_prepare, .arm = flusheio_arm,
	.run_workload = flusheio_run_workload, .disarm = pmt_shim_disarm);
