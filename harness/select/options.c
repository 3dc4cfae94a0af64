// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_probe.h"
#include "options.h"
#include "shard.h"
#include "util.h"

static const char *const known_devices[] = { "virtio-pmem", "nvdimm" };
static const char *const known_fs[] = { "ext4", "xfs" };

void pmt_options_defaults(struct pmt_options *o)
{
	memset(o, 0, sizeof(*o));
	o->command = PMT_CMD_HELP;
	o->scenarios = "all";
	o->injectors = "all";
	o->devices = "virtio-pmem,nvdimm";
	o->filesystems = "ext4,xfs";
	o->workloads = "all";
	o->accel = PMT_ACCEL_AUTO;
	o->results = "results";
	o->qemu = "qemu-system-x86_64";
	o->backend = PMT_BACKEND_QEMU;
	o->connect = "qemu:///system";
	o->boot_timeout_s = 60;
	o->cmd_timeout_s = 300;
	o->shutdown_timeout_s = 30;
	o->kvm_probe_s = 10;
	o->mem_mb = 512;
	o->iterations = 3;
	o->seed = 1;
	o->flush_mode = "honest";
	o->crash_states = 2;
	o->crash_points = 0;
	o->ops = 20;
	o->crash_at = "end";
}

const char *pmt_accel_name(enum pmt_accel a)
{
	switch (a) {
	case PMT_ACCEL_KVM: return "kvm";
	case PMT_ACCEL_TCG: return "tcg";
	default: return "auto";
	}
}

