/* SPDX-License-Identifier: MIT */
/*
 * The check stage of one saved crash state (replay_check.c): what
 * `pmtorture run --scenario replay --fs FS --replay STATE.img` runs, the
 * command a power-cut FAIL prints.
 */
#ifndef PMT_CHECK_REPLAY_CHECK_H
#define PMT_CHECK_REPLAY_CHECK_H

#include "case.h"

/*
 * The case's own guest is the checker: prepare_vm makes its backing file
 * a sparse copy of --replay STATE.img (the same size as the device) and
 * checks that STATE.promises.json beside it is a JSON array; check mounts
 * the state (log recovery), verifies those promises, unmounts and runs
 * fsck -n (crashcheck.h): PASS "STATE: N promises held, fsck clean", or
 * FAIL "STATE: the first problem", details.problems listing them all.
 */
extern const struct pmt_check_stage pmt_check_stage_replay;

#endif
