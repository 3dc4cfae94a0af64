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
 *     ret = 1 on failure.  The flush shim (injectors/powercut/shim.c)
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
 * flushstorm scenario's (harness/scenarios/flushstorm.c).
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
#include "flushstorm.h"
#include "guest_setup.h"
#include "hang.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "shim_env.h"
#include "util.h"
#include "vm.h"

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

void pmt_flushstorm_shim_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/flushstorm-shim", c->rundir);
}

static bool held(const struct pmt_case *c)
{
	return c->variant && !strcmp(c->variant, "held");
}

static int storm_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int n;

	pmt_flushstorm_shim_dir(c, dir, sizeof(dir));
	n = pmt_shim_prepare(c, cfg, dir, err, errlen);
	if (n < 0)
		return -1;
	snprintf(env_delay, sizeof(env_delay), "PMT_SHIM_DELAY_MS=%lld",
		 held(c) ? 0 : pmt_case_param_int(c, "delay_ms", 20));
	snprintf(env_hold, sizeof(env_hold), "PMT_SHIM_HOLD_MS=%lld",
		 pmt_case_param_int(c, "hold_ms", 1500));
	cfg->env[n++] = env_delay;
	cfg->env[n++] = env_hold;
	cfg->env[n] = NULL;
	return 0;
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

static int storm_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object(), *args = json_object_new_object();
	struct json_object *res = NULL, *f;
	struct clock_watch w = { .agent = &c->vm->agent, .stamps = json_object_new_array() };
	struct pmt_host_flush *hf = NULL;
	long long delay = held(c) ? 0 : pmt_case_param_int(c, "delay_ms", 20);
	long long hold = held(c) ? pmt_case_param_int(c, "hold_ms", 1500) : 0;
	char dir[PATH_MAX];
	size_t n = 0;
	int before, lines, rc;
	double slowest = 0;

	pmt_flushstorm_shim_dir(c, dir, sizeof(dir));
	if (pmt_host_flushes(dir, 0, &hf, &n, &before)) {
		snprintf(err, errlen, "%s/flushes.jsonl: %s (was the shim loaded?)", dir, strerror(errno));
		json_object_put(req);
		json_object_put(args);
		json_object_put(w.stamps);
		return -1;
	}
	free(hf);
	if (hold)
		w.hold_dir = dir;
	json_object_object_add(args, "threads", json_object_new_int64(pmt_case_param_int(c, "threads", 8)));
	json_object_object_add(args, "rounds", json_object_new_int64(pmt_case_param_int(c, "rounds", 6)));
	json_object_object_add(args, "burst", json_object_new_int64(pmt_case_param_int(c, "burst", 4)));
	json_object_object_add(args, "hang_s", json_object_new_int64(pmt_case_param_int(c, "hang_s", 60)));
	json_object_object_add(args, "kinds", json_object_new_string(pmt_case_param(c, "kinds")));
	json_object_object_add(args, "dev", json_object_new_string(pmt_case_dev(c)));
	json_object_object_add(req, "workload", json_object_new_string("flushstorm"));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
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

/* flushes.jsonl is the evidence: keep it with the case; the folder goes. */
static void storm_disarm(struct pmt_case *c)
{
	char dir[PATH_MAX], from[PATH_MAX + 16], to[PATH_MAX + 16];

	if (!c->rundir)
		return;
	pmt_flushstorm_shim_dir(c, dir, sizeof(dir));
	snprintf(from, sizeof(from), "%s/flushes.jsonl", dir);
	snprintf(to, sizeof(to), "%s/flushes.jsonl", c->dir);
	if (c->dir[0] && access(from, F_OK) == 0 && rename(from, to)) {
		size_t len;
		char *t = pmt_read_file(from, 256 << 20, &len);

		if (t)
			pmt_write_file_atomic(to, t, len);
		free(t);
	}
	pmt_rm_rf(dir);
}

const struct pmt_injector pmt_injector_flushstorm = {
	.name = "flushstorm",
	.description = "flush requests from every vCPU at once (fsync, fdatasync, raw device, "
		       "O_SYNC/O_DSYNC) while the host's fsync is slow or held",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.params = flushstorm_params,
	.probe = pmt_shim_probe,
	.prepare_vm = storm_prepare,
	.fire = storm_fire,
	.disarm = storm_disarm,
};
