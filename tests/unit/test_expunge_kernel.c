// SPDX-License-Identifier: MIT
/* Unit tests: expunge lines limited to kernel versions (issue 9), and baselines of a kernel matrix. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "pmt_check.h"

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static struct json_object *fail_case(const char *id, const char *kernel, const char *reason)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "id", json_object_new_string(id));
	json_object_object_add(c, "verdict", json_object_new_string("FAIL"));
	json_object_object_add(c, "reason", json_object_new_string(reason));
	if (kernel)
		json_object_object_add(c, "kernel", json_object_new_string(kernel));
	return c;
}

START_TEST(conditions_parse)
{
	struct pmt_expunge l;
	char err[512];

	ck_assert_msg(pmt_expunge_parse(
		"powercut:*:ext4  kernel<6.12.117  # PREFLUSH ordering | README.md\n"
		"flusheio:* kernel>=6.1 kernel<=6.12 reason~'returned 0' # fsync lies\n"
		"a:* reason~'x'   kernel=6.12.107+deb12-amd64 # one kernel\n"
		"b:*  # no condition\n", "exp", &l, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.v[0].pattern, "powercut:*:ext4");
	ck_assert_str_eq(l.v[0].kernel, "kernel<6.12.117");
	ck_assert_int_eq(l.v[0].nkcond, 1);
	ck_assert_str_eq(l.v[0].kcond[0].op, "<");
	ck_assert_ptr_null(l.v[0].match);
	ck_assert_str_eq(l.v[1].pattern, "flusheio:*");
	ck_assert_str_eq(l.v[1].kernel, "kernel>=6.1 kernel<=6.12");
	ck_assert_str_eq(l.v[1].match, "returned 0");
	ck_assert_int_eq(l.v[1].nkcond, 2);
	ck_assert_str_eq(l.v[2].pattern, "a:*");
	ck_assert_str_eq(l.v[2].match, "x");
	ck_assert_str_eq(l.v[2].kernel, "kernel=6.12.107+deb12-amd64");
	ck_assert_ptr_null(l.v[3].kernel);
	pmt_expunge_free(&l);

	static const char *const bad[] = {
		"a kernel<  # why\n", "a kernel~6.1 # why\n", "a kernel<abc # why\n",
		"a kernel # why\n", "a k1 k2 k3 k4 k5 # why\n",
		"a kernel<1 kernel<2 kernel<3 kernel<4 kernel<5 # why\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pmt_expunge_parse(bad[i], "exp", &l, err, sizeof(err)) == -1, "%s", bad[i]);
	ck_assert_int_eq(pmt_expunge_parse("x:y kernel<6.x # why\n", "exp", &l, err, sizeof(err)), 0);
	pmt_expunge_free(&l);
	ck_assert_int_eq(pmt_expunge_parse("x:y kernel~6 # why\n", "exp", &l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "exp:1: expected up to 4 kernel conditions kernel<V, <=, >, >= or =, "
			 "e.g. kernel<6.12.117, got 'x:y kernel~6 # why'");
	ck_assert_int_eq(pmt_expunge_parse("x:y z # why\n", "exp", &l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "exp:1: expected one case PATTERN before '#', got 'x:y z # why'");
}
END_TEST

START_TEST(conditions_hold)
{
	struct pmt_expunge l;
	char err[256];
	const struct pmt_expunge_entry *lt, *range, *eq;

	ck_assert(pmt_expunge_parse("a kernel<6.12.117 # w\nb kernel>=6.1 kernel<=6.12 # w\n"
				    "c kernel=6.12 # w\n", "e", &l, err, sizeof(err)) == 0);
	lt = &l.v[0];
	range = &l.v[1];
	eq = &l.v[2];
	/* Debian 6.1 is named by ABI: 6.1.0-57 is below 6.12.117. */
	ck_assert(pmt_expunge_kernel_ok(lt, "6.1.0-57-amd64"));
	ck_assert(pmt_expunge_kernel_ok(lt, "6.12.107+deb12-amd64"));
	ck_assert(pmt_expunge_kernel_ok(lt, "6.12.115+deb12-amd64"));
	ck_assert(!pmt_expunge_kernel_ok(lt, "6.12.117+deb12-amd64"));
	ck_assert(!pmt_expunge_kernel_ok(lt, "6.12.118+deb12-amd64"));
	ck_assert(!pmt_expunge_kernel_ok(lt, "6.13.0-rc1"));
	/* Unknown kernel: a condition cannot be shown to hold. */
	ck_assert(!pmt_expunge_kernel_ok(lt, ""));
	ck_assert(!pmt_expunge_kernel_ok(lt, NULL));
	/* A short bound is its whole series. */
	ck_assert(pmt_expunge_kernel_ok(range, "6.1.0-57-amd64"));
	ck_assert(pmt_expunge_kernel_ok(range, "6.12.118+deb12-amd64"));
	ck_assert(!pmt_expunge_kernel_ok(range, "6.13.2"));
	ck_assert(!pmt_expunge_kernel_ok(range, "5.10.0-30-amd64"));
	ck_assert(pmt_expunge_kernel_ok(eq, "6.12.107+deb12-amd64"));
	ck_assert(!pmt_expunge_kernel_ok(eq, "6.1.0-57-amd64"));
	pmt_expunge_free(&l);
}
END_TEST

