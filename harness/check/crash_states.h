/* SPDX-License-Identifier: MIT */
/*
 * The checker stage of a power cut: the crash-state walk (crash_walk.h)
 * in checker guests that stay up, one per share, side by side.  Each
 * checker is a guest of the case's kernel whose pmem backing file the host
 * rewrites for every state; it mounts the state (log recovery), verifies
 * the promises, unmounts and runs fsck -n (crashcheck.h).
 *
 * With @ncheckers > 1, shares 1.. run in child processes (pmt_fork_child),
 * each with its own checker guest and scratch images, and hand their
 * results back as JSON; share 0 runs here.  The merged result is the one
 * a single checker gives, for the same seed (crash_walk.h).
 */
#ifndef PMT_CHECK_CRASH_STATES_H
#define PMT_CHECK_CRASH_STATES_H

#include "case.h"
#include "crash_walk.h"

/*
 * Check every chosen point of @plan (its point_img, checker_img and share
 * fields are filled here) in @ncheckers checker guests; the merged result
 * in @out (initialised here; free it with pmt_walk_result_free).  Returns
 * 0, or -1 after recording a BROK on @c.  Records details.checkers and
 * details.check_s.
 */
int pmt_check_crash_states(struct pmt_case *c, struct pmt_walk_plan *plan, int ncheckers,
			   struct pmt_walk_result *out);

/*
 * What a checker guest does while it is up: @dev is its virtio-pmem block
 * device, c->vm the checker.  0 or 1 as the caller means them, -1 after a
 * BROK recorded on @c.
 */
typedef int (*pmt_checker_fn)(struct pmt_case *c, const char *dev, void *ctx);

/*
 * One checker guest of case @c over the image @disk (its logs in
 * c->dir/@name): boot it (phase "checker-boot"), find its pmem device,
 * run @fn with it as the case's guest, shut it down and give the case its
 * own guest back.  Every checker guest of the check stages boots here.
 * Returns what @fn returned, or -1 after a BROK (no boot, no device).
 */
int pmt_check_in_guest(struct pmt_case *c, const char *name, const char *disk,
		       pmt_checker_fn fn, void *ctx);

#endif
