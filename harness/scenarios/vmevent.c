// SPDX-License-Identifier: MIT
/*
 * vmevent: a VM lifecycle event in the middle of a workload
 * (injectors/vmevent.c), judged here.  Relied on: a guest whose pmem
 * driver is bound keeps flushing across the event as if nothing happened
 * (migration, a snapshot and restore and suspend/resume are meant to be
 * invisible to a guest's durability promises), so
 *   FAIL  a writer stuck in an fsync after the event (the hang verdict of
 *         case/hang.h: stacks, device status; QEMU power-cut): its reason
 *         is prefixed with the event; an fsync after the event failed or
 *         took longer than bound_ms; a record read back is not what was
 *         written and fsynced; the virtio-pmem status over QMP after it has
 *         NEEDS_RESET, "broken", or no DRIVER_OK;
 *         a guest that does not come back from suspend (it resets in its
 *         resume path: QEMU ends, -no-reboot) is FAIL with QEMU's
 *         SHUTDOWN reason and the console's last line;
 *   SKIP  the event cannot happen here: QEMU refused the unplug (its error
 *         is the reason), the guest offers no S3;
 *   PASS  otherwise, with the event's time and the fsync latencies after.
 * Where the device or driver lacks the support (virtio-pmem has no
 * migration state in QEMU; virtio_pmem no freeze/restore before 6.13) the
 * outcome is a FAIL with that evidence, listed in README's findings and
 * results/expected/known-failures.expunge, never a SKIP.
 */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "injector.h"
#include "json_util.h"

static const char *event_name(const char *v)
{
	if (!strcmp(v, "migrate"))
		return "live migration";
	if (!strcmp(v, "snapshot"))
		return "snapshot and restore";
	if (!strcmp(v, "suspend"))
		return "suspend and wakeup";
	return "unplug";
}

/* The status strings QMP gave, joined, into @buf; "" when none was read. */
static void status_text(struct json_object *vs, char *buf, size_t len, bool *sane)
{
	struct json_object *sts = json_object_object_get(vs, "statuses");
	size_t used = 0;
	bool driver_ok = false;

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(sts); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(sts, i));
		const char *colon = strchr(s, ':');
		int n = colon ? (int)(colon - s) : (int)strlen(s);

		driver_ok |= strstr(s, "DRIVER_OK") != NULL;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%.*s",
					 used ? "," : "", n, s);
	}
	if (used >= len && len)
		buf[len - 1] = '\0';
	*sane = driver_ok && !pmt_json_bool(vs, "needs_reset", false) &&
		!pmt_json_bool(vs, "broken", false);
}

