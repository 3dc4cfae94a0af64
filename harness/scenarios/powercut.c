// SPDX-License-Identifier: MIT
/*
 * powercut: host power cuts at every persistence point of a workload on
 * virtio-pmem, from one guest run.
 *
 * QEMU runs with the LD_PRELOAD shim (injectors/powercut), which keeps an
 * epoch log: at each host flush n (QEMU's fsync of the backing file) the
 * pages written since flush n - 1, with their content at that moment, and
 * a count of completed flushes (durable.h).  The workload streams intents
 * before each change and promises after each sync (workloads/promise.h);
 * the harness stamps both with the flush count, holding the guest at each
 * change until it has read the count (the rule: harness/case/promises.h).
 *
 * The workload runs to its end (or to the --crash-at point) and QEMU is
 * killed.  Then every flush n from the workload's start is a crash point:
 * the durable image at n, plus any subset of epoch n + 1's pages, whole or
 * torn at a 512-byte sector (a host disk need not write a 4 KiB page
 * atomically): all lost, all kept, all kept torn, and --crash-states
 * seeded subsets, half of them with torn pages.  One checker guest that
 * stays up walks the points in order: for each state the host rewrites its
 * backing file, the guest mounts it (log recovery), verifies the promises
 * in force at that point, unmounts and runs fsck -n.
 *
 * Verdicts: a broken promise, an unmountable state or an fsck error is
 * FAIL, saved with a command that replays exactly that state.  A case that
 * checked no promise at any state is BROK: it proved nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "agent_proto.h"
#include "guest_setup.h"
#include "image.h"
#include "json_util.h"
#include "log.h"
#include "proc.h"
#include "promises.h"
#include "shard.h"
#include "runner.h"
#include "util.h"
#include "crashcheck.h"
#include "injector.h"
#include "lifecycle.h"
#include "powercut.h"
#include "shim_env.h"

#define MAX_SAVED_STATES	3	/* besides each state the verdict named */
#define MAX_FAILURES_KEPT	256	/* details.failures entries */
#define TORN_SECTORS		(PMT_PAGE_SIZE / 512)

/*
 * Where the final cut goes (--crash-at, or a plan's param.crash_at); every
 * persistence point before it is checked whatever the choice:
 *   end       after the workload's last op (the default)
 *   op        at op K's change, K from --seed: the guest is let go and
 *             killed at once, so the change is in flight
 *   flush     while the next host flush after op K starts is held before
 *             it is recorded: the guest's sync never returns
 *   flush-mid the same, after part of the flush's journal is written (the
 *             epoch must come back whole-old)
 *   time      at a seeded random time in the first 2 s of the workload
 */
enum crash_at { CRASH_END, CRASH_OP, CRASH_FLUSH, CRASH_FLUSH_MID, CRASH_TIME };
static const char *const crash_at_names[] = { "end", "op", "flush", "flush-mid", "time", NULL };

/* A planted device (--flush-mode): honest, lying, or dropping flushes. */
struct device_plan {
	bool lying;
	long long drop_every;	/* every Nth flush from the start, or 0 */
	long long drop_burst;	/* B flushes in a row from op drop_op, or 0 */
	long long drop_op;
};

struct cut {
	struct json_object *events;	/* intents, progress and promises, stamped, in order */
	struct pmt_agent *agent;
	enum crash_at kind;
	long long at_op;		/* op K, or -1 */
	const char *shim_dir;
	const struct device_plan *dev;
	bool cut;
	bool ack_failed;
	long long sync_error_op;
	long long drop_from;		/* the first dropped flush, once planted */
};

#define flushes_done pmt_shim_flushes_done
#define plant_mode pmt_shim_set_mode

static int on_event(void *ctx, const struct pmt_msg *m)
{
	struct cut *k = ctx;
	long long op = pmt_json_int64(m->root, "op", -1);
	bool is_progress = !strcmp(m->event, "progress");

	if (!strcmp(m->event, "sync-error"))
		k->sync_error_op = op;
	if (strcmp(m->event, "promise") && strcmp(m->event, "intent") && !is_progress)
		return 0;
	/* Read before the ack: the change's writes come after this count. */
	if (strcmp(m->event, "intent"))
		json_object_object_add(m->root, "flushed",
				       json_object_new_int64(flushes_done(k->shim_dir)));
	json_object_array_add(k->events, json_object_get(m->root));
	if (!is_progress)
		return 0;

	if (k->dev->drop_burst && op == k->dev->drop_op && k->drop_from < 0) {
		char mode[96];

		/* From the next flush: those of this change's sync. */
		k->drop_from = pmt_json_int64(m->root, "flushed", 0) + 1;
		snprintf(mode, sizeof(mode), "drop burst=%lld from=%lld\n", k->dev->drop_burst,
			 k->drop_from);
		plant_mode(k->shim_dir, mode);
	}
	if (op == k->at_op && k->kind != CRASH_END && k->kind != CRASH_TIME) {
		/* The shim reads this at its next flush and holds it. */
		if (k->kind == CRASH_FLUSH || k->kind == CRASH_FLUSH_MID)
			plant_mode(k->shim_dir, k->kind == CRASH_FLUSH ? "hold\n" : "hold-mid\n");
		if (pmt_json_bool(m->root, "ack", false))
			pmt_agent_send_ack(k->agent, pmt_json_int64(m->root, "flushed", 0));
		k->cut = true;
		return 1;	/* stop waiting for the reply */
	}
	if (pmt_json_bool(m->root, "ack", false) &&
	    pmt_agent_send_ack(k->agent, pmt_json_int64(m->root, "flushed", 0))) {
		k->ack_failed = true;
		return 1;
	}
	return 0;
}

