/* SPDX-License-Identifier: MIT */
/* Small helpers with no pmtorture knowledge: time, files, strings. */
#ifndef PMT_UTIL_H
#define PMT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic milliseconds, for deadlines and durations. */
int64_t pmt_now_ms(void);

/* mkdir -p with @mode for each created level; 0 or -1 with errno. */
int pmt_mkdir_p(const char *path, mode_t mode);

/* Write @len bytes to @path through a temporary file and rename(2):
 * readers see the old file or the whole new one, never a torn one. */
int pmt_write_file_atomic(const char *path, const void *data, size_t len);

/* Write all of @len bytes to @fd, retrying on EINTR and short writes. */
int pmt_write_all(int fd, const void *data, size_t len);

/* Read a whole small file into a malloc'd NUL-terminated buffer (NULL on error). */
char *pmt_read_file(const char *path, size_t max, size_t *lenp);

/*
 * The last non-empty line of the file at @path (its first MiB) into @buf,
 * without a leading @prefix (NULL: none), or @dflt when there is none: a
 * tool's or QEMU's one-line reason for failing.
 */
void pmt_last_line(const char *path, const char *prefix, const char *dflt,
		   char *buf, size_t len);

/* Remove a directory tree we created (no symlink following). */
int pmt_rm_rf(const char *path);

/* snprintf into @buf; returns -1 (errno=ENAMETOOLONG) if it did not fit. */
int pmt_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The index of @name among the @n @names (NULLs are skipped), or -1. */
int pmt_name_index(const char *const *names, size_t n, const char *name);

/* Does comma-separated @list contain @item? */
int pmt_list_has(const char *list, const char *item);
/* The same for a list whose items are separated by @sep ('|' for alternatives). */
int pmt_list_has_sep(const char *list, const char *item, char sep);

/* Format a one-line error into @err and return -1: `return pmt_fail(err, len, ...)`. */
int pmt_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * @s as a whole number in [@min, @max] into *@out: digits only (a leading
 * '-' where @min allows it), no white space, no '+', no trailing text, the
 * one rule of every number a user writes (options, plan keys, params).
 * 0, or -1 with *@out untouched.
 */
int pmt_parse_whole(const char *s, long long min, long long max, long long *out);
/* A seed: digits, decimal or 0x hex, up to 2^64-1.  0, or -1. */
int pmt_parse_seed(const char *s, unsigned long long *out);

/* @s without the white space around it (the end is cut in place). */
char *pmt_trim(char *s);

/* strdup that ends the process with one line when memory is out. */
char *pmt_xstrdup(const char *s);

/* FNV-1a 64 of @len bytes, continuing from @h (start with PMT_FNV64_INIT):
 * the cheap, stable hash of shards, image folders and snapshot names. */
#define PMT_FNV64_INIT 0xcbf29ce484222325ULL
uint64_t pmt_fnv64(uint64_t h, const void *data, size_t len);

/*
 * @s as one shell word in single quotes (a ' becomes '\''), into @out:
 * what a printed command quotes a path with.  Cut short (still quoted)
 * when @len is too small; "" when @len < 3.
 */
void pmt_shell_quote(const char *s, char *out, size_t len);

/* A kernel log line's text: @l without its printk time stamp
 * "[   12.345678] " and the blanks after it (a pointer into @l). */
const char *pmt_kmsg_text(const char *l);

#endif
