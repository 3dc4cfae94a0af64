// SPDX-License-Identifier: MIT
/* Unit tests: command-line parsing and case selection. */
#include <check.h>
#include <string.h>

#include "options.h"
#include "runner.h"

#define ARGV(...) ((char *[]){ "pmtorture", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "pmtorture", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, err, ...) pmt_options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof(err))

START_TEST(defaults_and_values)
{
	struct pmt_options o;
	char err[256];

	ck_assert_int_eq(pmt_options_parse(1, ARGV("x"), &o, err, sizeof(err)), 0);
	ck_assert_int_eq(o.command, PMT_CMD_HELP);
	ck_assert_int_eq(PARSE(&o, err, "run"), 0);
	ck_assert_int_eq(o.command, PMT_CMD_RUN);
	ck_assert_str_eq(o.devices, "virtio-pmem,nvdimm");
	ck_assert_int_eq(o.accel, PMT_ACCEL_AUTO);
	ck_assert_int_eq(PARSE(&o, err, "run", "--fs", "xfs", "-d", "nvdimm", "--accel", "tcg",
			       "--boot-timeout", "7", "--seed", "0x10", "--filter", "*:xfs"), 0);
	ck_assert_str_eq(o.filesystems, "xfs");
	ck_assert_str_eq(o.devices, "nvdimm");
	ck_assert_int_eq(o.accel, PMT_ACCEL_TCG);
	ck_assert_int_eq(o.boot_timeout_s, 7);
	ck_assert_int_eq(o.seed, 16);
	ck_assert_str_eq(o.filter, "*:xfs");
	/* Parsing twice in one process works (getopt state is reset). */
	ck_assert_int_eq(PARSE(&o, err, "list", "--fs=ext4"), 0);
	ck_assert_int_eq(o.command, PMT_CMD_LIST);
	ck_assert_str_eq(o.filesystems, "ext4");
}
END_TEST

START_TEST(bad_input_gives_one_line)
{
	static const struct {
		char *argv[6];
		const char *want;
	} t[] = {
		{ { "pmtorture", "frobnicate" }, "unknown command" },
		{ { "pmtorture", "run", "--bogus" }, "unknown option --bogus" },
		{ { "pmtorture", "run", "-Z" }, "unknown option -Z" },
		{ { "pmtorture", "run", "--fs" }, "needs a value" },
		{ { "pmtorture", "run", "--fs", "btrfs" }, "unknown name \"btrfs\"" },
		{ { "pmtorture", "run", "--device", "virtio-pmem,,nvdimm" }, "unknown name" },
		{ { "pmtorture", "run", "--accel", "hvf" }, "auto, kvm or tcg" },
		{ { "pmtorture", "run", "--boot-timeout", "0" }, "from 1 to" },
		{ { "pmtorture", "run", "--boot-timeout", "5s" }, "whole number" },
		{ { "pmtorture", "run", "--seed", "-1" }, "non-negative" },
		{ { "pmtorture", "run", "--modules", "/x" }, "needs --kernel" },
		{ { "pmtorture", "run", "extra" }, "unexpected argument \"extra\"" },
	};
	struct pmt_options o;
	char err[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int argc = 0;

		while (t[i].argv[argc])
			argc++;
		err[0] = '\0';
		ck_assert_int_eq(pmt_options_parse(argc, (char **)t[i].argv, &o, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, t[i].want), "case %zu: \"%s\" lacks \"%s\"", i, err, t[i].want);
		ck_assert_ptr_null(strchr(err, '\n'));
	}
}
END_TEST

START_TEST(case_matrix)
{
	struct pmt_options o;
	struct pmt_case *cases;
	char err[256];
	size_t n;

	ck_assert_int_eq(PARSE(&o, err, "run", "--scenario", "mapsync"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(cases[0].id, "mapsync:virtio-pmem:ext4");
	ck_assert_str_eq(cases[3].id, "mapsync:nvdimm:xfs");
	pmt_cases_free(cases, n);

	ck_assert_int_eq(PARSE(&o, err, "run", "--filter", "mapsync:*:xfs", "--device", "virtio-pmem"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(cases[0].id, "mapsync:virtio-pmem:xfs");
	pmt_cases_free(cases, n);

	ck_assert_int_eq(PARSE(&o, err, "run", "--scenario", "nosuch"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown scenario \"nosuch\""));
	ck_assert_int_eq(PARSE(&o, err, "run", "--filter", "zzz*"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no case matches"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, defaults_and_values);
	tcase_add_test(tc, bad_input_gives_one_line);
	tcase_add_test(tc, case_matrix);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
