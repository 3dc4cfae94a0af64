// SPDX-License-Identifier: MIT
/*
 * Unit tests: the crash-state walk (harness/check/crash_walk.h) over a real
 * epoch log made with the shim's own writer (durable.h), with a stand-in
 * state checker in place of a checker guest.  The stand-in is the oracle:
 * every state it is handed must be the durable image at its point, with
 * each page either as it was there or as the next flush (or, at the last
 * point, QEMU's file) has it, whole or torn at a sector.
 */
#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash_walk.h"
#include "durable.h"
#include "pages_util.h"
#include "pmt_check.h"
#include "util.h"

#define NPAGES		64u
#define IMG_SIZE	((uint64_t)NPAGES * PMT_PAGE_SIZE)
#define LAST		8	/* flushes 1..LAST */
#define FIRST		1	/* the first point: the flush count after "mkfs" */

static char dir[64], cur[128], src[128];
/* Pages each flush carries: seq, seq + 10, 0 (the first npages[seq] of them). */
static const size_t npages[LAST + 1] = { 0, 1, 0, 2, 0, 0, 3, 1, 0 };

static void commit(uint64_t seq, const uint64_t *pages, size_t n, unsigned tag)
{
	struct pmt_journal j;
	unsigned char p[PMT_PAGE_SIZE];

	ck_assert_int_eq(pmt_journal_begin(&j, dir), 0);
	for (size_t i = 0; i < n; i++) {
		fill(p, tag + (unsigned)i);
		ck_assert_int_eq(pmt_journal_add(&j, pages[i], p), 0);
	}
	j.seq = seq;
	ck_assert_int_eq(pmt_journal_commit(&j), 0);
}

/*
 * Flushes 1..LAST; 1, 3, 6 and 7 carry 1, 2, 3 and 1 pages (pages seq,
 * seq + 10, 0; tags 100 * seq + i), the others none (no epoch: the same
 * bytes as the point before).  QEMU's file after the cut holds two pages no
 * flush carried.  A promise is made after flushes 2 and 5 only, so points
 * 3 and 4 have the same bytes and the same promises: 4's one state repeats
 * 3's and is not checked again.  States per point 1..8: 1 5 1 1 5 3 1 5.
 * The seed is fixed: which pages a seeded state keeps or tears is too.
 */
static struct json_object *fixture(void)
{
	struct json_object *events = json_object_new_array();
	int fd;

	strcpy(dir, "/tmp/pmt-walk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/src.img", dir);
	snprintf(cur, sizeof(cur), "%s/current.img", dir);
	fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)IMG_SIZE), 0);
	close(fd);
	write_page(src, 0, 1);
	ck_assert_int_eq(pmt_durable_init(dir, src), 1);
	for (uint64_t seq = 1; seq <= LAST; seq++) {
		uint64_t pages[3] = { seq, seq + 10, 0 };

		if (npages[seq])
			commit(seq, pages, npages[seq], 100 * (unsigned)seq);
	}
	{
		char durable[160];

		snprintf(durable, sizeof(durable), "%s/%s", dir, PMT_DURABLE_IMG);
		ck_assert_int_eq(pmt_image_copy(durable, cur), 0);
	}
	write_page(cur, 40, 7000);
	write_page(cur, 41, 7001);
	for (int k = 2; k <= 5; k += 3) {
		char text[160];

		snprintf(text, sizeof(text), "{\"event\":\"promise\",\"kind\":\"exists\","
			 "\"path\":\"f%d\",\"op\":%d,\"flushed\":%d}", k, k, k);
		json_object_array_add(events, json_tokener_parse(text));
	}
	return events;
}

static void teardown_dir(void)
{
	pmt_rm_rf(dir);
}

/*
 * The stand-in checker: checks each state's bytes; with @planted, a state
 * that shows flush 3's page 3 has an fsck problem and one that shows flush
 * 6's page 6 a broken promise (first sector enough: torn pages count).
 */
struct oracle {
	const struct pmt_walk_plan *p;
	int calls;
	int bad_pages;		/* states no point explains */
	bool planted;
};

