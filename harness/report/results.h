/* SPDX-License-Identifier: MIT */
/*
 * A run's results folder, in the manner of fstests' results/:
 *   results/<run-id>/events.jsonl   one JSON event a line, appended as it happens
 *   results/<run-id>/summary.json   written atomically at the end (and after each case)
 *   results/<run-id>/junit.xml, results.tap, report.html
 *   results/<run-id>/cases/<case>/  console.log, dmesg.txt, qmp.log, agent.log,
 *                                   qemu.log, qemu-cmdline.txt, case.json
 *   results/latest -> <run-id>
 */
#ifndef PMT_RESULTS_H
#define PMT_RESULTS_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "case.h"

struct pmt_run {
	char id[64];
	char root[PATH_MAX];
	char dir[PATH_MAX];
	int events_fd;
	struct json_object *summary;	/* run_id, properties, counts, cases */
	/* The first failed write of the results: the run must stop there. */
	char write_error[PATH_MAX + 128];
};

/* Has a results write failed?  (r->write_error says which.) */
static inline bool pmt_run_failed(const struct pmt_run *r)
{
	return r->write_error[0] != '\0';
}

/* Create the folder; -1 with a one-line reason if it cannot be written. */
int pmt_run_open(struct pmt_run *r, const char *root, char *err, size_t errlen);
/* Append an event; consumes @fields (may be NULL). */
void pmt_run_event(struct pmt_run *r, const char *type, struct json_object *fields);
void pmt_run_set_property(struct pmt_run *r, const char *key, const char *value);
/* A case's folder, created; -1 on error. */
int pmt_run_case_dir(struct pmt_run *r, struct pmt_case *c);
/* Record a finished case: case.json, the summary, an event; 0, or -1 after
 * a failed write (then pmt_run_failed()). */
int pmt_run_add_case(struct pmt_run *r, struct pmt_case *c);
/* Only case.json: what a --jobs worker leaves for the parent; 0 or -1. */
int pmt_run_write_case(struct pmt_run *r, struct pmt_case *c);
/*
 * The parent's side: verdict, reason, times, details and notes from the
 * case.json in c->dir.  -1 with a line in @err when there is none.
 */
int pmt_case_load_result(struct pmt_case *c, char *err, size_t errlen);
/*
 * The run was interrupted by @sig: the summary says so ("interrupted") and
 * lists each of @cases[0..n-1] that is not recorded as "not_run", an entry
 * without a verdict (a case cut short proved nothing), which the reports
 * show as not run.
 */
void pmt_run_mark_interrupted(struct pmt_run *r, int sig, const struct pmt_case *cases, size_t n);
/* Write summary.json, junit.xml, results.tap, report.html and the latest link; 0 or -1. */
int pmt_run_finish(struct pmt_run *r, char *err, size_t errlen);
/*
 * summary.json, junit.xml, results.tap of summaries[0] into @dir, and
 * report.html with summaries[1..n-1] as the trend; 0 or -1 with @err.
 */
int pmt_reports_write(const char *dir, struct json_object *const *summaries, size_t n,
		      char *err, size_t errlen);
void pmt_run_close(struct pmt_run *r);

#endif
