// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

extern char **environ;

#define MAX_CHILDREN	16
#define MAX_CLEANUP	64
#define CLEANUP_PATH	512

/* Read by the signal handler: plain arrays, written before use. */
static volatile pid_t children[MAX_CHILDREN];
/*
 * The first SIGINT/SIGTERM/SIGHUP of a run that stops by itself
 * (pmt_interrupt_defer): the signal, 0 before.  Written by the handler only.
 */
static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t deferred;
static struct {
	char path[CLEANUP_PATH];
	int is_dir;
	volatile int used;
} cleanup[MAX_CLEANUP];

static void child_add(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (!children[i]) {
			children[i] = pid;
			return;
		}
	}
}

void pmt_child_forget(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			kill(-children[i], SIGKILL);
}

static void on_fatal_signal(int sig)
{
	kill_children();
	/*
	 * A run in progress stops by itself: with its guests gone, every wait
	 * of the case sees EOF or a dead pidfd, and the run writes its reports
	 * and removes the whole run folder (which needs nftw, not safe here).
	 * A second signal, or one outside a run, ends the process at once.
	 */
	if (deferred && !interrupted) {
		interrupted = sig;
		return;
	}
	for (int i = MAX_CLEANUP - 1; i >= 0; i--) {
		if (!cleanup[i].used)
			continue;
		if (cleanup[i].is_dir)
			rmdir(cleanup[i].path);
		else
			unlink(cleanup[i].path);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void pmt_proc_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A dead QEMU socket peer must be an error return, not a kill. */
	signal(SIGPIPE, SIG_IGN);
}

void pmt_interrupt_defer(bool on)
{
	deferred = on;
}

int pmt_interrupted(void)
{
	return interrupted;
}

const char *pmt_signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

void pmt_interrupt_reraise(void)
{
	int sig = interrupted;
	sigset_t set;

	deferred = 0;
	if (!sig)
		return;
	fflush(NULL);
	/* Killed by the signal, as the caller (a shell, CI) expects: 128+sig. */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

void pmt_cleanup_register(const char *path, int is_dir)
{
	for (int i = 0; i < MAX_CLEANUP; i++) {
		if (cleanup[i].used)
			continue;
		if (pmt_fmt(cleanup[i].path, CLEANUP_PATH, "%s", path))
			return;
		cleanup[i].is_dir = is_dir;
		cleanup[i].used = 1;
		return;
	}
}

void pmt_cleanup_unregister(const char *path)
{
	for (int i = 0; i < MAX_CLEANUP; i++)
		if (cleanup[i].used && !strcmp(cleanup[i].path, path))
			cleanup[i].used = 0;
}

pid_t pmt_spawn(char *const argv[], const char *logpath, char *const env_extra[])
{
	pid_t parent = getpid();
	int errpipe[2];
	pid_t pid;
	int child_errno = 0;
	ssize_t n;

	/* An interrupted run starts nothing: its case is cut short already. */
	if (interrupted) {
		errno = EINTR;
		return -1;
	}
	/* The child reports an exec failure's errno through a CLOEXEC pipe. */
	if (pipe2(errpipe, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return -1;
	}
	if (pid == 0) {
		int fd;

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)	/* the parent died before prctl */
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(logpath ? logpath : "/dev/null",
			  O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		for (int i = 0; env_extra && env_extra[i]; i++)
			putenv(env_extra[i]);
		execvp(argv[0], argv);
		child_errno = errno;
		n = write(errpipe[1], &child_errno, sizeof(child_errno));
		(void)n;
		_exit(127);
	}
	close(errpipe[1]);
	/* Set the group from this side too, so a kill right away cannot miss. */
	setpgid(pid, pid);
	child_add(pid);
	/* A signal between fork() and child_add() did not see this child. */
	if (interrupted)
		kill(-pid, SIGKILL);
	do {
		n = read(errpipe[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		pmt_child_forget(pid);
		errno = child_errno;
		return -1;
	}
	return pid;
}

pid_t pmt_fork_child(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);	/* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		/* The parent's guests and files are the parent's to clean up. */
		for (int i = 0; i < MAX_CHILDREN; i++)
			children[i] = 0;
		for (int i = 0; i < MAX_CLEANUP; i++)
			cleanup[i].used = 0;
		deferred = 0;
		return 0;
	}
	setpgid(pid, pid);
	child_add(pid);
	if (interrupted)
		kill(-pid, SIGKILL);
	return pid;
}

int pmt_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int pmt_kill_and_reap(pid_t pid)
{
	int status = 0;

	if (pid <= 0)
		return 0;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pmt_child_forget(pid);
	return status;
}

int pmt_wait_exit(pid_t pid, int pidfd, int64_t deadline_ms, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		int64_t left;
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		if (r == pid) {
			pmt_child_forget(pid);
			return 1;
		}
		left = deadline_ms - pmt_now_ms();
		if (left <= 0)
			return 0;
		if (pidfd >= 0)
			poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		else
			usleep(10000);	/* no pidfd: poll the status, briefly */
	}
}

char *pmt_spawn_capture(char *const argv[], const char *scratch, int64_t timeout_ms,
			int *status)
{
	int64_t deadline = pmt_now_ms() + timeout_ms;
	int pidfd, done;
	pid_t pid;
	char *text;

	unlink(scratch);
	pid = pmt_spawn(argv, scratch, NULL);
	if (pid < 0)
		return NULL;
	/* A pidfd wakes the wait at the exit: a tool of a few milliseconds
	 * (a host fsck per crash state) must not wait out a poll interval. */
	pidfd = pmt_pidfd_open(pid);
	done = pmt_wait_exit(pid, pidfd, deadline, status);
	if (pidfd >= 0)
		close(pidfd);
	if (!done) {
		pmt_kill_and_reap(pid);
		unlink(scratch);
		errno = ETIMEDOUT;
		return NULL;
	}
	text = pmt_read_file(scratch, 16 << 20, NULL);
	unlink(scratch);
	return text;
}

const char *pmt_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status %#x", status);
	return buf;
}
