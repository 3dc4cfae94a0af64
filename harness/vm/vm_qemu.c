// SPDX-License-Identifier: MIT
/*
 * The QEMU backend: qemu-system-x86_64 spawned from an argv (never a
 * shell), in its own process group with PR_SET_PDEATHSIG.  The harness owns
 * the listening sockets for QMP and the agent, and QEMU connects to them as
 * a client, as libqtest does: no waiting for QEMU to create a socket, and no
 * socket file outlives the accept().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_util.h"
#include "log.h"
#include "snapshot.h"
#include "proc.h"
#include "util.h"
#include "vm.h"
#include "vm_move.h"

#define MAX_ARGS 96

struct argv_builder {
	char *argv[MAX_ARGS];
	int argc;
	bool overflow;
};

static void arg(struct argv_builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void arg(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->argc >= MAX_ARGS - 1) {
		b->overflow = true;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		b->overflow = true;
		return;
	}
	b->argv[b->argc++] = s;
}

static void argv_free(struct argv_builder *b)
{
	for (int i = 0; i < b->argc; i++)
		free(b->argv[i]);
	b->argc = 0;
}

static bool has_nvdimm(const struct pmt_vm_config *cfg)
{
	for (int i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].kind == PMT_DEV_NVDIMM)
			return true;
	return false;
}

static int build_argv(const struct pmt_vm_config *cfg, const char *qmp_path,
		      const char *agent_path, int console_fd, bool incoming,
		      struct argv_builder *b)
{
	char e1[PATH_MAX * 2], e2[PATH_MAX * 2];

	arg(b, "%s", cfg->qemu);
	arg(b, "-nodefaults");
	arg(b, "-no-user-config");
	arg(b, "-display");
	arg(b, "none");
	arg(b, "-no-reboot");
	arg(b, "-machine");
	/* q35 boots ~0.3 s faster than pc under TCG; mem-ctrl makes the NVDIMM
	 * region report a persistence_domain, as a platform with ADR would. */
	arg(b, "q35%s", has_nvdimm(cfg) ? ",nvdimm=on,nvdimm-persistence=mem-ctrl" : "");
	arg(b, "-accel");
	arg(b, "%s", cfg->accel == PMT_ACCEL_KVM ? "kvm" : "tcg");
	arg(b, "-cpu");
	arg(b, "%s", cfg->cpu ? cfg->cpu : "max");
	arg(b, "-smp");
	arg(b, "%d", cfg->smp);
	/* Device memory (virtio-pmem, nvdimm) needs slots and maxmem. */
	arg(b, "-m");
	arg(b, "%dM,slots=%d,maxmem=%dM", cfg->mem_mb, PMT_VM_MAX_DISKS, cfg->mem_mb + 8192);
	arg(b, "-kernel");
	arg(b, "%s", cfg->kernel);
	arg(b, "-initrd");
	arg(b, "%s", cfg->initrd);
	arg(b, "-append");
	arg(b, "%s", cfg->append);
	arg(b, "-chardev");
	/* A pipe to the harness's copier (console.h), which bounds console.log. */
	arg(b, "file,id=con,path=/dev/fd/%d", console_fd);
	arg(b, "-serial");
	arg(b, "chardev:con");
	arg(b, "-chardev");
	arg(b, "socket,id=qmp,path=%s", pmt_vm_qemu_escape(qmp_path, e1, sizeof(e1)));
	arg(b, "-mon");
	arg(b, "chardev=qmp,mode=control");
	arg(b, "-device");
	arg(b, "virtio-serial-pci,id=vser0");
	arg(b, "-chardev");
	arg(b, "socket,id=agent,path=%s", pmt_vm_qemu_escape(agent_path, e1, sizeof(e1)));
	arg(b, "-device");
	arg(b, "virtserialport,bus=vser0.0,chardev=agent,name=%s", PMT_AGENT_PORT_NAME);
	for (int i = 0; i < cfg->ndisks; i++) {
		const struct pmt_vm_disk *d = &cfg->disks[i];

		arg(b, "-object");
		arg(b, "memory-backend-file,id=mem%d,share=on,mem-path=%s,size=%llu", i,
		    pmt_vm_qemu_escape(d->path, e2, sizeof(e2)), (unsigned long long)d->size);
		if (cfg->hotplug_port && d->kind == PMT_DEV_VIRTIO_PMEM) {
			arg(b, "-device");
			arg(b, "pcie-root-port,id=port%d,chassis=%d", i, i + 1);
		}
		arg(b, "-device");
		if (d->kind == PMT_DEV_VIRTIO_PMEM && cfg->hotplug_port)
			arg(b, "virtio-pmem-pci,memdev=mem%d,id=pmem%d,bus=port%d", i, i, i);
		else if (d->kind == PMT_DEV_VIRTIO_PMEM)
			arg(b, "virtio-pmem-pci,memdev=mem%d,id=pmem%d", i, i);
		else
			/* label-size= gives the guest a label area, needed for fsdax namespaces */
			arg(b, "nvdimm,memdev=mem%d,id=nvdimm%d,label-size=128K", i, i);
	}
	if (cfg->s3) {
		/* q35 hides S3 from the guest's ACPI tables unless told (vmevent suspend). */
		arg(b, "-global");
		arg(b, "ICH9-LPC.disable_s3=0");
	}
	if (incoming) {
		/* The stream comes by migrate-incoming, after the capabilities. */
		arg(b, "-incoming");
		arg(b, "defer");
	}
	b->argv[b->argc] = NULL;
	return b->overflow ? -1 : 0;
}

