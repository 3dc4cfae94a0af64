// SPDX-License-Identifier: MIT
/*
 * Unit tests: the snapshot cache's keys, lookups, commits and eviction
 * (harness/vm/snapshot.h), on files in a private folder.  No QEMU: the
 * "stream" is whatever bytes the test writes.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmt_check.h"
#include "image.h"
#include "snapshot.h"
#include "util.h"

static char dir[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX];

static void put(const char *path, const char *text)
{
	ck_assert_int_eq(pmt_write_file_atomic(path, text, strlen(text)), 0);
}

static void setup(void)
{
	char tmpl[] = "/tmp/pmt-snap-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(kernel, sizeof(kernel), "%s/vmlinux", dir);
	snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio", dir);
	put(kernel, "kernel one");
	put(initrd, "initramfs one");
}

static void teardown(void)
{
	pmt_rm_rf(dir);
}

static char *argv_a[] = { "qemu", "-m", "512M", "-append", "pmtorture.skip=nfit.ko", NULL };
static char *argv_b[] = { "qemu", "-m", "1024M", "-append", "pmtorture.skip=nfit.ko", NULL };

static void init(struct pmt_snapshot *s, char *const argv[])
{
	char err[256], cache[PATH_MAX + 16];

	snprintf(cache, sizeof(cache), "%s/snapshots", dir);
	ck_assert_int_eq(pmt_snapshot_init(s, cache, argv, "/bin/sh", kernel, initrd,
					   err, sizeof(err)), 0);
}

/* Take a "snapshot" of @n bytes with a ready event naming @kernel_name. */
static void take(struct pmt_snapshot *s, size_t n, const char *kernel_name)
{
	struct json_object *ready = json_object_new_object();
	char *bytes = calloc(1, n + 1), err[256];

	memset(bytes, 'x', n);
	put(s->tmp, bytes);
	json_object_object_add(ready, "kernel", json_object_new_string(kernel_name));
	ck_assert_int_eq(pmt_snapshot_commit(s, ready, "7.2.0", "boot console\n", err, sizeof(err)), 0);
	ck_assert_int_eq(access(s->tmp, F_OK), -1);
	json_object_put(ready);
	free(bytes);
}

static void stat_ok(const char *path, struct stat *st)
{
	ck_assert_int_eq(stat(path, st), 0);
}

/*
 * The key is the content of the kernel and the initramfs, nothing else of
 * them: the same bytes under another inode and mtime give the same key
 * (keying on the inode or the mtime fails that), other bytes of the same
 * size under the same inode and mtime give another (so does a file hash
 * remembered by inode, size and mtime alone), and so does another
 * initramfs (a key without it would restore a snapshot with an old agent).
 */
START_TEST(key_covers_every_input)
{
	struct timespec old_mtime[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct pmt_snapshot a, a2, b, same, rewritten, other_initrd;
	struct stat st0, st1, st2;
	int fd;

	init(&a, argv_a);
	init(&a2, argv_a);
	init(&b, argv_b);
	ck_assert_str_eq(a.name, a2.name);
	ck_assert_str_ne(a.name, b.name);
	ck_assert_ptr_nonnull(strstr(a.key, "\narg 512M\n"));
	ck_assert_ptr_nonnull(strstr(a.key, "\nqemu /bin/sh "));

	/* (a) A copy of the same bytes: another inode, another mtime, same key. */
	stat_ok(kernel, &st0);
	put(kernel, "kernel one");
	ck_assert_int_eq(utimensat(AT_FDCWD, kernel, old_mtime, 0), 0);
	stat_ok(kernel, &st1);
	ck_assert_uint_ne(st0.st_ino, st1.st_ino);
	ck_assert_int_ne(st0.st_mtim.tv_sec, st1.st_mtim.tv_sec);
	init(&same, argv_a);
	ck_assert_str_eq(a.name, same.name);

	/*
	 * (b) Rewritten in place: other bytes, the same size, the mtime put
	 * back; only the content (and the ctime, which moves at the kernel's
	 * clock tick: wait one) tells.  Another key.
	 */
	usleep(20000);
	fd = open(kernel, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "kernel two", 10, 0), 10);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, kernel, old_mtime, 0), 0);
	stat_ok(kernel, &st2);
	ck_assert_uint_eq(st1.st_ino, st2.st_ino);
	ck_assert_int_eq(st1.st_size, st2.st_size);
	ck_assert_int_eq(st1.st_mtim.tv_sec, st2.st_mtim.tv_sec);
	ck_assert_int_eq(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
	init(&rewritten, argv_a);
	ck_assert_str_ne(same.name, rewritten.name);

	/* (c) Another initramfs, the kernel unchanged: another key. */
	put(initrd, "initramfs two");
	init(&other_initrd, argv_a);
	ck_assert_str_ne(rewritten.name, other_initrd.name);
	ck_assert_str_ne(a.name, other_initrd.name);

	pmt_snapshot_free(&a);
	pmt_snapshot_free(&a2);
	pmt_snapshot_free(&b);
	pmt_snapshot_free(&same);
	pmt_snapshot_free(&rewritten);
	pmt_snapshot_free(&other_initrd);
}
END_TEST

