// SPDX-License-Identifier: MIT
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "flushstorm.h"
#include "injector.h"
#include "json_util.h"
#include "virtio_status.h"

static int cmp_rt0(const void *a, const void *b)
{
	const struct pmt_host_flush *x = a, *y = b;

	return x->rt0_us < y->rt0_us ? -1 : x->rt0_us > y->rt0_us;
}

/* The guest-to-host clock offset bounds from the exchanges; 0 or -1. */
static int clock_offset(struct pmt_case *c, struct json_object *res, int64_t *lo, int64_t *hi)
{
	struct json_object *g = json_object_object_get(res, "clock");
	struct json_object *h = json_object_object_get(c->details, "clock_host");
	bool any = false;

	*lo = INT64_MIN;
	*hi = INT64_MAX;
	for (size_t i = 0; i < pmt_json_len(g); i++) {
		struct json_object *gp = json_object_array_get_idx(g, i);
		int64_t t1 = json_object_get_int64(json_object_array_get_idx(gp, 0));
		int64_t t2 = json_object_get_int64(json_object_array_get_idx(gp, 1));

		for (size_t k = 0; k < pmt_json_len(h); k++) {
			struct json_object *hp = json_object_array_get_idx(h, k);
			int64_t hs;

			if (json_object_get_int64(json_object_array_get_idx(hp, 0)) != t1)
				continue;
			hs = json_object_get_int64(json_object_array_get_idx(hp, 1));
			if (hs - t2 > *lo)
				*lo = hs - t2;
			if (hs - t1 < *hi)
				*hi = hs - t1;
			any = true;
		}
	}
	if (!any)
		return -1;
	/* Drift between the exchanges before and after: widen, never narrow. */
	if (*lo > *hi) {
		int64_t t = *lo;

		*lo = *hi;
		*hi = t;
	}
	return 0;
}

static enum pmt_verdict storm_judge(struct pmt_case *c, struct json_object *result,
				    char *reason, size_t len)
{
	struct json_object *res = json_object_object_get(c->details, "flushstorm");
	struct json_object *fl = json_object_object_get(res, "flushes"), *cov;
	struct pmt_host_flush *hf = NULL;
	struct pmt_virtio_state vs;
	size_t nh = 0, nok = 0, uncovered = 0, hok = 0;
	int64_t lo, hi;
	int lines, depth = 0, stuck = (int)pmt_json_int64(res, "stuck", 0);
	long long failed = pmt_json_int64(res, "failed", 0);
	char dir[PATH_MAX], err[512], first_bad[256] = "", figures[512];

	(void)result;
	snprintf(figures, sizeof(figures), "%lld flushes (%lld threads x %lld bursts x %lld) in "
		 "%.1f s: %.0f/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		 pmt_json_int64(res, "count", 0), pmt_json_int64(res, "threads", 0),
		 pmt_json_int64(res, "rounds", 0), pmt_json_int64(res, "burst", 0),
		 pmt_json_double(res, "wall_ms") / 1000.0, pmt_json_double(res, "per_s"),
		 pmt_json_double(res, "p50_ms"), pmt_json_double(res, "p99_ms"),
		 pmt_json_double(res, "max_ms"));
	if (stuck) {
		snprintf(reason, len, "hang: %d flusher threads still in their flush after %lld s; %s",
			 stuck, pmt_case_param_int(c, "hang_s", 60), figures);
		return PMT_FAIL;
	}

	pmt_flushstorm_shim_dir(c, dir, sizeof(dir));
	if (pmt_host_flushes(dir, (int)pmt_json_int64(c->details, "host_lines_before", 0), &hf,
			     &nh, &lines)) {
		snprintf(reason, len, "check: reading %s/flushes.jsonl failed", dir);
		return PMT_BROK;
	}
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

	/* Coverage: the host flushes sorted by entry, a scan from the first
	 * that entered after the guest's call (widest reading). */
	qsort(hf, nh, sizeof(*hf), cmp_rt0);
	for (size_t i = 0; i < pmt_json_len(fl); i++) {
		struct json_object *f = json_object_array_get_idx(fl, i);
		int64_t call = json_object_get_int64(json_object_array_get_idx(f, 1)) + lo;
		int64_t ret = json_object_get_int64(json_object_array_get_idx(f, 2)) + hi;
		size_t a = 0, b = nh;
		bool ok = false;

		if (json_object_get_int(json_object_array_get_idx(f, 3)))
			continue;
		nok++;
		while (a < b) {
			size_t m = (a + b) / 2;

			if (hf[m].rt0_us < call)
				a = m + 1;
			else
				b = m;
		}
		for (size_t k = a; k < nh && hf[k].rt0_us <= ret && !ok; k++)
			ok = hf[k].result == 0 && hf[k].real && hf[k].rt1_us <= ret;
		if (!ok && !uncovered++)
			snprintf(first_bad, sizeof(first_bad), "flush %zu (kind %d, called at %lld us, "
				 "returned %lld us later)", i,
				 json_object_get_int(json_object_array_get_idx(f, 0)),
				 (long long)json_object_get_int64(json_object_array_get_idx(f, 1)),
				 (long long)(json_object_get_int64(json_object_array_get_idx(f, 2)) -
					     json_object_get_int64(json_object_array_get_idx(f, 1))));
	}
	free(hf);
	cov = json_object_new_object();
	json_object_object_add(cov, "guest_ok", json_object_new_int64((int64_t)nok));
	json_object_object_add(cov, "uncovered", json_object_new_int64((int64_t)uncovered));
	json_object_object_add(cov, "clock_uncertainty_us", json_object_new_int64(hi - lo));
	if (uncovered)
		json_object_object_add(cov, "first_uncovered", json_object_new_string(first_bad));
	json_object_object_add(c->details, "coverage", cov);
	if (!nok) {
		snprintf(reason, len, "check: no guest flush returned 0: nothing to match; %s", figures);
		return PMT_BROK;
	}
	if (uncovered) {
		snprintf(reason, len, "%zu of %zu flushes returned 0 with no host fsync that returned 0 "
			 "between their call and return (clock +-%.1f ms): first %s; %s", uncovered,
			 nok, (double)(hi - lo) / 2000.0, first_bad, figures);
		return PMT_FAIL;
	}
	snprintf(reason, len, "%s; each of the %zu flushes covered by a later host fsync (clock "
		 "+-%.1f ms); device status without NEEDS_RESET", figures, nok,
		 (double)(hi - lo) / 2000.0);
	return PMT_PASS;
}

static const char *const storm_fs[] = { "ext4", "xfs", NULL };
static const char *const storm_variants[] = { "slow", "held", NULL };

const struct pmt_scenario pmt_scenario_flushstorm = {
	.name = "flushstorm",
	.description = "flush requests from every vCPU at once, the host slow or held: every "
		       "flush covered by a host fsync, no EIO, no NEEDS_RESET; flushes/s, latency",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = storm_fs,
	.variants = storm_variants,
	.injector = "flushstorm",
	.smp = 2,	/* flushes from two CPUs at once; --smp or a plan's smp = */
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_JUDGE,
	.judge = storm_judge,
};
