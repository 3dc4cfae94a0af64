// SPDX-License-Identifier: MIT
/*
 * powercut: a host power cut during a workload on virtio-pmem.
 *
 * QEMU runs with the LD_PRELOAD shim (injectors/powercut), which keeps the
 * durable image: the backing file as of the last flush the host completed.
 * The workload streams promises, each sent only after the sync that makes
 * it true returned.  At the crash point (after the workload's op K starts,
 * K from --seed) QEMU is killed.  What the host could hold after a real
 * power cut is the durable image plus any subset of the pages written since
 * (writeback may have written any of them): all lost, all kept, and
 * --crash-states seeded subsets.  A checker guest that stays up mounts each
 * state (log recovery), verifies the promises still in force, unmounts and
 * runs fsck -n.  A broken promise, an unmountable state or an fsck error is
 * FAIL, saved with a command that replays exactly that state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../injectors/powercut/durable.h"
#include "../guest_setup.h"
#include "../image.h"
#include "../json_util.h"
#include "../log.h"
#include "../promises.h"
#include "../shard.h"
#include "../util.h"
#include "crashcheck.h"
#include "shim_env.h"

#define MAX_SAVED_STATES 3

static void shim_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/shim", c->rundir);
}

static int powercut_prepare(struct pmt_case *c, struct pmt_vm_config *cfg)
{
	char dir[PATH_MAX];

	shim_dir(c, dir, sizeof(dir));
	return pmt_shim_prepare(c, cfg, dir) < 0 ? -1 : 0;
}

/*
 * Where the power goes (--crash-at, or a plan's param.crash_at):
 *   op        when op K's progress arrives: K's change is in flight, its sync not begun
 *   flush     while the host flush of op K's sync (or a later one) is held
 *             before it is recorded: the guest's fsync never returns
 *   flush-mid the same, after part of the flush's journal is written (the
 *             durable image must come back whole-old)
 *   time      at a seeded random time in the first 2 s of the workload
 */
enum crash_at { CRASH_OP, CRASH_FLUSH, CRASH_FLUSH_MID, CRASH_TIME };
static const char *const crash_at_names[] = { "op", "flush", "flush-mid", "time", NULL };

struct cut {
	struct json_object *events;	/* promise and progress events, in order */
	enum crash_at kind;
	long long at_op;		/* op K */
	const char *shim_dir;
	bool cut;
	long long sync_error_op;
};

static int on_event(void *ctx, const struct pmt_msg *m)
{
	struct cut *k = ctx;

	if (!strcmp(m->event, "promise") || !strcmp(m->event, "progress"))
		json_object_array_add(k->events, json_object_get(m->root));
	if (!strcmp(m->event, "sync-error"))
		k->sync_error_op = pmt_json_int(m->root, "op", -1);
	if (!strcmp(m->event, "progress") && pmt_json_int(m->root, "op", -1) == k->at_op &&
	    (k->kind == CRASH_OP || k->kind == CRASH_FLUSH || k->kind == CRASH_FLUSH_MID)) {
		if (k->kind != CRASH_OP) {
			char path[PATH_MAX];
			const char *mode = k->kind == CRASH_FLUSH ? "hold\n" : "hold-mid\n";

			/* The shim reads this at its next flush and holds it. */
			pmt_fmt(path, sizeof(path), "%s/mode", k->shim_dir);
			pmt_write_file_atomic(path, mode, strlen(mode));
		}
		k->cut = true;
		return 1;	/* stop waiting for the reply */
	}
	return 0;
}

/* Wait (inotify, bounded) until the shim holds a flush: DIR/held or DIR/held-mid. */
static int wait_for_hold(const char *dir, const char *name, int timeout_s)
{
	char path[PATH_MAX];
	int64_t deadline = pmt_now_ms() + (int64_t)timeout_s * 1000;
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int rc = -1;

	pmt_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE) < 0)
		goto out;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char buf[4096];
		int64_t left;

		/* Checked after the watch exists: a hold before it is not missed. */
		if (access(path, F_OK) == 0) {
			rc = 0;
			break;
		}
		left = deadline - pmt_now_ms();
		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) > 0 && read(fd, buf, sizeof(buf)) < 0)
			continue;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Run the workload and cut the power at the crash point.  0, or -1 after a BROK. */
