// SPDX-License-Identifier: MIT
/*
 * The one table of pmtorture's options (option_table.h): what each is,
 * how its value is checked, where it lands, the plan key that says the
 * same, and its --help words.  The setters of the few options that need
 * more than a type (a kernel list, a shard, a saved state) are here too.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "option_table.h"
#include "shard.h"
#include "text.h"
#include "util.h"

#define FIELD(f) offsetof(struct pmt_options, f)

int pmt_options_add_param(struct pmt_options *o, const char *name, size_t name_len,
			  const char *value, const char *option, char *err, size_t errlen)
{
	if (o->nparams == (int)ARRAY_SIZE(o->params))
		return pmt_fail(err, errlen, "--%s: at most %zu injector parameters", option,
				ARRAY_SIZE(o->params));
	o->params[o->nparams++] = (struct pmt_param_arg){
		.name = name, .name_len = name_len, .value = value, .option = option,
	};
	return 0;
}

const char *pmt_options_param(const struct pmt_options *o, const char *name)
{
	size_t n = strlen(name);

	for (int i = o->nparams - 1; i >= 0; i--)
		if (o->params[i].name_len == n && !strncmp(o->params[i].name, name, n))
			return o->params[i].value;
	return NULL;
}


static const char *const accel_names[] = { "auto", "kvm", "tcg", NULL };
static const char *const backend_names[] = { "qemu", "libvirt", NULL };
static const char *const bisect_by_names[] = { "verdict", "kind", "reason", NULL };

/* NAME=VALUE; the value is checked with the cases (param.h). */
static int set_param(struct pmt_options *o, const struct pmt_option *opt, const char *arg,
		     char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return pmt_fail(err, errlen, "--%s takes NAME=VALUE, not \"%s\"", opt->name, arg);
	return pmt_options_add_param(o, arg, (size_t)(eq - arg), eq + 1, opt->name, err, errlen);
}

/*
 * --kernel PATH [--modules DIR], any number of times, and --debian-kernel
 * SPECS: each a kernel argument in order.  --modules belongs to the
 * --kernel just before it.  The first --kernel/--modules are also
 * o->kernel/o->modules, as with one kernel.
 */
