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
#include "declare.h"
#include "flusheio_check.h"

PMT_INJECTOR_SCENARIO(flusheio,
	"the host's fsync of the backing file fails (guest fsync EIO?) or is slow",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = PMT_NAMES("fail", "slow", "lose", "lose-drop"),
	.dax = PMT_DAX_ON,
	PMT_JUDGED_BY_STAGE(pmt_check_stage_flusheio));
