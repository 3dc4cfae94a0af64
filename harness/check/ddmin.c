// SPDX-License-Identifier: MIT
/*
 * ddmin (ddmin.h), after Zeller and Hildebrandt, "Simplifying and
 * Isolating Failure-Inducing Input" (2002): split the failing set into g
 * chunks; if a chunk fails, keep it (g = 2); else if a complement fails,
 * keep it (g = g - 1); else split finer (g = 2g) until the chunks are
 * single units.  Each test is a guest check, so the budget counts them.
 */
#include <stdlib.h>
#include <string.h>

#include "ddmin.h"
#include "util.h"

/* May another test run?  Sets d->bounded when not. */
static bool may_test(struct pmt_ddmin *d)
{
	if (d->checks >= d->max_checks ||
	    (d->deadline_ms > 0 && pmt_now_ms() >= d->deadline_ms)) {
		d->bounded = true;
		return false;
	}
	return true;
}

/* Chunk @i of @g over @n units: [*lo, *hi). */
static void chunk(size_t n, size_t g, size_t i, size_t *lo, size_t *hi)
{
	*lo = n * i / g;
	*hi = n * (i + 1) / g;
}

/* Test @cand (@m units); 1 fails the same way, 0 not, -1 error. */
static int run_test(struct pmt_ddmin *d, const size_t *cand, size_t m)
{
	d->checks++;
	return d->test(d->ctx, cand, m);
}

int pmt_ddmin(struct pmt_ddmin *d, size_t *set, size_t *n)
{
	size_t g = 2;
	size_t *cand = malloc((*n ? *n : 1) * sizeof(*cand));
	int rc = 0;

	d->checks = 0;
	d->bounded = false;
	if (!cand)
		return -1;
	while (*n >= 2) {
		bool reduced = false;

		if (g > *n)
			g = *n;
		/* A chunk alone. */
		for (size_t i = 0; i < g && !reduced; i++) {
			size_t lo, hi;
			int r;

			chunk(*n, g, i, &lo, &hi);
			if (!may_test(d))
				goto out;
			r = run_test(d, set + lo, hi - lo);
			if (r < 0) {
				rc = -1;
				goto out;
			}
			if (r > 0) {
				memmove(set, set + lo, (hi - lo) * sizeof(*set));
				*n = hi - lo;
				g = 2;
				reduced = true;
			}
		}
		/* Everything but a chunk (with two chunks, the same as a chunk alone). */
		for (size_t i = 0; g > 2 && i < g && !reduced; i++) {
			size_t lo, hi, m;
			int r;

			chunk(*n, g, i, &lo, &hi);
			memcpy(cand, set, lo * sizeof(*set));
			memcpy(cand + lo, set + hi, (*n - hi) * sizeof(*set));
			m = *n - (hi - lo);
			if (!may_test(d))
				goto out;
			r = run_test(d, cand, m);
			if (r < 0) {
				rc = -1;
				goto out;
			}
			if (r > 0) {
				memcpy(set, cand, m * sizeof(*set));
				*n = m;
				g = g - 1 > 2 ? g - 1 : 2;
				reduced = true;
			}
		}
		if (reduced)
			continue;
		if (g >= *n)
			break;		/* 1-minimal: no single unit can go */
		g = 2 * g < *n ? 2 * g : *n;
	}
out:
	free(cand);
	return rc;
}
