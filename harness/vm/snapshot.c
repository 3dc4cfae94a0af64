// SPDX-License-Identifier: MIT
/* The guest snapshot cache (snapshot.h): keys, lookups, commits, eviction. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "json_util.h"
#include "snapshot.h"
#include "util.h"

/* Bump when what a snapshot holds changes meaning (the attach protocol). */
#define SNAPSHOT_FORMAT 1

/*
 * A file's content hash, remembered per (path, inode, size, mtime, ctime)
 * for the process: a kernel and an initramfs are tens of MB, read once per
 * run.  Words at a time, so 100 MB hash in tens of ms.  The ctime is there
 * because the rest can all stay the same while the bytes change: a file
 * rewritten in place to the same size keeps its inode, and its mtime can
 * be put back (touch -r, cp -p onto it, utimensat); the memo would then
 * give the old hash and the old snapshot, with an old agent, would be
 * restored.  The ctime moves with every write and every utimensat, and no
 * user can set it back.
 */
struct hashed_file {
	char path[PATH_MAX];
	struct stat st;
	uint64_t hash;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int hash_file(const char *path, uint64_t *out)
{
	static struct hashed_file memo[8];
	static unsigned next;
	uint64_t words[8192], h = PMT_FNV64_INIT;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (unsigned i = 0; i < 8; i++) {
		if (!strcmp(memo[i].path, path) && same_file(&memo[i].st, &st)) {
			close(fd);
			*out = memo[i].hash;
			return 0;
		}
	}
	while ((n = read(fd, words, sizeof(words))) > 0) {
		size_t nw = (size_t)n / 8;

		for (size_t i = 0; i < nw; i++) {
			h ^= words[i];
			h *= 0x100000001b3ULL;
		}
		h = pmt_fnv64(h, (char *)words + nw * 8, (size_t)n % 8);
	}
	close(fd);
	if (n < 0)
		return -1;
	snprintf(memo[next].path, sizeof(memo[next].path), "%s", path);
	memo[next].st = st;
	memo[next].hash = h;
	next = (next + 1) % 8;
	*out = h;
	return 0;
}

/* The QEMU binary as execvp would find it. */
static int find_program(const char *prog, struct stat *st, char *path, size_t len)
{
	const char *p = getenv("PATH");

	if (strchr(prog, '/'))
		return snprintf(path, len, "%s", prog) >= (int)len ? -1 : stat(prog, st);
	for (p = p ? p : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		if (snprintf(path, len, "%.*s/%s", (int)n, p, prog) < (int)len &&
		    stat(path, st) == 0 && S_ISREG(st->st_mode))
			return 0;
		p += n + (p[n] == ':');
	}
	return -1;
}

int pmt_snapshot_init(struct pmt_snapshot *s, const char *dir, char *const key_argv[],
		      const char *qemu, const char *kernel, const char *initrd,
		      char *err, size_t errlen)
{
	char qpath[PATH_MAX];
	struct stat qst;
	uint64_t hk, hi;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	if (find_program(qemu, &qst, qpath, sizeof(qpath)))
		return pmt_fail(err, errlen, "cannot find %s", qemu);
	if (hash_file(kernel, &hk) || hash_file(initrd, &hi))
		return pmt_fail(err, errlen, "cannot read %s or %s: %s", kernel, initrd, strerror(errno));
	f = open_memstream(&text, &len);
	if (!f)
		return pmt_fail(err, errlen, "out of memory");
	fprintf(f, "format %d\nqemu %s %lld %lld\nkernel %016llx\ninitrd %016llx\n",
		SNAPSHOT_FORMAT, qpath, (long long)qst.st_size, (long long)qst.st_mtim.tv_sec,
		(unsigned long long)hk, (unsigned long long)hi);
	for (int i = 0; key_argv[i]; i++)
		fprintf(f, "arg %s\n", key_argv[i]);
	if (fclose(f) || !text) {
		free(text);
		return pmt_fail(err, errlen, "out of memory");
	}
	s->key = text;
	snprintf(s->name, sizeof(s->name), "%016llx",
		 (unsigned long long)pmt_fnv64(PMT_FNV64_INIT, text, len));
	if (pmt_fmt(s->dir, sizeof(s->dir), "%s", dir) ||
	    pmt_fmt(s->stream, sizeof(s->stream), "%s/%s.snap", dir, s->name) ||
	    pmt_fmt(s->meta, sizeof(s->meta), "%s/%s.json", dir, s->name) ||
	    pmt_fmt(s->tmp, sizeof(s->tmp), "%s/%s.snap.tmp.%d", dir, s->name, (int)getpid())) {
		pmt_snapshot_free(s);
		return pmt_fail(err, errlen, "snapshot path too long: %s", dir);
	}
	if (pmt_mkdir_p(dir, 0755)) {
		pmt_snapshot_free(s);
		return pmt_fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));
	}
	return 0;
}