static unsigned char *read_img(const char *path)
{
	unsigned char *b = malloc(IMG_SIZE);
	int fd = open(path, O_RDONLY);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, b, IMG_SIZE, 0), (ssize_t)IMG_SIZE);
	close(fd);
	return b;
}

/*
 * The image at flush @n, or for n > LAST QEMU's file: from the fixture's
 * own description, not from the library under test.
 */
static unsigned char *image_at(long long n)
{
	unsigned char *b;

	if (n > LAST)
		return read_img(cur);
	b = calloc(1, IMG_SIZE);
	ck_assert_ptr_nonnull(b);
	fill(b, 1);	/* src's page 0 */
	for (long long seq = 1; seq <= n; seq++) {
		uint64_t pages[3] = { (uint64_t)seq, (uint64_t)seq + 10, 0 };

		for (size_t i = 0; i < npages[seq]; i++)
			fill(b + pages[i] * PMT_PAGE_SIZE, 100 * (unsigned)seq + (unsigned)i);
	}
	return b;
}

/* Page @i of @got is @old's, @new's, or @new's first sectors then @old's. */
static int page_ok(const unsigned char *got, const unsigned char *old, const unsigned char *new)
{
	for (unsigned cut = 0; cut <= PMT_PAGE_SIZE; cut += 512)
		if (!memcmp(got, new, cut) && !memcmp(got + cut, old + cut, PMT_PAGE_SIZE - cut))
			return 1;
	return 0;
}

static bool shows(const unsigned char *img, uint64_t page, unsigned tag)
{
	unsigned char p[PMT_PAGE_SIZE];

	fill(p, tag);
	return !memcmp(img + page * PMT_PAGE_SIZE, p, 512);
}

static int oracle_check(void *ctx, struct json_object *promises, struct json_object *problems)
{
	struct oracle *o = ctx;
	/* The point, from the promises in force: f2 from point 2, f5 from 5. */
	size_t np = json_object_array_length(promises);
	unsigned char *got = read_img(o->p->checker_img), *a, *b;
	long long lo = np == 0 ? FIRST : np == 1 ? 2 : 5, hi = np == 0 ? 1 : np == 1 ? 4 : LAST;
	int ok_somewhere = 0;

	o->calls++;
	/* Some point in [lo, hi] explains every page. */
	for (long long n = lo; n <= hi && !ok_somewhere; n++) {
		int ok = 1;

		a = image_at(n);
		b = image_at(n + 1);
		for (unsigned i = 0; i < NPAGES && ok; i++)
			ok = page_ok(got + i * PMT_PAGE_SIZE, a + i * PMT_PAGE_SIZE,
				     b + i * PMT_PAGE_SIZE);
		ok_somewhere = ok;
		free(a);
		free(b);
	}
	if (!ok_somewhere)
		o->bad_pages++;
	if (o->planted && shows(got, 3, 300))
		json_object_array_add(problems, json_object_new_string(
			"fsck found problems: inode 12 has illegal blocks"));
	if (o->planted && shows(got, 6, 600))
		json_object_array_add(problems, json_object_new_string(
			"exists promise on f5 (op 5) broken: file missing"));
	free(got);
	return json_object_array_length(problems) > 0;
}

static void plan_init(struct pmt_walk_plan *p, struct json_object *events, int share, int nshares)
{
	static char point[8][160], checker[8][160];

	memset(p, 0, sizeof(*p));
	snprintf(point[share], sizeof(point[0]), "%s/point-%d.img", dir, share);
	snprintf(checker[share], sizeof(checker[0]), "%s/checker-%d.img", dir, share);
	p->dir = dir;
	p->current = cur;
	p->events = events;
	p->first = FIRST;
	p->last = LAST;
	p->crash_states = 2;
	p->seed = 42;
	p->point_img = point[share];
	p->checker_img = checker[share];
	p->save_dir = dir;
	p->fs = "ext4";
	p->share = share;
	p->nshares = nshares;
}

static void walk(struct json_object *events, int share, int nshares, struct oracle *o,
		 struct pmt_walk_result *r)
{
	struct pmt_walk_plan p;
	struct pmt_state_check chk = { .check = oracle_check, .ctx = o };

