// SPDX-License-Identifier: MIT
/*
 * flusheio: the host's fsync() of the virtio-pmem backing file fails, or
 * is slow.
 *
 * QEMU 7.2 answers a guest flush request with the result of fsync() on the
 * backing file (hw/virtio/virtio-pmem.c, worker_cb: ret 1 on failure).  The
 * guest's virtio_pmem_flush() returns that non-zero answer, and
 * async_pmem_flush() turns it into -EIO for the flush bio, so a guest
 * fsync() whose journal/log commit needs the flush must fail with EIO.
 * The LD_PRELOAD shim of the power-cut injector (injectors/powercut) sits
 * on that fsync(): DIR/mode switches it between honest and fail-eio at run
 * time, and PMT_SHIM_DELAY_MS makes every flush slow.
 *
 * Variants:
 *   fail  mkfs and mount flush honestly; then every flush fails while the
 *         guest writes and fsyncs a file (flushprobe "fail"); then the host
 *         recovers and the guest asks again (flushprobe "recover"): a later
 *         fsync, a second fd opened before the failure (the file's errseq),
 *         a fresh fd, the data written before the failure, a new write.
 *         The shim's flushes.jsonl must show failed flushes, else BROK.
 *         Then the finding is proved or not: when a fsync returned 0 after
 *         the failure, flushprobe reports the promise it makes (the file's
 *         size and hash, promise.h); the guest's power is cut, the crash
 *         state is the shim's DIR/durable.img alone (the backing file as
 *         of the last host flush it recorded; a failed flush records
 *         nothing, and every page written since is lost), and a checker
 *         guest mounts it (log recovery), verifies the promise and runs
 *         fsck -n.  details.after_cut says {"state_checked","promise",
 *         "held","observed"}, and the reason says whether the data held.
 *         Lost data is FAIL, a check that could not be done BROK; with no
 *         promise (xfs: every fsync failed) the cut is skipped, saying so.
 *   slow  every host flush sleeps PMT_SHIM_DELAY_MS (default 100 ms) while
 *         16 guest threads fsync their own files: the asynchronous flush
 *         path with many requests in flight.  Every fsync must succeed and
 *         the workload must end within the command timeout; the maximum
 *         fsync latency is reported.  No flush slower than the delay in
 *         flushes.jsonl means the fault did not fire: BROK.
 *
 *   lose  as fail, but the host behaves as Linux does after a write-back
 *         error (shim fail-lose): the one failed fsync loses the pages it
 *         did not write (they never become durable unless written again,
 *         even after a later fsync returns 0), and the host's next fsync
 *         returns 0 (errseq reports an error once).  The host keeps the
 *         pages in its page cache.  A fsync that returned 0 for data the
 *         power cut then lost is FAIL, and the reason says which half is
 *         at fault: the guest, when it had seen EIO for that data and
 *         still returned 0 later; QEMU's one-bit ret, when the guest never
 *         saw the failure.
 *   lose-drop  lose, and the host dropped the lost pages from its page
 *         cache: the guest's DAX view goes back to the old content.
 *
 * Observations are judged against results/expected/errors.tsv (MODE is the
 * variant).  The injector's parameters (injectors/flusheio.c): delay_ms,
 * threads, rounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "agent_proto.h"
#include "expect.h"
#include "guest_setup.h"
#include "json_util.h"
#include "image.h"
#include "proc.h"
#include "runner.h"
#include "util.h"
#include "crashcheck.h"
#include "flusheio.h"
#include "injector.h"

#define KLOG_KEEP		24

/* The injector's table gives every parameter its default (injectors/flusheio.c). */
#define param_int(c, name) ((int)pmt_case_param_int((c), (name), 0))
#define flush_stats(dir, from, st) pmt_flusheio_stats(c, (from), (st))

/* The promises of the recover step, stamped as they arrive. */
struct promise_watch {
	struct pmt_agent *agent;
	const char *dir;
	struct json_object *events;
	int ack_errors;
};