static int parse_int(const char *opt, const char *s, int min, int max, int *out,
		     char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	/* Digits only (a '-' where min allows it): no white space, no '+'. */
	if (errno || end == s || *end || v < min || v > max ||
	    !((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return pmt_fail(err, errlen, "%s takes a whole number from %d to %d, not \"%s\"",
			    opt, min, max, s);
	*out = (int)v;
	return 0;
}

/* Every item of comma list @list must be one of @known. */
static int check_list(const char *opt, const char *list, const char *const *known,
		      size_t nknown, char *err, size_t errlen)
{
	const char *p = list;

	if (!*list)
		return pmt_fail(err, errlen, "%s needs at least one name", opt);
	while (p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t i;

		for (i = 0; i < nknown; i++)
			if (strlen(known[i]) == len && !strncmp(known[i], p, len))
				break;
		if (i == nknown) {
			char names[256] = "";

			for (i = 0; i < nknown; i++) {
				strncat(names, i ? ", " : "", sizeof(names) - strlen(names) - 1);
				strncat(names, known[i], sizeof(names) - strlen(names) - 1);
			}
			return pmt_fail(err, errlen, "%s: unknown name \"%.*s\" (known: %s)",
				    opt, (int)len, p, names);
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* list takes an optional PLAN, merge and report one folder or more. */
static int check_positional(struct pmt_options *o, char *err, size_t errlen)
{
	switch (o->command) {
	case PMT_CMD_LIST:
		if (o->nargs > 1)
			return pmt_fail(err, errlen, "unexpected argument \"%s\"", o->args[1]);
		if (o->nargs == 1 && o->plan)
			return pmt_fail(err, errlen, "list takes a plan or --plan, not both");
		if (o->nargs == 1)
			o->plan = o->args[0];
		return 0;
	case PMT_CMD_HELP:
		/* `help injectors`: the injectors and their parameters alone. */
		if (o->nargs > 1 || (o->nargs == 1 && strcmp(o->args[0], "injectors")))
			return pmt_fail(err, errlen, "help takes nothing or \"injectors\", not \"%s\"",
				    o->args[o->nargs > 1]);
		return 0;
	case PMT_CMD_MERGE:
	case PMT_CMD_REPORT:
		if (!o->nargs)
			return pmt_fail(err, errlen, "%s needs at least one results folder",
				    o->command == PMT_CMD_MERGE ? "merge" : "report");
		return 0;
	default:
		if (o->nargs)
			return pmt_fail(err, errlen, "unexpected argument \"%s\"", o->args[0]);
		return 0;
	}
}

static const struct {
	const char *name;
	enum pmt_command cmd;
} commands[] = {
	{ "run", PMT_CMD_RUN },
	{ "list", PMT_CMD_LIST },
	{ "bench", PMT_CMD_BENCH },
	{ "merge", PMT_CMD_MERGE },
	{ "report", PMT_CMD_REPORT },
	{ "bisect", PMT_CMD_BISECT },
	{ "help", PMT_CMD_HELP },
	{ "version", PMT_CMD_VERSION },
};

enum {
	OPT_BOOT_TIMEOUT = 256,
	OPT_CMD_TIMEOUT,
	OPT_SHUTDOWN_TIMEOUT,
	OPT_KVM_PROBE,
	OPT_BY,
	OPT_QEMU,
	OPT_BACKEND,
	OPT_CONNECT,
	OPT_MEM,
	OPT_SMP,
	OPT_HANG_TIMEOUT,
	OPT_ITERATIONS,
	OPT_SEED,
	OPT_APPEND,
	OPT_NO_SNAPSHOT,
	OPT_FLUSH_MODE,
	OPT_CRASH_STATES,
	OPT_CHECKERS,
	OPT_OPS,
	OPT_REPLAY,
	OPT_CRASH_AT,
	OPT_CRASH_POINTS,
	OPT_REPEAT,
	OPT_SHARD,
	OPT_JOBS,
	OPT_BASELINE,
	OPT_EXPUNGE,
	OPT_HTML,
	OPT_PARAM,
	OPT_DEBIAN_KERNEL,
};

static const struct option long_opts[] = {
	{ "scenario", required_argument, NULL, 's' },
	/* The scenarios that use these injectors (injectors/registry.c). */
	{ "injector", required_argument, NULL, 'I' },
	{ "param", required_argument, NULL, OPT_PARAM },
	{ "device", required_argument, NULL, 'd' },
	{ "fs", required_argument, NULL, 'f' },
	{ "filter", required_argument, NULL, 'F' },
	{ "workload", required_argument, NULL, 'w' },
	{ "accel", required_argument, NULL, 'a' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "modules", required_argument, NULL, 'm' },
	{ "debian-kernel", required_argument, NULL, OPT_DEBIAN_KERNEL },
	{ "image", required_argument, NULL, 'i' },
	{ "results", required_argument, NULL, 'r' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT },
	{ "cmd-timeout", required_argument, NULL, OPT_CMD_TIMEOUT },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "kvm-probe", required_argument, NULL, OPT_KVM_PROBE },
	{ "by", required_argument, NULL, OPT_BY },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "smp", required_argument, NULL, OPT_SMP },
	{ "hang-timeout", required_argument, NULL, OPT_HANG_TIMEOUT },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "no-snapshot", no_argument, NULL, OPT_NO_SNAPSHOT },
	{ "flush-mode", required_argument, NULL, OPT_FLUSH_MODE },
	{ "crash-states", required_argument, NULL, OPT_CRASH_STATES },
	{ "checkers", required_argument, NULL, OPT_CHECKERS },
	{ "ops", required_argument, NULL, OPT_OPS },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "crash-at", required_argument, NULL, OPT_CRASH_AT },
	{ "crash-points", required_argument, NULL, OPT_CRASH_POINTS },
	{ "plan", required_argument, NULL, 'p' },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "jobs", required_argument, NULL, 'j' },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "expunge", required_argument, NULL, OPT_EXPUNGE },
	{ "output", required_argument, NULL, 'o' },
	{ "html", required_argument, NULL, OPT_HTML },
	{ NULL, 0, NULL, 0 },
};

