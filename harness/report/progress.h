/* SPDX-License-Identifier: MIT */
/*
 * Where a run is.  On a terminal: one line that updates in place,
 *   [3/8] failures 1, running: a:b:c d:e:f, ETA 01:20
 * with each finished case printed above it; otherwise plain lines, one
 * when a case starts and one when it ends, for logs and CI.
 */
#ifndef PMT_PROGRESS_H
#define PMT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"

#define PMT_PROGRESS_MAX_RUNNING	256

struct pmt_progress {
	size_t total, done, started;
	int failures;
	int jobs;
	double sum_s;			/* durations of the finished cases */
	bool tty;
	bool drawn;			/* a progress line is on the screen */
	const char *running[PMT_PROGRESS_MAX_RUNNING];
};

void pmt_progress_init(struct pmt_progress *p, size_t total, int jobs);
void pmt_progress_start(struct pmt_progress *p, const struct pmt_case *c);
void pmt_progress_end(struct pmt_progress *p, const struct pmt_case *c);
/* Redraw the line (the ETA moves); nothing without a terminal. */
void pmt_progress_tick(struct pmt_progress *p);
/* Clear the line before the table. */
void pmt_progress_finish(struct pmt_progress *p);

#endif
