// SPDX-License-Identifier: MIT
/* Unit tests: expunge files, baseline classes and the exit status with a baseline. */
#include <check.h>

#include "pmt_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"

/*
 * Local readers: "json_util.h" from tests/unit/ would find json-c's own
 * json_util.h first (its -I comes before -Iharness).
 */
static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static int num(struct json_object *o, const char *key, int dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : dflt;
}

START_TEST(expunge_parse_and_match)
{
	struct pmt_expunge l;
	const char *reason = NULL;
	const struct pmt_expunge_entry *e;
	char err[256];

	ck_assert_msg(pmt_expunge_parse(
		"# known failures\n"
		"\n"
		"mapsync:virtio-pmem:*   # MAP_SYNC on virtio-pmem | https://bugs.example/1\n"
		"  *:nvdimm:xfs # xfs dax flake\n"
		"mapsync:*  # never reached: the first match wins | x\n",
		"exp.txt", &l, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.v[0].pattern, "mapsync:virtio-pmem:*");
	ck_assert_str_eq(l.v[0].why, "MAP_SYNC on virtio-pmem");
	ck_assert_str_eq(l.v[0].link, "https://bugs.example/1");
	ck_assert_int_eq(l.v[0].line, 3);
	ck_assert_str_eq(l.v[1].link, "");

	e = pmt_expunge_match(&l, "mapsync:virtio-pmem:xfs", &reason);
	ck_assert_ptr_eq(e, &l.v[0]);
	ck_assert_str_eq(reason, "MAP_SYNC on virtio-pmem (https://bugs.example/1)");
	e = pmt_expunge_match(&l, "mapsync:nvdimm:xfs", &reason);
	ck_assert_ptr_eq(e, &l.v[1]);
	ck_assert_str_eq(reason, "xfs dax flake");
	ck_assert_ptr_eq(pmt_expunge_match(&l, "mapsync:nvdimm:ext4", NULL), &l.v[2]);
	ck_assert_ptr_null(pmt_expunge_match(&l, "other:nvdimm:ext4", NULL));
	ck_assert_ptr_null(pmt_expunge_match(NULL, "x", NULL));
	pmt_expunge_free(&l);

	ck_assert_int_eq(pmt_expunge_parse("# only comments\n\n", "e", &l, err, sizeof(err)), 0);
	ck_assert_uint_eq(l.n, 0);
	pmt_expunge_free(&l);
}
END_TEST

/* A case as summary.json holds it, with its failures listed by kind. */
static struct json_object *fail_case(const char *id, const char *const *texts, size_t n)
{
	struct json_object *c = json_object_new_object(), *d = json_object_new_object();
	struct json_object *f = json_object_new_array();

	json_object_object_add(c, "id", json_object_new_string(id));
	json_object_object_add(c, "verdict", json_object_new_string("FAIL"));
	json_object_object_add(c, "reason", json_object_new_string("states broken"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *one = json_object_new_object();

		json_object_object_add(one, "text", json_object_new_string(texts[i]));
		json_object_array_add(f, one);
	}
	json_object_object_add(d, "failures", f);
	json_object_object_add(c, "details", d);
	return c;
}

START_TEST(expunge_reason_must_match_every_failure)
{
	static const char *const known[] = { "mount failed; dmesg: JBD2: Invalid checksum found",
					     "mount failed; dmesg: JBD2: Invalid checksum recovering" };
	static const char *const mixed[] = { "mount failed; dmesg: JBD2: Invalid checksum found",
					     "file promise on a.dat (op 3) broken: hash mismatch" };
	struct json_object *summary = json_object_new_object(), *cases = json_object_new_array();
	struct pmt_expunge l;
	char err[256];

	ck_assert_msg(pmt_expunge_parse(
		"powercut:*:ext4 reason~'JBD2: Invalid checksum'  # ordering | README.md\n"
		"flusheio:* reason~'returned 0' # fsync lies\n", "exp", &l, err, sizeof(err)) == 0,
		"%s", err);
	ck_assert_str_eq(l.v[0].pattern, "powercut:*:ext4");
	ck_assert_str_eq(l.v[0].match, "JBD2: Invalid checksum");
	/* No failures listed: the reason is what must match. */
	json_object_array_add(cases, fail_case("flusheio:fail:ext4", NULL, 0));
	json_object_object_add(summary, "cases", cases);
	ck_assert_int_eq(pmt_expunge_apply(&l, summary), 0);
	json_object_object_add(json_object_array_get_idx(cases, 0), "reason",
			       json_object_new_string("fsync_after_recovery returned 0"));
	ck_assert_int_eq(pmt_expunge_apply(&l, summary), 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(cases, 0), "verdict")), "XFAIL");
	json_object_put(summary);

	/* Only the known kind: XFAIL.  One broken promise beside it: FAIL. */
	summary = json_object_new_object();
	cases = json_object_new_array();
	json_object_array_add(cases, fail_case("powercut:a:ext4", known, 2));
	json_object_array_add(cases, fail_case("powercut:b:ext4", mixed, 2));
	json_object_object_add(summary, "cases", cases);
	ck_assert_int_eq(pmt_expunge_apply(&l, summary), 1);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(cases, 0), "verdict")), "XFAIL");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(cases, 1), "verdict")), "FAIL");
	json_object_put(summary);
	pmt_expunge_free(&l);

	ck_assert_int_eq(pmt_expunge_parse("a reason~'x # why\n", "e", &l, err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_expunge_parse("a reason~'' # why\n", "e", &l, err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_expunge_parse("a reason~'x' b # why\n", "e", &l, err, sizeof(err)), -1);
}
END_TEST

START_TEST(expunge_errors_name_file_and_line)
{
	struct pmt_expunge l;
	char err[256];

	ck_assert_int_eq(pmt_expunge_parse("\n# c\nmapsync:*\n", "exp.txt", &l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "exp.txt:3: expected 'PATTERN # reason | link', got 'mapsync:*'");
	ck_assert_ptr_null(l.v);
	ck_assert_int_eq(pmt_expunge_parse("a b # why\n", "exp.txt", &l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "exp.txt:1: expected one case PATTERN before '#', got 'a b # why'");
	ck_assert_int_eq(pmt_expunge_parse("a #  | link\n", "exp.txt", &l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "exp.txt:1: expected a reason after '#' (PATTERN # reason | link), "
			 "got 'a #  | link'");
	ck_assert_int_eq(pmt_expunge_load("/nonexistent/exp", &l, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/exp: cannot read the expunge file: No such file or directory");
}
END_TEST

START_TEST(expunge_file_and_apply)
{
	char path[] = "/tmp/pmt-exp-XXXXXX", err[256];
	struct pmt_expunge l;
	struct json_object *s, *c;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("a:* # known | https://x/1\n", f);
	fclose(f);
	ck_assert_msg(pmt_expunge_load(path, &l, err, sizeof(err)) == 0, "%s", err);
	unlink(path);

	s = json_tokener_parse(
		"{\"run_id\":\"r2\",\"counts\":{\"PASS\":1,\"FAIL\":1,\"BROK\":1},\"cases\":["
		"{\"id\":\"a:1\",\"verdict\":\"FAIL\",\"reason\":\"expected X, got Y\"},"
		"{\"id\":\"a:2\",\"verdict\":\"BROK\",\"reason\":\"boot\"},"
		"{\"id\":\"a:3\",\"verdict\":\"PASS\",\"reason\":\"ok\"},"
		"{\"id\":\"b:1\",\"verdict\":\"FAIL\",\"reason\":\"no\"}]}");
	ck_assert_int_eq(pmt_expunge_apply(&l, s), 1);
	c = json_object_array_get_idx(json_object_object_get(s, "cases"), 0);
	ck_assert_str_eq(str(c, "verdict"), "XFAIL");
	ck_assert_str_eq(str(c, "reason"), "expunged: known (https://x/1); was: expected X, got Y");
	ck_assert_str_eq(str(json_object_object_get(c, "expunge"), "pattern"), "a:*");
	ck_assert_int_eq(num(json_object_object_get(c, "expunge"), "line", 0), 1);
	/* BROK is the rig, not the kernel: an expunge never hides it. */
	c = json_object_array_get_idx(json_object_object_get(s, "cases"), 1);
	ck_assert_str_eq(str(c, "verdict"), "BROK");
	ck_assert_int_eq(num(json_object_object_get(s, "counts"), "XFAIL", -1), 1);
	ck_assert_int_eq(num(json_object_object_get(s, "counts"), "FAIL", -1), 1);
	ck_assert_int_eq(num(json_object_object_get(s, "counts"), "SKIP", -1), 0);
	json_object_put(s);
	pmt_expunge_free(&l);
}
END_TEST

START_TEST(classes)
{
	ck_assert_str_eq(pmt_baseline_class("FAIL", "PASS"), "NEW-FAIL");
	ck_assert_str_eq(pmt_baseline_class("BROK", "PASS"), "NEW-FAIL");
	ck_assert_str_eq(pmt_baseline_class("FAIL", NULL), "NEW-FAIL");
	ck_assert_str_eq(pmt_baseline_class("BROK", NULL), "NEW-FAIL");
	ck_assert_str_eq(pmt_baseline_class("FAIL", "SKIP"), "NEW-FAIL");
	ck_assert_str_eq(pmt_baseline_class("FAIL", "FAIL"), "STILL-FAILING");
	ck_assert_str_eq(pmt_baseline_class("BROK", "FAIL"), "STILL-FAILING");
	ck_assert_str_eq(pmt_baseline_class("FAIL", "BROK"), "STILL-FAILING");
	ck_assert_str_eq(pmt_baseline_class("FAIL", "XFAIL"), "STILL-FAILING");
	ck_assert_str_eq(pmt_baseline_class("PASS", "FAIL"), "FIXED");
	ck_assert_str_eq(pmt_baseline_class("PASS", "BROK"), "FIXED");
	ck_assert_str_eq(pmt_baseline_class("PASS", "XFAIL"), "FIXED");
	ck_assert_str_eq(pmt_baseline_class("PASS", "PASS"), "PASS");
	ck_assert_str_eq(pmt_baseline_class("PASS", NULL), "PASS");
	ck_assert_str_eq(pmt_baseline_class("PASS", "SKIP"), "PASS");
	ck_assert_str_eq(pmt_baseline_class("SKIP", "FAIL"), "SKIP");
	ck_assert_str_eq(pmt_baseline_class("XFAIL", "PASS"), "XFAIL");
}
END_TEST

static struct json_object *run(const char *id, const char *cases)
{
	char *text;
	struct json_object *o;

	ck_assert_int_ge(asprintf(&text, "{\"run_id\":\"%s\",\"cases\":[%s]}", id, cases), 0);
	o = json_tokener_parse(text);
	free(text);
	ck_assert_ptr_nonnull(o);
	return o;
}

#define CASE(id, v) "{\"id\":\"" id "\",\"verdict\":\"" v "\"}"

static const char *class_of(struct json_object *s, size_t i)
{
	return str(json_object_array_get_idx(json_object_object_get(s, "cases"), i), "baseline");
}

START_TEST(apply_and_exit_status)
{
	struct json_object *prev = run("r1", CASE("a", "PASS") "," CASE("b", "FAIL") ","
				       CASE("c", "FAIL") "," CASE("d", "PASS") "," CASE("e", "BROK") ","
				       CASE("gone", "FAIL"));
	struct json_object *now = run("r2", CASE("a", "FAIL") "," CASE("b", "FAIL") ","
				      CASE("c", "PASS") "," CASE("d", "PASS") "," CASE("e", "BROK") ","
				      CASE("f", "SKIP") "," CASE("g", "XFAIL") "," CASE("h", "FAIL"));
	struct json_object *bl, *counts;

	ck_assert_int_eq(pmt_baseline_apply(now, prev), 2);
	ck_assert_str_eq(class_of(now, 0), "NEW-FAIL");
	ck_assert_str_eq(class_of(now, 1), "STILL-FAILING");
	ck_assert_str_eq(class_of(now, 2), "FIXED");
	ck_assert_str_eq(class_of(now, 3), "PASS");
	ck_assert_str_eq(class_of(now, 4), "STILL-FAILING");
	ck_assert_str_eq(class_of(now, 5), "SKIP");
	ck_assert_str_eq(class_of(now, 6), "XFAIL");
	ck_assert_str_eq(class_of(now, 7), "NEW-FAIL");	/* absent before */
	bl = json_object_object_get(now, "baseline");
	ck_assert_str_eq(str(bl, "run_id"), "r1");
	counts = json_object_object_get(bl, "counts");
	ck_assert_int_eq(num(counts, "NEW-FAIL", -1), 2);
	ck_assert_int_eq(num(counts, "STILL-FAILING", -1), 2);
	ck_assert_int_eq(num(counts, "FIXED", -1), 1);
	ck_assert_int_eq(num(counts, "PASS", -1), 1);
	/* NEW-FAIL (and BROK) fail the run. */
	ck_assert_int_eq(pmt_baseline_exit_status(now), 1);
	json_object_put(now);
	json_object_put(prev);

	/* Only old failures: the run passes. */
	prev = run("r1", CASE("a", "FAIL") "," CASE("b", "PASS"));
	now = run("r2", CASE("a", "FAIL") "," CASE("b", "PASS") "," CASE("x", "XFAIL"));
	ck_assert_int_eq(pmt_baseline_apply(now, prev), 0);
	ck_assert_int_eq(pmt_baseline_exit_status(now), 0);
	json_object_put(now);

	/* A BROK fails the run even when it was BROK before. */
	now = run("r3", CASE("a", "BROK") "," CASE("b", "PASS"));
	pmt_baseline_apply(now, prev);
	ck_assert_str_eq(class_of(now, 0), "STILL-FAILING");
	ck_assert_int_eq(pmt_baseline_exit_status(now), 1);
	json_object_put(now);
	json_object_put(prev);

	/* No baseline member: a FAIL counts as new. */
	now = run("r4", CASE("a", "FAIL"));
	ck_assert_int_eq(pmt_baseline_exit_status(now), 1);
	json_object_put(now);
	now = run("r5", CASE("a", "PASS") "," CASE("b", "SKIP"));
	ck_assert_int_eq(pmt_baseline_exit_status(now), 0);
	json_object_put(now);
}
END_TEST

PMT_CHECK_MAIN("baseline", NULL, expunge_parse_and_match,
	       expunge_errors_name_file_and_line,
	       expunge_reason_must_match_every_failure, expunge_file_and_apply,
	       classes, apply_and_exit_status);
