/* SPDX-License-Identifier: MIT */
/*
 * errprobe: shared by the memory-error workloads (badblocks, hwpoison).
 *
 * After a fault is injected into one page of a file, every way a program
 * can reach that page is tried, each in its own forked child with a
 * timeout: a SIGBUS, a machine-check kill or an access that hangs in the
 * kernel ends the child, never the agent (PID 1).  The child reports
 * through a pipe; the parent turns that into one JSON record per path:
 *
 *   {"path":"read","ok":false,"step":"pread","errno":5,"error":"...",
 *    "signal":0,"si_code":0,"si_code_name":null,"si_addr_lsb":0,
 *    "data_ok":null,"timed_out":false,"exit_signal":0}
 *
 * Paths, in this order: read (pread 4 KiB), odirect_read (O_DIRECT pread,
 * aligned buffer), mmap_load (MAP_SHARED, load the page), mmap_store
 * (MAP_SHARED, store the original pattern back, msync), write (pwrite
 * 4 KiB of the "written" pattern, fdatasync), reread (pread after the
 * write; expects the written pattern if the write succeeded).
 *
 * "data_ok" is null when no data was seen (the access failed).  "signal"
 * is what the child caught (SIGBUS with si_code and si_addr_lsb);
 * "exit_signal" is a signal that killed the child outright (the kernel's
 * SIGKILL for an unrecoverable poisoned page, or ours at the timeout).
 */
#ifndef PMT_ERRPROBE_H
#define PMT_ERRPROBE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#define ERRPROBE_PAGE		4096
#define ERRPROBE_TIMEOUT_MS	20000	/* per access path; TCG is slow */

/* The two data patterns: what the workload wrote first, and the write path's. */
enum errprobe_pattern {
	ERRPROBE_ORIGINAL = 0,
	ERRPROBE_WRITTEN = 1,
};

/* Byte @pos of the file under @pat; differs per page so a misplaced page shows. */
/* CLOCK_MONOTONIC in milliseconds, with its fraction: latencies in records. */
double errprobe_now_ms(void);

/*
 * The record of one timed step of a flush probe (flushprobe, devreset):
 * {"path", "ok": @err == 0, "step", "errno", "error", "ms"}, the shape the
 * harness's expectations judge (harness/case/expect.h).
 */
struct json_object *errprobe_step_record(const char *path, const char *step, int err, double ms);

unsigned char errprobe_byte(enum errprobe_pattern pat, off_t pos);
void errprobe_fill(enum errprobe_pattern pat, off_t pos, unsigned char *buf, size_t len);
bool errprobe_check(enum errprobe_pattern pat, off_t pos, const unsigned char *buf, size_t len);

/*
 * Create @path (truncating) with @size bytes of the original pattern,
 * written (not a hole) and fsync'ed.  Returns 0, or -1 with @err set.
 */
int errprobe_create_file(const char *path, off_t size, char *err, size_t errlen);

/*
 * The victim file's path into @path: @file in @dir_arg (the "dir"
 * argument), or in @dir (the workload's folder) when it is NULL.  0, or
 * -1 with @err when it does not fit.
 */
int errprobe_victim_path(const char *dir, const char *dir_arg, const char *file,
			 char *path, size_t len, char *err, size_t errlen);

/*
 * The victim file's arguments every memory-error injector takes: "file" (a
 * plain name, @deffile when absent), "dir", "size" (a multiple of the page
 * up to @max_size, @defsize when absent) and "page" (inside it).  0, or -1
 * with @err.
 */
int errprobe_victim_args(struct json_object *args, const char *deffile, long long defsize,
			 long long max_size, const char **file, const char **dir,
			 long long *size, long long *page, char *err, size_t errlen);

/*
 * What a child reports.  The child fills it and writes it to the pipe;
 * a SIGBUS handler fills the signal fields and writes it from there.
 */
struct errprobe_rec {
	int done;		/* 1: the child wrote this record */
	int ok;
	int err;		/* errno of the failing step */
	int sig;		/* signal caught by the handler, or 0 */
	int si_code;
	int addr_lsb;
	int data_ok;		/* 1, 0, or -1 when no data was seen */
	int expect;		/* the pattern compared against */
	long long ret;		/* step-specific return value */
	long long addr_off;	/* si_addr minus the mapping's start, or -1 */
	char step[16];		/* the step that failed or signalled */
};

