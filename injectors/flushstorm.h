/* SPDX-License-Identifier: MIT */
/* The flushstorm injector's host half (flushstorm.c), for its scenario's judge. */
#ifndef PMT_INJECTOR_FLUSHSTORM_H
#define PMT_INJECTOR_FLUSHSTORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"

/* One host flush, a line of the shim's flushes.jsonl (harness/shim/shim.c). */
struct pmt_host_flush {
	long long seq;
	int64_t rt0_us, rt1_us;	/* CLOCK_REALTIME: entered the shim, result final */
	int result;		/* 0 or -1 */
	bool real;		/* action "recorded": the real fsync ran */
	int depth;		/* flush calls in the shim when it entered, itself included */
	double ms;
};

/*
 * The host flushes of @dir/flushes.jsonl from line @from (0-based) on, in
 * file order, into *@out (malloc'd, *@n of them; NULL and 0 when none).
 * *@lines gets the number of lines in the file.  0, or -1 with errno when
 * the file cannot be read.
 */
int pmt_host_flushes(const char *dir, int from, struct pmt_host_flush **out, size_t *n, int *lines);

/*
 * A clock exchange of the storm: the guest sent it at t1 and had the
 * host's ack at t2 (guest CLOCK_REALTIME, us); the host stamped its arrival
 * h (host CLOCK_REALTIME).  The guest-to-host offset then was in
 * [h - t2, h - t1].
 */
struct pmt_clock_ex {
	int64_t t1, t2, h;
};

/*
 * Exchanges less than this after the first of their group are one group
 * (those before the storm, those after it): within it the guest clock's
 * drift is far below an exchange's own round trip.
 */
#define PMT_CLOCK_GROUP_US	1000000

/*
 * The offset bounds *@lo..*@hi over the whole storm from the @n exchanges
 * @ex, in the guest's order; 0, or -1 when there are none.
 *
 * The guest's clock drifts against the host's: its TSC rate is calibrated
 * at boot, under TCG imprecisely.  Measured on a Debian 6.12.118 guest:
 * 730 us over a 56 s storm (13 ppm), where one group bounds the offset to
 * about 140 us.  Intersecting the groups before and after the storm gave an
 * interval the true offset had left mid-storm, and flushes a host fsync
 * did cover came out uncovered: a false FAIL on the unmodified driver.
 * So each group is intersected on its own (its intervals swapped into a
 * hull if they do not meet: widen, never narrow), and the bounds are the
 * hull of the groups, which holds at every time between them while the
 * drift keeps one direction.  Pure (unit tested).
 */
int pmt_storm_clock_bounds(const struct pmt_clock_ex *ex, size_t n, int64_t *lo, int64_t *hi);

#endif
