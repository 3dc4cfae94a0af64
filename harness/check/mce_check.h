/* SPDX-License-Identifier: MIT */
/*
 * The check stage of a machine check on a DAX page (mce_check.c), after
 * the mce injector's fire: what the holder process saw and what every
 * access path of the page sees, judged against errors.tsv.
 */
#ifndef PMT_CHECK_MCE_CHECK_H
#define PMT_CHECK_MCE_CHECK_H

#include "case.h"

/*
 * Lets the holder run a little guest time, collects what it saw (guest
 * program mce_target, "collect": details.mce_collect) and observes the
 * paths guest (ok), holder (its first signal, or killed=SIG...), holder_reload
 * (a second signal, or the data its later loads read), badblock (recorded
 * or none) and every access path of the page; a guest that stopped
 * answering with a panic on its console is the path guest = panic
 * (pmt_case_guest_gone()).  Judged with MODE the variant (srao, srar).
 */
extern const struct pmt_check_stage pmt_check_stage_mce;

#endif
