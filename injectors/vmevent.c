// SPDX-License-Identifier: MIT
/*
 * vmevent: a VM lifecycle event in the middle of a workload.  The guest
 * half (injectors/guest/vmevent.c) starts writer threads that append and
 * fsync records in a loop; once each has some records fsynced (promises
 * made before), the host fires the event with flushes in flight, then asks
 * the guest to finish: each writer does a few more records (the flushes
 * after the event), they are joined, and every record is read back.  The
 * finish is bounded by the hang bound (hang_s, or --hang-timeout): a
 * writer stuck in its fsync is the hang verdict of case/hang.h, FAIL with
 * the stacks and the device status, QEMU power-cut.  The judge is the
 * scenario's, at the end of this file.
 *
 * Variants and what they rely on (QEMU 7.2, Debian 12):
 *   migrate  live migration to a second QEMU on this host (vm_move.h:
 *            same argv plus -incoming defer, x-ignore-shared, a
 *            socketpair); the case goes on on the second QEMU.
 *            virtio-pmem has no VMStateDescription: the destination's
 *            device starts reset (status 0, no queues), so a driver bound
 *            before the event rings a queue QEMU does not know.
 *   snapshot stop, save to a file (migrate fd:), quit, a new QEMU restores
 *            the file (migrate-incoming) and goes on: the same device loss.
 *   suspend  the guest writes "mem" to /sys/power/state (S3: QEMU q35
 *            offers it with ICH9-LPC.disable_s3=0, set by prepare_vm);
 *            QMP shows the SUSPEND event, system_wakeup, WAKEUP.  QEMU's
 *            wakeup resets the machine's devices (pc_machine_wakeup), and
 *            virtio_pmem has no freeze/restore callbacks before Linux 6.13
 *            ("virtio_pmem: Add freeze/restore callbacks"): the virtio core
 *            sets DRIVER_OK again but nobody sets the queue up.
 *   unplug   QMP device_del of the pmem device while the writers flush.
 *            The virtio-pmem device sits behind a pcie-root-port for it
 *            (q35's pcie.0 refuses any unplug itself: "Bus 'pcie.0' does
 *            not support hotplugging").  QEMU 7.2 refuses it anyway for
 *            virtio-pmem-pci ("virtio based memory devices cannot be
 *            unplugged.") and nvdimm ("nvdimm device hot unplug is not
 *            supported yet."): the refusal is the observation
 *            (details.fault.refused), the judge SKIPs saying so.
 * The fault fired when the event happened (the destination's agent
 * answered; QMP's SUSPEND and WAKEUP; device_del answered either way).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "declare.h"
#include "guest_setup.h"
#include "hang.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "util.h"
#include "vm.h"
#include "vm_move.h"
#include "virtio_status.h"

#define VE_EVENT_MS		60000	/* the event itself: migration, save and restore */
#define VE_SUSPEND_MS		30000	/* the guest reaching S3, and waking */

static const struct pmt_param vmevent_params[] = {
	{ .name = "writers", .type = PMT_PARAM_INT, .def = "2", .min = 1, .max = 8,
	  .help = "guest threads appending and fsyncing records across the event" },
	{ .name = "before", .type = PMT_PARAM_INT, .def = "5", .min = 1, .max = 2000,
	  .help = "records each writer fsyncs before the event fires" },
	{ .name = "after", .type = PMT_PARAM_INT, .def = "5", .min = 1, .max = 2000,
	  .help = "records each writer writes and fsyncs after the event" },
	{ .name = "bound_ms", .type = PMT_PARAM_INT, .def = "5000", .min = 1, .max = 600000,
	  .help = "an fsync after the event slower than this is FAIL" },
	{ .name = "hang_s", .type = PMT_PARAM_INT, .def = "20", .min = 1, .max = 3600,
	  .help = "the writers not done this long after the event: a hang (stacks, FAIL)" },
	{ NULL },
};

static const char *variant(const struct pmt_case *c)
{
	return c->variant ? c->variant : "migrate";
}

