/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained file (inline CSS and a few lines of
 * JS, nothing fetched), so a CI system can keep it as an artifact and a
 * browser opens it from disk.
 */
#ifndef PMT_REPORT_HTML_H
#define PMT_REPORT_HTML_H

#include <json-c/json.h>
#include <stdio.h>
#include <stddef.h>

/*
 * summaries[0] is the run the report is about; summaries[1..n-1] are older
 * runs, shown with it in a trend table (one column per run, in the order
 * given).  Case file links are relative to the run's folder, where the
 * report is meant to be written.  Returns a malloc'd string, or NULL.
 */
char *pmt_report_html(struct json_object *const *summaries, size_t n);

/*
 * The colours of the verdict classes (v-PASS ... v-other), for every page
 * that shows verdicts, so that a verdict looks the same on each.
 */
#define PMT_HTML_VERDICT_CSS						\
	".v-PASS{background:#2e7d32;color:#fff}\n"			\
	".v-FAIL{background:#c62828;color:#fff}\n"			\
	".v-BROK{background:#d35400;color:#fff}\n"			\
	".v-SKIP{background:#9e9e9e;color:#fff}\n"			\
	".v-XFAIL{background:#6a1b9a;color:#fff}\n"			\
	".v-other{background:#444;color:#fff}\n"

/* Write @s HTML-escaped (&<>"' ), for text and attribute values alike. */
void pmt_html_escape(FILE *f, const char *s);

#endif
