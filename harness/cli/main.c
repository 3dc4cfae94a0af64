// SPDX-License-Identifier: MIT
/* pmtorture: fault injection and crash consistency for Linux persistent memory. */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "cases.h"
#include "commands.h"
#include "lifecycle.h"
#include "kernels.h"
#include "log.h"
#include "injector_list.h"
#include "option_table.h"
#include "options.h"
#include "proc.h"
#include "finding.h"
#include "report_behaviour.h"
#include "scenario_list.h"
#include "session.h"
#include "vm.h"

#define PMT_VERSION "0.1.0"

/* The scenarios and the injectors with their parameters, from their registries. */
static void usage_registries(void)
{
	printf("\nScenarios (-s):\n");
	for (int i = 0; pmt_scenarios[i]; i++)
		printf("  %-14s %s%s%s%s\n", pmt_scenarios[i]->name, pmt_scenarios[i]->description,
		       pmt_scenarios[i]->injector ? " [injector " : "",
		       pmt_scenarios[i]->injector ? pmt_scenarios[i]->injector : "",
		       pmt_scenarios[i]->injector ? "]" : "");
	printf("\nInjectors (--injector) and their parameters (--param NAME=VALUE, or\n"
	       "param.NAME = VALUE in a plan section; a name or value not listed is an error):\n");
	for (int i = 0; pmt_injectors[i]; i++) {
		const struct pmt_injector *inj = pmt_injectors[i];

		printf("  %-14s %s\n", inj->name, inj->description);
		pmt_param_help(stdout, inj->params, "      ");
	}
}

void pmt_usage(const char *topic)
{
	if (topic && !strcmp(topic, "injectors")) {
		usage_registries();
		return;
	}
	printf(
"pmtorture " PMT_VERSION " - fault injection and crash consistency for Linux\n"
"persistent memory (virtio-pmem, with an emulated ACPI NVDIMM as the control)\n"
"inside QEMU guests.\n"
"\n"
"Usage: pmtorture COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  run        boot a guest per case, run it, print the verdict table\n"
"  list [PLAN]  print the cases the options (or PLAN) select and what they\n"
"             need, boot nothing\n"
"  merge [-o OUT_DIR] DIR...\n"
"             join the results folders of shards into one folder: summary.json,\n"
"             junit.xml, results.tap, report.html; print the table\n"
"  report [--html OUT] RUN_DIR [OLDER_RUN_DIR...]\n"
"             write RUN_DIR's report.html (or OUT), with a trend across the\n"
"             older runs given\n"
"  report --finding CASE_DIR\n"
"             write and print a FAIL's finding bundle (CASE_DIR/finding.md):\n"
"             kernel, QEMU, seed, the commands that reproduce it, expected\n"
"             against observed, kernel lines, the flushes around it, the\n"
"             minimal crash state and what its pages are\n"
"  report --behaviour [-o OUT_DIR] RUN_DIR [MORE_RUN_DIR...]\n"
"             the error-handling behaviour table of the cases of all the\n"
"             folders: each access path's outcome (errno, signal/si_code,\n"
"             checked against results/expected/errors.tsv), the key dmesg\n"
"             line, panic, data after recovery; virtio-pmem against nvdimm,\n"
"             ext4 against xfs, by mode.  Prints it and writes behaviour.md\n"
"             and behaviour.html in OUT_DIR (default: RUN_DIR); `run` does\n"
"             the same when its cases recorded behaviour\n"
"  bisect     the first kernel of a list whose verdict differs from the\n"
"             first one's, by binary search (see Bisect below)\n"
"  bench      print boot and case timings on this machine: a cold boot\n"
"             against a restore from a snapshot, a power-cut case, and the\n"
"             plans of --plan LIST (default quick,errors) cold and from\n"
"             snapshots, with whether their verdicts are the same\n"
"  help       this text\n"
"  version    print the version\n");
	pmt_option_help(stdout);
	printf(
"\n"
"Bisect (pmtorture bisect --debian-kernel A..B | --kernel ... --kernel ...\n"
"        [the case options above] [--repeat N]):\n"
"  The kernels in the order given (a range: version order).  Each kernel\n"
"  probed is one run of the selected cases, each case --repeat N times\n"
"  (default 1).  Rule: a kernel FAILs if any repeat of any case is FAIL (or\n"
"  XFAIL); it PASSes if none is and none is BROK; otherwise (BROK) it is\n"
"  skipped and a neighbour is probed instead.  The first and the last kernel\n"
"  are probed, then the middle of the range that still holds the change,\n"
"  until the first kernel whose verdict differs from the first one's is\n"
"  found.  Each probe prints its counts; the last line reads\n"
"    first fixed: 6.12.X (FAIL a/b at 6.12.Y, PASS c/d at 6.12.X)\n"
"  or first broken: ..., or no change: ...\n"
"  --by kind|reason compares more than the verdict: kind, per case, its\n"
"  verdict and the set of its failure kinds (promise, fsck, mount,\n"
"  journal-checksum); reason, per case, its verdict and its reason with the\n"
"  numbers, quoted text and file paths taken out.  A kernel then differs\n"
"  when that signature differs from the first kernel's, and the last line\n"
"  reads first different (by reason): 6.12.X (...).  Results: DIR/bisect-<id>/ with\n"
"  bisect.json (every probe's counts and results folder) and one results\n"
"  folder per probe.  Exit status: 0 when a first differing kernel is\n"
"  named, 1 when none in the list differs from the first, 2 for bad usage,\n"
"  a setup error, or when skipped kernels leave the answer open.\n"
"\n"
"Verdicts: PASS and FAIL are what the guest kernel did; BROK means the framework\n"
"could not check (QEMU did not boot, a device did not come up, a fault did not\n"
"fire); SKIP means a requirement is missing here, with the reason.\n"
"\n"
"Exit status: 0 when no case is FAIL or BROK, 1 when one is (with --baseline:\n"
"when one is NEW-FAIL or BROK), 2 for bad usage or a setup error (a one-line\n"
"message says which).  An empty --shard is a run of nothing: 0.\n");
	usage_registries();
}

