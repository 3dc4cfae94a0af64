// SPDX-License-Identifier: MIT
/*
 * flusheio: the host's fsync() of the virtio-pmem backing file fails, or
 * is slow.  A declaration: the flusheio injector (injectors/flusheio.c)
 * switches the flush shim's mode and runs the guest's flushprobe through
 * the failure and the host's recovery, or against slow host flushes; the
 * check stage (harness/check/flusheio_check.c) judges every probe against
 * results/expected/errors.tsv (MODE is the variant) and, after a failure,
 * cuts the power and checks that each promise a later fsync's 0 made held
 * at its own flush and in the durable image at the cut.
 *
 * Variants:
 *   fail       every host flush fails (EIO) while the guest fsyncs, then
 *              the host recovers and the guest asks again;
 *   slow       every host flush sleeps delay_ms while 16 guest threads
 *              fsync (the asynchronous flush path under load);
 *   lose       the host behaves as Linux does after a write-back error:
 *              the failed fsync loses its pages, the next returns 0;
 *   lose-drop  lose, and the host dropped the lost pages from its cache.
 */
#include "case.h"
#include "flusheio_check.h"

static const char *const flusheio_fs[] = { "ext4", "xfs", NULL };
static const char *const flusheio_variants[] = { "fail", "slow", "lose", "lose-drop", NULL };

const struct pmt_scenario pmt_scenario_flusheio = {
	.name = "flusheio",
	.description = "the host's fsync of the backing file fails (guest fsync EIO?) or is slow",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = flusheio_fs,
	.variants = flusheio_variants,
	.injector = "flusheio",
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_STAGE,
	.check_stage = &pmt_check_stage_flusheio,
};
