// SPDX-License-Identifier: MIT
/*
 * A session: the selected cases run one by one or in --jobs workers, each
 * in its own guest, into one results folder.  Here: the run folder (QEMU's
 * sockets, backing files; swept when a SIGKILLed harness left it), the
 * guests of a case (vm_config: image, accel, kernel command line, vCPUs,
 * snapshot cache; --accel auto's KVM probe), one case from boot to
 * shutdown (run_case: probe, prepare, boot, the scenario or the lifecycle,
 * detectors, dmesg, reproduce command), and the session around them
 * (expunges, baselines, reports, SIGINT/SIGTERM: an interrupted run).
 * The bench is cli/cmd_bench.c; the checker stage check/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "baseline.h"
#include "detectors.h"
#include "finding.h"
#include "guest_setup.h"
#include "image.h"
#include "injector.h"
#include "lifecycle.h"
#include "jobs.h"
#include "kernels.h"
#include "json_util.h"
#include "log.h"
#include "merge.h"
#include "proc.h"
#include "progress.h"
#include "report.h"
#include "report_behaviour.h"
#include "results.h"
#include "runner.h"
#include "transcript.h"
#include "util.h"

#define PMEM_SIZE	(512ULL << 20)	/* xfsprogs refuses filesystems under 300 MB */
/*
 * The guest kernel's command line.  After the console and panic settings,
 * only boot-time savings under TCG (measured ~0.6 s of ~3.6 s to the
 * agent): no delay-loop calibration (lpj), no TSC/timer checks, no PS/2
 * probing, no crypto self-tests, no speculation mitigations.  None of them
 * touches the pmem, DAX or filesystem code under test.  The PS/2 keyboard
 * stays: it is how the hang evidence sends sysrq (hang.h).  Then the
 * detectors (detectors.h).
 */
#define KERNEL_CMDLINE	"console=ttyS0 panic=-1 quiet lpj=5000000 tsc=reliable no_timer_check " \
			"i8042.noaux i8042.nopnp cryptomgr.notests mitigations=off " \
			PMT_DETECTORS_CMDLINE

/* What --accel auto found, kept for the whole process (bench runs several sessions). */
static enum pmt_accel decided_accel = PMT_ACCEL_AUTO;

struct runner {
	const struct pmt_options *opt;
	struct pmt_image img;
	enum pmt_accel accel;		/* AUTO until the first boot decides */
	char rundir[PATH_MAX];
	char qemu_version[64];
	int checkers;			/* checker guests per power-cut case */
};

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
	if (!r->qemu_version[0] && vm->qmp_up &&
	    pmt_qmp_version(&vm->qmp, r->qemu_version, sizeof(r->qemu_version)))
		r->qemu_version[0] = '\0';
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

	if (!c->vm->agent_up || c->vm->exited || c->vm->hung)
		return;
	pmt_case_phase(c, "dmesg");
	if (pmt_case_agent(c, "dmesg", NULL, &res, err, sizeof(err)) == 0) {
		text = pmt_json_str(res, "text");
		snprintf(path, sizeof(path), "%s/dmesg.txt", c->dir);
		pmt_transcript_write(path, text, strlen(text));
	}
	json_object_put(res);
}

/*
 * Modules the case's guest need not load (guest-image/init skips them):
 * each insmod costs 0.1-0.8 s under TCG, and a guest needs one device
 * driver and one filesystem, plus what its injector names (dm-flakey).
 */
static const char *modules_to_skip(const struct pmt_case *c, bool snapshot)
{
	static char buf[256];
	const char *need = c->inj && c->inj->modules ? c->inj->modules : "";

	/* A snapshot guest loads its pmem driver after the restore (snapshot.h). */
	snprintf(buf, sizeof(buf), "%s,%s,dax_pmem.ko%s",
		 c->device == PMT_DEV_VIRTIO_PMEM ? (snapshot ? "nfit.ko,virtio_pmem.ko" : "nfit.ko")
						  : (snapshot ? "virtio_pmem.ko,nd_virtio.ko,nfit.ko"
							      : "virtio_pmem.ko,nd_virtio.ko"),
		 !strcmp(c->fs, "xfs") ? "ext4.ko,jbd2.ko,mbcache.ko,crc16.ko"
				       : "xfs.ko,libcrc32c.ko",
		 pmt_list_has(need, "dm_flakey") ? "" : ",dm-flakey.ko,dm-mod.ko");
	return buf;
}

