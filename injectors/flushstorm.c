// SPDX-License-Identifier: MIT
/*
 * flushstorm: flush requests from every vCPU at once while the host's
 * fsync() behind each is slow or held, so that requests pile up in the
 * virtio-pmem device.
 *
 * What it rests on:
 *   - QEMU 7.2 (hw/virtio/virtio-pmem.c) pops one request per queue
 *     notification and hands it to its thread pool (64 workers at most),
 *     whose worker_cb calls fsync() on the backing file and answers
 *     ret = 1 on failure.  The flush shim (harness/shim/shim.c)
 *     wraps that fsync(): PMT_SHIM_DELAY_MS sleeps before its lock (slow
 *     flushes overlap), "hold" in DIR/mode holds the next flush inside its
 *     lock for PMT_SHIM_HOLD_MS (the ones behind it wait), and each line of
 *     DIR/flushes.jsonl gives "depth", the flush calls inside the shim when
 *     it entered: the requests QEMU popped and has not answered, as far as
 *     they reached a worker.
 *   - The guest driver (drivers/nvdimm/nd_virtio.c) sends one request per
 *     flush on a 128-entry virtqueue; a full queue (-ENOSPC) parks the
 *     request on req_list until virtio_pmem_host_ack() frees a slot.
 *     Kernels with "nvdimm: virtio_pmem: serialize flush requests" (Debian
 *     6.1.170+, 6.12.85+) hold flush_lock across the request: one in
 *     flight per device, so the host never sees more than one.
 *
 * The guest half (injectors/guest/flushstorm.c) runs T threads of
 * fsync/fdatasync/raw-device fsync/O_SYNC/O_DSYNC writes in bursts and
 * reports every flush's CLOCK_REALTIME call and return times; the fire
 * stamps its "clock" events with the host's CLOCK_REALTIME (the offset
 * between the two clocks is bounded from them).  The judge is the
 * scenario's, at the end of this file.
 *
 * Variants: slow (every host flush sleeps delay_ms) and held (the storm's
 * first host flush is held hold_ms inside the shim's lock, then released).
 * The fault fired when the host served storm flushes slowed by the delay
 * (a flush line of at least delay_ms) or held (hold_ms): else BROK.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "case.h"
#include "declare.h"
#include "flushstorm.h"
#include "guest_setup.h"
#include "hang.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "shim_env.h"
#include "util.h"
#include "vm.h"
#include "virtio_status.h"

static int check_kinds(const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "fsync", "fdatasync", "raw", "osync", "odsync", NULL };
	char buf[128], *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save), n++) {
		int i;

		for (i = 0; names[i] && strcmp(t, names[i]); i++)
			;
		if (!names[i]) {
			snprintf(err, errlen, "expected a comma list of fsync, fdatasync, raw, osync, odsync");
			return -1;
		}
	}
	if (!n) {
		snprintf(err, errlen, "expected at least one of fsync, fdatasync, raw, osync, odsync");
		return -1;
	}
	return 0;
}

static const struct pmt_param flushstorm_params[] = {
	{ .name = "threads", .type = PMT_PARAM_INT, .def = "8", .min = 1, .max = 256,
	  .help = "guest threads flushing at once (thread i uses kind i mod the kinds)" },
	{ .name = "rounds", .type = PMT_PARAM_INT, .def = "6", .min = 1, .max = 10000,
	  .help = "bursts per thread; all threads start each burst together" },
	{ .name = "burst", .type = PMT_PARAM_INT, .def = "4", .min = 1, .max = 1000,
	  .help = "flushes per thread per burst, back to back" },
	{ .name = "kinds", .type = PMT_PARAM_TEXT, .def = "fsync,fdatasync,raw,osync,odsync",
	  .check = check_kinds,
	  .help = "flush kinds: fsync, fdatasync (files on the fs), raw (fsync of the block "
		  "device), osync, odsync (O_SYNC/O_DSYNC writes)" },
	{ .name = "delay_ms", .type = PMT_PARAM_INT, .def = "20", .min = 1, .max = 60000,
	  .help = "variant slow: every host fsync sleeps this long first (PMT_SHIM_DELAY_MS)" },
	{ .name = "hold_ms", .type = PMT_PARAM_INT, .def = "1500", .min = 1, .max = 60000,
	  .help = "variant held: the storm's first host flush is held this long; the others pile up" },
	{ .name = "hang_s", .type = PMT_PARAM_INT, .def = "60", .min = 1, .max = 3600,
	  .help = "a guest flush not back after this many seconds is a hang" },
	{ NULL },
};

/* The extra shim settings; one case at a time per process. */
static char env_delay[64], env_hold[64];

