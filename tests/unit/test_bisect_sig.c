// SPDX-License-Identifier: MIT
/* Unit tests: what `bisect --by kind|reason` compares (harness/cli/bisect_sig.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bisect_sig.h"
#include "pmt_check.h"

static char *sig(const char *summary, enum pmt_bisect_by by)
{
	struct json_object *s = json_tokener_parse(summary);
	char *out;

	ck_assert_ptr_nonnull(s);
	out = pmt_bisect_signature(s, by);
	json_object_put(s);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* The flush-error finding as it changed at 6.12.113: FAIL on both sides. */
#define HELD "{\"cases\":[{\"id\":\"flusheio:fail:virtio-pmem:ext4\",\"verdict\":\"FAIL\"," \
	"\"reason\":\"fsync_after_recovery: expected errno=EIO, observed ok; data held after " \
	"a power cut (12 flushes)\"}]}"
#define LOST "{\"cases\":[{\"id\":\"flusheio:fail:virtio-pmem:ext4\",\"verdict\":\"XFAIL\"," \
	"\"reason\":\"fsync_after_recovery: expected errno=EIO, observed ok; fsync returned 0 " \
	"but the data was lost after a power cut (14 flushes)\"}]}"

START_TEST(reason_tells_held_from_lost)
{
	char *a = sig(HELD, PMT_BY_REASON), *b = sig(LOST, PMT_BY_REASON);
	char *a2 = sig(HELD, PMT_BY_REASON);

	ck_assert_str_ne(a, b);
	ck_assert_str_eq(a, a2);
	/* Numbers differ from run to run: not a change. */
	ck_assert_ptr_null(strstr(a, "12"));
	/* An XFAIL is a FAIL for a bisect. */
	ck_assert_ptr_nonnull(strstr(b, "flusheio:fail:virtio-pmem:ext4 FAIL "));
	/* By kind both are "FAIL -" (no failure kinds recorded): no change. */
	free(a2);
	a2 = sig(HELD, PMT_BY_KIND);
	free(b);
	b = sig(LOST, PMT_BY_KIND);
	ck_assert_str_eq(a2, b);
	free(a);
	free(a2);
	free(b);
}
END_TEST

START_TEST(kind_is_the_set_of_failure_kinds_per_case)
{
	const char *one = "{\"cases\":[{\"id\":\"b\",\"verdict\":\"PASS\",\"reason\":\"x 1\"},"
			  "{\"id\":\"a\",\"verdict\":\"FAIL\",\"reason\":\"r\",\"details\":{\"failures\":["
			  "{\"kind\":\"mount\"},{\"kind\":\"journal-checksum\"},{\"kind\":\"mount\"}]}}]}";
	const char *two = "{\"cases\":[{\"id\":\"a\",\"verdict\":\"FAIL\",\"reason\":\"other\","
			  "\"details\":{\"failures\":[{\"kind\":\"journal-checksum\"},{\"kind\":\"mount\"}]}},"
			  "{\"id\":\"b\",\"verdict\":\"PASS\",\"reason\":\"x 2\"}]}";
	const char *three = "{\"cases\":[{\"id\":\"a\",\"verdict\":\"FAIL\",\"reason\":\"r\","
			    "\"details\":{\"failures\":[{\"kind\":\"promise\"}]}},"
			    "{\"id\":\"b\",\"verdict\":\"PASS\",\"reason\":\"x\"}]}";
	char *s1 = sig(one, PMT_BY_KIND), *s2 = sig(two, PMT_BY_KIND), *s3 = sig(three, PMT_BY_KIND);

	/* Sorted by id, kinds sorted and unique: the order of cases and failures does not count. */
	ck_assert_str_eq(s1, "a FAIL journal-checksum,mount\nb PASS -\n");
	ck_assert_str_eq(s1, s2);
	ck_assert_str_ne(s1, s3);
	free(s1);
	free(s2);
	free(s3);
}
END_TEST

START_TEST(names_and_hostile_summaries)
{
	enum pmt_bisect_by by;
	char *s;

	ck_assert_int_eq(pmt_bisect_by_parse("reason", &by), 0);
	ck_assert_int_eq(by, PMT_BY_REASON);
	ck_assert_str_eq(pmt_bisect_by_name(by), "reason");
	ck_assert_int_eq(pmt_bisect_by_parse("verdicts", &by), -1);
	/* No cases, cases not an array, failures not an array: no crash. */
	s = sig("{}", PMT_BY_KIND);
	ck_assert_str_eq(s, "");
	free(s);
	s = sig("{\"cases\":7}", PMT_BY_REASON);
	ck_assert_str_eq(s, "");
	free(s);
	s = sig("{\"cases\":[{\"id\":\"a\",\"verdict\":\"BROK\",\"details\":{\"failures\":3}}]}",
		PMT_BY_KIND);
	ck_assert_str_eq(s, "a BROK -\n");
	free(s);
}
END_TEST

PMT_CHECK_MAIN("bisect_sig", NULL, reason_tells_held_from_lost,
	       kind_is_the_set_of_failure_kinds_per_case,
	       names_and_hostile_summaries);