/* The command line as a shell could run it again, for the result folder. */
static void write_cmdline(const struct pmt_vm_config *cfg, struct argv_builder *b)
{
	char path[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/qemu-cmdline.txt", cfg->logdir);
	f = fopen(path, "w");
	if (!f)
		return;
	for (int i = 0; i < b->argc; i++) {
		const char *s = b->argv[i];

		fputs(i ? " '" : "'", f);
		for (; *s; s++) {
			if (*s == '\'')
				fputs("'\\''", f);
			else
				fputc(*s, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
	fclose(f);
}

/* Accept QEMU's connection, unless QEMU dies or the deadline passes first. */
static int accept_or_exit(struct pmt_vm *vm, int lfd, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = vm->pidfd, .events = POLLIN },
		};
		int64_t left = deadline_ms - pmt_now_ms();
		int r;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(pfd, vm->pidfd >= 0 ? 2 : 1, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0 && (pfd[0].revents & POLLIN))
			return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (r > 0 && pfd[1].revents) {
			errno = ECHILD;
			return -1;
		}
	}
}

static void reap_if_exited(struct pmt_vm *vm)
{
	if (!vm->exited && vm->pid > 0 && waitpid(vm->pid, &vm->wstatus, WNOHANG) == vm->pid) {
		vm->exited = true;
		pmt_child_forget(vm->pid);
	}
}

static int qemu_fail(struct pmt_vm *vm, char *err, size_t errlen, const char *what)
{
	char why[768];

	/* Give QEMU a moment to finish dying, so its own message is the reason. */
	if (!vm->exited && vm->pid > 0 && pmt_wait_exit(vm->pid, vm->pidfd, pmt_now_ms() + 2000,
							 &vm->wstatus))
		vm->exited = true;
	reap_if_exited(vm);
	if (vm->exited) {
		/* QEMU's own last words say more than the symptom we saw. */
		pmt_vm_describe_exit(vm, why, sizeof(why));
		snprintf(err, errlen, "%s", why);
	} else {
		snprintf(err, errlen, "%s", what);
	}
	return -1;
}

static int restore_stream(struct pmt_vm *vm, int fd, int64_t deadline_ms, char *err, size_t errlen);

/*
 * Spawn QEMU and wait for the agent: for "ready" after a cold boot, or,
 * restoring the migration stream on @restore_fd (>= 0), for its answer to
 * uname -r (restore_stream).
 * One function because the steps (sockets, console, command line, spawn, QMP, agent) run
 * in this order and share the two listen sockets and the one cleanup at out:; split, each
 * piece would take the vm, the paths and the error buffer.
 */
static int qemu_spawn(struct pmt_vm *vm, int restore_fd, const char *preamble,
		      int64_t deadline_ms, char *err, size_t errlen)
{
	struct pmt_vm_config *cfg = &vm->cfg;
	char qmp_path[PATH_MAX + 16], agent_path[PATH_MAX + 16], log_path[PATH_MAX + 16];
	char console_path[PATH_MAX + 16];
	char why[512];
	struct argv_builder b = { 0 };
	int qmp_l = -1, agent_l = -1, fd, rc = -1;

	/* A vm may be started again after a failed start (the KVM probe). */
	vm->pid = -1;
	vm->pidfd = -1;
	vm->exited = false;
	vm->wstatus = 0;
	vm->qmp_up = vm->agent_up = false;
	vm->t_spawn_ms = vm->t_ready_ms = 0;
	snprintf(qmp_path, sizeof(qmp_path), "%s/qmp.sock", cfg->rundir);
	snprintf(agent_path, sizeof(agent_path), "%s/agent.sock", cfg->rundir);
	snprintf(log_path, sizeof(log_path), "%s/qemu.log", cfg->logdir);
	snprintf(console_path, sizeof(console_path), "%s/console.log", cfg->logdir);
	pmt_console_finish(&vm->console, pmt_now_ms());

	qmp_l = pmt_vm_listen_unix(qmp_path);
	agent_l = pmt_vm_listen_unix(agent_path);
	if (qmp_l < 0 || agent_l < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->rundir, strerror(errno));
		goto out;
	}
	if (pmt_console_pipe(&vm->console)) {
		snprintf(err, errlen, "cannot make the console pipe: %s", strerror(errno));
		goto out;
	}
	vm->console.preamble = preamble;
	if (build_argv(cfg, qmp_path, agent_path, vm->console.qfd, restore_fd >= 0, &b)) {
		snprintf(err, errlen, "QEMU command line too long");
		goto out;
	}
	write_cmdline(cfg, &b);
	vm->qmp_log = pmt_vm_open_log(cfg, "qmp.log");
	vm->agent_log = pmt_vm_open_log(cfg, "agent.log");

	vm->t_spawn_ms = pmt_now_ms();
	vm->pid = pmt_spawn(b.argv, log_path, cfg->env[0] ? cfg->env : NULL);
	if (vm->pid < 0) {
		snprintf(err, errlen, "cannot run %s: %s", cfg->qemu, strerror(errno));
		goto out;
	}
	vm->pidfd = pmt_pidfd_open(vm->pid);
	if (pmt_console_start(&vm->console, console_path, log_path, vm->pidfd)) {
		snprintf(err, errlen, "cannot start the console copier: %s", strerror(errno));
		goto out;
	}

	fd = accept_or_exit(vm, qmp_l, deadline_ms);
	if (fd < 0) {
		qemu_fail(vm, err, errlen, errno == ETIMEDOUT ?
			  "QEMU did not connect to QMP in time" : "QEMU did not start");
		goto out;
	}
	if (pmt_qmp_attach(&vm->qmp, fd, vm->pidfd, vm->qmp_log, deadline_ms, why, sizeof(why))) {
		pmt_qmp_close(&vm->qmp);
		qemu_fail(vm, err, errlen, why);
		goto out;
	}
	vm->qmp_up = true;

	fd = accept_or_exit(vm, agent_l, deadline_ms);
	if (fd < 0) {
		qemu_fail(vm, err, errlen, "QEMU did not connect the agent channel");
		goto out;
	}
	pmt_agent_init(&vm->agent, fd, vm->pidfd, vm->agent_log);
	vm->agent_up = true;
	if (restore_fd >= 0 ? restore_stream(vm, restore_fd, deadline_ms, why, sizeof(why)) :
	    pmt_agent_wait_ready(&vm->agent, deadline_ms, why, sizeof(why))) {
		qemu_fail(vm, err, errlen, why);
		goto out;
	}
	vm->t_ready_ms = pmt_now_ms();
	rc = 0;
out:
	pmt_vm_unlisten_unix(qmp_l, qmp_path);
	pmt_vm_unlisten_unix(agent_l, agent_path);
	argv_free(&b);
	return rc;
}

