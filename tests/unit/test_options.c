// SPDX-License-Identifier: MIT
/* Unit tests: command-line parsing and case selection. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pmt_check.h"
#include "fs_probe.h"
#include "option_table.h"
#include "options.h"
#include "cases.h"

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
		{ { "pmtorture", "run", "--shard", "3/2" }, "counts from 1 to 2" },
		{ { "pmtorture", "run", "--shard", "0/2" }, "counts from 1 to 2" },
		{ { "pmtorture", "run", "--shard", "1/0" }, "at least 1" },
		{ { "pmtorture", "run", "--shard", "half" }, "expected i/n" },
		{ { "pmtorture", "run", "--jobs", "0" }, "--jobs takes a whole number from 1" },
		{ { "pmtorture", "run", "-j", "two" }, "--jobs takes a whole number" },
		{ { "pmtorture", "run", "--repeat", "0" }, "--repeat takes a whole number from 1" },
		{ { "pmtorture", "merge" }, "merge needs at least one results folder" },
		{ { "pmtorture", "report", "-o", "x.html" }, "report needs at least one" },
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

/*
 * The one table serves getopt, --help and plan files: every option it
 * lists parses under its long and short name, lands in its field, and is
 * in --help; every plan key it lists is what plan files accept.
 */
START_TEST(one_table_serves_all)
{
	char help[32768], err[256], *argv[5];
	struct pmt_options o;
	FILE *f = fmemopen(help, sizeof(help) - 1, "w");
	size_t len;

	ck_assert_ptr_nonnull(f);
	pmt_option_help(f);
	len = (size_t)ftell(f);
	fclose(f);
	help[len] = '\0';
	for (const struct pmt_option *t = pmt_option_table; t->name || t->plan_key; t++) {
		char name[64], lowest[32];
		const char *value = t->kind == PMT_OK_INT ? lowest : t->choices ? t->choices[0] :
				    t->kind == PMT_OK_PARAM ? "x" : "v";

		snprintf(lowest, sizeof(lowest), "%lld", t->min);
		if (!t->name || t->kind == PMT_OK_CUSTOM)
			continue;
		if (!strcmp(t->name, "device") || !strcmp(t->name, "fs"))
			value = !strcmp(t->name, "fs") ? "xfs" : "nvdimm";
		snprintf(name, sizeof(name), "--%s", t->name);
		ck_assert_msg(strstr(help, name), "%s is not in --help", name);
		ck_assert_ptr_eq(pmt_option_find(t->name), t);
		argv[0] = "pmtorture";
		argv[1] = "run";
		argv[2] = name;
		argv[3] = (char *)value;
		argv[4] = NULL;
		ck_assert_msg(pmt_options_parse(t->metavar ? 4 : 3, argv, &o, err, sizeof(err)) == 0,
			      "%s %s: %s", name, value, err);
		if (t->kind == PMT_OK_INT)
			ck_assert_int_eq(*(int *)((char *)&o + t->offset), t->min);
		else if (t->kind == PMT_OK_FLAG)
			ck_assert(*(bool *)((char *)&o + t->offset));
		else if (t->kind == PMT_OK_PARAM)
			ck_assert_str_eq(pmt_options_param(&o, t->param), "x");
		else if (t->kind == PMT_OK_TEXT)
			ck_assert_str_eq(*(const char **)((char *)&o + t->offset), value);
		if (t->short_name) {
			char letter[3] = { '-', (char)t->short_name, '\0' };

			argv[2] = letter;
			ck_assert_msg(pmt_options_parse(t->metavar ? 4 : 3, argv, &o, err,
							sizeof(err)) == 0, "%s: %s", letter, err);
		}
	}
	/* An int option's bounds are the table's, in the one-line error. */
	ck_assert_int_eq(PARSE(&o, err, "run", "--smp", "65"), -1);
	ck_assert_str_eq(err, "--smp takes a whole number from 1 to 64, not \"65\"");
	ck_assert_ptr_eq(pmt_option_by_plan_key("smp"), pmt_option_find("smp"));
	ck_assert_ptr_nonnull(pmt_option_by_plan_key("mkfs_opts"));
	ck_assert_ptr_null(pmt_option_by_plan_key("jobs"));
}
END_TEST

