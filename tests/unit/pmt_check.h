/* SPDX-License-Identifier: MIT */
/* What every unit test's main() shares: one suite of one test case, its
 * tests listed once, run, exit 1 on a failure.
 * Relies on: Check (0.11 or later: START_TEST makes each test a
 * `const TTest *` that an array can hold). Header-only, so the Makefile
 * rule that builds one binary per unit test source needs no extra source. */
#ifndef PMT_CHECK_H
#define PMT_CHECK_H

#include <stddef.h>
#include <check.h>

#define PMT_NTESTS(a)	(sizeof(a) / sizeof((a)[0]))

/* How a suite runs, beyond its tests: every field may be left zero. */
struct pmt_check_opts {
	const char *tcase;	/* the test case's name; NULL: "core" */
	int timeout;		/* seconds per test; 0: Check's default (4 s) */
	SFun setup;		/* a checked fixture around each test, or NULL */
	SFun teardown;
};

/* Run the suite and return 0 when every test passed, 1 otherwise. */
static inline int pmt_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* Build suite @name of the @n tests in @tests (in that order) with @opts
 * (NULL: all defaults), run it and return what pmt_check_run() returns. */
static inline int pmt_check_suite(const char *name, const struct pmt_check_opts *opts,
				  const TTest *const *tests, size_t n)
{
	static const struct pmt_check_opts none;
	Suite *s = suite_create(name);
	TCase *tc;
	size_t i;

	if (!opts)
		opts = &none;
	tc = tcase_create(opts->tcase ? opts->tcase : "core");
	if (opts->timeout)
		tcase_set_timeout(tc, opts->timeout);
	if (opts->setup || opts->teardown)
		tcase_add_checked_fixture(tc, opts->setup, opts->teardown);
	for (i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return pmt_check_run(s);
}

/* Define main() to run suite @name of the tests that follow (in that
 * order) with options @opts (a `const struct pmt_check_opts *`, or NULL). */
#define PMT_CHECK_MAIN(name, opts, ...)						\
	int main(void)								\
	{									\
		const TTest *tests_[] = { __VA_ARGS__ };			\
										\
		return pmt_check_suite(name, opts, tests_, PMT_NTESTS(tests_));	\
	}

#endif