START_TEST(missing_inputs_are_errors)
{
	struct pmt_snapshot s;
	char err[256], cache[PATH_MAX + 16];

	snprintf(cache, sizeof(cache), "%s/snapshots", dir);
	ck_assert_int_eq(pmt_snapshot_init(&s, cache, argv_a, "no-such-qemu-binary", kernel,
					   initrd, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot find no-such-qemu-binary");
	unlink(initrd);
	ck_assert_int_eq(pmt_snapshot_init(&s, cache, argv_a, "/bin/sh", kernel, initrd,
					   err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot read"));
}
END_TEST

START_TEST(lookup_needs_the_same_key_and_a_whole_stream)
{
	struct pmt_snapshot a, b;
	struct json_object *ready;

	init(&a, argv_a);
	init(&b, argv_b);
	ck_assert_ptr_null(pmt_snapshot_lookup(&a));
	take(&a, 100, "6.1.0-57-amd64");
	ready = pmt_snapshot_lookup(&a);
	ck_assert_ptr_nonnull(ready);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_object_get(ready, "ready"), "kernel")), "6.1.0-57-amd64");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(ready, "console")),
			 "boot console\n");
	json_object_put(ready);
	ck_assert_ptr_null(pmt_snapshot_lookup(&b));

	/* A meta naming another key under this name (a hash collision) is no hit. */
	rename(a.meta, b.meta);
	rename(a.stream, b.stream);
	ck_assert_ptr_null(pmt_snapshot_lookup(&b));
	rename(b.meta, a.meta);
	rename(b.stream, a.stream);
	ck_assert_ptr_nonnull((ready = pmt_snapshot_lookup(&a)));
	json_object_put(ready);

	/* A stream cut short is no hit. */
	ck_assert_int_eq(truncate(a.stream, 50), 0);
	ck_assert_ptr_null(pmt_snapshot_lookup(&a));

	/* Dropped: both files go. */
	pmt_snapshot_drop(&a);
	ck_assert_int_eq(access(a.stream, F_OK), -1);
	ck_assert_int_eq(access(a.meta, F_OK), -1);
	pmt_snapshot_free(&a);
	pmt_snapshot_free(&b);
}
END_TEST

static void set_used(const struct pmt_snapshot *s, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	ck_assert_int_eq(utimensat(AT_FDCWD, s->meta, ts, 0), 0);
}

START_TEST(eviction_keeps_the_recently_used)
{
	struct pmt_snapshot a, b;
	struct json_object *ready;
	char stale[PATH_MAX + 64];

	init(&a, argv_a);
	init(&b, argv_b);
	take(&a, 1000, "a");
	take(&b, 1000, "b");
	set_used(&a, 1000);
	set_used(&b, 2000);
	/* A lookup makes a the most recently used: b goes first. */
	ready = pmt_snapshot_lookup(&a);
	json_object_put(ready);
	ck_assert_int_eq(pmt_snapshot_evict(a.dir, 1500), 1);
	ck_assert_int_eq(access(a.stream, F_OK), 0);
	ck_assert_int_eq(access(b.stream, F_OK), -1);
	ck_assert_int_eq(access(b.meta, F_OK), -1);
	ck_assert_int_eq(pmt_snapshot_evict(a.dir, 1000), 0);
	/* A half-written stream of a harness that is gone is removed. */
	snprintf(stale, sizeof(stale), "%s/%s.snap.tmp.%d", a.dir, a.name, 999999);
	put(stale, "half");
	ck_assert_int_eq(pmt_snapshot_evict(a.dir, 1000), 0);
	ck_assert_int_eq(access(stale, F_OK), -1);
	pmt_snapshot_free(&a);
	pmt_snapshot_free(&b);
}
END_TEST

/*
 * A kernel with its pmem driver built in cannot have the driver left out
 * until the restore: builtin.txt names it, and the guests of that device
 * boot cold, the other device's still restore.
 */
START_TEST(builtin_pmem_driver_means_cold)
{
	char tmp[] = "/tmp/pmt-builtin-XXXXXX", path[64], list[256];

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	pmt_image_read_builtin(tmp, list, sizeof(list));
	ck_assert_str_eq(list, "");	/* an image without the file: nothing built in */
	ck_assert_ptr_null(pmt_image_builtin_pmem(list, false));
	snprintf(path, sizeof(path), "%s/builtin.txt", tmp);
	ck_assert_int_eq(pmt_write_file_atomic(path, "virtio_pci\nvirtio_pmem\n\n", 23), 0);
	pmt_image_read_builtin(tmp, list, sizeof(list));
	ck_assert_str_eq(list, "virtio_pci,virtio_pmem");
	ck_assert_str_eq(pmt_image_builtin_pmem(list, false), "virtio_pmem");
	ck_assert_ptr_null(pmt_image_builtin_pmem(list, true));
	ck_assert_int_eq(pmt_write_file_atomic(path, "nfit\n", 5), 0);
	pmt_image_read_builtin(tmp, list, sizeof(list));
	ck_assert_str_eq(pmt_image_builtin_pmem(list, true), "nfit");
	ck_assert_ptr_null(pmt_image_builtin_pmem(list, false));
	/* A name that only contains another's is not it. */
	ck_assert_ptr_null(pmt_image_builtin_pmem("virtio_pmem_x,nfit2", false));
	ck_assert_ptr_null(pmt_image_builtin_pmem("virtio_pmem_x,nfit2", true));
	unlink(path);
	rmdir(tmp);
}
END_TEST

START_TEST(fnv64_known_values)
{
	/* FNV-1a 64 test vectors. */
	ck_assert_uint_eq(pmt_fnv64(PMT_FNV64_INIT, "", 0), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(pmt_fnv64(PMT_FNV64_INIT, "a", 1), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(pmt_fnv64(PMT_FNV64_INIT, "foobar", 6), 0x85944171f73967e8ULL);
}
END_TEST

static const struct pmt_check_opts opts = {
	.tcase = "cache",
	.setup = setup, .teardown = teardown,
};

PMT_CHECK_MAIN("snapshot", &opts, key_covers_every_input,
	       missing_inputs_are_errors,
	       lookup_needs_the_same_key_and_a_whole_stream,
	       eviction_keeps_the_recently_used, fnv64_known_values,
	       builtin_pmem_driver_means_cold);
