// SPDX-License-Identifier: MIT
/*
 * The evidence of a flusheio finding (flusheio_evidence.h).  The host's
 * stamps bracket each guest fsync; the shim's flushes.jsonl says what each
 * host fsync of the backing file returned and lost.  The kinds of
 * conclusion rest on the shim's models (harness/shim/shim.c):
 * fail-eio records nothing for a failed flush and leaves its pages to the
 * next honest flush, which records every page that differs from the
 * durable image; fail-lose marks the pages it did not write as clean, as
 * a Linux host does after a write-back error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flush_window.h"
#include "flusheio_evidence.h"
#include "json_util.h"
#include "proc.h"
#include "util.h"

#define DEBUGFS_TIMEOUT_MS	60000

/* The probe record named @probe in details.@step.probes, or NULL. */
static struct json_object *probe_record(struct pmt_case *c, const char *step, const char *probe)
{
	struct json_object *p = json_object_object_get(
		json_object_object_get(c->details, step), "probes");

	for (size_t i = 0; i < json_object_array_length(p); i++)
		if (!strcmp(pmt_json_str(json_object_array_get_idx(p, i), "path"), probe))
			return json_object_array_get_idx(p, i);
	return NULL;
}

void pmt_flusheio_evidence(struct pmt_case *c, const char *dir, struct json_object *stamps)
{
	struct json_object *ev, *fsyncs, *no_ok = json_object_new_array(), *v;
	char path[PATH_MAX + 16], *log;
	int zero = 0;

	if (!json_object_array_length(stamps)) {
		json_object_put(no_ok);
		return;
	}
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	log = pmt_read_file(path, 64 << 20, NULL);
	fsyncs = pmt_flush_evidence(log, stamps);
	ev = json_object_new_object();
	json_object_object_add(ev, "failed_host_flushes", pmt_flush_failures(log));
	free(log);
	if (json_object_object_get_ex(json_object_object_get(c->details, "fail_step"), "fs_state", &v))
		json_object_object_add(ev, "fs_after_failure", json_object_get(v));
	for (size_t i = 0; i < json_object_array_length(fsyncs); i++) {
		struct json_object *f = json_object_array_get_idx(fsyncs, i), *r;
		const char *probe = pmt_json_str(f, "probe"), *step = "recover_step";

		if (!(r = probe_record(c, step, probe)))
			r = probe_record(c, step = "fail_step", probe);
		json_object_object_add(f, "step", json_object_new_string(
			!strcmp(step, "fail_step") ? "fail" : "recover"));
		if (r && json_object_object_get_ex(r, "fd", &v))
			json_object_object_add(f, "fd", json_object_get(v));
		if (r && json_object_object_get_ex(r, "fs_after", &v))
			json_object_object_add(f, "fs_after", json_object_get(v));
		if (pmt_json_int64(f, "returned", -1) != 0 || !strcmp(step, "fail_step"))
			continue;
		zero++;
		if (!pmt_json_bool(f, "host_flush_ok_during", false))
			json_object_array_add(no_ok, json_object_new_string(probe));
	}
	json_object_object_add(ev, "fsyncs", fsyncs);
	json_object_object_add(ev, "returned_0", json_object_new_int(zero));
	json_object_object_add(ev, "returned_0_without_ok_host_flush", no_ok);
	json_object_object_add(c->details, "flush_error_evidence", ev);
}

struct json_object *pmt_jbd2_logdump_parse(const char *text)
{
	struct json_object *out = json_object_new_array(), *t = NULL;
	char *copy = strdup(text ? text : ""), *line, *next;

	for (line = copy; line && *line; line = next) {
		long long seq, blk;
		int type;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "Found expected sequence %lld, type %d (%*[^)]) at block %lld",
			   &seq, &type, &blk) == 3) {
			if (type == 1 && (!t || pmt_json_int64(t, "seq", -1) != seq)) {
				t = json_object_new_object();
				json_object_object_add(t, "seq", json_object_new_int64(seq));
				json_object_object_add(t, "descriptor_at", json_object_new_int64(blk));
				json_object_object_add(t, "commit_at", json_object_new_int64(-1));
				json_object_array_add(out, t);
			} else if (type == 2 && t && pmt_json_int64(t, "seq", -1) == seq) {
				json_object_object_add(t, "commit_at", json_object_new_int64(blk));
			}
		} else if (strstr(line, "end of journal")) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "end", json_object_new_string(pmt_trim(line)));
			json_object_array_add(out, e);
			break;
		}
	}
	free(copy);
	return out;
}

void pmt_flusheio_journal(struct pmt_case *c, const char *img, const char *scratch)
{
	struct json_object *ev = json_object_object_get(c->details, "flush_error_evidence");
	char *argv[] = { "debugfs", "-c", "-R", "logdump", (char *)img, NULL };
	struct json_object *j;
	int status = 0;
	char *text;

	if (!ev || strcmp(c->fs, "ext4"))
		return;
	text = pmt_spawn_capture(argv, scratch, DEBUGFS_TIMEOUT_MS, &status);
	if (!text) {
		j = json_object_new_object();
		json_object_object_add(j, "error", json_object_new_string(
			errno == ETIMEDOUT ? "debugfs logdump timed out" : strerror(errno)));
		json_object_object_add(ev, "journal_at_cut", j);
		return;
	}
	j = pmt_jbd2_logdump_parse(text);
	free(text);
	json_object_object_add(ev, "journal_at_cut", j);
}