static int on_promise(void *ctx, const struct pmt_msg *m)
{
	struct promise_watch *w = ctx;
	uint64_t seq = 0;

	if (strcmp(m->event, "promise"))
		return 0;
	/* The guest's fsync returned, and it waits: this count covers its flushes. */
	json_object_object_add(m->root, "flushed", json_object_new_int64(
		pmt_flush_counter_read(w->dir, &seq) ? -1 : (int64_t)seq));
	json_object_array_add(w->events, json_object_get(m->root));
	if (!json_object_get_boolean(json_object_object_get(m->root, "ack")))
		return 0;
	if (pmt_agent_send_ack(w->agent, (long long)seq))
		w->ack_errors++;
	return 0;
}

/*
 * Run flushprobe step @step.  0 with *res; -1 after a BROK; 1 when the
 * guest did not answer within the command timeout but QEMU is alive (a
 * hang: an observation, not a framework failure).  With @w, promise
 * events are stamped into w->events and acked.
 */
static int run_probe(struct pmt_case *c, const char *step, int threads, int rounds,
		     struct promise_watch *w, struct json_object **res)
{
	struct json_object *args = json_object_new_object(), *wargs = json_object_new_object();
	int64_t deadline = pmt_now_ms() + (int64_t)c->opt->cmd_timeout_s * 1000;
	enum pmt_agent_status st;
	char err[512];

	json_object_object_add(wargs, "step", json_object_new_string(step));
	json_object_object_add(wargs, "files", json_object_new_int(threads));
	json_object_object_add(wargs, "threads", json_object_new_int(threads));
	json_object_object_add(wargs, "rounds", json_object_new_int(rounds));
	if (w)
		json_object_object_add(wargs, "ack", json_object_new_boolean(true));
	json_object_object_add(args, "workload", json_object_new_string("flushprobe"));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	if (w) {
		w->agent = &c->vm->agent;
		c->vm->agent.on_event = on_promise;
		c->vm->agent.event_ctx = w;
	}
	st = pmt_agent_call(&c->vm->agent, "run", args, res, deadline, err, sizeof(err));
	c->vm->agent.on_event = NULL;
	json_object_put(args);
	if (st == PMT_AGENT_OK)
		return 0;
	if (st == PMT_AGENT_GUEST_ERROR) {
		pmt_case_verdict(c, PMT_BROK, "%s: flushprobe %s could not run: %s", c->phase, step, err);
		return -1;
	}
	if (!c->vm->backend->wait_exit(c->vm, pmt_now_ms())) {
		/* Alive but silent: the guest is stuck in the flush. */
		json_object_object_add(c->details, "hang", json_object_new_string(err));
		c->vm->backend->power_cut(c->vm);
		return 1;
	}
	pmt_vm_describe_exit(c->vm, err, sizeof(err));
	pmt_case_verdict(c, PMT_BROK, "%s: flushprobe %s: %s", c->phase, step, err);
	return -1;
}

/* Keep the kernel lines that say what the failed flush did to the fs. */
static void keep_kernel_log(struct pmt_case *c)
{
	static const char *const keys[] = {
		"I/O error", "EXT4-fs", "JBD2", "XFS", "pmem", "virtio", "Buffer I/O", NULL,
	};
	struct json_object *res = NULL, *lines = json_object_new_array();
	char err[256], *text, *line, *next;

	if (!c->vm->agent_up || c->vm->exited ||
	    pmt_case_agent(c, "dmesg", NULL, &res, err, sizeof(err))) {
		json_object_put(lines);
		json_object_put(res);
		return;
	}
	text = strdup(pmt_json_str(res, "text"));
	json_object_put(res);
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (int i = 0; keys[i]; i++) {
			if (strstr(line, keys[i]) && !strstr(line, "ommand line") &&
			    json_object_array_length(lines) < KLOG_KEEP) {
				json_object_array_add(lines, json_object_new_string(line));
				break;
			}
		}
	}
	free(text);
	json_object_object_add(c->details, "kernel_log", lines);
}

