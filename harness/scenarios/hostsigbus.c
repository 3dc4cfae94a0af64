// SPDX-License-Identifier: MIT
/*
 * hostsigbus: the virtio-pmem backing file lives on a host filesystem that
 * fills up before the guest's does.
 *
 * The harness mounts a 64 MiB tmpfs in the run folder and puts the 512 MiB
 * (sparse) backing file there.  QEMU maps it MAP_SHARED, so a guest store
 * to a page tmpfs cannot allocate is a host page fault that fails: QEMU
 * gets SIGBUS and, having no handler for it outside guest RAM preallocation,
 * dies (injectors/ERRORS-FACTS.md B.5: wait status signal 7, empty
 * qemu.log, nothing on the guest console).  The guest workload "fill"
 * writes one file and fsyncs every MiB, promising each synced prefix.
 *
 * Recorded: how QEMU ended (its wait status), the guest's last progress,
 * then what survived: the image is copied off the tmpfs and mounted in a
 * checker guest (ext4 log recovery), the promises still in force are
 * verified, and fsck -n runs after the umount.  Judged against
 * results/expected/errors.tsv, PATHs qemu (killed=SIGBUS), recovery (ok:
 * mounts and fsck is clean; errno=EUCLEAN stands for either failing) and
 * synced_data (ok, or ok/bad-data when a promise broke).
 *
 * The tmpfs is the hostsigbus injector's (injectors/hostsigbus.c): it is
 * mounted before the boot and gone after the case, in every exit path.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable.h"
#include "expect.h"
#include "guest_setup.h"
#include "json_util.h"
#include "log.h"
#include "proc.h"
#include "promises.h"
#include "hostsigbus.h"
#include "injector.h"
#include "runner.h"
#include "util.h"
#include "crashcheck.h"

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


static struct json_object *record(const char *path)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "path", json_object_new_string(path));
	return r;
}

static void set_result(struct json_object *r, bool ok, int err, int data_ok)
{
	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	json_object_object_add(r, "errno", json_object_new_int(err));
	if (data_ok >= 0)
		json_object_object_add(r, "data_ok", json_object_new_boolean(data_ok));
}

static int agent(struct pmt_case *c, const char *cmd, struct json_object *args,
		 struct json_object **res, char *err, size_t errlen)
{
	int rc = pmt_case_agent(c, cmd, args, res, err, errlen);

	json_object_put(args);
	return rc;
}

/*
 * In the checker guest: mount (log recovery), verify, umount, fsck -n.
 * Appends the "recovery" and "synced_data" records.  0, or -1 after a BROK.
 */
static int check_image(struct pmt_case *c, struct json_object *promises,
		       struct json_object *probes)
{
	struct json_object *args, *res = NULL, *rec, *broken;
	char dev[64], err[512];
	int rc, nbroken = 0;

	if (pmt_crash_find_dev(c, dev, sizeof(dev)))
		return -1;
	args = json_object_new_object();
	json_object_object_add(args, "fs", json_object_new_string(c->fs));
	json_object_object_add(args, "dev", json_object_new_string(dev));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "opts", json_object_new_string("dax"));
	rc = agent(c, "mount", args, NULL, err, sizeof(err));
	if (rc < 0)
		return -1;
	rec = record("recovery");
	if (rc > 0) {
		json_object_object_add(rec, "error", json_object_new_string(err));
		set_result(rec, false, EUCLEAN, -1);
		json_object_array_add(probes, rec);
		return 0;
	}

	args = json_object_new_object();
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "promises", json_object_get(promises));
	if (agent(c, "verify", args, &res, err, sizeof(err))) {
		json_object_put(rec);
		if (!c->verdict_set)
			pmt_case_verdict(c, PMT_BROK, "check: verify: %s", err);
		return -1;
	}
	if (json_object_object_get_ex(res, "broken", &broken))
		nbroken = (int)json_object_array_length(broken);
	json_object_object_add(c->details, "verify", res);
	res = NULL;

	args = json_object_new_object();
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	if (agent(c, "umount", args, NULL, err, sizeof(err))) {
		json_object_put(rec);
		if (!c->verdict_set)
			pmt_case_verdict(c, PMT_BROK, "check: umount: %s", err);
		return -1;
	}
	args = json_object_new_object();
	json_object_object_add(args, "fs", json_object_new_string(c->fs));
	json_object_object_add(args, "dev", json_object_new_string(dev));
	if (agent(c, "fsck", args, &res, err, sizeof(err))) {
		json_object_put(rec);
		if (!c->verdict_set)
			pmt_case_verdict(c, PMT_BROK, "check: fsck: %s", err);
		return -1;
	}
	json_object_object_add(rec, "fsck_exit", json_object_new_int(pmt_json_int(res, "exit", -1)));
	json_object_object_add(rec, "fsck_output", json_object_new_string(pmt_json_str(res, "output")));
	set_result(rec, pmt_json_int(res, "exit", -1) == 0, EUCLEAN, -1);
	json_object_put(res);
	json_object_array_add(probes, rec);

	rec = record("synced_data");
	json_object_object_add(rec, "promises", json_object_new_int(
		(int)json_object_array_length(promises)));
	json_object_object_add(rec, "broken", json_object_new_int(nbroken));
	set_result(rec, true, 0, nbroken == 0);
	json_object_array_add(probes, rec);
	return 0;
}

