// SPDX-License-Identifier: MIT
/* Unit tests: plan files (includes, overrides, every error with file:line). */
#include <check.h>

#include "pmt_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "plan_check.h"
#include "util.h"

/* Write @text to @name in the test's folder; returns the path in one of
 * four static buffers, so a few can be held at once. */
static const char *put(const char *name, const char *text)
{
	static char path[4][256];
	static int slot;

	return pmt_put_file(path[slot++ % 4], sizeof(path[0]), pmt_tmpdir(), name, text);
}

/* Load a plan expected to fail; returns the error after the "DIR/" prefix. */
static const char *load_err(const char *path)
{
	static char err[512];
	struct pmt_plan plan;
	const char *dir = pmt_tmpdir();
	size_t l = strlen(dir);

	/* The reader, then the scenario check the run layer does after it. */
	if (pmt_plan_load(path, &plan, err, sizeof(err)) == 0) {
		ck_assert_int_eq(pmt_plan_check_scenarios(&plan, err, sizeof(err)), -1);
		pmt_plan_free(&plan);
	}
	ck_assert_ptr_null(plan.sections);
	ck_assert_int_eq(strncmp(err, dir, l), 0);
	return err + l + 1;
}

START_TEST(valid_with_include_and_overrides)
{
	struct pmt_plan plan;
	struct json_object *params;
	char err[512] = "";
	const char *path;

	put("common.ini",
	    "# shared defaults\n"
	    "[global]\n"
	    "  scenario = mapsync  \n"
	    "device=virtio-pmem , nvdimm\n"
	    "fs = ext4,xfs\n"
	    "mount_opts = dax;x#y\n"
	    "param.size = 64M\n");
	path = put("main.ini",
		   "; the plan\n"
		   "include common.ini\n"
		   "\n"
		   "[global]\n"
		   "repeat = 2\n"
		   "[all]\n"
		   "[xfs-only]\n"
		   "fs = xfs\r\n"
		   "device = nvdimm\n"
		   "seed = 0x10\n"
		   "repeat = 5\n"
		   "workload = a, b\n"
		   "injector = flush-eio\n"
		   "mkfs_opts = -m reflink=0\n"
		   "param.size = 1G\n"
		   "param.extra = yes please\n");
	ck_assert_msg(pmt_plan_load(path, &plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(pmt_plan_check_scenarios(&plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(plan.nsections, 2);

	ck_assert_str_eq(plan.sections[0].name, "all");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[0], "scenario"), "mapsync");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[0], "device"), "virtio-pmem,nvdimm");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[0], "fs"), "ext4,xfs");
	/* ';' and '#' inside a value are part of it. */
	ck_assert_str_eq(pmt_plan_get(&plan.sections[0], "mount_opts"), "dax;x#y");
	ck_assert_ptr_null(pmt_plan_get(&plan.sections[0], "workload"));
	ck_assert_uint_eq(plan.sections[0].repeat, 2);
	ck_assert(!plan.sections[0].has_seed);

	ck_assert_str_eq(plan.sections[1].name, "xfs-only");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[1], "fs"), "xfs");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[1], "device"), "nvdimm");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[1], "workload"), "a,b");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[1], "injector"), "flush-eio");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[1], "mkfs_opts"), "-m reflink=0");
	ck_assert_uint_eq(plan.sections[1].repeat, 5);
	ck_assert(plan.sections[1].has_seed);
	ck_assert_uint_eq(plan.sections[1].seed, 16);
	ck_assert_int_eq(plan.sections[1].line, 7);
	/* Values remember where they were set. */
	ck_assert_int_eq(pmt_plan_find(&plan.sections[1], "scenario")->line, 3);
	ck_assert_ptr_nonnull(strstr(pmt_plan_find(&plan.sections[1], "scenario")->file, "common.ini"));

	params = pmt_plan_params(&plan.sections[1]);
	ck_assert_str_eq(json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN),
			 "{\"size\":\"1G\",\"extra\":\"yes please\"}");
	json_object_put(params);
	params = pmt_plan_params(&plan.sections[0]);
	ck_assert_str_eq(json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN),
			 "{\"size\":\"64M\"}");
	json_object_put(params);
	pmt_plan_free(&plan);
}
END_TEST

