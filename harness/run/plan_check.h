/* SPDX-License-Identifier: MIT */
/*
 * A plan (select/plan.h) read against the scenarios that exist: the plan
 * reader knows the syntax and the keys, this layer knows the scenarios.
 */
#ifndef PMT_PLAN_CHECK_H
#define PMT_PLAN_CHECK_H

#include <stddef.h>

#include "plan.h"

/*
 * Every section of @plan names a known scenario (in it or in [global]),
 * and its device and fs lists are ones that scenario runs on.  0, or -1
 * with one line in @err that names the file and line of the value at
 * fault, as pmt_plan_load() does.  @plan is left as it is.
 */
int pmt_plan_check_scenarios(const struct pmt_plan *plan, char *err, size_t errlen);

#endif
