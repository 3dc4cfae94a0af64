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
 * devreset scenario's (harness/scenarios/devreset.c).  No shim: QEMU's
 * fsync is never reached after the reset.
 */
#include <stdio.h>
#include <string.h>

#include "case.h"
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

const struct pmt_injector pmt_injector_devreset = {
	.name = "devreset",
	.description = "ring the virtio-pmem queue's doorbell from the guest with nothing queued: "
		       "QEMU 7.2 marks the device NEEDS_RESET while writers work",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.params = devreset_params,
	.probe = devreset_probe,
	.fire = devreset_fire,
};
