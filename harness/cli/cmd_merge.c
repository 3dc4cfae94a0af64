// SPDX-License-Identifier: MIT
/*
 * `pmtorture merge [-o OUT_DIR] DIR...`: the results folders of a plan's
 * shards (CI jobs on several machines) joined into one folder with one
 * summary.json, junit.xml, results.tap and report.html.  The shards' case
 * folders stay where they are: OUT_DIR/shards/<run-id> are relative
 * symbolic links to them, and the merged cases' "dir" go through those
 * links, so the report's drill-down links work and the tree can move.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "commands.h"
#include "json_util.h"
#include "log.h"
#include "merge.h"
#include "relpath.h"
#include "report.h"
#include "results.h"
#include "util.h"

/* OUT/shards/<run id> -> the shard's folder; its cases' dirs through it. */
static int link_shard(const char *out, const char *arg, struct json_object *s,
		      char *err, size_t errlen)
{
	char folder[PATH_MAX], links[PATH_MAX], link[PATH_MAX + 256], target[PATH_MAX];
	char prefix[300];
	const char *id = pmt_json_str(s, "run_id");

	if (!*id || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, "..")) {
		snprintf(err, errlen, "merge: %s: summary has no usable run_id", arg);
		return -1;
	}
	if (pmt_results_folder(arg, folder, sizeof(folder)) ||
	    pmt_fmt(links, sizeof(links), "%s/shards", out) || pmt_mkdir_p(links, 0755) ||
	    pmt_relpath(links, folder, target, sizeof(target)) ||
	    pmt_fmt(link, sizeof(link), "%s/%s", links, id)) {
		snprintf(err, errlen, "merge: %s: %s", arg, strerror(errno));
		return -1;
	}
	unlink(link);	/* merging again into the same folder replaces the links */
	if (symlink(target, link)) {
		snprintf(err, errlen, "merge: cannot create %s: %s", link, strerror(errno));
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "shards/%s", id);
	pmt_summary_prefix_dirs(s, prefix);
	return 0;
}

int pmt_merge_main(const struct pmt_options *o)
{
	struct json_object **s, *merged = NULL;
	char err[PATH_MAX + 256], out[PATH_MAX];
	int rc = 2, n = o->nargs;

	s = pmt_summaries_load(o->args, (size_t)n, err, sizeof(err));
	if (!s) {
		pmt_err("merge: %s", err);
		return rc;
	}
	/* Check first (duplicate cases, other kernels), then write anything. */
	merged = pmt_merge_summaries(s, (size_t)n, err, sizeof(err));
	if (!merged) {
		pmt_err("%s", err);
		goto out;
	}
	json_object_put(merged);
	if (o->output ? pmt_fmt(out, sizeof(out), "%s", o->output)
		      : pmt_fmt(out, sizeof(out), "%s/%s-merged", o->results,
				pmt_json_str(s[0], "run_id"))) {
		pmt_err("merge: output path too long");
		merged = NULL;
		goto out;
	}
	if (pmt_mkdir_p(out, 0755)) {
		pmt_err("merge: cannot create %s: %s", out, strerror(errno));
		merged = NULL;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (link_shard(out, o->args[i], s[i], err, sizeof(err))) {
			pmt_err("%s", err);
			merged = NULL;
			goto out;
		}
	}
	merged = pmt_merge_summaries(s, (size_t)n, err, sizeof(err));
	if (!merged || pmt_reports_write(out, &merged, 1, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out;
	}
	pmt_report_table(stdout, merged);
	printf("results: %s\njunit:   %s/junit.xml\ntap:     %s/results.tap\nhtml:    %s/report.html\n",
	       out, out, out, out);
	fflush(stdout);
	/* The run's own rule: FAIL or BROK, or NEW-FAIL and BROK with baselines. */
	rc = pmt_baseline_exit_status(merged);
out:
	json_object_put(merged);
	pmt_summaries_free(s, (size_t)n);
	return rc;
}
