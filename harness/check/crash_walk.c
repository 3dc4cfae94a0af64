// SPDX-License-Identifier: MIT
/*
 * The crash-state walk (crash_walk.h).  Relies on the shim's epoch log
 * (harness/shim/durable.h): epoch n holds the pages host flush n made
 * durable, with their content at that flush, so the durable image at n is
 * the base image plus epochs 1..n, applied in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_walk.h"
#include "durable.h"
#include "json_util.h"
#include "promises.h"
#include "util.h"

#define MAX_SAVED_STATES	3	/* besides each state the verdict named */
#define MAX_FAILURES_KEPT	256	/* failures entries */
#define TORN_SECTORS		(PMT_PAGE_SIZE / 512)

const char *const pmt_check_step_names[PMT_STEPS] = {
	"prepare", "mount", "verify", "umount", "fsck", "build",
};

const char *const pmt_walk_kind_names[PMT_WALK_KINDS] = {
	"promise", "fsck", "mount", "journal-checksum",
};

/* The pages that may be durable beyond a point: epoch n + 1, or what QEMU left. */
struct next_pages {
	const struct pmt_epoch *epoch;	/* NULL: from @current */
	const char *current;
	uint64_t *pages;		/* ascending */
	size_t n;
};

struct state {
	char name[80];
	long long point;
	uint64_t *pages;		/* chosen from the next pages, ascending */
	uint32_t *bytes;		/* per chosen page: leading bytes written (torn < 4096) */
	size_t n;
	size_t torn;
};

struct walk {
	const struct pmt_walk_plan *p;
	const struct pmt_state_check *chk;
	struct pmt_walk_result *r;
	struct pmt_epoch *epochs;
	size_t nepochs;
	char last_key_img[32];		/* the state just checked: its image ... */
	char *last_key_promises;	/* ... and its promises */
};

static int walk_brok(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int walk_brok(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->r->brok, sizeof(w->r->brok), fmt, ap);
	va_end(ap);
	return -1;
}

void pmt_walk_result_init(struct pmt_walk_result *r)
{
	memset(r, 0, sizeof(*r));
	r->report = json_object_new_array();
	r->failures = json_object_new_array();
	r->timeline = json_object_new_array();
}

void pmt_walk_result_free(struct pmt_walk_result *r)
{
	json_object_put(r->report);
	json_object_put(r->failures);
	json_object_put(r->timeline);
	r->report = r->failures = r->timeline = NULL;
}

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

static void state_free(struct state *s)
{
	free(s->pages);
	free(s->bytes);
	s->pages = NULL;
	s->bytes = NULL;
}

