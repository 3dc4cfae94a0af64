// SPDX-License-Identifier: MIT
/* pmtorture: fault injection and crash consistency for Linux persistent memory. */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "log.h"
#include "options.h"
#include "proc.h"
#include "runner.h"
#include "vm.h"

#define PMT_VERSION "0.1.0"

void pmt_usage(const char *topic)
{
	(void)topic;
	printf(
"pmtorture " PMT_VERSION " - fault injection and crash consistency for Linux\n"
"persistent memory (virtio-pmem, with an emulated ACPI NVDIMM as the control)\n"
"inside QEMU guests.\n"
"\n"
"Usage: pmtorture COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  run        boot a guest per case, run it, print the verdict table\n"
"  list       print the cases the options select, boot nothing\n"
"  bench      print boot and case timings on this machine\n"
"  help       this text\n"
"  version    print the version\n"
"\n"
"Selecting cases (a case is scenario:device:fs):\n"
"  -s, --scenario LIST   scenarios, comma separated, or \"all\" (default)\n"
"  -d, --device LIST     virtio-pmem,nvdimm (default: both)\n"
"  -f, --fs LIST         ext4,xfs (default: both)\n"
"  -F, --filter GLOB     only cases whose id matches, e.g. 'mapsync:*:xfs'\n"
"\n"
"Guest:\n"
"  -k, --kernel PATH     your own kernel (bzImage or vmlinux) instead of Debian's\n"
"  -m, --modules DIR     its modules (lib/modules/VERSION); needs --kernel\n"
"  -i, --image DIR       a prebuilt guest image folder (vmlinux + initramfs.cpio)\n"
"  -a, --accel MODE      auto (default: KVM if a guest reaches the agent within\n"
"                        --kvm-probe seconds, else TCG for the rest of the run),\n"
"                        kvm or tcg\n"
"      --qemu PATH       QEMU binary (default qemu-system-x86_64)\n"
"      --mem MB          guest memory (default 512)\n"
"\n"
"Time limits, in seconds (a limit that runs out is a BROK naming the phase):\n"
"      --boot-timeout S      QEMU start to agent ready (default 60)\n"
"      --cmd-timeout S       each command in the guest (default 300)\n"
"      --shutdown-timeout S  clean poweroff (default 30)\n"
"      --kvm-probe S         how long KVM gets under --accel auto (default 10)\n"
"\n"
"Output:\n"
"  -r, --results DIR     results root (default ./results); each run writes\n"
"                        DIR/<run-id>/ with summary.json, events.jsonl, junit.xml,\n"
"                        results.tap and cases/<case>/ (console, dmesg, QMP and\n"
"                        agent transcripts, the QEMU command line); DIR/latest\n"
"                        points at the newest run\n"
"  -v, --verbose         more messages;  -q, --quiet  only errors and the table\n"
"      --seed N          seed for randomised choices (recorded in the report)\n"
"      --iterations N    bench: how many runs (default 3)\n"
"\n"
"Verdicts: PASS and FAIL are what the guest kernel did; BROK means the framework\n"
"could not check (QEMU did not boot, a device did not come up, a fault did not\n"
"fire); SKIP means a requirement is missing here, with the reason.\n"
"\n"
"Exit status: 0 when no case is FAIL or BROK, 1 when one is, 2 for bad usage\n"
"or a setup error (a one-line message says which).\n");
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
	for (size_t i = 0; i < n; i++)
		printf("%-32s  needs %s, %s mounted -o %s  %s\n", cases[i].id,
		       pmt_device_name(cases[i].device), cases[i].fs, cases[i].scenario->mount_opts,
		       cases[i].scenario->description);
	pmt_cases_free(cases, n);
	return 0;
}

int main(int argc, char **argv)
{
	struct pmt_options o;
	char err[512];

	if (pmt_options_parse(argc, argv, &o, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	pmt_verbose = o.verbose;
	pmt_quiet = o.quiet;
	pmt_proc_init();
	switch (o.command) {
	case PMT_CMD_RUN:
		return pmt_run_main(&o);
	case PMT_CMD_LIST:
		return list_main(&o);
	case PMT_CMD_BENCH:
		return pmt_bench_main(&o);
	case PMT_CMD_VERSION:
		printf("pmtorture %s\n", PMT_VERSION);
		return 0;
	case PMT_CMD_HELP:
	default:
		pmt_usage(NULL);
		return 0;
	}
}