static int set_kernel(struct pmt_options *o, const struct pmt_option *opt, const char *arg,
		      char *err, size_t errlen)
{
	struct pmt_kernel_arg *last = o->nkernel_args ? &o->kernel_args[o->nkernel_args - 1] : NULL;

	if (!strcmp(opt->name, "modules")) {
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
		return pmt_fail(err, errlen, "--%s needs a value, not an empty string", opt->name);
	last = &o->kernel_args[o->nkernel_args++];
	if (!strcmp(opt->name, "kernel")) {
		last->kernel = arg;
		if (!o->kernel)
			o->kernel = arg;
	} else {
		last->debian = arg;
	}
	return 0;
}

static int set_shard(struct pmt_options *o, const struct pmt_option *opt, const char *arg,
		     char *err, size_t errlen)
{
	struct pmt_shard sh;

	(void)opt;
	if (pmt_shard_parse(arg, &sh, err, errlen))
		return -1;
	o->shard_index = sh.index;
	o->shard_count = sh.count;
	return 0;
}

/* Checked here: a missing state is bad usage, not a BROK run. */
static int set_replay(struct pmt_options *o, const struct pmt_option *opt, const char *arg,
		      char *err, size_t errlen)
{
	struct stat st;

	(void)opt;
	errno = 0;
	if (stat(arg, &st) || !S_ISREG(st.st_mode))
		return pmt_fail(err, errlen, "--replay %s: %s", arg,
				errno == ENOENT ? "no such file" : "not a regular file");
	o->replay = arg;
	return 0;
}

static int set_seed(struct pmt_options *o, const struct pmt_option *opt, const char *arg,
		    char *err, size_t errlen)
{
	(void)opt;
	if (pmt_parse_seed(arg, &o->seed))
		return pmt_fail(err, errlen, "--seed takes a non-negative number (decimal or 0x hex), "
				"not \"%s\"", arg);
	return 0;
}

const struct pmt_option pmt_option_table[] = {
	/* Selecting cases */
	{ "plan", 'p', "NAME|FILE", PMT_OG_SELECT, PMT_OK_TEXT, FIELD(plan), .min = 1,
	  .help = "a plan: quick (the CI default), nightly, errors, device, or an .ini file "
		  "(harness/select/plan.h); the options below narrow it" },
	{ "scenario", 's', "LIST", PMT_OG_SELECT, PMT_OK_TEXT, FIELD(scenarios), .min = 1,
	  .plan_key = "scenario",
	  .help = "scenarios, comma separated, or \"all\" (default); they are listed under "
		  "\"Scenarios\" below" },
	{ "injector", 0, "LIST", PMT_OG_SELECT, PMT_OK_TEXT, FIELD(injectors), .min = 1,
	  .plan_key = "injector",
	  .help = "only the scenarios that use these injectors (listed under \"Injectors\" below)" },
	{ "param", 0, "NAME=VALUE", PMT_OG_SELECT, PMT_OK_CUSTOM, .set = set_param,
	  .help = "an injector's parameter (see \"Injectors\"), for every selected case whose "
		  "injector has it; a plan section's param.NAME wins over it" },
	{ "device", 'd', "LIST", PMT_OG_SELECT, PMT_OK_TEXT, FIELD(devices), .min = 1,
	  .plan_key = "device", .help = "virtio-pmem,nvdimm (default: both)" },
	{ "fs", 'f', "LIST", PMT_OG_SELECT, PMT_OK_TEXT, FIELD(filesystems), .min = 1,
	  .plan_key = "fs", .help = "ext4,xfs (default: both)" },
	{ "filter", 'F', "GLOB", PMT_OG_SELECT, PMT_OK_TEXT, FIELD(filter),
	  .help = "only cases whose id matches, e.g. 'mapsync:*:xfs'" },
	{ "workload", 'w', "LIST", PMT_OG_SELECT, PMT_OK_TEXT, FIELD(workloads), .min = 1,
	  .plan_key = "workload", .help = "only these workloads (variants) of scenarios that have them" },
	{ "repeat", 0, "N", PMT_OG_SELECT, PMT_OK_INT, FIELD(repeat), 1, 10000,
	  .plan_key = "repeat",
	  .help = "run each case N times (overrides a plan's repeat); the ids of repeats 2.. "
		  "end in #2, #3, ..." },
	{ "shard", 0, "I/N", PMT_OG_SELECT, PMT_OK_CUSTOM, .set = set_shard,
	  .help = "only slice I of N (a stable hash of the case id), for a CI system's parallel "
		  "jobs; join them with `merge`" },
	{ NULL, 0, "OPTS", PMT_OG_SELECT, PMT_OK_TEXT, .plan_key = "mkfs_opts",
	  .help = "mkfs options of a plan section's cases" },
	{ NULL, 0, "OPTS", PMT_OG_SELECT, PMT_OK_TEXT, .plan_key = "mount_opts",
	  .help = "mount options of a plan section's cases" },

	/* Running */
	{ "jobs", 'j', "N", PMT_OG_RUN, PMT_OK_INT, FIELD(jobs), 1, 256,
	  .help = "guests side by side (default: from the CPUs and free memory, each guest its "
		  "vCPUs and --mem + ~200 MB); 1 runs the cases one after the other in this process" },
	{ "baseline", 0, "DIR", PMT_OG_RUN, PMT_OK_TEXT, FIELD(baseline), .min = 1,
	  .help = "a previous run (folder or summary.json): each case is marked NEW-FAIL, "
		  "STILL-FAILING, FIXED or PASS, and the exit status fails only on NEW-FAIL and BROK" },
	{ "expunge", 0, "FILE", PMT_OG_RUN, PMT_OK_TEXT, FIELD(expunge), .min = 1,
	  .help = "known failures: lines 'GLOB  # reason | link'; a FAIL whose id matches "
		  "becomes XFAIL with the reason" },
	{ "by", 0, "RULE", PMT_OG_RUN, PMT_OK_TEXT, FIELD(bisect_by), .choices = bisect_by_names,
	  .help = "bisect: what a kernel is compared by: verdict (default), kind or reason "
		  "(see Bisect below)" },
	{ "iterations", 0, "N", PMT_OG_RUN, PMT_OK_INT, FIELD(iterations), 1, 1000,
	  .help = "bench: how many runs (default 3)" },

	/* Guest */
	{ "kernel", 'k', "PATH", PMT_OG_GUEST, PMT_OK_CUSTOM, .set = set_kernel,
	  .help = "your own kernel (bzImage or vmlinux) instead of Debian's" },
	{ "modules", 'm', "DIR", PMT_OG_GUEST, PMT_OK_CUSTOM, .set = set_kernel,
	  .help = "its modules (lib/modules/VERSION), after its --kernel; several "
		  "--kernel/--modules pairs make a kernel matrix" },
	{ "debian-kernel", 0, "SPEC[,SPEC...]", PMT_OG_GUEST, PMT_OK_CUSTOM, .set = set_kernel,
	  .help = "Debian kernel packages, fetched with apt-get download into build/kernels/ "
		  "(never installed): a series (6.1, 6.12: the newest apt sees), a version "
		  "(6.12.107, 6.1.0-54) or a range A..B (every package from A to B, in version "
		  "order).  With more than one kernel (these and --kernel together) every case "
		  "runs on each, and its id ends in @RELEASE, e.g. "
		  "mapsync:virtio-pmem:ext4@6.12.117+deb12-amd64" },
	{ "image", 'i', "DIR", PMT_OG_GUEST, PMT_OK_TEXT, FIELD(image), .min = 1,
	  .help = "a prebuilt guest image folder (vmlinux + initramfs.cpio)" },
	{ "accel", 'a', "MODE", PMT_OG_GUEST, PMT_OK_CHOICE, FIELD(accel), .choices = accel_names,
	  .help = "auto (default: KVM if a guest reaches the agent within --kvm-probe seconds, "
		  "else TCG for the rest of the run), kvm or tcg" },
	{ "qemu", 0, "PATH", PMT_OG_GUEST, PMT_OK_TEXT, FIELD(qemu), .min = 1,
	  .help = "QEMU binary (default qemu-system-x86_64)" },
	{ "backend", 0, "NAME", PMT_OG_GUEST, PMT_OK_CHOICE, FIELD(backend), .choices = backend_names,
	  .help = "qemu (default: the harness runs QEMU itself) or libvirt (a transient domain "
		  "through a libvirt daemon)" },
	{ "connect", 0, "URI", PMT_OG_GUEST, PMT_OK_TEXT, FIELD(connect), .min = 1,
	  .help = "libvirt daemon for --backend libvirt (default qemu:///system; "
		  "qemu+ssh://HOST/system for a remote host)" },
	{ "mem", 0, "MB", PMT_OG_GUEST, PMT_OK_INT, FIELD(mem_mb), 128, 65536,
	  .help = "guest memory (default 512)" },
	{ "smp", 0, "N", PMT_OG_GUEST, PMT_OK_INT, FIELD(smp), 1, PMT_MAX_SMP, .plan_key = "smp",
	  .help = "vCPUs of every guest (default: a plan's smp =, else 1, 2 for device "
		  "scenarios); a case on other than its scenario's default ends its id in /smpN.  "
		  "TCG runs the vCPUs in parallel (MTTCG)" },
	{ "append", 0, "ARGS", PMT_OG_GUEST, PMT_OK_TEXT, FIELD(append),
	  .help = "extra guest kernel parameters (e.g. 'loglevel=7')" },
	{ "no-snapshot", 0, NULL, PMT_OG_GUEST, PMT_OK_FLAG, FIELD(no_snapshot),
	  .help = "boot every guest cold.  By default (qemu backend) a guest is restored from a "
		  "snapshot of its configuration, taken at agent ready the first time it is "
		  "needed and kept beside the guest image (IMAGE/snapshots, at most 4 GiB); its "
		  "pmem driver is loaded after the restore.  Each case records how its guests "
		  "came up (boot in case.json)" },

	/* Power cuts */
	{ "crash-at", 0, "KIND", PMT_OG_POWERCUT, PMT_OK_PARAM, .param = "crash_at",
	  .help = "where the final cut goes" },
	{ "crash-points", 0, "N|all", PMT_OG_POWERCUT, PMT_OK_PARAM, .param = "crash_points",
	  .help = "check N seeded points (the last always), or all (default)" },
	{ "flush-mode", 0, "MODE", PMT_OG_POWERCUT, PMT_OK_PARAM, .param = "flush_mode",
	  .help = "honest; or a planted device to validate the oracle: lying (acknowledges "
		  "flushes, keeps nothing), drop (drops a burst of 4 flushes mid-workload, then "
		  "honest), drop:burst=B, drop:every=N" },
	{ "crash-states", 0, "N", PMT_OG_POWERCUT, PMT_OK_INT, FIELD(crash_states), 0, 10000,
	  .help = "seeded subsets per point (2), half of them with torn pages, besides "
		  "all-lost, all-kept and all-torn" },
	{ "checkers", 0, "N", PMT_OG_POWERCUT, PMT_OK_INT, FIELD(checkers), 1, 8,
	  .help = "checker guests per case, each walking a share of the points side by side "
		  "(default: 2 when --jobs leaves a CPU for it, else 1); the same states and "
		  "verdicts as one checker" },
	{ "ops", 0, "N", PMT_OG_POWERCUT, PMT_OK_INT, FIELD(ops), 1, 64,
	  .help = "operations per workload run (20)" },
	{ "replay", 0, "STATE.img", PMT_OG_POWERCUT, PMT_OK_CUSTOM, .set = set_replay,
	  .help = "with --scenario replay: check one saved crash state again (the command a "
		  "powercut FAIL prints)" },

	/* Time limits */
	{ "boot-timeout", 0, "S", PMT_OG_LIMITS, PMT_OK_INT, FIELD(boot_timeout_s), 1, 3600,
	  .help = "QEMU start to agent ready (default 60)" },
	{ "cmd-timeout", 0, "S", PMT_OG_LIMITS, PMT_OK_INT, FIELD(cmd_timeout_s), 1, 86400,
	  .help = "each command in the guest (default 300)" },
	{ "shutdown-timeout", 0, "S", PMT_OG_LIMITS, PMT_OK_INT, FIELD(shutdown_timeout_s), 1, 3600,
	  .help = "clean poweroff (default 30)" },
	{ "hang-timeout", 0, "S", PMT_OG_LIMITS, PMT_OK_INT, FIELD(hang_timeout_s), 1, 86400,
	  .help = "a guest command with no answer for S (default: the command timeout) while "
		  "QEMU lives is a hang: FAIL with the blocked tasks' stacks (hang.txt) when the "
		  "guest kernel shows it, else BROK" },
	{ "kvm-probe", 0, "S", PMT_OG_LIMITS, PMT_OK_INT, FIELD(kvm_probe_s), 1, 3600,
	  .help = "how long KVM gets under --accel auto (default 10)" },

	/* Output */
	{ "results", 'r', "DIR", PMT_OG_OUTPUT, PMT_OK_TEXT, FIELD(results), .min = 1,
	  .help = "results root (default ./results); each run writes DIR/<run-id>/ with "
		  "summary.json, events.jsonl, junit.xml, results.tap, report.html and "
		  "cases/<case>/ (console, dmesg, QMP and agent transcripts, the QEMU command "
		  "line); DIR/latest points at the newest run" },
	{ "verbose", 'v', NULL, PMT_OG_OUTPUT, PMT_OK_FLAG, FIELD(verbose),
	  .help = "more messages" },
	{ "quiet", 'q', NULL, PMT_OG_OUTPUT, PMT_OK_FLAG, FIELD(quiet),
	  .help = "only errors and the table" },
	{ "seed", 0, "N", PMT_OG_OUTPUT, PMT_OK_CUSTOM, .set = set_seed, .plan_key = "seed",
	  .help = "seed for randomised choices (recorded in the report; repeat K of a case "
		  "gets N + K - 1)" },
	{ "output", 'o', "DIR", PMT_OG_OUTPUT, PMT_OK_TEXT, FIELD(output), .min = 1,
	  .help = "merge: the merged folder (default DIR/<first run-id>-merged); report "
		  "--behaviour: where behaviour.md/.html go" },
	{ "html", 0, "FILE", PMT_OG_OUTPUT, PMT_OK_TEXT, FIELD(output), .min = 1,
	  .help = "report: where report.html goes (default RUN_DIR/report.html)" },
	{ "help", 'h', NULL, PMT_OG_OUTPUT, PMT_OK_CUSTOM,
	  .help = "this text (also: pmtorture help injectors)" },
	{ NULL },
};

const struct pmt_option *pmt_option_find(const char *name)
{
	for (const struct pmt_option *t = pmt_option_table; t->name || t->plan_key; t++) {
		if (t->name && !strcmp(t->name, name))
			return t;
		if (t->short_name && name[0] == t->short_name && !name[1])
			return t;
	}
	return NULL;
}

const struct pmt_option *pmt_option_by_plan_key(const char *key)
{
	for (const struct pmt_option *t = pmt_option_table; t->name || t->plan_key; t++)
		if (t->plan_key && !strcmp(t->plan_key, key))
			return t;
	return NULL;
}

/* "a, b or c" into @buf. */
static void choices_text(const char *const *choices, char *buf, size_t len)
{
	size_t off = 0;
	int n = 0;

	while (choices[n])
		n++;
	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i == 0 ? "" :
					i == n - 1 ? " or " : ", ", choices[i]);
}

