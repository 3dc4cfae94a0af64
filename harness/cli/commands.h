/* SPDX-License-Identifier: MIT */
/* The subcommands beside run and list: results folders, bisect, bench. */
#ifndef PMT_COMMANDS_H
#define PMT_COMMANDS_H

#include "options.h"

/* `pmtorture merge [-o OUT_DIR] DIR...`: shards into one results folder. */
int pmt_merge_main(const struct pmt_options *o);
/* `pmtorture report [--html OUT] RUN_DIR [OLDER_RUN_DIR...]`: report.html with a trend. */
int pmt_report_main(const struct pmt_options *o);

/*
 * `pmtorture bisect`: the first kernel of o->kernels whose verdict on the
 * selected cases differs from the first kernel's (cmd_bisect.c; the rule
 * is in main.c's help).  Returns the exit status: 0 found, 1 no change,
 * 2 usage, setup error or an answer left open by skipped kernels.
 */
int pmt_bisect_main(const struct pmt_options *o);

/* `pmtorture bench`: boot, case, crash-state and storm figures (cmd_bench.c). */
int pmt_bench_main(const struct pmt_options *o);

#endif