static bool held(const struct pmt_case *c)
{
	return c->variant && !strcmp(c->variant, "held");
}

static int storm_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char *const extra[] = { env_delay, env_hold, NULL };

	snprintf(env_delay, sizeof(env_delay), "PMT_SHIM_DELAY_MS=%lld",
		 held(c) ? 0 : pmt_case_param_int(c, "delay_ms", 20));
	snprintf(env_hold, sizeof(env_hold), "PMT_SHIM_HOLD_MS=%lld",
		 pmt_case_param_int(c, "hold_ms", 1500));
	return pmt_shim_prepare_case(c, cfg, extra, err, errlen);
}

int pmt_host_flushes(const char *dir, int from, struct pmt_host_flush **out, size_t *n, int *lines)
{
	char path[PATH_MAX + 16], *text, *line, *next;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	*lines = 0;
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	text = pmt_read_file(path, 256 << 20, NULL);
	if (!text)
		return -1;
	for (line = text; line && *line; line = next) {
		struct json_object *o;
		struct pmt_host_flush *f;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if ((*lines)++ < from)
			continue;
		o = json_tokener_parse(line);
		if (!o)
			continue;
		if (*n == cap) {
			struct pmt_host_flush *m;

			cap = cap ? cap * 2 : 256;
			m = realloc(*out, cap * sizeof(*m));
			if (!m) {
				json_object_put(o);
				free(text);
				free(*out);
				*out = NULL;
				*n = 0;
				errno = ENOMEM;
				return -1;
			}
			*out = m;
		}
		f = &(*out)[(*n)++];
		f->seq = pmt_json_int64(o, "seq", 0);
		f->rt0_us = pmt_json_int64(o, "rt0_us", 0);
		f->rt1_us = pmt_json_int64(o, "rt1_us", 0);
		f->result = (int)pmt_json_int64(o, "result", -1);
		f->real = !strcmp(pmt_json_str(o, "action"), "recorded");
		f->depth = (int)pmt_json_int64(o, "depth", 0);
		f->ms = pmt_json_double(o, "ms");
		json_object_put(o);
	}
	free(text);
	return 0;
}

/* CLOCK_REALTIME in microseconds, the clock of the shim's rt0_us/rt1_us. */
static int64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The host's clock when each "clock" event arrives; the ack lets the guest on. */
struct clock_watch {
	struct pmt_agent *agent;
	struct json_object *stamps;
	int ack_errors;
	const char *hold_dir;	/* held: the shim folder to hold in, else NULL */
	int hold_errno;
};

static int on_clock(void *ctx, const struct pmt_msg *m)
{
	struct clock_watch *w = ctx;
	struct json_object *pair;

	if (!strcmp(m->event, "storm")) {
		/* The threads start once acked: hold the first storm flush. */
		if (w->hold_dir && pmt_shim_set_mode(w->hold_dir, "hold"))
			w->hold_errno = errno;
		if (pmt_agent_send_ack(w->agent, 0))
			w->ack_errors++;
		return 0;
	}
	if (strcmp(m->event, "clock"))
		return 0;
	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_int64(
		pmt_json_int64(m->root, "t1", 0)));
	json_object_array_add(pair, json_object_new_int64(realtime_us()));
	json_object_array_add(w->stamps, pair);
	if (pmt_agent_send_ack(w->agent, 0))
		w->ack_errors++;
	return 0;
}