/* A guest for case @c: the run's image, accel and kernel command line, one
 * pmem device of the case's kind (its path is the caller's), logs in @logdir. */
static void vm_config(struct runner *r, struct pmt_case *c, struct pmt_vm *vm, const char *logdir)
{
	const struct pmt_options *o = r->opt;
	/* Issue 9: a case of a kernel matrix boots its kernel's image. */
	const struct pmt_image *img = c->kernel ? &c->kernel->img : &r->img;
	const char *builtin = pmt_image_builtin_pmem(img->builtin, c->device == PMT_DEV_NVDIMM);
	bool snapshot = !o->no_snapshot && o->backend == PMT_BACKEND_QEMU && !builtin;
	static bool said_builtin;

	if (builtin && !o->no_snapshot && !said_builtin) {
		pmt_info("kernel %s has %s built in: its %s guests boot cold (a built-in driver "
			 "reads the device at boot, before a snapshot could leave it out)",
			 img->release, builtin, pmt_device_name(c->device));
		said_builtin = true;
	}

	vm->cfg.qemu = o->qemu;
	vm->cfg.connect = o->connect;
	vm->cfg.kernel = img->kernel;
	/* fio's libraries make the initramfs 4x bigger: only where it runs. */
	vm->cfg.initrd = c->variant && !strcmp(c->variant, "fio_verify") && img->initrd_fio[0]
			 ? img->initrd_fio : img->initrd;
	snprintf(vm->cfg.append, sizeof(vm->cfg.append), "%s pmtorture.skip=%s%s%s", KERNEL_CMDLINE,
		 modules_to_skip(c, snapshot), o->append ? " " : "", o->append ? o->append : "");
	vm->cfg.mem_mb = o->mem_mb;
	/* QEMU 7.2 runs x86 TCG guests multi-threaded (MTTCG, one host thread
	 * per vCPU) by default: measured, README "Several vCPUs". */
	vm->cfg.smp = c->smp ? (int)c->smp : 1;
	pmt_fmt(vm->cfg.rundir, sizeof(vm->cfg.rundir), "%s", r->rundir);
	pmt_fmt(vm->cfg.logdir, sizeof(vm->cfg.logdir), "%s", logdir);
	if (snapshot && pmt_fmt(vm->cfg.snapshot_dir, sizeof(vm->cfg.snapshot_dir), "%s/snapshots",
				img->dir))
		vm->cfg.snapshot_dir[0] = '\0';
	vm->cfg.ndisks = 1;
	vm->cfg.disks[0].kind = c->device;
	vm->cfg.disks[0].size = PMEM_SIZE;
}

/* details.boot.NAME: how the guest came up (cold, restored: snapshot.h) and in how long. */
static void record_boot(struct pmt_case *c, const struct pmt_vm *vm, const char *name)
{
	struct json_object *boot, *g = json_object_new_object();
	int64_t end = vm->t_attached_ms ? vm->t_attached_ms : vm->t_ready_ms;

	if (!json_object_object_get_ex(c->details, "boot", &boot)) {
		boot = json_object_new_object();
		json_object_object_add(c->details, "boot", boot);
	}
	json_object_object_add(g, "kind", json_object_new_string(vm->boot_kind));
	json_object_object_add(g, "ready_s", json_object_new_double((end - vm->t_spawn_ms) / 1000.0));
	/* To the agent's first answer ("ready", or uname -r after a restore). */
	json_object_object_add(g, "agent_s",
			       json_object_new_double((vm->t_ready_ms - vm->t_spawn_ms) / 1000.0));
	json_object_object_add(boot, name, g);
}

int pmt_case_boot_guest(struct pmt_case *c, struct pmt_vm *vm, const char *name,
			const char *disk, char *err, size_t errlen)
{
	struct runner *r = c->runner;
	char logdir[PATH_MAX];

	memset(vm, 0, sizeof(*vm));
	vm->backend = r->opt->backend == PMT_BACKEND_LIBVIRT ? &pmt_vm_libvirt : &pmt_vm_qemu;
	vm->pid = -1;
	vm->pidfd = -1;
	if (pmt_fmt(logdir, sizeof(logdir), "%s/%s", c->dir, name) || pmt_mkdir_p(logdir, 0755) ||
	    pmt_fmt(vm->cfg.disks[0].path, sizeof(vm->cfg.disks[0].path), "%s", disk)) {
		snprintf(err, errlen, "cannot create %s/%s: %s", c->dir, name, strerror(errno));
		return -1;
	}
	vm_config(r, c, vm, logdir);
	if (boot(r, vm, err, errlen)) {
		vm->backend->release(vm);
		return -1;
	}
	record_boot(c, vm, name);
	return 0;
}

