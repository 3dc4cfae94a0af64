// SPDX-License-Identifier: MIT
/*
 * Unit tests: ddmin (harness/check/ddmin.h) with stand-in predicates in
 * place of a checker guest, and the reason classes it compares
 * (harness/core/reason_class.h).
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ddmin.h"
#include "pmt_check.h"
#include "reason_class.h"

/* Fails while every unit of @need is in the candidate. */
struct need {
	const size_t *units;
	size_t n;
	int calls;
};

static int needs_all(void *ctx, const size_t *keep, size_t n)
{
	struct need *nd = ctx;

	nd->calls++;
	for (size_t i = 0; i < nd->n; i++) {
		bool found = false;

		for (size_t k = 0; k < n && !found; k++)
			found = keep[k] == nd->units[i];
		if (!found)
			return 0;
	}
	return 1;
}

static size_t *range(size_t n)
{
	size_t *v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = i;
	return v;
}

START_TEST(finds_the_units_that_matter)
{
	static const size_t want[] = { 3, 17, 18, 60 };
	struct need nd = { .units = want, .n = 4 };
	struct pmt_ddmin d = { .test = needs_all, .ctx = &nd, .max_checks = 1000 };
	size_t n = 64, *set = range(n);

	ck_assert_int_eq(pmt_ddmin(&d, set, &n), 0);
	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(set[i], want[i]);
	ck_assert(!d.bounded);
	ck_assert_int_eq(d.checks, nd.calls);
	free(set);
}
END_TEST

START_TEST(one_unit_and_a_whole_set)
{
	static const size_t one[] = { 5 };
	struct need nd = { .units = one, .n = 1 };
	struct pmt_ddmin d = { .test = needs_all, .ctx = &nd, .max_checks = 100 };
	size_t n = 8, *set = range(n);

	ck_assert_int_eq(pmt_ddmin(&d, set, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(set[0], 5);
	/* Binary search: about log2(8) * 2 tests, far fewer than 8 singles. */
	ck_assert_int_le(d.checks, 8);
	free(set);

	/* Every unit needed: nothing goes, and ddmin says it is 1-minimal. */
	{
		static const size_t all[] = { 0, 1, 2 };
		struct need nd3 = { .units = all, .n = 3 };
		struct pmt_ddmin d3 = { .test = needs_all, .ctx = &nd3, .max_checks = 100 };
		size_t n3 = 3, *s3 = range(n3);

		ck_assert_int_eq(pmt_ddmin(&d3, s3, &n3), 0);
		ck_assert_uint_eq(n3, 3);
		ck_assert(!d3.bounded);
		free(s3);
	}
}
END_TEST

START_TEST(the_budget_bounds_the_checks)
{
	static const size_t want[] = { 1, 30, 31, 62 };
	struct need nd = { .units = want, .n = 4 };
	struct pmt_ddmin d = { .test = needs_all, .ctx = &nd, .max_checks = 5 };
	size_t n = 64, *set = range(n);

	ck_assert_int_eq(pmt_ddmin(&d, set, &n), 0);
	ck_assert_int_eq(d.checks, 5);
	ck_assert(d.bounded);
	/* Still a failing set, smaller than or equal to the start. */
	ck_assert_int_eq(needs_all(&nd, set, n), 1);
	ck_assert_uint_le(n, 64);
	free(set);
}
END_TEST

static int test_error(void *ctx, const size_t *keep, size_t n)
{
	(void)ctx;
	(void)keep;
	return n < 4 ? -1 : 0;
}

START_TEST(a_failed_test_stops_it)
{
	struct pmt_ddmin d = { .test = test_error, .max_checks = 100 };
	size_t n = 6, *set = range(n);

	ck_assert_int_eq(pmt_ddmin(&d, set, &n), -1);
	ck_assert_uint_eq(n, 6);
	free(set);
}
END_TEST

START_TEST(reason_classes)
{
	char a[512], b[512];

	pmt_reason_class("mount failed: mount /dev/pmem0 on /mnt/pmem: Input/output error; dmesg: "
			 "JBD2: Invalid checksum found in transaction 2 | JBD2: recovery failed | "
			 "EXT4-fs (pmem0): error loading journal", a, sizeof(a));
	ck_assert_str_eq(a, "mount failed: mount /dev/pmem0 on /mnt/pmem: Input/output error; "
			 "dmesg: JBD2: Invalid checksum found in transaction N | JBD2: recovery "
			 "failed | EXT4-fs (pmem0): error loading journal");
	pmt_reason_class("mount failed: mount /dev/pmem0 on /mnt/pmem: Input/output error; dmesg: "
			 "JBD2: Invalid checksum found in transaction 17 | JBD2: recovery failed | "
			 "EXT4-fs (pmem0): error loading journal", b, sizeof(b));
	ck_assert_str_eq(a, b);
	/* Another cause is another class. */
	pmt_reason_class("mount failed: ...; dmesg: JBD2: Invalid checksum recovering data block "
			 "73 in log", b, sizeof(b));
	ck_assert_str_ne(a, b);
	/* A repeated dmesg line, hex, a quoted path and the reproduce tail go. */
	pmt_reason_class("x at 0x1f | x at 0x2e | y; reproduce: pmtorture run --replay '/a/b.img'",
			 a, sizeof(a));
	ck_assert_str_eq(a, "x at N | y");
	pmt_reason_class("data promise on /f0 (op 12) broken: sector 3 is 'abc'", a, sizeof(a));
	ck_assert_str_eq(a, "data promise on /f0 (op N) broken: sector N is '...'");
	/* Never past the buffer. */
	pmt_reason_class("a long text that does not fit", a, 8);
	ck_assert_uint_lt(strlen(a), 8);
}
END_TEST

PMT_CHECK_MAIN("ddmin", NULL, finds_the_units_that_matter,
	       one_unit_and_a_whole_set, the_budget_bounds_the_checks,
	       a_failed_test_stops_it, reason_classes);
