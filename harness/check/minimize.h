/* SPDX-License-Identifier: MIT */
/*
 * The minimal crash state of a power-cut FAIL: the gravest failing state
 * (the durable image at its point plus some of the next flush's pages,
 * whole or torn) shrunk by ddmin (ddmin.h) to the fewest pages, then the
 * fewest 512-byte sectors, that still fail the same way: the same failure
 * kind and the same reason class (reason_class.h).  Each candidate is
 * written into a checker guest's backing file and checked as the walk
 * checks a state (crashcheck.h).  The result is saved as
 * state-NAME.min.img with its promises, its pages are named
 * (page_names.h), and details.minimal says what was found.
 */
#ifndef PMT_CHECK_MINIMIZE_H
#define PMT_CHECK_MINIMIZE_H

#include "case.h"

#define PMT_MIN_CHECKS		64	/* default bound on checks (--param min_checks=N) */
#define PMT_MIN_SECONDS		300	/* default time bound (--param min_seconds=S) */

struct pmt_min_plan {
	const char *dir;	/* the shim's folder: the epoch log */
	const char *save_dir;	/* where state-@name.img and its promises are */
	const char *name;	/* the gravest state */
	long long point;	/* its flush: the durable image it is built on */
	const char *text;	/* its gravest problem: the failure to keep */
	int max_checks;
	int max_seconds;
};

/*
 * Minimize @p's state in a checker guest of @c's kernel and record
 * details.minimal (pages and sectors before and after, checks, seconds,
 * what each page is, the replay command).  The case's verdict stands
 * whatever happens here: 0, or -1 with details.minimal.error saying why
 * it stopped.
 */
int pmt_minimize_state(struct pmt_case *c, const struct pmt_min_plan *p);

#endif