/* The guest program's request (injectors/guest/flushstorm.c), from the case's parameters. */
static struct json_object *storm_request(struct pmt_case *c)
{
	struct json_object *req = json_object_new_object(), *args = json_object_new_object();

	json_object_object_add(args, "threads", json_object_new_int64(pmt_case_param_int(c, "threads", 8)));
	json_object_object_add(args, "rounds", json_object_new_int64(pmt_case_param_int(c, "rounds", 6)));
	json_object_object_add(args, "burst", json_object_new_int64(pmt_case_param_int(c, "burst", 4)));
	json_object_object_add(args, "hang_s", json_object_new_int64(pmt_case_param_int(c, "hang_s", 60)));
	json_object_object_add(args, "kinds", json_object_new_string(pmt_case_param(c, "kinds")));
	json_object_object_add(args, "dev", json_object_new_string(pmt_case_dev(c)));
	json_object_object_add(req, "workload", json_object_new_string("flushstorm"));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	return req;
}

/*
 * Did the fault fire?  The host flushes of the storm (the lines of @dir's
 * flushes.jsonl from @before on) were slowed by the @delay or held by the
 * @hold, in ms: the fault is recorded (pmt_fault_fired) and 0 returned;
 * else -1 with @err.
 */
static int storm_fault_fired(struct pmt_case *c, const char *dir, int before, long long delay,
			     long long hold, char *err, size_t errlen)
{
	struct pmt_host_flush *hf = NULL;
	struct json_object *f;
	size_t n = 0;
	double slowest = 0;
	int lines;

	if (pmt_host_flushes(dir, before, &hf, &n, &lines)) {
		snprintf(err, errlen, "%s/flushes.jsonl: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (hf[i].ms > slowest)
			slowest = hf[i].ms;
	free(hf);
	if (!n || slowest < (double)(hold > delay ? hold : delay) * 0.9) {
		snprintf(err, errlen, "%zu host flushes during the storm, the slowest %.0f ms "
			 "(delay %lld ms, hold %lld ms)", n, slowest, delay, hold);
		return -1;
	}
	f = json_object_new_object();
	json_object_object_add(f, "host_flushes", json_object_new_int64((int64_t)n));
	json_object_object_add(f, "slowest_host_flush_ms", json_object_new_double(slowest));
	json_object_object_add(f, "delay_ms", json_object_new_int64(delay));
	json_object_object_add(f, "hold_ms", json_object_new_int64(hold));
	pmt_fault_fired(c, f);
	return 0;
}

/*
 * Runs the guest's storm with the clock watch on the agent's events (the
 * hold armed at the "storm" event), keeps its result in the details, then
 * asks storm_fault_fired() whether the host's flushes were slowed.
 */
static int storm_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *req, *res = NULL;
	struct clock_watch w = { .agent = &c->vm->agent };
	struct pmt_host_flush *hf = NULL;
	long long delay = held(c) ? 0 : pmt_case_param_int(c, "delay_ms", 20);
	long long hold = held(c) ? pmt_case_param_int(c, "hold_ms", 1500) : 0;
	char dir[PATH_MAX];
	size_t n = 0;
	int before, rc;

	pmt_shim_dir(c, dir, sizeof(dir));
	if (pmt_host_flushes(dir, 0, &hf, &n, &before)) {
		snprintf(err, errlen, "%s/flushes.jsonl: %s (was the shim loaded?)", dir, strerror(errno));
		return -1;
	}
	free(hf);
	if (hold)
		w.hold_dir = dir;
	req = storm_request(c);
	w.stamps = json_object_new_array();
	c->vm->agent.on_event = on_clock;
	c->vm->agent.event_ctx = &w;
	/* The guest program gives up on a stuck flusher after hang_s; its main
	 * thread stuck too (a create behind the journal) is the hang verdict
	 * a little later. */
	rc = pmt_case_agent_within(c, "run", req, &res, err, errlen,
				   pmt_case_hang_bound_s(c, (int)(2 * pmt_case_param_int(c, "hang_s", 60) + 60)));
	c->vm->agent.on_event = NULL;
	json_object_put(req);
	json_object_object_add(c->details, "clock_host", w.stamps);
	if (w.ack_errors)
		json_object_object_add(c->details, "clock_ack_errors", json_object_new_int(w.ack_errors));
	if (hold)
		pmt_shim_set_mode(dir, "honest");
	if (rc) {
		json_object_put(res);
		return -1;
	}
	if (w.hold_errno) {
		json_object_put(res);
		snprintf(err, errlen, "cannot hold the storm's first host flush: %s",
			 strerror(w.hold_errno));
		return -1;
	}
	json_object_object_add(c->details, "flushstorm", res);
	json_object_object_add(c->details, "host_lines_before", json_object_new_int(before));
	if (pmt_json_int64(res, "stuck", 0) > 0) {
		/* Flushers still in their flush after hang_s: the hang verdict,
		 * with their stacks, the device status and the host's flushes
		 * (FAIL when the guest kernel shows them blocked); QEMU is cut. */
		pmt_case_hang(c, "flushstorm flushes", (int)pmt_case_param_int(c, "hang_s", 60));
		return -1;
	}
	return storm_fault_fired(c, dir, before, delay, hold, err, errlen);
}

/* flushes.jsonl is the evidence: keep it with the case; the folder goes. */

PMT_INJECTOR(flushstorm,
	"flush requests from every vCPU at once (fsync, fdatasync, raw device, "
	"O_SYNC/O_DSYNC) while the host's fsync is slow or held",
	.devices = PMT_ON_VIRTIO_PMEM, .params = flushstorm_params,
	.probe = pmt_shim_probe, .prepare_vm = storm_prepare,
	.fire = storm_fire, .disarm = pmt_shim_disarm);

/* ---- the scenario that runs it ---- */

/*
 * flushstorm: flush requests from every vCPU at once, the host slow or
 * held (injectors/flushstorm.c), judged here:
 *   - a flusher thread still in its flush after hang_s: FAIL (a hang);
 *   - any flush that failed (EIO) with a healthy host: FAIL;
 *   - every guest flush that returned 0 must be covered by a host fsync
 *     that really ran (shim action "recorded": not lied or dropped),
 *     returned 0, entered the shim after the guest called the flush
 *     and was final before the guest's call returned.  The two clocks are
 *     matched with the clock exchanges (offset in [h - t2, h - t1]); a
 *     flush is uncovered only when no host fsync fits even the widest
 *     reading of that interval, so an uncovered flush is certain: FAIL;
 *   - the device's virtio status over QMP after the storm: NEEDS_RESET
 *     (0x40) with a healthy host is FAIL (QEMU 7.2's virtio_error on an
 *     empty-queue notification or a malformed request, see devreset).
 * Figures in details and the reason: flushes per second, guest latency
 * p50/p99/max, host fsyncs, and the deepest queue the host saw (the most
 * flush calls inside the shim at once: 1 on a kernel that serializes its
 * flushes).
 */

static int cmp_rt0(const void *a, const void *b)
{
	const struct pmt_host_flush *x = a, *y = b;

	return x->rt0_us < y->rt0_us ? -1 : x->rt0_us > y->rt0_us;
}

int pmt_storm_clock_bounds(const struct pmt_clock_ex *ex, size_t n, int64_t *lo, int64_t *hi)
{
	int64_t glo = 0, ghi = 0, gstart = 0;

	if (!n)
		return -1;
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	for (size_t i = 0; i <= n; i++) {
		/* Close the group at the end, or when this exchange is far from it. */
		if (i && (i == n || ex[i].t1 - gstart > PMT_CLOCK_GROUP_US)) {
			/* Drift inside a group: widen, never narrow. */
			if (glo > ghi) {
				int64_t t = glo;

				glo = ghi;
				ghi = t;
			}
			if (glo < *lo)
				*lo = glo;
			if (ghi > *hi)
				*hi = ghi;
			if (i == n)
				break;
		}
		if (!i || ex[i].t1 - gstart > PMT_CLOCK_GROUP_US) {
			gstart = ex[i].t1;
			glo = INT64_MIN;
			ghi = INT64_MAX;
		}
		if (ex[i].h - ex[i].t2 > glo)
			glo = ex[i].h - ex[i].t2;
		if (ex[i].h - ex[i].t1 < ghi)
			ghi = ex[i].h - ex[i].t1;
	}
	return 0;
}

/* The guest-to-host clock offset bounds from the exchanges; 0 or -1. */
static int clock_offset(struct pmt_case *c, struct json_object *res, int64_t *lo, int64_t *hi)
{
	struct json_object *g = json_object_object_get(res, "clock");
	struct json_object *h = json_object_object_get(c->details, "clock_host");
	struct pmt_clock_ex *ex = calloc(pmt_json_len(g) + 1, sizeof(*ex));
	size_t n = 0;
	int rc;

	if (!ex)
		return -1;
	for (size_t i = 0; i < pmt_json_len(g); i++) {
		struct json_object *gp = json_object_array_get_idx(g, i);
		int64_t t1 = json_object_get_int64(json_object_array_get_idx(gp, 0));

		for (size_t k = 0; k < pmt_json_len(h); k++) {
			struct json_object *hp = json_object_array_get_idx(h, k);

			if (json_object_get_int64(json_object_array_get_idx(hp, 0)) != t1)
				continue;
			ex[n].t1 = t1;
			ex[n].t2 = json_object_get_int64(json_object_array_get_idx(gp, 1));
			ex[n].h = json_object_get_int64(json_object_array_get_idx(hp, 1));
			n++;
			break;
		}
	}
	rc = pmt_storm_clock_bounds(ex, n, lo, hi);
	free(ex);
	return rc;
}

/* How the guest's flushes that returned 0 match the host's fsyncs. */
struct storm_coverage {
	size_t nok;		/* guest flushes that returned 0 */
	size_t uncovered;	/* of those, with no host fsync that covers them */
	char first_bad[256];	/* the first uncovered one, described */
};

/*
 * Each guest flush of @fl that returned 0 against the @nh host flushes
 * @hf (sorted here by entry), the guest's times moved by the clock offset
 * bounds [@lo, @hi] to the widest reading: covered by a host fsync that
 * really ran, returned 0, entered after the call and was final before
 * the return.
 */
static void scan_coverage(struct json_object *fl, struct pmt_host_flush *hf, size_t nh,
			  int64_t lo, int64_t hi, struct storm_coverage *cov)
{
	/* The host flushes sorted by entry, a scan from the first that
	 * entered after the guest's call (widest reading). */
	qsort(hf, nh, sizeof(*hf), cmp_rt0);
	for (size_t i = 0; i < pmt_json_len(fl); i++) {
		struct json_object *f = json_object_array_get_idx(fl, i);
		int64_t call = json_object_get_int64(json_object_array_get_idx(f, 1)) + lo;
		int64_t ret = json_object_get_int64(json_object_array_get_idx(f, 2)) + hi;
		size_t a = 0, b = nh;
		bool ok = false;

		if (json_object_get_int(json_object_array_get_idx(f, 3)))
			continue;
		cov->nok++;
		while (a < b) {
			size_t m = (a + b) / 2;

			if (hf[m].rt0_us < call)
				a = m + 1;
			else
				b = m;
		}
		for (size_t k = a; k < nh && hf[k].rt0_us <= ret && !ok; k++)
			ok = hf[k].result == 0 && hf[k].real && hf[k].rt1_us <= ret;
		if (!ok && !cov->uncovered++)
			snprintf(cov->first_bad, sizeof(cov->first_bad), "flush %zu (kind %d, called "
				 "at %lld us, returned %lld us later)", i,
				 json_object_get_int(json_object_array_get_idx(f, 0)),
				 (long long)json_object_get_int64(json_object_array_get_idx(f, 1)),
				 (long long)(json_object_get_int64(json_object_array_get_idx(f, 2)) -
					     json_object_get_int64(json_object_array_get_idx(f, 1))));
	}
}

/* The storm's figures from the guest's result @res, for every reason. */
static void storm_figures(struct json_object *res, char *figures, size_t len)
{
	snprintf(figures, len, "%lld flushes (%lld threads x %lld bursts x %lld) in "
		 "%.1f s: %.0f/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		 pmt_json_int64(res, "count", 0), pmt_json_int64(res, "threads", 0),
		 pmt_json_int64(res, "rounds", 0), pmt_json_int64(res, "burst", 0),
		 pmt_json_double(res, "wall_ms") / 1000.0, pmt_json_double(res, "per_s"),
		 pmt_json_double(res, "p50_ms"), pmt_json_double(res, "p99_ms"),
		 pmt_json_double(res, "max_ms"));
}

/*
 * The host's side of the figures into the details: its @nh flushes @hf,
 * those that returned 0, the deepest queue (returned), and the guest's
 * rate and latencies from @res next to them.
 */
static int note_host_flushes(struct pmt_case *c, struct json_object *res,
			     const struct pmt_host_flush *hf, size_t nh)
{
	size_t hok = 0;
	int depth = 0;

	for (size_t i = 0; i < nh; i++) {
		if (hf[i].depth > depth)
			depth = hf[i].depth;
		hok += hf[i].result == 0;
	}
	json_object_object_add(c->details, "host_flushes", json_object_new_int64((int64_t)nh));
	json_object_object_add(c->details, "host_flushes_ok", json_object_new_int64((int64_t)hok));
	json_object_object_add(c->details, "deepest_queue", json_object_new_int(depth));
	json_object_object_add(c->details, "per_s", json_object_new_double(pmt_json_double(res, "per_s")));
	json_object_object_add(c->details, "p50_ms", json_object_new_double(pmt_json_double(res, "p50_ms")));
	json_object_object_add(c->details, "p99_ms", json_object_new_double(pmt_json_double(res, "p99_ms")));
	json_object_object_add(c->details, "max_ms", json_object_new_double(pmt_json_double(res, "max_ms")));
	return depth;
}

/* @cov into the details, with the clock's uncertainty @spread_us. */
static void note_coverage(struct pmt_case *c, const struct storm_coverage *cov, int64_t spread_us)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "guest_ok", json_object_new_int64((int64_t)cov->nok));
	json_object_object_add(o, "uncovered", json_object_new_int64((int64_t)cov->uncovered));
	json_object_object_add(o, "clock_uncertainty_us", json_object_new_int64(spread_us));
	if (cov->uncovered)
		json_object_object_add(o, "first_uncovered", json_object_new_string(cov->first_bad));
	json_object_object_add(c->details, "coverage", o);
}