static void add_probes(struct json_object *probes, struct json_object *res)
{
	struct json_object *p;

	if (json_object_object_get_ex(res, "probes", &p))
		for (size_t i = 0; i < json_object_array_length(p); i++)
			json_object_array_add(probes, json_object_get(json_object_array_get_idx(p, i)));
}

static int run_fail(struct pmt_case *c, const char *dir, struct json_object *probes,
		    struct json_object *events, struct json_object *before_events)
{
	struct promise_watch w = { .dir = dir, .events = events };
	struct promise_watch wb = { .dir = dir, .events = before_events };
	struct json_object *res = NULL;
	struct pmt_flush_stats st;
	int before, rc;

	/* A promise made while the host is fine, for the check after the cut. */
	pmt_case_phase(c, "before");
	rc = run_probe(c, "before", 1, 1, &wb, &res);
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "before: the guest's fsync did not return within "
					 "%d s with the host flushing honestly", c->opt->cmd_timeout_s);
		return -1;
	}
	json_object_object_add(c->details, "before_step", res);
	res = NULL;

	flush_stats(dir, 0, &st);
	before = st.lines;
	pmt_case_phase(c, "inject");
	if (pmt_flusheio_fail(c, true)) {
		pmt_case_verdict(c, PMT_BROK, "inject: cannot switch the shim to fail-eio: %s",
				 strerror(errno));
		return -1;
	}
	rc = run_probe(c, "fail", 1, 1, NULL, &res);
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_FAIL, "inject: the guest's fsync did not return within %d s "
					 "of a failing host flush", c->opt->cmd_timeout_s);
		return -1;
	}
	json_object_object_add(c->details, "fail_step", json_object_get(res));
	add_probes(probes, res);
	json_object_put(res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes_failed", json_object_new_int(st.failed));
	if (strcmp(c->variant, "fail"))
		json_object_object_add(c->details, "host_pages_lost", json_object_new_int64(st.lost));
	if (st.failed) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "host_flushes_failed", json_object_new_int(st.failed));
		if (strcmp(c->variant, "fail"))
			json_object_object_add(f, "host_pages_lost", json_object_new_int64(st.lost));
		pmt_fault_fired(c, f);
	} else {
		pmt_case_verdict(c, PMT_BROK, "inject: fault did not fire: the shim failed no flush "
				 "(%d flushes seen)", st.lines - before);
		return -1;
	}

	pmt_case_phase(c, "recover");
	if (pmt_flusheio_fail(c, false)) {
		pmt_case_verdict(c, PMT_BROK, "recover: cannot switch the shim to honest: %s",
				 strerror(errno));
		return -1;
	}
	before = st.lines;
	res = NULL;
	rc = run_probe(c, "recover", 1, 1, &w, &res);
	if (w.ack_errors)
		json_object_object_add(c->details, "ack_errors", json_object_new_int(w.ack_errors));
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_FAIL, "recover: the guest did not answer within %d s "
					 "after the host recovered", c->opt->cmd_timeout_s);
		return -1;
	}
	json_object_object_add(c->details, "recover_step", json_object_get(res));
	add_probes(probes, res);
	json_object_put(res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes_after_recovery",
			       json_object_new_int(st.lines - before));
	return 0;
}

/* @promise without the event's fields: the promise.h object verify takes. */
static struct json_object *bare_promise(struct json_object *ev)
{
	static const char *const keys[] = { "op", "kind", "path", "size", "hash", NULL };
	struct json_object *p = json_object_new_object(), *v;

	for (int i = 0; keys[i]; i++)
		if (json_object_object_get_ex(ev, keys[i], &v))
			json_object_object_add(p, keys[i], json_object_get(v));
	return p;
}

/* Check @promises (events) against the state now in the checker's device:
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

/*
 * The power cut after the fsyncs that returned 0 following the failed host
 * flush, and the check of what each 0 promised.  Each promise is checked
 * in the image as of the host flush count stamped on it (the guest waited
 * for the ack, so no later call of the guest's is in it: a power cut right
 * after that fsync), and the last one also in the durable image at the cut.
 * The promise of the fsync before the failure (@before) is checked in each
 * of those states too; with no 0 after the failure (xfs) it is the only
 * one, checked at the cut.  Fills details.after_cut and adds the outcome to
 * the verdict.  Called after the judge.
 */
