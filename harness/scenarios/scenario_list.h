/* SPDX-License-Identifier: MIT */
/*
 * The list of scenarios (registry.c), for what builds cases from options
 * and plans and lists them (the run layer, the CLI).  struct pmt_scenario
 * itself is the case layer's (case.h); nothing below the scenarios reads
 * this list.
 */
#ifndef PMT_SCENARIO_LIST_H
#define PMT_SCENARIO_LIST_H

#include "case.h"

/* Every scenario, NULL-terminated. */
extern const struct pmt_scenario *const pmt_scenarios[];

/* The scenario called @name, or NULL. */
const struct pmt_scenario *pmt_scenario_find(const char *name);

#endif
