// SPDX-License-Identifier: MIT
/*
 * append_fsync: append 4 KiB-64 KiB chunks to one file, fsync after each.
 *
 * Once fsync returns, the appended bytes and the new size are durable: a
 * crash may lose what was written after it, never what came before.  Each
 * op promises the whole file (size and hash), and also its prefix: the
 * file promise lapses when the next append starts, the prefix one does
 * not, so a power cut in the middle of an append still has a promise to
 * check.  Chunk lengths are not block multiples, so the tail block is
 * rewritten by the next append too.
 * Events and result: promise.h.
 */

#include "promise.h"
#include "workload.h"

#define APPEND_FILE		"append.dat"
#define APPEND_MIN		4096
#define APPEND_MAX		(64 * 1024)
#define APPEND_MAX_OPS		64	/* keeps the file within 4 MiB */

static int append_fsync_run(const char *dir, struct json_object *args,
			    struct json_object *result, char *err, size_t errlen)
{
	struct pmt_crash_file f;
	struct pmt_crash c;
	size_t off, len;

	if (pmt_crash_begin(&c, dir, args, APPEND_MAX_OPS, err, errlen) ||
	    pmt_crash_file_create(&c, &f, APPEND_FILE, (size_t)c.ops * APPEND_MAX))
		return -1;

	/* Op 0: the empty file, durable under its name. */
	if (pmt_crash_file_change(&c, &f) || pmt_crash_file_commit(&c, &f, false, true))
		goto out;
	pmt_crash_promise_prefix(&c, APPEND_FILE, f.data, 0);

	for (c.op = 1; c.op <= c.ops; c.op++) {
		off = f.size;
		len = (size_t)pmt_crash_rand(&c, APPEND_MIN, APPEND_MAX);
		pmt_crash_fill(&c, f.data + off, len);
		f.size += len;
		if (pmt_crash_file_write(&c, &f, off, len) ||
		    pmt_crash_file_commit(&c, &f, false, false))
			goto out;
		pmt_crash_promise_prefix(&c, APPEND_FILE, f.data, f.size);
		c.ops_done = c.op;
	}
out:
	return pmt_crash_file_end(&c, &f, result);
}

PMT_WORKLOAD_INFO(append_fsync, "append 4-64 KiB chunks, fsync each; promise size and hash");
