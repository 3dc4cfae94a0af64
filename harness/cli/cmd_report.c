// SPDX-License-Identifier: MIT
/*
 * `pmtorture report [--html OUT] RUN_DIR [OLDER_RUN_DIR...]`: report.html
 * of RUN_DIR, with a trend over the older runs given.  `run` writes the
 * report of the run alone; this is for a nightly job that keeps the last
 * few results folders.
 *
 * `pmtorture report --behaviour [-o OUT_DIR] RUN_DIR [MORE_RUN_DIR...]`:
 * the error-handling behaviour table (report_behaviour.h) of the cases of
 * all the folders given, as behaviour.md and behaviour.html.
 */
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json_util.h"
#include "log.h"
#include "merge.h"
#include "relpath.h"
#include "report_behaviour.h"
#include "report_html.h"
#include "util.h"

int pmt_report_main(const struct pmt_options *o)
{
	struct json_object **s;
	char err[PATH_MAX + 256], folder[PATH_MAX], out[PATH_MAX], copy[PATH_MAX], rel[PATH_MAX];
	int rc = 2, n = o->nargs;
	char *html = NULL;

	s = pmt_summaries_load(o->args, (size_t)n, err, sizeof(err));
	if (!s) {
		pmt_err("report: %s", err);
		return rc;
	}
	if (pmt_results_folder(o->args[0], folder, sizeof(folder)) ||
	    (o->output ? pmt_fmt(out, sizeof(out), "%s", o->output)
		       : pmt_fmt(out, sizeof(out), "%s/report.html", folder)) ||
	    pmt_fmt(copy, sizeof(copy), "%s", out)) {
		pmt_err("report: %s: %s", o->args[0], strerror(errno));
		goto out;
	}
	/* Case links are relative to the run's folder; elsewhere they need a prefix. */
	if (pmt_relpath(dirname(copy), folder, rel, sizeof(rel))) {
		pmt_err("report: cannot write %s: %s", out, strerror(errno));
		goto out;
	}
	if (strcmp(rel, "."))
		pmt_summary_prefix_dirs(s[0], rel);
	html = pmt_report_html(s, (size_t)n);
	if (!html || pmt_write_file_atomic(out, html, strlen(html))) {
		pmt_err("report: cannot write %s: %s", out, strerror(errno));
		goto out;
	}
	printf("html:    %s\n", out);
	rc = 0;
out:
	free(html);
	pmt_summaries_free(s, (size_t)n);
	return rc;
}

bool pmt_report_take_switch(int *argc, char **argv, const char *sw)
{
	bool found = false;
	int i = 2;

	if (*argc < 2 || strcmp(argv[1], "report"))
		return false;
	/* Up to "--", after which everything is a folder name. */
	while (i < *argc && strcmp(argv[i], "--")) {
		if (strcmp(argv[i], sw)) {
			i++;
			continue;
		}
		found = true;
		memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
	}
	return found;
}

bool pmt_report_take_behaviour(int *argc, char **argv)
{
	return pmt_report_take_switch(argc, argv, "--behaviour");
}

int pmt_report_behaviour_main(const struct pmt_options *o)
{
	struct json_object **s;
	char err[PATH_MAX + 256], out[PATH_MAX];
	int rc = 2;

	s = pmt_summaries_load(o->args, (size_t)o->nargs, err, sizeof(err));
	if (!s) {
		pmt_err("report: %s", err);
		return rc;
	}
	/* By default next to the first run's summary.json, as report.html is. */
	if (o->output ? pmt_fmt(out, sizeof(out), "%s", o->output)
		      : pmt_results_folder(o->args[0], out, sizeof(out))) {
		pmt_err("report: %s: %s", o->output ? o->output : o->args[0], strerror(errno));
		goto out;
	}
	if (o->output && pmt_mkdir_p(out, 0755)) {
		pmt_err("report: cannot create %s: %s", out, strerror(errno));
		goto out;
	}
	if (pmt_bhv_write(out, s, (size_t)o->nargs, false, stdout, err, sizeof(err)) < 0) {
		pmt_err("report: %s", err);
		goto out;
	}
	printf("\nbehaviour: %s/behaviour.md\n           %s/behaviour.html\n", out, out);
	rc = 0;
out:
	pmt_summaries_free(s, (size_t)o->nargs);
	return rc;
}
