/* SPDX-License-Identifier: MIT */
/*
 * Shared by the memory-error scenarios (badblocks, hwpoison): bring the
 * filesystem up in the requested mode, run the guest-side injector
 * workload, and judge every access path against results/expected/.
 */
#ifndef PMT_SCENARIO_MEMERR_H
#define PMT_SCENARIO_MEMERR_H

#include <json-c/json.h>

#include "case.h"

/*
 * @mode: "dax" mounts with -o dax and insists DAX is active; anything else
 * mounts without it and insists DAX is off.  @args go to the workload
 * (consumed).  @extra_probe, if set, names a member of the result that is
 * judged first as an access path of its own (hwpoison's "inject").
 */
int pmt_memerr_run(struct pmt_case *c, const char *workload, const char *mode,
		   struct json_object *args, const char *extra_probe);

#endif
