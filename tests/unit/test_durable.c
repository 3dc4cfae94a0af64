// SPDX-License-Identifier: MIT
/* Unit tests: page diff, the durable image journal, the epoch log, the
 * flush counter, crash states. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "durable.h"
#include "pages_util.h"
#include "pmt_check.h"

#define NPAGES	256u	/* a 1 MiB image */
#define IMG_SIZE ((uint64_t)NPAGES * PMT_PAGE_SIZE)

static char tdir[64];
static char img[128], cur[128], jrnl[128];

static void setup(void)
{
	strcpy(tdir, "/tmp/pmt-durable-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	snprintf(img, sizeof(img), "%s/%s", tdir, PMT_DURABLE_IMG);
	snprintf(cur, sizeof(cur), "%s/current.img", tdir);
	snprintf(jrnl, sizeof(jrnl), "%s/%s", tdir, PMT_JOURNAL);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A page filled with a byte pattern derived from @tag. */
static unsigned char *read_all(const char *path, uint64_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (uint64_t)st.st_size;
	return b;
}

static void make_sparse(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)IMG_SIZE), 0);
	close(fd);
}

/* The content of page @page of @path equals fill(tag) (or zeros if tag < 0). */
static int page_is(const char *path, uint64_t page, int tag)
{
	unsigned char want[PMT_PAGE_SIZE], got[PMT_PAGE_SIZE];
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, got, sizeof(got), (off_t)(page * PMT_PAGE_SIZE)), PMT_PAGE_SIZE);
	close(fd);
	if (tag < 0)
		memset(want, 0, sizeof(want));
	else
		fill(want, (unsigned)tag);
	return memcmp(want, got, sizeof(got)) == 0;
}

struct seen {
	uint64_t pages[64];
	int n;
};

static int note(uint64_t page, const void *c, void *arg)
{
	struct seen *s = arg;

	(void)c;
	if (s->n < 64)
		s->pages[s->n] = page;
	s->n++;
	return 0;
}

START_TEST(page_diff_reports_differing_pages)
{
	size_t len = 16 * PMT_PAGE_SIZE + 100;	/* a partial last page too */
	unsigned char *a = calloc(1, len), *b = calloc(1, len);
	struct seen s = { 0 };

	b[0] = 1;				/* page 0 */
	b[5 * PMT_PAGE_SIZE + 4095] = 1;	/* last byte of page 5 */
	b[16 * PMT_PAGE_SIZE + 99] = 1;		/* the partial page 16 */
	ck_assert_int_eq(pmt_page_diff(a, b, len, note, &s), 3);
	ck_assert_int_eq(s.n, 3);
	ck_assert_uint_eq(s.pages[0], 0);
	ck_assert_uint_eq(s.pages[1], 5);
	ck_assert_uint_eq(s.pages[2], 16);
	ck_assert_int_eq(pmt_page_diff(a, a, len, NULL, NULL), 0);
	free(a);
	free(b);
}
END_TEST

static int stop_at_two(uint64_t page, const void *c, void *arg)
{
	(void)c;
	(void)arg;
	return page == 2 ? -42 : 0;
}

START_TEST(page_diff_callback_stops)
{
	unsigned char a[4 * PMT_PAGE_SIZE] = { 0 }, b[4 * PMT_PAGE_SIZE] = { 0 };

	for (int i = 0; i < 4; i++)
		b[i * PMT_PAGE_SIZE] = 1;
	ck_assert_int_eq(pmt_page_diff(a, b, sizeof(a), stop_at_two, NULL), -42);
}
END_TEST

START_TEST(file_diff_sparse_and_mem)
{
	struct seen s = { 0 };
	uint64_t len;
	unsigned char *m;
	int a, b;

	make_sparse(img);
	make_sparse(cur);
	write_page(img, 3, 1);		/* data in the old file only */
	write_page(cur, 3, 1);
	write_page(cur, 200, 2);	/* new data */
	write_page(img, 100, 3);	/* data only in old: now zeros */
	a = open(img, O_RDONLY);
	b = open(cur, O_RDONLY);
	ck_assert_int_eq(pmt_file_diff(a, b, NULL, IMG_SIZE, note, &s), 2);
	ck_assert_uint_eq(s.pages[0], 100);
	ck_assert_uint_eq(s.pages[1], 200);
	/* The same through a memory copy of the current file. */
	m = read_all(cur, &len);
	s.n = 0;
	ck_assert_int_eq(pmt_file_diff(a, -1, m, IMG_SIZE, note, &s), 2);
	ck_assert_uint_eq(s.pages[1], 200);
	free(m);
	close(a);
	close(b);
}
END_TEST

