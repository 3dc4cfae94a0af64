/* SPDX-License-Identifier: MIT */
/*
 * The finding bundle of a FAIL: CASE_DIR/finding.md, one plain markdown
 * file with short lines, fit for a kernel mailing list, naming the files
 * next to it (the case's logs, the failing crash state, its minimal state
 * and their promises).  It holds the kernel release and package, QEMU, the
 * host kernel and the seed; the commands that reproduce it (the run, and
 * the replay of the minimal state); expected against observed with the
 * guest's kernel lines; the host flushes and promises around the failing
 * point (details.timeline).  Built from case.json and the run's
 * summary.json alone, so `pmtorture report --finding CASE_DIR` makes the
 * same text later.
 */
#ifndef PMT_REPORT_FINDING_H
#define PMT_REPORT_FINDING_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

/*
 * The bundle's text for case @c (case.json's object) of a run whose
 * summary.json properties are @props, its folder @case_dir.  Malloc'd.
 */
char *pmt_finding_text(struct json_object *c, struct json_object *props, const char *case_dir);

/*
 * Write @case_dir/finding.md (its case.json, the run's summary.json two
 * folders up).  Returns the text (malloc'd), or NULL with @err.
 */
char *pmt_finding_write(const char *case_dir, char *err, size_t errlen);

/*
 * Write the bundle of every FAIL in the run folder @run_dir (summary
 * @summary); print "finding: PATH" for each to @out if not NULL.
 * Returns how many were written.
 */
int pmt_findings_write_run(const char *run_dir, struct json_object *summary, FILE *out);

/* `pmtorture report --finding CASE_DIR`: write and print it.  Exit status. */
int pmt_finding_main(const char *case_dir);

/* "linux-image-6.1.0-57-amd64 6.1.192-3": the package of kernel @release, or "". */
void pmt_kernel_package(const char *release, char *out, size_t len);

#endif
