/* SPDX-License-Identifier: MIT */
/*
 * The case runner: one case in its own guest, from boot to shutdown, and
 * the further guests a case boots (checkers).  The session that runs many
 * cases (run/session.h) fills one struct pmt_runner and hands it to each.
 */
#ifndef PMT_RUNNER_H
#define PMT_RUNNER_H

#include <limits.h>
#include <stddef.h>

#include "case.h"
#include "image.h"
#include "options.h"

/* What the cases of one session share; the session owns it. */
struct pmt_runner {
	const struct pmt_options *opt;
	struct pmt_image img;		/* the run's image (a kernel matrix: each case's own) */
	enum pmt_accel accel;		/* AUTO until the first boot decides */
	char rundir[PATH_MAX];		/* private scratch folder (sockets, backing files) */
	char qemu_version[64];		/* "" until a guest told it */
	int checkers;			/* checker guests per power-cut case */
};

/*
 * Run case @c: backing file, probe and prepare (lifecycle.h), boot, the
 * scenario's run() or the lifecycle, dmesg, detectors, the reproduce
 * command, shutdown, disarm, bounded logs.  c->details and c->notes exist
 * and c->dir is made (the caller's); the verdict is always set on return,
 * and c->duration_s.  Boot decides r->accel when it is AUTO, and fills
 * r->qemu_version once.
 */
void pmt_case_run(struct pmt_runner *r, struct pmt_case *c);

/*
 * Say, once per image and device kind, that case @c's guests boot cold
 * because the kernel has the device's pmem driver built in (virtio_pmem,
 * nfit: it reads the device at boot, so no snapshot can leave it out).  The
 * session calls it for every case before any runs, so the --jobs workers
 * it forks inherit what was said and say nothing again.
 */
void pmt_runner_say_builtin(const struct pmt_runner *r, const struct pmt_case *c);

/*
 * Boot another guest for the case (the power-cut checker): the run's image
 * and accel, its logs in c->dir/@name, pmem backed by the existing @disk.
 * The caller releases it; a guest that failed to boot is already released.
 * 0, or -1 with a one-line reason.
 */
int pmt_case_boot_guest(struct pmt_case *c, struct pmt_vm *vm, const char *name,
			const char *disk, char *err, size_t errlen);

/*
 * In a child process of the case (pmt_fork_child) only: its guests' sockets
 * and scratch files go to RUNDIR/@name (made here), so that they do not
 * meet the parent's guests there.  0, or -1 with @err.
 */
int pmt_case_child_rundir(struct pmt_case *c, const char *name, char *err, size_t errlen);

/*
 * Shut a case's guest down cleanly through its agent; a guest already gone
 * (a power cut) is left alone.  A failure is a BROK naming c->phase.  The
 * caller still releases the vm.  0 or -1.
 */
int pmt_case_shutdown(struct pmt_case *c, struct pmt_vm *vm);

#endif