START_TEST(init_makes_a_sparse_copy)
{
	struct stat st;

	make_sparse(cur);
	write_page(cur, 7, 7);
	ck_assert_int_eq(pmt_durable_init(tdir, cur), 1);
	ck_assert(page_is(img, 7, 7));
	ck_assert(page_is(img, 8, -1));
	ck_assert_int_eq(stat(img, &st), 0);
	ck_assert_int_eq(st.st_size, IMG_SIZE);
	ck_assert_int_lt(st.st_blocks * 512, (long)(IMG_SIZE / 2));	/* sparse */
	ck_assert_int_eq(pmt_durable_init(tdir, cur), 0);		/* exists */
	ck_assert_int_eq(truncate(cur, IMG_SIZE * 2), 0);
	ck_assert_int_eq(pmt_durable_init(tdir, cur), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(commit_then_recover_is_a_noop)
{
	uint64_t pages[2] = { 1, 9 };
	unsigned char data[2 * PMT_PAGE_SIZE];

	make_sparse(img);
	fill(data, 11);
	fill(data + PMT_PAGE_SIZE, 19);
	ck_assert_int_eq(pmt_durable_commit(tdir, pages, data, 2), 0);
	ck_assert(page_is(img, 1, 11));
	ck_assert(page_is(img, 9, 19));
	ck_assert(page_is(img, 2, -1));
	ck_assert_int_eq(access(jrnl, F_OK), -1);
	ck_assert_int_eq(pmt_durable_recover(tdir), 0);
	ck_assert(page_is(img, 9, 19));
	/* A page past the end is refused, nothing changes. */
	pages[1] = NPAGES;
	ck_assert_int_eq(pmt_durable_commit(tdir, pages, data, 2), -1);
	ck_assert_int_eq(access(jrnl, F_OK), -1);
}
END_TEST

/* Write a journal of @n pages (tags 50+i at pages 10+i) and stop before
 * the commit record, or commit it without applying it. */
static void journal_of(unsigned n, int with_commit)
{
	struct pmt_journal j;
	unsigned char p[PMT_PAGE_SIZE];
	char keep[160];

	ck_assert_int_eq(pmt_journal_begin(&j, tdir), 0);
	for (unsigned i = 0; i < n; i++) {
		fill(p, 50 + i);
		ck_assert_int_eq(pmt_journal_add(&j, 10 + i, p), 0);
	}
	ck_assert_int_eq(pmt_journal_push(&j), 0);
	if (!with_commit) {
		/* Keep the file as a kill would: close without unlinking. */
		close(j.fd);
		j.fd = -1;
		pmt_journal_abort(&j);
		return;
	}
	/*
	 * A kill after the commit record, before durable.img is written:
	 * commit into a copy of the image, then put the old image back.
	 */
	snprintf(keep, sizeof(keep), "%s/keep.img", tdir);
	ck_assert_int_eq(link(img, keep), 0);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "cp --sparse=always %s %s.new && mv %s.new %s", img, img,
			 img, img);
		ck_assert_int_eq(system(cmd), 0);
	}
	close(j.img_fd);
	j.img_fd = open(img, O_RDWR);
	/* Hold the journal open under another name: commit unlinks it. */
	{
		char saved[160];

		snprintf(saved, sizeof(saved), "%s/journal.saved", tdir);
		ck_assert_int_eq(link(jrnl, saved), 0);
		ck_assert_int_eq(pmt_journal_commit(&j), 0);
		ck_assert_int_eq(rename(saved, jrnl), 0);
	}
	ck_assert_int_eq(rename(keep, img), 0);
}

START_TEST(torn_journal_no_commit_is_discarded)
{
	make_sparse(img);
	write_page(img, 10, 1);
	journal_of(4, 0);
	ck_assert_int_eq(access(jrnl, F_OK), 0);
	ck_assert_int_eq(pmt_durable_recover(tdir), 2);
	ck_assert_int_eq(access(jrnl, F_OK), -1);
	ck_assert(page_is(img, 10, 1));
	ck_assert(page_is(img, 11, -1));
}
END_TEST