/* The evidence record of @probe, or NULL. */
static struct json_object *fsync_of(struct json_object *ev, const char *probe)
{
	struct json_object *f = json_object_object_get(ev, "fsyncs");

	for (size_t i = 0; i < json_object_array_length(f); i++)
		if (!strcmp(pmt_json_str(json_object_array_get_idx(f, i), "probe"), probe) &&
		    !strcmp(pmt_json_str(json_object_array_get_idx(f, i), "step"), "recover"))
			return json_object_array_get_idx(f, i);
	return NULL;
}

/* "; the journal at the cut: transaction 3 has no commit block (...)" or "". */
static void uncommitted(struct json_object *ev, char *buf, size_t len)
{
	struct json_object *j = json_object_object_get(ev, "journal_at_cut");

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		struct json_object *t = json_object_array_get_idx(j, i);

		if (json_object_object_get_ex(t, "seq", NULL) && pmt_json_int64(t, "commit_at", 0) < 0) {
			snprintf(buf, len, ". In the journal as the cut left it, transaction %lld "
				 "has its descriptor block at journal block %lld and no commit block, "
				 "so log recovery drops it", pmt_json_int64(t, "seq", -1),
				 pmt_json_int64(t, "descriptor_at", -1));
			return;
		}
	}
}

/* "#12 ret 0 (25 pages), #13 ret -1 (0 pages)" of @fl into @buf. */
static void seq_list(struct json_object *fl, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(fl) && used + 40 < len; i++) {
		struct json_object *e = json_object_array_get_idx(fl, i);

		used += (size_t)snprintf(buf + used, len - used, "%s#%lld ret %lld (%lld pages)",
					 i ? ", " : "", pmt_json_int64(e, "seq", -1),
					 pmt_json_int64(e, "ret", -1), pmt_json_int64(e, "pages", 0));
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

void pmt_flusheio_conclude(struct pmt_case *c)
{
	struct json_object *ev = json_object_object_get(c->details, "flush_error_evidence");
	struct json_object *ac = json_object_object_get(c->details, "after_cut"), *pts, *bad = NULL;
	struct json_object *concl, *f, *failed;
	long long lost = 0;
	const char *kind;
	char text[1536], seqs[256], jtext[256];

	if (!ev)
		return;
	failed = json_object_object_get(ev, "failed_host_flushes");
	for (size_t i = 0; i < json_object_array_length(failed); i++)
		lost += pmt_json_int64(json_object_array_get_idx(failed, i), "lost_pages", 0);
	pts = json_object_object_get(ac, "points");
	for (size_t i = 0; i < json_object_array_length(pts) && !bad; i++)
		if (!pmt_json_bool(json_object_array_get_idx(pts, i), "held", true))
			bad = json_object_array_get_idx(pts, i);
	if (!pmt_json_int64(ev, "returned_0", 0)) {
		kind = "none";
		snprintf(text, sizeof(text), "no fsync returned 0 after the failed host flush");
	} else if (!pmt_json_bool(ac, "state_checked", false)) {
		return;		/* no cut checked: nothing to conclude */
	} else if (!bad) {
		kind = "error report only";
		snprintf(text, sizeof(text), "fsync returned 0 after a failed host flush (%lld "
			 "failed, %lld pages lost by the host model), and every promise held "
			 "after a power cut: the return codes are wrong, the data is not lost",
			 (long long)json_object_array_length(failed), lost);
	} else {
		f = fsync_of(ev, pmt_json_str(bad, "from"));
		seq_list(json_object_object_get(f, "host_flushes_during"), seqs, sizeof(seqs));
		if (lost > 0) {
			kind = "host model";
			snprintf(text, sizeof(text), "%s returned 0 (host flushes during it: %s) "
				 "and its data was lost, after the host's failed flush lost %lld "
				 "pages (marked clean, never written, as a Linux host does after a "
				 "write-back error): the loss comes from the modelled host error, "
				 "which QEMU's later 0s hide from the guest",
				 pmt_json_str(bad, "from"), seqs, lost);
		} else {
			kind = "durability lie";
			bool ok = pmt_json_bool(f, "host_flush_ok_during", false);

			uncommitted(ev, jtext, sizeof(jtext));

			snprintf(text, sizeof(text), "%s returned 0, and its data was not in the "
				 "crash state (%s). Host flushes during that fsync: %s. The failed "
				 "host flushes lost no page (fail-eio: the next honest flush records "
				 "every page that differs from the durable image), so %s: the guest "
				 "returned 0 for data it had not written to the device%s. A durability "
				 "lie of the guest kernel, not of the host model",
				 pmt_json_str(bad, "from"), pmt_json_str(bad, "state"), seqs,
				 ok ? "the one that returned 0 made durable everything the guest had "
				      "written to the device before it"
				    : "no host flush returned 0 while the guest waited", jtext);
		}
	}
	concl = json_object_new_object();
	json_object_object_add(concl, "kind", json_object_new_string(kind));
	json_object_object_add(concl, "text", json_object_new_string(text));
	json_object_object_add(ev, "conclusion", concl);
}