static void cut_and_check(struct pmt_case *c, const char *dir, struct json_object *events,
			  struct json_object *before)
{
	struct json_object *step = json_object_object_get(c->details, "recover_step");
	struct json_object *promise = json_object_object_get(step, "promise");
	struct json_object *ac = json_object_new_object(), *points = json_object_new_array(), *first;
	struct pmt_vm checker, *main_vm = c->vm;
	struct pmt_epoch *ep = NULL;
	size_t nep = 0, nev = json_object_array_length(events), nst = 0;
	struct cut_state st[16];
	char durable[PATH_MAX], img[PATH_MAX], dev[64];
	char observed[1024] = "", first_bad[1200] = "", old[sizeof(c->reason)];
	long long first_bad_at = -1;
	const char *none = pmt_json_str(step, "promise_none");
	bool held = true;
	int rc = 0;

	json_object_object_add(c->details, "after_cut", ac);
	json_object_object_add(ac, "state_checked", json_object_new_boolean(false));
	if (!nev)
		json_object_object_add(ac, "no_promise_after_failure", json_object_new_string(
			none[0] ? none : "flushprobe made no promise after the failure"));
	if (!nev && !json_object_array_length(before)) {
		json_object_put(points);
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
	json_object_object_add(ac, "points", points);

	for (size_t i = 0; i <= nev && nst < sizeof(st) / sizeof(st[0]); i++) {
		struct json_object *ev;

		if (i == nev && nev && !json_object_is_type(promise, json_type_object))
			break;	/* the last promise was dropped by a later write */
		ev = nev ? json_object_array_get_idx(events, i < nev ? i : nev - 1) : NULL;
		st[nst].from = ev ? pmt_json_str(ev, "from") : pmt_json_str(first, "from");
		st[nst].at = i < nev ? pmt_json_int64(ev, "flushed", -1) : -1;
		st[nst].proms = json_object_new_array();
		for (size_t k = 0; k < json_object_array_length(before); k++)
			json_object_array_add(st[nst].proms,
					      json_object_get(json_object_array_get_idx(before, k)));
		if (ev)
			json_object_array_add(st[nst].proms, json_object_get(ev));
		if (i < nev && st[nst].at < 0) {
			pmt_case_verdict(c, PMT_BROK, "cut: no host flush count for %s's promise",
					 st[nst].from);
			nst++;
			goto out_states;
		}
		nst++;
	}

	pmt_case_phase(c, "cut");
	main_vm->backend->power_cut(main_vm);
	if (pmt_durable_recover(dir) < 0 || pmt_epochs_load(dir, &ep, &nep)) {
		pmt_case_verdict(c, PMT_BROK, "cut: reading the durable image and epochs in %s: %s",
				 dir, strerror(errno));
		goto out_states;
	}
	pmt_fmt(durable, sizeof(durable), "%s/%s", dir, PMT_DURABLE_IMG);
	pmt_fmt(img, sizeof(img), "%s/flusheio-checker.img", c->rundir);
	{
		uint64_t *pages = NULL;
		size_t n = 0;

		/* What the cut itself loses: the pages no recorded flush carried. */
		if (!pmt_dirty_pages(durable, main_vm->cfg.disks[0].path, &pages, &n))
			json_object_object_add(ac, "pages_lost", json_object_new_int64((int64_t)n));
		free(pages);
	}
	pmt_cleanup_register(img, 0);
	if (st[0].at >= 0 ? pmt_image_at_flush(dir, ep, nep, (uint64_t)st[0].at, img) : pmt_image_copy(durable, img)) {
		pmt_case_verdict(c, PMT_BROK, "cut: building the crash state from %s: %s", dir,
				 strerror(errno));
		goto out;
	}

	if (pmt_case_boot_checker(c, &checker, img))
		goto out;
	pmt_case_phase(c, "after-cut");
	if (pmt_crash_find_dev(c, dev, sizeof(dev)))
		rc = -1;
	for (size_t i = 0; i < nst && rc >= 0; i++) {
		struct json_object *pt;

		if (i > 0 && (st[i].at >= 0 ? pmt_image_at_flush(dir, ep, nep, (uint64_t)st[i].at, img)
					    : pmt_image_copy(durable, img))) {
			pmt_case_verdict(c, PMT_BROK, "after-cut: building the crash state: %s",
					 strerror(errno));
			rc = -1;
			break;
		}
		rc = check_one(c, dev, st[i].proms, observed, sizeof(observed));
		if (rc < 0)
			break;
		pt = json_object_new_object();
		json_object_object_add(pt, "from", json_object_new_string(st[i].from));
		json_object_object_add(pt, "state", json_object_new_string(
			st[i].at >= 0 ? "at its flush" : "durable image at the cut"));
		if (st[i].at >= 0)
			json_object_object_add(pt, "flushed", json_object_new_int64(st[i].at));
		json_object_object_add(pt, "promises", json_object_new_int(
			(int)json_object_array_length(st[i].proms)));
		json_object_object_add(pt, "held", json_object_new_boolean(rc == 0));
		json_object_object_add(pt, "observed", json_object_new_string(observed));
		json_object_array_add(points, pt);
		if (rc && held) {
			held = false;
			first_bad_at = st[i].at;
			snprintf(first_bad, sizeof(first_bad), "%s's promise, %s: %s", st[i].from,
				 st[i].at >= 0 ? "at its flush" : "at the cut", observed);
		}
	}
	pmt_case_phase(c, "checker-shutdown");
	pmt_case_shutdown(c, &checker);
	checker.backend->release(&checker);
	c->vm = main_vm;
	if (rc < 0)
		goto out;	/* the BROK names the phase */

	json_object_object_add(ac, "state_checked", json_object_new_boolean(true));
	json_object_object_add(ac, "held", json_object_new_boolean(held));
	json_object_object_add(ac, "observed", json_object_new_string(
		held ? "every promise: the promised size and hash, fsck clean" : first_bad));
	snprintf(old, sizeof(old), "%s", c->reason);
	if (held && nev) {
		snprintf(c->reason, sizeof(c->reason), "%s; data held after a power cut (%zu "
			 "promises from %s on, each at its flush and the last at the cut)", old, nev,
			 pmt_json_str(first, "from"));
	} else if (held) {
		snprintf(c->reason, sizeof(c->reason), "%s; no fsync returned 0 after the failure; "
			 "data held after a power cut (%s's promise, at the cut)", old,
			 pmt_json_str(first, "from"));
	} else {
		bool was_fail = c->verdict == PMT_FAIL;

		char blame[512];

		fault_half(c, dir, first_bad_at, blame, sizeof(blame));
		pmt_case_verdict(c, PMT_FAIL, "fsync returned 0 but the data was lost after a power "
				 "cut: %s%s", first_bad, blame);
		if (was_fail)
			snprintf(c->reason, sizeof(c->reason), "fsync returned 0 but the data was lost "
				 "after a power cut: %s%s; %s", first_bad, blame, old);
	}
out:
	pmt_epochs_free(ep, nep);
	unlink(img);
	pmt_cleanup_unregister(img);
out_states:
	for (size_t i = 0; i < nst; i++)
		json_object_put(st[i].proms);
}

static int run_slow(struct pmt_case *c, struct json_object *probes)
{
	int delay = param_int(c, "delay_ms");
	int threads = param_int(c, "threads");
	int rounds = param_int(c, "rounds");
	struct json_object *res = NULL, *rec;
	struct pmt_flush_stats st;
	int before, rc;

	flush_stats(dir, 0, &st);
	before = st.lines;
	pmt_case_phase(c, "load");
	rc = run_probe(c, "load", threads, rounds, NULL, &res);
	flush_stats(dir, before, &st);
	json_object_object_add(c->details, "host_flushes", json_object_new_int(st.lines - before));
	json_object_object_add(c->details, "host_flush_max_ms", json_object_new_double(st.max_ms));
	json_object_object_add(c->details, "delay_ms", json_object_new_int(delay));
	if (rc < 0)
		return -1;
	if (rc > 0) {
		/* The judged observation is the hang itself. */
		rec = json_object_new_object();
		json_object_object_add(rec, "path", json_object_new_string("fsync"));
		json_object_object_add(rec, "timed_out", json_object_new_boolean(true));
		json_object_array_add(probes, rec);
		return 0;
	}
	json_object_object_add(c->details, "load", json_object_get(res));
	add_probes(probes, res);
	json_object_object_add(c->details, "guest_fsync_max_ms",
			       json_object_new_double(pmt_json_double(res, "max_ms")));
	json_object_put(res);
	if (st.lines == before || st.max_ms < delay) {
		pmt_case_verdict(c, PMT_BROK, "load: fault did not fire: %d host flushes, the slowest "
				 "%.0f ms (delay %d ms)", st.lines - before, st.max_ms, delay);
		return -1;
	}
	{
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "slowest_host_flush_ms", json_object_new_double(st.max_ms));
		pmt_fault_fired(c, f);
	}
	return 0;
}