int pmt_option_check(const struct pmt_option *opt, const char *value, char *err, size_t errlen)
{
	char names[160];
	long long v;

	switch (opt->kind) {
	case PMT_OK_INT:
		if (pmt_parse_whole(value, opt->min, opt->max, &v))
			return pmt_fail(err, errlen, "takes a whole number from %lld to %lld, not \"%s\"",
					opt->min, opt->max, value);
		return 0;
	case PMT_OK_TEXT:
	case PMT_OK_CHOICE:
		if (opt->choices) {
			for (int i = 0; opt->choices[i]; i++)
				if (!strcmp(opt->choices[i], value))
					return 0;
			choices_text(opt->choices, names, sizeof(names));
			return pmt_fail(err, errlen, "takes %s, not \"%s\"", names, value);
		}
		if (opt->min && !*value)
			return pmt_fail(err, errlen, "needs a value, not an empty string");
		return 0;
	default:
		return 0;
	}
}

void pmt_option_plan_keys(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct pmt_option *t = pmt_option_table; (t->name || t->plan_key) && off < len; t++)
		if (t->plan_key)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						t->plan_key);
	if (off < len)
		snprintf(buf + off, len - off, "%sparam.NAME", off ? ", " : "");
}

static const char *const group_titles[PMT_OG_COUNT] = {
	[PMT_OG_SELECT] = "Selecting cases (a case is scenario[:workload]:device:fs[#repeat]):",
	[PMT_OG_RUN] = "Running:",
	[PMT_OG_GUEST] = "Guest:",
	[PMT_OG_POWERCUT] = "Power cuts (scenario powercut; the workload runs once, every host "
			    "flush after mount is a persistence point, checked in crash states: "
			    "the durable image there plus all, none, torn or seeded subsets of "
			    "the next flush's pages):",
	[PMT_OG_LIMITS] = "Time limits, in seconds (a limit that runs out is a BROK naming the "
			  "phase):",
	[PMT_OG_OUTPUT] = "Output:",
};

