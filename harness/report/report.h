/* SPDX-License-Identifier: MIT */
/*
 * Report writers.  Each renders a run summary (the object written to
 * summary.json: {"run_id", "properties":{..}, "counts":{..}, "cases":[..]})
 * into a malloc'd string.  Pure functions, unit tested.
 */
#ifndef PMT_REPORT_H
#define PMT_REPORT_H

#include <json-c/json.h>
#include <stdio.h>

char *pmt_report_junit(struct json_object *summary);
char *pmt_report_tap(struct json_object *summary);
/* The verdict table for the terminal. */
void pmt_report_table(FILE *out, struct json_object *summary);

#endif