static int vmevent_probe(const struct pmt_case *c, char *why, size_t len)
{
	if (c->opt->backend == PMT_BACKEND_QEMU)
		return 0;
	snprintf(why, len, "vmevent drives QEMU itself (a second QEMU, QMP system_wakeup, "
		 "device_del): the qemu backend only");
	return 1;
}

static int vmevent_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	size_t n = strlen(cfg->append);

	cfg->s3 = !strcmp(variant(c), "suspend");
	/* The kernel's own suspend and resume lines stay on the console (the
	 * evidence when the resume goes wrong). */
	if (cfg->s3 && pmt_fmt(cfg->append + n, sizeof(cfg->append) - n,
			       " no_console_suspend loglevel=7"))
		return pmt_fail(err, errlen, "the kernel command line is too long");
	cfg->hotplug_port = !strcmp(variant(c), "unplug");
	return 0;
}

/* The guest program's step @step with @args (consumed); *res its answer. */
static int guest_step(struct pmt_case *c, const char *step, struct json_object *args,
		      struct json_object **res, char *err, size_t errlen, int bound_s)
{
	struct json_object *req = json_object_new_object();
	int rc;

	json_object_object_add(args, "step", json_object_new_string(step));
	json_object_object_add(req, "workload", json_object_new_string("vmevent"));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	rc = bound_s ? pmt_case_agent_within(c, "run", req, res, err, errlen, bound_s)
		     : pmt_case_agent(c, "run", req, res, err, errlen);
	json_object_put(req);
	return rc;
}

static int move(struct pmt_case *c, bool live, struct json_object *f, char *err, size_t errlen)
{
	static unsigned seq;
	char file[PATH_MAX];
	int rc;

	pmt_fmt(file, sizeof(file), "%s/vmevent-%ld-%u.snap", c->rundir, (long)getpid(), seq++);
	rc = pmt_vm_move(c->vm, live, live ? NULL : file, f, pmt_now_ms() + VE_EVENT_MS,
			 err, errlen);
	if (!live)
		unlink(file);
	return rc;
}

/* The last line of the guest's console (its kernel's last word), into @buf. */
static void last_console_line(const struct pmt_case *c, char *buf, size_t len)
{
	char path[PATH_MAX + 16], *text, *end, *line;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/console.log", c->dir);
	text = pmt_read_file(path, 16 << 20, NULL);
	if (!text)
		return;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	line = strrchr(text, '\n');
	snprintf(buf, len, "%s", line ? line + 1 : text);
	free(text);
}

/*
 * After WAKEUP: is the guest back?  The agent answering is the sign.  A
 * guest that resets in its resume path ends QEMU (-no-reboot; QMP
 * SHUTDOWN "guest-reset"): recorded as "resumed": false with QEMU's
 * reason and the console's last line, for the judge.  No answer within the
 * hang bound while QEMU lives: the hang verdict.
 */