int pmt_case_child_rundir(struct pmt_case *c, const char *name, char *err, size_t errlen)
{
	struct runner *r = c->runner;
	char dir[PATH_MAX];

	if (pmt_fmt(dir, sizeof(dir), "%s/%s", r->rundir, name) || pmt_mkdir_p(dir, 0700)) {
		snprintf(err, errlen, "cannot create %s/%s: %s", r->rundir, name, strerror(errno));
		return -1;
	}
	/* This process's copy of the runner: the parent's is untouched. */
	memcpy(r->rundir, dir, sizeof(dir));
	c->rundir = r->rundir;
	return 0;
}

int pmt_case_boot_checker(struct pmt_case *c, struct pmt_vm *vm, const char *disk)
{
	char err[1024];

	pmt_case_phase(c, "checker-boot");
	if (pmt_case_boot_guest(c, vm, "checker", disk, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "checker-boot: %s", err);
		return -1;
	}
	c->vm = vm;
	return 0;
}

int pmt_case_shutdown(struct pmt_case *c, struct pmt_vm *vm)
{
	char err[512];

	/* A guest powered off on purpose (a power cut) or already gone is not shut down. */
	if (!vm->agent_up || vm->exited)
		return 0;
	/* A hung guest is not asked to power off: the case is BROK already. */
	if (vm->hung) {
		vm->backend->power_cut(vm);
		return 0;
	}
	if (pmt_vm_shutdown(vm, pmt_now_ms() + (int64_t)c->opt->shutdown_timeout_s * 1000,
			    err, sizeof(err)) == 0)
		return 0;
	pmt_case_verdict(c, PMT_BROK, "%s: %s", c->phase, err);
	return -1;
}

