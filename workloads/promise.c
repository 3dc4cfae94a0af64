// SPDX-License-Identifier: MIT
/* Shared by the crash-consistency workloads; the event formats are in promise.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "hash.h"
#include "promise.h"
#include "workload.h"

/* Range-checked integer argument; absent gives @def. */
static int get_int(struct json_object *args, const char *key, long long def,
		   long long min, long long max, long long *out, char *err, size_t errlen)
{
	struct json_object *v;

	*out = def;
	if (!json_object_object_get_ex(args, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < min || json_object_get_int64(v) > max) {
		snprintf(err, errlen, "argument \"%s\" must be an integer in [%lld, %lld]",
			 key, min, max);
		return -1;
	}
	*out = json_object_get_int64(v);
	return 0;
}

int pmt_crash_begin(struct pmt_crash *c, const char *dir, struct json_object *args,
		    long long max_ops, char *err, size_t errlen)
{
	long long seed;

	memset(c, 0, sizeof(*c));
	c->dir = dir;
	c->dirfd = -1;
	c->err = err;
	c->errlen = errlen;
	if (get_int(args, "ops", PMT_CRASH_DEFAULT_OPS < max_ops ? PMT_CRASH_DEFAULT_OPS : max_ops,
		    1, max_ops, &c->ops, err, errlen) ||
	    get_int(args, "seed", 1, 0, LLONG_MAX, &seed, err, errlen))
		return -1;
	{
		struct json_object *v;

		if (json_object_object_get_ex(args, "ack", &v)) {
			if (!json_object_is_type(v, json_type_boolean)) {
				snprintf(err, errlen, "argument \"ack\" must be a boolean");
				return -1;
			}
			c->ack = json_object_get_boolean(v);
		}
	}
	c->rng = (uint64_t)seed;
	c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		snprintf(err, errlen, "open %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void close_dir(struct pmt_crash *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
}

int pmt_crash_end(struct pmt_crash *c, struct json_object *result)
{
	struct json_object *se;

	close_dir(c);
	if (c->failed)
		return -1;
	json_object_object_add(result, "ops_done", json_object_new_int64(c->ops_done));
	json_object_object_add(result, "syncs", json_object_new_int64(c->syncs));
	if (c->sync_failed) {
		se = json_object_new_object();
		json_object_object_add(se, "op", json_object_new_int64(c->op));
		json_object_object_add(se, "call", json_object_new_string(c->sync_call));
		json_object_object_add(se, "errno", json_object_new_int(c->sync_errno));
		json_object_object_add(result, "sync_error", se);
	}
	return 0;
}

static void vfail(struct pmt_crash *c, const char *fmt, va_list ap)
{
	close_dir(c);
	c->failed = true;
	vsnprintf(c->err, c->errlen, fmt, ap);
}

int pmt_crash_fail(struct pmt_crash *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c, fmt, ap);
	va_end(ap);
	return -1;
}

uint64_t pmt_crash_rand(struct pmt_crash *c, uint64_t lo, uint64_t hi)
{
	return pmt_splitmix64_range(&c->rng, lo, hi);
}

void pmt_crash_fill(struct pmt_crash *c, void *buf, size_t len)
{
	pmt_splitmix64_fill(&c->rng, buf, len);
}

static struct json_object *event_fields(struct pmt_crash *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_int64(c->op));
	return o;
}

static void emit(const char *event, struct json_object *fields)
{
	pmt_workload_emit(event, fields);
	json_object_put(fields);
}

int pmt_crash_progress(struct pmt_crash *c, const char *const *paths, size_t n)
{
	struct json_object *o = event_fields(c), *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(paths[i]));
	json_object_object_add(o, "paths", arr);
	if (c->ack)
		json_object_object_add(o, "ack", json_object_new_boolean(true));
	emit("progress", o);
	if (c->ack && pmt_workload_wait_ack(c->err, c->errlen)) {
		close_dir(c);
		c->failed = true;
		return -1;
	}
	return 0;
}

/* Record the failure and tell the host; the workload stops after this. */
static int sync_failed(struct pmt_crash *c, const char *call, const char *path, int error)
{
	struct json_object *o = event_fields(c);

	c->sync_failed = true;
	c->sync_call = call;
	c->sync_errno = error;
	json_object_object_add(o, "call", json_object_new_string(call));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "errno", json_object_new_int(error));
	json_object_object_add(o, "error", json_object_new_string(strerror(error)));
	emit("sync-error", o);
	return -1;
}

int pmt_crash_fsync(struct pmt_crash *c, int fd, const char *path, bool data_only)
{
	int ret;

	do {
		ret = data_only ? fdatasync(fd) : fsync(fd);
	} while (ret && errno == EINTR);
	if (ret)
		return sync_failed(c, data_only ? "fdatasync" : "fsync", path, errno);
	c->syncs++;
	return 0;
}

int pmt_crash_fsync_dir(struct pmt_crash *c)
{
	return pmt_crash_fsync(c, c->dirfd, ".", false);
}

int pmt_crash_msync(struct pmt_crash *c, void *addr, size_t len, const char *path)
{
	if (msync(addr, len, MS_SYNC))
		return sync_failed(c, "msync", path, errno);
	c->syncs++;
	return 0;
}

static struct json_object *promise_fields(struct pmt_crash *c, const char *kind,
					  const char *path)
{
	struct json_object *o = event_fields(c);

	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "path", json_object_new_string(path));
	return o;
}

