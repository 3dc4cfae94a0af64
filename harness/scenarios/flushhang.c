// SPDX-License-Identifier: MIT
/*
 * flushhang (hidden): a guest flush that never completes, to prove that a
 * hang is a FAIL with evidence (case/hang.h) and that the harness stays in
 * control: the case ends within its bound and QEMU is power-cut.
 *
 * After mkfs and mount (flushed honestly), the flush shim is switched to
 * "hold" (injectors/powercut/shim.c: the next host fsync() of the backing
 * file waits until DIR/held is removed, which nobody does).  QEMU 7.2's
 * virtio-pmem hands the request to a thread-pool worker that runs that
 * fsync, so the answer never comes; the guest's virtio_pmem_flush()
 * sleeps in wait_event() (state D) for it, and the fsync of flushprobe's
 * one file with it.  The agent's "run" then makes no progress for the
 * hang bound (--hang-timeout, default 20 s here), and the verdict must be
 * FAIL naming the blocked task in virtio_pmem_flush.  The host is the
 * culprit here by construction: the scenario is a self-test of the hang
 * verdict, not a finding, and runs only when named (make check does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flusheio.h"
#include "guest_setup.h"
#include "hang.h"
#include "runner.h"
#include "shim_env.h"
#include "util.h"

#define FLUSHHANG_BOUND_S	20

/* The shim's log is what the host saw: keep it with the case. */
static void keep_flush_log(struct pmt_case *c, const char *dir)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16], *t;
	size_t len;

	snprintf(from, sizeof(from), "%s/flushes.jsonl", dir);
	snprintf(to, sizeof(to), "%s/flushes.jsonl", c->dir);
	t = pmt_read_file(from, 64 << 20, &len);
	if (t)
		pmt_write_file_atomic(to, t, len);
	free(t);
}

static int flushhang_run(struct pmt_case *c)
{
	struct json_object *args, *wargs, *res = NULL;
	char dev[64], dir[PATH_MAX], err[512];
	int bound = pmt_case_hang_bound_s(c, FLUSHHANG_BOUND_S), rc;

	if (pmt_setup_fs(c, dev, sizeof(dev)))
		return 0;
	pmt_flusheio_shim_dir(c, dir, sizeof(dir));
	pmt_case_phase(c, "hold");
	if (pmt_shim_set_mode(dir, "hold")) {
		pmt_case_verdict(c, PMT_BROK, "hold: cannot switch the shim to hold");
		return 0;
	}
	wargs = json_object_new_object();
	json_object_object_add(wargs, "step", json_object_new_string("load"));
	json_object_object_add(wargs, "files", json_object_new_int(1));
	json_object_object_add(wargs, "threads", json_object_new_int(1));
	json_object_object_add(wargs, "rounds", json_object_new_int(1));
	args = json_object_new_object();
	json_object_object_add(args, "workload", json_object_new_string("flushprobe"));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	rc = pmt_case_agent_within(c, "run", args, &res, err, sizeof(err), bound);
	json_object_put(args);
	json_object_put(res);
	keep_flush_log(c, dir);
	if (rc == 0)
		pmt_case_verdict(c, PMT_BROK, "hold: the guest's fsync returned although the host "
				 "flush was held: the fault did not fire");
	else if (rc > 0)
		pmt_case_verdict(c, PMT_BROK, "hold: flushprobe could not run: %s", err);
	/* rc < 0: the hang verdict (FAIL with the stacks, or BROK) is set. */
	return 0;
}

static const char *const flushhang_fs[] = { "ext4", "xfs", NULL };

const struct pmt_scenario pmt_scenario_flushhang = {
	.name = "flushhang",
	.description = "self-test: a host flush held forever must give a hang FAIL with the stacks",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = flushhang_fs,
	.mount_opts = "dax",
	.hidden = true,
	.injector = "flusheio",
	.run = flushhang_run,
};
