// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_setup.h"
#include "image.h"
#include "json_util.h"
#include "log.h"
#include "proc.h"
#include "report.h"
#include "results.h"
#include "runner.h"
#include "util.h"

#define PMEM_SIZE	(512ULL << 20)	/* xfsprogs refuses filesystems under 300 MB */
#define KERNEL_CMDLINE	"console=ttyS0 panic=-1 quiet"

/* What --accel auto found, kept for the whole process (bench runs several sessions). */
static enum pmt_accel decided_accel = PMT_ACCEL_AUTO;

struct runner {
	const struct pmt_options *opt;
	struct pmt_image img;
	enum pmt_accel accel;		/* AUTO until the first boot decides */
	char rundir[PATH_MAX];
	char qemu_version[64];
};

int pmt_cases_build(const struct pmt_options *o, struct pmt_case **cases, size_t *n,
		    char *err, size_t errlen)
{
	size_t cap = 0, count = 0;
	struct pmt_case *list = NULL;

	/* Unknown scenario names are an error, before anything boots. */
	if (strcmp(o->scenarios, "all")) {
		char *copy = strdup(o->scenarios), *save = NULL;

		for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
			if (!pmt_scenario_find(s)) {
				snprintf(err, errlen, "--scenario: unknown scenario \"%s\" (see: pmtorture list)", s);
				free(copy);
				return -1;
			}
		}
		free(copy);
	}
	for (int i = 0; pmt_scenarios[i]; i++) {
		const struct pmt_scenario *s = pmt_scenarios[i];

		if (strcmp(o->scenarios, "all") && !pmt_list_has(o->scenarios, s->name))
			continue;
		for (int d = 0; d < PMT_NR_DEVICE_KINDS; d++) {
			if (!(s->devices & PMT_DEVICE_BIT(d)) ||
			    !pmt_list_has(o->devices, pmt_device_name(d)))
				continue;
			for (int f = 0; s->filesystems[f]; f++) {
				struct pmt_case *c;

				if (!pmt_list_has(o->filesystems, s->filesystems[f]))
					continue;
				if (count == cap) {
					cap = cap ? cap * 2 : 8;
					list = realloc(list, cap * sizeof(*list));
				}
				c = &list[count];
				memset(c, 0, sizeof(*c));
				c->scenario = s;
				c->device = d;
				c->fs = s->filesystems[f];
				snprintf(c->id, sizeof(c->id), "%s:%s:%s", s->name,
					 pmt_device_name(d), c->fs);
				if (o->filter && fnmatch(o->filter, c->id, 0))
					continue;
				c->opt = o;
				count++;
			}
		}
	}
	if (!count) {
		free(list);
		snprintf(err, errlen, "no case matches the selection (see: pmtorture list)");
		return -1;
	}
	*cases = list;
	*n = count;
	return 0;
}

void pmt_cases_free(struct pmt_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_object_put(cases[i].details);
		json_object_put(cases[i].notes);
	}
	free(cases);
}

/* Run folders of harnesses that were SIGKILLed: their QEMU died with them. */
static void sweep_stale_rundirs(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		int pid;

		if (sscanf(e->d_name, "pmtorture-run.%d", &pid) != 1 || pid == getpid())
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (pmt_fmt(path, sizeof(path), "%s/%s", tmp, e->d_name) == 0)
			pmt_rm_rf(path);
	}
	closedir(d);
}

static int make_rundir(struct runner *r, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	sweep_stale_rundirs(tmp);
	if (pmt_fmt(r->rundir, sizeof(r->rundir), "%s/pmtorture-run.%d", tmp, (int)getpid()) ||
	    mkdir(r->rundir, 0700)) {
		snprintf(err, errlen, "cannot create the run folder %s: %s", r->rundir, strerror(errno));
		return -1;
	}
	pmt_cleanup_register(r->rundir, 1);
	return 0;
}