/* Wait (inotify, bounded) until the shim holds a flush: DIR/held or DIR/held-mid. */
static int wait_for_hold(const char *dir, const char *name, int timeout_s)
{
	char path[PATH_MAX];
	int64_t deadline = pmt_now_ms() + (int64_t)timeout_s * 1000;
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int rc = -1;

	pmt_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE) < 0)
		goto out;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char buf[4096];
		int64_t left;

		/* Checked after the watch exists: a hold before it is not missed. */
		if (access(path, F_OK) == 0) {
			rc = 0;
			break;
		}
		left = deadline - pmt_now_ms();
		/* Interrupted: the guest that would make the hold is gone. */
		if (left <= 0 || pmt_interrupted())
			break;
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) > 0 && read(fd, buf, sizeof(buf)) < 0)
			continue;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Run the workload and cut the power at the end or the crash point.  0, or -1 after a BROK. */
static int run_and_cut(struct pmt_case *c, struct cut *k, uint64_t *rng)
{
	struct json_object *args = json_object_new_object(), *wargs = json_object_new_object();
	struct pmt_agent *a = &c->vm->agent;
	char err[512];
	int rc;

	json_object_object_add(wargs, "ops", json_object_new_int(c->opt->ops));
	json_object_object_add(wargs, "seed", json_object_new_int64((int64_t)c->seed));
	json_object_object_add(wargs, "ack", json_object_new_boolean(true));
	json_object_object_add(args, "workload", json_object_new_string(c->variant));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "args", wargs);
	a->on_event = on_event;
	a->event_ctx = k;
	k->agent = a;
	if (k->kind == CRASH_TIME) {
		/* Not through pmt_case_agent: here a timeout is the crash point. */
		int64_t delay = (int64_t)(pmt_splitmix64(rng) % 2000);

		json_object_object_add(c->details, "crash_after_ms", json_object_new_int64(delay));
		rc = pmt_agent_call(a, "run", args, NULL, pmt_now_ms() + delay, err, sizeof(err));
		if (rc == PMT_AGENT_TRANSPORT && c->vm->backend->wait_exit(c->vm, pmt_now_ms())) {
			pmt_case_verdict(c, PMT_BROK, "workload: QEMU ended before the crash point: %s", err);
			rc = -1;
		} else {
			k->cut = rc == PMT_AGENT_TRANSPORT;
			rc = rc == PMT_AGENT_GUEST_ERROR ? 1 : 0;
		}
	} else {
		struct json_object *res = NULL;

		rc = pmt_case_agent(c, "run", args, &res, err, sizeof(err));
		/* Finished before the crash point: what it said counts too (an
		 * external workload such as fio verifies its own data). */
		if (rc == 0 && res) {
			json_object_object_add(c->details, "workload_result", json_object_get(res));
			if (pmt_json_int(res, "fio_exit", 0) != 0)
				pmt_case_verdict(c, PMT_FAIL, "workload: fio exited %d at op %d "
						 "(its verify failed or an I/O error): %s",
						 pmt_json_int(res, "fio_exit", 0),
						 pmt_json_int(res, "fio_op", -1),
						 pmt_json_str(res, "fio_output"));
		}
		json_object_put(res);
	}
	a->on_event = NULL;
	json_object_put(args);
	if (k->ack_failed) {
		pmt_case_verdict(c, PMT_BROK, "workload: sending the ack to the guest failed");
		c->vm->backend->power_cut(c->vm);
		return -1;
	}
	if (rc < 0)
		return -1;
	if (rc == 1) {
		pmt_case_verdict(c, PMT_BROK, "workload: %s could not run: %s", c->variant, err);
		return -1;
	}
	if (k->cut && (k->kind == CRASH_FLUSH || k->kind == CRASH_FLUSH_MID)) {
		const char *held = k->kind == CRASH_FLUSH ? "held" : "held-mid";

		if (wait_for_hold(k->shim_dir, held, c->opt->cmd_timeout_s)) {
			pmt_case_verdict(c, PMT_BROK, "workload: no host flush was held after op %lld "
					 "(fault did not fire)", k->at_op);
			c->vm->backend->power_cut(c->vm);
			return -1;
		}
	}
	/* The power goes: SIGKILL, nothing flushed.  A workload that ended
	 * before the crash point (a sync error stops it) is cut here too. */
	return pmt_inject_fire(c);
}

/* ---- crash states ---- */

