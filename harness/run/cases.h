/* SPDX-License-Identifier: MIT */
/*
 * The cases of a run, built from the options (and a plan) against the
 * lists of scenarios and injectors.  Pure: nothing boots here.
 */
#ifndef PMT_CASES_H
#define PMT_CASES_H

#include <stddef.h>

#include "case.h"
#include "options.h"

/*
 * The cases selected by the options: scenarios x devices x filesystems,
 * narrowed by --filter.  Pure (no guest); -1 with a one-line reason for an
 * unknown scenario or an empty selection.  Free with pmt_cases_free().
 */
int pmt_cases_build(const struct pmt_options *o, struct pmt_case **cases, size_t *n,
		    char *err, size_t errlen);
/* Free what pmt_cases_build() made; NULL with 0 is fine. */
void pmt_cases_free(struct pmt_case *cases, size_t n);

#endif
