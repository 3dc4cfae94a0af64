// SPDX-License-Identifier: MIT
/*
 * powercut: host power cuts at every persistence point of a workload on
 * virtio-pmem, from one guest run.  A declaration: the powercut injector
 * runs the workload, stamping its intents and promises with the host's
 * flush count, and cuts the power where --crash-at says
 * (harness/shim.c); the crash-states check stage then checks every
 * flush from the workload's start as a crash point, in checker guests
 * (harness/check/powercut_check.c).
 */
#include "case.h"
#include "declare.h"
#include "powercut_check.h"

/* Every workload that makes promises (workloads/workload_list.h). */
static const char *const powercut_workloads[] = {
#define PMT_WORKLOAD(name, promises, needs_fio) PMT_IF_PROMISES_##promises(#name)
#define PMT_IF_PROMISES_1(x) x,
#define PMT_IF_PROMISES_0(x)
#include "workload_list.h"
#undef PMT_WORKLOAD
	NULL,
};

PMT_INJECTOR_SCENARIO(powercut,
	"host power cuts at every persistence point: every crash state keeps the "
	"promises in force, fsck clean",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = powercut_workloads,
	.dax = PMT_DAX_ON,
	PMT_JUDGED_BY_STAGE(pmt_check_stage_powercut));
