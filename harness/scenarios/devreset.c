// SPDX-License-Identifier: MIT
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "injector.h"
#include "json_util.h"

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

static const char *const devreset_fs[] = { "ext4", "xfs", NULL };

const struct pmt_scenario pmt_scenario_devreset = {
	.name = "devreset",
	.description = "the virtio-pmem device goes into NEEDS_RESET under the guest (empty-queue "
		       "notification): every flush after it EIO at once, the fs stops, no fsync 0",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = devreset_fs,
	.injector = "devreset",
	.smp = 2,	/* a device scenario: flushes from two CPUs at once */
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_JUDGE,
	.judge = devreset_judge,
};