/* QEMU is gone: what it wrote to the console is in console.log once this returns. */
#define CONSOLE_DRAIN_MS 2000

static void qemu_power_cut(struct pmt_vm *vm)
{
	reap_if_exited(vm);
	if (vm->pid > 0 && !vm->exited) {
		vm->wstatus = pmt_kill_and_reap(vm->pid);
		vm->exited = true;
	}
	pmt_console_finish(&vm->console, pmt_now_ms() + CONSOLE_DRAIN_MS);
}

static int qemu_wait_exit(struct pmt_vm *vm, int64_t deadline_ms)
{
	if (vm->exited || vm->pid <= 0) {
		pmt_console_finish(&vm->console, pmt_now_ms() + CONSOLE_DRAIN_MS);
		return 1;
	}
	if (pmt_wait_exit(vm->pid, vm->pidfd, deadline_ms, &vm->wstatus)) {
		vm->exited = true;
		/* Callers read console.log next (the mce scenario's panic line). */
		pmt_console_finish(&vm->console, pmt_now_ms() + CONSOLE_DRAIN_MS);
	}
	return vm->exited;
}

static void qemu_release(struct pmt_vm *vm)
{
	qemu_power_cut(vm);
	pmt_vm_close_channels(vm);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	vm->pidfd = -1;
}