static int resumed(struct pmt_case *c, struct json_object *f, char *err, size_t errlen)
{
	int bound = pmt_case_hang_bound_s(c, (int)pmt_case_param_int(c, "hang_s", 20));
	struct json_object *args = json_object_new_object(), *argv = json_object_new_array();
	struct json_object *res = NULL, *ev = NULL, *data = NULL;
	enum pmt_agent_status st;
	int64_t t0 = pmt_now_ms();
	char why[512], line[256];

	json_object_array_add(argv, json_object_new_string("true"));
	json_object_object_add(args, "argv", argv);
	st = pmt_agent_call(&c->vm->agent, "exec", args, &res, t0 + bound * 1000LL, why, sizeof(why));
	json_object_put(args);
	json_object_put(res);
	if (st == PMT_AGENT_OK) {
		json_object_object_add(f, "resumed", json_object_new_boolean(true));
		json_object_object_add(f, "resume_ms", json_object_new_int64(pmt_now_ms() - t0));
		return 0;
	}
	if (st != PMT_AGENT_TRANSPORT)
		return pmt_fail(err, errlen, "the agent after the wakeup: %s", why);
	if (!c->vm->backend->wait_exit(c->vm, pmt_now_ms() + 2000)) {
		json_object_object_add(f, "resumed", json_object_new_boolean(false));
		json_object_object_add(c->details, "vmevent_hung", json_object_new_boolean(true));
		pmt_case_phase(c, "resume");
		pmt_case_hang(c, "agent exec after the wakeup", (int)((pmt_now_ms() - t0 + 500) / 1000));
		return 0;
	}
	json_object_object_add(f, "resumed", json_object_new_boolean(false));
	pmt_vm_describe_exit(c->vm, why, sizeof(why));
	json_object_object_add(f, "qemu_exit", json_object_new_string(why));
	if (!pmt_qmp_wait_event(&c->vm->qmp, "SHUTDOWN", &ev, pmt_now_ms() + 100, why, sizeof(why))) {
		json_object_object_get_ex(ev, "data", &data);
		json_object_object_add(f, "shutdown_reason",
				       json_object_new_string(pmt_json_str(data, "reason")));
	}
	json_object_put(ev);
	last_console_line(c, line, sizeof(line));
	json_object_object_add(f, "console_last", json_object_new_string(line));
	return 0;
}

static int suspend(struct pmt_case *c, struct json_object *f, char *err, size_t errlen)
{
	struct json_object *res = NULL;
	int64_t t0;
	int rc;

	rc = guest_step(c, "suspend", json_object_new_object(), &res, err, errlen, 0);
	if (rc) {
		json_object_put(res);
		return -1;
	}
	json_object_object_add(f, "guest", res);
	if (!pmt_json_bool(res, "s3", false)) {
		json_object_object_add(f, "refused", json_object_new_string(
			"the guest kernel offers no S3 (no \"mem\" in /sys/power/state or no "
			"\"deep\" in /sys/power/mem_sleep)"));
		return 0;
	}
	t0 = pmt_now_ms();
	if (pmt_qmp_wait_event(&c->vm->qmp, "SUSPEND", NULL, t0 + VE_SUSPEND_MS, err, errlen))
		return pmt_fail(err, errlen, "the guest did not suspend (no QMP SUSPEND event "
				"within %d s)", VE_SUSPEND_MS / 1000);
	json_object_object_add(f, "suspend_ms", json_object_new_int64(pmt_now_ms() - t0));
	if (pmt_qmp_execute(&c->vm->qmp, "system_wakeup", NULL, NULL, pmt_now_ms() + VE_SUSPEND_MS,
			    err, errlen) ||
	    pmt_qmp_wait_event(&c->vm->qmp, "WAKEUP", NULL, pmt_now_ms() + VE_SUSPEND_MS,
			       err, errlen))
		return -1;
	json_object_object_add(f, "ms", json_object_new_int64(pmt_now_ms() - t0));
	return resumed(c, f, err, errlen);
}

static int unplug(struct pmt_case *c, struct json_object *f, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object();
	char id[32], why[512];
	int rc;

	snprintf(id, sizeof(id), "%s0", c->device == PMT_DEV_NVDIMM ? "nvdimm" : "pmem");
	json_object_object_add(args, "id", json_object_new_string(id));
	rc = pmt_qmp_execute(&c->vm->qmp, "device_del", args, NULL, pmt_now_ms() + 10000,
			     why, sizeof(why));
	json_object_put(args);
	json_object_object_add(f, "device", json_object_new_string(id));
	if (rc) {
		if (!c->vm->qmp_up || c->vm->exited)
			return pmt_fail(err, errlen, "device_del: %s", why);
		json_object_object_add(f, "refused", json_object_new_string(why));
		return 0;
	}
	/* Accepted: the guest is asked to let go; DEVICE_DELETED when it did. */
	if (pmt_qmp_wait_event(&c->vm->qmp, "DEVICE_DELETED", NULL, pmt_now_ms() + 10000,
			       why, sizeof(why)))
		json_object_object_add(f, "deleted", json_object_new_boolean(false));
	else
		json_object_object_add(f, "deleted", json_object_new_boolean(true));
	return 0;
}