/* The pages that may be durable beyond a point: epoch n + 1, or what QEMU left. */
struct next_pages {
	const struct pmt_epoch *epoch;	/* NULL: from @current */
	const char *current;
	uint64_t *pages;		/* ascending */
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* An epoch's pages ascending, each once (a journal may repeat a page). */
static uint64_t *unique_pages(const struct pmt_epoch *e, size_t *n)
{
	uint64_t *v = malloc((e->npages ? e->npages : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	memcpy(v, e->pages, e->npages * sizeof(*v));
	qsort(v, e->npages, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < e->npages; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	*n = k;
	return v;
}

struct state {
	char name[80];
	long long point;
	uint64_t *pages;		/* chosen from the next pages, ascending */
	uint32_t *bytes;		/* per chosen page: leading bytes written (torn < 4096) */
	size_t n;
	size_t torn;
};

static void state_free(struct state *s)
{
	free(s->pages);
	free(s->bytes);
	s->pages = NULL;
	s->bytes = NULL;
}

/* Tear about half of @s's pages at a seeded sector (1..7 of 8 written). */
static void tear(struct state *s, uint64_t seed)
{
	for (size_t i = 0; i < s->n; i++) {
		uint64_t r = pmt_splitmix64(&seed);

		if (s->n == 1 || (r >> 63))
			s->bytes[i] = (uint32_t)(1 + (r >> 8) % (TORN_SECTORS - 1)) * 512u;
		if (s->bytes[i] < PMT_PAGE_SIZE)
			s->torn++;
	}
}

static int state_pick(struct state *s, const struct next_pages *np, const struct pmt_subset *sub)
{
	if (pmt_subset_select(np->pages, np->n, sub, &s->pages, &s->n))
		return -1;
	s->bytes = malloc((s->n ? s->n : 1) * sizeof(*s->bytes));
	if (!s->bytes)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		s->bytes[i] = PMT_PAGE_SIZE;
	return 0;
}

/*
 * The states of point @n: lost, kept, torn (every page kept, each torn),
 * and --crash-states seeded subsets, the odd ones torn.  Returns how many
 * were made into @st (room for crash_states + 3), or -1 with errno.
 */
static int make_states(const struct pmt_case *c, long long n, const struct next_pages *np,
		       struct state *st)
{
	uint64_t seed = c->seed ^ ((uint64_t)n * 0x9E3779B97F4A7C15ull);
	int k = 0;

	memset(st, 0, sizeof(*st) * (size_t)(c->opt->crash_states + 3));
	if (state_pick(&st[k], np, &(struct pmt_subset){ .kind = PMT_SUBSET_ALL_LOST }))
		return -1;
	snprintf(st[k].name, sizeof(st[k].name), "p%lld-lost", n);
	st[k++].point = n;
	if (!np->n)
		return k;
	if (state_pick(&st[k], np, &(struct pmt_subset){ .kind = PMT_SUBSET_ALL_KEPT }))
		return -1;
	snprintf(st[k].name, sizeof(st[k].name), "p%lld-kept", n);
	st[k++].point = n;
	if (state_pick(&st[k], np, &(struct pmt_subset){ .kind = PMT_SUBSET_ALL_KEPT }))
		return -1;
	tear(&st[k], seed);
	snprintf(st[k].name, sizeof(st[k].name), "p%lld-torn-%llu", n, (unsigned long long)seed);
	st[k++].point = n;
	for (int i = 0; np->n > 1 && i < c->opt->crash_states; i++) {
		struct pmt_subset sub = { .kind = PMT_SUBSET_SEEDED, .seed = seed, .n = (uint64_t)i };

		if (state_pick(&st[k], np, &sub))
			return -1;
		if (i % 2)
			tear(&st[k], seed + (uint64_t)i);
		snprintf(st[k].name, sizeof(st[k].name), "p%lld-s%llu-%d%s", n,
			 (unsigned long long)seed, i, i % 2 ? "-torn" : "");
		st[k++].point = n;
	}
	return k;
}

/* Write state @s: the image at its point plus its pages, into @out. */
static int state_write(const char *point_img, const struct next_pages *np,
		       const struct state *s, const char *out)
{
	unsigned char page[PMT_PAGE_SIZE];
	int fd, src = -1;

	if (pmt_image_copy(point_img, out))
		return -1;
	if (!s->n)
		return 0;
	fd = open(out, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (np->epoch) {
		int r = pmt_epoch_apply(np->epoch, fd, s->pages, s->n, s->bytes);

		close(fd);
		return r;
	}
	src = open(np->current, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		goto fail;
	for (size_t i = 0; i < s->n; i++) {
		off_t off = (off_t)(s->pages[i] * PMT_PAGE_SIZE);

		if (pread(src, page, PMT_PAGE_SIZE, off) != PMT_PAGE_SIZE ||
		    pwrite(fd, page, s->bytes[i], off) != (ssize_t)s->bytes[i])
			goto fail;
	}
	close(src);
	return close(fd);
fail:
	if (src >= 0)
		close(src);
	close(fd);
	if (!errno)
		errno = EIO;
	return -1;
}

/* A word list a shell reads back as one argument. */
static void shell_quote(const char *s, char *out, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		if (len)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (; *s && o + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *s;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
}

/* Keep a failing state in the result folder with a command that replays it. */
static void save_state(struct pmt_case *c, const char *checker_img, const struct state *s,
		       struct json_object *promises, char *cmd, size_t cmdlen)
{
	char img[PATH_MAX], prom[PATH_MAX], quoted[2 * PATH_MAX];
	const char *text;

	pmt_fmt(img, sizeof(img), "%s/state-%s.img", c->dir, s->name);
	pmt_fmt(prom, sizeof(prom), "%s/state-%s.promises.json", c->dir, s->name);
	if (pmt_image_copy(checker_img, img))
		return;
	text = json_object_to_json_string_ext(promises, JSON_C_TO_STRING_PRETTY);
	pmt_write_file_atomic(prom, text, strlen(text));
	shell_quote(img, quoted, sizeof(quoted));
	snprintf(cmd, cmdlen, "pmtorture run --scenario replay --fs %s --replay %s", c->fs, quoted);
}

/*
 * What kind of failure a problem text is: for the reason, and for
 * expunges.  "journal-checksum": jbd2 found a journal block or commit
 * block whose checksum does not match and gave up recovery, so the mount
 * failed (README "Known findings": the commit block became durable
 * without the blocks it covers).
 */
static const char *problem_kind(const char *text)
{
	if (!strncmp(text, "mount failed", 12))
		return strstr(text, "JBD2: Invalid checksum") &&
		       strstr(text, "error loading journal") ? "journal-checksum" : "mount";
	if (!strncmp(text, "fsck", 4))
		return "fsck";
	return "promise";
}

/* Kinds of failure, gravest first: the reason names the gravest one. */
static const char *const kind_names[] = { "promise", "fsck", "mount", "journal-checksum" };

static int kind_rank(const char *kind)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(kind, kind_names[i]))
			return i;
	return 0;
}

/* Points to check: all, or --crash-points N seeded ones (the last always). */
static bool *choose_points(const struct pmt_case *c, long long want, long long first,
			   long long last)
{
	long long total = last - first + 1;
	bool *pick = calloc((size_t)total, sizeof(*pick));
	uint64_t rng = c->seed ^ 0xC2B2AE3D27D4EB4Full;

	if (!pick)
		return NULL;
	if (want <= 0 || want >= total) {
		for (long long i = 0; i < total; i++)
			pick[i] = true;
		return pick;
	}
	pick[total - 1] = true;
	for (long long got = 1; got < want;) {
		long long i = (long long)(pmt_splitmix64(&rng) % (uint64_t)total);

		if (!pick[i]) {
			pick[i] = true;
			got++;
		}
	}
	return pick;
}

struct walk {
	struct pmt_case *c;
	const char *dir;		/* the shim's */
	const char *current;		/* QEMU's backing file after the cut */
	struct json_object *events;
	struct pmt_epoch *epochs;
	size_t nepochs;
	long long first, last;		/* points: flush counts */
	long long crash_points;		/* to check; 0: all */
	char point_img[PATH_MAX];	/* the durable image at the point being walked */
	char checker_img[PATH_MAX];
	char dev[64];
	/* results */
	struct json_object *report;	/* per state */
	struct json_object *failures;	/* per broken state: kind, state, text */
	struct json_object *timeline;	/* per checked point: [n, states, broken] */
	long long points, states, promises_checked, lapsed, bad, bad_points;
	int saved;
	int first_rank;			/* of first_bad: lower is graver */
	long long kinds[4];		/* broken states per kind_names[] */
	char first_bad[1024], cmd[2 * PATH_MAX + 96];
	char last_key_img[32];
	char *last_key_promises;
};

static const struct pmt_epoch *epoch_of(const struct walk *w, long long seq)
{
	for (size_t i = 0; i < w->nepochs; i++)
		if ((long long)w->epochs[i].seq == seq)
			return &w->epochs[i];
	return NULL;
}

/* Apply epoch @seq (if it has pages) to the point image. */
static int advance(struct walk *w, long long seq)
{
	const struct pmt_epoch *e = epoch_of(w, seq);
	int fd, r;

	if (!e)
		return 0;
	fd = open(w->point_img, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = pmt_epoch_apply(e, fd, NULL, 0, NULL);
	if (close(fd))
		r = -1;
	return r;
}

/*
 * The image a state shows, as a point number: the same number means the
 * same bytes (empty epochs in between change nothing).  -1 for a state
 * that is not a whole point image.
 */
static long long image_id(const struct walk *w, const struct state *s, size_t next_n)
{
	long long n = s->point;

	if (s->n && (s->n != next_n || s->torn))
		return -1;
	if (s->n)
		n++;
	while (n < w->last && !epoch_of(w, n + 1))
		n++;
	return n;
}

/* Check one state; 0, or -1 after a BROK. */
static int check_one(struct walk *w, const struct next_pages *np, const struct state *s,
		     long long *broken_here)
{
	struct pmt_case *c = w->c;
	struct json_object *promises, *problems, *row;
	const char *ptext;
	char key[32];
	long long id = image_id(w, s, np->n);
	int lapsed = 0, r;

	promises = pmt_promises_at(w->events, s->point, s->n > 0, &lapsed);
	ptext = json_object_to_json_string(promises);
	/* The same bytes and the same promises as the state just checked. */
	snprintf(key, sizeof(key), "%lld", id);
	if (id >= 0 && !strcmp(key, w->last_key_img) && w->last_key_promises &&
	    !strcmp(ptext, w->last_key_promises)) {
		json_object_put(promises);
		return 0;
	}
	snprintf(w->last_key_img, sizeof(w->last_key_img), "%s", key);
	free(w->last_key_promises);
	w->last_key_promises = strdup(ptext);

	if (state_write(w->point_img, np, s, w->checker_img)) {
		pmt_case_verdict(c, PMT_BROK, "check: building state %s: %s", s->name, strerror(errno));
		json_object_put(promises);
		return -1;
	}
	problems = json_object_new_array();
	r = pmt_crash_check_state(c, w->dev, promises, problems);
	if (r < 0) {
		json_object_put(problems);
		json_object_put(promises);
		return -1;
	}
	w->states++;
	w->promises_checked += (long long)json_object_array_length(promises);
	w->lapsed += lapsed;
	row = json_object_new_object();
	json_object_object_add(row, "state", json_object_new_string(s->name));
	json_object_object_add(row, "point", json_object_new_int64(s->point));
	json_object_object_add(row, "pages_kept", json_object_new_int64((int64_t)s->n));
	json_object_object_add(row, "pages_torn", json_object_new_int64((int64_t)s->torn));
	json_object_object_add(row, "promises", json_object_new_int64(
				       (int64_t)json_object_array_length(promises)));
	json_object_object_add(row, "problems", json_object_get(problems));
	json_object_array_add(w->report, row);
	if (r > 0) {
		const char *text = json_object_get_string(json_object_array_get_idx(problems, 0));
		char other[2 * PATH_MAX + 96];
		int rank = 4;

		(*broken_here)++;
		for (size_t i = 0; i < json_object_array_length(problems); i++) {
			struct json_object *f = json_object_new_object();
			const char *t = json_object_get_string(json_object_array_get_idx(problems, i));

			if (kind_rank(problem_kind(t)) < rank) {
				rank = kind_rank(problem_kind(t));
				text = t;
			}
			if (json_object_array_length(w->failures) >= MAX_FAILURES_KEPT) {
				json_object_put(f);
				continue;	/* counted in kinds; the list stays bounded */
			}
			json_object_object_add(f, "state", json_object_new_string(s->name));
			json_object_object_add(f, "kind", json_object_new_string(problem_kind(t)));
			json_object_object_add(f, "torn", json_object_new_boolean(s->torn > 0));
			json_object_object_add(f, "text", json_object_new_string(t));
			json_object_array_add(w->failures, f);
		}
		w->kinds[rank]++;
		if (!w->bad++ || rank < w->first_rank) {
			/* The state the verdict names is always saved. */
			save_state(c, w->checker_img, s, promises, w->cmd, sizeof(w->cmd));
			w->saved++;
			w->first_rank = rank;
			snprintf(w->first_bad, sizeof(w->first_bad),
				 "state %s (flush %lld, %zu of %zu next pages kept, %zu torn): %s",
				 s->name, s->point, s->n, np->n, s->torn, text);
		} else if (w->saved < MAX_SAVED_STATES) {
			save_state(c, w->checker_img, s, promises, other, sizeof(other));
			w->saved++;
		}
	}
	json_object_put(problems);
	json_object_put(promises);
	return 0;
}

/* Every point in order, in one checker guest.  0, or -1 after a BROK. */
static int walk_points(struct walk *w)
{
	struct pmt_case *c = w->c;
	struct state *st = calloc((size_t)c->opt->crash_states + 3, sizeof(*st));
	bool *pick = choose_points(c, w->crash_points, w->first, w->last);
	char durable[PATH_MAX];
	int rc = -1;

	pmt_fmt(durable, sizeof(durable), "%s/%s", w->dir, PMT_DURABLE_IMG);
	if (!st || !pick) {
		pmt_case_verdict(c, PMT_BROK, "check: out of memory");
		goto out;
	}
	for (long long n = w->first; n <= w->last; n++) {
		struct next_pages np = { .current = w->current };
		const struct pmt_epoch *e = n < w->last ? epoch_of(w, n + 1) : NULL;
		long long broken_here = 0;
		int nst;

		if (n < w->last) {
			np.epoch = e;
			if (e && !(np.pages = unique_pages(e, &np.n))) {
				pmt_case_verdict(c, PMT_BROK, "check: out of memory");
				goto out;
			}
		} else {
			size_t diff = 0;
			uint64_t *same = NULL;

			/* The log must rebuild what the shim made durable. */
			if (pmt_dirty_pages(w->point_img, durable, &same, &diff) || diff) {
				pmt_case_verdict(c, PMT_BROK, "durable: the epoch log does not rebuild "
						 "%s (%zu pages differ)", durable, diff);
				free(same);
				goto out;
			}
			free(same);
			if (pmt_dirty_pages(durable, w->current, &np.pages, &np.n)) {
				pmt_case_verdict(c, PMT_BROK, "durable: comparing %s with %s: %s",
						 durable, w->current, strerror(errno));
				goto out;
			}
		}
		if (pick[n - w->first]) {
			nst = make_states(c, n, &np, st);
			if (nst < 0) {
				pmt_case_verdict(c, PMT_BROK, "check: out of memory");
				goto out_np;
			}
			for (int i = 0; i < nst; i++) {
				if (check_one(w, &np, &st[i], &broken_here)) {
					for (int j = 0; j < nst; j++)
						state_free(&st[j]);
					goto out_np;
				}
			}
			for (int j = 0; j < nst; j++)
				state_free(&st[j]);
			w->points++;
			if (broken_here)
				w->bad_points++;
			{
				struct json_object *t = json_object_new_array();

				json_object_array_add(t, json_object_new_int64(n));
				json_object_array_add(t, json_object_new_int64(nst));
				json_object_array_add(t, json_object_new_int64(broken_here));
				json_object_array_add(w->timeline, t);
			}
		}
		free(np.pages);
		if (n < w->last && advance(w, n + 1)) {
			pmt_case_verdict(c, PMT_BROK, "check: applying epoch %lld: %s", n + 1,
					 strerror(errno));
			goto out;
		}
		continue;
out_np:
		free(np.pages);
		goto out;
	}
	rc = 0;
out:
	free(pick);
	free(st);
	return rc;
}

/* The image at the workload's first point: base + the epochs up to it. */
static int first_point_image(struct walk *w)
{
	return pmt_image_at_flush(w->dir, w->epochs, w->nepochs, (uint64_t)w->first, w->point_img);
}

/* The host flushes as the shim logged them, for the timeline: [[seq, pages, action]]. */
static struct json_object *flush_log(struct pmt_case *c, const char *dir)
{
	struct json_object *out = json_object_new_array();
	char log[PATH_MAX];
	size_t len = 0;
	char *text, *line, *save = NULL;

	pmt_fmt(log, sizeof(log), "%s/flushes.jsonl", dir);
	text = pmt_read_file(log, 1 << 22, &len);
	if (!text)
		return out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *f = json_tokener_parse(line), *t;

		if (!f)
			continue;
		t = json_object_new_array();
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(f, "seq", 0)));
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(f, "pages", 0)));
		json_object_array_add(t, json_object_new_string(pmt_json_str(f, "action")));
		json_object_array_add(out, t);
		json_object_put(f);
	}
	free(text);
	json_object_object_add(c->details, "host_flushes",
			       json_object_new_int64((int64_t)json_object_array_length(out)));
	return out;
}

static int check_points(struct pmt_case *c, struct cut *k, long long first, long long last,
			long long crash_points)
{
	struct walk w = { .c = c, .dir = k->shim_dir, .current = c->vm->cfg.disks[0].path,
			  .events = k->events, .first = first, .last = last,
			  .crash_points = crash_points };
	struct pmt_vm checker, *main_vm = c->vm;
	struct json_object *timeline = json_object_new_object(), *proms;
	long long log_bytes = 0;
	int64_t t0;
	int rc = -1;

	w.report = json_object_new_array();
	w.failures = json_object_new_array();
	w.timeline = json_object_new_array();
	pmt_case_phase(c, "crash-states");
	if (pmt_epochs_load(k->shim_dir, &w.epochs, &w.nepochs)) {
		pmt_case_verdict(c, PMT_BROK, "crash-states: reading the epoch log in %s: %s",
				 k->shim_dir, strerror(errno));
		goto out_json;
	}
	for (size_t i = 0; i < w.nepochs; i++)
		log_bytes += (long long)w.epochs[i].bytes;
	pmt_fmt(w.point_img, sizeof(w.point_img), "%s/point.img", c->rundir);
	pmt_fmt(w.checker_img, sizeof(w.checker_img), "%s/checker.img", c->rundir);
	if (first_point_image(&w) || pmt_image_copy(w.point_img, w.checker_img)) {
		pmt_case_verdict(c, PMT_BROK, "crash-states: building the image at flush %lld: %s",
				 first, strerror(errno));
		goto out_json;
	}

	/* One checker guest for every state: the host rewrites its backing file. */
	if (pmt_case_boot_checker(c, &checker, w.checker_img))
		goto out_json;
	pmt_case_phase(c, "check");
	t0 = pmt_now_ms();
	if (!pmt_crash_find_dev(c, w.dev, sizeof(w.dev)) && !walk_points(&w))
		rc = 0;
	json_object_object_add(c->details, "check_s",
			       json_object_new_double((pmt_now_ms() - t0) / 1000.0));
	json_object_object_add(c->details, "states_per_minute",
			       json_object_new_double((double)w.states * 60000.0 /
						      (double)(pmt_now_ms() - t0 + 1)));
	pmt_case_phase(c, "checker-shutdown");
	pmt_case_shutdown(c, &checker);
	checker.backend->release(&checker);
	c->vm = main_vm;

	json_object_object_add(c->details, "points_total", json_object_new_int64(last - first + 1));
	json_object_object_add(c->details, "points", json_object_new_int64(w.points));
	json_object_object_add(c->details, "states", json_object_new_int64(w.states));
	json_object_object_add(c->details, "promises_checked",
			       json_object_new_int64(w.promises_checked));
	json_object_object_add(c->details, "promises_lapsed", json_object_new_int64(w.lapsed));
	json_object_object_add(c->details, "epoch_log_bytes", json_object_new_int64(log_bytes));
	if (rc)
		goto out_json;
	if (w.bad) {
		char kinds[160] = "";
		size_t used = 0;

		for (int i = 0; i < 4; i++)
			if (w.kinds[i])
				used += (size_t)snprintf(kinds + used, sizeof(kinds) - used, "%s%s %lld",
							 used ? ", " : "", kind_names[i], w.kinds[i]);
		json_object_object_add(c->details, "reproduce", json_object_new_string(w.cmd));
		pmt_case_verdict(c, PMT_FAIL, "%s: %lld flushes, %lld promises checked; %lld of %lld "
				 "crash states broken at %lld of %lld points (%s); gravest first: %s; "
				 "reproduce: %s", c->variant, last - first, w.promises_checked, w.bad,
				 w.states, w.bad_points, w.points, kinds, w.first_bad, w.cmd);
	} else if (!w.promises_checked) {
		pmt_case_verdict(c, PMT_BROK, "check: checked no promise (%lld points, %lld states, "
				 "%lld promises lapsed)", w.points, w.states, w.lapsed);
	} else {
		pmt_case_verdict(c, PMT_PASS, "%lld flushes: %lld points, %lld states, %lld promises "
				 "checked, fsck clean", last - first,
				 w.points, w.states, w.promises_checked);
	}
out_json:
	/* The timeline of the run, for the report's picture. */
	proms = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(k->events); i++) {
		struct json_object *ev = json_object_array_get_idx(k->events, i), *t;

		if (strcmp(pmt_json_str(ev, "event"), "promise"))
			continue;
		t = json_object_new_array();
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(ev, "op", -1)));
		json_object_array_add(t, json_object_new_int64(pmt_json_int64(ev, "flushed", -1)));
		json_object_array_add(proms, t);
	}
	json_object_object_add(timeline, "first", json_object_new_int64(first));
	json_object_object_add(timeline, "last", json_object_new_int64(last));
	json_object_object_add(timeline, "flushes", flush_log(c, k->shim_dir));
	json_object_object_add(timeline, "promises", proms);
	json_object_object_add(timeline, "points", w.timeline);
	json_object_object_add(c->details, "timeline", timeline);
	json_object_object_add(c->details, "failures", w.failures);
	json_object_object_add(c->details, "crash_states", w.report);
	unlink(w.checker_img);
	unlink(w.point_img);
	pmt_epochs_free(w.epochs, w.nepochs);
	free(w.last_key_promises);
	return rc;
}