	plan_init(&p, events, share, nshares);
	o->p = &p;
	pmt_walk_result_init(r);
	ck_assert_int_eq(pmt_crash_walk(&p, &chk, r), 0);
	ck_assert_str_eq(r->brok, "");
	o->p = NULL;
}

START_TEST(every_state_is_its_point_plus_next_pages)
{
	struct json_object *events = fixture();
	struct oracle o = { .planted = false };
	struct pmt_walk_result r;

	walk(events, 0, 1, &o, &r);
	ck_assert_int_eq(o.bad_pages, 0);
	ck_assert_int_eq(r.points, LAST - FIRST + 1);
	ck_assert_int_eq(r.states, o.calls);
	/*
	 * 22 states made (fixture()), 3 of them repeats of the state before:
	 * p2-torn tore neither of its 2 pages (each is torn by a coin), so it
	 * is p2-kept; p4-lost is p3-lost; p8-lost is p7-lost (no epoch 8).
	 */
	ck_assert_int_eq(r.states, 19);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(r.report, 5), "state")), "p3-lost");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(r.report, 6), "state")), "p5-lost");
	ck_assert_int_eq(json_object_array_length(r.report), (size_t)r.states);
	ck_assert_int_eq(json_object_array_length(r.timeline), LAST - FIRST + 1);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_int_gt(r.promises_checked, 0);
	pmt_walk_result_free(&r);
	json_object_put(events);
	teardown_dir();
}
END_TEST

/* A torn or kept page is found; the walk's failures, kinds and saved state. */
START_TEST(broken_states_are_tallied_gravest_first)
{
	struct json_object *events = fixture();
	struct oracle o = { .planted = true };
	struct pmt_walk_result r;
	char img[192];

	walk(events, 0, 1, &o, &r);
	ck_assert_int_gt(r.bad, 1);
	ck_assert_int_gt(r.kinds[0], 0);	/* promise */
	ck_assert_int_gt(r.kinds[1], 0);	/* fsck */
	/* The fsck states came first (p2-kept), the promise state is graver:
	 * the first of those, p5-kept, is named and saved. */
	ck_assert_int_eq(r.first_rank, 0);
	ck_assert_ptr_eq(strstr(r.first_bad, "state p5-kept (flush 5, 3 of 3 next pages kept, 0 torn): "
				 "exists promise on f5"), r.first_bad);
	snprintf(img, sizeof(img), "%s/state-p5-kept.img", dir);
	ck_assert_int_eq(access(img, R_OK), 0);
	ck_assert_ptr_nonnull(strstr(r.cmd, "pmtorture run --scenario replay --fs ext4 --replay '"));
	ck_assert_ptr_nonnull(strstr(r.cmd, img));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
		json_object_array_get_idx(r.failures, 0), "kind")), "fsck");
	pmt_walk_result_free(&r);
	json_object_put(events);
	teardown_dir();
}
END_TEST

/* Shares walked one after the other and merged give the one walker's result. */
START_TEST(shares_merge_to_the_single_walk)
{
	struct json_object *events = fixture();
	struct pmt_walk_result one;
	struct oracle o = { .planted = true };

	walk(events, 0, 1, &o, &one);
	for (int k_n = 2; k_n <= 4; k_n++) {
		struct pmt_walk_result all;

		pmt_walk_result_init(&all);
		for (int k = 0; k < k_n; k++) {
			struct pmt_walk_result part, back;
			struct json_object *j;

			walk(events, k, k_n, &o, &part);
			/* Through JSON, as a checker process hands it over. */
			j = pmt_walk_result_to_json(&part);
			ck_assert_int_eq(pmt_walk_result_from_json(j, &back), 0);
			json_object_put(j);
			pmt_walk_merge(&all, &back);
			pmt_walk_result_free(&part);
			pmt_walk_result_free(&back);
		}
		ck_assert_int_eq(all.points, one.points);
		ck_assert_int_eq(all.states, one.states);
		ck_assert_int_eq(all.promises_checked, one.promises_checked);
		ck_assert_int_eq(all.bad, one.bad);
		ck_assert_int_eq(all.bad_points, one.bad_points);
		ck_assert_str_eq(all.first_bad, one.first_bad);
		ck_assert_str_eq(all.cmd, one.cmd);
		ck_assert_str_eq(json_object_to_json_string(all.report),
				 json_object_to_json_string(one.report));
		ck_assert_str_eq(json_object_to_json_string(all.failures),
				 json_object_to_json_string(one.failures));
		ck_assert_str_eq(json_object_to_json_string(all.timeline),
				 json_object_to_json_string(one.timeline));
		pmt_walk_result_free(&all);
	}
	ck_assert_int_eq(o.bad_pages, 0);
	pmt_walk_result_free(&one);
	json_object_put(events);
	teardown_dir();
}
END_TEST

