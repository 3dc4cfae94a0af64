/* SPDX-License-Identifier: MIT */
/* What unit tests share: main() (one suite of one test case, its tests
 * listed once, run, exit 1 on a failure), asserting that a report holds,
 * or lacks, each of a list of strings, and a fresh folder per test with
 * files written into it.
 * Relies on: util.h (ARRAY_SIZE, pmt_rm_rf, from the harness library every
 * unit test links), Check 0.11 or later (START_TEST makes each test a
 * `const TTest *` that an array can hold). Header-only, so the Makefile
 * rule that builds one binary per unit test source needs no extra source. */
#ifndef PMT_CHECK_H
#define PMT_CHECK_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "util.h"	/* ARRAY_SIZE, pmt_rm_rf */

/* How a suite runs, beyond its tests: every field may be left zero. */
struct pmt_check_opts {
	const char *tcase;	/* the test case's name; NULL: "core" */
	int timeout;		/* seconds per test; 0: Check's default (4 s) */
	SFun setup;		/* a checked fixture around each test, or NULL */
	SFun teardown;
};

/* Fail the test unless @text is non-NULL and holds each string of the
 * NULL-ended list @needles; the message names the first one missing. */
static inline void pmt_assert_has_each(const char *text, const char *const *needles)
{
	ck_assert_ptr_nonnull(text);
	for (; *needles; needles++)
		ck_assert_msg(strstr(text, *needles), "missing: %s", *needles);
}

/* Fail the test unless @text is non-NULL and holds none of the strings of
 * the NULL-ended list @needles; the message names the first one found. */
static inline void pmt_assert_has_none(const char *text, const char *const *needles)
{
	ck_assert_ptr_nonnull(text);
	for (; *needles; needles++)
		ck_assert_msg(!strstr(text, *needles), "present: %s", *needles);
}

/* ASSERT_HAS(text, "a", "b"): @text holds "a" and "b"; ASSERT_LACKS:
 * neither. One call per list, so a long list of what a report must say
 * reads as a list, not as a column of identical assertions. */
#define ASSERT_HAS(text, ...) \
	pmt_assert_has_each((text), (const char *const[]){ __VA_ARGS__, NULL })
#define ASSERT_LACKS(text, ...) \
	pmt_assert_has_none((text), (const char *const[]){ __VA_ARGS__, NULL })

/* The folder of the running test, made by pmt_tmpdir_setup() and removed
 * with all it holds by pmt_tmpdir_teardown(), a checked fixture's pair
 * (struct pmt_check_opts): each test in its own fork gets its own. */
static inline char *pmt_tmpdir(void)
{
	static char dir[64];

	return dir;
}

static inline void pmt_tmpdir_setup(void)
{
	snprintf(pmt_tmpdir(), 64, "/tmp/pmt-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pmt_tmpdir()));
}

static inline void pmt_tmpdir_teardown(void)
{
	pmt_rm_rf(pmt_tmpdir());
}

/* Write @text to @dir/@name (made or truncated); its path into @path, of
 * @len bytes, which it returns. Fails the test when it cannot. */
static inline char *pmt_put_file(char *path, size_t len, const char *dir, const char *name,
				 const char *text)
{
	FILE *f;

	ck_assert_int_lt(snprintf(path, len, "%s/%s", dir, name), (int)len);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

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
		return pmt_check_suite(name, opts, tests_, ARRAY_SIZE(tests_));	\
	}

#endif
