/* SPDX-License-Identifier: MIT */
/*
 * Known failures and regressions, for a nightly job that must fail on
 * what got worse and only on that.
 *
 * Expunge file, one entry a line (blank lines and '#' lines ignored):
 *   PATTERN [kernel<V ...] [reason~'TEXT']  # reason | link
 * PATTERN is an fnmatch(3) glob on case ids; the reason is required, the
 * link optional.  A matching FAIL becomes XFAIL.  With reason~'TEXT' (a
 * plain substring, no '#' or quote in it) the failure must match too:
 * every entry of the case's details.failures (its "text") must contain
 * TEXT, or, for a case that lists none, its reason must.  So a known
 * failure never hides a new one of another kind in the same case.
 *
 * Kernel conditions (issue 9), as kvm-xfstests keeps expunges per kernel:
 * kernel<V, kernel<=V, kernel>V, kernel>=V, kernel=V, any number of them
 * (all must hold), before or after reason~'TEXT'.  They are about the
 * kernel the case ran on (its "kernel", else details.guest_kernel), in
 * core/kver.h's prefix order: V = 6.12 stands
 * for the whole 6.12 series, so kernel<=6.12 holds for 6.12.117 and
 * kernel<6.12.117 holds for 6.1.0-57 and 6.12.107 and not 6.12.117.
 * Debian's 6.1 releases are named by ABI (6.1.0-57), so a 6.1 bound is
 * written that way.  A case whose kernel is unknown matches no entry that
 * has a condition.  The PATTERN matches the id with or without its
 * "@KERNEL" part, so one line serves a kernel matrix too.
 *
 * Baseline: each case of a run is compared with the same id in a previous
 * run and gets "baseline": NEW-FAIL, STILL-FAILING, FIXED or PASS (SKIP
 * and XFAIL stay themselves).
 */
#ifndef PMT_BASELINE_H
#define PMT_BASELINE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "kver.h"

struct pmt_kver_cond {
	char op[3];			/* "<", "<=", ">", ">=", "=" */
	struct pmt_kver v;
};

#define PMT_EXPUNGE_MAX_KCONDS 4

struct pmt_expunge_entry {
	char *pattern;
	char *kernel;			/* the conditions as written, "kernel<6.12.117", or NULL */
	struct pmt_kver_cond kcond[PMT_EXPUNGE_MAX_KCONDS];
	int nkcond;
	char *match;			/* reason~'TEXT', or NULL */
	char *reason;			/* "why | link" as a person reads it: "why (link)" */
	char *why;
	char *link;			/* "" if none */
	int line;
};

struct pmt_expunge {
	struct pmt_expunge_entry *v;
	size_t n;
	char *file;
};

/* Read an expunge file; -1 with "FILE:LINE: what was expected" in @err. */
int pmt_expunge_load(const char *path, struct pmt_expunge *list, char *err, size_t errlen);
/* The same from a string; @name is the file name errors give. */
int pmt_expunge_parse(const char *text, const char *name, struct pmt_expunge *list,
		      char *err, size_t errlen);
void pmt_expunge_free(struct pmt_expunge *list);

/*
 * The first entry whose pattern matches @id, or NULL.  @reason (may be
 * NULL) gets the entry's reason, "why (link)".  An entry with kernel
 * conditions never matches here: an id alone has no kernel to check.
 */
const struct pmt_expunge_entry *pmt_expunge_match(const struct pmt_expunge *list,
						  const char *id, const char **reason);

/*
 * Turn expunged FAILs of @summary into XFAIL: the reason becomes
 * "expunged: why (link); was: <reason>", the case gets "expunge":
 * {pattern, reason, link, file, line} and counts are recomputed.  BROK
 * stays BROK: an expunge is about the kernel, not about a broken rig.
 * Returns how many cases changed.
 */
/*
 * The first entry matching case @c (an object of summary.json's "cases"):
 * its id, its kernel when the entry has kernel conditions, and its
 * failures when the entry has reason~'TEXT'.  NULL if none.
 */
const struct pmt_expunge_entry *pmt_expunge_match_case(const struct pmt_expunge *list,
						       struct json_object *c, const char **reason);

/* Does the release @kernel ("" when unknown) meet every kernel condition of @e? */
bool pmt_expunge_kernel_ok(const struct pmt_expunge_entry *e, const char *kernel);

int pmt_expunge_apply(const struct pmt_expunge *list, struct json_object *summary);

#define PMT_BL_NEW_FAIL		"NEW-FAIL"
#define PMT_BL_STILL_FAILING	"STILL-FAILING"
#define PMT_BL_FIXED		"FIXED"
#define PMT_BL_PASS		"PASS"

/*
 * The class of a case that is @now and was @before (NULL: absent before).
 * now FAIL/BROK: NEW-FAIL if before PASS, SKIP or absent (nothing showed
 * it failing), STILL-FAILING if before FAIL, BROK or XFAIL.  now PASS:
 * FIXED if before FAIL, BROK or XFAIL, else PASS.  SKIP, XFAIL: themselves.
 */
const char *pmt_baseline_class(const char *now, const char *before);

/*
 * Add "baseline" to every case of @summary, by id against @previous, and
 * {"run_id", "counts": {class: n}} as the summary's "baseline" member.
 * Returns the number of NEW-FAIL cases.
 */
int pmt_baseline_apply(struct json_object *summary, struct json_object *previous);

/*
 * The run's exit status when a baseline was given: 1 if any case is
 * NEW-FAIL or BROK, else 0.  A case without "baseline" counts as NEW-FAIL
 * when it is FAIL (nothing says it failed before).
 */
int pmt_baseline_exit_status(struct json_object *summary);

#endif