/* --crash-points N: N seeded points, the last always; shares split them. */
START_TEST(chosen_points_only)
{
	struct json_object *events = fixture();
	struct oracle o = { .planted = false };
	struct pmt_walk_plan p;
	struct pmt_state_check chk = { .check = oracle_check, .ctx = &o };
	struct pmt_walk_result r, a, b;

	plan_init(&p, events, 0, 1);
	p.crash_points = 3;
	o.p = &p;
	pmt_walk_result_init(&r);
	ck_assert_int_eq(pmt_crash_walk(&p, &chk, &r), 0);
	ck_assert_int_eq(r.points, 3);
	ck_assert_int_eq(json_object_get_int64(json_object_array_get_idx(
		json_object_array_get_idx(r.timeline, 2), 0)), LAST);
	plan_init(&p, events, 0, 2);
	p.crash_points = 3;
	pmt_walk_result_init(&a);
	ck_assert_int_eq(pmt_crash_walk(&p, &chk, &a), 0);
	plan_init(&p, events, 1, 2);
	p.crash_points = 3;
	pmt_walk_result_init(&b);
	ck_assert_int_eq(pmt_crash_walk(&p, &chk, &b), 0);
	ck_assert_int_eq(a.points + b.points, 3);
	pmt_walk_merge(&a, &b);
	ck_assert_str_eq(json_object_to_json_string(a.report), json_object_to_json_string(r.report));
	ck_assert_int_eq(o.bad_pages, 0);
	pmt_walk_result_free(&r);
	pmt_walk_result_free(&a);
	pmt_walk_result_free(&b);
	json_object_put(events);
	teardown_dir();
}
END_TEST

/* The log must rebuild the shim's durable image: else the walk stops, BROK. */
START_TEST(a_log_that_does_not_rebuild_durable_img_stops_the_walk)
{
	struct json_object *events = fixture();
	struct oracle o = { .planted = false };
	struct pmt_walk_plan p;
	struct pmt_state_check chk = { .check = oracle_check, .ctx = &o };
	struct pmt_walk_result r;
	char durable[160];

	snprintf(durable, sizeof(durable), "%s/%s", dir, PMT_DURABLE_IMG);
	write_page(durable, 30, 9999);
	plan_init(&p, events, 0, 1);
	o.p = &p;
	pmt_walk_result_init(&r);
	ck_assert_int_eq(pmt_crash_walk(&p, &chk, &r), -1);
	ck_assert_ptr_nonnull(strstr(r.brok, "the epoch log does not rebuild"));
	ck_assert_ptr_nonnull(strstr(r.brok, "(1 pages differ)"));
	pmt_walk_result_free(&r);
	json_object_put(events);
	teardown_dir();
}
END_TEST

START_TEST(problem_kinds)
{
	ck_assert_str_eq(pmt_walk_problem_kind("mount failed: JBD2: Invalid checksum recovering "
					       "block 5; error loading journal"), "journal-checksum");
	ck_assert_str_eq(pmt_walk_problem_kind("mount failed: bad superblock"), "mount");
	ck_assert_str_eq(pmt_walk_problem_kind("fsck: 1 error"), "fsck");
	ck_assert_str_eq(pmt_walk_problem_kind("file promise on a broken"), "promise");
}
END_TEST

static const struct pmt_check_opts opts = {
	.timeout = 60,
};

PMT_CHECK_MAIN("crash_walk", &opts, every_state_is_its_point_plus_next_pages,
	       broken_states_are_tallied_gravest_first,
	       shares_merge_to_the_single_walk, chosen_points_only,
	       a_log_that_does_not_rebuild_durable_img_stops_the_walk,
	       problem_kinds);
