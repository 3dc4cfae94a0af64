// SPDX-License-Identifier: MIT
/*
 * fill: write one file until the filesystem is full (ENOSPC) or the guest
 * dies, fsync every MiB.  The guest side of hostsigbus, where the pmem
 * backing file lives on a host filesystem smaller than the device: the
 * guest's filesystem never looks full, the host's runs out first.
 *
 * Events (promise.h), so that the host knows how far the guest got and
 * what it may expect to survive:
 *   {"event":"progress","op":K,"paths":["fill.dat"],"bytes":B}
 *       MiB K is about to be written; B bytes were durable before it.
 *   {"event":"promise","op":K,"kind":"prefix","path":"fill.dat","size":S,
 *    "hash":H,"bytes":S}
 *       sent once the fsync after MiB K returned 0: the first S bytes of
 *       fill.dat are durable.  The hash runs incrementally (hash.h streams),
 *       so promising a growing prefix costs O(size), not O(size^2).
 *
 * args:   {"seed":S,"max_mib":N}  (N bounds the file, default 4096)
 * result: {"bytes":B,"mib":K,"stopped":"enospc"|"max"|"error","errno":E,
 *          "call":"pwrite"|"fsync"}  (only when the guest lived to return)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "hash.h"
#include "promise.h"
#include "workload.h"

#define FILL_FILE	"fill.dat"
#define FILL_CHUNK	(1024 * 1024)

static void emit_progress(long long op, long long bytes)
{
	struct json_object *o = json_object_new_object(), *paths = json_object_new_array();

	json_object_array_add(paths, json_object_new_string(FILL_FILE));
	json_object_object_add(o, "op", json_object_new_int64(op));
	json_object_object_add(o, "paths", paths);
	json_object_object_add(o, "bytes", json_object_new_int64(bytes));
	pmt_workload_emit("progress", o);
	json_object_put(o);
}

static void emit_prefix(long long op, long long bytes, uint64_t hash)
{
	struct json_object *o = json_object_new_object();
	char hex[PMT_HASH_HEX_LEN];

	pmt_hash_hex(hash, hex);
	json_object_object_add(o, "op", json_object_new_int64(op));
	json_object_object_add(o, "kind", json_object_new_string("prefix"));
	json_object_object_add(o, "path", json_object_new_string(FILL_FILE));
	json_object_object_add(o, "size", json_object_new_int64(bytes));
	json_object_object_add(o, "hash", json_object_new_string(hex));
	json_object_object_add(o, "bytes", json_object_new_int64(bytes));
	pmt_workload_emit("promise", o);
	json_object_put(o);
}

static int fill_run(const char *dir, struct json_object *args,
		    struct json_object *result, char *err, size_t errlen)
{
	long long seed, max_mib, op = 0, bytes = 0;
	const char *stopped = "max", *call = "";
	uint64_t hash = PMT_HASH_INIT, rng;
	unsigned char *buf;
	char path[4096];
	int fd, e = 0;

	if (arg_int(args, "seed", 1, 0, (1LL << 62), &seed, err, errlen) ||
	    arg_int(args, "max_mib", 4096, 1, 1 << 20, &max_mib, err, errlen))
		return -1;
	buf = malloc(FILL_CHUNK);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, FILL_FILE);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "create %s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	/* Op 0: the empty file, durable under its name. */
	if (fsync(fd) == 0) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		emit_prefix(0, 0, hash);
	}
	rng = (uint64_t)seed;
	for (op = 1; op <= max_mib; op++) {
		size_t done;

		pmt_splitmix64_fill(&rng, buf, FILL_CHUNK);
		emit_progress(op, bytes);
		if (pmt_pwrite_count(fd, buf, FILL_CHUNK, (off_t)bytes, &done)) {
			e = errno;
			call = "pwrite";
			/* Bytes that got in before ENOSPC are still worth a sync. */
			hash = pmt_hash_update(hash, buf, done);
			bytes += (long long)done;
			if (done && fsync(fd) == 0)
				emit_prefix(op, bytes, hash);
			break;
		}
		hash = pmt_hash_update(hash, buf, FILL_CHUNK);
		bytes += FILL_CHUNK;
		if (fsync(fd)) {
			e = errno;
			call = "fsync";
			break;
		}
		emit_prefix(op, bytes, hash);
	}
	if (e)
		stopped = e == ENOSPC ? "enospc" : "error";
	close(fd);
	free(buf);
	json_object_object_add(result, "bytes", json_object_new_int64(bytes));
	json_object_object_add(result, "mib", json_object_new_int64(op > max_mib ? max_mib : op));
	json_object_object_add(result, "stopped", json_object_new_string(stopped));
	json_object_object_add(result, "errno", json_object_new_int(e));
	json_object_object_add(result, "call", json_object_new_string(call));
	return 0;
}

PMT_WORKLOAD_INFO(fill, "write one file until ENOSPC or death, fsync every MiB; prefix promises");
