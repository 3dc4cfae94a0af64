// SPDX-License-Identifier: MIT
/*
 * The check stage of a failing or slow host flush (the flusheio injector,
 * injectors/flusheio.c).  First the expectations table judges what every
 * guest call saw (results/expected/errors.tsv, MODE the variant).  Then,
 * after a failure, whether what each later fsync's 0 promised is durable:
 * the guest's power is cut (SIGKILL of QEMU: nothing more reaches the
 * backing file), and each promise is checked in a checker guest in the
 * image as of the host flush count stamped on it (the guest waited for the
 * ack, so no later call of the guest's is in it: a power cut right after
 * that fsync), and the last one also in the durable image at the cut (the
 * shim's DIR/durable.img: a failed flush records nothing, and every page
 * written since the last flush it recorded is lost).  The promise of the
 * fsync made before the failure is checked in each of those states too;
 * with no 0 after the failure (xfs shut down) it is the only one, checked
 * at the cut.  A checker mounts the state (log recovery), verifies the
 * promises and runs fsck -n (crashcheck.h).  Lost data is FAIL, and the
 * reason says which half let the 0 through; details.after_cut says
 * {"state_checked","promise","held","observed","points"}.
 * details.flush_error_evidence names the host flushes that ran during
 * each guest fsync and the kind of finding (flusheio_evidence.h).
 * The slow variant's reason gains the maximum fsync latency.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_states.h"
#include "crashcheck.h"
#include "durable.h"
#include "flusheio_check.h"
#include "flusheio_evidence.h"
#include "image.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "proc.h"
#include "util.h"

#define MAX_STATES	16

/* @ev without the event's fields: the promise.h object verify takes. */
static struct json_object *bare_promise(struct json_object *ev)
{
	static const char *const keys[] = { "op", "kind", "path", "size", "hash", NULL };
	struct json_object *p = json_object_new_object(), *v;

	for (int i = 0; keys[i]; i++)
		if (json_object_object_get_ex(ev, keys[i], &v))
			json_object_object_add(p, keys[i], json_object_get(v));
	return p;
}

/*
 * Which half let a 0 through for data that was not durable (lose
 * variants; "" otherwise).  A virtio-pmem flush that QEMU answers 0 means
 * "everything written before is durable".  If a host fsync returned 0
 * between the failed one and the promise's flush count, QEMU answered
 * that flush 0 although the failed fsync had lost pages that no later
 * fsync writes (a Linux host reports a write-back error once): QEMU's
 * one-bit ret is at fault.  If none did, the guest returned 0 without a
 * flush the device acknowledged: the guest is at fault.
 */
static void fault_half(struct pmt_case *c, const char *dir, long long at, char *buf, size_t len)
{
	struct json_object *p = json_object_object_get(
		json_object_object_get(c->details, "fail_step"), "probes");
	char path[PATH_MAX + 16], *text, *line, *next;
	long long failed = 0, ok_after = 0, lost = 0;
	bool told = false;

	buf[0] = '\0';
	if (!strcmp(c->variant, "fail"))
		return;
	for (size_t i = 0; i < json_object_array_length(p); i++)
		told |= pmt_json_int64(json_object_array_get_idx(p, i), "errno", 0) == EIO;
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	text = pmt_read_file(path, 64 << 20, NULL);
	for (line = text; line && *line; line = next) {
		struct json_object *o;
		long long seq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		o = json_tokener_parse(line);
		seq = pmt_json_int64(o, "seq", 0);
		if (!failed && !strcmp(pmt_json_str(o, "action"), "failed")) {
			failed = seq;
			lost = pmt_json_int64(o, "lost", 0);
		} else if (failed && !ok_after && pmt_json_int64(o, "result", -1) == 0 &&
			   (at < 0 || seq <= at)) {
			ok_after = seq;
		}
		json_object_put(o);
	}
	free(text);
	if (ok_after)
		snprintf(buf, len, "; at fault: QEMU's one-bit ret: host flush %lld failed and lost "
			 "%lld pages (marked clean, never written), then host flush %lld returned 0 "
			 "and QEMU answered the guest's flush 0, which says everything before it is "
			 "durable%s", failed, lost, ok_after,
			 told ? "; and the guest, which returned 0 for data its own fsync had "
				"failed with EIO" : "; the guest never saw EIO");
	else
		snprintf(buf, len, "; at fault: the guest: its fsync returned 0 with no host flush "
			 "answered 0 since host flush %lld failed (the guest %s EIO)", failed,
			 told ? "had seen" : "never saw");
}