static void states_free(struct state *st, int n)
{
	for (int i = 0; i < n; i++)
		state_free(&st[i]);
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
 * and crash_states seeded subsets, the odd ones torn.  Returns how many
 * were made into @st (room for crash_states + 3), or -1 with errno.
 */
static int make_states(const struct pmt_walk_plan *p, long long n, const struct next_pages *np,
		       struct state *st)
{
	uint64_t seed = p->seed ^ ((uint64_t)n * 0x9E3779B97F4A7C15ull);
	int k = 0;

	memset(st, 0, sizeof(*st) * (size_t)(p->crash_states + 3));
	if (state_pick(&st[k], np, &(struct pmt_subset){ .kind = PMT_SUBSET_ALL_LOST }))
		return -1;
	snprintf(st[k].name, sizeof(st[k].name), "p%lld-lost", n);
	st[k++].point = n;
	if (!np->n)
		return k;
	if (state_pick(&st[k], np, &(struct pmt_subset){ .kind = PMT_SUBSET_ALL_KEPT }))
		goto fail;
	snprintf(st[k].name, sizeof(st[k].name), "p%lld-kept", n);
	st[k++].point = n;
	if (state_pick(&st[k], np, &(struct pmt_subset){ .kind = PMT_SUBSET_ALL_KEPT }))
		goto fail;
	tear(&st[k], seed);
	snprintf(st[k].name, sizeof(st[k].name), "p%lld-torn-%llu", n, (unsigned long long)seed);
	st[k++].point = n;
	for (int i = 0; np->n > 1 && i < p->crash_states; i++) {
		struct pmt_subset sub = { .kind = PMT_SUBSET_SEEDED, .seed = seed, .n = (uint64_t)i };

		if (state_pick(&st[k], np, &sub))
			goto fail;
		if (i % 2)
			tear(&st[k], seed + (uint64_t)i);
		snprintf(st[k].name, sizeof(st[k].name), "p%lld-s%llu-%d%s", n,
			 (unsigned long long)seed, i, i % 2 ? "-torn" : "");
		st[k++].point = n;
	}
	return k;
fail:
	states_free(st, k + 1);
	return -1;
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

/*
 * Keep a failing state in save_dir with a command that replays it.  Built
 * again from the point image, not copied from the checker's file: the
 * check's mount (log recovery) has written to that one, and the minimizer
 * (minimize.h) needs the state as the power cut left it.
 */
static void save_state(const struct pmt_walk_plan *p, const struct next_pages *np,
		       const struct state *s, struct json_object *promises, char *cmd, size_t cmdlen)
{
	char img[PATH_MAX], prom[PATH_MAX], quoted[2 * PATH_MAX];
	const char *text;

	pmt_fmt(img, sizeof(img), "%s/state-%s.img", p->save_dir, s->name);
	pmt_fmt(prom, sizeof(prom), "%s/state-%s.promises.json", p->save_dir, s->name);
	if (state_write(p->point_img, np, s, img))
		return;
	text = json_object_to_json_string_ext(promises, JSON_C_TO_STRING_PRETTY);
	pmt_write_file_atomic(prom, text, strlen(text));
	pmt_shell_quote(img, quoted, sizeof(quoted));
	snprintf(cmd, cmdlen, "pmtorture run --scenario replay --fs %s --replay %s", p->fs, quoted);
}

/*
 * "journal-checksum": jbd2 found a journal block or commit block whose
 * checksum does not match and gave up recovery, so the mount failed
 * (README "Known findings": the commit block became durable without the
 * blocks it covers).
 */
const char *pmt_walk_problem_kind(const char *text)
{
	if (!strncmp(text, "mount failed", 12))
		return strstr(text, "JBD2: Invalid checksum") &&
		       strstr(text, "error loading journal") ? "journal-checksum" : "mount";
	if (!strncmp(text, "fsck", 4))
		return "fsck";
	return "promise";
}

static int kind_rank(const char *kind)
{
	for (int i = 0; i < PMT_WALK_KINDS; i++)
		if (!strcmp(kind, pmt_walk_kind_names[i]))
			return i;
	return 0;
}

/* Points to check: all, or crash_points seeded ones (the last always). */
static bool *choose_points(const struct pmt_walk_plan *p, long long *chosen)
{
	long long total = p->last - p->first + 1, want = p->crash_points;
	bool *pick = calloc((size_t)total, sizeof(*pick));
	uint64_t rng = p->seed ^ 0xC2B2AE3D27D4EB4Full;

	if (!pick)
		return NULL;
	if (want <= 0 || want >= total) {
		for (long long i = 0; i < total; i++)
			pick[i] = true;
		*chosen = total;
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
	*chosen = want;
	return pick;
}

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
	fd = open(w->p->point_img, O_WRONLY | O_CLOEXEC);
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
	while (n < w->p->last && !epoch_of(w, n + 1))
		n++;
	return n;
}

/*
 * Is @s the state just checked, by bytes and promises?  If not, it becomes
 * the one just checked.  @promises is its promises' text.
 */
static bool same_as_last(struct walk *w, const struct state *s, size_t next_n, const char *promises)
{
	long long id = image_id(w, s, next_n);
	char key[32];

	snprintf(key, sizeof(key), "%lld", id);
	if (id >= 0 && !strcmp(key, w->last_key_img) && w->last_key_promises &&
	    !strcmp(promises, w->last_key_promises))
		return true;
	snprintf(w->last_key_img, sizeof(w->last_key_img), "%s", key);
	free(w->last_key_promises);
	w->last_key_promises = strdup(promises);
	return false;
}

/* Tally a broken state's problems; keep the gravest, earliest, state. */
static void tally_broken(struct walk *w, const struct next_pages *np, const struct state *s,
			 struct json_object *promises, struct json_object *problems)
{
	struct pmt_walk_result *r = w->r;
	const char *text = json_object_get_string(json_object_array_get_idx(problems, 0));
	char other[sizeof(r->cmd)];
	int rank = PMT_WALK_KINDS;

	for (size_t i = 0; i < json_object_array_length(problems); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(problems, i));
		const char *kind = pmt_walk_problem_kind(t);
		struct json_object *f;

		if (kind_rank(kind) < rank) {
			rank = kind_rank(kind);
			text = t;
		}
		if (json_object_array_length(r->failures) >= MAX_FAILURES_KEPT)
			continue;	/* counted in kinds; the list stays bounded */
		f = json_object_new_object();
		json_object_object_add(f, "state", json_object_new_string(s->name));
		json_object_object_add(f, "kind", json_object_new_string(kind));
		json_object_object_add(f, "torn", json_object_new_boolean(s->torn > 0));
		json_object_object_add(f, "text", json_object_new_string(t));
		json_object_array_add(r->failures, f);
	}
	r->kinds[rank]++;
	if (!r->bad++ || rank < r->first_rank) {
		/* The state the verdict names is always saved. */
		save_state(w->p, np, s, promises, r->cmd, sizeof(r->cmd));
		r->saved++;
		r->first_rank = rank;
		r->first_point = s->point;
		snprintf(r->first_name, sizeof(r->first_name), "%s", s->name);
		snprintf(r->first_text, sizeof(r->first_text), "%s", text);
		snprintf(r->first_bad, sizeof(r->first_bad),
			 "state %s (flush %lld, %zu of %zu next pages kept, %zu torn): %s",
			 s->name, s->point, s->n, np->n, s->torn, text);
	} else if (r->saved < MAX_SAVED_STATES) {
		save_state(w->p, np, s, promises, other, sizeof(other));
		r->saved++;
	}
}

/* Check one state; 0, or -1 when the walk cannot go on. */
static int check_one(struct walk *w, const struct next_pages *np, const struct state *s,
		     long long *broken_here)
{
	struct pmt_walk_result *r = w->r;
	struct json_object *promises, *problems, *row;
	int lapsed = 0, rc;
	int64_t t0;

	promises = pmt_promises_at(w->p->events, s->point, s->n > 0, &lapsed);
	if (same_as_last(w, s, np->n, json_object_to_json_string(promises))) {
		json_object_put(promises);
		return 0;
	}
	t0 = pmt_now_ms();
	if (state_write(w->p->point_img, np, s, w->p->checker_img)) {
		json_object_put(promises);
		return walk_brok(w, "check: building state %s: %s", s->name, strerror(errno));
	}
	r->times[PMT_STEP_BUILD] += (double)(pmt_now_ms() - t0) / 1000.0;
	problems = json_object_new_array();
	rc = w->chk->check(w->chk->ctx, promises, problems);
	if (rc < 0) {
		json_object_put(problems);
		json_object_put(promises);
		return -1;
	}
	r->states++;
	r->promises_checked += (long long)json_object_array_length(promises);
	r->lapsed += lapsed;
	row = json_object_new_object();
	json_object_object_add(row, "state", json_object_new_string(s->name));
	json_object_object_add(row, "point", json_object_new_int64(s->point));
	json_object_object_add(row, "pages_kept", json_object_new_int64((int64_t)s->n));
	json_object_object_add(row, "pages_torn", json_object_new_int64((int64_t)s->torn));
	json_object_object_add(row, "promises", json_object_new_int64(
				       (int64_t)json_object_array_length(promises)));
	json_object_object_add(row, "problems", json_object_get(problems));
	json_object_array_add(r->report, row);
	if (rc > 0) {
		(*broken_here)++;
		tally_broken(w, np, s, promises, problems);
	}
	json_object_put(problems);
	json_object_put(promises);
	return 0;
}

/* The pages that may be durable beyond point @n (into @np). 0, or -1 after walk_brok. */
static int next_pages_of(struct walk *w, long long n, struct next_pages *np)
{
	char durable[PATH_MAX];
	uint64_t *same = NULL;
	size_t diff = 0;

	memset(np, 0, sizeof(*np));
	np->current = w->p->current;
	if (n < w->p->last) {
		np->epoch = epoch_of(w, n + 1);
		if (np->epoch && !(np->pages = unique_pages(np->epoch, &np->n)))
			return walk_brok(w, "check: out of memory");
		return 0;
	}
	/* The last point: the log must rebuild what the shim made durable. */
	pmt_fmt(durable, sizeof(durable), "%s/%s", w->p->dir, PMT_DURABLE_IMG);
	if (pmt_dirty_pages(w->p->point_img, durable, &same, &diff) || diff) {
		free(same);
		return walk_brok(w, "durable: the epoch log does not rebuild %s (%zu pages differ)",
				 durable, diff);
	}
	free(same);
	if (pmt_dirty_pages(durable, w->p->current, &np->pages, &np->n))
		return walk_brok(w, "durable: comparing %s with %s: %s", durable, w->p->current,
				 strerror(errno));
	return 0;
}

/*
 * A share that starts after point @q takes the key of @q's last state as
 * the one walker would have it, so that it skips the same repeated states.
 */
static int prime_last_key(struct walk *w, long long q, struct state *st)
{
	struct next_pages np;
	struct json_object *promises;
	int nst;

	if (next_pages_of(w, q, &np))
		return -1;
	nst = make_states(w->p, q, &np, st);
	if (nst < 0) {
		free(np.pages);
		return walk_brok(w, "check: out of memory");
	}
	promises = pmt_promises_at(w->p->events, q, st[nst - 1].n > 0, NULL);
	same_as_last(w, &st[nst - 1], np.n, json_object_to_json_string(promises));
	json_object_put(promises);
	states_free(st, nst);
	free(np.pages);
	return 0;
}

/* Check every state of point @n; 0, or -1. */
static int check_point(struct walk *w, long long n, const struct next_pages *np, struct state *st)
{
	struct json_object *t;
	long long broken_here = 0;
	int nst = make_states(w->p, n, np, st);

	if (nst < 0)
		return walk_brok(w, "check: out of memory");
	for (int i = 0; i < nst; i++) {
		if (check_one(w, np, &st[i], &broken_here)) {
			states_free(st, nst);
			return -1;
		}
	}
	states_free(st, nst);
	w->r->points++;
	if (broken_here)
		w->r->bad_points++;
	t = json_object_new_array();
	json_object_array_add(t, json_object_new_int64(n));
	json_object_array_add(t, json_object_new_int64(nst));
	json_object_array_add(t, json_object_new_int64(broken_here));
	json_object_array_add(w->r->timeline, t);
	return 0;
}

/* The chosen points' ordinals [*lo, *hi) that share @k of @k_n checks. */
static void share_range(long long chosen, int k, int k_n, long long *lo, long long *hi)
{
	*lo = chosen * k / k_n;
	*hi = chosen * (k + 1) / k_n;
}

int pmt_crash_walk_first_image(const struct pmt_walk_plan *p, char *err, size_t errlen)
{
	struct pmt_epoch *epochs = NULL;
	size_t n = 0;
	int rc = -1;

	if (pmt_epochs_load(p->dir, &epochs, &n))
		snprintf(err, errlen, "reading the epoch log in %s: %s", p->dir, strerror(errno));
	else if (pmt_image_at_flush(p->dir, epochs, n, (uint64_t)p->first, p->point_img) ||
		 pmt_image_copy(p->point_img, p->checker_img))
		snprintf(err, errlen, "building the image at flush %lld: %s", p->first,
			 strerror(errno));
	else
		rc = 0;
	pmt_epochs_free(epochs, n);
	return rc;
}

int pmt_crash_walk(const struct pmt_walk_plan *p, const struct pmt_state_check *chk,
		   struct pmt_walk_result *r)
{
	struct walk w = { .p = p, .chk = chk, .r = r };
	struct state *st = calloc((size_t)p->crash_states + 3, sizeof(*st));
	long long chosen = 0, ordinal = 0, lo, hi, prev = -1;
	bool *pick = NULL;
	int rc = -1;

	if (!st || !(pick = choose_points(p, &chosen))) {
		walk_brok(&w, "check: out of memory");
		goto out;
	}
	if (pmt_epochs_load(p->dir, &w.epochs, &w.nepochs)) {
		walk_brok(&w, "crash-states: reading the epoch log in %s: %s", p->dir,
			  strerror(errno));
		goto out;
	}
	share_range(chosen, p->nshares > 0 ? p->share : 0, p->nshares > 0 ? p->nshares : 1,
		    &lo, &hi);
	/* The image at the first point: base + the epochs up to it. */
	if (pmt_image_at_flush(p->dir, w.epochs, w.nepochs, (uint64_t)p->first, p->point_img) ||
	    pmt_image_copy(p->point_img, p->checker_img)) {
		walk_brok(&w, "crash-states: building the image at flush %lld: %s", p->first,
			  strerror(errno));
		goto out;
	}
	for (long long n = p->first; n <= p->last && ordinal < hi; n++) {
		bool mine = pick[n - p->first] && ordinal >= lo;

		if (pick[n - p->first] && ordinal++ == lo && lo > 0 && prev >= 0 &&
		    prime_last_key(&w, prev, st))
			goto out;
		if (mine) {
			struct next_pages np;
			int err;

			if (next_pages_of(&w, n, &np))
				goto out;
			err = check_point(&w, n, &np, st);
			free(np.pages);
			if (err)
				goto out;
		}
		if (pick[n - p->first])
			prev = n;
		if (n < p->last && ordinal < hi && advance(&w, n + 1)) {
			walk_brok(&w, "check: applying epoch %lld: %s", n + 1, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	pmt_epochs_free(w.epochs, w.nepochs);
	free(w.last_key_promises);
	free(pick);
	free(st);
	return rc;
}

void pmt_walk_merge(struct pmt_walk_result *dst, const struct pmt_walk_result *src)
{
	struct json_object *lists[][2] = {
		{ dst->report, src->report }, { dst->timeline, src->timeline },
	};

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
		for (size_t i = 0; i < json_object_array_length(lists[l][1]); i++)
			json_object_array_add(lists[l][0], json_object_get(
						      json_object_array_get_idx(lists[l][1], i)));
	for (size_t i = 0; i < json_object_array_length(src->failures) &&
			   json_object_array_length(dst->failures) < MAX_FAILURES_KEPT; i++)
		json_object_array_add(dst->failures,
				      json_object_get(json_object_array_get_idx(src->failures, i)));
	dst->points += src->points;
	dst->states += src->states;
	dst->promises_checked += src->promises_checked;
	dst->lapsed += src->lapsed;
	dst->bad_points += src->bad_points;
	dst->saved += src->saved;
	for (int i = 0; i < PMT_WALK_KINDS; i++)
		dst->kinds[i] += src->kinds[i];
	for (int i = 0; i < PMT_STEPS; i++)
		dst->times[i] += src->times[i];
	/* The earliest state of the gravest kind, as one walker finds it. */
	if (src->bad && (!dst->bad || src->first_rank < dst->first_rank)) {
		dst->first_rank = src->first_rank;
		memcpy(dst->first_bad, src->first_bad, sizeof(dst->first_bad));
		memcpy(dst->cmd, src->cmd, sizeof(dst->cmd));
		memcpy(dst->first_name, src->first_name, sizeof(dst->first_name));
		memcpy(dst->first_text, src->first_text, sizeof(dst->first_text));
		dst->first_point = src->first_point;
	}
	dst->bad += src->bad;
	if (!dst->brok[0] && src->brok[0])
		memcpy(dst->brok, src->brok, sizeof(dst->brok));
}

struct json_object *pmt_walk_times_json(const struct pmt_walk_result *r)
{
	struct json_object *t = json_object_new_object();

	for (int i = 0; i < PMT_STEPS; i++)
		json_object_object_add(t, pmt_check_step_names[i],
				       json_object_new_double(r->times[i]));
	return t;
}

struct json_object *pmt_walk_result_to_json(const struct pmt_walk_result *r)
{
	struct json_object *j = json_object_new_object(), *kinds = json_object_new_array();

	json_object_object_add(j, "report", json_object_get(r->report));
	json_object_object_add(j, "failures", json_object_get(r->failures));
	json_object_object_add(j, "timeline", json_object_get(r->timeline));
	json_object_object_add(j, "points", json_object_new_int64(r->points));
	json_object_object_add(j, "states", json_object_new_int64(r->states));
	json_object_object_add(j, "promises_checked", json_object_new_int64(r->promises_checked));
	json_object_object_add(j, "lapsed", json_object_new_int64(r->lapsed));
	json_object_object_add(j, "bad", json_object_new_int64(r->bad));
	json_object_object_add(j, "bad_points", json_object_new_int64(r->bad_points));
	for (int i = 0; i < PMT_WALK_KINDS; i++)
		json_object_array_add(kinds, json_object_new_int64(r->kinds[i]));
	json_object_object_add(j, "kinds", kinds);
	json_object_object_add(j, "times", pmt_walk_times_json(r));
	json_object_object_add(j, "first_rank", json_object_new_int(r->first_rank));
	json_object_object_add(j, "saved", json_object_new_int(r->saved));
	json_object_object_add(j, "first_bad", json_object_new_string(r->first_bad));
	json_object_object_add(j, "cmd", json_object_new_string(r->cmd));
	json_object_object_add(j, "first_name", json_object_new_string(r->first_name));
	json_object_object_add(j, "first_point", json_object_new_int64(r->first_point));
	json_object_object_add(j, "first_text", json_object_new_string(r->first_text));
	json_object_object_add(j, "brok", json_object_new_string(r->brok));
	return j;
}

int pmt_walk_result_from_json(struct json_object *j, struct pmt_walk_result *r)
{
	struct json_object *lists[3], *kinds;
	const char *names[] = { "report", "failures", "timeline" };

	for (int i = 0; i < 3; i++)
		if (!json_object_object_get_ex(j, names[i], &lists[i]) ||
		    !json_object_is_type(lists[i], json_type_array))
			return -1;
	if (!json_object_object_get_ex(j, "kinds", &kinds) ||
	    json_object_array_length(kinds) != PMT_WALK_KINDS)
		return -1;
	pmt_walk_result_init(r);
	for (int i = 0; i < 3; i++) {
		struct json_object **dst[] = { &r->report, &r->failures, &r->timeline };

		json_object_put(*dst[i]);
		*dst[i] = json_object_get(lists[i]);
	}
	r->points = pmt_json_int64(j, "points", 0);
	r->states = pmt_json_int64(j, "states", 0);
	r->promises_checked = pmt_json_int64(j, "promises_checked", 0);
	r->lapsed = pmt_json_int64(j, "lapsed", 0);
	r->bad = pmt_json_int64(j, "bad", 0);
	r->bad_points = pmt_json_int64(j, "bad_points", 0);
	for (int i = 0; i < PMT_WALK_KINDS; i++)
		r->kinds[i] = json_object_get_int64(json_object_array_get_idx(kinds, (size_t)i));
	for (int i = 0; i < PMT_STEPS; i++)
		r->times[i] = pmt_json_double(json_object_object_get(j, "times"),
					      pmt_check_step_names[i]);
	r->first_rank = pmt_json_int(j, "first_rank", 0);
	r->saved = pmt_json_int(j, "saved", 0);
	snprintf(r->first_bad, sizeof(r->first_bad), "%s", pmt_json_str(j, "first_bad"));
	snprintf(r->cmd, sizeof(r->cmd), "%s", pmt_json_str(j, "cmd"));
	snprintf(r->first_name, sizeof(r->first_name), "%s", pmt_json_str(j, "first_name"));
	r->first_point = pmt_json_int64(j, "first_point", 0);
	snprintf(r->first_text, sizeof(r->first_text), "%s", pmt_json_str(j, "first_text"));
	snprintf(r->brok, sizeof(r->brok), "%s", pmt_json_str(j, "brok"));
	return 0;
}