/* A plan file x.ini and the whole error loading it gives, after "DIR/". */
static const struct {
	const char *text;
	const char *err;
} plan_errors[] = {
	{ "[a]\nscenario=mapsync\n\ndevise virtio-pmem\n",
	  "x.ini:4: expected key=value, got 'devise virtio-pmem'" },
	{ "[a]\n = x\n",
	  "x.ini:2: expected key=value, got '= x'" },
	{ "; c\n[a]\ndevise = nvdimm\n",
	  "x.ini:3: unknown key 'devise' (known: scenario, injector, device, fs, "
	  "workload, repeat, mkfs_opts, mount_opts, smp, seed, param.NAME)" },
	{ "scenario = mapsync\n",
	  "x.ini:1: expected [global] or [NAME] before 'scenario=...'" },
	{ "[a\n",
	  "x.ini:1: expected [NAME], got '[a'" },
	{ "[a b]\n",
	  "x.ini:1: expected [NAME] with letters, digits, '-', '_' or '.', got '[a b]'" },
	{ "[a]\nscenario=mapsync\ndevice=virtio-pmem,pmem\n",
	  "x.ini:3: unknown device 'pmem' (known: virtio-pmem, nvdimm)" },
	{ "[a]\nfs=ext4,,xfs\n",
	  "x.ini:2: expected a comma list of names for fs, got 'ext4,,xfs'" },
	{ "[a]\nworkload=a b\n",
	  "x.ini:2: expected a comma list of names for workload, got 'a b'" },
	{ "[a]\nsmp=0\n",
	  "x.ini:2: expected smp=N with N from 1 to 64, got '0'" },
	{ "[a]\nsmp=65\n",
	  "x.ini:2: expected smp=N with N from 1 to 64, got '65'" },
	{ "[a]\nsmp=2x\n",
	  "x.ini:2: expected smp=N with N from 1 to 64, got '2x'" },
	{ "[a]\nrepeat=0\n",
	  "x.ini:2: expected repeat=N with N from 1 to 10000, got '0'" },
	{ "[a]\nrepeat=3x\n",
	  "x.ini:2: expected repeat=N with N from 1 to 10000, got '3x'" },
	{ "[a]\nseed=-1\n",
	  "x.ini:2: expected seed=N (decimal or 0x hex), got '-1'" },
	{ "[a]\nparam.=1\n",
	  "x.ini:2: expected param.NAME with NAME of letters, digits, '-', '_' or '.', "
	  "got 'param.'" },
	{ "[a]\ninjector=a b\n",
	  "x.ini:2: expected injector=NAME, got 'a b'" },
	{ "[a]\ninclude\n",
	  "x.ini:2: expected 'include FILE', got 'include'" },
	{ "[global]\nfs=xfs\n\n[a]\n",
	  "x.ini:4: [a] names no scenario (expected scenario=NAME in it or in [global])" },
	{ "[global]\nscenario=mapsync\n",
	  "x.ini: expected at least one [NAME] section besides [global]" },
	{ "[global]\nfs = btrfs\n[a]\nscenario=mapsync\n",
	  "x.ini:2: [a]: scenario mapsync does not run on fs 'btrfs' (it runs on: ext4, xfs)" },
};

START_TEST(every_error_names_file_and_line)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(plan_errors); i++)
		ck_assert_str_eq(load_err(put("x.ini", plan_errors[i].text)), plan_errors[i].err);
	/* Other scenarios may join mapsync in the list. */
	ck_assert_ptr_nonnull(strstr(load_err(put("x.ini", "[a]\nscenario=nosuch\n")),
				     "x.ini:2: unknown scenario 'nosuch' (known: "));
	ck_assert_ptr_nonnull(strstr(load_err(put("x.ini", "[a]\nscenario=nosuch\n")), "mapsync"));
	ck_assert_int_eq(pmt_plan_parse_smp("2"), 2);
	ck_assert_int_eq(pmt_plan_parse_smp(NULL), -1);
}
END_TEST

/* Errors with a variable tail: compare the stable prefix. */
START_TEST(errors_with_paths)
{
	const char *e;

	e = load_err(put("x.ini", "[a]\nscenario=mapsync\n[a]\n"));
	ASSERT_HAS(e, "x.ini:3: section [a] already defined at ", "/x.ini:1");
	e = load_err(put("x.ini", "[a]\nscenario=mapsync\ninclude nope.ini\n"));
	ASSERT_HAS(e,
		   "x.ini:3: cannot read included file '",
		   "/nope.ini': No such file or directory");
	{
		/* A NUL byte would cut a line short without a word: it is an error. */
		static const char text[] = "[a]\nscenario=mapsync\nfs=xfs\0junk\n";
		const char *path = put("n.ini", "");
		FILE *f = fopen(path, "w");

		fwrite(text, 1, sizeof(text) - 1, f);
		fclose(f);
		ck_assert_str_eq(load_err(path), "n.ini:3: expected text, got a NUL byte");
	}
}
END_TEST