static int run_and_cut(struct pmt_case *c, struct cut *k, uint64_t *rng)
{
	struct json_object *args = json_object_new_object(), *wargs = json_object_new_object();
	struct pmt_agent *a = &c->vm->agent;
	char err[512];
	int rc;

	json_object_object_add(wargs, "ops", json_object_new_int(c->opt->ops));
	json_object_object_add(wargs, "seed", json_object_new_int64((int64_t)c->seed));
	json_object_object_add(args, "workload", json_object_new_string(c->variant));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	a->on_event = on_event;
	a->event_ctx = k;
	if (k->kind == CRASH_TIME) {
		/* Not through pmt_case_agent: here a timeout is the crash point. */
		int64_t delay = (int64_t)(pmt_splitmix64(rng) % 2000);

		json_object_object_add(c->details, "crash_after_ms", json_object_new_int64(delay));
		rc = pmt_agent_call(a, "run", args, NULL, pmt_now_ms() + delay, err, sizeof(err));
		if (rc == PMT_AGENT_TRANSPORT && c->vm->backend->wait_exit(c->vm, pmt_now_ms())) {
			pmt_case_verdict(c, PMT_BROK, "workload: QEMU ended before the crash point: %s", err);
			rc = -1;
		} else {
			k->cut = rc == PMT_AGENT_TRANSPORT;
			rc = rc == PMT_AGENT_GUEST_ERROR ? 1 : 0;
		}
	} else {
		struct json_object *res = NULL;

		rc = pmt_case_agent(c, "run", args, &res, err, sizeof(err));
		/* Finished before the crash point: what it said counts too (an
		 * external workload such as fio verifies its own data). */
		if (rc == 0 && res) {
			json_object_object_add(c->details, "workload_result", json_object_get(res));
			if (pmt_json_int(res, "fio_exit", 0) != 0)
				pmt_case_verdict(c, PMT_FAIL, "workload: fio exited %d at op %d "
						 "(its verify failed or an I/O error): %s",
						 pmt_json_int(res, "fio_exit", 0),
						 pmt_json_int(res, "fio_op", -1),
						 pmt_json_str(res, "fio_output"));
		}
		json_object_put(res);
	}
	a->on_event = NULL;
	json_object_put(args);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		pmt_case_verdict(c, PMT_BROK, "workload: %s could not run: %s", c->variant, err);
		return -1;
	}
	if (k->cut && (k->kind == CRASH_FLUSH || k->kind == CRASH_FLUSH_MID)) {
		const char *held = k->kind == CRASH_FLUSH ? "held" : "held-mid";

		if (wait_for_hold(k->shim_dir, held, c->opt->cmd_timeout_s)) {
			pmt_case_verdict(c, PMT_BROK, "workload: no host flush was held after op %lld "
					 "(fault did not fire)", k->at_op);
			c->vm->backend->power_cut(c->vm);
			return -1;
		}
	}
	/* The power goes: SIGKILL, nothing flushed.  A workload that ended
	 * before the crash point (a sync error stops it) is cut here too. */
	c->vm->backend->power_cut(c->vm);
	return 0;
}

struct state {
	char name[64];
	struct pmt_subset subset;
};

static int make_states(const struct pmt_case *c, size_t ndirty, struct state *st, int max)
{
	int n = 0;

	st[n].subset.kind = PMT_SUBSET_ALL_LOST;
	snprintf(st[n++].name, sizeof(st[0].name), "lost-all");
	if (!ndirty)
		return n;	/* nothing unflushed: one state says it all */
	st[n].subset.kind = PMT_SUBSET_ALL_KEPT;
	snprintf(st[n++].name, sizeof(st[0].name), "kept-all");
	for (int i = 0; ndirty > 1 && i < c->opt->crash_states && n < max; i++, n++) {
		st[n].subset.kind = PMT_SUBSET_SEEDED;
		st[n].subset.seed = c->seed;
		st[n].subset.n = (uint64_t)i;
		snprintf(st[n].name, sizeof(st[0].name), "seed-%llu-%d", (unsigned long long)c->seed, i);
	}
	return n;
}

/* Keep a failing state in the result folder with a command that replays it. */
static void save_state(struct pmt_case *c, const char *durable, const char *current,
		       const struct state *s, const uint64_t *pages, size_t npages,
		       struct json_object *promises, char *cmd, size_t cmdlen)
{
	char mine[PATH_MAX + 96];

	char img[PATH_MAX], prom[PATH_MAX];
	const char *text;

	pmt_fmt(img, sizeof(img), "%s/state-%s.img", c->dir, s->name);
	pmt_fmt(prom, sizeof(prom), "%s/state-%s.promises.json", c->dir, s->name);
	if (pmt_crash_state_write(durable, current, img, pages, npages))
		return;
	text = json_object_to_json_string_ext(promises, JSON_C_TO_STRING_PRETTY);
	pmt_write_file_atomic(prom, text, strlen(text));
	snprintf(mine, sizeof(mine), "pmtorture run --scenario replay --fs %s --replay %s",
		 c->fs, img);
	if (!cmd[0])	/* the first saved state is the one the verdict names */
		snprintf(cmd, cmdlen, "%s", mine);
}

