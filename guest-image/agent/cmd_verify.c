// SPDX-License-Identifier: MIT
/*
 * verify and drop_caches: the checker's side of a power cut.
 *
 * verify {"dir":"/mnt/pmem","promises":[{promise}, ..]}
 *   -> {"checked":N,"broken_count":M,"broken":[{"promise":{..},"observed":".."}, ..]}
 * Each promise is one a workload sent (workloads/promise.h), checked
 * against the files under dir as the kernel now shows them:
 *   file    the file has exactly "size" bytes hashing to "hash"
 *   exists  the name exists;  absent  it does not
 *   rename  the file is wholly the old (size_old, old_hash) or the new
 *           (size_new, new_hash) content
 *   prefix  the file has at least "size" bytes and the first "size" hash
 *           to "hash"
 * A "file", "exists" or "absent" promise may carry "allow": a list of
 * intents (workloads/promise.h) of changes that may be in flight at this
 * crash state (the host decides which: harness/check/promises.h).  Then the path
 * may be what the promise or any intent says, sector by sector: missing
 * only if one of them is "absent"; any content if one is "exists";
 * otherwise its size lies between the smallest and the largest of theirs
 * (an "absent" counts as size 0) and each 512-byte sector (zero-padded at
 * the end, hash.h) hashes as that sector of one of them, so a torn page
 * or a half-applied overwrite passes and a lost or stale sector does not.
 * Each of them must then carry "sectors".
 * "observed" is one of: "size 4096 != 8192" (found != promised),
 * "hash mismatch", "missing: ENOENT", "present", "read error: EIO",
 * "open error: E", "stat error: E", "not a regular file",
 * "rename target is neither old nor new", "size 4096 < 8192" and
 * "prefix hash mismatch" (prefix), and with "allow": "sector N is neither
 * the promised content nor an op in flight", "size S outside [A, B]".  A broken entry also carries
 * the "size" and "hash" found, when the file could be read.  Files are
 * read with plain read(), as an application would after the crash; at
 * most VERIFY_MAX_BROKEN entries are listed, broken_count counts all.
 * A malformed promise fails the whole request: the host sent it wrong.
 *
 * drop_caches {"dev":"/dev/pmem0"} (dev optional) -> {}
 * The host rewrites the pmem backing file under a live checker guest
 * between crash states: whatever the guest cached of the old image must
 * go.  sync, BLKFLSBUF on dev (the block device's buffer cache, where the
 * fs metadata read at mount lives), then drop the page, dentry and inode
 * caches.  Run it with dev unmounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "args.h"
#include "commands.h"
#include "hash.h"

#define VERIFY_MAX_BROKEN	256	/* keeps the reply well under PMT_MSG_MAX */
#define VERIFY_CHUNK		(256 * 1024)
#define DROP_CACHES_PATH	"/proc/sys/vm/drop_caches"


/* What a promise says about a file's content. */
struct content {
	long long size;
	uint64_t hash;
};

/* What verify found at a path. */
struct found {
	bool readable;			/* size and hash are valid */
	struct content c;
	uint64_t prefix_hash;		/* of the first prefix_len bytes */
	char observed[128];		/* why it could not be read */
};

static const char *errno_name(int error)
{
	const char *name = strerrorname_np(error);

	return name ? name : "unknown error";
}

