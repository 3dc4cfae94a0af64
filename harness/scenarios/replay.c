// SPDX-License-Identifier: MIT
/*
 * replay: check one saved crash state again, exactly as the powercut
 * scenario did (pmtorture run --scenario replay --fs FS --replay STATE.img).
 * A declaration with no fault: the replay stage makes the case's own guest
 * the checker, its backing file a copy of the state, and checks the
 * promises in STATE.promises.json next to it (harness/check/replay_check.c).
 */
#include "case.h"
#include "replay_check.h"

static const char *const replay_fs[] = { "ext4", "xfs", NULL };

const struct pmt_scenario pmt_scenario_replay = {
	.name = "replay",
	.description = "check one saved crash state again (--replay STATE.img)",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = replay_fs,
	.hidden = true,
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_STAGE,
	.check_stage = &pmt_check_stage_replay,
};