START_TEST(torn_journal_truncated_mid_page_is_discarded)
{
	struct stat st;

	make_sparse(img);
	write_page(img, 12, 2);
	journal_of(4, 1);
	ck_assert_int_eq(stat(jrnl, &st), 0);
	ck_assert(page_is(img, 12, 2));		/* not applied yet */
	/* Cut it in the middle of the third record: a kill while writing. */
	ck_assert_int_eq(truncate(jrnl, 24 + 2 * 4104 + 1000), 0);
	ck_assert_int_eq(pmt_durable_recover(tdir), 2);
	ck_assert(page_is(img, 12, 2));
	ck_assert(page_is(img, 10, -1));
	ck_assert_int_eq(access(jrnl, F_OK), -1);
}
END_TEST

START_TEST(corrupt_record_is_discarded)
{
	int fd;

	make_sparse(img);
	journal_of(3, 1);
	fd = open(jrnl, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 24 + 4104 + 100), 1);	/* record 2's data */
	close(fd);
	ck_assert_int_eq(pmt_durable_recover(tdir), 2);
	ck_assert(page_is(img, 10, -1));
}
END_TEST

START_TEST(committed_unapplied_journal_is_replayed)
{
	make_sparse(img);
	write_page(img, 11, 5);
	journal_of(4, 1);
	ck_assert_int_eq(access(jrnl, F_OK), 0);
	ck_assert(page_is(img, 11, 5));		/* still old */
	ck_assert_int_eq(pmt_durable_recover(tdir), 1);
	for (unsigned i = 0; i < 4; i++)
		ck_assert(page_is(img, 10 + i, (int)(50 + i)));
	ck_assert_int_eq(access(jrnl, F_OK), -1);
	ck_assert_int_eq(pmt_durable_recover(tdir), 0);
}
END_TEST

/* durable.img with some data, current = durable + 64 dirty pages. */
static void crash_fixture(void)
{
	make_sparse(img);
	make_sparse(cur);
	for (unsigned p = 0; p < 4; p++) {
		write_page(img, p, 100 + p);
		write_page(cur, p, 100 + p);
	}
	for (unsigned i = 0; i < 64; i++)
		write_page(cur, 40 + i * 3, 200 + i);
}

