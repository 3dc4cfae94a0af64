// SPDX-License-Identifier: MIT
/*
 * The minimal crash state (minimize.h).  A state is the durable image at
 * its point (the base) plus some sectors of the next pages; the units
 * ddmin shrinks are first whole pages (each as the state had it, whole or
 * torn), then single 512-byte sectors of the pages left.  The base itself
 * is a state the walk checked at the same point (its "lost" state), so
 * the empty set is taken to hold, as ddmin assumes.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crashcheck.h"
#include "ddmin.h"
#include "durable.h"
#include "json_util.h"
#include "minimize.h"
#include "page_names.h"
#include "proc.h"
#include "reason_class.h"
#include "runner.h"
#include "util.h"

#define SECTOR		512u
#define SECTORS		(PMT_PAGE_SIZE / SECTOR)

/* A page of the state, or the sectors of it (bit k: sector k) that it keeps. */
struct unit {
	uint64_t page;
	uint8_t mask;
};

struct min_ctx {
	struct pmt_case *c;
	char dev[64];
	const char *base, *checker;
	int state_fd;			/* the failing state, as the power cut left it */
	const struct unit *units;
	struct json_object *promises;
	const char *kind;		/* the failure to keep: its kind ... */
	char class[1024];		/* ... and its reason class */
	char seen[768];			/* the last failure that did not match, for details */
};

/* The base plus @keep's units of the state, into @out.  0 or -1 with errno. */
static int write_candidate(const struct min_ctx *m, const char *out, const size_t *keep, size_t n)
{
	unsigned char page[PMT_PAGE_SIZE];
	int fd;

	if (pmt_image_copy(m->base, out))
		return -1;
	fd = open(out, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct unit *u = &m->units[keep[i]];
		off_t off = (off_t)(u->page * PMT_PAGE_SIZE);

		if (pread(m->state_fd, page, sizeof(page), off) != (ssize_t)sizeof(page))
			goto fail;
		for (unsigned s = 0; s < SECTORS; s++)
			if ((u->mask >> s & 1) &&
			    pwrite(fd, page + s * SECTOR, SECTOR, off + s * SECTOR) != SECTOR)
				goto fail;
	}
	return close(fd);
fail:
	close(fd);
	if (!errno)
		errno = EIO;
	return -1;
}

static int kind_rank(const char *kind)
{
	for (int i = 0; i < PMT_WALK_KINDS; i++)
		if (!strcmp(kind, pmt_walk_kind_names[i]))
			return i;
	return PMT_WALK_KINDS;
}

/* ddmin's test: the candidate in the checker guest, the same failure or not. */
static int test_candidate(void *ctx, const size_t *keep, size_t n)
{
	struct min_ctx *m = ctx;
	struct json_object *problems;
	const char *text = NULL;
	char class[sizeof(m->class)];
	int rank = PMT_WALK_KINDS + 1, rc;

	if (write_candidate(m, m->checker, keep, n)) {
		snprintf(m->seen, sizeof(m->seen), "building a candidate: %s", strerror(errno));
		return -1;
	}
	problems = json_object_new_array();
	rc = pmt_crash_check_state(m->c, m->dev, m->promises, problems, NULL);
	/* The gravest problem names the failure, as in the walk. */
	for (size_t i = 0; rc > 0 && i < json_object_array_length(problems); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(problems, i));

		if (kind_rank(pmt_walk_problem_kind(t)) < rank) {
			rank = kind_rank(pmt_walk_problem_kind(t));
			text = t;
		}
	}
	if (rc > 0 && text) {
		pmt_reason_class(text, class, sizeof(class));
		rc = !strcmp(pmt_walk_problem_kind(text), m->kind) && !strcmp(class, m->class);
		if (!rc)
			snprintf(m->seen, sizeof(m->seen), "%s", text);
	}
	json_object_put(problems);
	return rc;
}

/* The units of the state: its pages that differ from the base, sector by sector. */
static struct unit *state_units(const char *base, const char *state, size_t *n)
{
	unsigned char a[PMT_PAGE_SIZE], b[PMT_PAGE_SIZE];
	uint64_t *pages = NULL;
	struct unit *u = NULL;
	size_t np = 0, k = 0;
	int fa = -1, fb = -1;

