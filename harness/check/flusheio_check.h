/* SPDX-License-Identifier: MIT */
/* The check stage of a failing or slow host flush (flusheio_check.c). */
#ifndef PMT_CHECK_FLUSHEIO_CHECK_H
#define PMT_CHECK_FLUSHEIO_CHECK_H

#include "case.h"

/*
 * Judge the observed probes against the expectations table; after a
 * failure, cut the power and check each promise at its own flush and the
 * durable image at the cut in a checker guest (details.after_cut).  Its
 * input is the flusheio injector's workload result: {"shim_dir",
 * "events", "before", "stamps"}; details.flush_error_evidence names the
 * host flushes during each fsync (flusheio_evidence.h).
 */
extern const struct pmt_check_stage pmt_check_stage_flusheio;

#endif
