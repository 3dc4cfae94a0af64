/* SPDX-License-Identifier: MIT */
/*
 * --jobs N: cases side by side, each in a forked worker process with its
 * own run folder, so workers share no state but the results folder (each
 * writes only its own case folder; the parent alone writes summary.json).
 */
#ifndef PMT_JOBS_H
#define PMT_JOBS_H

#include <stddef.h>

/*
 * How many guests this machine runs at once: one vCPU each, never more
 * than the CPUs we may use, and @mem_mb plus QEMU's own ~200 MB each out
 * of MemAvailable.  At least 1.
 */
int pmt_jobs_default(int mem_mb);

/*
 * Checker guests per power-cut case (--checkers 0): the guests this
 * machine runs at once (pmt_jobs_default) shared by @jobs cases, at least
 * 1 and at most 2: a third checker on 2 CPUs only adds boots.
 */
int pmt_checkers_default(int jobs, int mem_mb);

struct pmt_jobs_ops {
	void *ctx;
	/* Parent, before the fork: case @i is about to start in @slot. */
	void (*start)(void *ctx, size_t i, int slot);
	/* Worker: run case @i in @slot (0..jobs-1); returns when it is done. */
	void (*run)(void *ctx, size_t i, int slot);
	/* Parent: the worker of case @i exited with wait @status. */
	void (*end)(void *ctx, size_t i, int status);
	/* Parent: about once a second while workers run (a progress line). */
	void (*tick)(void *ctx);
	/* Parent, optional: non-zero means start no more workers (the run stops). */
	int (*stopped)(void *ctx);
};

/*
 * Run cases @first..@n-1, at most @jobs at a time, in order of index.
 * Workers die with the parent (PR_SET_PDEATHSIG) and their guests with
 * them; a SIGINT/SIGTERM/SIGHUP of the parent is passed on as SIGTERM so
 * each worker removes its own files first.  After one (pmt_interrupted),
 * no worker starts and this returns once the running ones have ended;
 * @end is called for each, and should not take a case without its result
 * as a verdict.
 */
void pmt_jobs_run(const struct pmt_jobs_ops *ops, size_t first, size_t n, int jobs);

#endif