static int check_states(struct pmt_case *c, const char *durable, const char *current,
			struct json_object *promises)
{
	char checker_img[PATH_MAX], dev[64], err[512], first[1024] = "", cmd[PATH_MAX + 96] = "";
	struct json_object *report = json_object_new_array();
	uint64_t *dirty = NULL;
	size_t ndirty = 0;
	struct state *st = calloc((size_t)c->opt->crash_states + 2, sizeof(*st));
	struct pmt_vm checker, *main_vm = c->vm;
	int nstates, bad = 0, saved = 0, rc = -1;
	int64_t t0;

	pmt_case_phase(c, "crash-states");
	if (!st) {
		pmt_case_verdict(c, PMT_BROK, "crash-states: out of memory");
		json_object_put(report);
		return -1;
	}
	if (pmt_dirty_pages(durable, current, &dirty, &ndirty)) {
		pmt_case_verdict(c, PMT_BROK, "crash-states: comparing %s with %s: %s", durable,
				 current, strerror(errno));
		free(st);
		json_object_put(report);
		return -1;
	}
	nstates = make_states(c, ndirty, st, c->opt->crash_states + 2);
	json_object_object_add(c->details, "unflushed_pages", json_object_new_int64((int64_t)ndirty));
	pmt_fmt(checker_img, sizeof(checker_img), "%s/checker.img", c->rundir);
	if (pmt_crash_state_write(durable, current, checker_img, NULL, 0)) {
		pmt_case_verdict(c, PMT_BROK, "crash-states: writing %s: %s", checker_img, strerror(errno));
		free(dirty);
		free(st);
		json_object_put(report);
		return -1;
	}

	/* One checker guest for every state: the host rewrites its backing file. */
	pmt_case_phase(c, "checker-boot");
	if (pmt_case_boot_guest(c, &checker, "checker", checker_img, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "checker-boot: %s", err);
		goto out;
	}
	c->vm = &checker;
	pmt_case_phase(c, "check");
	if (pmt_crash_find_dev(c, dev, sizeof(dev)))
		goto out_vm;

	t0 = pmt_now_ms();
	for (int i = 0; i < nstates; i++) {
		struct json_object *problems = json_object_new_array(), *row;
		uint64_t *pages = NULL;
		size_t npages = 0;
		int r;

		if (pmt_subset_select(dirty, ndirty, &st[i].subset, &pages, &npages) ||
		    pmt_crash_state_write(durable, current, checker_img, pages, npages)) {
			pmt_case_verdict(c, PMT_BROK, "check: building state %s: %s", st[i].name,
					 strerror(errno));
			json_object_put(problems);
			free(pages);
			goto out_vm;
		}
		r = pmt_crash_check_state(c, dev, promises, problems);
		if (r < 0) {
			json_object_put(problems);
			free(pages);
			goto out_vm;
		}
		row = json_object_new_object();
		json_object_object_add(row, "state", json_object_new_string(st[i].name));
		json_object_object_add(row, "pages_kept", json_object_new_int64((int64_t)npages));
		json_object_object_add(row, "problems", problems);
		json_object_array_add(report, row);
		if (r > 0) {
			if (!bad++)
				snprintf(first, sizeof(first), "state %s (%zu of %zu unflushed pages kept): %s",
					 st[i].name, npages, ndirty,
					 json_object_get_string(json_object_array_get_idx(problems, 0)));
			if (saved++ < MAX_SAVED_STATES)
				save_state(c, durable, current, &st[i], pages, npages, promises,
					   cmd, sizeof(cmd));
		}
		free(pages);
	}
	json_object_object_add(c->details, "check_s",
			       json_object_new_double((pmt_now_ms() - t0) / 1000.0));
	json_object_object_add(c->details, "states_per_minute",
			       json_object_new_double(nstates * 60000.0 /
						      (double)(pmt_now_ms() - t0 + 1)));
	if (bad) {
		json_object_object_add(c->details, "reproduce", json_object_new_string(cmd));
		pmt_case_verdict(c, PMT_FAIL, "%s: %d of %d crash states broken; first: %s; reproduce: %s",
				 c->variant, bad, nstates, first, cmd);
	} else {
		pmt_case_verdict(c, PMT_PASS, "%d crash states (%zu unflushed pages): %zu promises held, "
				 "fsck clean", nstates, ndirty, json_object_array_length(promises));
	}
	rc = 0;
out_vm:
	pmt_case_phase(c, "checker-shutdown");
	pmt_case_shutdown(c, &checker);
	checker.backend->release(&checker);
out:
	c->vm = main_vm;
	json_object_object_add(c->details, "crash_states", report);
	unlink(checker_img);
	free(dirty);
	free(st);
	return rc;
}

