// SPDX-License-Identifier: MIT
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
#include "case.h"

static const char *const flushhang_fs[] = { "ext4", "xfs", NULL };

const struct pmt_scenario pmt_scenario_flushhang = {
	.name = "flushhang",
	.description = "self-test: a host flush held forever must give a hang FAIL with the stacks",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = flushhang_fs,
	.hidden = true,
	.injector = "flushhang",
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_EXPECTATIONS,
};
