// SPDX-License-Identifier: MIT
/*
 * Unit tests: the flush storm's guest-to-host clock offset bounds
 * (injectors/flushstorm.h).  The drifting case is the exchanges of a
 * flushstorm:held run of 6400 raw flushes on a Debian 6.12.118 guest,
 * whose clock lost 730 us against the host's in the 56 s between the
 * exchanges before and after the storm.
 */
#include <check.h>
#include <stdint.h>

#include "flushstorm.h"
#include "pmt_check.h"

/* Host stamps and guest times as that run had them, less a common base. */
static const struct pmt_clock_ex drifting[] = {
	/* before the storm */
	{ 437863527, 437865724, 862944531 },
	{ 437865781, 437867431, 862946503 },
	{ 437867437, 437868153, 862947942 },
	/* after it, 56 s later */
	{ 493912670, 493913983, 918992944 },
	{ 493914058, 493915803, 918993984 },
	{ 493915807, 493916717, 918995745 },
};

START_TEST(groups_are_intersected_then_joined)
{
	int64_t lo, hi;

	ck_assert_int_eq(pmt_storm_clock_bounds(drifting, 6, &lo, &hi), 0);
	/* Before: [h - t2, h - t1] met over the three is [425079789, 425080505];
	 * after: [425079028, 425079926].  The hull holds both. */
	ck_assert_int_eq(lo, 425079028);
	ck_assert_int_eq(hi, 425080505);
	/* All six intersected, the old reading, gave [425079789, 425079926]:
	 * 137 us, narrower than either group, which the drift did not allow. */
}
END_TEST

START_TEST(one_group_is_the_plain_intersection)
{
	int64_t lo, hi;

	ck_assert_int_eq(pmt_storm_clock_bounds(drifting, 3, &lo, &hi), 0);
	ck_assert_int_eq(lo, 425079789);
	ck_assert_int_eq(hi, 425080505);
	ck_assert_int_eq(pmt_storm_clock_bounds(drifting + 3, 1, &lo, &hi), 0);
	ck_assert_int_eq(lo, 918992944 - 493913983);
	ck_assert_int_eq(hi, 918992944 - 493912670);
}
END_TEST

START_TEST(disjoint_exchanges_in_a_group_widen)
{
	/* Two exchanges of one group whose intervals do not meet: [90, 100] and
	 * [110, 120]; the bounds are widened to [100, 110], never emptied. */
	static const struct pmt_clock_ex ex[] = {
		{ 1000, 1010, 1100 },
		{ 2000, 2010, 2120 },
	};
	int64_t lo, hi;

	ck_assert_int_eq(pmt_storm_clock_bounds(ex, 2, &lo, &hi), 0);
	ck_assert_int_eq(lo, 100);
	ck_assert_int_eq(hi, 110);
}
END_TEST

START_TEST(no_exchange_is_no_bound)
{
	int64_t lo = 7, hi = 7;

	ck_assert_int_eq(pmt_storm_clock_bounds(drifting, 0, &lo, &hi), -1);
}
END_TEST

PMT_CHECK_MAIN("storm_clock", NULL, groups_are_intersected_then_joined,
	       one_group_is_the_plain_intersection, disjoint_exchanges_in_a_group_widen,
	       no_exchange_is_no_bound);
