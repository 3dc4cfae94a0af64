// SPDX-License-Identifier: MIT
/* Unit tests: the search of `pmtorture bisect` on made-up verdicts (P, F, B per kernel). */
#include <check.h>
#include <string.h>

#include "bisect.h"
#include "pmt_check.h"

struct fake {
	const char *verdicts;	/* one letter per kernel: P, F or B */
	char probed[64];	/* the kernels probed, in order, as letters a, b, c... */
	int times[64];
};

static enum pmt_probe_verdict fake_probe(void *ctx, size_t i)
{
	struct fake *f = ctx;
	size_t l = strlen(f->probed);

	f->probed[l] = (char)('a' + i);
	f->times[i]++;
	return f->verdicts[i] == 'P' ? PMT_PROBE_PASS : f->verdicts[i] == 'F' ? PMT_PROBE_FAIL
									       : PMT_PROBE_BROK;
}

/* Search @verdicts; the outcome, lo, hi and the probe order must be as given. */
static void expect(const char *verdicts, enum pmt_bisect_outcome want, size_t wlo, size_t whi,
		   const char *order)
{
	struct fake f = { .verdicts = verdicts };
	size_t lo, hi, n = strlen(verdicts);
	enum pmt_bisect_outcome got = pmt_bisect_search(n, fake_probe, &f, &lo, &hi);

	ck_assert_msg(got == want, "%s: outcome %d, want %d", verdicts, got, want);
	if (want == PMT_BISECT_FOUND || want == PMT_BISECT_BETWEEN || want == PMT_BISECT_NO_CHANGE) {
		ck_assert_msg(lo == wlo && hi == whi, "%s: lo %zu hi %zu, want %zu %zu", verdicts,
			      lo, hi, wlo, whi);
	}
	if (order)
		ck_assert_msg(!strcmp(f.probed, order), "%s: probed %s, want %s", verdicts, f.probed,
			      order);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(f.times[i] <= 1, "%s: kernel %zu probed %d times", verdicts, i, f.times[i]);
}

START_TEST(finds_the_first_that_differs)
{
	/* The case: 6.12.107 111 113 115 117, fixed at 117. */
	expect("FFFFP", PMT_BISECT_FOUND, 3, 4, "aecd");
	expect("FFFPP", PMT_BISECT_FOUND, 2, 3, "aecd");
	expect("FPPPP", PMT_BISECT_FOUND, 0, 1, "aecb");
	/* A regression: first broken. */
	expect("PPPPPPPPF", PMT_BISECT_FOUND, 7, 8, "aiegh");
	expect("PF", PMT_BISECT_FOUND, 0, 1, "ab");
	/* Every length and position: the answer is always the change. */
	for (size_t n = 2; n < 40; n++) {
		for (size_t at = 1; at < n; at++) {
			char v[64];

			memset(v, 'F', at);
			memset(v + at, 'P', n - at);
			v[n] = '\0';
			expect(v, PMT_BISECT_FOUND, at - 1, at, NULL);
		}
	}
}
END_TEST

START_TEST(brok_kernels_are_skipped)
{
	/* The middle one is BROK: a neighbour instead. */
	/* c is BROK: the change is at c or d, and the search says so. */
	expect("FFBPP", PMT_BISECT_BETWEEN, 1, 3, "aecbd");
	expect("FFFBPPPP", PMT_BISECT_BETWEEN, 2, 4, NULL);
	expect("FFBFPPPP", PMT_BISECT_FOUND, 3, 4, NULL);
	expect("FFFBP", PMT_BISECT_BETWEEN, 2, 4, NULL);
	expect("FBBBP", PMT_BISECT_BETWEEN, 0, 4, NULL);
	/* The last is BROK: the last that can be judged ends the range. */
	expect("FFPPB", PMT_BISECT_FOUND, 1, 2, NULL);
	expect("FFFFB", PMT_BISECT_NO_CHANGE, 0, 3, NULL);
	expect("FBBBB", PMT_BISECT_ALL_BROK, 0, 0, "aedcb");
	expect("BFFPP", PMT_BISECT_FIRST_BROK, 0, 0, "a");
}
END_TEST

START_TEST(no_change)
{
	expect("PPPP", PMT_BISECT_NO_CHANGE, 0, 3, "ad");
	expect("FF", PMT_BISECT_NO_CHANGE, 0, 1, "ab");
}
END_TEST

PMT_CHECK_MAIN("bisect", NULL, finds_the_first_that_differs,
	       brok_kernels_are_skipped, no_change);