/* The verdicts in the order of the comment above, each an early return. */
static enum pmt_verdict storm_judge(struct pmt_case *c, struct json_object *result,
				    char *reason, size_t len)
{
	struct json_object *res = json_object_object_get(c->details, "flushstorm");
	struct storm_coverage cov = { 0 };
	struct pmt_host_flush *hf = NULL;
	struct pmt_virtio_state vs;
	size_t nh = 0;
	int64_t lo, hi;
	int lines, depth, stuck = (int)pmt_json_int64(res, "stuck", 0);
	long long failed = pmt_json_int64(res, "failed", 0);
	char dir[PATH_MAX], err[512], figures[512];

	(void)result;
	storm_figures(res, figures, sizeof(figures));
	if (stuck) {
		snprintf(reason, len, "hang: %d flusher threads still in their flush after %lld s; %s",
			 stuck, pmt_case_param_int(c, "hang_s", 60), figures);
		return PMT_FAIL;
	}

	pmt_shim_dir(c, dir, sizeof(dir));
	if (pmt_host_flushes(dir, (int)pmt_json_int64(c->details, "host_lines_before", 0), &hf,
			     &nh, &lines)) {
		snprintf(reason, len, "check: reading %s/flushes.jsonl failed", dir);
		return PMT_BROK;
	}
	depth = note_host_flushes(c, res, hf, nh);
	snprintf(figures + strlen(figures), sizeof(figures) - strlen(figures),
		 "; host: %zu fsyncs, deepest queue %d", nh, depth);

	if (pmt_virtio_pmem_state(c, &vs, err, sizeof(err))) {
		free(hf);
		snprintf(reason, len, "check: the device's virtio status: %s", err);
		return PMT_BROK;
	}
	json_object_object_add(c->details, "virtio_status", vs.raw);

	if (failed) {
		free(hf);
		snprintf(reason, len, "%lld flushes failed (first errno %lld) with a healthy host%s; %s",
			 failed, pmt_json_int64(res, "first_errno", 0),
			 vs.needs_reset ? "; the device is in NEEDS_RESET" : "", figures);
		return PMT_FAIL;
	}
	if (vs.needs_reset || vs.broken) {
		free(hf);
		snprintf(reason, len, "the device is in NEEDS_RESET (broken %s) after the storm with a "
			 "healthy host; %s", vs.broken ? "yes" : "no", figures);
		return PMT_FAIL;
	}

	if (clock_offset(c, res, &lo, &hi)) {
		free(hf);
		snprintf(reason, len, "check: no clock exchange with the guest (%s): the flushes "
			 "cannot be matched", pmt_json_str(res, "clock_error"));
		return PMT_BROK;
	}
	json_object_object_add(c->details, "clock_offset_us_lo", json_object_new_int64(lo));
	json_object_object_add(c->details, "clock_offset_us_hi", json_object_new_int64(hi));

	scan_coverage(json_object_object_get(res, "flushes"), hf, nh, lo, hi, &cov);
	free(hf);
	note_coverage(c, &cov, hi - lo);
	if (!cov.nok) {
		snprintf(reason, len, "check: no guest flush returned 0: nothing to match; %s", figures);
		return PMT_BROK;
	}
	if (cov.uncovered) {
		snprintf(reason, len, "%zu of %zu flushes returned 0 with no host fsync that returned 0 "
			 "between their call and return (clock +-%.1f ms): first %s; %s", cov.uncovered,
			 cov.nok, (double)(hi - lo) / 2000.0, cov.first_bad, figures);
		return PMT_FAIL;
	}
	snprintf(reason, len, "%s; each of the %zu flushes covered by a later host fsync (clock "
		 "+-%.1f ms); device status without NEEDS_RESET", figures, cov.nok,
		 (double)(hi - lo) / 2000.0);
	return PMT_PASS;
}

PMT_INJECTOR_SCENARIO(flushstorm,
	"flush requests from every vCPU at once, the host slow or held: every "
	"flush covered by a host fsync, no EIO, no NEEDS_RESET; flushes/s, latency",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = PMT_NAMES("slow", "held"),
	.dax = PMT_DAX_ON,
	.smp = 2,	/* flushes from two CPUs at once; --smp or a plan's smp = */
	PMT_JUDGED_BY(storm_judge));
