// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "console.h"
#include "util.h"

/* Room kept at the end of the cap for the two marker lines. */
#define MARKER_ROOM	256
#define COPIER_FLOOD_EXIT	3

int pmt_console_pipe(struct pmt_console *con)
{
	int p[2];

	memset(con, 0, sizeof(*con));
	con->rfd = con->qfd = -1;
	con->pid = -1;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	/* QEMU's copy: the one fd it inherits (F_DUPFD: without FD_CLOEXEC). */
	con->qfd = fcntl(p[1], F_DUPFD, 3);
	close(p[1]);
	if (con->qfd < 0) {
		close(p[0]);
		return -1;
	}
	con->rfd = p[0];
	con->active = true;
	return 0;
}

/* Close every fd from 3 up but @a and @b (-1: none). */
static void close_others(int a, int b)
{
	int keep[2] = { a < b ? a : b, a < b ? b : a };
	unsigned int from = 3;

	for (int i = 0; i < 2; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned int)keep[i] > from)
			close_range(from, (unsigned int)keep[i] - 1, 0);
		from = (unsigned int)keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

/* The copier: pipe to console.log, capped; a flood kills QEMU.  Never returns. */
static void __attribute__((noreturn)) copier(int rfd, const char *path, const char *qemu_log,
					     int qemu_pidfd, const char *preamble)
{
	static char buf[65536];
	const size_t keep = PMT_TRANSCRIPT_MAX - MARKER_ROOM;
	unsigned long long total = 0;
	size_t kept = 0;
	bool cut = false, flooded = false;
	char line[MARKER_ROOM];
	int out;

	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (preamble && out >= 0)
		pmt_write_all(out, preamble, strlen(preamble));
	for (;;) {
		ssize_t n = read(rfd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (unsigned long long)n;
		if (kept < keep) {
			size_t k = (size_t)n < keep - kept ? (size_t)n : keep - kept;

			/* A full results file system is the harness's to notice. */
			if (out >= 0)
				pmt_write_all(out, buf, k);
			kept += k;
		}
		if (!cut && total > keep) {
			snprintf(line, sizeof(line), "\n-- transcript cut at %zu bytes: the guest sent "
				 "more, read and dropped --\n", keep);
			if (out >= 0)
				pmt_write_all(out, line, strlen(line));
			cut = true;
		}
		if (!flooded && total > PMT_CHAN_FLOOD_MAX) {
			int log = open(qemu_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				       0644);

			snprintf(line, sizeof(line), "%s (more than %llu MiB): QEMU killed\n",
				 PMT_CONSOLE_FLOOD_LINE, PMT_CHAN_FLOOD_MAX >> 20);
			if (log >= 0) {
				pmt_write_all(log, line, strlen(line));
				close(log);
			}
			/* By pidfd: QEMU may be reaped already, and its pid reused. */
			if (qemu_pidfd >= 0)
				syscall(SYS_pidfd_send_signal, qemu_pidfd, SIGKILL, NULL, 0);
			flooded = true;
		}
	}
	if (cut && out >= 0) {
		snprintf(line, sizeof(line), "-- the guest sent %llu bytes in all --\n", total);
		pmt_write_all(out, line, strlen(line));
	}
	_exit(flooded ? COPIER_FLOOD_EXIT : 0);
}

int pmt_console_start(struct pmt_console *con, const char *path, const char *qemu_log,
		      int qemu_pidfd)
{
	pid_t parent = getpid();
	sigset_t all, old;
	pid_t pid;

	if (con->qfd >= 0)
		close(con->qfd);
	con->qfd = -1;
	/* No signal between fork and the child's own handlers: the harness's
	 * would clean up the run from the copier. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* Nothing of the harness's: no socket of another guest stays open here. */
		close_others(con->rfd, qemu_pidfd);
		copier(con->rfd, path, qemu_log, qemu_pidfd, con->preamble);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return -1;
	con->pid = pid;
	close(con->rfd);
	con->rfd = -1;
	return 0;
}

void pmt_console_finish(struct pmt_console *con, int64_t deadline_ms)
{
	int status = 0;

	if (!con->active)
		return;
	if (con->qfd >= 0)
		close(con->qfd);
	if (con->rfd >= 0)
		close(con->rfd);
	con->qfd = con->rfd = -1;
	if (con->pid > 0) {
		pid_t r;

		while ((r = waitpid(con->pid, &status, WNOHANG)) == 0 && pmt_now_ms() < deadline_ms)
			usleep(5000);
		if (r == 0) {
			kill(con->pid, SIGKILL);
			while (waitpid(con->pid, &status, 0) < 0 && errno == EINTR)
				;
		}
		con->flooded = r == con->pid && WIFEXITED(status) &&
			       WEXITSTATUS(status) == COPIER_FLOOD_EXIT;
	}
	con->pid = -1;
	con->active = false;
}