static int list_main(const struct pmt_options *o)
{
	struct pmt_case *cases;
	char err[512];
	size_t n;

	if (pmt_cases_build(o, &cases, &n, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	if (!n)
		printf("(shard %u/%u holds none of these cases)\n", o->shard_index, o->shard_count);
	for (size_t i = 0; i < n; i++) {
		const struct pmt_case *c = &cases[i];

		printf("%-32s  needs %s, %s mounted -o %s", c->id, pmt_device_name(c->device), c->fs,
		       pmt_case_mount_opts(c)[0] ? pmt_case_mount_opts(c) : "defaults");
		if (c->mkfs_opts)
			printf(", mkfs %s", c->mkfs_opts);
		if (c->inj)
			printf(", injector %s", c->inj->name);
		if (c->kernel)
			printf(", kernel %s", c->kernel->label);
		if (c->params && json_object_object_length(c->params))
			printf(", params %s", json_object_to_json_string_ext(c->params,
									 JSON_C_TO_STRING_PLAIN));
		printf("  %s\n", c->scenario->description);
	}
	pmt_cases_free(cases, n);
	return 0;
}

static int dispatch(struct pmt_options *o, bool behaviour)
{
	switch (o->command) {
	case PMT_CMD_RUN:
		return pmt_run_main(o);
	case PMT_CMD_LIST:
		return list_main(o);
	case PMT_CMD_BENCH:
		return pmt_bench_main(o);
	case PMT_CMD_BISECT:
		return pmt_bisect_main(o);
	case PMT_CMD_MERGE:
		return pmt_merge_main(o);
	case PMT_CMD_REPORT:
		return behaviour ? pmt_report_behaviour_main(o) : pmt_report_main(o);
	case PMT_CMD_VERSION:
		printf("pmtorture %s\n", PMT_VERSION);
		return 0;
	case PMT_CMD_HELP:
	default:
		pmt_usage(o->nargs ? o->args[0] : NULL);
		return 0;
	}
}

int main(int argc, char **argv)
{
	struct pmt_options o;
	char err[512];
	int rc;
	/* report's own switch, taken out of argv before the common options. */
	bool behaviour = pmt_report_take_behaviour(&argc, argv);
	bool finding = pmt_report_take_switch(&argc, argv, "--finding");

	if (pmt_options_parse(argc, argv, &o, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	pmt_verbose = o.verbose;
	pmt_quiet = o.quiet;
	pmt_proc_init();
	/* Issue 9: --kernel/--debian-kernel into the run's kernels (nothing downloads yet). */
	if ((o.command == PMT_CMD_RUN || o.command == PMT_CMD_LIST || o.command == PMT_CMD_BISECT ||
	     o.command == PMT_CMD_BENCH) && pmt_kernels_resolve(&o, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	if (finding && o.command == PMT_CMD_REPORT) {
		if (o.nargs != 1) {
			pmt_err("report --finding takes one case folder (RUN_DIR/cases/NAME)");
			return 2;
		}
		return pmt_finding_main(o.args[0]);
	}
	rc = dispatch(&o, behaviour);
	pmt_kernels_free(o.kernels);
	return rc;
}
