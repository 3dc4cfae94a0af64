/* SPDX-License-Identifier: MIT */
/* `pmtorture run`: the cases of the matrix, each in its own guest. */
#ifndef PMT_RUNNER_H
#define PMT_RUNNER_H

#include <stddef.h>

#include "case.h"
#include "options.h"

/*
 * The cases selected by the options: scenarios x devices x filesystems,
 * narrowed by --filter.  Pure (no guest); -1 with a one-line reason for an
 * unknown scenario or an empty selection.  Free with pmt_cases_free().
 */
int pmt_cases_build(const struct pmt_options *o, struct pmt_case **cases, size_t *n,
		    char *err, size_t errlen);
void pmt_cases_free(struct pmt_case *cases, size_t n);

/*
 * Boot another guest for the case (the power-cut checker): the run's image
 * and accel, its logs in c->dir/@name, pmem backed by the existing @disk.
 * The caller releases it; a guest that failed to boot is already released.
 * 0, or -1 with a one-line reason.
 */
int pmt_case_boot_guest(struct pmt_case *c, struct pmt_vm *vm, const char *name,
			const char *disk, char *err, size_t errlen);

/*
 * The checker guest of a case (power cuts, the images a fault left): boot
 * it over @disk as pmt_case_boot_guest() does, in phase "checker-boot",
 * and make it the case's guest (c->vm).  0, or -1 after a BROK.
 */
int pmt_case_boot_checker(struct pmt_case *c, struct pmt_vm *vm, const char *disk);

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

/* Run them; returns the process exit status (0, 1 for FAIL/BROK, 2 setup error). */
int pmt_run_main(const struct pmt_options *o);
/*
 * One run of the selected cases into a results folder under o->results,
 * without printing the table (bisect runs one per kernel it probes).
 * Returns the exit status as pmt_run_main() would; *summary gets a
 * reference to the summary, with "dir" its folder, or stays NULL when
 * the run did not finish.
 */
struct json_object;
int pmt_run_session(const struct pmt_options *o, struct json_object **summary);

#endif