static int same_sets(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

START_TEST(dirty_pages_lists_them)
{
	uint64_t *d;
	size_t n;

	crash_fixture();
	ck_assert_int_eq(pmt_dirty_pages(img, cur, &d, &n), 0);
	ck_assert_uint_eq(n, 64);
	for (unsigned i = 0; i < 64; i++)
		ck_assert_uint_eq(d[i], 40 + i * 3);
	free(d);
}
END_TEST

START_TEST(crash_state_all_lost_and_all_kept)
{
	char out[160];
	struct pmt_subset lost = { PMT_SUBSET_ALL_LOST }, kept = { PMT_SUBSET_ALL_KEPT };
	unsigned char *a, *b;
	uint64_t la, lb, *chosen;
	size_t nc;
	struct stat st;

	crash_fixture();
	snprintf(out, sizeof(out), "%s/state.img", tdir);
	ck_assert_int_eq(pmt_crash_state_build(img, cur, out, &lost, &chosen, &nc), 0);
	ck_assert_uint_eq(nc, 0);
	a = read_all(img, &la);
	b = read_all(out, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(a, b, la) == 0);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_lt(st.st_blocks * 512, (long)(IMG_SIZE / 2));	/* sparse */
	free(b);
	free(chosen);

	/* Rebuilt in place (same size: never truncated). */
	ck_assert_int_eq(pmt_crash_state_build(img, cur, out, &kept, &chosen, &nc), 0);
	ck_assert_uint_eq(nc, 64);
	free(a);
	a = read_all(cur, &la);
	b = read_all(out, &lb);
	ck_assert(memcmp(a, b, la) == 0);
	free(a);
	free(b);
	free(chosen);
}
END_TEST

START_TEST(crash_state_seeded_is_reproducible_and_exact)
{
	char out[160];
	struct pmt_subset s1 = { PMT_SUBSET_SEEDED, 42, 0 }, s2 = { PMT_SUBSET_SEEDED, 43, 0 };
	struct pmt_subset s3 = { PMT_SUBSET_SEEDED, 42, 1 };
	uint64_t *c1, *c1b, *c2, *c3;
	size_t n1, n1b, n2, n3;

	crash_fixture();
	snprintf(out, sizeof(out), "%s/state.img", tdir);
	ck_assert_int_eq(pmt_crash_state_build(img, cur, out, &s1, &c1, &n1), 0);
	ck_assert_int_eq(pmt_crash_state_build(img, cur, out, &s1, &c1b, &n1b), 0);
	ck_assert(same_sets(c1, n1, c1b, n1b));
	ck_assert_uint_gt(n1, 0);
	ck_assert_uint_lt(n1, 64);
	/* Every page is from current if chosen, else from durable.img. */
	for (unsigned i = 0; i < 64; i++) {
		uint64_t p = 40 + i * 3;
		int in = 0;

		for (size_t k = 0; k < n1; k++)
			in |= c1[k] == p;
		ck_assert(page_is(out, p, in ? (int)(200 + i) : -1));
	}
	for (unsigned p = 0; p < 4; p++)
		ck_assert(page_is(out, p, (int)(100 + p)));
	ck_assert_int_eq(pmt_crash_state_build(img, cur, out, &s2, &c2, &n2), 0);
	ck_assert(!same_sets(c1, n1, c2, n2));
	ck_assert_int_eq(pmt_crash_state_build(img, cur, out, &s3, &c3, &n3), 0);
	ck_assert(!same_sets(c1, n1, c3, n3));
	free(c1);
	free(c1b);
	free(c2);
	free(c3);
}
END_TEST

START_TEST(splitmix64_known_values)
{
	/* The reference splitmix64 sequence for seed 0. */
	uint64_t st = 0;

	ck_assert_uint_eq(pmt_splitmix64(&st), 0xE220A8397B1DCDAFull);
	ck_assert_uint_eq(pmt_splitmix64(&st), 0x6E789E6AA1B965F4ull);
}
END_TEST

START_TEST(crash_state_explicit_pages_and_bad_sizes)
{
	char out[160];
	uint64_t pages[2] = { 43, 46 }, *d;
	size_t n;

	crash_fixture();
	snprintf(out, sizeof(out), "%s/state.img", tdir);
	ck_assert_int_eq(pmt_crash_state_write(img, cur, out, pages, 2), 0);
	ck_assert(page_is(out, 43, 201));
	ck_assert(page_is(out, 46, 202));
	ck_assert(page_is(out, 40, -1));
	ck_assert_int_eq(truncate(cur, IMG_SIZE + PMT_PAGE_SIZE), 0);
	ck_assert_int_eq(pmt_dirty_pages(img, cur, &d, &n), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- the epoch log ---- */

static char *in_dir(const char *name)
{
	static char bufs[4][192];
	static int k;
	char *b = bufs[k++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tdir, name);
	return b;
}

/* Journal pages @pages[i] with tags @tags[i] as flush @seq; commit. */
static void commit_seq(uint64_t seq, const uint64_t *pages, const unsigned *tags, size_t n)
{
	struct pmt_journal j;
	unsigned char p[PMT_PAGE_SIZE];

	ck_assert_int_eq(pmt_journal_begin(&j, tdir), 0);
	for (size_t i = 0; i < n; i++) {
		fill(p, tags[i]);
		ck_assert_int_eq(pmt_journal_add(&j, pages[i], p), 0);
	}
	j.seq = seq;
	ck_assert_int_eq(pmt_journal_commit(&j), 0);
}

static int same_files(const char *a, const char *b)
{
	uint64_t la, lb;
	unsigned char *x = read_all(a, &la), *y = read_all(b, &lb);
	int same = la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

/*
 * @out = the durable image as of flush @upto, built by pmt_image_at_flush()
 * itself (the function that makes every crash state of the powercut and
 * flusheio scenarios), not by a copy of its loop here: a copy would keep
 * passing when that function breaks.
 */
static void replay(const char *out, uint64_t upto)
{
	struct pmt_epoch *e;
	size_t n;

	ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), 0);
	ck_assert_int_eq(pmt_image_at_flush(tdir, e, n, upto, out), 0);
	pmt_epochs_free(e, n);
}

START_TEST(epoch_files_have_their_seq)
{
	uint64_t pages[3] = { 4, 9, 2 };
	unsigned tags[3] = { 1, 2, 3 };
	struct pmt_epoch *e;
	size_t n;
	uint64_t u;
	int fd;

	make_sparse(img);
	commit_seq(7, pages, tags, 3);
	ck_assert_int_eq(access(jrnl, F_OK), -1);
	ck_assert_int_eq(access(in_dir("epochs/00000007"), F_OK), 0);
	/* The seq is in the commit record's fourth u64. */
	fd = open(in_dir("epochs/00000007"), O_RDONLY);
	ck_assert_int_eq(pread(fd, &u, 8, 24 + 3 * 4104 + 24), 8);
	close(fd);
	ck_assert_uint_eq(u, 7);
	/* Seq 0 (and pmt_durable_commit) keeps no epoch; no page, no epoch. */
	commit_seq(0, pages, tags, 1);
	ck_assert_int_eq(pmt_durable_commit(tdir, pages, img, 0), 0);
	commit_seq(8, pages, tags, 0);
	commit_seq(12, pages + 1, tags + 1, 2);
	ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(e[0].seq, 7);
	ck_assert_uint_eq(e[0].npages, 3);
	ck_assert_uint_eq(e[0].pages[0], 4);	/* journal order */
	ck_assert_uint_eq(e[0].pages[1], 9);
	ck_assert_uint_eq(e[0].pages[2], 2);
	ck_assert_uint_eq(e[0].bytes, 24 + 3 * 4104 + 32);
	ck_assert_uint_eq(e[0].image_size, IMG_SIZE);
	ck_assert_uint_eq(e[1].seq, 12);
	ck_assert_uint_eq(e[1].npages, 2);
	ck_assert_str_eq(e[1].path, in_dir("epochs/00000012"));
	pmt_epochs_free(e, n);
	ck_assert(page_is(img, 4, 1));
	ck_assert(page_is(img, 2, 3));
}
END_TEST

START_TEST(no_epoch_dir_is_an_empty_log)
{
	struct pmt_epoch *e = (void *)1;
	size_t n = 9;

	ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), 0);
	ck_assert_ptr_null(e);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/*
 * A kill after the commit record (before or after durable.img is written),
 * before the rename: commit for real, then put the epoch back as DIR/journal
 * (and, if @unapplied, durable.img back to its old content).
 */
static void kill_before_rename(int unapplied)
{
	uint64_t p1[2] = { 3, 5 }, p2[3] = { 5, 6, 200 };
	unsigned t1[2] = { 1, 2 }, t2[3] = { 3, 4, 5 };
	char old[200], out[200];

	snprintf(old, sizeof(old), "%s", in_dir("old.img"));
	snprintf(out, sizeof(out), "%s", in_dir("replay.img"));
	make_sparse(cur);
	write_page(cur, 100, 9);
	ck_assert_int_eq(pmt_durable_init(tdir, cur), 1);
	commit_seq(1, p1, t1, 2);
	ck_assert_int_eq(pmt_image_copy(img, old), 0);
	commit_seq(2, p2, t2, 3);
	ck_assert_int_eq(rename(in_dir("epochs/00000002"), jrnl), 0);
	if (unapplied)
		ck_assert_int_eq(pmt_image_copy(old, img), 0);

	ck_assert_int_eq(pmt_durable_recover(tdir), 1);
	ck_assert_int_eq(access(jrnl, F_OK), -1);
	ck_assert_int_eq(access(in_dir("epochs/00000002"), F_OK), 0);
	ck_assert(page_is(img, 5, 3));
	ck_assert(page_is(img, 200, 5));
	ck_assert(page_is(img, 3, 1));
	replay(out, 2);
	ck_assert(same_files(out, img));
	replay(out, 1);
	ck_assert(same_files(out, old));
	ck_assert_int_eq(pmt_durable_recover(tdir), 0);
}

START_TEST(recover_kill_before_rename_applied)
{
	kill_before_rename(0);
}
END_TEST

START_TEST(recover_kill_before_rename_unapplied)
{
	kill_before_rename(1);
}
END_TEST

START_TEST(recover_torn_journal_keeps_no_epoch)
{
	uint64_t p1[1] = { 3 };
	unsigned t1[1] = { 1 };
	struct pmt_epoch *e;
	size_t n;

	make_sparse(cur);
	ck_assert_int_eq(pmt_durable_init(tdir, cur), 1);
	commit_seq(1, p1, t1, 1);
	/* Epoch 2's journal cut before its commit record. */
	commit_seq(2, p1, t1, 1);
	ck_assert_int_eq(rename(in_dir("epochs/00000002"), jrnl), 0);
	ck_assert_int_eq(truncate(jrnl, 24 + 4104), 0);
	ck_assert_int_eq(pmt_durable_recover(tdir), 2);
	ck_assert_int_eq(access(jrnl, F_OK), -1);
	ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(e[0].seq, 1);
	pmt_epochs_free(e, n);
}
END_TEST

struct jctx {
	struct pmt_journal *j;
};

static int jrec(uint64_t page, const void *data, void *arg)
{
	struct jctx *c = arg;

	return pmt_journal_add(c->j, page, data) < 0 ? -errno : 0;
}

/* A shim flush by compare: journal what differs between cur and durable.img. */
static void flush_compare(uint64_t seq)
{
	struct pmt_journal j;
	struct jctx c = { &j };
	int fd = open(cur, O_RDONLY);

	ck_assert_int_eq(pmt_journal_begin(&j, tdir), 0);
	ck_assert_int_ge(pmt_file_diff(j.img_fd, fd, NULL, j.image_size, jrec, &c), 0);
	j.seq = seq;
	ck_assert_int_eq(pmt_journal_commit(&j), 0);
	close(fd);
}

START_TEST(base_plus_epochs_is_durable_after_each_flush)
{
	char out[200], snap[6][200];
	struct stat st;

	snprintf(out, sizeof(out), "%s", in_dir("replay.img"));
	make_sparse(cur);
	write_page(cur, 0, 1);
	write_page(cur, 50, 2);
	ck_assert_int_eq(pmt_durable_init(tdir, cur), 1);
	ck_assert(same_files(in_dir(PMT_BASE_IMG), cur));
	ck_assert_int_eq(stat(in_dir(PMT_BASE_IMG), &st), 0);
	ck_assert_int_lt(st.st_blocks * 512, (long)(IMG_SIZE / 2));	/* sparse */
	snprintf(snap[0], sizeof(snap[0]), "%s/snap0", tdir);
	ck_assert_int_eq(pmt_image_copy(img, snap[0]), 0);
	for (unsigned n = 1; n <= 5; n++) {
		/* Flush 3 changes nothing: it has no epoch. */
		if (n != 3) {
			write_page(cur, n * 7, 10 + n);
			write_page(cur, 0, 20 + n);		/* rewritten every time */
		}
		if (n == 4) {
			make_sparse(cur);			/* everything zero again */
			write_page(cur, 250, 99);
		}
		flush_compare(n);
		ck_assert(same_files(img, cur));
		snprintf(snap[n], sizeof(snap[n]), "%s/snap%u", tdir, n);
		ck_assert_int_eq(pmt_image_copy(img, snap[n]), 0);
	}
	ck_assert_int_eq(access(in_dir("epochs/00000003"), F_OK), -1);
	for (unsigned n = 0; n <= 5; n++) {
		replay(out, n);
		ck_assert_msg(same_files(out, snap[n]), "flush %u", n);
	}
}
END_TEST

START_TEST(duplicate_page_later_record_wins)
{
	uint64_t pages[3] = { 5, 8, 5 };
	unsigned tags[3] = { 1, 2, 3 };
	uint64_t sel[1] = { 5 };
	uint32_t torn[1] = { 1024 };
	struct pmt_epoch *e;
	size_t n;
	int fd;

	make_sparse(cur);
	ck_assert_int_eq(pmt_durable_init(tdir, cur), 1);
	commit_seq(1, pages, tags, 3);
	ck_assert(page_is(img, 5, 3));
	replay(in_dir("r.img"), 1);
	ck_assert(same_files(in_dir("r.img"), img));
	/* Selected and torn: the later record's first 1024 bytes. */
	ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), 0);
	make_sparse(cur);
	fd = open(cur, O_RDWR);
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, sel, 1, torn), 0);
	close(fd);
	{
		unsigned char want[PMT_PAGE_SIZE] = { 0 }, got[PMT_PAGE_SIZE];

		fill(want, 3);
		memset(want + 1024, 0, PMT_PAGE_SIZE - 1024);
		fd = open(cur, O_RDONLY);
		ck_assert_int_eq(pread(fd, got, sizeof(got), 5 * PMT_PAGE_SIZE), PMT_PAGE_SIZE);
		close(fd);
		ck_assert(memcmp(want, got, sizeof(got)) == 0);
	}
	ck_assert(page_is(cur, 8, -1));
	pmt_epochs_free(e, n);
}
END_TEST

