// SPDX-License-Identifier: MIT
/* Typed injector parameters (harness/select/param.c) and where cases read them. */
#include <check.h>
#include <string.h>

#include "case.h"
#include "injector_list.h"
#include "param.h"
#include "pmt_check.h"
#include "cases.h"

static const char *const modes[] = { "a", "b", NULL };

static int only_x(const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "x"))
		return 0;
	snprintf(err, errlen, "expected x");
	return -1;
}

static const struct pmt_param table[] = {
	{ .name = "n", .type = PMT_PARAM_INT, .def = "4", .min = 1, .max = 10, .help = "n" },
	{ .name = "m", .type = PMT_PARAM_ENUM, .choices = modes, .help = "m" },
	{ .name = "t", .type = PMT_PARAM_TEXT, .check = only_x, .help = "t" },
	{ NULL },
};

START_TEST(types_are_checked)
{
	char err[128];

	ck_assert_ptr_nonnull(pmt_param_find(table, "m"));
	ck_assert_ptr_null(pmt_param_find(table, "nope"));
	ck_assert_ptr_null(pmt_param_find(NULL, "n"));
	ck_assert_int_eq(pmt_param_check(&table[0], "10", err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_param_int_value("10"), 10);
	/* Out of range, not digits, white space, a sign or hex: all refused. */
	ck_assert_int_eq(pmt_param_check(&table[0], "11", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected a whole number from 1 to 10");
	ck_assert_int_eq(pmt_param_check(&table[0], "0", err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_param_check(&table[0], "3x", err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_param_check(&table[0], " 3", err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_param_check(&table[0], "+3", err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_param_check(&table[0], "0x3", err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_param_check(&table[0], "", err, sizeof(err)), -1);
	ck_assert_int_eq(pmt_param_check(&table[1], "b", err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_param_check(&table[1], "c", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected one of a, b");
	ck_assert_int_eq(pmt_param_check(&table[2], "x", err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_param_check(&table[2], "y", err, sizeof(err)), -1);
}
END_TEST

START_TEST(names_and_help)
{
	char names[64], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pmt_param_names(table, names, sizeof(names));
	ck_assert_str_eq(names, "n, m, t");
	pmt_param_help(f, table, "  ");
	fclose(f);
	ASSERT_HAS(buf, "  n=1..10\n", "(default 4)", "  m={a, b}\n");
	free(buf);
}
END_TEST

/* --param NAME=VALUE as the parser stores it. */
#define CLI_PARAM(n, v) ((struct pmt_param_arg){ (n), sizeof(n) - 1, (v), "param" })

/* A plan's value wins over --param, which wins over the table's default. */
START_TEST(case_param_precedence)
{
	const struct pmt_injector *inj = pmt_injector_find("dmflakey");
	struct pmt_options o;
	struct pmt_case c;

	ck_assert_ptr_nonnull(inj);
	pmt_options_defaults(&o);
	memset(&c, 0, sizeof(c));
	c.inj = inj;
	c.opt = &o;
	ck_assert_str_eq(pmt_case_param(&c, "pages"), "1");
	o.params[o.nparams++] = CLI_PARAM("pages", "3");
	ck_assert_int_eq(pmt_case_param_int(&c, "pages", 0), 3);
	c.params = json_object_new_object();
	json_object_object_add(c.params, "pages", json_object_new_string("2"));
	ck_assert_int_eq(pmt_case_param_int(&c, "pages", 0), 2);
	/* A name the injector does not have is never read, from anywhere. */
	json_object_object_add(c.params, "nope", json_object_new_string("9"));
	ck_assert_ptr_null(pmt_case_param(&c, "nope"));
	json_object_put(c.params);
}
END_TEST

/*
 * --param is checked against the selected cases' injectors before anything
 * boots: a name none of them has, or a value of the wrong type, is refused
 * with one line that names it; a name one of them has is taken.
 */
START_TEST(cli_param_needs_a_selected_injector)
{
	struct pmt_options o;
	struct pmt_case *cases = NULL;
	char err[512];
	size_t n = 0;

	pmt_options_defaults(&o);
	o.scenarios = "flusheio";
	o.params[o.nparams++] = CLI_PARAM("nope", "1");
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--param nope=1: no selected case's injector has a parameter "
			      "\"nope\" (see: pmtorture help injectors)");
	/* A name another injector has is still unknown to the selected ones. */
	o.params[0] = CLI_PARAM("pages", "1");
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no selected case's injector has a parameter \"pages\""));
	o.params[0] = CLI_PARAM("threads", "lots");
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--param threads=lots: expected a whole number"));
	o.params[0] = CLI_PARAM("threads", "3");
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_uint_gt(n, 0);
	pmt_cases_free(cases, n);
}
END_TEST

/*
 * An option that names an injector parameter (--crash-at) is that
 * parameter: checked by the injector's own table, refused with its own
 * name when no selected case has it, and read by the case like --param.
 */
START_TEST(option_names_a_param)
{
	char *bad[] = { "pmtorture", "run", "--scenario", "powercut", "--crash-at", "noon", NULL };
	char *other[] = { "pmtorture", "run", "--scenario", "mapsync", "--flush-mode", "lying", NULL };
	char *good[] = { "pmtorture", "run", "--scenario", "powercut", "--crash-at", "flush-mid",
			 "--flush-mode", "drop:every=3", NULL };
	struct pmt_options o;
	struct pmt_case *cases = NULL;
	char err[512];
	size_t n = 0;

	ck_assert_int_eq(pmt_options_parse(6, bad, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--crash-at noon: expected one of end, op, flush, flush-mid, time");
	ck_assert_int_eq(pmt_options_parse(6, other, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "--flush-mode lying: no selected case's injector has "
					  "a parameter \"flush_mode\""));
	ck_assert_int_eq(pmt_options_parse(8, good, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_uint_gt(n, 0);
	ck_assert_str_eq(pmt_case_param(&cases[0], "crash_at"), "flush-mid");
	ck_assert_str_eq(pmt_case_param(&cases[0], "flush_mode"), "drop:every=3");
	/* Not given: the injector's default, written once in its table. */
	ck_assert_str_eq(pmt_case_param(&cases[0], "crash_points"), "all");
	pmt_cases_free(cases, n);
}
END_TEST

PMT_CHECK_MAIN("param", NULL, types_are_checked, names_and_help,
	       option_names_a_param, case_param_precedence,
	       cli_param_needs_a_selected_injector);
