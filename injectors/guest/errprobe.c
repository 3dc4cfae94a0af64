// SPDX-License-Identifier: MIT
/*
 * errprobe: probe every access path on a page with an injected memory
 * error (see errprobe.h).  Everything that touches the page runs in a
 * forked child: the agent is PID 1, and a SIGBUS, a kernel SIGKILL for an
 * unrecoverable page or an access stuck in the kernel must only ever cost
 * a child.  Nothing in the child may touch json-c or stdio: the record is
 * a plain struct written to a pipe, so it also works from a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "errprobe.h"
#include "args.h"
#include "sysfs.h"

#define POLL_MS			20
/* A child in uninterruptible sleep may outlive SIGKILL; do not wait forever. */
#define KILL_WAIT_MS		5000
#define KLOG_DEFAULT_SIZE	(1 << 20)
#define KLOG_MAX_LINES		64
#define KLOG_LINE_MAX		400
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif
#define MARK_PREFIX		"pmtorture-mark: "
#define BADBLOCKS_MAX		4096

#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR		4
#endif
#ifndef BUS_MCEERR_AO
#define BUS_MCEERR_AO		5
#endif

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

double errprobe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct json_object *errprobe_step_record(const char *path, const char *step, int err, double ms)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "path", json_object_new_string(path));
	json_object_object_add(r, "ok", json_object_new_boolean(err == 0));
	json_object_object_add(r, "step", json_object_new_string(step));
	json_object_object_add(r, "errno", json_object_new_int(err));
	json_object_object_add(r, "error", json_object_new_string(err ? strerror(err) : ""));
	json_object_object_add(r, "ms", json_object_new_double(ms));
	return r;
}

unsigned char errprobe_byte(enum errprobe_pattern pat, off_t pos)
{
	unsigned long long p = (unsigned long long)pos;

	if (pat == ERRPROBE_WRITTEN)
		return (unsigned char)(p * 13 + (p >> 12) * 29 + 0xa5);
	return (unsigned char)(p * 7 + (p >> 12) * 17 + 0x5a);
}

void errprobe_fill(enum errprobe_pattern pat, off_t pos, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = errprobe_byte(pat, pos + (off_t)i);
}

bool errprobe_check(enum errprobe_pattern pat, off_t pos, const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != errprobe_byte(pat, pos + (off_t)i))
			return false;
	return true;
}

