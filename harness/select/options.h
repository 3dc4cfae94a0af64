/* SPDX-License-Identifier: MIT */
/* Command line: `pmtorture COMMAND [OPTIONS]`, parsed into one struct. */
#ifndef PMT_OPTIONS_H
#define PMT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "accel.h"

enum pmt_command {
	PMT_CMD_RUN,
	PMT_CMD_LIST,
	PMT_CMD_BENCH,
	PMT_CMD_MERGE,		/* join shard results into one folder */
	PMT_CMD_REPORT,		/* render report.html from results folders */
	PMT_CMD_BISECT,		/* first kernel of a list whose verdict differs */
	PMT_CMD_HELP,
	PMT_CMD_VERSION,
};

enum pmt_backend {
	PMT_BACKEND_QEMU,	/* qemu-system-x86_64 spawned by the harness */
	PMT_BACKEND_LIBVIRT,	/* a transient domain through libvirt (--connect) */
};

/* One --kernel PATH (with its --modules DIR) or one --debian-kernel SPEC list. */
struct pmt_kernel_arg {
	const char *kernel;		/* --kernel PATH, or NULL */
	const char *modules;		/* the --modules that followed it, or NULL */
	const char *debian;		/* --debian-kernel SPEC[,SPEC...], or NULL */
};

#define PMT_MAX_KERNEL_ARGS 32
/* vCPUs of a guest: --smp and a plan's smp = take 1..PMT_MAX_SMP. */
#define PMT_MAX_SMP 64

struct pmt_kernel_set;

/* One injector parameter from the command line. */
struct pmt_param_arg {
	const char *name;		/* not NUL-terminated: name_len bytes */
	size_t name_len;
	const char *value;
	const char *option;		/* the option that gave it: "param", "crash-at"... */
};

struct pmt_options {
	enum pmt_command command;
	const char *scenarios;		/* comma list of scenario names, or "all" */
	const char *injectors;		/* comma list of injector names, or "all" */
	const char *devices;		/* comma list: virtio-pmem,nvdimm */
	const char *filesystems;	/* comma list: ext4,xfs */
	const char *filter;		/* fnmatch(3) pattern on case ids */
	const char *workloads;		/* comma list of scenario variants, or "all" */
	enum pmt_accel accel;
	const char *kernel;		/* developer's kernel image (the first --kernel), or NULL */
	const char *modules;		/* its lib/modules/VERSION tree */
	/* Every --kernel/--modules pair and --debian-kernel, in the order given
	 * (select/kernels.h); kernels is what they resolve to, or NULL. */
	struct pmt_kernel_arg kernel_args[PMT_MAX_KERNEL_ARGS];
	int nkernel_args;
	struct pmt_kernel_set *kernels;
	const char *image;		/* prebuilt guest image directory */
	const char *results;		/* results root directory */
	const char *qemu;		/* qemu-system-x86_64 binary */
	const char *append;		/* extra guest kernel parameters */
	enum pmt_backend backend;
	const char *connect;		/* libvirt URI for --backend libvirt */
	int boot_timeout_s;
	int cmd_timeout_s;
	int shutdown_timeout_s;
	int kvm_probe_s;		/* how long KVM gets before TCG takes over */
	const char *bisect_by;		/* bisect --by: verdict (default), kind, reason */
	int mem_mb;
	int smp;			/* --smp N: vCPUs of every guest; 0: the plan's, else the scenario's */
	/* --hang-timeout N: seconds a guest command may make no progress before
	 * the case collects hang evidence (case/hang.h); 0: --cmd-timeout. */
	int hang_timeout_s;
	int iterations;			/* bench */
	unsigned long long seed;
	int crash_states;		/* powercut: seeded crash states per crash point */
	/* powercut: checker guests per case, side by side; 0: as many as
	 * the CPUs left by --jobs allow, at most 2 (pmt_checkers_default). */
	int checkers;
	int ops;			/* powercut: operations per workload run */
	const char *replay;		/* replay: a saved crash state image */
	/* Injector parameters, as given: --param NAME=VALUE and the options
	 * that name one (--crash-at V is crash_at=V); checked against the
	 * selected cases' injectors when the cases are built (param.h). */
	struct pmt_param_arg params[32];
	int nparams;
	bool no_snapshot;		/* --no-snapshot: every guest boots cold */
	bool verbose;
	bool quiet;
	const char *plan;		/* --plan NAME|FILE (or list's argument), or NULL */
	int repeat;			/* --repeat N; 0: the plan's (else 1) */
	unsigned int shard_index;	/* --shard i/n: 1-based i ... */
	unsigned int shard_count;	/* ... and n; 0 when not sharded */
	int jobs;			/* --jobs N; 0: from cores and free memory */
	const char *baseline;		/* previous results folder or summary.json */
	const char *expunge;		/* expunge file: known FAILs become XFAIL */
	const char *output;		/* merge: -o DIR; report: --html FILE */
	char **args;			/* positional arguments (list, merge, report) */
	int nargs;
	char *const *argv;		/* the whole command line, for the reports */
	int argc;
};

/* The defaults, before any option: also what --help says they are. */
void pmt_options_defaults(struct pmt_options *o);
/*
 * Parse argv (argv[0] is the program, argv[1] the command).  Returns 0, or
 * -1 with a one-line reason in @err.  Pointers in @o point into argv.
 */
int pmt_options_parse(int argc, char **argv, struct pmt_options *o,
		      char *err, size_t errlen);
const char *pmt_accel_name(enum pmt_accel a);
void pmt_usage(const char *topic);

/*
 * Add injector parameter @name (@name_len bytes) = @value, given by
 * option --@option, to @o.  0, or -1 with a one-line reason (too many).
 */
int pmt_options_add_param(struct pmt_options *o, const char *name, size_t name_len,
			  const char *value, const char *option, char *err, size_t errlen);
/* The value of the last parameter called @name in @o, or NULL. */
const char *pmt_options_param(const struct pmt_options *o, const char *name);

#endif
