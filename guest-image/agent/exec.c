// SPDX-License-Identifier: MIT
/*
 * The agent is PID 1, so it must reap what it forks, and a hung tool
 * (mkfs on a wedged device, say) must not hang the agent: the child runs
 * in its own process group, which is SIGKILLed at the timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "agent_proto.h"
#include "exec.h"
#include "output.h"

/* How often to look at the child while its output pipe is quiet. */
#define EXEC_POLL_MS		50
/* A child in uninterruptible sleep may outlive SIGKILL; do not wait forever. */
#define EXEC_KILL_WAIT_MS	5000

long long exec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	poll(NULL, 0, (int)ms);
}

static void __attribute__((noreturn)) run_child(const char *const argv[], int out_fd)
{
	sigset_t none;
	int null_fd;

	setpgid(0, 0);
	/* Ignored signals stay ignored across execve(): undo the agent's. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd >= 0)
		dup2(null_fd, STDIN_FILENO);
	else
		close(STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);

	execvp(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Read what the pipe holds now.  Returns true at end of file. */
static bool drain(int fd, struct exec_result *res)
{
	char scratch[4096];
	ssize_t n;

	for (;;) {
		if (res->output_len < PMT_OUTPUT_MAX)
			n = read(fd, res->output + res->output_len,
				 PMT_OUTPUT_MAX - res->output_len);
		else
			n = read(fd, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN;
		if (n == 0)
			return true;
		if (res->output_len < PMT_OUTPUT_MAX)
			res->output_len += (size_t)n;
		else
			res->truncated = true;
	}
}

static void finish_output(struct exec_result *res)
{
	static const char marker[] = "\n" OUTPUT_TRUNCATED "\n";

	if (res->truncated)
		memcpy(res->output + PMT_OUTPUT_MAX - (sizeof(marker) - 1), marker,
		       sizeof(marker) - 1);
	res->output[res->output_len] = '\0';
}

/* Returns true once @pid is reaped into @status. */
static bool reap(pid_t pid, int *status, bool block)
{
	pid_t r;

	do {
		r = waitpid(pid, status, block ? 0 : WNOHANG);
	} while (r < 0 && errno == EINTR);
	return r == pid;
}

/* SIGKILL the child's group and wait a bounded time for it to die. */
static bool kill_child(pid_t pid, int *status)
{
	long long give_up = exec_now_ms() + EXEC_KILL_WAIT_MS;

	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (!reap(pid, status, false)) {
		if (exec_now_ms() >= give_up)
			return false;
		sleep_ms(10);
	}
	return true;
}

/*
 * One function because the fork, the read loop and the kill at the timeout share the
 * pipe, the child's pid and its status; only the setup before the fork would lift out.
 */
int exec_run(const char *const argv[], long long timeout_ms,
	     struct exec_result *res, char *err, size_t errlen)
{
	long long deadline, left;
	bool exited = false;
	int pipefd[2], status = 0, rfd;
	struct pollfd pfd;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (!argv[0]) {
		snprintf(err, errlen, "empty argv");
		return -1;
	}
	res->output = malloc(PMT_OUTPUT_MAX + 1);
	if (!res->output) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		exec_result_free(res);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		exec_result_free(res);
		return -1;
	}
	if (pid == 0)
		run_child(argv, pipefd[1]);

	/* Also here, so a kill at the timeout cannot race the child's setpgid. */
	setpgid(pid, pid);
	close(pipefd[1]);
	rfd = pipefd[0];
	fcntl(rfd, F_SETFL, O_NONBLOCK);
	deadline = exec_now_ms() + timeout_ms;

	for (;;) {
		if (!exited)
			exited = reap(pid, &status, false);
		if (rfd >= 0 && drain(rfd, res)) {
			close(rfd);
			rfd = -1;
		}
		/*
		 * Done when the child is gone, even if a background grandchild
		 * still holds the pipe open: we took what was there.
		 */
		if (exited)
			break;
		left = deadline - exec_now_ms();
		if (left <= 0) {
			res->timed_out = true;
			exited = kill_child(pid, &status);
			if (rfd >= 0)
				drain(rfd, res);
			break;
		}
		if (left > EXEC_POLL_MS)
			left = EXEC_POLL_MS;
		if (rfd >= 0) {
			pfd.fd = rfd;
			pfd.events = POLLIN;
			poll(&pfd, 1, (int)left);
		} else {
			/* Output closed: the exit is normally a moment away. */
			sleep_ms(left < 5 ? left : 5);
		}
	}
	if (rfd >= 0)
		close(rfd);
	finish_output(res);

	if (!exited) {
		/* Left for the agent's orphan reaping; report it as killed. */
		res->exit_code = -1;
		res->signal = SIGKILL;
	} else if (WIFSIGNALED(status)) {
		res->exit_code = -1;
		res->signal = WTERMSIG(status);
	} else {
		res->exit_code = WEXITSTATUS(status);
	}
	return 0;
}

void exec_result_free(struct exec_result *res)
{
	free(res->output);
	memset(res, 0, sizeof(*res));
}

int exec_to_result(const char *const argv[], long long timeout_ms,
		   struct json_object *result, char *err, size_t errlen)
{
	struct exec_result res;

	if (exec_run(argv, timeout_ms, &res, err, errlen))
		return -1;
	if (res.timed_out) {
		snprintf(err, errlen, "timed out after %lld ms", timeout_ms);
		exec_result_free(&res);
		return -1;
	}
	json_object_object_add(result, "exit", json_object_new_int(res.exit_code));
	if (res.signal)
		json_object_object_add(result, "signal", json_object_new_int(res.signal));
	json_object_object_add(result, "output", output_json(res.output, res.output_len));
	exec_result_free(&res);
	return 0;
}