static enum pmt_verdict vmevent_judge(struct pmt_case *c, struct json_object *result,
				      char *reason, size_t len)
{
	struct json_object *fault = pmt_fault(c), *res = json_object_object_get(c->details, "vmevent");
	struct json_object *after = json_object_object_get(res, "after");
	struct json_object *vs = json_object_object_get(c->details, "virtio_status");
	const char *ev = event_name(c->variant ? c->variant : "migrate");
	long long bound = pmt_case_param_int(c, "bound_ms", 5000);
	char st[256] = "", figures[512];
	bool sane = true;

	(void)result;
	if (pmt_json_bool(c->details, "vmevent_hung", false) || (c->verdict_set && !res)) {
		/* The hang verdict (or a BROK) is in already: say which event. */
		char was[sizeof(c->reason)];

		snprintf(was, sizeof(was), "%s", c->reason);
		if (c->verdict == PMT_FAIL)
			snprintf(c->reason, sizeof(c->reason), "after the %s, %s", ev, was);
		snprintf(reason, len, "%s", c->reason);
		return c->verdict_set ? c->verdict : PMT_BROK;
	}
	if (json_object_object_get_ex(fault, "resumed", NULL) &&
	    !pmt_json_bool(fault, "resumed", false)) {
		snprintf(reason, len, "the guest did not resume after the %s: QEMU ended (%s, QMP "
			 "SHUTDOWN reason %s: the guest reset itself in its resume path, and "
			 "-no-reboot ends QEMU); the console's last line: %s", ev,
			 pmt_json_str(fault, "qemu_exit"), pmt_json_str(fault, "shutdown_reason"),
			 pmt_json_str(fault, "console_last"));
		return PMT_FAIL;
	}
	if (json_object_object_get_ex(fault, "refused", NULL) && !res) {
		snprintf(reason, len, "check: no result from the guest after the refused %s", ev);
		return PMT_BROK;
	}
	if (!res) {
		snprintf(reason, len, "check: no result from the guest after the %s", ev);
		return PMT_BROK;
	}
	if (vs)
		status_text(vs, st, sizeof(st), &sane);
	snprintf(figures, sizeof(figures), "%lld records, %lld fsyncs after the event: first "
		 "%.0f ms, max %.0f ms%s%s%s", pmt_json_int64(res, "records", 0),
		 pmt_json_int64(after, "count", 0), pmt_json_double(after, "first_ms"),
		 pmt_json_double(after, "max_ms"), vs ? "; device status: [" : "", st,
		 vs ? "]" : "");
	if (pmt_json_int64(after, "failed", 0)) {
		snprintf(reason, len, "after the %s, %lld fsyncs failed (first errno %lld); %s", ev,
			 pmt_json_int64(after, "failed", 0), pmt_json_int64(after, "first_errno", 0),
			 figures);
		return PMT_FAIL;
	}
	if (pmt_json_int64(res, "fsync_failed", 0)) {
		snprintf(reason, len, "an fsync in flight during the %s failed (errno %lld); %s", ev,
			 pmt_json_int64(res, "first_errno", 0), figures);
		return PMT_FAIL;
	}
	if (pmt_json_int64(res, "mismatch", 0)) {
		snprintf(reason, len, "after the %s, %lld records read back are not what was written "
			 "and fsynced: first %s; %s", ev, pmt_json_int64(res, "mismatch", 0),
			 pmt_json_str(res, "first_mismatch"), figures);
		return PMT_FAIL;
	}
	if (json_object_object_get_ex(fault, "refused", NULL)) {
		snprintf(reason, len, "the %s cannot happen here: %s; the writers went on: %s", ev,
			 pmt_json_str(fault, "refused"), figures);
		return PMT_SKIP;
	}
	if (!pmt_json_int64(after, "count", 0)) {
		snprintf(reason, len, "check: no fsync after the %s was made; %s", ev, figures);
		return PMT_BROK;
	}
	if (pmt_json_double(after, "max_ms") > (double)bound) {
		snprintf(reason, len, "after the %s an fsync took %.0f ms (bound %lld ms); %s", ev,
			 pmt_json_double(after, "max_ms"), bound, figures);
		return PMT_FAIL;
	}
	if (!sane) {
		snprintf(reason, len, "after the %s the device status over QMP is not sane "
			 "(NEEDS_RESET, broken or no DRIVER_OK); %s", ev, figures);
		return PMT_FAIL;
	}
	if (c->device == PMT_DEV_VIRTIO_PMEM && !vs) {
		snprintf(reason, len, "check: the device status after the %s: %s", ev,
			 pmt_json_str(c->details, "virtio_status_error"));
		return PMT_BROK;
	}
	snprintf(reason, len, "the %s took %lld ms; every fsync after it returned 0 within %lld ms, "
		 "all records read back; %s", ev, pmt_json_int64(fault, "ms", 0), bound, figures);
	return PMT_PASS;
}

static const char *const vmevent_fs[] = { "ext4", "xfs", NULL };
static const char *const vmevent_variants[] = { "migrate", "snapshot", "suspend", "unplug", NULL };

const struct pmt_scenario pmt_scenario_vmevent = {
	.name = "vmevent",
	.description = "a VM lifecycle event under fsyncing writers (live migration, snapshot and "
		       "restore, suspend/wakeup, unplug): the flushes after it complete, data holds",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = vmevent_fs,
	.variants = vmevent_variants,
	.injector = "vmevent",
	.smp = 2,	/* a device scenario: flushes from two CPUs at once */
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_JUDGE,
	.judge = vmevent_judge,
};