static void run_case(struct runner *r, struct pmt_run *run, struct pmt_case *c)
{
	const struct pmt_options *o = r->opt;
	struct pmt_vm vm = { .backend = o->backend == PMT_BACKEND_LIBVIRT ? &pmt_vm_libvirt
								    : &pmt_vm_qemu,
			     .pid = -1, .pidfd = -1 };
	int64_t t0 = pmt_now_ms();
	char err[1024];

	c->details = json_object_new_object();
	c->notes = json_object_new_array();
	c->vm = &vm;
	pmt_case_phase(c, "setup");
	if (pmt_run_case_dir(run, c)) {
		if (!pmt_run_failed(run))
			snprintf(run->write_error, sizeof(run->write_error),
				 "cannot create the case folder %s: %s", c->dir, strerror(errno));
		pmt_case_verdict(c, PMT_BROK, "setup: cannot create the case folder: %s", strerror(errno));
		goto out;
	}
	{
		struct json_object *ev = json_object_new_object();

		json_object_object_add(ev, "case", json_object_new_string(c->id));
		pmt_run_event(run, "case-start", ev);
	}

	vm_config(r, c, &vm, c->dir);
	if (pmt_fmt(vm.cfg.disks[0].path, sizeof(vm.cfg.disks[0].path), "%s/pmem0.img", r->rundir) ||
	    make_backing_file(vm.cfg.disks[0].path, PMEM_SIZE, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		goto out;
	}
	c->runner = r;
	c->rundir = r->rundir;
	c->checkers = r->checkers > 0 ? r->checkers : 1;
	/* probe -> prepare_vm -> boot -> (the scenario) -> disarm: lifecycle.h */
	if (pmt_inject_probe(c) || pmt_inject_prepare(c, &vm.cfg))
		goto out;
	if (c->scenario->prepare_vm && c->scenario->prepare_vm(c, &vm.cfg)) {
		if (!c->verdict_set)
			pmt_case_verdict(c, PMT_BROK, "setup: the scenario could not prepare the guest");
		goto out;
	}

	pmt_case_phase(c, "boot");
	if (boot(r, &vm, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "boot: %s", err);
		goto out;
	}
	c->boot_s = ((vm.t_attached_ms ? vm.t_attached_ms : vm.t_ready_ms) - vm.t_spawn_ms) / 1000.0;
	record_boot(c, &vm, "guest");
	record_qemu_version(r, &vm);
	json_object_object_add(c->details, "guest_kernel",
			       json_object_new_string(pmt_json_str(vm.agent.ready, "kernel")));
	json_object_object_add(c->details, "accel",
			       json_object_new_string(pmt_accel_name(vm.cfg.accel)));
	json_object_object_add(c->details, "smp", json_object_new_int(vm.cfg.smp));

	pmt_case_phase(c, "run");
	if (c->scenario->run)
		c->scenario->run(c);
	else
		pmt_case_lifecycle(c);
	if (!c->verdict_set)
		pmt_case_verdict(c, PMT_BROK, "%s: the scenario reached no verdict", c->phase);
	save_dmesg(c);
	pmt_case_detectors(c);
	/* Scenarios with a finer replay (powercut) set their own. */
	if (pmt_verdict_is_failure(c->verdict) && !json_object_object_get_ex(c->details, "reproduce", NULL)) {
		char cmd[512], kargs[PATH_MAX * 2 + 32], smp[32] = "";

		if (c->kernel)
			pmt_kernel_reproduce_args(c->kernel, kargs, sizeof(kargs));
		if (c->smp != (c->scenario->smp ? c->scenario->smp : 1))
			snprintf(smp, sizeof(smp), " --smp %u", c->smp);
		snprintf(cmd, sizeof(cmd), "pmtorture run --scenario %s --filter '%s' --seed %llu%s%s",
			 c->scenario->name, c->id, (unsigned long long)c->seed, smp,
			 c->kernel ? kargs : "");
		json_object_object_add(c->details, "reproduce", json_object_new_string(cmd));
	}

	pmt_case_phase(c, "shutdown");
	pmt_case_shutdown(c, &vm);
out:
	vm.backend->release(&vm);
	/* After the guest is gone: host-side faults (shim files, a tmpfs) go. */
	pmt_inject_disarm(c);
	/* QEMU wrote the console itself: bounded now that it is gone. */
	pmt_case_bound_transcripts(c);
	if (vm.cfg.disks[0].path[0]) {
		unlink(vm.cfg.disks[0].path);
		pmt_cleanup_unregister(vm.cfg.disks[0].path);
	}
	c->vm = NULL;
	c->duration_s = (pmt_now_ms() - t0) / 1000.0;
}

/* A session's cases and where they go, shared by the sequential and --jobs paths. */
struct session {
	struct runner *r;
	struct pmt_run *run;
	struct pmt_case *cases;
	struct pmt_progress progress;
	char base_rundir[PATH_MAX];	/* r->rundir; workers use job-N under it */
};

static void case_done(struct session *s, struct pmt_case *c)
{
	pmt_run_add_case(s->run, c);
	pmt_progress_end(&s->progress, c);
}

/* A failed write of the results, or a signal, stops the run: no guest boots after it. */
static int session_stopped(void *ctx)
{
	struct session *s = ctx;

	return pmt_run_failed(s->run) || pmt_interrupted();
}

static void job_start(void *ctx, size_t i, int slot)
{
	struct session *s = ctx;
	struct pmt_case *c = &s->cases[i];

	(void)slot;
	/* The parent needs c->dir to find the worker's case.json. */
	if (pmt_run_case_dir(s->run, c) && !pmt_run_failed(s->run))
		snprintf(s->run->write_error, sizeof(s->run->write_error),
			 "cannot create the case folder %s: %s", c->dir, strerror(errno));
	pmt_progress_start(&s->progress, c);
}

/* In the worker: its own run folder, then case.json for the parent. */
static void job_run(void *ctx, size_t i, int slot)
{
	struct session *s = ctx;
	struct pmt_case *c = &s->cases[i];

	if (pmt_fmt(s->r->rundir, sizeof(s->r->rundir), "%s/job-%d", s->base_rundir, slot))
		_exit(1);
	run_case(s->r, s->run, c);
	/*
	 * Cut short by a signal (the parent passes its own on): no result, so
	 * the parent lists the case as not run.  The worker's run folder goes
	 * now, not only with the parent's.
	 */
	if (pmt_interrupted()) {
		pmt_rm_rf(s->r->rundir);
		pmt_interrupt_reraise();
	}
	if (s->r->qemu_version[0])
		json_object_object_add(c->details, "qemu_version",
				       json_object_new_string(s->r->qemu_version));
	pmt_run_write_case(s->run, c);
}

static void job_end(void *ctx, size_t i, int status)
{
	struct session *s = ctx;
	struct pmt_case *c = &s->cases[i];
	char err[PATH_MAX + 64], how[64];

	if (pmt_case_load_result(c, err, sizeof(err))) {
		/* Cut short by the interrupt: not run, never a BROK. */
		if (pmt_interrupted())
			return;
		c->details = c->details ? c->details : json_object_new_object();
		c->notes = c->notes ? c->notes : json_object_new_array();
		if (status == -1)
			pmt_case_verdict(c, PMT_BROK, "setup: cannot start a worker process: %s",
					 strerror(errno));
		else
			pmt_case_verdict(c, PMT_BROK, "worker %s before the case ended (%s)",
					 pmt_describe_status(status, how, sizeof(how)), err);
	}
	if (!s->r->qemu_version[0])
		pmt_fmt(s->r->qemu_version, sizeof(s->r->qemu_version), "%s",
			pmt_json_str(c->details, "qemu_version"));
	case_done(s, c);
}

static void job_tick(void *ctx)
{
	struct session *s = ctx;

	pmt_progress_tick(&s->progress);
}

/*
 * Cases run in this process while --accel auto has not decided (the first
 * boot decides, once) or with --jobs 1; the rest in workers, side by side.
 */
static void run_all(struct session *s, size_t n, int jobs)
{
	struct pmt_jobs_ops ops = {
		.ctx = s, .start = job_start, .run = job_run, .end = job_end, .tick = job_tick,
		.stopped = session_stopped,
	};
	char dir[PATH_MAX];
	size_t i = 0;

	pmt_progress_init(&s->progress, n, jobs);
	for (; i < n && (jobs == 1 || s->r->accel == PMT_ACCEL_AUTO); i++) {
		struct pmt_case *c = &s->cases[i];

		if (session_stopped(s))
			break;
		pmt_progress_start(&s->progress, c);
		run_case(s->r, s->run, c);
		/* The verdict of a case cut short by a signal says nothing: not run. */
		if (pmt_interrupted())
			break;
		case_done(s, c);
	}
	if (i < n && !session_stopped(s)) {
		pmt_fmt(s->base_rundir, sizeof(s->base_rundir), "%s", s->r->rundir);
		for (int k = 0; k < jobs; k++) {
			if (pmt_fmt(dir, sizeof(dir), "%s/job-%d", s->base_rundir, k) == 0 &&
			    mkdir(dir, 0700) == 0)
				pmt_cleanup_register(dir, 1);
		}
		pmt_jobs_run(&ops, i, n, jobs);
		for (int k = 0; k < jobs; k++)
			if (pmt_fmt(dir, sizeof(dir), "%s/job-%d", s->base_rundir, k) == 0)
				pmt_cleanup_unregister(dir);
	}
	pmt_progress_finish(&s->progress);
}

/* The command line as one string, single-quoted where a shell would need it. */
static void options_string(const struct pmt_options *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 1; i < o->argc && off < len; i++) {
		const char *a = o->argv[i];
		bool quote = !*a || strpbrk(a, " \t'\"*?[]$`\\|&;<>(){}#~") != NULL;

		off += snprintf(buf + off, len - off, "%s%s%s%s", i > 1 ? " " : "",
				quote ? "'" : "", a, quote ? "'" : "");
	}
}

