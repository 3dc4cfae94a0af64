// SPDX-License-Identifier: MIT
/*
 * devreset: the virtio-pmem device goes into NEEDS_RESET while the guest
 * works, the way a guest (or a host) can really cause it.
 *
 * QEMU 7.2 (hw/virtio/virtio-pmem.c, virtio_pmem_flush) pops one request
 * per queue notification; a notification that finds the queue empty calls
 * virtio_error(vdev, "virtio-pmem missing request data"), which on a
 * VERSION_1 device sets VIRTIO_CONFIG_S_NEEDS_RESET (0x40), raises a config
 * interrupt and marks the device broken: QEMU ignores its queue from then
 * on.  (Upstream QEMU dropped that virtio_error in 2026, "virtio-pmem:
 * ignore empty queue notifications": on such a QEMU the fault does not
 * fire, and the case is BROK saying so.)  The guest half
 * (injectors/guest/devreset.c) rings queue 0's doorbell through the PCI
 * BAR with nothing queued while writer threads store into their files,
 * then fsyncs: the driver (drivers/nvdimm/nd_virtio.c, CVE-2024-50184)
 * must see NEEDS_RESET and fail each flush with -EIO at once.
 *
 * The fault fired when the guest wrote the register and QMP
 * x-query-virtio-status shows NEEDS_RESET afterwards.  The judge is the
 * scenario's, at the end of this file.  No shim: QEMU's
 * fsync is never reached after the reset.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "case.h"
#include "declare.h"
#include "guest_setup.h"
#include "hang.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "virtio_status.h"

static const struct pmt_param devreset_params[] = {
	{ .name = "writers", .type = PMT_PARAM_INT, .def = "2", .min = 0, .max = 16,
	  .help = "guest threads storing into their files while the device breaks" },
	{ .name = "bound_ms", .type = PMT_PARAM_INT, .def = "10000", .min = 100, .max = 600000,
	  .help = "a guest fsync not back after this long is a hang (FAIL)" },
	{ .name = "eio_ms", .type = PMT_PARAM_INT, .def = "2000", .min = 1, .max = 600000,
	  .help = "the first fsync after the reset must fail within this long (\"at once\")" },
	{ NULL },
};

static int devreset_probe(const struct pmt_case *c, char *why, size_t len)
{
	if (c->opt->backend != PMT_BACKEND_LIBVIRT)
		return 0;
	snprintf(why, len, "devreset reads the device status over QEMU's own QMP socket "
		 "(the qemu backend)");
	return 1;
}

/*
 * How long the guest program may take: each of its fsyncs is bounded by
 * bound_ms (before, after the reset, one per writer, raw, again, a new
 * file), plus boot-free slack.  Past it the guest is stuck where the
 * program could not bound it (a writer's write or a create waiting on a
 * journal that waits on a flush): the hang verdict, with the stacks.
 */
static int run_bound_s(const struct pmt_case *c)
{
	long long fsyncs = 6 + pmt_case_param_int(c, "writers", 2);

	return pmt_case_hang_bound_s(c, (int)(fsyncs * pmt_case_param_int(c, "bound_ms", 10000) / 1000 + 30));
}

