/* SPDX-License-Identifier: MIT */
#ifndef PMT_SCENARIO_MAPSYNC_H
#define PMT_SCENARIO_MAPSYNC_H

#include <json-c/json.h>

#include "case.h"

/*
 * Judge the guest's "mapsync" workload result for @device.  Pure: no guest,
 * no I/O, so the expectations are unit tested.  Writes a one-line reason.
 */
enum pmt_verdict pmt_mapsync_judge(enum pmt_device_kind device, struct json_object *result,
				   char *reason, size_t len);

#endif