static int crash_at_parse(struct pmt_case *c, enum crash_at *kind)
{
	struct json_object *v = NULL;
	const char *name = c->opt->crash_at;

	if (c->params && json_object_object_get_ex(c->params, "crash_at", &v))
		name = json_object_get_string(v);
	for (int i = 0; crash_at_names[i]; i++) {
		if (!strcmp(name, crash_at_names[i])) {
			*kind = (enum crash_at)i;
			return 0;
		}
	}
	pmt_case_verdict(c, PMT_BROK, "setup: crash_at \"%s\" is not op, flush, flush-mid or time", name);
	return -1;
}

static int powercut_run(struct pmt_case *c)
{
	struct cut k = { .events = json_object_new_array(), .sync_error_op = -1 };
	char dev[64], dir[PATH_MAX], durable[PATH_MAX], path[PATH_MAX];
	struct json_object *promises = NULL;
	uint64_t rng;
	int rc = -1;

	if (pmt_setup_fs(c, dev, sizeof(dev)))
		goto out;
	if (!pmt_json_bool(json_object_object_get(c->details, "mount"), "dax", false)) {
		pmt_case_verdict(c, PMT_BROK, "mount: DAX is not active on %s", dev);
		goto out;
	}
	shim_dir(c, dir, sizeof(dir));
	/* mkfs and mount flushed honestly; a planted lying device starts here. */
	if (!strcmp(c->opt->flush_mode, "lying")) {
		pmt_fmt(path, sizeof(path), "%s/mode", dir);
		if (pmt_write_file_atomic(path, "lying\n", 6)) {
			pmt_case_verdict(c, PMT_BROK, "setup: cannot plant the lying flush: %s",
					 strerror(errno));
			goto out;
		}
	}

	/* The crash point: reproducible from --seed and the case. */
	if (crash_at_parse(c, &k.kind))
		goto out;
	k.shim_dir = dir;
	rng = c->seed ^ pmt_fnv1a64(c->id);
	k.at_op = 1 + (long long)(pmt_splitmix64(&rng) % (uint64_t)c->opt->ops);
	pmt_case_phase(c, "workload");
	if (run_and_cut(c, &k, &rng))
		goto out;
	json_object_object_add(c->details, "crash_at", json_object_new_string(crash_at_names[k.kind]));
	json_object_object_add(c->details, "crash_point", json_object_new_int64(k.at_op));
	json_object_object_add(c->details, "cut_at_progress", json_object_new_boolean(k.cut));
	json_object_object_add(c->details, "flush_mode", json_object_new_string(c->opt->flush_mode));
	if (k.sync_error_op >= 0)
		json_object_object_add(c->details, "sync_error_op",
				       json_object_new_int64(k.sync_error_op));

	/* What the shim saw: how many host flushes, and the last one's fate. */
	{
		char log[PATH_MAX];
		size_t len = 0;
		char *text;

		pmt_fmt(log, sizeof(log), "%s/flushes.jsonl", dir);
		text = pmt_read_file(log, 1 << 22, &len);
		if (text) {
			int n = 0;
			char *last = NULL;

			for (char *p = text; *p; p++)
				if (*p == '\n') {
					n++;
					*p = '\0';
					if (p[1])
						last = p + 1;
				}
			json_object_object_add(c->details, "host_flushes", json_object_new_int(n));
			if (last || n)
				json_object_object_add(c->details, "last_flush",
						       json_tokener_parse(last ? last : text));
			free(text);
		}
	}
	pmt_case_phase(c, "durable");
	if (pmt_durable_recover(dir) < 0) {
		pmt_case_verdict(c, PMT_BROK, "durable: recovering %s: %s", dir, strerror(errno));
		goto out;
	}
	pmt_fmt(durable, sizeof(durable), "%s/%s", dir, PMT_DURABLE_IMG);
	promises = pmt_promises_in_force(k.events);
	json_object_object_add(c->details, "promises", json_object_get(promises));
	rc = check_states(c, durable, c->vm->cfg.disks[0].path, promises);
out:
	json_object_put(promises);
	json_object_put(k.events);
	pmt_rm_rf(dir);
	return rc;
}

static const char *const powercut_fs[] = { "ext4", "xfs", NULL };
static const char *const powercut_workloads[] = {
	"append_fsync", "overwrite_fdatasync", "rename_replace",
	"create_unlink", "falloc_punch", "dax_mmap", "fio_verify", NULL,
};

const struct pmt_scenario pmt_scenario_powercut = {
	.name = "powercut",
	.description = "host power cut mid-workload: every crash state keeps the promises, fsck clean",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = powercut_fs,
	.mount_opts = "dax",
	.variants = powercut_workloads,
	.prepare_vm = powercut_prepare,
	.run = powercut_run,
};