/* ---- snapshots (snapshot.h) ---- */

#define RESTORE_BOUND_MS	20000	/* a restore slower than this boots cold instead */
#define TAKE_BOUND_MS		60000
#define ATTACH_TIMEOUT_MS	20000
#define CONSOLE_KEPT		(64 << 10)	/* of the boot console, kept with a snapshot */

/* Wait for the MIGRATION event that ends a migration, either way. */
static int wait_migration(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen)
{
	for (;;) {
		struct json_object *ev = NULL, *data = NULL;
		const char *status;

		if (pmt_qmp_wait_event(&vm->qmp, "MIGRATION", &ev, deadline_ms, err, errlen))
			return -1;
		json_object_object_get_ex(ev, "data", &data);
		status = pmt_json_str(data, "status");
		if (!strcmp(status, "completed")) {
			json_object_put(ev);
			return 0;
		}
		if (!strcmp(status, "failed") || !strcmp(status, "cancelled")) {
			pmt_fail(err, errlen, "migration %s", status);
			json_object_put(ev);
			return -1;
		}
		json_object_put(ev);
	}
}

static int set_capabilities(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *caps = json_object_new_array();
	static const char *const names[] = { "x-ignore-shared", "events" };
	int rc;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "capability", json_object_new_string(names[i]));
		json_object_object_add(c, "state", json_object_new_boolean(1));
		json_object_array_add(caps, c);
	}
	json_object_object_add(args, "capabilities", caps);
	rc = pmt_qmp_execute(&vm->qmp, "migrate-set-capabilities", args, NULL, deadline_ms,
			     err, errlen);
	json_object_put(args);
	return rc;
}

static int qmp_uri(struct pmt_vm *vm, const char *cmd, const char *uri, int64_t deadline_ms,
		   char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object();
	int rc;

	json_object_object_add(args, "uri", json_object_new_string(uri));
	rc = pmt_qmp_execute(&vm->qmp, cmd, args, NULL, deadline_ms, err, errlen);
	json_object_put(args);
	return rc;
}

/* The snapshot's save, and vm_move.h's (contract there). */
int pmt_qemu_save_stream(struct pmt_vm *vm, int fd, bool live, int64_t deadline_ms,
			 char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object();
	int rc;

	json_object_object_add(args, "fdname", json_object_new_string("stream"));
	rc = (!live && pmt_qmp_execute(&vm->qmp, "stop", NULL, NULL, deadline_ms, err, errlen)) ||
	     set_capabilities(vm, deadline_ms, err, errlen) ||
	     pmt_qmp_execute_fd(&vm->qmp, "getfd", args, fd, NULL, deadline_ms, err, errlen) ||
	     qmp_uri(vm, "migrate", "fd:stream", deadline_ms, err, errlen) ||
	     (!live && wait_migration(vm, deadline_ms, err, errlen)) ? -1 : 0;
	json_object_put(args);
	return rc;
}

