// SPDX-License-Identifier: MIT
/*
 * bench-durable [DIR]: figures for the power-cut model on this machine.
 *   - page diff throughput over 1 GiB, warm (memory against memory);
 *   - the shim's cost per flush: 100 dirty pages of a 512 MiB backing file,
 *     compare-at-flush against durable.img plus the journal commit (what
 *     the shim does before the real fsync), on a sparse and a dense file;
 *     and on the dense file the same flush with the uffd tracker
 *     (PAGEMAP_SCAN of the written pages, then the same journal commit),
 *     where compare costs most;
 *   - the same uffd flush with the epoch log (the journal renamed to
 *     epochs/SEQ, two directory fsyncs) against without it (unlinked, one
 *     directory fsync), and the epoch log's bytes per flush;
 *   - crash-state build time for a 512 MiB image.
 * Prints figures and asserts nothing: speed depends on the machine.
 * DIR (default /var/tmp) is where the 512 MiB files go: pick the
 * filesystem you care about.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "uffd_track.h"

#define GiB		(1ull << 30)
#define FILE_SIZE	(512ull << 20)
#define DIRTY		100
#define ROUNDS		10

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-durable: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void bench_page_diff(void)
{
	unsigned char *a = malloc(GiB), *b = malloc(GiB);
	double t[5];
	int64_t n = 0;

	if (!a || !b)
		die("malloc 2 GiB");
	memset(a, 0x5a, GiB);
	memcpy(b, a, GiB);
	for (int i = 0; i < 100; i++)	/* a few differing pages */
		b[(uint64_t)i * 2609 * PMT_PAGE_SIZE % GiB] ^= 1;
	pmt_page_diff(a, b, GiB, NULL, NULL);	/* warm */
	for (int i = 0; i < 5; i++) {
		double t0 = now_s();

		n = pmt_page_diff(a, b, GiB, NULL, NULL);
		t[i] = now_s() - t0;
	}
	printf("page diff: 1 GiB warm in %.3f s = %.1f GB/s (%lld pages differ)\n",
	       median(t, 5), (double)GiB / median(t, 5) / 1e9, (long long)n);
	free(a);
	free(b);
}

/* Write @bytes of pseudo-random data at the start of @path (512 MiB file). */
static void make_file(const char *path, uint64_t bytes)
{
	static unsigned char buf[1 << 20];
	uint64_t st = 12345;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)FILE_SIZE) < 0)
		die(path);
	for (uint64_t off = 0; off < bytes; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i += 8) {
			uint64_t x = pmt_splitmix64(&st);

			memcpy(buf + i, &x, 8);
		}
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != (ssize_t)sizeof(buf))
			die(path);
	}
	close(fd);
}

struct rec {
	struct pmt_journal *j;
};

static int rec_page(uint64_t page, const void *cur, void *arg)
{
	struct rec *r = arg;

	return pmt_journal_add(r->j, page, cur) < 0 ? -errno : 0;
}

/* One shim-style flush: compare the mapping with durable.img, commit. */
static int64_t flush_once(const char *dir, int cur_fd, const unsigned char *map)
{
	struct pmt_journal j;
	struct rec r = { &j };
	int64_t n;

	if (pmt_journal_begin(&j, dir) < 0)
		die("journal begin");
	n = pmt_file_diff(j.img_fd, cur_fd, map, j.image_size, rec_page, &r);
	if (n < 0 || pmt_journal_commit(&j) < 0)
		die("flush");
	return n;
}

