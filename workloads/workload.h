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

/*
 * Send event @event with the members of @fields (not consumed; may be NULL)
 * to the host now, as one protocol line, before returning: a workload's
 * promises must be on the wire before its next operation starts, because
 * the host may cut power at any moment.  Implemented by the agent.
 */
void pmt_workload_emit(const char *event, struct json_object *fields);

/*
 * Wait (bounded) for the host's {"cmd":"ack"} request after a progress
 * event that asked for one.  Returns 0, or -1 with the reason in @err (no
 * ack in time, the port closed, or another line came).  Implemented by the
 * agent; the host sends nothing else while a workload runs.
 */
int pmt_workload_wait_ack(char *err, size_t errlen);

/*
 * A workload file's one export, named as in workload_list.h: NAME_run is
 * its entry point.  PMT_WORKLOAD_INFO(append_fsync, "append chunks...");
 */
#define PMT_WORKLOAD_INFO(NAME, DESCRIPTION)				\
	const struct pmt_workload_info pmt_workload_##NAME = {		\
		.name = #NAME, .description = DESCRIPTION, .run = NAME##_run,	\
	}

const struct pmt_workload_info *pmt_workload_find(const char *name);
extern const struct pmt_workload_info *const pmt_workloads[];	/* NULL-terminated */

#endif /* PMT_WORKLOAD_H */