START_TEST(new_options)
{
	struct pmt_options o;
	char err[256];

	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "nightly", "--repeat", "2", "--shard", "2/3",
			       "-j", "4", "--baseline", "old", "--expunge", "x.txt"), 0);
	ck_assert_str_eq(o.plan, "nightly");
	ck_assert_int_eq(o.repeat, 2);
	ck_assert_uint_eq(o.shard_index, 2);
	ck_assert_uint_eq(o.shard_count, 3);
	ck_assert_int_eq(o.jobs, 4);
	ck_assert_str_eq(o.baseline, "old");
	ck_assert_str_eq(o.expunge, "x.txt");
	ck_assert_int_eq(PARSE(&o, err, "list", "quick"), 0);
	ck_assert_str_eq(o.plan, "quick");
	/* getopt moves positional arguments to the end: writable argv arrays. */
	{
		char *merge[] = { "pmtorture", "merge", "a", "-o", "out", "b", NULL };
		char *report[] = { "pmtorture", "report", "r1", "--html", "x.html", "r0", NULL };
		char *two[] = { "pmtorture", "list", "quick", "nightly", NULL };
		char *both[] = { "pmtorture", "list", "quick", "--plan", "nightly", NULL };

		ck_assert_int_eq(pmt_options_parse(6, merge, &o, err, sizeof(err)), 0);
		ck_assert_int_eq(o.command, PMT_CMD_MERGE);
		ck_assert_str_eq(o.output, "out");
		ck_assert_int_eq(o.nargs, 2);
		ck_assert_str_eq(o.args[0], "a");
		ck_assert_str_eq(o.args[1], "b");
		ck_assert_int_eq(pmt_options_parse(6, report, &o, err, sizeof(err)), 0);
		ck_assert_int_eq(o.command, PMT_CMD_REPORT);
		ck_assert_str_eq(o.output, "x.html");
		ck_assert_int_eq(o.nargs, 2);
		ck_assert_str_eq(o.args[0], "r1");
		ck_assert_int_eq(pmt_options_parse(4, two, &o, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "unexpected argument \"nightly\""));
		ck_assert_int_eq(pmt_options_parse(5, both, &o, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "not both"));
	}
}
END_TEST

START_TEST(plan_cases)
{
	struct pmt_options o;
	struct pmt_case *cases, *a, *b;
	char err[512];
	size_t n, na, nb;

	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "quick"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(cases[0].id, "mapsync:virtio-pmem:ext4");
	ck_assert_str_eq(cases[0].section, "mapsync");
	ck_assert_uint_eq(cases[0].repeat, 1);
	pmt_cases_free(cases, n);

	/* The matrix options narrow a plan; --repeat overrides it. */
	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "quick", "--fs", "xfs", "--repeat", "3",
			       "--seed", "10"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(cases[0].id, "mapsync:virtio-pmem:xfs");
	ck_assert_str_eq(cases[1].id, "mapsync:virtio-pmem:xfs#2");
	ck_assert_str_eq(cases[2].id, "mapsync:virtio-pmem:xfs#3");
	ck_assert_uint_eq(cases[2].repeat, 3);
	ck_assert_uint_eq(cases[2].seed, 12);
	pmt_cases_free(cases, n);

	/* Shards are disjoint and cover the plan; an empty one is no error. */
	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "quick", "--shard", "1/2"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &a, &na, err, sizeof(err)), 0);
	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "quick", "--shard", "2/2"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &b, &nb, err, sizeof(err)), 0);
	ck_assert_uint_eq(na + nb, 4);
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++)
			ck_assert_str_ne(a[i].id, b[k].id);
	pmt_cases_free(a, na);
	pmt_cases_free(b, nb);
	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "quick", "--shard", "7/7",
			       "--filter", "mapsync:nvdimm:xfs"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	pmt_cases_free(cases, n);

	/* A missing plan file: one line naming it. */
	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "/nonexistent/my-plan.ini"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/my-plan.ini"));
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_eq(PARSE(&o, err, "list", "nosuch"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), -1);
	ASSERT_HAS(err, "unknown plan 'nosuch'", "quick");
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

