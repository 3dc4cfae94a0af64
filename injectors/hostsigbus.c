// SPDX-License-Identifier: MIT
/*
 * hostsigbus: the virtio-pmem backing file lives on a host filesystem that
 * fills up before the guest's does: a 64 MiB tmpfs under the run folder
 * holds the 512 MiB (sparse) file.  QEMU maps it MAP_SHARED, so a guest
 * store to a page tmpfs cannot allocate is a host page fault that fails:
 * QEMU gets SIGBUS and, having no handler for it outside guest RAM
 * preallocation, dies (injectors/ERRORS-FACTS.md B.5: wait status signal
 * 7, empty qemu.log, nothing on the guest console).
 *
 * The ops: prepare_vm puts the backing file on the tmpfs; arm notes what
 * mkfs used of it; run_workload is the guest's "fill" (one file, an fsync
 * every MiB, each synced prefix promised), called without the hang rule:
 * QEMU dying under it is the observation; fire reads how QEMU ended, which
 * is the access path "qemu" (killed=SIGBUS, judged against errors.tsv),
 * cuts what is left of it, and reports the fault fired unless neither the
 * host's nor the guest's filesystem ran out.  The image that survived is
 * the check stage's (check/image_check.h), with the fill's events, whose
 * promises it verifies.
 *
 * The mount must not outlive the case: disarm unmounts it.  Against a
 * harness killed from outside, prepare_vm moves the process into a private
 * mount namespace (unshare(CLONE_NEWNS), propagation slave, once per
 * process) before mounting: the tmpfs exists only there, and the kernel
 * drops it when the last process in it (the harness or its job worker, and
 * their QEMUs, which die with them) exits, SIGKILL included.  The cost:
 * with --jobs 1 the whole harness stays in that namespace for the rest of
 * the run (host mounts still propagate in).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case.h"
#include "declare.h"
#include "guest_setup.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "log.h"
#include "proc.h"
#include "util.h"

/* The tmpfs size: the guest must write more than this to fire the fault. */
#define TMPFS_SIZE_MB		64
/* How long QEMU may take to die once the guest's fill stopped. */
#define QEMU_EXIT_WAIT_MS	5000

static bool own_namespace;	/* this process unshared its mount namespace */

/* The tmpfs folder that holds the case's backing file. */
static void tmpfs_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/sigbus-tmpfs", c->rundir);
}

static bool is_mountpoint(const char *dir)
{
	char parent[PATH_MAX];
	struct stat a, b;

	if (pmt_fmt(parent, sizeof(parent), "%s/..", dir) || stat(dir, &a) || stat(parent, &b))
		return false;
	return a.st_dev != b.st_dev;
}

/* Unmount the case's tmpfs if it is there; the folder goes too.  Idempotent. */
static void tmpfs_release(const struct pmt_case *c)
{
	char dir[PATH_MAX];

	tmpfs_dir(c, dir, sizeof(dir));
	if (is_mountpoint(dir) && umount2(dir, 0) && umount2(dir, MNT_DETACH))
		pmt_info("hostsigbus: cannot unmount %s: %s", dir, strerror(errno));
	rmdir(dir);
}

static int hostsigbus_probe(const struct pmt_case *c, char *why, size_t len)
{
	if (geteuid() != 0) {
		snprintf(why, len, "mounting the size-limited tmpfs needs root");
		return 1;
	}
	if (c->opt->backend == PMT_BACKEND_LIBVIRT) {
		/* libvirtd's QEMU does not see a mount in our namespace. */
		snprintf(why, len, "the tmpfs backing file needs the qemu backend");
		return 1;
	}
	return 0;
}