/* The filesystems the cases ran on, in order, comma separated. */
static void case_filesystems(const struct pmt_case *cases, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		if (!pmt_list_has(buf, cases[i].fs))
			off += snprintf(buf + off, len - off, "%s%s", off ? "," : "", cases[i].fs);
}

static void set_properties(struct runner *r, struct pmt_run *run, const struct pmt_case *cases,
			   size_t n, int jobs)
{
	const struct pmt_options *o = r->opt;
	char num[32], text[2048];
	struct utsname host;

	snprintf(num, sizeof(num), "%llu", o->seed);
	pmt_run_set_property(run, "kernel", r->img.release);
	/* Issue 9: a kernel matrix names every kernel. */
	if (pmt_kernels_multi(o)) {
		pmt_kernels_labels(o, text, sizeof(text));
		pmt_run_set_property(run, "kernel", text);
		pmt_run_set_property(run, "kernels", text);
	}
	pmt_run_set_property(run, "kernel_image", r->img.kernel);
	pmt_run_set_property(run, "qemu", r->qemu_version[0] ? r->qemu_version : "unknown");
	/* A finding names the host too: the host's page cache is the power cut's model. */
	if (!uname(&host)) {
		snprintf(text, sizeof(text), "%s %s", host.sysname, host.release);
		pmt_run_set_property(run, "host_kernel", text);
	}
	pmt_run_set_property(run, "accel", pmt_accel_name(r->accel));
	pmt_run_set_property(run, "seed", num);
	pmt_run_set_property(run, "plan", o->plan ? o->plan : "");
	pmt_run_set_property(run, "scenarios", o->scenarios);
	pmt_run_set_property(run, "devices", o->devices);
	pmt_run_set_property(run, "filesystems", o->filesystems);
	case_filesystems(cases, n, text, sizeof(text));
	pmt_run_set_property(run, "fs", text);
	options_string(o, text, sizeof(text));
	pmt_run_set_property(run, "options", text);
	snprintf(num, sizeof(num), "%d", jobs);
	pmt_run_set_property(run, "jobs", num);
	if (o->shard_count) {
		snprintf(num, sizeof(num), "%u/%u", o->shard_index, o->shard_count);
		pmt_run_set_property(run, "shard", num);
	}
	if (o->repeat) {
		snprintf(num, sizeof(num), "%d", o->repeat);
		pmt_run_set_property(run, "repeat", num);
	}
	if (o->expunge)
		pmt_run_set_property(run, "expunge", o->expunge);
}