/* Paths stay inside dir: relative, and no ".." component. */
static bool path_ok(const char *path)
{
	const char *p = path;
	size_t n;

	if (!*path || *path == '/')
		return false;
	while (*p) {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

static int get_hash(struct json_object *promise, const char *key, uint64_t *out,
		    char *err, size_t errlen)
{
	const char *text;
	char *end;

	if (arg_string(promise, key, true, &text, err, errlen))
		return -1;
	errno = 0;
	*out = strtoull(text, &end, 16);
	if (!*text || *end || strlen(text) > 16 || errno || text[0] == '-' || text[0] == '+') {
		snprintf(err, errlen, "argument \"%s\" must be up to 16 hex digits", key);
		return -1;
	}
	return 0;
}

static int get_content(struct json_object *promise, const char *size_key,
		       const char *hash_key, struct content *c, char *err, size_t errlen)
{
	if (arg_int(promise, size_key, -1, 0, INT64_MAX, &c->size, err, errlen) ||
	    get_hash(promise, hash_key, &c->hash, err, errlen))
		return -1;
	if (c->size < 0) {
		snprintf(err, errlen, "missing argument \"%s\"", size_key);
		return -1;
	}
	return 0;
}

/* Read all of @path under @dirfd into @f; hash its first @prefix_len bytes too. */
static void read_content(int dirfd, const char *path, long long prefix_len, struct found *f)
{
	long long in_prefix;

	static unsigned char buf[VERIFY_CHUNK];
	struct stat st;
	ssize_t n;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(f->observed, sizeof(f->observed), "%s: %s",
			 errno == ENOENT ? "missing" : "open error", errno_name(errno));
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(f->observed, sizeof(f->observed), "not a regular file");
		close(fd);
		return;
	}
	f->c.hash = PMT_HASH_INIT;
	f->prefix_hash = PMT_HASH_INIT;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(f->observed, sizeof(f->observed), "read error: %s",
				 errno_name(errno));
			close(fd);
			return;
		}
		if (n == 0)
			break;
		f->c.hash = pmt_hash_update(f->c.hash, buf, (size_t)n);
		in_prefix = prefix_len - f->c.size;
		if (in_prefix > n)
			in_prefix = n;
		if (in_prefix > 0)
			f->prefix_hash = pmt_hash_update(f->prefix_hash, buf, (size_t)in_prefix);
		f->c.size += n;
	}
	close(fd);
	f->readable = true;
}

static bool same(const struct content *a, const struct content *b)
{
	return a->size == b->size && a->hash == b->hash;
}

/* The name's existence: 1, 0, or -1 with @observed set. */
static int name_exists(int dirfd, const char *path, char *observed, size_t len)
{
	struct stat st;

	if (!fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW))
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(observed, len, "stat error: %s", errno_name(errno));
	return -1;
}

/* One candidate state of a path: the promise or an intent in flight. */
struct candidate {
	const char *kind;	/* file, exists, absent */
	long long size;
	const char *sectors;	/* file: 8 hex digits per sector */
};

static int get_candidate(struct json_object *o, struct candidate *cd, char *err, size_t errlen)
{
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "an allowed intent is not an object");
		return -1;
	}
	if (arg_string(o, "kind", true, &cd->kind, err, errlen))
		return -1;
	cd->size = 0;
	cd->sectors = NULL;
	if (!strcmp(cd->kind, "exists") || !strcmp(cd->kind, "absent"))
		return 0;
	if (strcmp(cd->kind, "file")) {
		snprintf(err, errlen, "kind \"%.32s\" cannot be allowed in flight", cd->kind);
		return -1;
	}
	if (arg_int(o, "size", -1, 0, PMT_SECTORS_MAX_SIZE, &cd->size, err, errlen) ||
	    arg_string(o, "sectors", true, &cd->sectors, err, errlen))
		return -1;
	if (cd->size < 0 || strlen(cd->sectors) !=
	    (size_t)(cd->size + PMT_SECTOR_SIZE - 1) / PMT_SECTOR_SIZE * PMT_SECTOR_HEX) {
		snprintf(err, errlen, "a file candidate needs \"size\" and one hash per sector");
		return -1;
	}
	return 0;
}

/* Sector @k of candidate @cd as a number (a zero sector past its end). */
static uint32_t candidate_sector(const struct candidate *cd, size_t k)
{
	char hex[PMT_SECTOR_HEX + 1];

	if (!cd->sectors || k * PMT_SECTOR_HEX >= strlen(cd->sectors))
		return pmt_zero_sector_hash();
	memcpy(hex, cd->sectors + k * PMT_SECTOR_HEX, PMT_SECTOR_HEX);
	hex[PMT_SECTOR_HEX] = '\0';
	return (uint32_t)strtoul(hex, NULL, 16);
}

#define MAX_CANDIDATES	8

/*
 * The promise with "allow": see the top of this file.  0 with @observed
 * set or empty, or -1 with @err for a malformed request.
 * One function because its checks narrow down in order (name, type, size, sectors)
 * against the same candidates, each ending with the observation; the read loop could move
 * to a helper.
 */
