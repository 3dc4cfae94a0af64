// SPDX-License-Identifier: MIT
/*
 * The case runner: one case from boot to shutdown (pmt_case_run: prepare,
 * boot, the lifecycle, detectors, dmesg, the reproduce
 * command), and the guests a case boots (pmt_case_boot_guest: the run's
 * image and accel, the kernel command line, vCPUs, the snapshot cache;
 * --accel auto's KVM probe at the first boot).  The session around the
 * cases (jobs, progress, reports, exit status) is run/session.c; the
 * checker stage check/.
 *
 * Relies on: QEMU reaching the agent within --boot-timeout (a KVM guest
 * that does not within --kvm-probe means TCG for the rest of the run);
 * the guest init skipping the modules named in pmtorture.skip= (each
 * insmod costs 0.1-0.8 s under TCG).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case_logs.h"
#include "detectors.h"
#include "injector.h"
#include "json_util.h"
#include "kernels.h"
#include "lifecycle.h"
#include "log.h"
#include "proc.h"
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

static void record_qemu_version(struct pmt_runner *r, struct pmt_vm *vm)
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
static int boot(struct pmt_runner *r, struct pmt_vm *vm, char *err, size_t errlen)
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

/*
 * KFENCE's own counters (total allocations, frees, bugs...) from debugfs,
 * into kfence-stats.txt and details.kfence, where the guest kernel has
 * KFENCE (6.12; its dmesg then says "kfence: initialized").  They tell
 * whether a case with no KFENCE report had any allocation sampled at all;
 * a kernel without KFENCE is not asked.  A failure is no verdict: the
 * counters are evidence, not a check.
 */
static void save_kfence_stats(struct pmt_case *c, const char *dmesg)
{
	struct json_object *args, *argv, *res = NULL, *v;
	char err[256], path[PATH_MAX + 24];
	const char *out;

	if (!strstr(dmesg, "kfence: initialized"))
		return;
	args = json_object_new_object();
	argv = json_object_new_array();
	json_object_array_add(argv, json_object_new_string("cat"));
	json_object_array_add(argv, json_object_new_string("/sys/kernel/debug/kfence/stats"));
	json_object_object_add(args, "argv", argv);
	if (pmt_case_agent(c, "exec", args, &res, err, sizeof(err)) == 0 &&
	    json_object_object_get_ex(res, "exit", &v) && json_object_get_int(v) == 0 &&
	    (out = pmt_json_str(res, "output"))[0]) {
		snprintf(path, sizeof(path), "%s/kfence-stats.txt", c->dir);
		pmt_transcript_write(path, out, strlen(out));
		json_object_object_add(c->details, "kfence", pmt_kfence_stats_parse(out));
	}
	json_object_put(args);
	json_object_put(res);
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
		save_kfence_stats(c, text);
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

/*
 * Whether the "built in: boots cold" line was said for this image and device
 * kind; notes it said.  Once per kind, not once per run: a kernel with both
 * virtio_pmem and nfit built in boots both kinds' guests cold, for two
 * reasons.
 */
static bool said_builtin(const struct pmt_image *img, enum pmt_device_kind kind)
{
	static struct {
		const struct pmt_image *img;
		enum pmt_device_kind kind;
	} said[32];
	static size_t n;

	for (size_t i = 0; i < n; i++)
		if (said[i].img == img && said[i].kind == kind)
			return true;
	if (n < sizeof(said) / sizeof(said[0])) {
		said[n].img = img;
		said[n++].kind = kind;
	}
	return false;
}

/* The built-in pmem driver that makes case @c's guests boot cold, or NULL
 * (none, or no snapshot would be used anyway: --no-snapshot, libvirt). */
static const char *cold_for_builtin(const struct pmt_runner *r, const struct pmt_case *c,
				    const struct pmt_image *img)
{
	const struct pmt_options *o = r->opt;

	if (o->no_snapshot || o->backend != PMT_BACKEND_QEMU)
		return NULL;
	return pmt_image_builtin_pmem(img->builtin, c->device == PMT_DEV_NVDIMM);
}

void pmt_runner_say_builtin(const struct pmt_runner *r, const struct pmt_case *c)
{
	/* Issue 9: a case of a kernel matrix boots its kernel's image. */
	const struct pmt_image *img = c->kernel ? &c->kernel->img : &r->img;
	const char *builtin = cold_for_builtin(r, c, img);

	if (builtin && !said_builtin(img, c->device))
		pmt_info("kernel %s has %s built in: its %s guests boot cold (a built-in driver "
			 "reads the device at boot, before a snapshot could leave it out)",
			 img->release, builtin, pmt_device_name(c->device));
}

/* A guest for case @c: the run's image, accel and kernel command line, one
 * pmem device of the case's kind (its path is the caller's), logs in @logdir. */
static void vm_config(struct pmt_runner *r, struct pmt_case *c, struct pmt_vm *vm, const char *logdir)
{
	const struct pmt_options *o = r->opt;
	/* Issue 9: a case of a kernel matrix boots its kernel's image. */
	const struct pmt_image *img = c->kernel ? &c->kernel->img : &r->img;
	bool snapshot = !o->no_snapshot && o->backend == PMT_BACKEND_QEMU &&
			!cold_for_builtin(r, c, img);

	pmt_runner_say_builtin(r, c);	/* said already by the session, but for callers without one */

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
	struct pmt_runner *r = c->runner;
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
	struct pmt_runner *r = c->runner;
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

void pmt_case_run(struct pmt_runner *r, struct pmt_case *c)
{
	const struct pmt_options *o = r->opt;
	struct pmt_vm vm = { .backend = o->backend == PMT_BACKEND_LIBVIRT ? &pmt_vm_libvirt
								    : &pmt_vm_qemu,
			     .pid = -1, .pidfd = -1 };
	int64_t t0 = pmt_now_ms();
	char err[1024];

	c->vm = &vm;
	pmt_case_phase(c, "setup");
	vm_config(r, c, &vm, c->dir);
	if (pmt_fmt(vm.cfg.disks[0].path, sizeof(vm.cfg.disks[0].path), "%s/pmem0.img", r->rundir) ||
	    make_backing_file(vm.cfg.disks[0].path, PMEM_SIZE, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		goto out;
	}
	c->runner = r;
	c->rundir = r->rundir;
	c->checkers = r->checkers > 0 ? r->checkers : 1;
	/* probe -> prepare_vm -> boot -> the lifecycle -> disarm: lifecycle.h */
	if (pmt_inject_probe(c) || pmt_inject_prepare(c, &vm.cfg) ||
	    pmt_check_prepare(c, &vm.cfg))
		goto out;

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