#define HELP_COLUMN	24
#define HELP_WIDTH	80

/* @text from column @col, wrapped at HELP_WIDTH, continued lines at @indent. */
static void wrap(FILE *out, const char *text, int col, int indent)
{
	char spaces[HELP_COLUMN + 1];

	snprintf(spaces, sizeof(spaces), "%*s", indent, "");
	pmt_wrap(out, text, (size_t)col, spaces, HELP_WIDTH);
}

void pmt_option_help(FILE *out)
{
	for (int g = 0; g < PMT_OG_COUNT; g++) {
		fputc('\n', out);
		wrap(out, group_titles[g], 0, 0);
		for (const struct pmt_option *t = pmt_option_table; t->name || t->plan_key; t++) {
			char head[64];
			int n;

			if (t->group != (enum pmt_option_group)g || !t->name)
				continue;
			if (t->short_name)
				n = snprintf(head, sizeof(head), "  -%c, --%s%s%s", t->short_name, t->name,
					     t->metavar ? " " : "", t->metavar ? t->metavar : "");
			else
				n = snprintf(head, sizeof(head), "      --%s%s%s", t->name,
					     t->metavar ? " " : "", t->metavar ? t->metavar : "");
			fputs(head, out);
			if (n + 2 > HELP_COLUMN) {
				fprintf(out, "\n%*s", HELP_COLUMN, "");
				n = HELP_COLUMN;
			} else {
				fprintf(out, "%*s", HELP_COLUMN - n, "");
				n = HELP_COLUMN;
			}
			if (t->kind == PMT_OK_PARAM) {
				char text[512];

				/* Its values are written once: in the injector's table. */
				snprintf(text, sizeof(text), "%s (the same as --param %s=...; see "
					 "\"Injectors\" below)", t->help, t->param);
				wrap(out, text, n, HELP_COLUMN);
			} else {
				wrap(out, t->help, n, HELP_COLUMN);
			}
		}
	}
}