static int vmevent_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *res = NULL, *f;
	const char *v = variant(c);
	struct pmt_virtio_state vs;
	char why[512];
	bool gone;
	int rc;

	json_object_object_add(args, "writers", json_object_new_int64(pmt_case_param_int(c, "writers", 2)));
	json_object_object_add(args, "before", json_object_new_int64(pmt_case_param_int(c, "before", 5)));
	if (guest_step(c, "start", args, &res, err, errlen, 0)) {
		json_object_put(res);
		return -1;
	}
	json_object_object_add(c->details, "vmevent_start", res);
	if (!pmt_json_bool(res, "before_ok", false))
		return pmt_fail(err, errlen, "an fsync failed before the event: the device was not "
				"healthy to begin with");

	f = json_object_new_object();
	json_object_object_add(f, "event", json_object_new_string(v));
	if (!strcmp(v, "migrate"))
		rc = move(c, true, f, err, errlen);
	else if (!strcmp(v, "snapshot"))
		rc = move(c, false, f, err, errlen);
	else if (!strcmp(v, "suspend"))
		rc = suspend(c, f, err, errlen);
	else
		rc = unplug(c, f, err, errlen);
	if (rc) {
		json_object_put(f);
		return -1;
	}
	gone = json_object_object_get_ex(f, "resumed", NULL) && !pmt_json_bool(f, "resumed", false);
	pmt_fault_fired(c, f);	/* consumes f */
	if (gone)
		return 0;	/* the guest did not come back: the judge says how */

	/* The flushes after the event; a writer stuck in one is the hang verdict. */
	pmt_case_phase(c, "after");
	args = json_object_new_object();
	json_object_object_add(args, "after", json_object_new_int64(pmt_case_param_int(c, "after", 5)));
	res = NULL;
	rc = guest_step(c, "finish", args, &res, why, sizeof(why),
			pmt_case_hang_bound_s(c, (int)pmt_case_param_int(c, "hang_s", 20)));
	if (rc < 0) {
		/* FAIL with the stacks (or BROK) is recorded, QEMU is gone. */
		json_object_object_add(c->details, "vmevent_hung", json_object_new_boolean(true));
		return 0;
	}
	if (rc > 0) {
		json_object_put(res);
		pmt_case_verdict(c, PMT_BROK, "after: the guest program could not finish: %s", why);
		return 0;
	}
	json_object_object_add(c->details, "vmevent", res);
	if (c->device == PMT_DEV_VIRTIO_PMEM) {
		if (pmt_virtio_pmem_state(c, &vs, why, sizeof(why)))
			json_object_object_add(c->details, "virtio_status_error",
					       json_object_new_string(why));
		else
			json_object_object_add(c->details, "virtio_status", vs.raw);
	}
	return 0;
}

PMT_INJECTOR(vmevent,
	"a VM lifecycle event under writers that fsync: live migration, "
	"snapshot and restore, suspend to RAM and wakeup, device hot-unplug",
	.devices = PMT_ON_ANY_PMEM, .params = vmevent_params,
	.probe = vmevent_probe, .prepare_vm = vmevent_prepare,
	.fire = vmevent_fire);

/* ---- the scenario that runs it ---- */

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

/*
 * Long because it is the list of verdicts in priority order, each a test and its reason
 * text; the order is the judgement and there is nothing shared to factor.
 */
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

PMT_INJECTOR_SCENARIO(vmevent,
	"a VM lifecycle event under fsyncing writers (live migration, snapshot and "
	"restore, suspend/wakeup, unplug): the flushes after it complete, data holds",
	.devices = PMT_ON_ANY_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = PMT_NAMES("migrate", "snapshot", "suspend", "unplug"),
	.dax = PMT_DAX_ON,
	.smp = 2,	/* a device scenario: flushes from two CPUs at once */
	PMT_JUDGED_BY(vmevent_judge));