/* Page @page of @path: its first @k bytes are fill(@tag), the rest fill(@rest). */
static int page_split(const char *path, uint64_t page, size_t k, unsigned tag, unsigned rest)
{
	unsigned char want[PMT_PAGE_SIZE], r[PMT_PAGE_SIZE], got[PMT_PAGE_SIZE];
	int fd = open(path, O_RDONLY);

	fill(want, tag);
	fill(r, rest);
	memcpy(want + k, r + k, PMT_PAGE_SIZE - k);
	ck_assert_int_eq(pread(fd, got, sizeof(got), (off_t)(page * PMT_PAGE_SIZE)), PMT_PAGE_SIZE);
	close(fd);
	return memcmp(want, got, sizeof(got)) == 0;
}

START_TEST(epoch_apply_sel_and_torn)
{
	uint64_t pages[4] = { 13, 10, 12, 11 };
	unsigned tags[4] = { 53, 50, 52, 51 };
	uint64_t sel[2] = { 11, 13 }, bad_sel[2] = { 11, 14 }, desc[2] = { 13, 11 };
	uint32_t torn[2] = { 512, 4096 }, bad_torn[2] = { 100, 4096 }, all_torn[4] = { 0, 4096, 3584, 512 };
	char out[200];
	struct pmt_epoch *e;
	size_t n;
	int fd;

	snprintf(out, sizeof(out), "%s", in_dir("out.img"));
	make_sparse(cur);
	for (unsigned p = 10; p < 14; p++)
		write_page(cur, p, 1);
	ck_assert_int_eq(pmt_durable_init(tdir, cur), 1);
	commit_seq(1, pages, tags, 4);
	ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), 0);
	ck_assert_uint_eq(n, 1);

	ck_assert_int_eq(pmt_image_copy(in_dir(PMT_BASE_IMG), out), 0);
	fd = open(out, O_RDWR);
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, sel, 2, torn), 0);
	ck_assert(page_split(out, 11, 512, 51, 1));
	ck_assert(page_is(out, 13, 53));
	ck_assert(page_is(out, 10, 1));
	ck_assert(page_is(out, 12, 1));
	/* sel without torn: whole pages. */
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, sel, 1, NULL), 0);
	ck_assert(page_is(out, 11, 51));
	ck_assert(page_is(out, 10, 1));
	/* Refused before any write: not e's page, not ascending, bad length. */
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, bad_sel, 2, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, desc, 2, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, sel, 2, bad_torn), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(page_is(out, 13, 53));
	close(fd);

	/* All pages, torn parallel to e->pages (journal order). */
	ck_assert_int_eq(pmt_image_copy(in_dir(PMT_BASE_IMG), out), 0);
	fd = open(out, O_RDWR);
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, NULL, 0, all_torn), 0);
	close(fd);
	ck_assert(page_is(out, 13, 1));			/* 0 bytes */
	ck_assert(page_is(out, 10, 50));		/* 4096 */
	ck_assert(page_split(out, 12, 3584, 52, 1));
	ck_assert(page_split(out, 11, 512, 51, 1));
	/* An empty selection writes nothing. */
	fd = open(out, O_RDWR);
	ck_assert_int_eq(pmt_epoch_apply(&e[0], fd, sel, 0, NULL), 0);
	close(fd);
	ck_assert(page_is(out, 13, 1));
	pmt_epochs_free(e, n);
}
END_TEST

