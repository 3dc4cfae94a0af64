// SPDX-License-Identifier: MIT
/*
 * `pmtorture COMMAND [OPTIONS]` into struct pmt_options.  Which options
 * there are, their values' checks and where they land is the one table of
 * option_table.c; this file is the command, getopt's loop over that table
 * and the checks that look at more than one option.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_probe.h"
#include "option_table.h"
#include "options.h"
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
	o->crash_states = 2;
	o->ops = 20;
}

const char *pmt_accel_name(enum pmt_accel a)
{
	switch (a) {
	case PMT_ACCEL_KVM: return "kvm";
	case PMT_ACCEL_TCG: return "tcg";
	default: return "auto";
	}
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

/* A table entry's value into its field of @o.  0, or -1 with @err. */
static int take(struct pmt_options *o, const struct pmt_option *t, const char *arg,
		char *err, size_t errlen)
{
	char why[256];
	char *field = (char *)o + t->offset;
	long long v;

	if (t->kind == PMT_OK_CUSTOM)
		return t->set(o, t, arg, err, errlen);
	if (t->kind == PMT_OK_FLAG) {
		*(bool *)field = true;
		return 0;
	}
	if (t->kind == PMT_OK_PARAM)
		return pmt_options_add_param(o, t->param, strlen(t->param), arg,
					     t->name, err, errlen);
	if (pmt_option_check(t, arg, why, sizeof(why)))
		return pmt_fail(err, errlen, "--%s %s", t->name, why);
	switch (t->kind) {
	case PMT_OK_INT:
		pmt_parse_whole(arg, t->min, t->max, &v);
		*(int *)field = (int)v;
		break;
	case PMT_OK_CHOICE:
		for (int i = 0; t->choices[i]; i++)
			if (!strcmp(t->choices[i], arg))
				*(int *)field = i;
		break;
	default:
		*(const char **)field = arg;
		break;
	}
	return 0;
}

/*
 * getopt's long_opts[] and short string from the table: each long option
 * returns 256 + its index in the table, a short one its letter.
 */
static size_t build_getopt(struct option *longs, size_t nlongs, char *shorts, size_t slen)
{
	size_t n = 0, k = 0;

	shorts[k++] = ':';	/* a missing value is ':', not '?' */
	for (size_t i = 0; pmt_option_table[i].name || pmt_option_table[i].plan_key; i++) {
		const struct pmt_option *t = &pmt_option_table[i];

		if (!t->name || n + 1 >= nlongs)
			continue;
		longs[n++] = (struct option){ t->name, t->metavar ? required_argument : no_argument,
					      NULL, 256 + (int)i };
		if (t->short_name && k + 3 < slen) {
			shorts[k++] = (char)t->short_name;
			if (t->metavar)
				shorts[k++] = ':';
		}
	}
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[k] = '\0';
	return n;
}

/* What no one option can check alone: lists, a state's filesystem, pairs. */
static int check_together(struct pmt_options *o, bool fs_given, char *err, size_t errlen)
{
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

int pmt_options_parse(int argc, char **argv, struct pmt_options *o,
		      char *err, size_t errlen)
{
	struct option longs[96];
	char shorts[64];
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

	build_getopt(longs, ARRAY_SIZE(longs), shorts, sizeof(shorts));
	optind = 0;	/* glibc: full re-initialisation, so parse can run twice */
	opterr = 0;	/* we print our own one-line errors */
	while ((c = getopt_long(argc - 1, argv + 1, shorts, longs, NULL)) != -1) {
		const struct pmt_option *t = NULL;

		if (c >= 256) {
			t = &pmt_option_table[c - 256];
		} else if (c != ':' && c != '?') {
			char letter[2] = { (char)c, '\0' };

			t = pmt_option_find(letter);
		}
		if (t && t->short_name == 'h') {
			o->command = PMT_CMD_HELP;
			return 0;
		}
		if (t) {
			if (take(o, t, optarg, err, errlen))
				return -1;
			fs_given |= t == pmt_option_find("fs");
			continue;
		}
		if (c == ':')
			return pmt_fail(err, errlen, "option %s needs a value", argv[optind]);
		if (optopt)
			return pmt_fail(err, errlen, "unknown option -%c (try: pmtorture help)", optopt);
		return pmt_fail(err, errlen, "unknown option %s (try: pmtorture help)", argv[optind]);
	}
	o->args = argv + 1 + optind;
	o->nargs = argc - 1 - optind;
	o->argv = argv;
	o->argc = argc;
	if (check_positional(o, err, errlen))
		return -1;
	return check_together(o, fs_given, err, errlen);
}