/* Returns the median ms of the shim-side flush (compare + commit). */
static double bench_flush(const char *dir, const char *label, uint64_t data_bytes)
{
	char file[4096], img[4096];
	double t[ROUNDS], tf[ROUNDS];
	unsigned char *map;
	uint64_t st = 99;
	int fd;

	snprintf(file, sizeof(file), "%s/backing.img", dir);
	snprintf(img, sizeof(img), "%s/%s", dir, PMT_DURABLE_IMG);
	unlink(img);
	make_file(file, data_bytes);
	if (pmt_durable_init(dir, file) < 0)
		die("durable init");
	fd = open(file, O_RDWR);
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || map == MAP_FAILED)
		die("map");
	flush_once(dir, fd, map);	/* warm the page cache */
	for (int r = 0; r < ROUNDS; r++) {
		double t0;
		int64_t n;

		/* Dirty pages inside the data (a dense file) or anywhere. */
		for (int i = 0; i < DIRTY; i++) {
			uint64_t span = data_bytes ? data_bytes : FILE_SIZE;
			uint64_t page = pmt_splitmix64(&st) % (span / PMT_PAGE_SIZE);

			map[page * PMT_PAGE_SIZE + (uint64_t)r] ^= 0xff;
		}
		t0 = now_s();
		n = flush_once(dir, fd, map);
		t[r] = (now_s() - t0) * 1e3;
		t0 = now_s();
		fsync(fd);
		tf[r] = (now_s() - t0) * 1e3;
		if (n > DIRTY)
			fprintf(stderr, "bench-durable: %lld pages recorded\n", (long long)n);
	}
	printf("shim flush, %s 512 MiB file, %d dirty pages: %.2f ms (compare + journal "
	       "commit, median of %d); the real fsync after it: %.2f ms\n",
	       label, DIRTY, median(t, ROUNDS), ROUNDS, median(tf, ROUNDS));
	munmap(map, FILE_SIZE);
	close(fd);
	return median(t, ROUNDS);
}

struct urec {
	struct pmt_journal *j;
	const unsigned char *map;
};

/* As the shim: journal a written page only if durable.img differs. */
static int urec_page(uint64_t page, void *arg)
{
	struct urec *u = arg;
	unsigned char old[PMT_PAGE_SIZE];
	const unsigned char *cur = u->map + page * PMT_PAGE_SIZE;

	if (pread(u->j->img_fd, old, sizeof(old), (off_t)(page * PMT_PAGE_SIZE)) !=
	    (ssize_t)sizeof(old))
		return -EIO;
	if (!memcmp(old, cur, sizeof(old)))
		return 0;
	return pmt_journal_add(u->j, page, cur) < 0 ? -errno : 0;
}

/*
 * The uffd tracker on the file bench_flush() left (durable.img equal to
 * it): the same 100 dirty pages per round, the flush being PAGEMAP_SCAN
 * (get and re-protect the written pages) plus the same journal commit.
 * Rounds alternate between keeping each journal as epochs/SEQ (the
 * shim's path: rename, fsync of epochs/ and DIR) and unlinking it (the
 * path before the epoch log: unlink, fsync of DIR), so the machine's
 * noise falls on both alike.
 */
#define UROUNDS	(2 * ROUNDS)
static void bench_flush_uffd(const char *dir, const char *label, double compare_ms)
{
	char file[4096];
	double t[2][ROUNDS], ts[2][ROUNDS], tc[2][ROUNDS];
	struct pmt_uffd trk;
	struct pmt_epoch *e;
	const char *step = "";
	unsigned char *map;
	uint64_t st = 77, seq = 0, bytes = 0, pages = 0;
	size_t ne;
	int fd;

	snprintf(file, sizeof(file), "%s/backing.img", dir);
	fd = open(file, O_RDWR);
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd < 0 || map == MAP_FAILED)
		die("map");
	if (pmt_uffd_arm(&trk, map, FILE_SIZE, &step) < 0) {
		printf("shim flush, %s 512 MiB file, uffd: unavailable (%s: %s); compare: %.2f ms\n",
		       label, step, strerror(errno), compare_ms);
		munmap(map, FILE_SIZE);
		close(fd);
		return;
	}
	for (int r = 0; r < UROUNDS; r++) {
		struct pmt_journal j;
		struct urec u = { &j, map };
		int keep = r & 1;
		double t0, t1;
		int64_t n;

		for (int i = 0; i < DIRTY; i++) {
			uint64_t page = pmt_splitmix64(&st) % (FILE_SIZE / PMT_PAGE_SIZE);

			map[page * PMT_PAGE_SIZE + 64 + (uint64_t)r] ^= 0xff;
		}
		t0 = now_s();
		if (pmt_journal_begin(&j, dir) < 0)
			die("journal begin");
		n = pmt_uffd_collect(&trk, urec_page, &u, &step);
		t1 = now_s();
		j.seq = keep ? ++seq : 0;
		if (n < 0 || pmt_journal_commit(&j) < 0)
			die(n < 0 ? step : "commit");
		t[keep][r / 2] = (now_s() - t0) * 1e3;
		ts[keep][r / 2] = (t1 - t0) * 1e3;
		tc[keep][r / 2] = t[keep][r / 2] - ts[keep][r / 2];
		fsync(fd);
		if (n > DIRTY)
			fprintf(stderr, "bench-durable: uffd reported %lld pages\n", (long long)n);
	}
	for (int keep = 0; keep < 2; keep++)
		printf("shim flush, %s 512 MiB file, %d dirty pages, %s: uffd %.2f ms (scan + compare "
		       "of the written pages %.2f ms, journal commit %.2f ms; median of %d) vs "
		       "compare %.2f ms\n", label, DIRTY,
		       keep ? "epoch log kept (rename)" : "no epoch log (unlink)",
		       median(t[keep], ROUNDS), median(ts[keep], ROUNDS), median(tc[keep], ROUNDS),
		       ROUNDS, compare_ms);
	printf("epoch log cost per flush (uffd, %s, %d pages): %+.2f ms in the journal commit\n",
	       label, DIRTY, median(tc[1], ROUNDS) - median(tc[0], ROUNDS));
	if (pmt_epochs_load(dir, &e, &ne) < 0)
		die("epochs load");
	for (size_t i = 0; i < ne; i++) {
		bytes += e[i].bytes;
		pages += e[i].npages;
	}
	printf("epoch log: %zu epochs, %.0f bytes per flush (%.1f pages per flush; "
	       "%.0f bytes per page), %.1f MiB in all\n", ne, ne ? (double)bytes / (double)ne : 0,
	       ne ? (double)pages / (double)ne : 0, pages ? (double)bytes / (double)pages : 0,
	       (double)bytes / (1 << 20));
	pmt_epochs_free(e, ne);
	pmt_uffd_disarm(&trk);
	munmap(map, FILE_SIZE);
	close(fd);
}