static int make_backing_file(const char *path, unsigned long long size, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		snprintf(err, errlen, "backing file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	pmt_cleanup_register(path, 0);
	return 0;
}

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void record_qemu_version(struct runner *r, struct pmt_vm *vm)
{
	struct json_object *ret = NULL, *q;
	char err[128];

	if (r->qemu_version[0] || !vm->qmp_up)
		return;
	if (pmt_qmp_execute(&vm->qmp, "query-version", NULL, &ret, pmt_now_ms() + 5000,
			    err, sizeof(err)) == 0 && json_object_object_get_ex(ret, "qemu", &q))
		snprintf(r->qemu_version, sizeof(r->qemu_version), "%d.%d.%d",
			 pmt_json_int(q, "major", 0), pmt_json_int(q, "minor", 0),
			 pmt_json_int(q, "micro", 0));
	json_object_put(ret);
}

/*
 * Boot the case's guest.  With --accel auto, the first boot tries KVM for a
 * short bound; a guest that does not reach the agent in time means TCG for
 * the rest of the run, said once.
 */
static int boot(struct runner *r, struct pmt_vm *vm, char *err, size_t errlen)
{
	const struct pmt_options *o = r->opt;
	char console[PATH_MAX + 32], kept[PATH_MAX + 32];

	if (r->accel == PMT_ACCEL_AUTO && !kvm_usable()) {
		pmt_info("KVM is not usable here (/dev/kvm: %s); using TCG", strerror(errno));
		r->accel = PMT_ACCEL_TCG;
	}
	if (r->accel == PMT_ACCEL_AUTO) {
		vm->cfg.accel = PMT_ACCEL_KVM;
		if (vm->backend->start(vm, pmt_now_ms() + (int64_t)o->kvm_probe_s * 1000,
				       err, errlen) == 0) {
			r->accel = PMT_ACCEL_KVM;
			return 0;
		}
		pmt_info("KVM guest did not reach the agent within %d s (%s); using TCG for the rest of this run",
			 o->kvm_probe_s, err);
		vm->backend->release(vm);
		snprintf(console, sizeof(console), "%s/console.log", vm->cfg.logdir);
		snprintf(kept, sizeof(kept), "%s/console-kvm-probe.log", vm->cfg.logdir);
		rename(console, kept);
		r->accel = PMT_ACCEL_TCG;
	}
	vm->cfg.accel = r->accel;
	return vm->backend->start(vm, pmt_now_ms() + (int64_t)o->boot_timeout_s * 1000, err, errlen);
}

static void save_dmesg(struct pmt_case *c)
{
	struct json_object *res = NULL;
	char err[256], path[PATH_MAX + 16];
	const char *text;

	if (!c->vm->agent_up || c->vm->exited)
		return;
	pmt_case_phase(c, "dmesg");
	if (pmt_case_agent(c, "dmesg", NULL, &res, err, sizeof(err)) == 0) {
		text = pmt_json_str(res, "text");
		snprintf(path, sizeof(path), "%s/dmesg.txt", c->dir);
		pmt_write_file_atomic(path, text, strlen(text));
	}
	json_object_put(res);
}

static void run_case(struct runner *r, struct pmt_run *run, struct pmt_case *c)
{
	const struct pmt_options *o = r->opt;
	struct pmt_vm vm = { .backend = &pmt_vm_qemu, .pid = -1, .pidfd = -1 };
	int64_t t0 = pmt_now_ms();
	char err[1024];

	c->details = json_object_new_object();
	c->notes = json_object_new_array();
	c->vm = &vm;
	pmt_case_phase(c, "setup");
	if (pmt_run_case_dir(run, c)) {
		pmt_case_verdict(c, PMT_BROK, "setup: cannot create the case folder: %s", strerror(errno));
		goto out;
	}
	{
		struct json_object *ev = json_object_new_object();

		json_object_object_add(ev, "case", json_object_new_string(c->id));
		pmt_run_event(run, "case-start", ev);
	}

	vm.cfg.qemu = o->qemu;
	vm.cfg.kernel = r->img.kernel;
	vm.cfg.initrd = r->img.initrd;
	snprintf(vm.cfg.append, sizeof(vm.cfg.append), "%s", KERNEL_CMDLINE);
	vm.cfg.mem_mb = o->mem_mb;
	vm.cfg.smp = 1;
	pmt_fmt(vm.cfg.rundir, sizeof(vm.cfg.rundir), "%s", r->rundir);
	pmt_fmt(vm.cfg.logdir, sizeof(vm.cfg.logdir), "%s", c->dir);
	vm.cfg.ndisks = 1;
	vm.cfg.disks[0].kind = c->device;
	vm.cfg.disks[0].size = PMEM_SIZE;
	if (pmt_fmt(vm.cfg.disks[0].path, sizeof(vm.cfg.disks[0].path), "%s/pmem0.img", r->rundir) ||
	    make_backing_file(vm.cfg.disks[0].path, PMEM_SIZE, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		goto out;
	}

	pmt_case_phase(c, "boot");
	if (boot(r, &vm, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "boot: %s", err);
		goto out;
	}
	c->boot_s = (vm.t_ready_ms - vm.t_spawn_ms) / 1000.0;
	record_qemu_version(r, &vm);
	json_object_object_add(c->details, "guest_kernel",
			       json_object_new_string(pmt_json_str(vm.agent.ready, "kernel")));
	json_object_object_add(c->details, "accel",
			       json_object_new_string(pmt_accel_name(vm.cfg.accel)));

	pmt_case_phase(c, "run");
	c->scenario->run(c);
	if (!c->verdict_set)
		pmt_case_verdict(c, PMT_BROK, "%s: the scenario reached no verdict", c->phase);
	save_dmesg(c);

	pmt_case_phase(c, "shutdown");
	if (vm.agent_up && pmt_vm_shutdown(&vm, pmt_now_ms() + (int64_t)o->shutdown_timeout_s * 1000,
					   err, sizeof(err)))
		pmt_case_verdict(c, PMT_BROK, "shutdown: %s", err);
out:
	vm.backend->release(&vm);
	if (vm.cfg.disks[0].path[0]) {
		unlink(vm.cfg.disks[0].path);
		pmt_cleanup_unregister(vm.cfg.disks[0].path);
	}
	c->vm = NULL;
	c->duration_s = (pmt_now_ms() - t0) / 1000.0;
}

static int run_all(struct runner *r, struct pmt_case *cases, size_t n, struct pmt_run *run)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		struct pmt_case *c = &cases[i];

		pmt_info("[%zu/%zu] %s ...", i + 1, n, c->id);
		run_case(r, run, c);
		pmt_run_add_case(run, c);
		pmt_info("[%zu/%zu] %s %s (%.1f s)%s%s", i + 1, n, c->id, pmt_verdict_name(c->verdict),
			 c->duration_s, c->verdict == PMT_PASS ? "" : ": ",
			 c->verdict == PMT_PASS ? "" : c->reason);
		failures += pmt_verdict_is_failure(c->verdict);
	}
	return failures;
}