static void expect_bad_log(void)
{
	struct pmt_epoch *e = (void *)1;
	size_t n = 9;

	ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_ptr_null(e);
	ck_assert_uint_eq(n, 0);
}

START_TEST(corrupt_epoch_is_ebadmsg)
{
	uint64_t pages[2] = { 1, 2 };
	unsigned tags[2] = { 1, 2 };
	char e2[200];
	int fd;

	snprintf(e2, sizeof(e2), "%s", in_dir("epochs/00000002"));
	make_sparse(img);
	commit_seq(1, pages, tags, 2);
	commit_seq(2, pages, tags, 2);
	/* A flipped data byte: the checksum fails. */
	fd = open(e2, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, "X", 1, 24 + 4104 + 100), 1);
	close(fd);
	expect_bad_log();
	/* Cut short: not a committed journal. */
	commit_seq(2, pages, tags, 2);
	ck_assert_int_eq(truncate(e2, 24 + 2 * 4104), 0);
	expect_bad_log();
	/* Whole, but under another seq's name. */
	commit_seq(2, pages, tags, 2);
	ck_assert_int_eq(rename(e2, in_dir("epochs/00000005")), 0);
	expect_bad_log();
	ck_assert_int_eq(rename(in_dir("epochs/00000005"), e2), 0);
	/* Two names for one seq. */
	ck_assert_int_eq(link(e2, in_dir("epochs/2")), 0);
	expect_bad_log();
	ck_assert_int_eq(unlink(in_dir("epochs/2")), 0);
	/* Other names are not epochs. */
	ck_assert_int_eq(link(e2, in_dir("epochs/.tmp")), 0);
	{
		struct pmt_epoch *e;
		size_t n;

		ck_assert_int_eq(pmt_epochs_load(tdir, &e, &n), 0);
		ck_assert_uint_eq(n, 2);
		pmt_epochs_free(e, n);
	}
}
END_TEST

