/* SPDX-License-Identifier: MIT */
/* The mapsync scenario's judge (mapsync_check.c). */
#ifndef PMT_MAPSYNC_CHECK_H
#define PMT_MAPSYNC_CHECK_H

#include <json-c/json.h>

#include "case.h"

/*
 * Judge the guest's "mapsync" workload result for @device.  Pure: no guest,
 * no I/O, so the expectations are unit tested.  Writes a one-line reason.
 */
enum pmt_verdict pmt_mapsync_judge(enum pmt_device_kind device, struct json_object *result,
				   char *reason, size_t len);

/*
 * The lifecycle's judge of a mapsync case: pmt_mapsync_judge() of the
 * guest probe's result, and details.persistence_warning: whether the
 * guest's pmem driver warned it cannot guarantee persistence.
 */
enum pmt_verdict pmt_mapsync_check(struct pmt_case *c, struct json_object *result,
				   char *reason, size_t len);

#endif