static void bench_crash_state(const char *dir, const char *label)
{
	char file[4096], img[4096], out[4096];
	struct pmt_subset s = { PMT_SUBSET_SEEDED, 7, 0 };
	double t[5];
	uint64_t *chosen;
	size_t n = 0;

	snprintf(file, sizeof(file), "%s/backing.img", dir);
	snprintf(img, sizeof(img), "%s/%s", dir, PMT_DURABLE_IMG);
	snprintf(out, sizeof(out), "%s/state.img", dir);
	unlink(out);
	for (int i = 0; i < 5; i++) {
		double t0 = now_s();

		s.n = (uint64_t)i;
		if (pmt_crash_state_build(img, file, out, &s, &chosen, &n) < 0)
			die("crash state");
		t[i] = (now_s() - t0) * 1e3;
		free(chosen);
	}
	printf("crash state, %s 512 MiB image: %.1f ms to build (diff + copy + %zu pages, "
	       "median of 5)\n", label, median(t, 5), n);
}

/* Write DIRTY pages of DIR/backing.img, @stride pages apart, after its last flush. */
static void dirty_pages(const char *dir, off_t stride)
{
	unsigned char page[PMT_PAGE_SIZE];
	char file[4096];
	int fd;

	snprintf(file, sizeof(file), "%s/backing.img", dir);
	fd = open(file, O_RDWR);
	memset(page, 0xa5, sizeof(page));
	for (int i = 0; i < DIRTY; i++)
		if (pwrite(fd, page, sizeof(page), (off_t)i * stride * PMT_PAGE_SIZE) < 0)
			die("pwrite");
	close(fd);
}

int main(int argc, char **argv)
{
	char dir[4096];
	const char *base = argc > 1 && argv[1][0] ? argv[1] : "/var/tmp";

	snprintf(dir, sizeof(dir), "%s/bench-durable.XXXXXX", base);
	if (!mkdtemp(dir))
		die(dir);
	printf("bench-durable in %s\n", dir);
	bench_page_diff();

	/* A freshly made filesystem: 16 MiB of data, the rest holes. */
	bench_flush(dir, "sparse (16 MiB data)", 16ull << 20);
	/* Leave 100 pages dirty against durable.img for the crash state. */
	dirty_pages(dir, 37);
	bench_crash_state(dir, "sparse");

	{
		double compare_ms = bench_flush(dir, "dense", FILE_SIZE);

		bench_flush_uffd(dir, "dense", compare_ms);
	}
	dirty_pages(dir, 997);
	bench_crash_state(dir, "dense");

	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-durable: could not remove %s\n", dir);
	}
	return 0;
}
