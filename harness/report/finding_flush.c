// SPDX-License-Identifier: MIT
/*
 * The failed-host-flush section of finding.md (finding_flush.h): short
 * lines, a fixed-width table a mail client keeps as it is.
 */
#include <stdio.h>
#include <string.h>

#include "finding_flush.h"
#include "text.h"
#include "json_util.h"

#define WRAP	72

/* "#12:0 #13:-1", or "#8..#20: 13, 2 ok" when long, "none" when empty. */
static void flushes(struct json_object *fl, char *buf, size_t len)
{
	size_t n = json_object_array_length(fl), used = 0, ok = 0;

	buf[0] = '\0';
	if (!n) {
		snprintf(buf, len, "none");
		return;
	}
	for (size_t i = 0; i < n; i++)
		ok += pmt_json_int64(json_object_array_get_idx(fl, i), "ret", -1) == 0;
	if (n > 3) {
		snprintf(buf, len, "#%lld..#%lld: %zu, %zu ok",
			 pmt_json_int64(json_object_array_get_idx(fl, 0), "seq", -1),
			 pmt_json_int64(json_object_array_get_idx(fl, n - 1), "seq", -1), n, ok);
		return;
	}
	for (size_t i = 0; i < n && used < len; i++) {
		struct json_object *e = json_object_array_get_idx(fl, i);

		used += (size_t)snprintf(buf + used, len - used, "%s#%lld:%lld%s", i ? " " : "",
					 pmt_json_int64(e, "seq", -1), pmt_json_int64(e, "ret", -1),
					 !strcmp(pmt_json_str(e, "started"), "before the call") ? "<"
												   : "");
	}
}


/* The jbd2 log of the durable image at the cut, one line a transaction. */
static void json_log(FILE *f, struct json_object *j)
{
	if (!j)
		return;
	if (*pmt_json_str(j, "error")) {
		fprintf(f, "\nThe journal at the cut could not be read: %s\n", pmt_json_str(j, "error"));
		return;
	}
	fprintf(f, "\nThe journal as the cut left it (debugfs -c -R logdump on the\n"
		   "durable image, before any recovery):\n\n");
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		struct json_object *t = json_object_array_get_idx(j, i);

		if (*pmt_json_str(t, "end"))
			fprintf(f, "    %s\n", pmt_json_str(t, "end"));
		else if (pmt_json_int64(t, "commit_at", -1) >= 0)
			fprintf(f, "    transaction %lld: descriptor at block %lld, commit at %lld\n",
				pmt_json_int64(t, "seq", -1), pmt_json_int64(t, "descriptor_at", -1),
				pmt_json_int64(t, "commit_at", -1));
		else
			fprintf(f, "    transaction %lld: descriptor at block %lld, NO commit block\n",
				pmt_json_int64(t, "seq", -1), pmt_json_int64(t, "descriptor_at", -1));
	}
}

static const char *journal(struct json_object *fs)
{
	if (!fs)
		return "?";
	return pmt_json_bool(fs, "journal_aborted", false) ? "aborted" : "ok";
}

