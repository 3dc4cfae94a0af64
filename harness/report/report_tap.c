// SPDX-License-Identifier: MIT
/* TAP version 13, as kselftest writes it: SKIP and XFAIL (TODO) directives. */
#include <stdio.h>
#include <string.h>

#include "json_util.h"
#include "report.h"

/* A directive or description must stay on one line and not start a directive. */
static void tap_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s == '#' ? '_' : *s, f);
}

char *pmt_report_tap(struct json_object *summary)
{
	struct json_object *cases = NULL, *not_run = NULL, *intr = NULL;
	char *buf = NULL;
	size_t len = 0, n, nr;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	json_object_object_get_ex(summary, "cases", &cases);
	n = cases ? json_object_array_length(cases) : 0;
	json_object_object_get_ex(summary, "not_run", &not_run);
	nr = json_object_is_type(not_run, json_type_array) ? json_object_array_length(not_run) : 0;
	fprintf(f, "TAP version 13\n1..%zu\n", n + nr);
	if (json_object_object_get_ex(summary, "interrupted", &intr)) {
		fputs("# interrupted by ", f);
		tap_text(f, pmt_json_str(intr, "signal"));
		fprintf(f, ": %zu of %zu cases not run\n", nr, n + nr);
	}
	/* Issue 9: the kernel(s), as a diagnostic line; in a matrix each id ends in @KERNEL. */
	if (*pmt_json_str(json_object_object_get(summary, "properties"), "kernel")) {
		fputs("# kernel: ", f);
		tap_text(f, pmt_json_str(json_object_object_get(summary, "properties"), "kernel"));
		fputc('\n', f);
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		const char *v = pmt_json_str(c, "verdict");
		int ok = !strcmp(v, "PASS") || !strcmp(v, "SKIP");

		fprintf(f, "%sok %zu - ", ok ? "" : "not ", i + 1);
		tap_text(f, pmt_json_str(c, "id"));
		if (!strcmp(v, "SKIP"))
			fputs(" # SKIP ", f);
		else if (!strcmp(v, "XFAIL"))
			fputs(" # TODO XFAIL ", f);
		else
			fprintf(f, " # %s ", v);
		tap_text(f, pmt_json_str(c, "reason"));
		fputc('\n', f);
	}
	/*
	 * TAP has no verdict-less result: a SKIP with the reason, and then a
	 * bail-out, so that no TAP reader takes an interrupted run for a pass.
	 */
	for (size_t i = 0; i < nr; i++) {
		struct json_object *c = json_object_array_get_idx(not_run, i);

		fprintf(f, "ok %zu - ", n + i + 1);
		tap_text(f, pmt_json_str(c, "id"));
		fputs(" # SKIP ", f);
		tap_text(f, pmt_json_str(c, "reason"));
		fputc('\n', f);
	}
	if (intr) {
		fputs("Bail out! interrupted by ", f);
		tap_text(f, pmt_json_str(intr, "signal"));
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}