int errprobe_create_file(const char *path, off_t size, char *err, size_t errlen)
{
	unsigned char buf[64 * 1024];
	off_t off = 0;
	size_t chunk;
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "create %s: %s", path, strerror(errno));
		return -1;
	}
	while (off < size) {
		chunk = size - off < (off_t)sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		errprobe_fill(ERRPROBE_ORIGINAL, off, buf, chunk);
		n = pwrite(fd, buf, chunk, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "write %s: %s", path,
				 n < 0 ? strerror(errno) : "wrote nothing");
			close(fd);
			return -1;
		}
		off += n;
	}
	/* The blocks must be allocated and written before FIEMAP looks. */
	if (fsync(fd)) {
		snprintf(err, errlen, "fsync %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- the child side ---- */

static struct errprobe_rec *bus_rec;
static int bus_fd = -1;
static const char *bus_base;
static volatile sig_atomic_t bus_exit;

void errprobe_send(int pipe_fd, const struct errprobe_rec *rec)
{
	ssize_t n;

	/* Smaller than PIPE_BUF, so one write is one whole record. */
	do {
		n = write(pipe_fd, rec, sizeof(*rec));
	} while (n < 0 && errno == EINTR);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	bus_rec->sig = sig;
	bus_rec->si_code = si->si_code;
	bus_rec->addr_lsb = si->si_addr_lsb;
	bus_rec->addr_off = bus_base ? (long long)((const char *)si->si_addr - bus_base) : -1;
	if (bus_exit) {
		bus_rec->done = 1;
		errprobe_send(bus_fd, bus_rec);
		_exit(0);
	}
}

void errprobe_on_sigbus(void (*handler)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

void errprobe_catch_sigbus(struct errprobe_rec *rec, int pipe_fd,
			   const void *base, bool exit_after)
{
	bus_rec = rec;
	bus_fd = pipe_fd;
	bus_base = base;
	bus_exit = exit_after;
	errprobe_on_sigbus(on_sigbus);
}

void errprobe_rec_init(struct errprobe_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->data_ok = -1;
	rec->addr_off = -1;
}

void errprobe_step(struct errprobe_rec *rec, const char *step)
{
	strncpy(rec->step, step, sizeof(rec->step) - 1);
	rec->step[sizeof(rec->step) - 1] = '\0';
	/*
	 * The SIGBUS handler reads the step: without the fence the compiler
	 * may sink this store past the faulting (volatile) access, or drop it
	 * as dead when the next step overwrites it.
	 */
	atomic_signal_fence(memory_order_seq_cst);
}

static void __attribute__((noreturn)) child_fail(struct errprobe_rec *rec, int pipe_fd, int error)
{
	rec->ok = 0;
	rec->err = error;
	rec->done = 1;
	errprobe_send(pipe_fd, rec);
	_exit(0);
}

static void __attribute__((noreturn)) child_done(struct errprobe_rec *rec, int pipe_fd)
{
	rec->done = 1;
	errprobe_send(pipe_fd, rec);
	_exit(0);
}

static void __attribute__((noreturn)) run_child_fn(errprobe_child_fn *fn, void *arg, int pipe_fd)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	/* The agent ignores SIGPIPE and may block signals: start clean. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fn(arg, pipe_fd);
	_exit(0);
}

/* ---- the parent side ---- */

static bool reap(pid_t pid, int *status, bool block)
{
	pid_t r;

	do {
		r = waitpid(pid, status, block ? 0 : WNOHANG);
	} while (r < 0 && errno == EINTR);
	return r == pid;
}

/* Take whole records out of the pipe; @acc/@used keep a partial one. */
static void drain_records(int fd, struct errprobe_child *out, unsigned char *acc, size_t *used)
{
	ssize_t n;

	for (;;) {
		n = read(fd, acc + *used, sizeof(struct errprobe_rec) - *used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		*used += (size_t)n;
		if (*used == sizeof(struct errprobe_rec)) {
			if (out->nrec < (int)(sizeof(out->rec) / sizeof(out->rec[0])))
				memcpy(&out->rec[out->nrec++], acc, sizeof(struct errprobe_rec));
			*used = 0;
		}
	}
}

int errprobe_run_child(errprobe_child_fn *fn, void *arg, long long timeout_ms,
		       struct errprobe_child *out, char *err, size_t errlen)
{
	unsigned char acc[sizeof(struct errprobe_rec)];
	long long deadline, give_up;
	struct pollfd pfd;
	int pipefd[2], status = 0;
	size_t used = 0;
	bool exited = false;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		run_child_fn(fn, arg, pipefd[1]);
	}
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	deadline = now_ms() + timeout_ms;

	while (!exited) {
		drain_records(pipefd[0], out, acc, &used);
		exited = reap(pid, &status, false);
		if (exited)
			break;
		if (now_ms() >= deadline) {
			out->timed_out = true;
			kill(pid, SIGKILL);
			give_up = now_ms() + KILL_WAIT_MS;
			while (!(exited = reap(pid, &status, false)) && now_ms() < give_up)
				poll(NULL, 0, 10);
			/* Still not dead: the agent's orphan reaping takes it later. */
			break;
		}
		pfd.fd = pipefd[0];
		pfd.events = POLLIN;
		poll(&pfd, 1, POLL_MS);
	}
	drain_records(pipefd[0], out, acc, &used);
	close(pipefd[0]);

	out->reaped = exited;
	if (exited && WIFSIGNALED(status))
		out->exit_signal = WTERMSIG(status);
	else if (exited)
		out->exit_code = WEXITSTATUS(status);
	else
		out->exit_signal = SIGKILL;
	return 0;
}

const char *errprobe_si_code_name(int sig, int code)
{
	if (code == SI_USER)
		return "SI_USER";
	if (code == SI_KERNEL)
		return "SI_KERNEL";
	if (code == SI_TKILL)
		return "SI_TKILL";
	if (sig != SIGBUS)
		return NULL;
	switch (code) {
	case BUS_ADRALN:	return "BUS_ADRALN";
	case BUS_ADRERR:	return "BUS_ADRERR";
	case BUS_OBJERR:	return "BUS_OBJERR";
	case BUS_MCEERR_AR:	return "BUS_MCEERR_AR";
	case BUS_MCEERR_AO:	return "BUS_MCEERR_AO";
	}
	return NULL;
}

struct json_object *errprobe_child_json(const char *name, const struct errprobe_child *c,
					int idx)
{
	struct json_object *o = json_object_new_object();
	const struct errprobe_rec *r = idx < c->nrec ? &c->rec[idx] : NULL;
	const char *code_name;
	char text[64];

	if (name)
		json_object_object_add(o, "path", json_object_new_string(name));
	json_object_object_add(o, "ok", json_object_new_boolean(r && r->ok));
	json_object_object_add(o, "step", r && r->step[0] ? json_object_new_string(r->step) : NULL);
	json_object_object_add(o, "errno", json_object_new_int(r ? r->err : 0));
	if (r && r->err) {
		json_object_object_add(o, "error", json_object_new_string(strerror(r->err)));
	} else if (!r) {
		/* No record: the child died or hung before it could say anything. */
		if (c->timed_out)
			snprintf(text, sizeof(text), "timed out");
		else if (c->exit_signal)
			snprintf(text, sizeof(text), "child killed by signal %d", c->exit_signal);
		else
			snprintf(text, sizeof(text), "child sent no record (exit %d)", c->exit_code);
		json_object_object_add(o, "error", json_object_new_string(text));
	} else if (!r->ok && r->sig) {
		code_name = errprobe_si_code_name(r->sig, r->si_code);
		snprintf(text, sizeof(text), "caught %s (%s)", strsignal(r->sig),
			 code_name ? code_name : "unknown si_code");
		json_object_object_add(o, "error", json_object_new_string(text));
	} else if (!r->ok) {
		json_object_object_add(o, "error", json_object_new_string("short transfer"));
	} else {
		json_object_object_add(o, "error", NULL);
	}
	json_object_object_add(o, "signal", json_object_new_int(r ? r->sig : 0));
	json_object_object_add(o, "si_code", json_object_new_int(r ? r->si_code : 0));
	code_name = r && r->sig ? errprobe_si_code_name(r->sig, r->si_code) : NULL;
	json_object_object_add(o, "si_code_name", code_name ? json_object_new_string(code_name) : NULL);
	json_object_object_add(o, "si_addr_lsb", json_object_new_int(r ? r->addr_lsb : 0));
	if (r && r->sig)
		json_object_object_add(o, "si_addr_offset", json_object_new_int64(r->addr_off));
	json_object_object_add(o, "data_ok", r && r->data_ok >= 0 ?
			       json_object_new_boolean(r->data_ok) : NULL);
	json_object_object_add(o, "ret", json_object_new_int64(r ? r->ret : -1));
	json_object_object_add(o, "timed_out", json_object_new_boolean(c->timed_out));
	json_object_object_add(o, "exit_signal", json_object_new_int(c->exit_signal));
	return o;
}

/* ---- the access paths, each the body of one child ---- */

enum probe_path {
	PROBE_READ,
	PROBE_ODIRECT_READ,
	PROBE_MMAP_LOAD,
	PROBE_MMAP_STORE,
	PROBE_WRITE,
	PROBE_REREAD,
	PROBE_NR,
};

static const char *const probe_names[PROBE_NR] = {
	[PROBE_READ]		= "read",
	[PROBE_ODIRECT_READ]	= "odirect_read",
	[PROBE_MMAP_LOAD]	= "mmap_load",
	[PROBE_MMAP_STORE]	= "mmap_store",
	[PROBE_WRITE]		= "write",
	[PROBE_REREAD]		= "reread",
};

struct probe_arg {
	const char *path;
	off_t off;
	enum probe_path which;
	enum errprobe_pattern expect;
	bool drop_cache;
};

/* O_DIRECT needs an aligned buffer; page alignment suits every device. */
static _Alignas(ERRPROBE_PAGE) unsigned char probe_buf[ERRPROBE_PAGE];

/* A pread or pwrite of the page returned @n: the child fails unless it moved the whole page. */
static void child_check_page_io(struct errprobe_rec *rec, int pipe_fd, ssize_t n)
{
	rec->ret = n;
	if (n < 0)
		child_fail(rec, pipe_fd, errno);
	if (n != ERRPROBE_PAGE)
		child_fail(rec, pipe_fd, 0);
}

static void probe_pread(const struct probe_arg *a, struct errprobe_rec *rec, int pipe_fd)
{
	int flags = O_RDONLY | O_CLOEXEC;
	ssize_t n;
	int fd;

	if (a->which == PROBE_ODIRECT_READ)
		flags |= O_DIRECT;
	errprobe_step(rec, "open");
	fd = open(a->path, flags);
	if (fd < 0)
		child_fail(rec, pipe_fd, errno);
	if (a->drop_cache)
		posix_fadvise(fd, a->off, ERRPROBE_PAGE, POSIX_FADV_DONTNEED);
	/* A read is a system call: a SIGBUS during it is recorded, not fatal. */
	errprobe_catch_sigbus(rec, pipe_fd, NULL, false);
	errprobe_step(rec, "pread");
	memset(probe_buf, 0, sizeof(probe_buf));
	n = pread(fd, probe_buf, ERRPROBE_PAGE, a->off);
	child_check_page_io(rec, pipe_fd, n);
	rec->ok = 1;
	errprobe_step(rec, "");
	rec->data_ok = errprobe_check(a->expect, a->off, probe_buf, ERRPROBE_PAGE);
	child_done(rec, pipe_fd);
}

static void probe_mmap(const struct probe_arg *a, struct errprobe_rec *rec, int pipe_fd)
{
	bool store = a->which == PROBE_MMAP_STORE;
	volatile unsigned char *map;
	size_t i;
	void *p;
	int fd;

	errprobe_step(rec, "open");
	fd = open(a->path, (store ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		child_fail(rec, pipe_fd, errno);
	errprobe_step(rec, "mmap");
	p = mmap(NULL, ERRPROBE_PAGE, store ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, a->off);
	if (p == MAP_FAILED)
		child_fail(rec, pipe_fd, errno);
	map = p;
	/* A faulting access would fault again on return: the handler exits. */
	errprobe_catch_sigbus(rec, pipe_fd, p, true);
	if (store) {
		/* Store what is already there: the page's expected content stays. */
		errprobe_step(rec, "store");
		for (i = 0; i < ERRPROBE_PAGE; i++)
			map[i] = errprobe_byte(ERRPROBE_ORIGINAL, a->off + (off_t)i);
	}
	errprobe_step(rec, "load");
	for (i = 0; i < ERRPROBE_PAGE; i++)
		probe_buf[i] = map[i];
	rec->data_ok = errprobe_check(a->expect, a->off, probe_buf, ERRPROBE_PAGE);
	if (store) {
		errprobe_catch_sigbus(rec, pipe_fd, p, false);
		errprobe_step(rec, "msync");
		if (msync(p, ERRPROBE_PAGE, MS_SYNC))
			child_fail(rec, pipe_fd, errno);
	}
	rec->ok = 1;
	errprobe_step(rec, "");
	child_done(rec, pipe_fd);
}

static void probe_write(const struct probe_arg *a, struct errprobe_rec *rec, int pipe_fd)
{
	ssize_t n;
	int fd;

	errprobe_step(rec, "open");
	fd = open(a->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail(rec, pipe_fd, errno);
	errprobe_catch_sigbus(rec, pipe_fd, NULL, false);
	errprobe_fill(ERRPROBE_WRITTEN, a->off, probe_buf, ERRPROBE_PAGE);
	errprobe_step(rec, "pwrite");
	n = pwrite(fd, probe_buf, ERRPROBE_PAGE, a->off);
	child_check_page_io(rec, pipe_fd, n);
	/* Where a write error surfaces only at writeback, fdatasync reports it. */
	errprobe_step(rec, "fdatasync");
	if (fdatasync(fd))
		child_fail(rec, pipe_fd, errno);
	rec->ok = 1;
	errprobe_step(rec, "");
	child_done(rec, pipe_fd);
}

static void probe_child(void *arg, int pipe_fd)
{
	const struct probe_arg *a = arg;
	struct errprobe_rec rec;

	errprobe_rec_init(&rec);
	rec.expect = a->expect;
	switch (a->which) {
	case PROBE_READ:
	case PROBE_ODIRECT_READ:
	case PROBE_REREAD:
		probe_pread(a, &rec, pipe_fd);
		break;
	case PROBE_MMAP_LOAD:
	case PROBE_MMAP_STORE:
		probe_mmap(a, &rec, pipe_fd);
		break;
	case PROBE_WRITE:
		probe_write(a, &rec, pipe_fd);
		break;
	case PROBE_NR:
		break;
	}
}

struct json_object *errprobe_probe_all(const char *path, off_t offset,
				       const struct errprobe_opts *opts)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct errprobe_child c;
	struct probe_arg a;
	bool wrote = false;
	char err[256];
	int i;

	for (i = 0; i < PROBE_NR; i++) {
		memset(&a, 0, sizeof(a));
		a.path = path;
		a.off = offset;
		a.which = i;
		a.drop_cache = opts->drop_cache;
		/* After a successful write the page must hold the new data. */
		a.expect = i == PROBE_REREAD && wrote ? ERRPROBE_WRITTEN : ERRPROBE_ORIGINAL;
		if (errprobe_run_child(probe_child, &a, opts->timeout_ms, &c, err, sizeof(err))) {
			o = json_object_new_object();
			json_object_object_add(o, "path", json_object_new_string(probe_names[i]));
			json_object_object_add(o, "ok", json_object_new_boolean(false));
			json_object_object_add(o, "error", json_object_new_string(err));
		} else {
			o = errprobe_child_json(probe_names[i], &c, 0);
			if (i == PROBE_WRITE)
				wrote = c.nrec && c.rec[0].ok;
		}
		if (i == PROBE_REREAD)
			json_object_object_add(o, "expect", json_object_new_string(
				a.expect == ERRPROBE_WRITTEN ? "written" : "original"));
		if (opts->after)
			opts->after(probe_names[i], o, opts->after_arg);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ---- the kernel log ---- */

int errprobe_kmsg_mark(const char *tag, char *name, size_t namelen)
{
	static unsigned int seq;
	char line[256];
	ssize_t n;
	int fd, len;

	snprintf(name, namelen, "errprobe-%s-%lld-%u", tag, now_ms(), ++seq);
	/* Same prefix as the agent's "mark": the host's dmesg since works too. */
	len = snprintf(line, sizeof(line), MARK_PREFIX "%s\n", name);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do {
		n = write(fd, line, (size_t)len);
	} while (n < 0 && errno == EINTR);
	close(fd);
	return n < 0 ? -1 : 0;
}

static char *read_klog(size_t *len)
{
	int size, n;
	char *buf;

	size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (size <= 0)
		size = KLOG_DEFAULT_SIZE;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* The lines about memory errors, the page, the device or the fs. */
static bool klog_interesting(const char *line)
{
	static const char *const words[] = {
		"memory failure", "recovery action", "dax", "poison", "mce",
		"machine check", "badblock", "bad block", "i/o error", "pmem",
		"sigbus", "killing", "ext4", "xfs", "nd_", "nvdimm", "error",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(line, words[i]))
			return true;
	return false;
}

struct json_object *errprobe_kmsg_since(const char *name)
{
	struct json_object *arr;
	char *log, *line, *nl, *start, *p;
	char marker[256];
	size_t len, n;
	int count = 0;

	log = read_klog(&len);
	if (!log)
		return NULL;
	snprintf(marker, sizeof(marker), MARK_PREFIX "%s", name);
	/* The line after the last occurrence of the marker. */
	start = NULL;
	for (p = log; (p = strstr(p, marker)); p += strlen(marker))
		start = p;
	if (!start) {
		free(log);
		return NULL;
	}
	arr = json_object_new_array();
	line = strchr(start, '\n');
	line = line ? line + 1 : log + len;
	for (; line < log + len && count < KLOG_MAX_LINES; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = log + len;
		*nl = '\0';
		/* Drop the "<pri>" prefix of syslog(2) records. */
		if (line[0] == '<' && (p = strchr(line, '>')))
			line = p + 1;
		if (!klog_interesting(line))
			continue;
		n = strlen(line);
		if (n > KLOG_LINE_MAX)
			n = KLOG_LINE_MAX;
		for (p = line; p < line + n; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';	/* JSON text must stay valid UTF-8 */
		json_object_array_add(arr, json_object_new_string_len(line, (int)n));
		count++;
	}
	free(log);
	return arr;
}

/* ---- the file and its block device ---- */

int errprobe_file_dax(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return -1;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

struct json_object *errprobe_tristate_json(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v);
}

int errprobe_blockdev(int fd, char *sysdir, size_t sysdirlen, char *name, size_t namelen,
		      unsigned long long *start, char *err, size_t errlen)
{
	char link[64], real[PATH_MAX], attr[64], *slash;
	struct stat st;

	*start = 0;
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
	if (!realpath(link, real)) {
		snprintf(err, errlen, "file is not on a block device (%s: %s)", link, strerror(errno));
		return -1;
	}
	/* A partition: its badblocks live on the whole disk, offset by "start". */
	if (!read_attr_at(real, "partition", attr, sizeof(attr))) {
		if (read_attr_at(real, "start", attr, sizeof(attr))) {
			snprintf(err, errlen, "%s/start: %s", real, strerror(errno));
			return -1;
		}
		*start = strtoull(attr, NULL, 10);
		slash = strrchr(real, '/');
		if (slash)
			*slash = '\0';
	}
	slash = strrchr(real, '/');
	if (snprintf(name, namelen, "%s", slash ? slash + 1 : real) >= (int)namelen ||
	    snprintf(sysdir, sysdirlen, "%s", real) >= (int)sysdirlen) {
		snprintf(err, errlen, "block device path too long");
		return -1;
	}
	return 0;
}

struct json_object *errprobe_badblocks_json(const char *sysdir)
{
	char buf[BADBLOCKS_MAX];

	if (read_attr_at(sysdir, "badblocks", buf, sizeof(buf)))
		return NULL;
	return json_object_new_string(buf);
}

int errprobe_victim_path(const char *dir, const char *dir_arg, const char *file,
			 char *path, size_t len, char *err, size_t errlen)
{
	if (snprintf(path, len, "%s/%s", dir_arg ? dir_arg : dir, file) >= (int)len) {
		snprintf(err, errlen, "file name too long");
		return -1;
	}
	return 0;
}

int errprobe_victim_args(struct json_object *args, const char *deffile, long long defsize,
			 long long max_size, const char **file, const char **dir,
			 long long *size, long long *page, char *err, size_t errlen)
{
	if (arg_string(args, "file", false, file, err, errlen) ||
	    arg_string(args, "dir", false, dir, err, errlen) ||
	    arg_int(args, "size", defsize, ERRPROBE_PAGE, max_size, size, err, errlen) ||
	    arg_int(args, "page", 1, 0, max_size / ERRPROBE_PAGE, page, err, errlen))
		return -1;
	if (!*file)
		*file = deffile;
	if (!*file[0] || strchr(*file, '/')) {
		snprintf(err, errlen, "argument \"file\" must be a plain file name");
		return -1;
	}
	if (*size % ERRPROBE_PAGE || *page >= *size / ERRPROBE_PAGE) {
		snprintf(err, errlen, "\"size\" must be a multiple of %d and \"page\" inside it",
			 ERRPROBE_PAGE);
		return -1;
	}
	return 0;
}