	if (pmt_dirty_pages(base, state, &pages, &np))
		return NULL;
	u = malloc((np ? np : 1) * sizeof(*u));
	fa = open(base, O_RDONLY | O_CLOEXEC);
	fb = open(state, O_RDONLY | O_CLOEXEC);
	if (!u || fa < 0 || fb < 0)
		goto fail;
	for (size_t i = 0; i < np; i++) {
		off_t off = (off_t)(pages[i] * PMT_PAGE_SIZE);
		uint8_t mask = 0;

		if (pread(fa, a, sizeof(a), off) != (ssize_t)sizeof(a) ||
		    pread(fb, b, sizeof(b), off) != (ssize_t)sizeof(b))
			goto fail;
		for (unsigned s = 0; s < SECTORS; s++)
			if (memcmp(a + s * SECTOR, b + s * SECTOR, SECTOR))
				mask |= (uint8_t)(1u << s);
		u[k].page = pages[i];
		u[k++].mask = mask;
	}
	close(fa);
	close(fb);
	free(pages);
	*n = k;
	return u;
fail:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(pages);
	free(u);
	return NULL;
}

static size_t sectors_of(const struct unit *u, const size_t *set, size_t n)
{
	size_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += (size_t)__builtin_popcount(u[set[i]].mask);
	return s;
}

/* "0-3,5": the sectors of @mask. */
static void mask_text(uint8_t mask, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned s = 0; s < SECTORS; s++) {
		unsigned e = s;

		if (!(mask >> s & 1))
			continue;
		while (e + 1 < SECTORS && (mask >> (e + 1) & 1))
			e++;
		o += (size_t)snprintf(out + o, len - o, e > s ? "%s%u-%u" : "%s%u", o ? "," : "", s, e);
		s = e;
	}
}

/* Pages ddmin kept, merged back to one unit per page (after the sector pass). */
static struct unit *merge_pages(const struct unit *u, const size_t *set, size_t n, size_t *out_n)
{
	struct unit *m = malloc((n ? n : 1) * sizeof(*m));
	size_t k = 0;

	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct unit *x = &u[set[i]];

		if (k && m[k - 1].page == x->page)
			m[k - 1].mask |= x->mask;
		else
			m[k++] = *x;
	}
	*out_n = k;
	return m;
}