START_TEST(include_loop)
{
	char err[512];
	struct pmt_plan plan;

	put("a.ini", "[a]\nscenario = mapsync\ninclude b.ini\n");
	put("b.ini", "; b\ninclude a.ini\n");
	ck_assert_int_eq(pmt_plan_load(put("a.ini", "[a]\nscenario = mapsync\ninclude b.ini\n"),
				       &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/b.ini:2: include loop: '") && strstr(err, "/a.ini' is already being read"),
		      "%s", err);
	/* A file including itself. */
	ck_assert_int_eq(pmt_plan_load(put("c.ini", "include c.ini\n"), &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/c.ini:1: include loop"), "%s", err);
	/* The same file twice, not nested, is no loop (but its sections clash). */
	put("d.ini", "[global]\nscenario = mapsync\n");
	ck_assert_msg(pmt_plan_load(put("e.ini", "include d.ini\ninclude d.ini\n[e]\n"), &plan, err,
				    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(plan.nfiles, 3);
	pmt_plan_free(&plan);
	ck_assert_int_eq(pmt_plan_load("/nonexistent/p.ini", &plan, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/p.ini: cannot read: No such file or directory");
}
END_TEST

START_TEST(shipped_plans)
{
	char path[4096], err[512];
	struct pmt_plan plan;

	ck_assert_int_eq(pmt_plan_resolve_name(PMT_ROOT, "quick", path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_str_eq(path, PMT_ROOT "/harness/plans/quick.ini");
	ck_assert_msg(pmt_plan_load(path, &plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(pmt_plan_check_scenarios(&plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(plan.nsections, 1);
	ck_assert_str_eq(pmt_plan_get(&plan.sections[0], "scenario"), "mapsync");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[0], "device"), "virtio-pmem,nvdimm");
	ck_assert_str_eq(pmt_plan_get(&plan.sections[0], "fs"), "ext4,xfs");
	ck_assert_uint_eq(plan.sections[0].repeat, 1);
	pmt_plan_free(&plan);

	ck_assert_int_eq(pmt_plan_resolve_name(PMT_ROOT, "nightly", path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_msg(pmt_plan_load(path, &plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(pmt_plan_check_scenarios(&plan, err, sizeof(err)) == 0, "%s", err);
	/* quick + errors + the three power-cut sections, every one repeated 3 times */
	ck_assert_uint_ge(plan.nsections, 5);
	for (size_t i = 0; i < plan.nsections; i++)
		ck_assert_uint_eq(plan.sections[i].repeat, 3);
	{
		bool flush_mid = false;

		for (size_t i = 0; i < plan.nsections; i++) {
			const char *v = pmt_plan_get(&plan.sections[i], "param.crash_at");

			if (!strcmp(plan.sections[i].name, "powercut-flush") && v && !strcmp(v, "flush-mid"))
				flush_mid = true;
		}
		ck_assert(flush_mid);
	}
	pmt_plan_free(&plan);

	/* errors.ini: a section per error scenario that exists (the rest commented). */
	ck_assert_int_eq(pmt_plan_resolve_name(PMT_ROOT, "errors", path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_msg(pmt_plan_load(path, &plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(pmt_plan_check_scenarios(&plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_ge(plan.nsections, 1);
	pmt_plan_free(&plan);

	/* device.ini: the device injectors, each section naming its scenario;
	 * the device scenarios once more on one vCPU (their default is 2). */
	ck_assert_int_eq(pmt_plan_resolve_name(PMT_ROOT, "device", path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_msg(pmt_plan_load(path, &plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(pmt_plan_check_scenarios(&plan, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(plan.nsections, 8);
	for (size_t i = 0; i < plan.nsections; i++) {
		const char *smp = pmt_plan_get(&plan.sections[i], "smp");

		ck_assert_ptr_nonnull(pmt_plan_get(&plan.sections[i], "scenario"));
		if (strstr(plan.sections[i].name, "-1cpu"))
			ck_assert_str_eq(smp ? smp : "(none)", "1");
	}
	pmt_plan_free(&plan);

	ck_assert_int_eq(pmt_plan_resolve_name(PMT_ROOT, "nope", path, sizeof(path), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown plan 'nope' (known: default, device, errors, nightly, quick"));
	ck_assert_int_eq(pmt_plan_resolve_name(PMT_ROOT, "my/own.ini", path, sizeof(path), err,
					       sizeof(err)), 0);
	ck_assert_str_eq(path, "my/own.ini");
}
END_TEST

/* include /dev/zero used to read 1 GB and call ENOMEM the end of the file. */
START_TEST(plan_files_are_bounded)
{
	static const char head[] = "[a]\nscenario = ";
	char err[512], text[sizeof(head) + 5000 + 1];
	struct pmt_plan plan;

	ck_assert_int_eq(pmt_plan_load(put("zero.ini", "include /dev/zero\n"), &plan, err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "'/dev/zero' is not a regular file"), "%s", err);
	/* A value of 5000 x's: the line is longer than the reader takes. */
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'x', 5000);
	strcpy(text + sizeof(head) - 1 + 5000, "\n");
	ck_assert_int_eq(pmt_plan_load(put("long.ini", text), &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, ":2: line longer than 4096 bytes"), "%s", err);
}
END_TEST

static const struct pmt_check_opts opts = {
	.setup = pmt_tmpdir_setup, .teardown = pmt_tmpdir_teardown,
};

PMT_CHECK_MAIN("plan", &opts, plan_files_are_bounded,
	       valid_with_include_and_overrides,
	       every_error_names_file_and_line, errors_with_paths, include_loop,
	       shipped_plans);
