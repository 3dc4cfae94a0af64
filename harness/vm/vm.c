// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"
#include "vm.h"

static const char *const device_names[PMT_NR_DEVICE_KINDS] = {
	[PMT_DEV_VIRTIO_PMEM] = "virtio-pmem",
	[PMT_DEV_NVDIMM] = "nvdimm",
};

const char *pmt_device_name(enum pmt_device_kind kind)
{
	return (unsigned)kind < PMT_NR_DEVICE_KINDS ? device_names[kind] : "?";
}

int pmt_device_parse(const char *name)
{
	return pmt_name_index(device_names, PMT_NR_DEVICE_KINDS, name);
}

int pmt_vm_shutdown(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen)
{
	enum pmt_agent_status st = PMT_AGENT_TRANSPORT;

	if (vm->agent_up && !vm->exited)
		st = pmt_agent_call(&vm->agent, "poweroff", NULL, NULL, deadline_ms, err, errlen);
	if (st == PMT_AGENT_OK && vm->backend->wait_exit(vm, deadline_ms))
		return 0;
	if (st == PMT_AGENT_OK)
		snprintf(err, errlen, "guest did not power off in time");
	vm->backend->power_cut(vm);
	return vm->exited && st == PMT_AGENT_OK ? 0 : -1;
}

const char *pmt_vm_qemu_escape(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 2 < len; s++) {
		if (*s == ',')
			buf[o++] = ',';
		buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

void pmt_vm_describe_exit(struct pmt_vm *vm, char *buf, size_t len)
{
	char status[64], logpath[PATH_MAX + 16], line[512];

	if (!vm->exited) {
		snprintf(buf, len, "QEMU is still running");
		return;
	}
	pmt_describe_status(vm->wstatus, status, sizeof(status));
	snprintf(logpath, sizeof(logpath), "%s/qemu.log", vm->cfg.logdir);
	/* Its last line is QEMU's reason for exiting. */
	pmt_last_line(logpath, NULL, "", line, sizeof(line));
	snprintf(buf, len, "QEMU %s%s%s", status, line[0] ? ": " : "", line);
}

void pmt_vm_close_channels(struct pmt_vm *vm)
{
	if (vm->qmp_up)
		pmt_qmp_close(&vm->qmp);
	if (vm->agent_up)
		pmt_agent_close(&vm->agent);
	vm->qmp_up = vm->agent_up = false;
	if (vm->qmp_log)
		fclose(vm->qmp_log);
	if (vm->agent_log)
		fclose(vm->agent_log);
	vm->qmp_log = vm->agent_log = NULL;
}

int pmt_vm_listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	pmt_cleanup_register(path, 0);
	return fd;
}

void pmt_vm_unlisten_unix(int fd, const char *path)
{
	if (fd >= 0)
		close(fd);
	unlink(path);
	pmt_cleanup_unregister(path);
}

FILE *pmt_vm_open_log(const struct pmt_vm_config *cfg, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", cfg->logdir, name);
	return fopen(path, "we");
}