/*
 * --kernel PATH [--modules DIR], any number of times, and --debian-kernel
 * SPECS: each a kernel argument in order.  --modules belongs to the
 * --kernel just before it.  The first --kernel/--modules are also
 * o->kernel/o->modules, as with one kernel.
 */
static int kernel_arg(struct pmt_options *o, int c, const char *arg, char *err, size_t errlen)
{
	struct pmt_kernel_arg *last = o->nkernel_args ? &o->kernel_args[o->nkernel_args - 1] : NULL;

	if (c == 'm') {
		if (!last || !last->kernel)
			return pmt_fail(err, errlen, "--modules %s needs --kernel PATH before it", arg);
		if (last->modules)
			return pmt_fail(err, errlen, "--kernel %s has two --modules", last->kernel);
		last->modules = arg;
		if (last->kernel == o->kernel)	/* the same argv string: the first --kernel */
			o->modules = arg;
		return 0;
	}
	if (o->nkernel_args == PMT_MAX_KERNEL_ARGS)
		return pmt_fail(err, errlen, "at most %d --kernel and --debian-kernel options",
			    PMT_MAX_KERNEL_ARGS);
	if (!*arg)
		return pmt_fail(err, errlen, "%s needs a value, not an empty string",
			    c == 'k' ? "--kernel" : "--debian-kernel");
	last = &o->kernel_args[o->nkernel_args++];
	if (c == 'k') {
		last->kernel = arg;
		if (!o->kernel)
			o->kernel = arg;
	} else {
		last->debian = arg;
	}
	return 0;
}

bool pmt_flush_mode_valid(const char *m)
{
	long long v;
	char tail;

	if (!strcmp(m, "honest") || !strcmp(m, "lying") || !strcmp(m, "drop"))
		return true;
	return (sscanf(m, "drop:burst=%lld%c", &v, &tail) == 1 ||
		sscanf(m, "drop:every=%lld%c", &v, &tail) == 1) && v > 0 && v < 1000000;
}