static int devreset_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object(), *args = json_object_new_object();
	struct json_object *res = NULL, *probes, *f;
	struct pmt_virtio_state vs;
	bool notified = false;
	int rc;

	json_object_object_add(args, "writers", json_object_new_int64(pmt_case_param_int(c, "writers", 2)));
	json_object_object_add(args, "bound_ms", json_object_new_int64(pmt_case_param_int(c, "bound_ms", 10000)));
	json_object_object_add(args, "dev", json_object_new_string(pmt_case_dev(c)));
	json_object_object_add(req, "workload", json_object_new_string("devreset"));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	rc = pmt_case_agent_within(c, "run", req, &res, err, errlen, run_bound_s(c));
	json_object_put(req);
	if (rc) {
		json_object_put(res);
		return -1;
	}
	json_object_object_add(c->details, "devreset", res);
	probes = json_object_object_get(res, "probes");
	for (size_t i = 0; i < pmt_json_len(probes); i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);
		const char *path = pmt_json_str(p, "path");

		if (!strcmp(path, "fsync_before") && !pmt_json_bool(p, "ok", false)) {
			snprintf(err, errlen, "the device failed a flush before the reset: %s",
				 pmt_json_str(p, "error"));
			return -1;
		}
		if (!strcmp(path, "notify")) {
			if (!pmt_json_bool(p, "ok", false)) {
				snprintf(err, errlen, "the guest could not write the notify register: %s",
					 pmt_json_str(p, "why"));
				return -1;
			}
			notified = true;
		}
	}
	if (!notified) {
		snprintf(err, errlen, "the guest program did not reach the notification");
		return -1;
	}
	if (pmt_virtio_pmem_state(c, &vs, err, errlen))
		return -1;
	json_object_object_add(c->details, "virtio_status", json_object_get(vs.raw));
	if (!vs.needs_reset) {
		json_object_put(vs.raw);
		snprintf(err, errlen, "the empty-queue notification left the device without "
			 "NEEDS_RESET (a QEMU that ignores empty notifications?)");
		return -1;
	}
	f = json_object_new_object();
	json_object_object_add(f, "virtio_status", vs.raw);
	json_object_object_add(f, "notify", json_object_get(json_object_object_get(res, "notify")));
	pmt_fault_fired(c, f);
	/* A flush the guest program gave up on after bound_ms is still stuck
	 * in the kernel: the hang verdict, with the blocked tasks' stacks and
	 * the device status.  QEMU is cut, so no shutdown waits on a
	 * filesystem that cannot unmount (that was BROK on xfs). */
	for (size_t i = 0; i < pmt_json_len(probes); i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);

		if (pmt_json_bool(p, "timed_out", false)) {
			char what[96];

			snprintf(what, sizeof(what), "%s after the device reset", pmt_json_str(p, "path"));
			pmt_case_hang(c, what, (int)(pmt_case_param_int(c, "bound_ms", 10000) / 1000));
			return -1;
		}
	}
	return 0;
}

PMT_INJECTOR(devreset,
	"ring the virtio-pmem queue's doorbell from the guest with nothing queued: "
	"QEMU 7.2 marks the device NEEDS_RESET while writers work",
	.devices = PMT_ON_VIRTIO_PMEM, .params = devreset_params,
	.probe = devreset_probe,
	.fire = devreset_fire);

/* ---- the scenario that runs it ---- */

/*
 * devreset: the virtio-pmem device is put into NEEDS_RESET from the guest
 * while writers work (injectors/devreset.c), judged here.  Relied on:
 *   - the guest driver checks the device status before each flush
 *     (drivers/nvdimm/nd_virtio.c, "virtio_pmem: Check device status
 *     before requesting flush", CVE-2024-50184) and returns -EIO at once;
 *     without that check the request is queued on a device QEMU ignores
 *     and the flush waits forever;
 *   - the failed flush bio fails ext4's journal commit (jbd2 aborts the
 *     journal: "Aborting journal on device") and xfs's log write (xfs
 *     shuts down: "log I/O error", "Filesystem has been shut down").
 * The verdict:
 *   FAIL  any fsync after the reset returned 0; one did not return within
 *         bound_ms (a hang); the first one was not EIO, or took longer than
 *         eio_ms; no driver line in dmesg; ext4 did not abort its journal
 *         or xfs did not shut down;
 *   PASS  otherwise, with what each flush returned and the kernel lines.
 * The device being in NEEDS_RESET over QMP is the fire's proof (BROK
 * without it).  A power cut after the reset loses nothing the guest was
 * promised: no fsync returned 0 after it, and QEMU took no flush, so the
 * durable image is the one before; that is what "no fsync returns 0" checks.
 */

#define DR_KEEP_LINES	16

/* The kernel lines about the driver and the filesystem; 1 each if seen. */
static void read_dmesg(struct pmt_case *c, bool *driver, bool *fs)
{
	struct json_object *res = NULL, *lines = json_object_new_array();
	char err[256], *text, *line, *next;

	*driver = *fs = false;
	if (pmt_case_agent(c, "dmesg", NULL, &res, err, sizeof(err))) {
		json_object_put(res);
		json_object_put(lines);
		return;
	}
	text = strdup(pmt_json_str(res, "text"));
	json_object_put(res);
	for (line = text; line && *line; line = next) {
		bool d, f;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		d = (strstr(line, "virtio") || strstr(line, "pmem")) && strstr(line, "reset");
		f = !strcmp(c->fs, "ext4") ? strstr(line, "Aborting journal") != NULL ||
					     strstr(line, "Detected aborted journal") != NULL
					   : strstr(line, "shut down") != NULL ||
					     strstr(line, "shutdown") != NULL;
		*driver |= d;
		*fs |= f;
		if ((d || f || strstr(line, "I/O error") || strstr(line, "EXT4-fs") ||
		     strstr(line, "XFS")) && !strstr(line, "ommand line") &&
		    pmt_json_len(lines) < DR_KEEP_LINES)
			json_object_array_add(lines, json_object_new_string(line));
	}
	free(text);
	json_object_object_add(c->details, "kernel_log", lines);
}

