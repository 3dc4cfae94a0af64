/* SPDX-License-Identifier: MIT */
/*
 * What `pmtorture bisect --by` compares between kernels (cmd_bisect.c),
 * apart from the runs so that it is unit tested on made-up summaries:
 *   verdict  the probe's verdict (FAIL if any case FAILs or XFAILs), the
 *            default;
 *   kind     per case id, its verdict and the set of its failure kinds
 *            (a power cut's promise, fsck, mount, journal-checksum), so a
 *            FAIL that turns from one kind into another is a change;
 *   reason   per case id, its verdict and its reason's class
 *            (core/reason_class.h: numbers, quoted text, the reproduce
 *            path taken out), so "fsync returned 0, data held" turning
 *            into "... data was lost" is a change though both FAIL.
 */
#ifndef PMT_BISECT_SIG_H
#define PMT_BISECT_SIG_H

#include <json-c/json.h>
#include <stddef.h>

enum pmt_bisect_by { PMT_BY_VERDICT, PMT_BY_KIND, PMT_BY_REASON };

/* "verdict", "kind" or "reason" into *@by; -1 for another name. */
int pmt_bisect_by_parse(const char *name, enum pmt_bisect_by *by);
/* The name of @by. */
const char *pmt_bisect_by_name(enum pmt_bisect_by by);

/*
 * The signature of a run's @summary for @by (kind or reason): one line
 * "ID VERDICT what" per case, sorted by id, repeats' "#N" kept; a BROK or
 * SKIP case says only that.  malloc'd; NULL on no memory.
 */
char *pmt_bisect_signature(struct json_object *summary, enum pmt_bisect_by by);

#endif