void pmt_finding_flush_evidence(FILE *f, struct json_object *c)
{
	struct json_object *ev = json_object_object_get(
		json_object_object_get(c, "details"), "flush_error_evidence");
	struct json_object *fs = json_object_object_get(ev, "fsyncs");
	struct json_object *failed = json_object_object_get(ev, "failed_host_flushes");
	struct json_object *concl = json_object_object_get(ev, "conclusion"), *after;
	const char *first_err = NULL, *first_err_after = NULL;
	long long first_code = 0;
	char buf[128], line[1024];
	size_t used;

	if (!ev)
		return;
	fprintf(f, "\n## Host flushes during each fsync that returned 0\n\n"
		   "Host flushes are the shim's fsync() of the backing file, as\n"
		   "flushes.jsonl numbers them (seq = line).  Right before and\n"
		   "right after each guest fsync the guest waited for the host's\n"
		   "ack, and the host read the shim's count of finished flushes:\n"
		   "the flushes between the two counts ran during that fsync, in\n"
		   "the host's order (the guest's clock plays no part; \"<\" marks\n"
		   "one that entered the shim before the call).\n\n");
	used = (size_t)snprintf(line, sizeof(line), "Failed host flushes:");
	for (size_t i = 0; i < json_object_array_length(failed) && used + 64 < sizeof(line); i++) {
		struct json_object *e = json_object_array_get_idx(failed, i);

		used += (size_t)snprintf(line + used, sizeof(line) - used,
					 "%s #%lld (errno %lld, %lld pages lost)", i ? "," : "",
					 pmt_json_int64(e, "seq", -1), pmt_json_int64(e, "errno", 0),
					 pmt_json_int64(e, "lost_pages", 0));
	}
	snprintf(line + used, sizeof(line) - used, "%s.",
		 json_object_array_length(failed) ? "" : " none");
	pmt_wrap(f, line, 0, "", WRAP);
	fprintf(f, "\n    %-20s %-7s %-3s %-6s %-18s %-7s %-3s %s\n", "fsync", "step", "ret", "fd",
		"host flush:ret", "journal", "fs", "err");
	for (size_t i = 0; i < json_object_array_length(fs); i++) {
		struct json_object *e = json_object_array_get_idx(fs, i);
		struct json_object *st = json_object_object_get(e, "fs_after");
		long long ret = pmt_json_int64(e, "returned", -1);
		char r[16];

		flushes(json_object_object_get(e, "host_flushes_during"), buf, sizeof(buf));
		if (ret == 0)
			snprintf(r, sizeof(r), "0");
		else
			snprintf(r, sizeof(r), "%s", ret == 5 ? "EIO" : ret == 30 ? "EROFS" : "err");
		if (!first_err && *pmt_json_str(st, "first_error_func")) {
			first_err = pmt_json_str(st, "first_error_func");
			first_code = pmt_json_int64(st, "first_error_errcode", 0);
			first_err_after = pmt_json_str(e, "probe");
		}
		fprintf(f, "    %-20s %-7s %-3s %-6s %-18s %-7s %-3s %lld\n", pmt_json_str(e, "probe"),
			pmt_json_str(e, "step"), r,
			!strncmp(pmt_json_str(e, "fd"), "opened before", 13) ? "before" : "after",
			buf, journal(st), pmt_json_bool(st, "ro", false) ? "ro" : "rw",
			pmt_json_int64(st, "errors_count", 0));
	}
	after = json_object_object_get(ev, "fs_after_failure");
	used = (size_t)snprintf(line, sizeof(line), "fd: opened before or after the failed "
				"flush (errseq reports a write-back error once to each fd open "
				"when it happened). journal: the guest's kernel log has \"Aborting "
				"journal\" or \"Detected aborted journal\" after that fsync; fs: "
				"the mount in /proc/mounts, rw or ro; err: ext4's errors_count "
				"(/sys/fs/ext4/DEV). After the failure: journal %s, mounted %s, "
				"errors_count %lld.", journal(after), pmt_json_str(after, "opts"),
				pmt_json_int64(after, "errors_count", 0));
	if (first_err)
		snprintf(line + used, sizeof(line) - used, " ext4's first recorded error "
			 "(first_error_func): %s, ext4 error code %lld%s, seen first after %s.",
			 first_err, first_code, first_code == 2 ? " (EXT4_ERR_EIO)" : "",
			 first_err_after);
	fputc('\n', f);
	pmt_wrap(f, line, 0, "", WRAP);
	json_log(f, json_object_object_get(ev, "journal_at_cut"));
	if (concl) {
		fprintf(f, "\nConclusion (%s):\n\n", pmt_json_str(concl, "kind"));
		pmt_wrap(f, pmt_json_str(concl, "text"), 0, "  ", WRAP);
	}
}