/*
 * --expunge and --baseline, read before anything boots so that a bad file
 * costs nothing; -1 after a one-line error.
 */
static int load_judges(const struct pmt_options *o, struct pmt_expunge *ex,
		       struct json_object **previous)
{
	char err[1024];

	memset(ex, 0, sizeof(*ex));
	*previous = NULL;
	if (o->expunge && pmt_expunge_load(o->expunge, ex, err, sizeof(err))) {
		pmt_err("--expunge %s", err);
		return -1;
	}
	if (o->baseline && !(*previous = pmt_summary_load(o->baseline, err, sizeof(err)))) {
		pmt_err("--baseline %s", err);
		pmt_expunge_free(ex);
		return -1;
	}
	return 0;
}

/*
 * After the last case, before any report: known failures become XFAIL,
 * then each case is compared with the baseline.  The exit status follows:
 * FAIL or BROK without a baseline, NEW-FAIL or BROK with one.
 */
static int judge(struct pmt_run *run, const struct pmt_expunge *ex, struct json_object *previous)
{
	if (ex->n && pmt_expunge_apply(ex, run->summary))
		pmt_info("%s: expunged failures are XFAIL", ex->file);
	if (previous) {
		struct json_object *bl;
		char key[64], num[16];

		pmt_baseline_apply(run->summary, previous);
		pmt_run_set_property(run, "baseline", pmt_json_str(previous, "run_id"));
		/* JUnit readers see properties only: the classes' counts go there too. */
		bl = json_object_object_get(json_object_object_get(run->summary, "baseline"), "counts");
		json_object_object_foreach(bl, cls, val) {
			snprintf(key, sizeof(key), "baseline_%s", cls);
			snprintf(num, sizeof(num), "%d", json_object_get_int(val));
			pmt_run_set_property(run, key, num);
		}
	}
	return pmt_baseline_exit_status(run->summary);
}

