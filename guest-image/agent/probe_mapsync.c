// SPDX-License-Identifier: MIT
/*
 * mapsync: does the filesystem grant MAP_SYNC on this pmem device?
 *
 * MAP_SYNC promises that once a write fault returns, the file's metadata
 * is durable, so data stored through the mapping and flushed from the CPU
 * cache survives a crash without fsync().  The kernel may only grant it
 * when the device persists CPU cache flushes by itself: an ACPI NVDIMM
 * can, virtio-pmem cannot (it needs a host-side flush) and must refuse
 * with EOPNOTSUPP.  We record what happened; the host knows the device
 * and judges it.  A plain MAP_SHARED mapping is the control: it must work
 * everywhere, or the refusal of MAP_SYNC means nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "workload.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

#define MAPSYNC_FILE		"mapsync.dat"
#define MAPSYNC_SIZE		(2 * 1024 * 1024)
#define MAPSYNC_PAGE		4096

static unsigned char pattern_byte(size_t i)
{
	return (unsigned char)(i * 7 + 0x5a);
}

/* {"ok":bool,"errno":N,"error":"text"|null}, the outcome of one mmap(). */
static struct json_object *outcome(bool ok, int error)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "errno", json_object_new_int(ok ? 0 : error));
	json_object_object_add(o, "error", ok ? NULL : json_object_new_string(strerror(error)));
	return o;
}

/* Written zeroes, not a hole or unwritten extents: the blocks must exist. */
static int write_zeroes(int fd)
{
	static const char zeroes[64 * 1024];
	off_t off = 0;
	ssize_t n;

	while (off < MAPSYNC_SIZE) {
		n = pwrite(fd, zeroes, sizeof(zeroes), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
	}
	return fsync(fd);
}

/* Store the pattern through @map and check it arrived in the file. */
static bool store_and_verify(int fd, unsigned char *map)
{
	unsigned char back[MAPSYNC_PAGE];
	size_t i;

	for (i = 0; i < MAPSYNC_PAGE; i++)
		map[i] = pattern_byte(i);
	if (pread(fd, back, sizeof(back), 0) != (ssize_t)sizeof(back))
		return false;
	for (i = 0; i < MAPSYNC_PAGE; i++)
		if (back[i] != pattern_byte(i))
			return false;
	return true;
}

/*
 * Map the file with @flags; @key says whether the kernel allowed it, and
 * @key_readback whether a store through the map read back.
 */
static void try_map(int fd, struct json_object *result, int flags, const char *key,
		    const char *key_readback)
{
	void *map;

	map = mmap(NULL, MAPSYNC_SIZE, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (map == MAP_FAILED) {
		json_object_object_add(result, key, outcome(false, errno));
		return;
	}
	json_object_object_add(result, key, outcome(true, 0));
	json_object_object_add(result, key_readback,
			       json_object_new_boolean(store_and_verify(fd, map)));
	munmap(map, MAPSYNC_SIZE);
}

static void check_file_dax(int fd, struct json_object *result)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx)) {
		json_object_object_add(result, "file_dax", json_object_new_boolean(false));
		json_object_object_add(result, "file_dax_error",
				       json_object_new_string(strerror(errno)));
		return;
	}
	json_object_object_add(result, "file_dax",
			       json_object_new_boolean(stx.stx_attributes & STATX_ATTR_DAX));
	/* Without this the false above means "unknown", not "no DAX". */
	json_object_object_add(result, "file_dax_reported",
			       json_object_new_boolean(stx.stx_attributes_mask & STATX_ATTR_DAX));
}

static int mapsync_run(const char *dir, struct json_object *args,
		       struct json_object *result, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	(void)args;
	if (snprintf(path, sizeof(path), "%s/" MAPSYNC_FILE, dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "directory name too long");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "create %s: %s", path, strerror(errno));
		return -1;
	}
	if (ftruncate(fd, MAPSYNC_SIZE) || write_zeroes(fd)) {
		snprintf(err, errlen, "fill %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	json_object_object_add(result, "file", json_object_new_string(path));
	json_object_object_add(result, "size", json_object_new_int(MAPSYNC_SIZE));

	try_map(fd, result, MAP_SHARED_VALIDATE | MAP_SYNC, "map_sync", "map_sync_readback");
	try_map(fd, result, MAP_SHARED, "map_shared", "map_shared_readback");
	check_file_dax(fd, result);

	close(fd);
	unlink(path);
	return 0;
}

PMT_WORKLOAD_INFO(mapsync, "MAP_SYNC must be granted or refused per the device; MAP_SHARED always works");
