// SPDX-License-Identifier: MIT
/*
 * pmtorture-agent: the guest side of pmtorture.  It runs as PID 1 (exec'd
 * by the initramfs /init), serves the host's requests from the virtio
 * serial port (protocol in agent_proto.h) and powers the guest off when
 * told to or when it cannot reach the host.
 *
 * Testing on the host: PMT_AGENT_PORT=/path makes the agent use that file
 * (a pty, a fifo, ...) instead of the virtio port.  In that mode it logs
 * to stderr and "poweroff" or a lost port only make it exit: the machine
 * is never powered off (see agent_shutdown()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "agent_proto.h"
#include "commands.h"
#include "log.h"
#include "port.h"
#include "workload.h"

#define READ_CHUNK	(64 * 1024)
#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Set from PMT_AGENT_PORT: host testing, never power off. */
static bool test_mode;

static void __attribute__((noreturn)) agent_shutdown(int status)
{
	sync();
	/*
	 * Power off only as the guest's init.  As anything else (a test run on
	 * a developer's machine) just exit: reboot(2) would take the host down.
	 */
	if (getpid() == 1 && !test_mode) {
		reboot(RB_POWER_OFF);
		agent_log("reboot(RB_POWER_OFF): %s", strerror(errno));
		/* init must never exit: that panics the kernel. */
		for (;;)
			pause();
	}
	exit(status);
}

static void send_line(int fd, char *line)
{
	if (!line) {
		agent_log("cannot encode a message (out of memory or over %d bytes)", PMT_MSG_MAX);
		return;
	}
	if (port_write_all(fd, line, strlen(line)))
		agent_log("write to the host: %s", strerror(errno));
	free(line);
}

/* The port, for events a workload sends while its request runs. */
static int workload_port_fd = -1;

void pmt_workload_emit(const char *event, struct json_object *fields)
{
	if (workload_port_fd >= 0)
		send_line(workload_port_fd, pmt_encode_event(event, fields));
}

#define ACK_TIMEOUT_MS	60000	/* the host answers at once; TCG and load are slow */
#define ACK_MAX		4096	/* an ack line is small */

/*
 * Read the host's ack straight from the port: while a workload runs the
 * main loop is not reading, and the host sends nothing but acks then.  A
 * byte at a time, so nothing after the line is consumed.
 */
int pmt_workload_wait_ack(char *err, size_t errlen)
{
	char line[ACK_MAX];
	size_t len = 0;
	struct pmt_msg msg;
	char why[256];
	int ok;

	for (;;) {
		struct pollfd pfd = { .fd = workload_port_fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, ACK_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "no ack from the host within %d s", ACK_TIMEOUT_MS / 1000);
			return -1;
		}
		n = read(workload_port_fd, line + len, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "waiting for the host's ack: %s",
				 n ? strerror(errno) : "the port closed");
			return -1;
		}
		if (line[len] == '\n')
			break;
		if (++len == sizeof(line)) {
			snprintf(err, errlen, "the host's ack is longer than %d bytes", ACK_MAX);
			return -1;
		}
	}
	if (pmt_msg_decode(line, len, &msg, why, sizeof(why))) {
		snprintf(err, errlen, "malformed ack from the host: %s", why);
		return -1;
	}
	ok = msg.kind == PMT_MSG_REQUEST && !strcmp(msg.cmd, "ack");
	pmt_msg_release(&msg);
	if (!ok) {
		snprintf(err, errlen, "the host sent something else than an ack mid-workload");
		return -1;
	}
	return 0;
}

static void send_error_event(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void send_error_event(int fd, const char *fmt, ...)
{
	struct json_object *fields = json_object_new_object();
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	agent_log("%s", text);
	json_object_object_add(fields, "error", json_object_new_string(text));
	send_line(fd, pmt_encode_event("error", fields));
	json_object_put(fields);
}

static void send_ready(int fd)
{
	struct json_object *fields = json_object_new_object();
	struct utsname uts;
	double uptime = 0;
	FILE *f;

	if (uname(&uts))
		snprintf(uts.release, sizeof(uts.release), "unknown");
	f = fopen("/proc/uptime", "re");
	if (f) {
		if (fscanf(f, "%lf", &uptime) != 1)
			uptime = 0;
		fclose(f);
	}
	json_object_object_add(fields, "proto", json_object_new_int(PMT_PROTO_VERSION));
	json_object_object_add(fields, "kernel", json_object_new_string(uts.release));
	json_object_object_add(fields, "boot_ms", json_object_new_int64((long long)(uptime * 1000)));
	send_line(fd, pmt_encode_event("ready", fields));
	json_object_put(fields);
}

/*
 * A line that failed to decode may still carry a usable id (say, "args"
 * was not an object): answer it, so the host fails that request at once
 * instead of waiting for its timeout.
 */
static void reply_to_salvaged_id(int fd, const char *line, size_t len, const char *why)
{
	struct json_object *root, *id;
	char text[1024];

	if (memchr(line, '\0', len))
		return;
	root = json_tokener_parse(line);
	if (root && json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "id", &id) && json_object_is_type(id, json_type_int)) {
		snprintf(text, sizeof(text), "malformed request: %s", why);
		send_line(fd, pmt_encode_reply_err(json_object_get_int64(id), text));
	}
	json_object_put(root);
}

