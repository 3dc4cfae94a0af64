// SPDX-License-Identifier: MIT
/*
 * replay: check one saved crash state again, exactly as the powercut
 * scenario did (pmtorture run --scenario replay --fs FS --replay STATE.img).
 * A declaration with no fault: the replay stage makes the case's own guest
 * the checker, its backing file a copy of the state, and checks the
 * promises in STATE.promises.json next to it (harness/check/replay_check.c).
 */
#include "case.h"
#include "declare.h"
#include "replay_check.h"

PMT_SCENARIO(replay,
	"check one saved crash state again (--replay STATE.img)",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.hidden = true, .dax = PMT_DAX_ON,
	PMT_JUDGED_BY_STAGE(pmt_check_stage_replay));