static void fail_note(struct json_object *min, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_note(struct json_object *min, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_object_object_add(min, "error", pmt_json_vstringf(fmt, ap));
	va_end(ap);
}

/* The state's base image, the durable image at its point. */
static int build_base(const struct pmt_min_plan *p, const char *base)
{
	struct pmt_epoch *epochs = NULL;
	size_t n = 0;
	int rc;

	if (pmt_epochs_load(p->dir, &epochs, &n))
		return -1;
	rc = pmt_image_at_flush(p->dir, epochs, n, (uint64_t)p->point, base);
	pmt_epochs_free(epochs, n);
	return rc;
}

/* One unit per sector of each unit of @u in @set. */
static struct unit *sector_units(const struct unit *u, const size_t *set, size_t n, size_t *out_n)
{
	struct unit *v = malloc((n ? n : 1) * SECTORS * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < SECTORS; b++)
			if (u[set[i]].mask >> b & 1)
				v[k++] = (struct unit){ .page = u[set[i]].page, .mask = (uint8_t)(1u << b) };
	*out_n = k;
	return v;
}

static size_t *identity(size_t n)
{
	size_t *v = malloc((n ? n : 1) * sizeof(*v));

	for (size_t i = 0; v && i < n; i++)
		v[i] = i;
	return v;
}

/* The minimal state and its promises next to the state; its replay command. */
static int save_minimal(struct min_ctx *m, const struct pmt_min_plan *p, const char *fs,
			size_t n, struct json_object *min)
{
	char img[PATH_MAX], prom[PATH_MAX], quoted[2 * PATH_MAX], cmd[2 * PATH_MAX + 96];
	size_t *all = identity(n);
	const char *text = json_object_to_json_string_ext(m->promises, JSON_C_TO_STRING_PRETTY);
	int rc;

	if (!all || pmt_fmt(img, sizeof(img), "%s/state-%s.min.img", p->save_dir, p->name) ||
	    pmt_fmt(prom, sizeof(prom), "%s/state-%s.min.promises.json", p->save_dir, p->name)) {
		free(all);
		return -1;
	}
	rc = write_candidate(m, img, all, n) ? -1 : pmt_write_file_atomic(prom, text, strlen(text));
	free(all);
	if (rc)
		return -1;
	pmt_shell_quote(img, quoted, sizeof(quoted));
	snprintf(cmd, sizeof(cmd), "pmtorture run --scenario replay --fs %s --replay %s", fs, quoted);
	json_object_object_add(min, "image", json_object_new_string(img));
	json_object_object_add(min, "replay", json_object_new_string(cmd));
	return 0;
}

/* details.minimal.pages: each page kept, its sectors, what it is. */
static void describe_pages(struct pmt_case *c, const struct unit *u, size_t n, const char *img,
			   struct json_object *min)
{
	struct json_object *list = json_object_new_array(), *names;
	uint64_t *pages = malloc((n ? n : 1) * sizeof(*pages));
	char scratch[PATH_MAX], err[512];

	for (size_t i = 0; pages && i < n; i++)
		pages[i] = u[i].page;
	pmt_fmt(scratch, sizeof(scratch), "%s/page-names.out", c->rundir);
	names = pages ? pmt_page_names(c->fs, img, pages, n, scratch, err, sizeof(err)) : NULL;
	if (!names)
		json_object_object_add(min, "names_error", json_object_new_string(pages ? err
								: "out of memory"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		char sectors[32];

		mask_text(u[i].mask, sectors, sizeof(sectors));
		json_object_object_add(o, "page", json_object_new_int64((int64_t)u[i].page));
		json_object_object_add(o, "sectors", json_object_new_string(sectors));
		json_object_object_add(o, "torn", json_object_new_boolean(u[i].mask != 0xff));
		json_object_object_add(o, "what", json_object_new_string(
			names ? json_object_get_string(json_object_array_get_idx(names, i)) : "?"));
		json_object_array_add(list, o);
	}
	json_object_object_add(min, "pages", list);
	json_object_put(names);
	free(pages);
}

/* Boot the checker guest on @checker and make it the case's.  0 or -1 with @err. */
static int boot_checker(struct pmt_case *c, struct pmt_vm *vm, struct min_ctx *m,
			char *err, size_t errlen)
{
	if (pmt_case_boot_guest(c, vm, "minimize", m->checker, err, errlen))
		return -1;
	c->vm = vm;
	if (pmt_crash_find_dev(c, m->dev, sizeof(m->dev))) {
		snprintf(err, errlen, "no virtio-pmem device in the checker guest");
		return 1;
	}
	return 0;
}

/*
 * One function because the steps run in this order and share one exit at out:, which
 * shuts the checker down, removes the two scratch images and puts the case's FAIL back;
 * split, each piece would have to hand all of that back.
 */
int pmt_minimize_state(struct pmt_case *c, const struct pmt_min_plan *p)
{
	struct json_object *min = json_object_new_object();
	char state[PATH_MAX], prom[PATH_MAX], base[PATH_MAX], checker[PATH_MAX], err[1024];
	struct min_ctx m = { .c = c, .state_fd = -1, .base = base, .checker = checker };
	struct pmt_ddmin d = { .test = test_candidate, .ctx = &m };
	struct unit *units = NULL, *secs = NULL, *final = NULL;
	size_t nunits = 0, nsecs = 0, n = 0, nfinal = 0, *set = NULL;
	struct pmt_vm vm, *main_vm = c->vm;
	enum pmt_verdict verdict = c->verdict;
	char *reason = strdup(c->reason);
	int64_t t0 = pmt_now_ms();
	int checks = 0, booted = -1, r, rc = -1;

	json_object_object_add(c->details, "minimal", min);
	json_object_object_add(min, "state", json_object_new_string(p->name));
	if (pmt_fmt(state, sizeof(state), "%s/state-%s.img", p->save_dir, p->name) ||
	    pmt_fmt(prom, sizeof(prom), "%s/state-%s.promises.json", p->save_dir, p->name) ||
	    pmt_fmt(base, sizeof(base), "%s/min-base.img", c->rundir) ||
	    pmt_fmt(checker, sizeof(checker), "%s/min-checker.img", c->rundir)) {
		fail_note(min, "a path is too long");
		return -1;
	}
	pmt_cleanup_register(base, 0);
	pmt_cleanup_register(checker, 0);
	pmt_case_phase(c, "minimize");
	m.kind = pmt_walk_problem_kind(p->text);
	pmt_reason_class(p->text, m.class, sizeof(m.class));
	json_object_object_add(min, "kind", json_object_new_string(m.kind));
	json_object_object_add(min, "class", json_object_new_string(m.class));
	m.promises = json_object_from_file(prom);
	if (!m.promises) {
		fail_note(min, "%s: not readable", prom);
		goto out;
	}
	if (build_base(p, base)) {
		fail_note(min, "building the image at flush %lld: %s", p->point, strerror(errno));
		goto out;
	}
	units = state_units(base, state, &nunits);
	m.state_fd = open(state, O_RDONLY | O_CLOEXEC);
	set = identity(nunits);
	if (!units || !set || m.state_fd < 0) {
		fail_note(min, "reading %s against its base: %s", state, strerror(errno));
		goto out;
	}
	n = nunits;
	m.units = units;
	json_object_object_add(min, "pages_before", json_object_new_int64((int64_t)nunits));
	json_object_object_add(min, "sectors_before",
			       json_object_new_int64((int64_t)sectors_of(units, set, n)));
	if (pmt_image_copy(base, checker)) {
		fail_note(min, "copying %s: %s", base, strerror(errno));
		goto out;
	}
	booted = boot_checker(c, &vm, &m, err, sizeof(err));
	if (booted) {
		fail_note(min, "checker-boot: %s", err);
		goto out;
	}
	/* The state itself first: a failure that does not come back cannot be shrunk. */
	r = test_candidate(&m, set, n);
	checks++;
	if (r <= 0) {
		fail_note(min, "the state did not fail the same way again in a new checker%s%s",
			  m.seen[0] ? ": " : "", m.seen);
		goto out;
	}
	d.max_checks = p->max_checks - checks;
	d.deadline_ms = t0 + (int64_t)p->max_seconds * 1000;
	r = pmt_ddmin(&d, set, &n);
	checks += d.checks;
	if (!r && !d.bounded && n) {
		size_t *sset;

		/* The sector pass, on what the page pass left. */
		secs = sector_units(units, set, n, &nsecs);
		sset = identity(nsecs);
		if (secs && sset) {
			m.units = secs;
			d.max_checks = p->max_checks - checks;
			r = pmt_ddmin(&d, sset, &nsecs);
			checks += d.checks;
			final = merge_pages(secs, sset, nsecs, &nfinal);
		}
		free(sset);
	} else {
		final = merge_pages(units, set, n, &nfinal);
	}
	json_object_object_add(min, "checks", json_object_new_int(checks));
	json_object_object_add(min, "bounded", json_object_new_boolean(d.bounded));
	if (r < 0 || !final) {
		fail_note(min, "a check failed: %s", m.seen[0] ? m.seen : c->reason);
		goto out;
	}
	m.units = final;
	json_object_object_add(min, "pages_after", json_object_new_int64((int64_t)nfinal));
	{
		size_t *all = identity(nfinal);

		json_object_object_add(min, "sectors_after", json_object_new_int64(
					       all ? (int64_t)sectors_of(final, all, nfinal) : -1));
		free(all);
	}
	if (save_minimal(&m, p, c->fs, nfinal, min)) {
		fail_note(min, "saving the minimal state: %s", strerror(errno));
		goto out;
	}
	describe_pages(c, final, nfinal, json_object_get_string(json_object_object_get(min, "image")),
		       min);
	rc = 0;
out:
	json_object_object_add(min, "seconds", json_object_new_double(
				       (double)(pmt_now_ms() - t0) / 1000.0));
	if (booted >= 0) {
		pmt_case_phase(c, "minimize-shutdown");
		pmt_case_shutdown(c, &vm);
		vm.backend->release(&vm);
	}
	c->vm = main_vm;
	/* A framework failure here says nothing of the kernel: the FAIL stands. */
	if (c->verdict != verdict) {
		json_object_object_add(min, "brok", json_object_new_string(c->reason));
		c->verdict = verdict;
		snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
	}
	free(reason);
	if (m.state_fd >= 0)
		close(m.state_fd);
	json_object_put(m.promises);
	unlink(base);
	unlink(checker);
	pmt_cleanup_unregister(base);
	pmt_cleanup_unregister(checker);
	free(units);
	free(secs);
	free(final);
	free(set);
	return rc;
}
