// SPDX-License-Identifier: MIT
/*
 * Unit tests: the worst-verdict ranking a case keeps (BROK > FAIL > SKIP >
 * XFAIL > PASS, case.c) and the expectations table (expect.c): rule
 * lookup, "a|b" outcomes, "unknown", and SKIP when no rule applies.
 */
#include <check.h>

#include "pmt_check.h"
#include <string.h>

#include "case.h"
#include "expect.h"

static void case_init(struct pmt_case *c)
{
	memset(c, 0, sizeof(*c));
	c->notes = json_object_new_array();
	c->details = json_object_new_object();
	snprintf(c->phase, sizeof(c->phase), "test");
}

static void case_free(struct pmt_case *c)
{
	json_object_put(c->notes);
	json_object_put(c->details);
}

START_TEST(worst_verdict_wins)
{
	struct pmt_case c;

	case_init(&c);
	pmt_case_verdict(&c, PMT_PASS, "ok");
	pmt_case_verdict(&c, PMT_XFAIL, "known");
	ck_assert_int_eq(c.verdict, PMT_XFAIL);
	pmt_case_verdict(&c, PMT_SKIP, "no rule");
	ck_assert_int_eq(c.verdict, PMT_SKIP);
	pmt_case_verdict(&c, PMT_FAIL, "lost data");
	pmt_case_verdict(&c, PMT_PASS, "later ok");
	pmt_case_verdict(&c, PMT_SKIP, "later skip");
	ck_assert_int_eq(c.verdict, PMT_FAIL);
	ck_assert_str_eq(c.reason, "lost data");
	/* The first reason of a rank stays: it is the one the table shows. */
	pmt_case_verdict(&c, PMT_FAIL, "second failure");
	ck_assert_str_eq(c.reason, "lost data");
	pmt_case_verdict(&c, PMT_BROK, "rig broke");
	ck_assert_int_eq(c.verdict, PMT_BROK);
	ck_assert_str_eq(c.reason, "rig broke");
	ck_assert_int_eq(json_object_array_length(c.notes), 8);
	case_free(&c);
}
END_TEST

static const char rules[] =
	"badblocks  *            *    *      read   errno=EIO        any read\n"
	"badblocks  virtio-pmem  xfs  dax    write  ok|errno=EIO     either\n"
	"mce        virtio-pmem  *    srao   read   unknown          open question\n";

START_TEST(rules_lookup_and_alternatives)
{
	struct pmt_expectations e;
	const struct pmt_expect_rule *r;
	char err[256];

	ck_assert_msg(pmt_expect_parse(rules, "t.tsv", &e, err, sizeof(err)) == 0, "%s", err);
	r = pmt_expect_find(&e, "badblocks", "nvdimm", "ext4", "nodax", "read");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->outcome, "errno=EIO");
	r = pmt_expect_find(&e, "badblocks", "virtio-pmem", "xfs", "dax", "write");
	ck_assert_ptr_nonnull(r);
	ck_assert(pmt_outcome_matches(r->outcome, "ok"));
	ck_assert(pmt_outcome_matches(r->outcome, "errno=EIO"));
	ck_assert(!pmt_outcome_matches(r->outcome, "errno=EFAULT"));
	ck_assert(!pmt_outcome_matches("errno=EIO", "errno=EI"));
	ck_assert_ptr_null(pmt_expect_find(&e, "badblocks", "nvdimm", "ext4", "dax", "write"));
	r = pmt_expect_find(&e, "mce", "virtio-pmem", "ext4", "srao", "read");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->outcome, "unknown");
	pmt_expect_free(&e);
}
END_TEST

/* A judge over probes: mismatch FAIL, all matched PASS, no rule SKIP, unknown no verdict. */
static enum pmt_verdict judge(const char *mode, const char *probes_json, struct pmt_case *c)
{
	struct pmt_expectations e;
	struct json_object *probes = json_tokener_parse(probes_json);
	char err[256];

	ck_assert_ptr_nonnull(probes);
	ck_assert(pmt_expect_parse(rules, "t.tsv", &e, err, sizeof(err)) == 0);
	static const struct pmt_scenario badblocks = { .name = "badblocks" };

	case_init(c);
	c->scenario = &badblocks;
	c->device = PMT_DEV_VIRTIO_PMEM;
	c->fs = "xfs";
	pmt_expect_judge(&e, c, mode, probes);
	json_object_put(probes);
	pmt_expect_free(&e);
	return c->verdict_set ? c->verdict : (enum pmt_verdict)-1;
}

START_TEST(judge_verdicts)
{
	struct pmt_case c;

	ck_assert_int_eq(judge("dax", "[{\"path\":\"read\",\"ok\":false,\"errno\":5}]", &c),
			 PMT_PASS);
	case_free(&c);
	ck_assert_int_eq(judge("dax", "[{\"path\":\"read\",\"ok\":false,\"errno\":14}]",
			       &c), PMT_FAIL);
	ck_assert_msg(strstr(c.reason, "read"), "%s", c.reason);
	case_free(&c);
	ck_assert_int_eq(judge("dax", "[{\"path\":\"mmap_load\",\"ok\":true}]", &c), PMT_SKIP);
	case_free(&c);
}
END_TEST

PMT_CHECK_MAIN("verdict", NULL, worst_verdict_wins,
	       rules_lookup_and_alternatives, judge_verdicts);
