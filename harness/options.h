/* SPDX-License-Identifier: MIT */
/* Command line: `pmtorture COMMAND [OPTIONS]`, parsed into one struct. */
#ifndef PMT_OPTIONS_H
#define PMT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

enum pmt_command {
	PMT_CMD_RUN,
	PMT_CMD_LIST,
	PMT_CMD_BENCH,
	PMT_CMD_HELP,
	PMT_CMD_VERSION,
};

enum pmt_accel {
	PMT_ACCEL_AUTO,		/* KVM if it reaches the agent in time, else TCG */
	PMT_ACCEL_KVM,
	PMT_ACCEL_TCG,
};

struct pmt_options {
	enum pmt_command command;
	const char *scenarios;		/* comma list of scenario names, or "all" */
	const char *devices;		/* comma list: virtio-pmem,nvdimm */
	const char *filesystems;	/* comma list: ext4,xfs */
	const char *filter;		/* fnmatch(3) pattern on case ids */
	enum pmt_accel accel;
	const char *kernel;		/* developer's kernel image, or NULL */
	const char *modules;		/* its lib/modules/VERSION tree */
	const char *image;		/* prebuilt guest image directory */
	const char *results;		/* results root directory */
	const char *qemu;		/* qemu-system-x86_64 binary */
	int boot_timeout_s;
	int cmd_timeout_s;
	int shutdown_timeout_s;
	int kvm_probe_s;		/* how long KVM gets before TCG takes over */
	int mem_mb;
	int iterations;			/* bench */
	unsigned long long seed;
	bool verbose;
	bool quiet;
};

void pmt_options_defaults(struct pmt_options *o);
/*
 * Parse argv (argv[0] is the program, argv[1] the command).  Returns 0, or
 * -1 with a one-line reason in @err.  Pointers in @o point into argv.
 */
int pmt_options_parse(int argc, char **argv, struct pmt_options *o,
		      char *err, size_t errlen);
const char *pmt_accel_name(enum pmt_accel a);
void pmt_usage(const char *topic);

#endif