/* One crash state to check: the image at a flush count, or the durable image. */
struct cut_state {
	const char *from;		/* the probe whose promise it is about */
	long long at;			/* host flushes in it; -1: the durable image at the cut */
	struct json_object *proms;	/* promise events to verify (owned) */
};

/* The states, the shim's images and what the checker found. */
struct cut_walk {
	const char *dir, *durable, *img;
	struct pmt_epoch *ep;
	size_t nep;
	struct cut_state st[MAX_STATES];
	size_t nst;
	struct json_object *points;
	bool held;
	long long first_bad_at;
	char first_bad[1200];
};

/* Write state @s into the checker's image.  0 or -1 (errno). */
static int build_state(const struct cut_walk *w, const struct cut_state *s)
{
	return s->at >= 0 ? pmt_image_at_flush(w->dir, w->ep, w->nep, (uint64_t)s->at, w->img)
			  : pmt_image_copy(w->durable, w->img);
}

/* Check @proms (events) against the state now in the checker's device:
 * 0 held, 1 not, -1 BROK. */
static int check_one(struct pmt_case *c, const char *dev, struct json_object *proms,
		     char *observed, size_t len)
{
	struct json_object *promises = json_object_new_array(), *problems = json_object_new_array();
	size_t used = 0;
	int rc;

	for (size_t i = 0; i < json_object_array_length(proms); i++)
		json_object_array_add(promises, bare_promise(json_object_array_get_idx(proms, i)));
	rc = pmt_crash_check_state(c, dev, promises, problems, NULL);
	observed[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(problems) && used + 1 < len; i++)
		used += (size_t)snprintf(observed + used, len - used, "%s%s", i ? "; " : "",
					 json_object_get_string(json_object_array_get_idx(problems, i)));
	if (rc == 0)
		snprintf(observed, len, "the promised size and hash, fsck clean");
	json_object_put(promises);
	json_object_put(problems);
	return rc;
}

/* In the checker guest: every state in turn (the first is in its image already). */
static int check_states(struct pmt_case *c, const char *dev, void *ctx)
{
	struct cut_walk *w = ctx;
	char observed[1024];

	pmt_case_phase(c, "after-cut");
	for (size_t i = 0; i < w->nst; i++) {
		struct cut_state *s = &w->st[i];
		struct json_object *pt;
		int rc;

		if (i > 0 && build_state(w, s)) {
			pmt_case_verdict(c, PMT_BROK, "after-cut: building the crash state: %s",
					 strerror(errno));
			return -1;
		}
		rc = check_one(c, dev, s->proms, observed, sizeof(observed));
		if (rc < 0)
			return -1;
		pt = json_object_new_object();
		json_object_object_add(pt, "from", json_object_new_string(s->from));
		json_object_object_add(pt, "state", json_object_new_string(
			s->at >= 0 ? "at its flush" : "durable image at the cut"));
		if (s->at >= 0)
			json_object_object_add(pt, "flushed", json_object_new_int64(s->at));
		json_object_object_add(pt, "promises", json_object_new_int(
			(int)json_object_array_length(s->proms)));
		json_object_object_add(pt, "held", json_object_new_boolean(rc == 0));
		json_object_object_add(pt, "observed", json_object_new_string(observed));
		json_object_array_add(w->points, pt);
		if (rc && w->held) {
			w->held = false;
			w->first_bad_at = s->at;
			snprintf(w->first_bad, sizeof(w->first_bad), "%s's promise, %s: %s", s->from,
				 s->at >= 0 ? "at its flush" : "at the cut", observed);
		}
	}
	return 0;
}

