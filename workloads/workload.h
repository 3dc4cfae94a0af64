/* SPDX-License-Identifier: MIT */
/*
 * Guest-side workloads, run by the agent's "run" command.  A workload is
 * one file exporting one struct pmt_workload_info, listed once in the
 * table in registry.c.
 */
#ifndef PMT_WORKLOAD_H
#define PMT_WORKLOAD_H

#include <stddef.h>
#include <json-c/json.h>

struct pmt_workload_info {
	const char *name;
	const char *description;
	/*
	 * Run in directory @dir (a mounted fs) with @args (an object); fill
	 * @result.  Return 0, or -1 with @err set when the workload could not
	 * run (that is a BROK, not a FAIL: the host judges results).
	 */
	int (*run)(const char *dir, struct json_object *args,
		   struct json_object *result, char *err, size_t errlen);
};

const struct pmt_workload_info *pmt_workload_find(const char *name);
extern const struct pmt_workload_info *const pmt_workloads[];	/* NULL-terminated */

#endif /* PMT_WORKLOAD_H */