static void add_hash(struct json_object *o, const char *key, const void *data, size_t size)
{
	char hex[PMT_HASH_HEX_LEN];

	pmt_hash_hex(pmt_hash(data, size), hex);
	json_object_object_add(o, key, json_object_new_string(hex));
}

/* "sectors": the sector hashes of hash.h, for files small enough. */
static void add_sectors(struct json_object *o, const void *data, size_t size)
{
	size_t n = (size + PMT_SECTOR_SIZE - 1) / PMT_SECTOR_SIZE;
	char *hex;

	if (size > PMT_SECTORS_MAX_SIZE)
		return;
	hex = malloc(n * PMT_SECTOR_HEX + 1);
	if (!hex)
		return;	/* the promise is still checked whole */
	for (size_t k = 0; k < n; k++)
		snprintf(hex + k * PMT_SECTOR_HEX, PMT_SECTOR_HEX + 1, "%08" PRIx32,
			 pmt_sector_hash(data, size, k));
	hex[n * PMT_SECTOR_HEX] = '\0';
	json_object_object_add(o, "sectors", json_object_new_string(hex));
	free(hex);
}

static struct json_object *file_fields(struct pmt_crash *c, const char *path,
				       const void *data, size_t size)
{
	struct json_object *o = promise_fields(c, "file", path);

	json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
	add_hash(o, "hash", data, size);
	add_sectors(o, data, size);
	return o;
}

void pmt_crash_intend_file(struct pmt_crash *c, const char *path,
			   const void *data, size_t size)
{
	emit("intent", file_fields(c, path, data, size));
}

void pmt_crash_intend_exists(struct pmt_crash *c, const char *path, bool exists)
{
	emit("intent", promise_fields(c, exists ? "exists" : "absent", path));
}

void pmt_crash_promise_file(struct pmt_crash *c, const char *path,
			    const void *data, size_t size)
{
	emit("promise", file_fields(c, path, data, size));
}

void pmt_crash_promise_prefix(struct pmt_crash *c, const char *path,
			      const void *data, size_t size)
{
	struct json_object *o = promise_fields(c, "prefix", path);

	json_object_object_add(o, "size", json_object_new_int64((int64_t)size));
	add_hash(o, "hash", data, size);
	emit("promise", o);
}

void pmt_crash_promise_exists(struct pmt_crash *c, const char *path, bool exists)
{
	emit("promise", promise_fields(c, exists ? "exists" : "absent", path));
}

void pmt_crash_promise_rename(struct pmt_crash *c, const char *path,
			      const void *old_data, size_t size_old,
			      const void *new_data, size_t size_new)
{
	struct json_object *o = promise_fields(c, "rename", path);

	add_hash(o, "old_hash", old_data, size_old);
	add_hash(o, "new_hash", new_data, size_new);
	json_object_object_add(o, "size_old", json_object_new_int64((int64_t)size_old));
	json_object_object_add(o, "size_new", json_object_new_int64((int64_t)size_new));
	emit("promise", o);
}

int pmt_crash_file_create(struct pmt_crash *c, struct pmt_crash_file *f,
			  const char *name, size_t cap)
{
	f->name = name;
	f->size = 0;
	f->fd = -1;
	f->data = calloc(1, cap);
	if (!f->data)
		return pmt_crash_fail(c, "out of memory");
	f->fd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return pmt_crash_file_fail(c, f, "create %s/%s: %s", c->dir, name,
					   strerror(errno));
	return 0;
}

static void file_close(struct pmt_crash_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->data);
	f->data = NULL;
}

int pmt_crash_file_end(struct pmt_crash *c, struct pmt_crash_file *f,
		       struct json_object *result)
{
	file_close(f);
	return pmt_crash_end(c, result);
}

int pmt_crash_file_fail(struct pmt_crash *c, struct pmt_crash_file *f, const char *fmt, ...)
{
	va_list ap;

	/* The arguments were read before this closes anything, errno too. */
	file_close(f);
	va_start(ap, fmt);
	vfail(c, fmt, ap);
	va_end(ap);
	return -1;
}

int pmt_crash_file_change(struct pmt_crash *c, struct pmt_crash_file *f)
{
	pmt_crash_intend_file(c, f->name, f->data, f->size);
	return pmt_crash_progress(c, &f->name, 1);
}

int pmt_crash_file_write(struct pmt_crash *c, struct pmt_crash_file *f, size_t off, size_t len)
{
	if (pmt_crash_file_change(c, f))
		return -1;
	if (pmt_pwrite_all(f->fd, f->data + off, len, (off_t)off))
		return pmt_crash_fail(c, "op %lld: write %zu bytes at %zu of %s/%s: %s", c->op,
				      len, off, c->dir, f->name, strerror(errno));
	return 0;
}

int pmt_crash_file_commit(struct pmt_crash *c, struct pmt_crash_file *f,
			  bool data_only, bool new_name)
{
	if (pmt_crash_fsync(c, f->fd, f->name, data_only))
		return -1;
	if (new_name && pmt_crash_fsync_dir(c))
		return -1;
	pmt_crash_promise_file(c, f->name, f->data, f->size);
	return 0;
}

int pmt_pwrite_count(int fd, const void *buf, size_t len, off_t off, size_t *done)
{
	const char *p = buf;
	ssize_t n;

	*done = 0;
	while (*done < len) {
		n = pwrite(fd, p + *done, len - *done, off + (off_t)*done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		*done += (size_t)n;
	}
	return 0;
}

int pmt_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	size_t done;

	return pmt_pwrite_count(fd, buf, len, off, &done);
}