/*
 * The states to check: each promise after the failure at its own flush,
 * then the last again in the durable image at the cut (unless a later
 * write dropped it); each with the promise made before the failure.
 * With no promise after the failure, the one before, at the cut.
 * 0, or -1 after a BROK.
 */
static int plan_states(struct pmt_case *c, struct cut_walk *w, struct json_object *events,
		       struct json_object *before, struct json_object *first)
{
	struct json_object *promise = json_object_object_get(
		json_object_object_get(c->details, "recover_step"), "promise");
	size_t nev = json_object_array_length(events);

	for (size_t i = 0; i <= nev && w->nst < MAX_STATES; i++) {
		struct cut_state *s = &w->st[w->nst];
		struct json_object *ev;

		if (i == nev && nev && !json_object_is_type(promise, json_type_object))
			break;	/* the last promise was dropped by a later write */
		ev = nev ? json_object_array_get_idx(events, i < nev ? i : nev - 1) : NULL;
		s->from = ev ? pmt_json_str(ev, "from") : pmt_json_str(first, "from");
		s->at = i < nev ? pmt_json_int64(ev, "flushed", -1) : -1;
		s->proms = json_object_new_array();
		for (size_t k = 0; k < json_object_array_length(before); k++)
			json_object_array_add(s->proms,
					      json_object_get(json_object_array_get_idx(before, k)));
		if (ev)
			json_object_array_add(s->proms, json_object_get(ev));
		w->nst++;
		if (i < nev && s->at < 0) {
			pmt_case_verdict(c, PMT_BROK, "cut: no host flush count for %s's promise",
					 s->from);
			return -1;
		}
	}
	return 0;
}

/* The outcome into details.after_cut and the reason. */
static void cut_verdict(struct pmt_case *c, struct json_object *ac, const struct cut_walk *w,
			size_t nev, struct json_object *first)
{
	char old[sizeof(c->reason)], blame[512];

	json_object_object_add(ac, "state_checked", json_object_new_boolean(true));
	json_object_object_add(ac, "held", json_object_new_boolean(w->held));
	json_object_object_add(ac, "observed", json_object_new_string(
		w->held ? "every promise: the promised size and hash, fsck clean" : w->first_bad));
	snprintf(old, sizeof(old), "%s", c->reason);
	if (w->held && nev) {
		snprintf(c->reason, sizeof(c->reason), "%s; data held after a power cut (%zu "
			 "promises from %s on, each at its flush and the last at the cut)", old, nev,
			 pmt_json_str(first, "from"));
	} else if (w->held) {
		snprintf(c->reason, sizeof(c->reason), "%s; no fsync returned 0 after the failure; "
			 "data held after a power cut (%s's promise, at the cut)", old,
			 pmt_json_str(first, "from"));
	} else {
		bool was_fail = c->verdict == PMT_FAIL;

		fault_half(c, w->dir, w->first_bad_at, blame, sizeof(blame));
		pmt_case_verdict(c, PMT_FAIL, "fsync returned 0 but the data was lost after a power "
				 "cut: %s%s", w->first_bad, blame);
		if (was_fail)
			snprintf(c->reason, sizeof(c->reason), "fsync returned 0 but the data was lost "
				 "after a power cut: %s%s; %s", w->first_bad, blame, old);
	}
}

/*
 * The power cut after the failure and the check of what each 0 promised
 * (the file comment).  @events: the promises after the failure, @before:
 * the one before it, each stamped with its flush count.
 */
static void cut_and_check(struct pmt_case *c, const char *dir, struct json_object *events,
			  struct json_object *before)
{
	struct json_object *step = json_object_object_get(c->details, "recover_step");
	struct json_object *ac = json_object_new_object(), *first;
	struct cut_walk w = { .dir = dir, .held = true, .first_bad_at = -1 };
	size_t nev = json_object_array_length(events);
	char durable[PATH_MAX], img[PATH_MAX], scratch[PATH_MAX], old[sizeof(c->reason)];
	const char *none = pmt_json_str(step, "promise_none");
	uint64_t *pages = NULL;
	size_t n = 0;