START_TEST(image_copy_rewrites_in_place)
{
	char out[200];
	struct stat a, b;
	unsigned char *m;
	int fd;

	snprintf(out, sizeof(out), "%s", in_dir("out.img"));
	make_sparse(cur);
	write_page(cur, 3, 3);
	make_sparse(img);
	write_page(img, 9, 9);
	make_sparse(out);
	for (unsigned p = 0; p < NPAGES; p += 5)
		write_page(out, p, 7);
	ck_assert_int_eq(stat(out, &a), 0);
	/* A live mapping of the destination keeps working and sees the copy. */
	fd = open(out, O_RDWR);
	m = mmap(NULL, IMG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(pmt_image_copy(cur, out), 0);
	ck_assert_int_eq(stat(out, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert(same_files(out, cur));
	ck_assert_uint_eq(m[3 * PMT_PAGE_SIZE + 5], (unsigned char)(3 * 31 + 5 * 7 + 1));
	ck_assert_uint_eq(m[5 * PMT_PAGE_SIZE], 0);
	/*
	 * A reader of the mapping (QEMU's guest) during copies: a copy that
	 * shrank the file, even for a moment, would kill it with SIGBUS.
	 */
	{
		pid_t pid = fork();
		int status;

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			volatile unsigned char sink;

			for (;;)
				for (uint64_t o = 0; o < IMG_SIZE; o += PMT_PAGE_SIZE)
					sink = m[o];
			(void)sink;
		}
		for (int i = 0; i < 2000; i++)
			ck_assert_int_eq(pmt_image_copy(i % 2 ? cur : img, out), 0);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "the reader died of signal %d", WTERMSIG(status));
	}
	munmap(m, IMG_SIZE);
	close(fd);
	/* Another size: resized. */
	ck_assert_int_eq(truncate(out, 4096), 0);
	ck_assert_int_eq(pmt_image_copy(cur, out), 0);
	ck_assert(same_files(out, cur));
	ck_assert_int_eq(pmt_image_copy(in_dir("missing"), out), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(flush_counter_store_and_read)
{
	_Atomic uint64_t *w, *r;
	uint64_t v = 1;
	struct stat st;

	ck_assert_int_eq(pmt_flush_counter_read(tdir, &v), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(pmt_flush_counter_open(tdir, 1, &w), 0);
	ck_assert_int_eq(stat(in_dir(PMT_FLUSHED), &st), 0);
	ck_assert_int_eq(st.st_size, 8);
	ck_assert_int_eq(pmt_flush_counter_read(tdir, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(pmt_flush_counter_open(tdir, 0, &r), 0);
	pmt_flush_counter_store(w, 42);
	ck_assert_uint_eq(pmt_flush_counter_load(r), 42);
	ck_assert_int_eq(pmt_flush_counter_read(tdir, &v), 0);
	ck_assert_uint_eq(v, 42);
	pmt_flush_counter_close(w);
	pmt_flush_counter_close(r);
	/* Reopened by a restarted shim: the value stays. */
	ck_assert_int_eq(pmt_flush_counter_open(tdir, 1, &w), 0);
	ck_assert_uint_eq(pmt_flush_counter_load(w), 42);
	pmt_flush_counter_close(w);
	ck_assert_int_eq(truncate(in_dir(PMT_FLUSHED), 12), 0);
	ck_assert_int_eq(pmt_flush_counter_read(tdir, &v), -1);
	ck_assert_int_eq(errno, EBADMSG);
}
END_TEST

static const struct pmt_check_opts opts = {
	.setup = setup, .teardown = teardown,
};

PMT_CHECK_MAIN("durable", &opts, page_diff_reports_differing_pages,
	       page_diff_callback_stops, file_diff_sparse_and_mem,
	       init_makes_a_sparse_copy, commit_then_recover_is_a_noop,
	       torn_journal_no_commit_is_discarded,
	       torn_journal_truncated_mid_page_is_discarded,
	       corrupt_record_is_discarded,
	       committed_unapplied_journal_is_replayed, dirty_pages_lists_them,
	       crash_state_all_lost_and_all_kept,
	       crash_state_seeded_is_reproducible_and_exact,
	       splitmix64_known_values,
	       crash_state_explicit_pages_and_bad_sizes,
	       epoch_files_have_their_seq, no_epoch_dir_is_an_empty_log,
	       recover_kill_before_rename_applied,
	       recover_kill_before_rename_unapplied,
	       recover_torn_journal_keeps_no_epoch,
	       base_plus_epochs_is_durable_after_each_flush,
	       duplicate_page_later_record_wins, epoch_apply_sel_and_torn,
	       corrupt_epoch_is_ebadmsg, image_copy_rewrites_in_place,
	       flush_counter_store_and_read);