static int hostsigbus_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX], file[PATH_MAX], opts[64];
	int fd;

	if (!own_namespace) {
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL)) {
			snprintf(err, errlen, "a private mount namespace for the tmpfs: %s",
					 strerror(errno));
			return -1;
		}
		own_namespace = true;
	}
	tmpfs_release(c);		/* a previous case whose guest never booted */
	tmpfs_dir(c, dir, sizeof(dir));
	snprintf(opts, sizeof(opts), "size=%dm,mode=0700", TMPFS_SIZE_MB);
	if (mkdir(dir, 0700) || mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts)) {
		snprintf(err, errlen, "mount -t tmpfs -o %s %s: %s", opts, dir,
				 strerror(errno));
		rmdir(dir);
		return -1;
	}
	/* The runner's backing file is replaced by one on the tmpfs. */
	unlink(cfg->disks[0].path);
	pmt_cleanup_unregister(cfg->disks[0].path);
	if (pmt_fmt(file, sizeof(file), "%s/pmem0.img", dir) ||
	    (fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s/pmem0.img: %s", dir, strerror(errno));
		tmpfs_release(c);
		return -1;
	}
	/* Sparse: the device is larger than the tmpfs that holds it. */
	if (ftruncate(fd, (off_t)cfg->disks[0].size)) {
		snprintf(err, errlen, "sizing %s: %s", file, strerror(errno));
		close(fd);
		tmpfs_release(c);
		return -1;
	}
	close(fd);
	/* A fatal signal removes the file, which frees the tmpfs's memory. */
	pmt_cleanup_register(file, 0);
	snprintf(cfg->disks[0].path, sizeof(cfg->disks[0].path), "%s", file);
	json_object_object_add(c->details, "tmpfs_size_mb", json_object_new_int(TMPFS_SIZE_MB));
	return 0;
}

/* How much of the tmpfs is in use, into details[@key]. */
static void record_tmpfs(struct pmt_case *c, const char *key)
{
	char dir[PATH_MAX];
	struct statvfs sv;

	tmpfs_dir(c, dir, sizeof(dir));
	if (statvfs(dir, &sv) == 0)
		json_object_object_add(c->details, key, json_object_new_int64(
			(int64_t)((sv.f_blocks - sv.f_bfree) * sv.f_frsize)));
}

static int hostsigbus_arm(struct pmt_case *c, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	record_tmpfs(c, "tmpfs_used_after_mkfs");
	return 0;
}

struct fill_watch {
	struct json_object *events;	/* progress and promise events, in order */
	long long last_op, last_bytes;	/* the latest progress */
	long long synced_bytes;		/* the latest prefix promise */
};

static int on_event(void *ctx, const struct pmt_msg *m)
{
	struct fill_watch *w = ctx;

	if (strcmp(m->event, "progress") && strcmp(m->event, "promise"))
		return 0;
	json_object_array_add(w->events, json_object_get(m->root));
	if (!strcmp(m->event, "progress")) {
		w->last_op = pmt_json_int(m->root, "op", -1);
		w->last_bytes = json_object_get_int64(json_object_object_get(m->root, "bytes"));
	} else {
		w->synced_bytes = json_object_get_int64(json_object_object_get(m->root, "bytes"));
	}
	return 0;
}

/*
 * The guest fills its filesystem until QEMU dies or the guest's own
 * filesystem is full.  details: fill_s, last_progress_op/_bytes,
 * synced_bytes, fill (the guest's answer) or fill_error (why none came),
 * tmpfs_used_at_end.  *@result: {"events": the fill's progress and
 * promises}, for the check stage's promises in force.
 */
static int hostsigbus_run_workload(struct pmt_case *c, struct json_object **result, char *err,
				   size_t errlen)
{
	struct fill_watch w = { .events = json_object_new_array(), .last_op = -1 };
	struct json_object *args = json_object_new_object(), *wargs = json_object_new_object();
	struct json_object *res = NULL;
	enum pmt_agent_status st;
	char aerr[512];
	int64_t t0;

	json_object_object_add(wargs, "seed", json_object_new_int64((int64_t)c->seed));
	json_object_object_add(args, "workload", json_object_new_string("fill"));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	c->vm->agent.on_event = on_event;
	c->vm->agent.event_ctx = &w;
	t0 = pmt_now_ms();
	/* Not pmt_case_agent(): QEMU dying here is the observation, not a BROK. */
	st = pmt_agent_call(&c->vm->agent, "run", args, &res,
			    t0 + (int64_t)c->opt->cmd_timeout_s * 1000, aerr, sizeof(aerr));
	c->vm->agent.on_event = NULL;
	json_object_put(args);
	json_object_object_add(c->details, "fill_s", json_object_new_double((pmt_now_ms() - t0) / 1000.0));
	json_object_object_add(c->details, "last_progress_op", json_object_new_int64(w.last_op));
	json_object_object_add(c->details, "last_progress_bytes", json_object_new_int64(w.last_bytes));
	json_object_object_add(c->details, "synced_bytes", json_object_new_int64(w.synced_bytes));
	if (st == PMT_AGENT_GUEST_ERROR) {
		snprintf(err, errlen, "the workload could not run: %s", aerr);
		json_object_put(res);
		json_object_put(w.events);
		return -1;
	}
	if (st == PMT_AGENT_OK)
		json_object_object_add(c->details, "fill", res);
	else
		json_object_object_add(c->details, "fill_error", json_object_new_string(aerr));
	record_tmpfs(c, "tmpfs_used_at_end");
	*result = json_object_new_object();
	json_object_object_add(*result, "events", w.events);
	return 0;
}