int pmt_options_parse(int argc, char **argv, struct pmt_options *o,
		      char *err, size_t errlen)
{
	bool fs_given = false;
	size_t i;
	int c;

	pmt_options_defaults(o);
	if (argc < 2)
		return 0;	/* no command: help */
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return 0;
	if (!strcmp(argv[1], "--version")) {
		o->command = PMT_CMD_VERSION;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands))
		return pmt_fail(err, errlen, "unknown command \"%s\" (try: pmtorture help)", argv[1]);
	o->command = commands[i].cmd;

	optind = 0;	/* glibc: full re-initialisation, so parse can run twice */
	opterr = 0;	/* we print our own one-line errors */
	while ((c = getopt_long(argc - 1, argv + 1, ":s:d:f:F:w:a:k:m:i:r:j:o:p:vqh",
				long_opts, NULL)) != -1) {
		switch (c) {
		case 's': o->scenarios = optarg; break;
		case 'I': o->injectors = optarg; break;
		case OPT_PARAM:
			/* NAME=VALUE; the value is checked with the cases (param.h). */
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return pmt_fail(err, errlen, "--param takes NAME=VALUE, not \"%s\"", optarg);
			if (o->nparams == (int)ARRAY_SIZE(o->params))
				return pmt_fail(err, errlen, "--param: at most %zu of them",
					    ARRAY_SIZE(o->params));
			o->params[o->nparams++] = optarg;
			break;
		case 'd': o->devices = optarg; break;
		case 'f':
			o->filesystems = optarg;
			fs_given = true;
			break;
		case 'F': o->filter = optarg; break;
		case 'w': o->workloads = optarg; break;
		case 'k':
		case 'm':
		case OPT_DEBIAN_KERNEL:
			if (kernel_arg(o, c, optarg, err, errlen))
				return -1;
			break;
		case 'i': o->image = optarg; break;
		case 'r':
			/* "" would make the run folder "/<run-id>". */
			if (!*optarg)
				return pmt_fail(err, errlen, "--results needs a folder, not an empty string");
			o->results = optarg;
			break;
		case 'v': o->verbose = true; break;
		case 'q': o->quiet = true; break;
		case 'h': o->command = PMT_CMD_HELP; return 0;
		case OPT_QEMU: o->qemu = optarg; break;
		case OPT_APPEND: o->append = optarg; break;
		case OPT_NO_SNAPSHOT: o->no_snapshot = true; break;
		case OPT_FLUSH_MODE:
			if (!pmt_flush_mode_valid(optarg))
				return pmt_fail(err, errlen, "--flush-mode takes honest, lying, drop, "
					    "drop:burst=B or drop:every=N, not \"%s\"", optarg);
			o->flush_mode = optarg;
			break;
		case OPT_CRASH_POINTS:
			if (!strcmp(optarg, "all"))
				o->crash_points = 0;
			else if (parse_int("--crash-points", optarg, 1, 100000, &o->crash_points,
					   err, errlen))
				return -1;
			break;
		case OPT_CHECKERS:
			if (parse_int("--checkers", optarg, 1, 8, &o->checkers, err, errlen))
				return -1;
			break;
		case OPT_CRASH_STATES:
			if (parse_int("--crash-states", optarg, 0, 10000, &o->crash_states, err, errlen))
				return -1;
			break;
		case OPT_REPLAY: {
			struct stat st;

			/* Checked here: a missing state is bad usage, not a BROK run. */
			errno = 0;
			if (stat(optarg, &st) || !S_ISREG(st.st_mode))
				return pmt_fail(err, errlen, "--replay %s: %s", optarg,
					    errno == ENOENT ? "no such file" : "not a regular file");
			o->replay = optarg;
			break;
		}
		case OPT_CRASH_AT:
			if (strcmp(optarg, "end") && strcmp(optarg, "op") && strcmp(optarg, "flush") &&
			    strcmp(optarg, "flush-mid") && strcmp(optarg, "time"))
				return pmt_fail(err, errlen, "--crash-at takes end, op, flush, flush-mid or time, "
					    "not \"%s\"", optarg);
			o->crash_at = optarg;
			break;
		case OPT_OPS:
			if (parse_int("--ops", optarg, 1, 64, &o->ops, err, errlen))
				return -1;
			break;
		case 'p': o->plan = optarg; break;
		case OPT_BASELINE: o->baseline = optarg; break;
		case OPT_EXPUNGE: o->expunge = optarg; break;
		case 'o':
		case OPT_HTML: o->output = optarg; break;
		case OPT_REPEAT:
			if (parse_int("--repeat", optarg, 1, 10000, &o->repeat, err, errlen))
				return -1;
			break;
		case 'j':
			if (parse_int("--jobs", optarg, 1, 256, &o->jobs, err, errlen))
				return -1;
			break;
		case OPT_SHARD: {
			struct pmt_shard sh;

			if (pmt_shard_parse(optarg, &sh, err, errlen))
				return -1;
			o->shard_index = sh.index;
			o->shard_count = sh.count;
			break;
		}
		case OPT_CONNECT: o->connect = optarg; break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "qemu"))
				o->backend = PMT_BACKEND_QEMU;
			else if (!strcmp(optarg, "libvirt"))
				o->backend = PMT_BACKEND_LIBVIRT;
			else
				return pmt_fail(err, errlen, "--backend takes qemu or libvirt, not \"%s\"",
					    optarg);
			break;
		case 'a':
			if (!strcmp(optarg, "auto"))
				o->accel = PMT_ACCEL_AUTO;
			else if (!strcmp(optarg, "kvm"))
				o->accel = PMT_ACCEL_KVM;
			else if (!strcmp(optarg, "tcg"))
				o->accel = PMT_ACCEL_TCG;
			else
				return pmt_fail(err, errlen, "--accel takes auto, kvm or tcg, not \"%s\"",
					    optarg);
			break;
		case OPT_BOOT_TIMEOUT:
			if (parse_int("--boot-timeout", optarg, 1, 3600, &o->boot_timeout_s, err, errlen))
				return -1;
			break;
		case OPT_CMD_TIMEOUT:
			if (parse_int("--cmd-timeout", optarg, 1, 86400, &o->cmd_timeout_s, err, errlen))
				return -1;
			break;
		case OPT_SHUTDOWN_TIMEOUT:
			if (parse_int("--shutdown-timeout", optarg, 1, 3600, &o->shutdown_timeout_s,
				      err, errlen))
				return -1;
			break;
		case OPT_BY:
			if (strcmp(optarg, "verdict") && strcmp(optarg, "kind") && strcmp(optarg, "reason"))
				return pmt_fail(err, errlen, "--by takes verdict, kind or reason, not \"%s\"",
					    optarg);
			o->bisect_by = optarg;
			break;
		case OPT_KVM_PROBE:
			if (parse_int("--kvm-probe", optarg, 1, 3600, &o->kvm_probe_s, err, errlen))
				return -1;
			break;
		case OPT_MEM:
			if (parse_int("--mem", optarg, 128, 65536, &o->mem_mb, err, errlen))
				return -1;
			break;
		case OPT_SMP:
			if (parse_int("--smp", optarg, 1, PMT_MAX_SMP, &o->smp, err, errlen))
				return -1;
			break;
		case OPT_HANG_TIMEOUT:
			if (parse_int("--hang-timeout", optarg, 1, 86400, &o->hang_timeout_s, err, errlen))
				return -1;
			break;
		case OPT_ITERATIONS:
			if (parse_int("--iterations", optarg, 1, 1000, &o->iterations, err, errlen))
				return -1;
			break;
		case OPT_SEED: {
			char *end;

			errno = 0;
			/* strtoull skips white space and takes a sign: " -1" is 2^64-1. */
			o->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || !(optarg[0] >= '0' && optarg[0] <= '9'))
				return pmt_fail(err, errlen, "--seed takes a non-negative number, not \"%s\"",
					    optarg);
			break;
		}
		case ':':
			return pmt_fail(err, errlen, "option %s needs a value", argv[optind]);
		default:
			if (optopt)
				return pmt_fail(err, errlen, "unknown option -%c (try: pmtorture help)", optopt);
			return pmt_fail(err, errlen, "unknown option %s (try: pmtorture help)",
				    argv[optind]);
		}
	}
	o->args = argv + 1 + optind;
	o->nargs = argc - 1 - optind;
	o->argv = argv;
	o->argc = argc;
	if (check_positional(o, err, errlen))
		return -1;
	if (check_list("--device", o->devices, known_devices, ARRAY_SIZE(known_devices),
		       err, errlen) ||
	    check_list("--fs", o->filesystems, known_fs, ARRAY_SIZE(known_fs), err, errlen))
		return -1;
	if (o->replay) {
		/* A state knows its filesystem: a mismatching --fs is a usage
		 * error (never a FAIL claiming a kernel bug); none takes it. */
		const char *fs = pmt_fs_of_image(o->replay);

		if (!fs)
			return pmt_fail(err, errlen, "--replay %s: no ext4 or xfs superblock in it",
				    o->replay);
		if (fs_given && strcmp(o->filesystems, fs))
			return pmt_fail(err, errlen, "--replay %s holds %s, not %s (--fs)", o->replay,
				    fs, o->filesystems);
		o->filesystems = fs;
	}
	if (o->modules && !o->kernel)
		return pmt_fail(err, errlen, "--modules needs --kernel");
	if (o->image && o->nkernel_args)
		return pmt_fail(err, errlen, "--image and --%s exclude each other",
			    o->kernel ? "kernel" : "debian-kernel");
	if (o->verbose && o->quiet)
		return pmt_fail(err, errlen, "--verbose and --quiet exclude each other");
	return 0;
}
