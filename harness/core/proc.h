/* SPDX-License-Identifier: MIT */
/*
 * Child processes and what must not outlive the harness.
 *
 * Every child runs in its own process group with PR_SET_PDEATHSIG, so it
 * dies with the harness even when the harness is SIGKILLed.  SIGINT, SIGTERM
 * and SIGHUP kill the registered children and remove the registered files
 * and directories (all async-signal-safe calls) before the harness exits.
 *
 * Inside a run (pmt_interrupt_defer), the first of them kills the children
 * and only records the signal: the run stops starting cases, lists the
 * unfinished ones as not run in its reports, removes its run folder and
 * then dies of the signal (pmt_interrupt_reraise).  A second signal ends
 * the process at once, as outside a run.
 */
#ifndef PMT_PROC_H
#define PMT_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Install the signal handlers; call once at start. */
void pmt_proc_init(void);

/*
 * Spawn @argv (argv[0] looked up in PATH) with stdin from /dev/null and
 * stdout+stderr appended to @logpath (or /dev/null if NULL).  @env_extra is
 * a NULL-terminated list of "NAME=value" added to the environment, or NULL.
 * Returns the pid, or -1 with errno.
 */
pid_t pmt_spawn(char *const argv[], const char *logpath, char *const env_extra[]);

/*
 * fork() a child of the harness's own code (a second checker walking its
 * share of the crash states): its own process group, PR_SET_PDEATHSIG,
 * registered so that a fatal signal kills it and, through their own
 * PDEATHSIG, its QEMUs.  The child starts with no registered children or
 * paths of the parent's, and must end with _exit().  Returns as fork().
 */
pid_t pmt_fork_child(void);

/*
 * Run @argv as pmt_spawn() does, with its stdout and stderr in the file
 * @scratch (removed after), until it exits or @timeout_ms passes (then its
 * group is killed).  Returns its output as a string (free it) with its wait
 * status in *@status, or NULL with errno (ETIMEDOUT when killed for time).
 */
char *pmt_spawn_capture(char *const argv[], const char *scratch, int64_t timeout_ms,
			int *status);

/* A pidfd for @pid (readable when it exits), or -1. */
int pmt_pidfd_open(pid_t pid);

/* Kill the child's process group with SIGKILL and reap it; returns its wait status. */
int pmt_kill_and_reap(pid_t pid);

/* Wait until @pid exits or @deadline_ms passes: 1 exited (*status set), 0 timeout. */
int pmt_wait_exit(pid_t pid, int pidfd, int64_t deadline_ms, int *status);

/* Forget a reaped child. */
void pmt_child_forget(pid_t pid);

/* Between on and off, the first fatal signal is recorded, not acted on. */
void pmt_interrupt_defer(bool on);
/* The signal that interrupted the run, or 0. */
int pmt_interrupted(void);
/* "SIGTERM", "SIGINT", "SIGHUP". */
const char *pmt_signal_name(int sig);
/* After an interrupted run has cleaned up: die of its signal.  Returns if none. */
void pmt_interrupt_reraise(void);

/* Paths removed on a fatal signal, in reverse order of registration. */
void pmt_cleanup_register(const char *path, int is_dir);
void pmt_cleanup_unregister(const char *path);

/* Describe a wait status: "exit 1", "killed by signal 9". */
const char *pmt_describe_status(int status, char *buf, size_t len);

#endif