/* A fresh record (no data seen, no address); the step a child is in. */
void errprobe_rec_init(struct errprobe_rec *rec);
void errprobe_step(struct errprobe_rec *rec, const char *step);

/* The outcome of one child: its records and how it ended. */
struct errprobe_child {
	struct errprobe_rec rec[2];
	int nrec;		/* records received */
	bool timed_out;
	bool reaped;
	int exit_signal;	/* WTERMSIG, or 0 */
	int exit_code;		/* WEXITSTATUS, or -1 */
};

/*
 * Run @fn(@arg, @pipe_fd) in a forked child with all signals unblocked and
 * default dispositions, SIGKILLed after @timeout_ms.  @fn sends up to two
 * records with errprobe_send().  Returns 0, or -1 with @err if the child
 * could not be started.
 */
typedef void errprobe_child_fn(void *arg, int pipe_fd);
int errprobe_run_child(errprobe_child_fn *fn, void *arg, long long timeout_ms,
		       struct errprobe_child *out, char *err, size_t errlen);
void errprobe_send(int pipe_fd, const struct errprobe_rec *rec);

/* Install @handler (SA_SIGINFO, nothing masked) for SIGBUS. */
void errprobe_on_sigbus(void (*handler)(int, siginfo_t *, void *));

/*
 * In a child: catch SIGBUS into @rec (si_code, si_addr_lsb, si_addr minus
 * @base).  With @exit_after, the handler sends @rec to @pipe_fd and exits
 * (for a faulting load or store, which would only fault again); without,
 * it records and returns (for a signal raised during a system call).
 */
void errprobe_catch_sigbus(struct errprobe_rec *rec, int pipe_fd,
			   const void *base, bool exit_after);

/* SIGBUS si_code as its name, or NULL when unknown. */
const char *errprobe_si_code_name(int sig, int code);

/* A record as the JSON described at the top; @name is the path's name. */
struct json_object *errprobe_child_json(const char *name, const struct errprobe_child *c,
					int idx);

struct errprobe_opts {
	long long timeout_ms;
	/*
	 * posix_fadvise(DONTNEED) before each read path, so reads reach the
	 * medium (badblocks); off when the page cache page is the target
	 * (hwpoison).
	 */
	bool drop_cache;
	/* Called after each path with its record: lets a workload add state. */
	void (*after)(const char *path, struct json_object *rec, void *arg);
	void *after_arg;
};

/*
 * Probe every access path on the page at @offset (page aligned) of
 * @path, which holds the original pattern.  Returns an array of records.
 */
struct json_object *errprobe_probe_all(const char *path, off_t offset,
				       const struct errprobe_opts *opts);

/*
 * The kernel log: errprobe_kmsg_mark() writes a unique marker and returns
 * its sequence number; errprobe_kmsg_since() returns the lines after it
 * that match the memory-error keywords (an array of strings).
 */
int errprobe_kmsg_mark(const char *tag, char *name, size_t namelen);
struct json_object *errprobe_kmsg_since(const char *name);

/* Whether DAX is active on @fd's file (statx): 1, 0, or -1 when unknown. */
int errprobe_file_dax(int fd);
/* 1/0 as a JSON boolean, -1 as null. */
struct json_object *errprobe_tristate_json(int v);

/*
 * The whole block device holding @fd's file, for its badblocks list:
 * @sysdir gets /sys/block/NAME, @name NAME, @start the partition's first
 * sector (0 for a whole disk).  Returns 0, or -1 with @err set (tmpfs and
 * other files without a block device).
 */
int errprobe_blockdev(int fd, char *sysdir, size_t sysdirlen, char *name, size_t namelen,
		      unsigned long long *start, char *err, size_t errlen);

/* /sys/block/NAME/badblocks as a JSON string, or null when unreadable. */
struct json_object *errprobe_badblocks_json(const char *sysdir);

#endif /* PMT_ERRPROBE_H */