/* The injector's parameter @key (a plan's or --param), or @dflt (the named option's). */
static const char *param(const struct pmt_case *c, const char *key, const char *dflt)
{
	const char *v = pmt_case_param(c, key);

	return v ? v : dflt;
}

/* param.crash_points: all or a positive count; else --crash-points. */
static int crash_points_parse(struct pmt_case *c, long long *n)
{
	const char *v = param(c, "crash_points", NULL);
	char *end;

	*n = c->opt->crash_points;
	if (!v || !strcmp(v, "all")) {
		if (v)
			*n = 0;
		return 0;
	}
	errno = 0;
	*n = strtoll(v, &end, 10);
	if (errno || end == v || *end || *n < 1) {
		pmt_case_verdict(c, PMT_BROK, "setup: param.crash_points \"%s\" is not all or a "
				 "positive number", v);
		return -1;
	}
	return 0;
}

static int crash_at_parse(struct pmt_case *c, enum crash_at *kind)
{
	const char *name = param(c, "crash_at", c->opt->crash_at);

	for (int i = 0; crash_at_names[i]; i++) {
		if (!strcmp(name, crash_at_names[i])) {
			*kind = (enum crash_at)i;
			return 0;
		}
	}
	pmt_case_verdict(c, PMT_BROK, "setup: crash_at \"%s\" is not end, op, flush, flush-mid or time",
			 name);
	return -1;
}