static void record_tmpfs(struct pmt_case *c, const char *key)
{
	char dir[PATH_MAX];
	struct statvfs sv;

	pmt_hostsigbus_dir(c, dir, sizeof(dir));
	if (statvfs(dir, &sv) == 0)
		json_object_object_add(c->details, key, json_object_new_int64(
			(int64_t)((sv.f_blocks - sv.f_bfree) * sv.f_frsize)));
}

static int hostsigbus_run(struct pmt_case *c)
{
	struct fill_watch w = { .events = json_object_new_array(), .last_op = -1 };
	struct json_object *args, *wargs, *res = NULL, *probes = json_object_new_array(), *rec;
	struct json_object *promises = NULL;
	const struct pmt_expectations *e;
	struct pmt_vm checker, *main_vm = c->vm;
	char dev[64], err[512], how[600], img[PATH_MAX];
	enum pmt_agent_status st;
	int64_t t0;

	img[0] = '\0';
	e = pmt_expectations_default(err, sizeof(err));
	if (!e) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		goto out;
	}
	if (pmt_setup_fs(c, dev, sizeof(dev)))
		goto out;
	record_tmpfs(c, "tmpfs_used_after_mkfs");

	/* Not pmt_case_agent(): QEMU dying here is the observation, not a BROK. */
	pmt_case_phase(c, "fill");
	args = json_object_new_object();
	wargs = json_object_new_object();
	json_object_object_add(wargs, "seed", json_object_new_int64((int64_t)c->seed));
	json_object_object_add(args, "workload", json_object_new_string("fill"));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	c->vm->agent.on_event = on_event;
	c->vm->agent.event_ctx = &w;
	t0 = pmt_now_ms();
	st = pmt_agent_call(&c->vm->agent, "run", args, &res, t0 + (int64_t)c->opt->cmd_timeout_s * 1000,
			    err, sizeof(err));
	c->vm->agent.on_event = NULL;
	json_object_put(args);
	json_object_object_add(c->details, "fill_s", json_object_new_double((pmt_now_ms() - t0) / 1000.0));
	json_object_object_add(c->details, "last_progress_op", json_object_new_int64(w.last_op));
	json_object_object_add(c->details, "last_progress_bytes", json_object_new_int64(w.last_bytes));
	json_object_object_add(c->details, "synced_bytes", json_object_new_int64(w.synced_bytes));
	if (st == PMT_AGENT_GUEST_ERROR) {
		pmt_case_verdict(c, PMT_BROK, "fill: the workload could not run: %s", err);
		goto out;
	}
	if (st == PMT_AGENT_OK)
		json_object_object_add(c->details, "fill", json_object_get(res));
	record_tmpfs(c, "tmpfs_used_at_end");

	/* How QEMU ended.  Still alive (the guest answered, or hangs): kill it. */
	rec = record("qemu");
	if (c->vm->backend->wait_exit(c->vm, pmt_now_ms() + 5000)) {
		pmt_vm_describe_exit(c->vm, how, sizeof(how));
		if (WIFSIGNALED(c->vm->wstatus)) {
			json_object_object_add(rec, "exit_signal",
					       json_object_new_int(WTERMSIG(c->vm->wstatus)));
			set_result(rec, false, 0, -1);
		} else {
			/* Ended by itself (the status is in "how"): not killed. */
			set_result(rec, true, 0, -1);
		}
	} else if (st == PMT_AGENT_OK) {
		snprintf(how, sizeof(how), "QEMU survived; the guest's fill stopped: %s (errno %d)",
			 pmt_json_str(res, "stopped"), pmt_json_int(res, "errno", 0));
		set_result(rec, true, 0, -1);
	} else {
		snprintf(how, sizeof(how), "QEMU alive but the guest did not answer: %s", err);
		json_object_object_add(rec, "timed_out", json_object_new_boolean(true));
	}
	json_object_object_add(rec, "how", json_object_new_string(how));
	json_object_object_add(c->details, "qemu_end", json_object_new_string(how));
	json_object_array_add(probes, rec);
	c->vm->backend->power_cut(c->vm);
	json_object_put(res);
	res = NULL;
	if (st == PMT_AGENT_OK && strcmp(pmt_json_str(json_object_object_get(c->details, "fill"),
						      "stopped"), "enospc") &&
	    !WIFSIGNALED(c->vm->wstatus)) {
		/* Neither the host nor the guest filesystem ran out. */
		pmt_case_verdict(c, PMT_BROK, "fill: fault did not fire: the guest wrote %lld bytes "
				 "and the tmpfs never filled", w.last_bytes);
		goto out;
	}
	{
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "qemu_killed_by_signal",
				       json_object_new_boolean(WIFSIGNALED(c->vm->wstatus)));
		json_object_object_add(f, "guest_bytes_written", json_object_new_int64(w.last_bytes));
		pmt_fault_fired(c, f);
	}

	/* What survived: a copy on a normal disk, in a checker guest. */
	pmt_case_phase(c, "copy");
	pmt_fmt(img, sizeof(img), "%s/sigbus-checker.img", c->rundir);
	/* A sparse copy: the image as its own durable image, no pages on top. */
	if (pmt_crash_state_write(main_vm->cfg.disks[0].path, main_vm->cfg.disks[0].path, img,
				  NULL, 0)) {
		pmt_case_verdict(c, PMT_BROK, "copy: %s to %s: %s", main_vm->cfg.disks[0].path, img,
				 strerror(errno));
		img[0] = '\0';
		goto out;
	}
	pmt_cleanup_register(img, 0);
	pmt_hostsigbus_release(c);
	promises = pmt_promises_in_force(w.events);
	json_object_object_add(c->details, "promises", json_object_get(promises));

	if (pmt_case_boot_checker(c, &checker, img))
		goto out;
	pmt_case_phase(c, "check");
	if (check_image(c, promises, probes) == 0) {
		pmt_case_phase(c, "judge");
		pmt_expect_judge(e, c, "dax", probes);
	}
	pmt_case_phase(c, "checker-shutdown");
	pmt_case_shutdown(c, &checker);
	checker.backend->release(&checker);
	c->vm = main_vm;
out:
	/* Every path: no guest holds the tmpfs, then it goes. */
	main_vm->backend->power_cut(main_vm);
	pmt_hostsigbus_release(c);
	if (img[0]) {
		unlink(img);
		pmt_cleanup_unregister(img);
	}
	json_object_put(promises);
	json_object_put(probes);
	json_object_put(w.events);
	return 0;
}

static const char *const hostsigbus_fs[] = { "ext4", NULL };

const struct pmt_scenario pmt_scenario_hostsigbus = {
	.name = "hostsigbus",
	.description = "the backing file's host filesystem fills up: how QEMU ends, what the image keeps",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = hostsigbus_fs,
	.mount_opts = "dax",
	.injector = "hostsigbus",
	.run = hostsigbus_run,
};