/*
 * A restoring QEMU (-incoming defer) is up: feed it @fd, run, and ask the
 * agent which kernel the guest runs.  No "ready" comes (the agent said it
 * before the snapshot), so the answer is the first sign of a live agent,
 * and vm->agent.ready becomes {"kernel": the answer}: a case records the
 * kernel of the guest it ran on, not the copy kept with the snapshot
 * (restore() adds the rest of the kept event).
 */
static int restore_stream(struct pmt_vm *vm, int fd, int64_t deadline_ms, char *err, size_t errlen)
{
	struct json_object *args, *argv, *res = NULL, *ready;
	char uri[32], out[128], *release;
	enum pmt_agent_status st;
	int status;

	snprintf(uri, sizeof(uri), "fd:%d", fd);	/* QEMU inherited it */
	if (set_capabilities(vm, deadline_ms, err, errlen) ||
	    qmp_uri(vm, "migrate-incoming", uri, deadline_ms, err, errlen) ||
	    wait_migration(vm, deadline_ms, err, errlen) ||
	    pmt_qmp_execute(&vm->qmp, "cont", NULL, NULL, deadline_ms, err, errlen))
		return -1;
	args = json_object_new_object();
	argv = json_object_new_array();
	json_object_array_add(argv, json_object_new_string("uname"));
	json_object_array_add(argv, json_object_new_string("-r"));
	json_object_object_add(args, "argv", argv);
	st = pmt_agent_call(&vm->agent, "exec", args, &res, deadline_ms, err, errlen);
	json_object_put(args);
	if (st != PMT_AGENT_OK)
		return -1;
	snprintf(out, sizeof(out), "%s", pmt_json_str(res, "output"));
	status = pmt_json_int(res, "exit", -1);
	json_object_put(res);
	release = pmt_trim(out);
	if (status != 0 || !release[0])
		return pmt_fail(err, errlen, "uname -r in the restored guest: exit %d, \"%s\"",
				status, release);
	ready = json_object_new_object();
	json_object_object_add(ready, "kernel", json_object_new_string(release));
	json_object_put(vm->agent.ready);
	vm->agent.ready = ready;
	return 0;
}

/* guest-image/pmem-attach in the guest: 0, or -1 with its one line. */
static int pmem_script(struct pmt_vm *vm, const char *verb, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *argv = json_object_new_array();
	struct json_object *res = NULL;
	enum pmt_agent_status st;
	int rc = -1;

	json_object_array_add(argv, json_object_new_string("/sbin/pmtorture-pmem"));
	json_object_array_add(argv, json_object_new_string(verb));
	json_object_array_add(argv, json_object_new_string(pmt_device_name(vm->cfg.disks[0].kind)));
	json_object_object_add(args, "argv", argv);
	json_object_object_add(args, "timeout_ms", json_object_new_int(ATTACH_TIMEOUT_MS));
	st = pmt_agent_call(&vm->agent, "exec", args, &res, pmt_now_ms() + ATTACH_TIMEOUT_MS + 5000,
			    err, errlen);
	if (st == PMT_AGENT_OK && pmt_json_int(res, "exit", -1) == 0)
		rc = 0;
	else if (st == PMT_AGENT_OK)
		pmt_fail(err, errlen, "pmem %s: %s", verb, pmt_trim((char *)pmt_json_str(res, "output")));
	json_object_put(res);
	json_object_put(args);
	return rc;
}

/* Keep the stream, with the guest's boot console (complete: QEMU is gone). */
static int commit_snapshot(struct pmt_vm *vm, struct pmt_snapshot *snap, struct json_object *ready,
			   const char *version, char *err, size_t errlen)
{
	char path[PATH_MAX + 16], *console;
	int rc;

	snprintf(path, sizeof(path), "%s/console.log", vm->cfg.logdir);
	console = pmt_read_file(path, CONSOLE_KEPT, NULL);
	rc = pmt_snapshot_commit(snap, ready, version, console, err, errlen);
	free(console);
	return rc;
}

/*
 * A guest just booted cold, at agent ready: take its snapshot.  The pmem
 * device is detached first (pmem-attach), the guest is stopped, the stream
 * goes to a file QEMU gets over QMP (getfd; no shell: QEMU may carry the
 * power-cut shim in its environment).  The guest is gone afterwards, either
 * way: the caller restores the snapshot or boots again.
 */