/*
 * --flush-mode: honest, lying, drop (a burst of 4 from a seeded op in the
 * middle of the workload), drop:burst=B, drop:every=N.
 */
static int device_parse(struct pmt_case *c, struct device_plan *d, uint64_t *rng)
{
	const char *m = param(c, "flush_mode", c->opt->flush_mode);
	long long v;
	char tail;

	memset(d, 0, sizeof(*d));
	if (!strcmp(m, "honest"))
		return 0;
	if (!strcmp(m, "lying")) {
		d->lying = true;
		return 0;
	}
	if (!strcmp(m, "drop") || (sscanf(m, "drop:burst=%lld%c", &v, &tail) == 1 && v > 0)) {
		d->drop_burst = strcmp(m, "drop") ? v : 4;
		/* In the middle third, so flushes come before and after it. */
		d->drop_op = c->opt->ops / 3 + 1 +
			     (long long)(pmt_splitmix64(rng) % (uint64_t)(c->opt->ops / 3 + 1));
		return 0;
	}
	if (sscanf(m, "drop:every=%lld%c", &v, &tail) == 1 && v > 0) {
		d->drop_every = v;
		return 0;
	}
	pmt_case_verdict(c, PMT_BROK, "setup: flush mode \"%s\" is not honest, lying, drop, "
			 "drop:burst=B or drop:every=N", m);
	return -1;
}