static int check_allowed(int dirfd, const char *path, struct json_object *promise,
			 struct json_object *allow, char *observed, size_t len,
			 char *err, size_t errlen)
{
	struct candidate cd[MAX_CANDIDATES];
	size_t ncd = 0, n = json_object_array_length(allow);
	long long lo = -1, hi = -1, size = 0;
	bool may_miss = false, any = false;
	unsigned char *buf = NULL;
	struct stat st;
	int fd, e;

	if (n + 1 > MAX_CANDIDATES) {
		snprintf(err, errlen, "more than %d intents allowed on one path", MAX_CANDIDATES - 1);
		return -1;
	}
	if (get_candidate(promise, &cd[ncd++], err, errlen))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (get_candidate(json_object_array_get_idx(allow, i), &cd[ncd++], err, errlen))
			return -1;
	for (size_t i = 0; i < ncd; i++) {
		long long sz = cd[i].size;

		if (!strcmp(cd[i].kind, "absent"))
			may_miss = true;
		if (!strcmp(cd[i].kind, "exists"))
			any = true;
		lo = lo < 0 || sz < lo ? sz : lo;
		hi = sz > hi ? sz : hi;
	}
	e = name_exists(dirfd, path, observed, len);
	if (e < 0)
		return 0;
	if (!e) {
		if (!may_miss)
			snprintf(observed, len, "missing: ENOENT");
		return 0;
	}
	if (any)
		return 0;
	fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(observed, len, fd < 0 ? "open error: %s" : "not a regular file",
			 errno_name(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (st.st_size < lo || st.st_size > hi) {
		snprintf(observed, len, "size %lld outside [%lld, %lld]", (long long)st.st_size, lo, hi);
		close(fd);
		return 0;
	}
	buf = malloc((size_t)hi + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory reading %s", path);
		return -1;
	}
	while (size <= hi) {
		ssize_t r = read(fd, buf + size, (size_t)(hi + 1 - size));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(observed, len, "read error: %s", errno_name(errno));
			goto out;
		}
		if (r == 0)
			break;
		size += r;
	}
	if (size > hi) {
		snprintf(observed, len, "size over %lld while reading", hi);
		goto out;
	}
	for (size_t k = 0; k * PMT_SECTOR_SIZE < (size_t)size; k++) {
		uint32_t h = pmt_sector_hash(buf, (size_t)size, k);
		bool ok = false;

		for (size_t i = 0; i < ncd && !ok; i++)
			ok = candidate_sector(&cd[i], k) == h;
		if (!ok) {
			snprintf(observed, len, "sector %zu (byte %zu) is neither the promised "
				 "content nor an op in flight", k, k * PMT_SECTOR_SIZE);
			break;
		}
	}
out:
	free(buf);
	close(fd);
	return 0;
}

/*
 * Check one promise.  Returns 0 with @observed empty (kept) or set (broken)
 * and @f filled when the file was read; -1 with @err if it is malformed.
 */
static int check_promise(int dirfd, struct json_object *promise, struct found *f,
			 char *observed, size_t len, char *err, size_t errlen)
{
	struct content want, old;
	const char *kind, *path;
	int e;

	observed[0] = '\0';
	f->readable = false;
	if (!json_object_is_type(promise, json_type_object)) {
		snprintf(err, errlen, "not an object");
		return -1;
	}
	if (arg_string(promise, "kind", true, &kind, err, errlen) ||
	    arg_string(promise, "path", true, &path, err, errlen))
		return -1;
	if (!path_ok(path)) {
		snprintf(err, errlen, "path \"%.64s\" must be relative without \"..\"", path);
		return -1;
	}
	{
		struct json_object *allow;

		if (json_object_object_get_ex(promise, "allow", &allow) &&
		    json_object_is_type(allow, json_type_array) && json_object_array_length(allow))
			return check_allowed(dirfd, path, promise, allow, observed, len, err, errlen);
	}
	if (!strcmp(kind, "exists") || !strcmp(kind, "absent")) {
		e = name_exists(dirfd, path, observed, len);
		if (e == 0 && !strcmp(kind, "exists"))
			snprintf(observed, len, "missing: ENOENT");
		else if (e == 1 && !strcmp(kind, "absent"))
			snprintf(observed, len, "present");
		return 0;
	}
	if (!strcmp(kind, "file")) {
		if (get_content(promise, "size", "hash", &want, err, errlen))
			return -1;
		read_content(dirfd, path, 0, f);
		if (!f->readable)
			snprintf(observed, len, "%s", f->observed);
		else if (f->c.size != want.size)
			snprintf(observed, len, "size %lld != %lld", f->c.size, want.size);
		else if (f->c.hash != want.hash)
			snprintf(observed, len, "hash mismatch");
		return 0;
	}
	if (!strcmp(kind, "rename")) {
		if (get_content(promise, "size_old", "old_hash", &old, err, errlen) ||
		    get_content(promise, "size_new", "new_hash", &want, err, errlen))
			return -1;
		read_content(dirfd, path, 0, f);
		if (!f->readable)
			snprintf(observed, len, "%s", f->observed);
		else if (!same(&f->c, &old) && !same(&f->c, &want))
			snprintf(observed, len, "rename target is neither old nor new");
		return 0;
	}
	if (!strcmp(kind, "prefix")) {
		if (get_content(promise, "size", "hash", &want, err, errlen))
			return -1;
		read_content(dirfd, path, want.size, f);
		if (!f->readable)
			snprintf(observed, len, "%s", f->observed);
		else if (f->c.size < want.size)
			snprintf(observed, len, "size %lld < %lld", f->c.size, want.size);
		else if (f->prefix_hash != want.hash)
			snprintf(observed, len, "prefix hash mismatch");
		return 0;
	}
	snprintf(err, errlen, "unknown kind \"%.32s\" (file, exists, absent, rename, prefix)",
		 kind);
	return -1;
}

static struct json_object *broken_entry(struct json_object *promise, const char *observed,
					const struct found *f)
{
	struct json_object *o = json_object_new_object();
	char hex[PMT_HASH_HEX_LEN];

	json_object_object_add(o, "promise", json_object_get(promise));
	json_object_object_add(o, "observed", json_object_new_string(observed));
	if (f->readable) {
		pmt_hash_hex(f->c.hash, hex);
		json_object_object_add(o, "size", json_object_new_int64(f->c.size));
		json_object_object_add(o, "hash", json_object_new_string(hex));
	}
	return o;
}

int cmd_verify(struct json_object *args, struct json_object *result,
	       char *err, size_t errlen)
{
	struct json_object *promises, *promise, *broken;
	char observed[160], why[512];
	long long nbroken = 0;
	const char *dir;
	struct found f;
	size_t i, n;
	int dirfd;

	if (arg_string(args, "dir", true, &dir, err, errlen))
		return -1;
	if (!json_object_object_get_ex(args, "promises", &promises) ||
	    !json_object_is_type(promises, json_type_array)) {
		snprintf(err, errlen, "argument \"promises\" must be an array");
		return -1;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(err, errlen, "open %s: %s", dir, strerror(errno));
		return -1;
	}
	broken = json_object_new_array();
	n = json_object_array_length(promises);
	for (i = 0; i < n; i++) {
		promise = json_object_array_get_idx(promises, i);
		if (check_promise(dirfd, promise, &f, observed, sizeof(observed),
				  why, sizeof(why))) {
			snprintf(err, errlen, "promise %zu: %s", i, why);
			json_object_put(broken);
			close(dirfd);
			return -1;
		}
		if (!observed[0])
			continue;
		if (nbroken++ < VERIFY_MAX_BROKEN)
			json_object_array_add(broken, broken_entry(promise, observed, &f));
	}
	close(dirfd);
	json_object_object_add(result, "checked", json_object_new_int64((int64_t)n));
	json_object_object_add(result, "broken_count", json_object_new_int64(nbroken));
	json_object_object_add(result, "broken", broken);
	return 0;
}

int cmd_drop_caches(struct json_object *args, struct json_object *result,
		    char *err, size_t errlen)
{
	const char *dev;
	int fd;

	(void)result;
	if (arg_string(args, "dev", false, &dev, err, errlen))
		return -1;
	sync();
	if (dev) {
		fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "open %s: %s", dev, strerror(errno));
			return -1;
		}
		if (ioctl(fd, BLKFLSBUF, 0)) {
			snprintf(err, errlen, "BLKFLSBUF on %s: %s", dev, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	fd = open(DROP_CACHES_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "3\n", 2) != 2) {
		snprintf(err, errlen, "write 3 to " DROP_CACHES_PATH ": %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
