/* SPDX-License-Identifier: MIT */
/*
 * The finding bundle's section on a failed host flush (flusheio): which
 * host flushes ran during each guest fsync, the guest filesystem's error
 * state after it, and what kind of finding that makes
 * (harness/check/flusheio_evidence.h).
 */
#ifndef PMT_REPORT_FINDING_FLUSH_H
#define PMT_REPORT_FINDING_FLUSH_H

#include <stdio.h>
#include <json-c/json.h>

/*
 * Write "## Host flushes during each fsync that returned 0" to @f from
 * case @c's details.flush_error_evidence: the failed host flushes, one
 * row per stamped fsync (probe, step, result, fd, the host flushes in
 * its window with their results, journal/mount/ext4 error state after
 * it) and the conclusion.  Writes nothing without that evidence.
 */
void pmt_finding_flush_evidence(FILE *f, struct json_object *c);

#endif
