/* SPDX-License-Identifier: MIT */
/*
 * The search of `pmtorture bisect` (cmd_bisect.c), apart from the runs, so
 * that it can be tested on made-up verdicts.
 *
 * Kernels 0..n-1 in order.  Kernel 0 is probed first, then the last one
 * that can be judged (walking back over BROK ones), then, while the
 * change lies between two neighbours that are not adjacent, the
 * unprobed kernel nearest the middle between lo (the last known with
 * kernel 0's verdict) and hi (the first known with the other).  A BROK
 * probe is skipped, as `git bisect skip` does.  It assumes the verdict
 * changes once across the list (a fix, or a regression that stays).
 */
#ifndef PMT_BISECT_H
#define PMT_BISECT_H

#include <stddef.h>

enum pmt_probe_verdict { PMT_PROBE_NONE, PMT_PROBE_PASS, PMT_PROBE_FAIL, PMT_PROBE_BROK };

enum pmt_bisect_outcome {
	PMT_BISECT_FOUND,		/* hi is the first kernel that differs; lo the one before */
	PMT_BISECT_NO_CHANGE,		/* hi (the last judged) has kernel 0's verdict */
	PMT_BISECT_FIRST_BROK,		/* kernel 0 could not be judged */
	PMT_BISECT_ALL_BROK,		/* no kernel after 0 could be judged */
	PMT_BISECT_BETWEEN,		/* the change is in lo+1..hi, all BROK but hi */
};

/*
 * Run the search; @probe(ctx, i) runs kernel i (each i at most once) and
 * returns its verdict (PASS, FAIL or BROK).  *lo and *hi as above.
 */
enum pmt_bisect_outcome pmt_bisect_search(size_t n,
					  enum pmt_probe_verdict (*probe)(void *ctx, size_t i),
					  void *ctx, size_t *lo, size_t *hi);

#endif
