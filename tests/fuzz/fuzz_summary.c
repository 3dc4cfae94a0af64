// SPDX-License-Identifier: MIT
/* Fuzz target: a hostile summary.json through the baseline and the report writers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "baseline.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *cases;
	FILE *devnull;

	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	/* The shape pmt_summary_load accepts: an object with a "cases" array of objects. */
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "cases", &cases) ||
	    !json_object_is_type(cases, json_type_array))
		goto out;
	for (size_t i = 0; i < json_object_array_length(cases); i++)
		if (!json_object_is_type(json_object_array_get_idx(cases, i), json_type_object))
			goto out;
	pmt_json_sanitize(o);
	pmt_baseline_apply(o, o);
	pmt_baseline_exit_status(o);
	free(pmt_report_junit(o));
	free(pmt_report_tap(o));
	devnull = fopen("/dev/null", "w");
	if (devnull) {
		pmt_report_table(devnull, o);
		fclose(devnull);
	}
out:
	json_object_put(o);
	return 0;
}
