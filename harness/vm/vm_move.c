// SPDX-License-Identifier: MIT
/* A running guest moved to a second QEMU: live migration or save/restore (vm_move.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_util.h"
#include "proc.h"
#include "util.h"
#include "vm.h"
#include "vm_move.h"

#define SOURCE_END_MS		5000	/* the first QEMU's own end, after the stream */
#define MOVE_BANDWIDTH		(1LL << 30)	/* bytes/s: local, let precopy converge */

/* The first QEMU while the second one comes up. */
struct source_qemu {
	pid_t pid;
	int pidfd;
	bool qmp_up, agent_up;
	struct pmt_qmp qmp;
	struct pmt_agent agent;
	FILE *qmp_log, *agent_log;
};

/* LOGDIR/NAME.log becomes NAME.source.log: open writers keep writing to it. */
static void keep_log(const struct pmt_vm *vm, const char *name)
{
	char from[PATH_MAX + 32], to[PATH_MAX + 40];

	snprintf(from, sizeof(from), "%s/%s.log", vm->cfg.logdir, name);
	snprintf(to, sizeof(to), "%s/%s.source.log", vm->cfg.logdir, name);
	rename(from, to);
}

/* Take the first QEMU's process and channels out of @vm. */
static void detach_source(struct pmt_vm *vm, struct source_qemu *s)
{
	s->pid = vm->pid;
	s->pidfd = vm->pidfd;
	s->qmp_up = vm->qmp_up;
	s->agent_up = vm->agent_up;
	s->qmp = vm->qmp;
	s->agent = vm->agent;
	s->qmp_log = vm->qmp_log;
	s->agent_log = vm->agent_log;
	vm->qmp_up = vm->agent_up = false;
	vm->qmp_log = vm->agent_log = NULL;
	vm->agent.ready = NULL;
	vm->pid = -1;
	vm->pidfd = -1;
}

/* End the first QEMU (QMP quit, then SIGKILL) and close what it had; its status. */
static int end_source(struct source_qemu *s)
{
	char err[256];
	int status = 0;

	if (s->pid > 0) {
		if (s->qmp_up)
			pmt_qmp_execute(&s->qmp, "quit", NULL, NULL, pmt_now_ms() + SOURCE_END_MS,
					err, sizeof(err));
		if (!pmt_wait_exit(s->pid, s->pidfd, pmt_now_ms() + SOURCE_END_MS, &status))
			status = pmt_kill_and_reap(s->pid);
	}
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->qmp_up)
		pmt_qmp_close(&s->qmp);
	if (s->agent_up)
		pmt_agent_close(&s->agent);
	if (s->qmp_log)
		fclose(s->qmp_log);
	if (s->agent_log)
		fclose(s->agent_log);
	s->pid = -1;
	s->pidfd = -1;
	s->qmp_up = s->agent_up = false;
	s->qmp_log = s->agent_log = NULL;
	return status;
}

/* Migration runs as fast as the host can copy: precopy converges under load. */
static int set_bandwidth(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object();
	int rc;

	json_object_object_add(args, "max-bandwidth", json_object_new_int64(MOVE_BANDWIDTH));
	rc = pmt_qmp_execute(&vm->qmp, "migrate-set-parameters", args, NULL, deadline_ms,
			     err, errlen);
	json_object_put(args);
	return rc;
}

/* The stream's two ends: *out for the first QEMU, *in (inheritable) for the second. */
static int open_stream(struct pmt_vm *vm, bool live, const char *file, int *out, int *in,
		       int64_t deadline_ms, char *err, size_t errlen)
{
	int sv[2];

	*out = *in = -1;
	if (live) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
			return pmt_fail(err, errlen, "socketpair: %s", strerror(errno));
		*out = sv[0];
		*in = fcntl(sv[1], F_DUPFD, 3);
		close(sv[1]);
		if (*in < 0)
			return pmt_fail(err, errlen, "dup: %s", strerror(errno));
		return set_bandwidth(vm, deadline_ms, err, errlen);
	}
	*out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (*out < 0)
		return pmt_fail(err, errlen, "%s: %s", file, strerror(errno));
	return 0;
}

int pmt_vm_move(struct pmt_vm *vm, bool live, const char *file, struct json_object *info,
		int64_t deadline_ms, char *err, size_t errlen)
{
	struct source_qemu src = { .pid = -1, .pidfd = -1 };
	struct json_object *ready = NULL;
	int64_t t0 = pmt_now_ms();
	int out = -1, in = -1, rc = -1, status;
	char why[160];
	struct stat st;

	if (vm->backend != &pmt_vm_qemu || !vm->qmp_up || vm->exited)
		return pmt_fail(err, errlen, "only a running guest of the qemu backend can move");
	if (open_stream(vm, live, file, &out, &in, deadline_ms, err, errlen) ||
	    pmt_qemu_save_stream(vm, out, live, deadline_ms, err, errlen))
		goto out;
	close(out);
	out = -1;
	if (!live) {
		/* Stopped and saved: the first QEMU quits before the second starts. */
		if (stat(file, &st) == 0 && info)
			json_object_object_add(info, "bytes", json_object_new_int64(st.st_size));
		in = open(file, O_RDONLY);	/* inherited by the second QEMU */
		if (in < 0) {
			pmt_fail(err, errlen, "%s: %s", file, strerror(errno));
			goto out;
		}
	}
	ready = json_object_get(vm->agent.ready);
	detach_source(vm, &src);
	if (!live) {
		status = end_source(&src);
		if (info)
			json_object_object_add(info, "source_exit", json_object_new_string(
				pmt_describe_status(status, why, sizeof(why))));
	}
	keep_log(vm, "qemu");
	keep_log(vm, "console");
	keep_log(vm, "qmp");
	keep_log(vm, "agent");
	rc = pmt_qemu_spawn(vm, in, live ? "-- pmtorture: migrated live from the first QEMU "
			    "(console.source.log) --\n" : "-- pmtorture: restored from the file "
			    "the first QEMU saved (console.source.log) --\n", deadline_ms, err, errlen);
	if (live) {
		/* The source ends its migration once the destination took the last pass. */
		status = end_source(&src);
		if (info)
			json_object_object_add(info, "source_exit", json_object_new_string(
				pmt_describe_status(status, why, sizeof(why))));
	}
	if (rc) {
		vm->backend->power_cut(vm);
		goto out;
	}
	/* The kept ready event (proto, boot_ms) under the live kernel. */
	json_object_object_foreach(ready, name, v) {
		if (!json_object_object_get_ex(vm->agent.ready, name, NULL))
			json_object_object_add(vm->agent.ready, name, json_object_get(v));
	}
	if (info)
		json_object_object_add(info, "ms", json_object_new_int64(pmt_now_ms() - t0));
out:
	if (rc && src.pid > 0)
		end_source(&src);
	if (rc && src.pid < 0 && vm->pid > 0 && !vm->exited)
		vm->backend->power_cut(vm);
	json_object_put(ready);
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	return rc;
}