/*
 * How QEMU ended: the access path "qemu".  Still alive (the guest
 * answered, or hangs), it is cut.  The fault fired unless the guest's fill
 * ended on its own, not at ENOSPC, with QEMU alive: then neither the host
 * nor the guest filesystem ran out.
 */
static int hostsigbus_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *fill = json_object_object_get(c->details, "fill");
	struct json_object *rec = json_object_new_object(), *f;
	long long bytes = pmt_json_int64(c->details, "last_progress_bytes", 0);
	bool killed = false;
	char how[600];

	json_object_object_add(rec, "path", json_object_new_string("qemu"));
	if (c->vm->backend->wait_exit(c->vm, pmt_now_ms() + QEMU_EXIT_WAIT_MS)) {
		pmt_vm_describe_exit(c->vm, how, sizeof(how));
		killed = WIFSIGNALED(c->vm->wstatus);
		/* Ended by itself (the status is in "how"): not killed. */
		if (killed)
			json_object_object_add(rec, "exit_signal",
					       json_object_new_int(WTERMSIG(c->vm->wstatus)));
		json_object_object_add(rec, "ok", json_object_new_boolean(!killed));
		json_object_object_add(rec, "errno", json_object_new_int(0));
	} else if (fill) {
		snprintf(how, sizeof(how), "QEMU survived; the guest's fill stopped: %s (errno %d)",
			 pmt_json_str(fill, "stopped"), pmt_json_int(fill, "errno", 0));
		json_object_object_add(rec, "ok", json_object_new_boolean(true));
		json_object_object_add(rec, "errno", json_object_new_int(0));
	} else {
		snprintf(how, sizeof(how), "QEMU alive but the guest did not answer: %s",
			 pmt_json_str(c->details, "fill_error"));
		json_object_object_add(rec, "timed_out", json_object_new_boolean(true));
	}
	json_object_object_add(rec, "how", json_object_new_string(how));
	json_object_object_add(c->details, "qemu_end", json_object_new_string(how));
	pmt_case_observe(c, NULL, rec);
	c->vm->backend->power_cut(c->vm);
	if (fill && strcmp(pmt_json_str(fill, "stopped"), "enospc") && !killed) {
		snprintf(err, errlen, "the guest wrote %lld bytes and the tmpfs never filled", bytes);
		return -1;
	}
	f = json_object_new_object();
	json_object_object_add(f, "qemu_killed_by_signal", json_object_new_boolean(killed));
	json_object_object_add(f, "guest_bytes_written", json_object_new_int64(bytes));
	pmt_fault_fired(c, f);
	return 0;
}

static void hostsigbus_disarm(struct pmt_case *c)
{
	if (c->rundir)
		tmpfs_release(c);
}

PMT_INJECTOR(hostsigbus,
	"the backing file's host filesystem (a 64 MiB tmpfs) runs out of space: "
	"QEMU gets SIGBUS",
	.devices = PMT_ON_VIRTIO_PMEM,
	.probe = hostsigbus_probe, .prepare_vm = hostsigbus_prepare, .arm = hostsigbus_arm,
	.run_workload = hostsigbus_run_workload, .fire = hostsigbus_fire, .disarm = hostsigbus_disarm);
