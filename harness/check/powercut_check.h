/* SPDX-License-Identifier: MIT */
/* The power cut's check stage (powercut_check.c), for declarations. */
#ifndef PMT_CHECK_POWERCUT_CHECK_H
#define PMT_CHECK_POWERCUT_CHECK_H

#include "case.h"

/* Every persistence point of a power-cut workload, in checker guests. */
extern const struct pmt_check_stage pmt_check_stage_powercut;

#endif
