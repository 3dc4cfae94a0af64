/* SPDX-License-Identifier: MIT */
/*
 * A guest: a VM backend boots it, and the harness then talks to its agent
 * and to QMP.  Backends (vm_qemu.c, vm_libvirt.c) export one ops struct.
 */
#ifndef PMT_VM_H
#define PMT_VM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "accel.h"
#include "agent_client.h"
#include "console.h"
#include "qmp.h"

enum pmt_device_kind {
	PMT_DEV_VIRTIO_PMEM,	/* the device under test */
	PMT_DEV_NVDIMM,		/* emulated ACPI NVDIMM, the control */
	PMT_NR_DEVICE_KINDS,
};

const char *pmt_device_name(enum pmt_device_kind kind);
int pmt_device_parse(const char *name);

#define PMT_VM_MAX_DISKS 4

struct pmt_vm_disk {
	enum pmt_device_kind kind;
	char path[PATH_MAX];		/* host backing file */
	uint64_t size;
};

struct pmt_vm_config {
	const char *qemu;
	const char *kernel;
	const char *initrd;
	char append[1024];
	enum pmt_accel accel;		/* KVM or TCG here, never AUTO */
	int mem_mb;
	int smp;
	/* -cpu model for QEMU; NULL means "max".  The libvirt backend ignores it
	 * (it always asks for mode='maximum'). */
	const char *cpu;
	bool s3;			/* offer S3 (suspend to RAM) to the guest: q35 hides it */
	/* The pmem devices behind a pcie-root-port (a hotplug slot) instead of
	 * q35's pcie.0, which refuses every unplug itself (vmevent unplug). */
	bool hotplug_port;
	struct pmt_vm_disk disks[PMT_VM_MAX_DISKS];
	int ndisks;
	char *env[8];			/* NULL-terminated "NAME=value" for QEMU (the shim) */
	char rundir[PATH_MAX];		/* private 0700 directory for sockets */
	char logdir[PATH_MAX];		/* the case's result folder */
	const char *connect;		/* libvirt URI (libvirt backend) */
	/*
	 * The snapshot cache folder (snapshot.h), or "" for a cold boot as
	 * it always was.  With a folder the qemu backend restores the guest
	 * from a snapshot of this configuration, or boots it cold and takes
	 * one; either way the guest's pmem driver is attached after agent
	 * ready, so the caller must have left it out of the boot (the
	 * kernel command line's pmtorture.skip).  The libvirt backend
	 * ignores it and boots cold.
	 */
	char snapshot_dir[PATH_MAX];
};

struct pmt_vm {
	const struct pmt_vm_backend *backend;
	struct pmt_vm_config cfg;
	pid_t pid;
	int pidfd;
	bool exited;
	int wstatus;
	bool qmp_up;
	struct pmt_qmp qmp;
	bool agent_up;
	struct pmt_agent agent;
	FILE *qmp_log;
	FILE *agent_log;
	struct pmt_console console;	/* the qemu backend's console.log copier */
	int64_t t_spawn_ms;		/* backend started the guest */
	int64_t t_ready_ms;		/* the agent said ready (or answered, restored) */
	int64_t t_attached_ms;		/* the pmem driver attached (snapshot mode), or 0 */
	/* How the guest came up: "cold", "restored", "cold, snapshot taken",
	 * or "cold (...)" with why a snapshot was not used or not taken. */
	char boot_kind[256];
	void *priv;			/* the backend's own state, or NULL */
	/* A command ran out of its timeout: the guest is not asked anything more;
	 * what it left is collected host-side and QEMU is killed. */
	bool hung;
};

struct pmt_vm_backend {
	const char *name;
	/* Boot until the agent is ready.  -1 with a one-line reason on failure. */
	int (*start)(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen);
	/* Stop the guest now: no flush, no goodbye (a power cut). */
	void (*power_cut)(struct pmt_vm *vm);
	/* Wait for the guest to end by itself; 1 ended, 0 timeout. */
	int (*wait_exit)(struct pmt_vm *vm, int64_t deadline_ms);
	/* Release everything; the guest must be gone afterwards. */
	void (*release)(struct pmt_vm *vm);
};

extern const struct pmt_vm_backend pmt_vm_qemu;
extern const struct pmt_vm_backend pmt_vm_libvirt;

/* Clean shutdown through the agent, then a power cut if it does not end in time. */
int pmt_vm_shutdown(struct pmt_vm *vm, int64_t deadline_ms, char *err, size_t errlen);
/*
 * For backends: a listening unix socket at @path that the guest side
 * connects to (registered for removal on a fatal signal), and a log file
 * in the case's folder.
 */
int pmt_vm_listen_unix(const char *path);
/*
 * Undo pmt_vm_listen_unix(): close @fd (-1: nothing) and remove @path,
 * also when listening failed half-way; once QEMU connected the socket's
 * name is not needed.
 */
void pmt_vm_unlisten_unix(int fd, const char *path);
FILE *pmt_vm_open_log(const struct pmt_vm_config *cfg, const char *name);
/* Close QMP, the agent channel and their transcripts (backends' release). */
void pmt_vm_close_channels(struct pmt_vm *vm);

/*
 * @s as a QEMU option value in @buf (of @len, cut to fit): QEMU splits
 * values at commas, so each comma is doubled (",,").  Returns @buf.
 */
const char *pmt_vm_qemu_escape(const char *s, char *buf, size_t len);

/* Why did the guest end?  e.g. "QEMU exit status 1: <last line of qemu.log>" */
void pmt_vm_describe_exit(struct pmt_vm *vm, char *buf, size_t len);

#endif