static void set_properties(struct runner *r, struct pmt_run *run)
{
	char seed[32];

	snprintf(seed, sizeof(seed), "%llu", r->opt->seed);
	pmt_run_set_property(run, "kernel", r->img.release);
	pmt_run_set_property(run, "kernel_image", r->img.kernel);
	pmt_run_set_property(run, "qemu", r->qemu_version[0] ? r->qemu_version : "unknown");
	pmt_run_set_property(run, "accel", pmt_accel_name(r->accel));
	pmt_run_set_property(run, "seed", seed);
	pmt_run_set_property(run, "scenarios", r->opt->scenarios);
	pmt_run_set_property(run, "devices", r->opt->devices);
	pmt_run_set_property(run, "filesystems", r->opt->filesystems);
}

/* One run of the selected cases; *summary gets a reference to its summary. */
static int run_session(const struct pmt_options *o, struct json_object **summary)
{
	struct runner r = { .opt = o };
	struct pmt_case *cases = NULL;
	struct pmt_run run;
	char err[1024];
	size_t n = 0;
	int failures, rc = 2;

	r.accel = o->accel == PMT_ACCEL_AUTO ? decided_accel : o->accel;
	if (pmt_cases_build(o, &cases, &n, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	if (pmt_run_open(&run, o->results, err, sizeof(err))) {
		pmt_err("%s", err);
		pmt_cases_free(cases, n);
		return 2;
	}
	if (pmt_image_prepare(o, &r.img, err, sizeof(err)) || make_rundir(&r, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out;
	}
	pmt_info("guest kernel %s, %zu case%s, results in %s", r.img.release, n, n == 1 ? "" : "s",
		 run.dir);
	set_properties(&r, &run);
	pmt_run_event(&run, "run-start", NULL);

	failures = run_all(&r, cases, n, &run);
	if (o->accel == PMT_ACCEL_AUTO)
		decided_accel = r.accel;

	set_properties(&r, &run);
	pmt_run_event(&run, "run-end", NULL);
	if (pmt_run_finish(&run, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out;
	}
	*summary = json_object_get(run.summary);
	json_object_object_add(*summary, "dir", json_object_new_string(run.dir));
	rc = failures ? 1 : 0;
out:
	if (r.rundir[0]) {
		pmt_rm_rf(r.rundir);
		pmt_cleanup_unregister(r.rundir);
	}
	pmt_run_close(&run);
	pmt_cases_free(cases, n);
	return rc;
}

int pmt_run_main(const struct pmt_options *o)
{
	struct json_object *summary = NULL;
	int rc = run_session(o, &summary);
	const char *dir;

	if (!summary)
		return rc;
	dir = pmt_json_str(summary, "dir");
	pmt_report_table(stdout, summary);
	printf("results: %s\njunit:   %s/junit.xml\ntap:     %s/results.tap\n", dir, dir, dir);
	fflush(stdout);
	json_object_put(summary);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_figure(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-44s min %6.2f s  median %6.2f s  max %6.2f s  (n=%d)\n", what, v[0], v[n / 2],
	       v[n - 1], n);
}

/*
 * `pmtorture bench`: the figures the project tracks, measured on this
 * machine: QEMU start to agent ready, and one whole mapsync case.
 */
int pmt_bench_main(const struct pmt_options *o)
{
	struct pmt_options bo = *o;
	double boot[1000], whole[1000];
	int nb = 0;

	bo.scenarios = "mapsync";
	if (!o->filter)
		bo.filter = "mapsync:virtio-pmem:ext4";
	bo.quiet = true;
	pmt_quiet = true;
	/* Iteration 0 is a warm-up: it pays for the KVM probe and cold caches. */
	for (int i = 0; i <= o->iterations; i++) {
		struct json_object *summary = NULL, *cases, *c;
		int rc = run_session(&bo, &summary);

		if (!summary)
			return rc;
		cases = json_object_object_get(summary, "cases");
		for (size_t k = 0; i > 0 && k < json_object_array_length(cases) && nb < 1000; k++) {
			c = json_object_array_get_idx(cases, k);
			if (strcmp(pmt_json_str(c, "verdict"), "PASS")) {
				pmt_err("bench: %s was %s: %s", pmt_json_str(c, "id"),
					pmt_json_str(c, "verdict"), pmt_json_str(c, "reason"));
				json_object_put(summary);
				return 1;
			}
			boot[nb] = pmt_json_double(c, "boot_s");
			whole[nb++] = pmt_json_double(c, "duration_s");
		}
		if (i == 0)
			printf("bench: %s, accel %s, case %s\n",
			       pmt_json_str(json_object_object_get(summary, "properties"), "kernel"),
			       pmt_json_str(json_object_object_get(summary, "properties"), "accel"),
			       bo.filter);
		json_object_put(summary);
	}
	print_figure("QEMU start to agent ready", boot, nb);
	print_figure("one whole mapsync case (boot to poweroff)", whole, nb);
	return 0;
}