static int powercut_run(struct pmt_case *c)
{
	struct cut k = { .events = json_object_new_array(), .sync_error_op = -1, .drop_from = -1 };
	struct device_plan dev;
	char dev_name[64], dir[PATH_MAX];
	long long first, last, crash_points;
	uint64_t rng;
	int rc = -1;

	rng = c->seed ^ pmt_fnv1a64(c->id);
	if (crash_at_parse(c, &k.kind) || device_parse(c, &dev, &rng) ||
	    crash_points_parse(c, &crash_points))
		goto out;
	if (pmt_setup_fs(c, dev_name, sizeof(dev_name)))
		goto out;
	if (!pmt_json_bool(json_object_object_get(c->details, "mount"), "dax", false)) {
		pmt_case_verdict(c, PMT_BROK, "mount: DAX is not active on %s", dev_name);
		goto out;
	}
	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	k.shim_dir = dir;
	k.dev = &dev;
	/* The first persistence point: mkfs and mount flushed honestly. */
	first = flushes_done(dir);
	if (first < 0) {
		pmt_case_verdict(c, PMT_BROK, "setup: the shim keeps no flush count in %s: %s", dir,
				 strerror(errno));
		goto out;
	}
	/* A planted device (lying, drop:every) starts here. */
	if (pmt_inject_arm(c))
		goto out;
	k.at_op = k.kind == CRASH_END ? -1 :
		  1 + (long long)(pmt_splitmix64(&rng) % (uint64_t)c->opt->ops);
	pmt_case_phase(c, "workload");
	if (run_and_cut(c, &k, &rng))
		goto out;
	if (dev.drop_burst && k.drop_from < 0) {
		pmt_case_verdict(c, PMT_BROK, "workload: the drop burst was never planted "
				 "(op %lld not reached; fault did not fire)", dev.drop_op);
		goto out;
	}
	last = flushes_done(dir);
	json_object_object_add(c->details, "crash_at", json_object_new_string(crash_at_names[k.kind]));
	if (k.at_op >= 0)
		json_object_object_add(c->details, "crash_point", json_object_new_int64(k.at_op));
	json_object_object_add(c->details, "cut_at_progress", json_object_new_boolean(k.cut));
	json_object_object_add(c->details, "flush_mode",
			       json_object_new_string(param(c, "flush_mode", c->opt->flush_mode)));
	json_object_object_add(c->details, "flushes", json_object_new_int64(last - first));
	if (k.drop_from >= 0)
		json_object_object_add(c->details, "dropped_from", json_object_new_int64(k.drop_from));
	if (k.sync_error_op >= 0)
		json_object_object_add(c->details, "sync_error_op",
				       json_object_new_int64(k.sync_error_op));
	pmt_case_phase(c, "durable");
	if (pmt_durable_recover(dir) < 0) {
		pmt_case_verdict(c, PMT_BROK, "durable: recovering %s: %s", dir, strerror(errno));
		goto out;
	}
	{
		long long made = 0;

		for (size_t i = 0; i < json_object_array_length(k.events); i++)
			made += !strcmp(pmt_json_str(json_object_array_get_idx(k.events, i),
						     "event"), "promise");
		json_object_object_add(c->details, "promises_made", json_object_new_int64(made));
	}
	rc = check_points(c, &k, first, last, crash_points);
out:
	json_object_put(k.events);
	return rc;
}

static const char *const powercut_fs[] = { "ext4", "xfs", NULL };
/* Every workload that makes promises (workloads/workload_list.h). */
static const char *const powercut_workloads[] = {
#define PMT_WORKLOAD(name, promises, needs_fio) PMT_IF_PROMISES_##promises(#name)
#define PMT_IF_PROMISES_1(x) x,
#define PMT_IF_PROMISES_0(x)
#include "workload_list.h"
#undef PMT_WORKLOAD
	NULL,
};

const struct pmt_scenario pmt_scenario_powercut = {
	.name = "powercut",
	.description = "host power cuts at every persistence point: every crash state keeps the "
		       "promises in force, fsck clean",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = powercut_fs,
	.mount_opts = "dax",
	.variants = powercut_workloads,
	.injector = "powercut",
	.run = powercut_run,
};
