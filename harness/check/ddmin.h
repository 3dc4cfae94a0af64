/* SPDX-License-Identifier: MIT */
/*
 * Delta debugging (Zeller's ddmin) over a set of units, bounded: it shrinks
 * a failing set to a smaller one that still fails, by trying chunks and
 * their complements.  The result is 1-minimal (no single unit can go) when
 * the bounds let it finish; else it is the smallest failing set found.
 * Pure logic: the test is a callback, so it is unit tested with a stand-in
 * (tests/unit/test_ddmin.c) and driven by checker guests in minimize.c.
 */
#ifndef PMT_CHECK_DDMIN_H
#define PMT_CHECK_DDMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Does the candidate (the units @keep[0..@n-1], ascending) still fail the
 * same way?  1 yes, 0 no, -1 the test itself failed (ddmin stops).
 */
typedef int (*pmt_ddmin_test_fn)(void *ctx, const size_t *keep, size_t n);

struct pmt_ddmin {
	pmt_ddmin_test_fn test;
	void *ctx;
	int max_checks;		/* tests allowed; <= 0: none */
	int64_t deadline_ms;	/* pmt_now_ms() after which no test starts; 0: none */
	/* out */
	int checks;		/* tests run */
	bool bounded;		/* stopped by a bound before 1-minimal */
};

/*
 * Shrink @set (@*n unit numbers, ascending, a set that fails) in place.
 * Units are tested in the order given.  Returns 0 (the smallest failing
 * set found in @set, @*n), or -1 when the test failed (@set holds the
 * smallest found so far).
 */
int pmt_ddmin(struct pmt_ddmin *d, size_t *set, size_t *n);

#endif