/*
 * A case id that carries its plan section (a second section on the same
 * cell) is made before --filter: filtering on it, as a reproduce command
 * does, selects that case.
 */
START_TEST(section_ids_do_not_depend_on_the_filter)
{
	char id[] = "powercut:append_fsync:virtio-pmem:ext4@powercut-time#3";
	struct pmt_case *cases;
	struct pmt_options o;
	char err[512];
	size_t n;

	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "nightly"), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	{
		bool found = false;

		for (size_t i = 0; i < n; i++)
			found |= !strcmp(cases[i].id, id);
		ck_assert(found);
	}
	pmt_cases_free(cases, n);
	ck_assert_int_eq(PARSE(&o, err, "run", "--plan", "nightly", "--filter", id), 0);
	ck_assert_int_eq(pmt_cases_build(&o, &cases, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(cases[0].id, id);
	ck_assert_str_eq(cases[0].section, "powercut-time");
	pmt_cases_free(cases, n);
}
END_TEST

/* A file of @len zero bytes with @magic at @off. */
static void image_with(const char *path, size_t len, size_t off, const void *magic, size_t mlen)
{
	char *b = calloc(1, len);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(f);
	memcpy(b + off, magic, mlen);
	ck_assert_uint_eq(fwrite(b, 1, len, f), len);
	fclose(f);
	free(b);
}

/* A replayed state knows its filesystem: --fs may not contradict it. */
START_TEST(replay_takes_the_image_fs)
{
	char ext4[] = "/tmp/pmt-opt-ext4-XXXXXX", xfs[] = "/tmp/pmt-opt-xfs-XXXXXX";
	char junk[] = "/tmp/pmt-opt-junk-XXXXXX", err[512];
	struct pmt_options o;

	close(mkstemp(ext4));
	close(mkstemp(xfs));
	close(mkstemp(junk));
	image_with(ext4, 4096, 1024 + 56, "\x53\xef", 2);
	image_with(xfs, 4096, 0, "XFSB", 4);
	image_with(junk, 4096, 0, "JUNK", 4);
	ck_assert_str_eq(pmt_fs_of_image(ext4), "ext4");
	ck_assert_str_eq(pmt_fs_of_image(xfs), "xfs");
	ck_assert_ptr_null(pmt_fs_of_image(junk));
	ck_assert_int_eq(PARSE(&o, err, "run", "--scenario", "replay", "--replay", ext4), 0);
	ck_assert_str_eq(o.filesystems, "ext4");
	ck_assert_int_eq(PARSE(&o, err, "run", "--scenario", "replay", "--fs", "xfs", "--replay", xfs), 0);
	ck_assert_str_eq(o.filesystems, "xfs");
	ck_assert_int_eq(PARSE(&o, err, "run", "--scenario", "replay", "--fs", "xfs", "--replay", ext4), -1);
	ck_assert_ptr_nonnull(strstr(err, " holds ext4, not xfs (--fs)"));
	ck_assert_int_eq(PARSE(&o, err, "run", "--scenario", "replay", "--replay", junk), -1);
	ck_assert_ptr_nonnull(strstr(err, "no ext4 or xfs superblock"));
	unlink(ext4);
	unlink(xfs);
	unlink(junk);
}
END_TEST

PMT_CHECK_MAIN("options", NULL, defaults_and_values, bad_input_gives_one_line,
	       one_table_serves_all, case_matrix, new_options, plan_cases,
	       replay_takes_the_image_fs,
	       section_ids_do_not_depend_on_the_filter);