static int flusheio_run(struct pmt_case *c)
{
	const struct pmt_expectations *e;
	struct json_object *probes = json_object_new_array(), *events = json_object_new_array();
	struct json_object *before = json_object_new_array();
	char dev[64], dir[PATH_MAX], err[512];
	size_t used;
	int rc;

	e = pmt_expectations_default(err, sizeof(err));
	if (!e) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		goto out;
	}
	if (pmt_setup_fs(c, dev, sizeof(dev)))
		goto out;
	pmt_flusheio_shim_dir(c, dir, sizeof(dir));
	rc = strcmp(c->variant, "slow") ? run_fail(c, dir, probes, events, before) : run_slow(c, probes);
	keep_kernel_log(c);
	if (rc)
		goto out;
	pmt_case_phase(c, "check");
	pmt_expect_judge(e, c, c->variant, probes);
	if (strcmp(c->variant, "slow"))
		cut_and_check(c, dir, events, before);
	/* The figure the slow variant exists for goes into the table's reason. */
	used = strlen(c->reason);
	if (c->verdict == PMT_PASS && !strcmp(c->variant, "slow"))
		snprintf(c->reason + used, sizeof(c->reason) - used,
			 "; max fsync %.0f ms with %d flushers",
			 pmt_json_double(c->details, "guest_fsync_max_ms"),
			 param_int(c, "threads"));
out:
	json_object_put(probes);
	json_object_put(events);
	json_object_put(before);
	pmt_flusheio_shim_dir(c, dir, sizeof(dir));
	/* flushes.jsonl is the evidence of what the host did: keep it. */
	{
		char from[PATH_MAX + 16], to[PATH_MAX + 16];

		snprintf(from, sizeof(from), "%s/flushes.jsonl", dir);
		snprintf(to, sizeof(to), "%s/flushes.jsonl", c->dir);
		if (rename(from, to)) {
			char *t = pmt_read_file(from, 64 << 20, &used);

			if (t)
				pmt_write_file_atomic(to, t, used);
			free(t);
		}
	}
	/* The shim's folder stays while QEMU flushes into it: disarm removes it. */
	return 0;
}

static const char *const flusheio_fs[] = { "ext4", "xfs", NULL };
static const char *const flusheio_variants[] = { "fail", "slow", "lose", "lose-drop", NULL };

const struct pmt_scenario pmt_scenario_flusheio = {
	.name = "flusheio",
	.description = "the host's fsync of the backing file fails (guest fsync EIO?) or is slow",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = flusheio_fs,
	.mount_opts = "dax",
	.variants = flusheio_variants,
	.injector = "flusheio",
	.run = flusheio_run,
};