static enum pmt_verdict devreset_judge(struct pmt_case *c, struct json_object *result,
				       char *reason, size_t len)
{
	struct json_object *probes = json_object_object_get(
		json_object_object_get(c->details, "devreset"), "probes");
	long long bound = pmt_case_param_int(c, "bound_ms", 10000);
	long long eio_ms = pmt_case_param_int(c, "eio_ms", 2000);
	char seen[512] = "";
	size_t used = 0;
	double first_ms = -1;
	bool after = false, driver, fs;

	(void)result;
	for (size_t i = 0; i < pmt_json_len(probes); i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);
		const char *path = pmt_json_str(p, "path");
		int e = (int)pmt_json_int64(p, "errno", 0);

		if (!strcmp(path, "notify")) {
			after = true;
			continue;
		}
		if (!after)
			continue;
		used += (size_t)snprintf(seen + used, used < sizeof(seen) ? sizeof(seen) - used : 0,
					 "%s%s %s %.0f ms", used ? ", " : "", path,
					 pmt_json_bool(p, "ok", false) ? "0" : pmt_json_str(p, "error"),
					 pmt_json_double(p, "ms"));
		if (used >= sizeof(seen))
			used = sizeof(seen) - 1;
		if (pmt_json_bool(p, "timed_out", false)) {
			snprintf(reason, len, "hang: %s did not return within %lld ms after the device "
				 "went into NEEDS_RESET; %s", path, bound, seen);
			return PMT_FAIL;
		}
		if (pmt_json_bool(p, "ok", false)) {
			snprintf(reason, len, "%s returned 0 after the device went into NEEDS_RESET "
				 "(QEMU answers no request then: nothing was flushed); %s", path, seen);
			return PMT_FAIL;
		}
		if (!strcmp(path, "fsync_after_reset")) {
			first_ms = pmt_json_double(p, "ms");
			if (e != 5) {
				snprintf(reason, len, "the first fsync after the reset failed with %s, "
					 "not EIO; %s", pmt_json_str(p, "error"), seen);
				return PMT_FAIL;
			}
			if (first_ms > (double)eio_ms) {
				snprintf(reason, len, "the first fsync after the reset took %.0f ms to "
					 "fail (bound %lld ms): not at once; %s", first_ms, eio_ms, seen);
				return PMT_FAIL;
			}
		}
	}
	if (first_ms < 0) {
		snprintf(reason, len, "check: no fsync after the reset was recorded");
		return PMT_BROK;
	}
	read_dmesg(c, &driver, &fs);
	if (!driver) {
		snprintf(reason, len, "no driver line about the reset in dmesg (the flushes failed "
			 "without the driver saying why); %s", seen);
		return PMT_FAIL;
	}
	if (!fs) {
		snprintf(reason, len, "%s after a failed flush; %s", !strcmp(c->fs, "ext4")
			 ? "ext4 did not abort its journal" : "xfs did not shut down", seen);
		return PMT_FAIL;
	}
	snprintf(reason, len, "NEEDS_RESET over QMP; first fsync EIO in %.1f ms, none returned 0, "
		 "driver line and %s in dmesg; %s", first_ms,
		 !strcmp(c->fs, "ext4") ? "journal abort" : "xfs shutdown", seen);
	return PMT_PASS;
}

PMT_INJECTOR_SCENARIO(devreset,
	"the virtio-pmem device goes into NEEDS_RESET under the guest (empty-queue "
	"notification): every flush after it EIO at once, the fs stops, no fsync 0",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.dax = PMT_DAX_ON,
	.smp = 2,	/* a device scenario: flushes from two CPUs at once */
	PMT_JUDGED_BY(devreset_judge));
