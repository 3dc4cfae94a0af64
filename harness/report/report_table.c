// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_util.h"
#include "kernel_view.h"
#include "report.h"
#include "text.h"
#include "util.h"
#include "verdict.h"

static const char *colour(const char *verdict, int tty)
{
	if (!tty)
		return "";
	if (!strcmp(verdict, "PASS"))
		return "\033[32m";
	if (!strcmp(verdict, "FAIL") || !strcmp(verdict, "BROK"))
		return "\033[1;31m";
	return "\033[33m";
}

/*
 * Issue 9: a kernel matrix gets one counts line per kernel, oldest first:
 * "  on 6.12.117+deb12-amd64: PASS 7, FAIL 0, ...".
 */
static void per_kernel(FILE *out, struct json_object *cases, size_t n)
{
	const char *kernels[64];
	size_t nk = pmt_kernel_view_kernels(cases, kernels, ARRAY_SIZE(kernels));

	for (size_t j = 0; nk > 1 && j < nk; j++) {
		int count[PMT_NR_VERDICTS] = { 0 };

		for (size_t i = 0; i < n; i++) {
			struct json_object *c = json_object_array_get_idx(cases, i);
			int v = pmt_verdict_parse(pmt_json_str(c, "verdict"));

			if (v >= 0 && !strcmp(pmt_json_str(c, "kernel"), kernels[j]))
				count[v]++;
		}
		fprintf(out, "  on %s: ", *kernels[j] ? kernels[j] : "(unknown kernel)");
		for (int v = 0; v < PMT_NR_VERDICTS; v++)
			fprintf(out, "%s%s %d", v ? ", " : "", pmt_verdict_name(v), count[v]);
		fputc('\n', out);
	}
}

void pmt_report_table(FILE *out, struct json_object *summary)
{
	struct json_object *cases = NULL, *counts = NULL, *v, *bl;
	int tty = isatty(fileno(out));
	size_t n, w = 4, *idx;
	/* With --baseline, a column says what changed since the previous run. */
	bool baseline = json_object_object_get_ex(summary, "baseline", &bl);

	json_object_object_get_ex(summary, "cases", &cases);
	n = cases ? json_object_array_length(cases) : 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(pmt_json_str(json_object_array_get_idx(cases, i), "id"));

		if (l > w)
			w = l;
	}
	fprintf(out, "\n%-*s  %-7s %8s  %s%s\n", (int)w, "CASE", "VERDICT", "TIME",
		baseline ? "BASELINE       " : "", "REASON");
	/* A kernel matrix: each case's kernels on adjacent lines. */
	idx = n ? calloc(n, sizeof(*idx)) : NULL;
	if (idx)
		pmt_kernel_view_order(cases, idx, n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, idx ? idx[i] : i);
		const char *verdict = pmt_json_str(c, "verdict");
		double t = pmt_json_double(c, "duration_s");

		/* Reasons quote the guest: escaped, so one case stays one line. */
		fprintf(out, "%-*s  %s%-7s%s %7.1fs  ", (int)w, pmt_json_str(c, "id"), colour(verdict, tty),
			verdict, tty ? "\033[0m" : "", t);
		if (baseline)
			fprintf(out, "%-13s  ", pmt_json_str(c, "baseline"));
		pmt_term_fputs(out, pmt_json_str(c, "reason"), false);
		fputc('\n', out);
	}
	free(idx);
	json_object_object_get_ex(summary, "counts", &counts);
	fputc('\n', out);
	for (int i = 0; i < PMT_NR_VERDICTS; i++) {
		const char *name = pmt_verdict_name(i);

		fprintf(out, "%s%s %d", i ? ", " : "", name,
			counts && json_object_object_get_ex(counts, name, &v) ? json_object_get_int(v) : 0);
	}
	fputc('\n', out);
	if (json_object_object_get_ex(summary, "interrupted", &v)) {
		struct json_object *not_run = json_object_object_get(summary, "not_run");
		size_t nr = json_object_is_type(not_run, json_type_array)
			    ? json_object_array_length(not_run) : 0;

		fprintf(out, "interrupted by %s: %zu case%s not run", pmt_json_str(v, "signal"),
			nr, nr == 1 ? "" : "s");
		for (size_t i = 0; i < nr; i++)
			fprintf(out, "%s%s", i ? ", " : ": ",
				pmt_json_str(json_object_array_get_idx(not_run, i), "id"));
		fputc('\n', out);
	}
	per_kernel(out, cases, n);
	if (baseline && json_object_object_get_ex(bl, "counts", &counts)) {
		int i = 0;

		fprintf(out, "against %s: ", pmt_json_str(bl, "run_id"));
		json_object_object_foreach(counts, cls, val)
			fprintf(out, "%s%s %d", i++ ? ", " : "", cls, json_object_get_int(val));
		fputc('\n', out);
	}
}