void pmt_snapshot_free(struct pmt_snapshot *s)
{
	free(s->key);
	s->key = NULL;
}

struct json_object *pmt_snapshot_lookup(const struct pmt_snapshot *s)
{
	struct json_object *meta, *hit = NULL, *v;
	struct stat st;
	size_t len;
	char *text;

	if (!s->key || stat(s->stream, &st))
		return NULL;
	text = pmt_read_file(s->meta, 1 << 20, &len);
	meta = text ? json_tokener_parse(text) : NULL;
	free(text);
	if (meta && !strcmp(pmt_json_str(meta, "key"), s->key) &&
	    pmt_json_int64(meta, "bytes", -1) == (long long)st.st_size &&
	    json_object_object_get_ex(meta, "ready", &v) && json_object_is_type(v, json_type_object)) {
		hit = json_object_get(meta);
		utimensat(AT_FDCWD, s->meta, NULL, 0);	/* used now: last to be evicted */
	}
	json_object_put(meta);
	return hit;
}

int pmt_snapshot_commit(struct pmt_snapshot *s, struct json_object *ready,
			const char *qemu_version, const char *console, char *err, size_t errlen)
{
	struct json_object *meta = json_object_new_object();
	struct stat st;
	const char *text;
	int rc = -1;

	if (stat(s->tmp, &st)) {
		pmt_fail(err, errlen, "%s: %s", s->tmp, strerror(errno));
		goto out;
	}
	json_object_object_add(meta, "key", json_object_new_string(s->key));
	json_object_object_add(meta, "bytes", json_object_new_int64(st.st_size));
	json_object_object_add(meta, "qemu_version", json_object_new_string(qemu_version));
	json_object_object_add(meta, "taken", json_object_new_int64(time(NULL)));
	json_object_object_add(meta, "ready", json_object_get(ready));
	json_object_object_add(meta, "console", json_object_new_string(console ? console : ""));
	text = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PRETTY);
	/* The stream first: a meta file never names a stream that is not whole. */
	if (rename(s->tmp, s->stream) || pmt_write_file_atomic(s->meta, text, strlen(text))) {
		pmt_fail(err, errlen, "cannot write the snapshot %s: %s", s->stream, strerror(errno));
		unlink(s->stream);
		goto out;
	}
	rc = 0;
	pmt_snapshot_evict(s->dir, (unsigned long long)PMT_SNAPSHOT_CACHE_MB << 20);
out:
	unlink(s->tmp);
	json_object_put(meta);
	return rc;
}

void pmt_snapshot_drop(const struct pmt_snapshot *s)
{
	unlink(s->meta);
	unlink(s->stream);
	unlink(s->tmp);
}

struct cached {
	char name[64];
	time_t used;
	unsigned long long bytes;
};

static int by_use(const void *a, const void *b)
{
	const struct cached *x = a, *y = b;

	return (x->used > y->used) - (x->used < y->used);
}

int pmt_snapshot_evict(const char *dir, unsigned long long max_bytes)
{
	struct cached list[256];
	unsigned long long total = 0;
	int n = 0, removed = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < 256) {
		char path[PATH_MAX];
		struct stat st, mst;
		size_t len = strlen(e->d_name);
		const char *tmp = strstr(e->d_name, ".snap.tmp.");
		int pid;

		/* A stream being written by a harness that was killed: it goes. */
		if (tmp && sscanf(tmp, ".snap.tmp.%d", &pid) == 1 && kill(pid, 0) && errno == ESRCH &&
		    pmt_fmt(path, sizeof(path), "%s/%s", dir, e->d_name) == 0) {
			unlink(path);
			continue;
		}

		if (len < 6 || len >= sizeof(list[n].name) || strcmp(e->d_name + len - 5, ".snap"))
			continue;
		if (pmt_fmt(path, sizeof(path), "%s/%s", dir, e->d_name) || stat(path, &st))
			continue;
		snprintf(list[n].name, sizeof(list[n].name), "%.*s", (int)len - 5, e->d_name);
		list[n].bytes = (unsigned long long)st.st_size;
		/* The meta's mtime is the last use; a stream without one goes first. */
		path[strlen(path) - 5] = '\0';
		strcat(path, ".json");
		list[n].used = stat(path, &mst) ? 0 : mst.st_mtime;
		total += list[n].bytes;
		n++;
	}
	closedir(d);
	qsort(list, (size_t)n, sizeof(list[0]), by_use);
	for (int i = 0; i < n && total > max_bytes; i++) {
		char path[PATH_MAX];

		if (pmt_fmt(path, sizeof(path), "%s/%s.json", dir, list[i].name) == 0)
			unlink(path);
		if (pmt_fmt(path, sizeof(path), "%s/%s.snap", dir, list[i].name) == 0)
			unlink(path);
		total -= list[i].bytes;
		removed++;
	}
	return removed;
}