static int take_snapshot(struct pmt_vm *vm, struct pmt_snapshot *snap, char *err, size_t errlen)
{
	int64_t deadline = pmt_now_ms() + TAKE_BOUND_MS;
	struct json_object *ready;
	char version[32] = "?";
	int fd = -1, rc;

	rc = pmem_script(vm, "detach", err, errlen);
	if (!rc) {
		pmt_qmp_version(&vm->qmp, version, sizeof(version));
		fd = open(snap->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			rc = pmt_fail(err, errlen, "%s: %s", snap->tmp, strerror(errno));
	}
	if (!rc)
		rc = pmt_qemu_save_stream(vm, fd, false, deadline, err, errlen);
	if (fd >= 0)
		close(fd);
	/* The guest is stopped or its device detached: whatever happened, it
	 * goes (and its agent channel with the ready event: keep that). */
	ready = json_object_get(vm->agent.ready);
	qemu_release(vm);
	if (!rc)
		rc = commit_snapshot(vm, snap, ready, version, err, errlen);
	json_object_put(ready);
	unlink(snap->tmp);
	return rc;
}

/* The snapshot of this guest's configuration, or -1 with why there is none. */
static int snapshot_for(struct pmt_vm *vm, struct pmt_snapshot *snap, char *err, size_t errlen)
{
	struct pmt_vm_config key_cfg = vm->cfg;
	struct argv_builder b = { 0 };
	int rc;

	if (vm->cfg.ndisks != 1)
		return pmt_fail(err, errlen, "snapshots are for guests with one pmem device");
	/* The per-case paths are not part of the configuration. */
	for (int i = 0; i < key_cfg.ndisks; i++)
		snprintf(key_cfg.disks[i].path, sizeof(key_cfg.disks[i].path), "@DISK%d", i);
	if (build_argv(&key_cfg, "@QMP", "@AGENT", -1, false, &b)) {
		argv_free(&b);
		return pmt_fail(err, errlen, "QEMU command line too long");
	}
	rc = pmt_snapshot_init(snap, vm->cfg.snapshot_dir, b.argv, vm->cfg.qemu, vm->cfg.kernel,
			       vm->cfg.initrd, err, errlen);
	argv_free(&b);
	return rc;
}

/*
 * Restore from the snapshot @snap whose meta is @meta; -1 with why when it
 * did not work.  console.log starts with the boot console the snapshot
 * kept, marked as such.
 */
static int restore(struct pmt_vm *vm, struct pmt_snapshot *snap, struct json_object *meta,
		   int64_t deadline_ms, char *why, size_t whylen)
{
	int64_t bound = pmt_now_ms() + RESTORE_BOUND_MS;
	int fd = open(snap->stream, O_RDONLY | O_CLOEXEC), qfd = -1, rc;
	char *preamble = NULL;

	if (asprintf(&preamble, "-- pmtorture: restored from snapshot %s: the guest's boot "
		     "console up to the snapshot --\n%s-- pmtorture: restored here --\n",
		     snap->name, pmt_json_str(meta, "console")) < 0)
		preamble = NULL;
	/* QEMU inherits a copy (not CLOEXEC) that the harness closes after the spawn. */
	if (fd >= 0)
		qfd = fcntl(fd, F_DUPFD, 3);
	rc = qfd < 0 ? pmt_fail(why, whylen, "%s: %s", snap->stream, strerror(errno)) :
	     qemu_spawn(vm, qfd, preamble, bound < deadline_ms ? bound : deadline_ms, why, whylen);
	if (fd >= 0)
		close(fd);
	if (qfd >= 0)
		close(qfd);
	free(preamble);
	/* The kept ready event (proto, boot_ms) under the live kernel. */
	if (rc == 0) {
		json_object_object_foreach(json_object_object_get(meta, "ready"), name, v) {
			if (!json_object_object_get_ex(vm->agent.ready, name, NULL))
				json_object_object_add(vm->agent.ready, name, json_object_get(v));
		}
	}
	return rc;
}

/*
 * Restore the guest from @snap if the cache holds it: 0 restored, 1 none in
 * the cache, -1 it failed: said once, dropped, and the guest is gone (never
 * a BROK by itself).  @why says why not.
 */
static int try_restore(struct pmt_vm *vm, struct pmt_snapshot *snap, int64_t deadline_ms,
		       char *why, size_t whylen)
{
	static bool said;
	struct json_object *meta = pmt_snapshot_lookup(snap);
	int rc;

	if (!meta) {
		snprintf(why, whylen, "no snapshot %s in the cache", snap->name);
		return 1;
	}
	rc = restore(vm, snap, meta, deadline_ms, why, whylen);
	json_object_put(meta);
	if (rc == 0)
		return 0;
	if (!said)
		pmt_info("a guest snapshot could not be restored (%s: %s); dropped it, booting cold",
			 snap->name, why);
	said = true;
	pmt_snapshot_drop(snap);
	qemu_release(vm);
	return -1;
}

static int qemu_start(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen)
{
	static bool said_take;
	struct pmt_snapshot snap = { 0 };
	char why[512], failed[600] = "";
	int rc;

	if (!vm->cfg.snapshot_dir[0]) {
		snprintf(vm->boot_kind, sizeof(vm->boot_kind), "cold");
		return qemu_spawn(vm, -1, NULL, deadline_ms, err, errlen);
	}
	rc = snapshot_for(vm, &snap, why, sizeof(why)) ? 1 :
	     try_restore(vm, &snap, deadline_ms, why, sizeof(why));
	if (rc == 0) {
		snprintf(vm->boot_kind, sizeof(vm->boot_kind), "restored");
		goto attach;
	}
	if (rc < 0)
		snprintf(failed, sizeof(failed), "restore failed: %s", why);
	rc = qemu_spawn(vm, -1, NULL, deadline_ms, err, errlen);
	if (rc)
		goto out;
	/*
	 * Every guest of a snapshot's configuration runs restored, the first
	 * one too: the guest the snapshot was taken from is replaced by a
	 * restore of it (~0.3 s), which also proves the snapshot before
	 * another case relies on it.
	 */
	if (!snap.key) {
		snprintf(vm->boot_kind, sizeof(vm->boot_kind), "cold (%s%sno snapshot: %s)",
			 failed, failed[0] ? "; " : "", why);
	} else if (take_snapshot(vm, &snap, why, sizeof(why))) {
		if (!said_take)
			pmt_info("a guest snapshot could not be taken (%s); this guest boots cold", why);
		said_take = true;
		snprintf(vm->boot_kind, sizeof(vm->boot_kind), "cold (%s%sno snapshot: %s)",
			 failed, failed[0] ? "; " : "", why);
		rc = qemu_spawn(vm, -1, NULL, deadline_ms, err, errlen);
	} else if (try_restore(vm, &snap, deadline_ms, why, sizeof(why)) == 0) {
		snprintf(vm->boot_kind, sizeof(vm->boot_kind), "restored, snapshot taken%s%s%s",
			 failed[0] ? " (" : "", failed, failed[0] ? ")" : "");
	} else {
		snprintf(vm->boot_kind, sizeof(vm->boot_kind),
			 "cold (the snapshot taken did not restore: %s)", why);
		rc = qemu_spawn(vm, -1, NULL, deadline_ms, err, errlen);
	}
	if (rc)
		goto out;
attach:
	/* Restored or cold, the guest meets its pmem device now (pmem-attach). */
	rc = pmem_script(vm, "attach", err, errlen);
	vm->t_attached_ms = pmt_now_ms();
out:
	pmt_snapshot_free(&snap);
	return rc;
}

/* For vm_move.h (contract there): a second QEMU for a moving guest. */
int pmt_qemu_spawn(struct pmt_vm *vm, int stream_fd, const char *preamble, int64_t deadline_ms,
		   char *err, size_t errlen)
{
	return qemu_spawn(vm, stream_fd, preamble, deadline_ms, err, errlen);
}

const struct pmt_vm_backend pmt_vm_qemu = {
	.name = "qemu",
	.start = qemu_start,
	.power_cut = qemu_power_cut,
	.wait_exit = qemu_wait_exit,
	.release = qemu_release,
};
