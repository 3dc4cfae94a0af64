// SPDX-License-Identifier: MIT
/*
 * flushhang: a host flush held forever, to prove that a hang is a FAIL
 * with evidence (harness/case/hang.h) and that the harness stays in
 * control: the case ends within its bound and QEMU is power-cut.
 *
 * arm switches the flush shim (harness/shim/shim.c) to "hold": the
 * next host fsync() of the backing file waits until DIR/held is removed,
 * which nobody does.  QEMU 7.2's virtio-pmem hands the request to a
 * thread-pool worker that runs that fsync, so the answer never comes; the
 * guest's virtio_pmem_flush() sleeps in wait_event() (state D) for it.
 * run_workload then fsyncs one file (flushprobe "load") with the agent
 * call bounded by the hang bound (--hang-timeout, default 20 s here): no
 * answer within it is the hang verdict, set by the agent call (FAIL naming
 * the blocked task in virtio_pmem_flush, with the stacks, the device's
 * status and the shim's held flush).  A fsync that returns is the fault
 * not firing: BROK.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "declare.h"
#include "flusheio.h"
#include "hang.h"
#include "injector.h"
#include "shim_env.h"
#include "util.h"

#define FLUSHHANG_BOUND_S	20

static int flushhang_arm(struct pmt_case *c, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	pmt_shim_dir(c, dir, sizeof(dir));
	pmt_case_phase(c, "hold");
	if (pmt_shim_set_mode(dir, "hold")) {
		snprintf(err, errlen, "cannot switch the shim to hold: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The fsync that must hang.  -1 always: the hang's verdict, or why not. */
static int flushhang_run_workload(struct pmt_case *c, struct json_object **result, char *err,
				  size_t errlen)
{
	struct json_object *args = pmt_flushprobe_request("load", 1, 1, false), *res = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 8], why[512];
	int rc;

	*result = NULL;
	pmt_shim_dir(c, dir, sizeof(dir));
	rc = pmt_case_agent_within(c, "run", args, &res, why, sizeof(why),
				   pmt_case_hang_bound_s(c, FLUSHHANG_BOUND_S));
	json_object_put(args);
	json_object_put(res);
	if (rc == 0) {
		snprintf(err, errlen, "hold: the guest's fsync returned although the host flush "
			 "was held: the fault did not fire");
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errlen, "hold: flushprobe could not run: %s",
			 rc == 1 ? why : "interrupted");
		return -1;
	}
	/* No answer: the verdict is set (hang.h).  The shim says it held a flush. */
	pmt_fmt(path, sizeof(path), "%s/held", dir);
	if (access(path, F_OK) == 0) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "host_flush_held", json_object_new_boolean(true));
		pmt_fault_fired(c, f);
	}
	return -1;
}

PMT_INJECTOR(flushhang,
	"self-test: the host's fsync() behind a guest flush never returns",
	.devices = PMT_ON_VIRTIO_PMEM,
	.probe = pmt_shim_probe, .prepare_vm = pmt_shim_prepare_vm, .arm = flushhang_arm,
	.run_workload = flushhang_run_workload, .disarm = pmt_shim_disarm);

/* ---- the scenario that runs it ---- */

/*
 * flushhang (hidden): a guest flush that never completes, to prove that a
 * hang is a FAIL with evidence (case/hang.h) and that the harness stays in
 * control: the case ends within its bound and QEMU is power-cut.  A
 * declaration: the flushhang injector (injectors/flushhang.c) holds the
 * host's fsync() behind the next guest flush and fsyncs one file; the
 * agent call that makes no progress within the hang bound (--hang-timeout,
 * default 20 s here) sets the verdict, FAIL naming the task blocked in
 * virtio_pmem_flush.  The workload never reaches the check: a fsync that
 * returns is the fault not firing, BROK.  The host is the culprit here by
 * construction: a self-test of the hang verdict, not a finding, run only
 * when named (make check does).
 */

PMT_INJECTOR_SCENARIO(flushhang,
	"self-test: a host flush held forever must give a hang FAIL with the stacks",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.hidden = true, .dax = PMT_DAX_ON,
	.checker = PMT_CHECK_EXPECTATIONS);