/* A matrix: the same finding is XFAIL on the kernels the line names, FAIL on the others. */
START_TEST(apply_to_a_matrix)
{
	struct pmt_expunge l;
	struct json_object *s = json_object_new_object(), *cases = json_object_new_array(), *c, *x;
	char err[256];

	ck_assert(pmt_expunge_parse(
		"powercut:*:virtio-pmem:ext4* kernel<6.12.117 reason~'JBD2' # ordering | README\n"
		"mapsync:nvdimm:xfs # no star, matched without the kernel\n", "e", &l, err,
		sizeof(err)) == 0);
	json_object_array_add(cases, fail_case("powercut:append_fsync:virtio-pmem:ext4@6.1.0-57-amd64",
					       "6.1.0-57-amd64", "JBD2: Invalid checksum"));
	json_object_array_add(cases, fail_case("powercut:append_fsync:virtio-pmem:ext4@6.12.117+deb12-amd64",
					       "6.12.117+deb12-amd64", "JBD2: Invalid checksum"));
	/* No "kernel": what the guest said. */
	c = fail_case("powercut:append_fsync:virtio-pmem:ext4", NULL, "JBD2: Invalid checksum");
	x = json_object_new_object();
	json_object_object_add(x, "guest_kernel", json_object_new_string("6.12.107+deb12-amd64"));
	json_object_object_add(c, "details", x);
	json_object_array_add(cases, c);
	json_object_array_add(cases, fail_case("powercut:append_fsync:virtio-pmem:ext4#2", NULL,
					       "JBD2: Invalid checksum"));
	json_object_array_add(cases, fail_case("mapsync:nvdimm:xfs@6.1.0-57-amd64", "6.1.0-57-amd64",
					       "MAP_SYNC refused"));
	json_object_object_add(s, "cases", cases);
	json_object_object_add(s, "counts", json_object_new_object());

	ck_assert_int_eq(pmt_expunge_apply(&l, s), 3);
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 0), "verdict"), "XFAIL");
	ck_assert_str_eq(str(json_object_object_get(json_object_array_get_idx(cases, 0), "expunge"),
			     "kernel"), "kernel<6.12.117");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 1), "verdict"), "FAIL");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 2), "verdict"), "XFAIL");
	/* Unknown kernel: stays FAIL, the line cannot be shown to apply. */
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 3), "verdict"), "FAIL");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 4), "verdict"), "XFAIL");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(json_object_object_get(s, "counts"),
								    "XFAIL")), 3);
	/* The id-only lookup passes over lines with kernel conditions. */
	ck_assert_ptr_eq(pmt_expunge_match(&l, "powercut:append_fsync:virtio-pmem:ext4", NULL), NULL);
	pmt_expunge_free(&l);
	json_object_put(s);
}
END_TEST

/* Baselines compare the same id, kernel part included. */
START_TEST(baseline_by_kernel)
{
	struct json_object *now = json_tokener_parse(
		"{\"cases\":[{\"id\":\"m:v:e@6.1.0-57-amd64\",\"verdict\":\"FAIL\"},"
		"{\"id\":\"m:v:e@6.12.117+deb12-amd64\",\"verdict\":\"FAIL\"},"
		"{\"id\":\"m:v:e@6.12.107+deb12-amd64\",\"verdict\":\"PASS\"}]}");
	struct json_object *before = json_tokener_parse(
		"{\"run_id\":\"r1\",\"cases\":[{\"id\":\"m:v:e@6.1.0-57-amd64\",\"verdict\":\"FAIL\"},"
		"{\"id\":\"m:v:e@6.12.117+deb12-amd64\",\"verdict\":\"PASS\"},"
		"{\"id\":\"m:v:e@6.12.107+deb12-amd64\",\"verdict\":\"FAIL\"}]}");
	struct json_object *cases = json_object_object_get(now, "cases");

	ck_assert_int_eq(pmt_baseline_apply(now, before), 1);
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 0), "baseline"), "STILL-FAILING");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 1), "baseline"), "NEW-FAIL");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 2), "baseline"), "FIXED");
	json_object_put(now);
	json_object_put(before);
}
END_TEST

PMT_CHECK_MAIN("expunge_kernel", NULL, conditions_parse, conditions_hold,
	       apply_to_a_matrix, baseline_by_kernel);