	json_object_object_add(c->details, "after_cut", ac);
	json_object_object_add(ac, "state_checked", json_object_new_boolean(false));
	if (!nev)
		json_object_object_add(ac, "no_promise_after_failure", json_object_new_string(
			none[0] ? none : "flushprobe made no promise after the failure"));
	if (!nev && !json_object_array_length(before)) {
		json_object_object_add(ac, "skipped", json_object_new_string(
			"no promise before or after the failure: nothing to check after a cut"));
		snprintf(old, sizeof(old), "%s", c->reason);
		snprintf(c->reason, sizeof(c->reason), "%s; no power cut: no fsync returned 0", old);
		return;
	}
	/* "That fsync's promise": the first 0 after the failure, else the one before. */
	first = json_object_array_get_idx(nev ? events : before, 0);
	json_object_object_add(ac, "promise", bare_promise(first));
	json_object_object_add(ac, "promise_from",
			       json_object_new_string(pmt_json_str(first, "from")));
	w.points = json_object_new_array();
	json_object_object_add(ac, "points", w.points);
	if (plan_states(c, &w, events, before, first))
		goto out;

	pmt_case_phase(c, "cut");
	c->vm->backend->power_cut(c->vm);
	if (pmt_durable_recover(dir) < 0 || pmt_epochs_load(dir, &w.ep, &w.nep)) {
		pmt_case_verdict(c, PMT_BROK, "cut: reading the durable image and epochs in %s: %s",
				 dir, strerror(errno));
		goto out;
	}
	pmt_fmt(durable, sizeof(durable), "%s/%s", dir, PMT_DURABLE_IMG);
	pmt_fmt(img, sizeof(img), "%s/flusheio-checker.img", c->rundir);
	/* The journal as the cut left it, before any recovery. */
	pmt_fmt(scratch, sizeof(scratch), "%s/flusheio-logdump.txt", c->rundir);
	pmt_flusheio_journal(c, durable, scratch);
	w.durable = durable;
	w.img = img;
	/* What the cut itself loses: the pages no recorded flush carried. */
	if (!pmt_dirty_pages(durable, c->vm->cfg.disks[0].path, &pages, &n))
		json_object_object_add(ac, "pages_lost", json_object_new_int64((int64_t)n));
	free(pages);
	pmt_cleanup_register(img, 0);
	if (build_state(&w, &w.st[0]))
		pmt_case_verdict(c, PMT_BROK, "cut: building the crash state from %s: %s", dir,
				 strerror(errno));
	else if (pmt_check_in_guest(c, "checker", img, check_states, &w) == 0)
		cut_verdict(c, ac, &w, nev, first);
	unlink(img);
	pmt_cleanup_unregister(img);
out:
	pmt_epochs_free(w.ep, w.nep);
	for (size_t i = 0; i < w.nst; i++)
		json_object_put(w.st[i].proms);
}

static int flusheio_check(struct pmt_case *c, struct json_object *result)
{
	bool slow = !strcmp(c->variant, "slow");
	size_t used;

	if (pmt_case_judge_observed(c, NULL))
		return -1;
	if (!slow) {
		pmt_flusheio_evidence(c, pmt_json_str(result, "shim_dir"),
				      json_object_object_get(result, "stamps"));
		cut_and_check(c, pmt_json_str(result, "shim_dir"),
			      json_object_object_get(result, "events"),
			      json_object_object_get(result, "before"));
		pmt_flusheio_conclude(c);
	}
	/* The figure the slow variant exists for goes into the table's reason. */
	used = strlen(c->reason);
	if (c->verdict == PMT_PASS && slow)
		snprintf(c->reason + used, sizeof(c->reason) - used,
			 "; max fsync %.0f ms with %lld flushers",
			 pmt_json_double(c->details, "guest_fsync_max_ms"),
			 pmt_case_param_int(c, "threads", 16));
	return 0;
}

const struct pmt_check_stage pmt_check_stage_flusheio = {
	.name = "flusheio",
	.check = flusheio_check,
};
