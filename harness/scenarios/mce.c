// SPDX-License-Identifier: MIT
/*
 * mce: a host-injected machine check (QMP human-monitor-command "mce") on
 * the guest-physical address of one DAX page of a file, with a process in
 * the guest loading that page.  A declaration: the mce injector arms the
 * page (injectors/guest/mce_target.c) and injects SRAO or SRAR, the
 * variant (injectors/mce.c); the mce stage judges what followed
 * (harness/check/mce_check.c).
 *
 * What the case claims, per errors.tsv: the guest does not panic,
 * memory_failure() runs on the pfn and the mapper gets SIGBUS with
 * BUS_MCEERR_AR (srar, a data load) or BUS_MCEERR_AO (srao, a scrub); then
 * what the holder's later loads, a bad-block record and every access path
 * of the page see.  A panic is an observed outcome ("guest" = "panic"), a
 * FAIL carrying the console's panic line.
 */
#include "case.h"
#include "declare.h"
#include "mce_check.h"

PMT_INJECTOR_SCENARIO(mce,
	"host-injected SRAO/SRAR machine check on a DAX page: no panic, SIGBUS "
	"to the mapper, later accesses",
	.devices = PMT_ON_ANY_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = PMT_NAMES("srao", "srar"),
	.dax = PMT_DAX_ON,
	PMT_JUDGED_BY_STAGE(pmt_check_stage_mce));