int pmt_run_session(const struct pmt_options *o, struct json_object **summary)
{
	struct runner r = { .opt = o };
	struct session s = { .r = &r };
	struct pmt_case *cases = NULL;
	struct json_object *previous = NULL;
	struct pmt_expunge ex;
	struct pmt_run run;
	char err[1024];
	size_t n = 0;
	int jobs, rc = 2;

	r.accel = o->accel == PMT_ACCEL_AUTO ? decided_accel : o->accel;
	if (pmt_cases_build(o, &cases, &n, err, sizeof(err))) {
		pmt_err("%s", err);
		return 2;
	}
	if (load_judges(o, &ex, &previous)) {
		pmt_cases_free(cases, n);
		return 2;
	}
	/* A bad kernel, modules or image is refused before anything is made. */
	if (n > 0 && pmt_kernels_prepare_all(o, &r.img, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out_judges;
	}
	if (pmt_run_open(&run, o->results, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out_judges;
	}
	jobs = o->jobs ? o->jobs : pmt_jobs_default(o->mem_mb);
	if ((size_t)jobs > n)
		jobs = n ? (int)n : 1;
	r.checkers = o->checkers ? o->checkers : pmt_checkers_default(jobs, o->mem_mb);
	if (n == 0) {
		/* A CI job's shard may hold nothing of a small plan: a valid, empty run. */
		pmt_info("shard %u/%u holds none of the selected cases; nothing to run",
			 o->shard_index, o->shard_count);
	} else if (make_rundir(&r, err, sizeof(err))) {
		pmt_err("%s", err);
		goto out;
	} else {
		/* From here a signal stops the run, which reports and cleans up. */
		pmt_interrupt_defer(true);
		char kernels[1024];

		pmt_kernels_labels(o, kernels, sizeof(kernels));
		pmt_info("guest kernel%s %s, %zu case%s, %d at a time, results in %s",
			 pmt_kernels_multi(o) ? "s" : "", pmt_kernels_multi(o) ? kernels : r.img.release,
			 n, n == 1 ? "" : "s", jobs, run.dir);
	}
	set_properties(&r, &run, cases, n, jobs);
	pmt_run_event(&run, "run-start", NULL);

	s.run = &run;
	s.cases = cases;
	run_all(&s, n, jobs);
	if (o->accel == PMT_ACCEL_AUTO)
		decided_accel = r.accel;
	if (pmt_interrupted())
		pmt_run_mark_interrupted(&run, pmt_interrupted(), cases, n);

	if (pmt_run_failed(&run)) {
		pmt_err("%s; the run stopped there", run.write_error);
		rc = 2;
		goto out;
	}
	set_properties(&r, &run, cases, n, jobs);
	rc = judge(&run, &ex, previous);
	pmt_run_event(&run, "run-end", NULL);
	if (pmt_run_finish(&run, err, sizeof(err))) {
		pmt_err("%s", err);
		rc = 2;
		goto out;
	}
	*summary = json_object_get(run.summary);
	json_object_object_add(*summary, "dir", json_object_new_string(run.dir));
out:
	if (r.rundir[0]) {
		pmt_rm_rf(r.rundir);
		pmt_cleanup_unregister(r.rundir);
	}
	if (pmt_interrupted()) {
		struct json_object *info = json_object_object_get(run.summary, "interrupted");

		pmt_err("interrupted by %s: %lld of %zu case%s finished, %lld not run; "
			"reports in %s", pmt_signal_name(pmt_interrupted()),
			(long long)pmt_json_int64(info, "finished", 0), n, n == 1 ? "" : "s",
			(long long)pmt_json_int64(info, "not_run", 0), run.dir);
	}
	pmt_run_close(&run);
out_judges:
	pmt_expunge_free(&ex);
	json_object_put(previous);
	pmt_cases_free(cases, n);
	/* An interrupted run dies of its signal once it has cleaned up. */
	pmt_interrupt_reraise();
	return rc;
}

int pmt_run_main(const struct pmt_options *o)
{
	struct json_object *summary = NULL;
	int rc = pmt_run_session(o, &summary), behaviour;
	const char *dir;
	char err[512];

	if (!summary)
		return rc;
	dir = pmt_json_str(summary, "dir");
	pmt_report_table(stdout, summary);
	/* A FAIL's bundle for a bug report (finding.h), named under the table. */
	pmt_findings_write_run(dir, summary, stdout);
	/* The error scenarios' observations, side by side, under the verdicts. */
	behaviour = pmt_bhv_write(dir, &summary, 1, true, stdout, err, sizeof(err));
	if (behaviour < 0)
		pmt_err("%s", err);
	printf("results: %s\njunit:   %s/junit.xml\ntap:     %s/results.tap\nhtml:    %s/report.html\n",
	       dir, dir, dir, dir);
	if (behaviour > 0)
		printf("behaviour: %s/behaviour.md\n           %s/behaviour.html\n", dir, dir);
	fflush(stdout);
	json_object_put(summary);
	return rc;
}
