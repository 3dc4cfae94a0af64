// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs.h"
#include "proc.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
/*
 * A worker ends with _exit(), which skips LeakSanitizer's check at exit:
 * run it here, so a leak in a case's code shows under --jobs as it does
 * with --jobs 1 (the sanitizer build that make check runs).
 */
static void worker_leak_check(void)
{
	if (__lsan_do_recoverable_leak_check())
		_exit(99);	/* the sanitizers' exit code in make check */
}
#else
static void worker_leak_check(void)
{
}
#endif
#include "util.h"

#define QEMU_OVERHEAD_MB	200
#define MAX_JOBS		256
/* An interrupted worker whose guest is dead needs well under a second. */
#define WORKER_GRACE_MS		15000

/* Read by the signal handler. */
static volatile pid_t workers[MAX_JOBS];
/* Worker in slot N has had its SIGTERM: a second would skip its cleanup. */
static volatile sig_atomic_t termed[MAX_JOBS];
static struct sigaction old_int, old_term, old_hup;

static long mem_available_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

int pmt_jobs_default(int mem_mb)
{
	cpu_set_t set;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), mem = mem_available_mb(), jobs;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	jobs = cpus > 0 ? cpus : 1;
	if (mem > 0 && mem / (mem_mb + QEMU_OVERHEAD_MB) < jobs)
		jobs = mem / (mem_mb + QEMU_OVERHEAD_MB);
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	return jobs < 1 ? 1 : (int)jobs;
}

int pmt_checkers_default(int jobs, int mem_mb)
{
	int n = pmt_jobs_default(mem_mb) / (jobs > 0 ? jobs : 1);

	return n < 1 ? 1 : n > 2 ? 2 : n;
}

/*
 * Workers get SIGTERM: each kills its guest, removes its files and dies
 * of the signal.  The parent's own handler (proc.c) records the signal,
 * and pmt_jobs_run waits for the workers before the run writes its
 * reports.  Only async-signal-safe calls here, and no waiting.
 */
static void on_fatal_signal(int sig)
{
	struct sigaction *old = sig == SIGINT ? &old_int : sig == SIGTERM ? &old_term : &old_hup;

	for (int i = 0; i < MAX_JOBS; i++) {
		if (workers[i] > 0 && !termed[i]) {
			termed[i] = 1;
			kill(workers[i], SIGTERM);
		}
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
	} else {
		sigaction(sig, old, NULL);
		raise(sig);
	}
}

static void handlers_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
}

static void handlers_restore(void)
{
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
}

/*
 * The run was interrupted: SIGTERM to each worker that the handler did not
 * reach (one forked while it ran), SIGKILL to any still running after
 * WORKER_GRACE_MS.  Its case is not run either way.
 */
static void stop_workers(int jobs, int64_t *t_interrupted)
{
	bool late;
	sigset_t set, old;

	if (!*t_interrupted)
		*t_interrupted = pmt_now_ms();
	late = pmt_now_ms() - *t_interrupted > WORKER_GRACE_MS;
	/* The handler may not forward a signal between the test and the kill. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int s = 0; s < jobs; s++) {
		if (workers[s] <= 0)
			continue;
		if (late) {
			kill(workers[s], SIGKILL);
		} else if (!termed[s]) {
			termed[s] = 1;
			kill(workers[s], SIGTERM);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static pid_t start_worker(const struct pmt_jobs_ops *ops, size_t i, int slot)
{
	pid_t parent = getpid(), pid;

	ops->start(ops->ctx, i, slot);
	fflush(NULL);	/* nothing buffered may be written twice */
	pid = fork();
	if (pid != 0)
		return pid;
	/* The worker: the harness's own handlers, and death with the parent. */
	handlers_restore();
	setpgid(0, 0);	/* a terminal's ^C goes to the parent, which passes it on */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	memset((void *)workers, 0, sizeof(workers));
	ops->run(ops->ctx, i, slot);
	/* _exit: no atexit handlers, no second flush of the parent's buffers. */
	fflush(NULL);
	worker_leak_check();
	_exit(0);
}

void pmt_jobs_run(const struct pmt_jobs_ops *ops, size_t first, size_t n, int jobs)
{
	struct pollfd pfd[MAX_JOBS];
	size_t idx[MAX_JOBS], next = first;
	int64_t t_interrupted = 0;
	int running = 0;

	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	for (int s = 0; s < jobs; s++) {
		workers[s] = 0;
		termed[s] = 0;
		pfd[s].fd = -1;
	}
	handlers_install();
	while (next < n || running) {
		if (ops->stopped && ops->stopped(ops->ctx))
			next = n;	/* the running workers finish; no new one starts */
		if (pmt_interrupted())
			next = n;
		if (pmt_interrupted() && running)
			stop_workers(jobs, &t_interrupted);
		for (int s = 0; s < jobs && next < n; s++) {
			pid_t pid;

			if (workers[s])
				continue;
			pid = start_worker(ops, next, s);
			if (pid < 0) {
				/* No process: the case ends at once, as a worker that failed. */
				ops->end(ops->ctx, next++, -1);
				continue;
			}
			setpgid(pid, pid);
			termed[s] = 0;
			workers[s] = pid;
			idx[s] = next++;
			pfd[s].fd = pmt_pidfd_open(pid);
			pfd[s].events = POLLIN;
			running++;
		}
		/* Without pidfds (old kernels) this is a 1 s poll of waitpid. */
		if (poll(pfd, (nfds_t)jobs, 1000) <= 0)
			ops->tick(ops->ctx);
		for (int s = 0; s < jobs; s++) {
			int status;

			if (!workers[s] || waitpid(workers[s], &status, WNOHANG) != workers[s])
				continue;
			workers[s] = 0;
			if (pfd[s].fd >= 0)
				close(pfd[s].fd);
			pfd[s].fd = -1;
			running--;
			ops->end(ops->ctx, idx[s], status);
		}
	}
	handlers_restore();
}