static void handle_request(int fd, const struct pmt_msg *msg)
{
	const struct command *cmd = command_find(msg->cmd);
	struct json_object *result;
	char err[1024] = "";
	char *line;

	if (!cmd) {
		snprintf(err, sizeof(err), "unknown command \"%.64s\"", msg->cmd);
		send_line(fd, pmt_encode_reply_err(msg->id, err));
		return;
	}
	result = json_object_new_object();
	if (cmd->handler(msg->args, result, err, sizeof(err))) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s failed", cmd->name);
		line = pmt_encode_reply_err(msg->id, err);
	} else {
		line = pmt_encode_reply_ok(msg->id, result);
		if (!line)
			line = pmt_encode_reply_err(msg->id, "reply exceeds the message size limit");
	}
	json_object_put(result);
	send_line(fd, line);
}

static void handle_line(int fd, const char *line, size_t len)
{
	struct pmt_msg msg;
	char why[512];

	if (pmt_msg_decode(line, len, &msg, why, sizeof(why))) {
		send_error_event(fd, "malformed request: %s", why);
		reply_to_salvaged_id(fd, line, len, why);
		return;
	}
	if (msg.kind == PMT_MSG_REQUEST)
		handle_request(fd, &msg);
	else
		send_error_event(fd, "unexpected %s from the host: only requests are accepted",
				 msg.kind == PMT_MSG_REPLY ? "reply" : "event");
	pmt_msg_release(&msg);
}

/* Orphans re-parent to PID 1; exec.c reaps its own children itself. */
static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void serve(int fd)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000L };
	static char chunk[READ_CHUNK];
	struct pmt_linebuf lb;
	enum pmt_line_status st;
	bool complained = false;
	const char *line;
	size_t len;
	ssize_t n;

	pmt_linebuf_init(&lb);
	for (;;) {
		reap_orphans();
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* A pty or fifo closed by the test driver: done. */
			if (test_mode)
				break;
			/*
			 * The virtio port reads 0 while the host side is not
			 * connected; wait for it to come back.
			 */
			if (n < 0 && !complained)
				agent_log("read from the host: %s", strerror(errno));
			complained = true;
			nanosleep(&pause, NULL);
			continue;
		}
		complained = false;
		if (pmt_linebuf_feed(&lb, chunk, (size_t)n)) {
			send_error_event(fd, "out of memory buffering input; dropped it");
			pmt_linebuf_free(&lb);
			pmt_linebuf_init(&lb);
			continue;
		}
		while ((st = pmt_linebuf_next(&lb, &line, &len)) != PMT_LINE_NONE) {
			if (st == PMT_LINE_TOO_LONG)
				send_error_event(fd, "message longer than %d bytes; discarded",
						 PMT_MSG_MAX);
			else
				handle_line(fd, line, len);
			if (agent_poweroff_requested) {
				pmt_linebuf_free(&lb);
				agent_log("powering off as requested");
				agent_shutdown(0);
			}
		}
	}
	pmt_linebuf_free(&lb);
}

/* Children expect fds 0-2; make sure a pipe or the port never lands there. */
static void ensure_std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

int main(void)
{
	const char *override = getenv("PMT_AGENT_PORT");
	int fd;

	test_mode = override != NULL;
	ensure_std_fds();
	agent_log_init(test_mode);
	signal(SIGPIPE, SIG_IGN);
	/* The kernel starts init without PATH; mkfs and friends live in sbin. */
	setenv("PATH", getenv("PATH") ? getenv("PATH") : DEFAULT_PATH, 1);

	fd = port_open(override);
	if (fd < 0) {
		agent_log("cannot reach the host; powering off");
		agent_shutdown(1);
	}
	workload_port_fd = fd;
	send_ready(fd);
	serve(fd);
	agent_log("the host closed the port");
	agent_shutdown(0);
}
