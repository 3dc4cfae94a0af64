// SPDX-License-Identifier: MIT
/*
 * The reader's half of durable.h: the epoch log as the harness reads it
 * after a power cut (epochs, the image at a flush), the pages a crash may
 * or may not have made durable, and crash states built from them.  Linked
 * into the harness, not into the QEMU shim, which only writes the log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "durable_int.h"

/* ---- the epoch log ---- */

/* Is @s all decimal digits (and not empty)?  Its value in *@v. */
static int parse_seq(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

static int cmp_epoch(const void *a, const void *b)
{
	uint64_t x = ((const struct pmt_epoch *)a)->seq, y = ((const struct pmt_epoch *)b)->seq;

	return x < y ? -1 : x > y;
}

/* Load and validate one epoch file into @e (whose seq and path are set). */
static int epoch_load_one(struct pmt_epoch *e)
{
	struct stat st;
	uint64_t seq = 0, size = 0;
	int64_t n;
	int fd = open(e->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		pmt_dur_close_keep_errno(fd);
		return -1;
	}
	n = pmt_dur_journal_committed(fd, &size, &seq, &e->pages);
	close(fd);
	if (n < 0 || seq != e->seq) {
		free(e->pages);
		e->pages = NULL;
		errno = EBADMSG;
		return -1;
	}
	e->npages = (uint64_t)n;
	e->image_size = size;
	e->bytes = (uint64_t)st.st_size;
	return 0;
}

int pmt_epochs_load(const char *dir, struct pmt_epoch **epochs, size_t *n)
{
	char edir[PATH_MAX];
	struct pmt_epoch *v = NULL;
	size_t nv = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*epochs = NULL;
	*n = 0;
	if (pmt_dur_path_in(edir, sizeof(edir), dir, PMT_EPOCHS) < 0)
		return -1;
	d = opendir(edir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((errno = 0, de = readdir(d))) {
		uint64_t seq;

		if (!parse_seq(de->d_name, &seq))
			continue;
		if (nv == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct pmt_epoch *nw = realloc(v, c * sizeof(*nw));

			if (!nw) {
				errno = ENOMEM;
				goto fail;
			}
			v = nw;
			cap = c;
		}
		memset(&v[nv], 0, sizeof(v[nv]));
		v[nv].seq = seq;
		if (pmt_dur_path_in(v[nv].path, sizeof(v[nv].path), edir, de->d_name) < 0)
			goto fail;
		nv++;
	}
	if (errno)
		goto fail;
	closedir(d);
	d = NULL;
	qsort(v, nv, sizeof(*v), cmp_epoch);
	for (size_t i = 0; i < nv; i++) {
		/* Two names for one seq ("1" and "00000001"): not a log. */
		if (i && v[i].seq == v[i - 1].seq) {
			errno = EBADMSG;
			goto fail;
		}
		if (epoch_load_one(&v[i]) < 0)
			goto fail;
		if (i && v[i].image_size != v[0].image_size) {
			/* Epochs of two different images. */
			errno = EBADMSG;
			goto fail;
		}
	}
	*epochs = v;
	*n = nv;
	return 0;
fail:
	if (d)
		closedir(d);
	pmt_epochs_free(v, nv);
	return -1;
}

void pmt_epochs_free(struct pmt_epoch *e, size_t n)
{
	int err = errno;

	for (size_t i = 0; e && i < n; i++)
		free(e[i].pages);
	free(e);
	errno = err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int pmt_epoch_apply(const struct pmt_epoch *e, int img_fd, const uint64_t *sel,
		    size_t nsel, const uint32_t *torn_bytes)
{
	unsigned char page[PMT_PAGE_SIZE];
	unsigned char *found = NULL;
	size_t nt = sel ? nsel : (size_t)e->npages;
	int fd, ret = -1;

	/* Check everything before the first write: all or nothing. */
	for (size_t i = 0; i < nt && torn_bytes; i++) {
		if (torn_bytes[i] % 512 || torn_bytes[i] > PMT_PAGE_SIZE) {
			errno = EINVAL;
			return -1;
		}
	}
	if (sel) {
		for (size_t i = 1; i < nsel; i++) {
			if (sel[i] <= sel[i - 1]) {
				errno = EINVAL;
				return -1;
			}
		}
		found = calloc(nsel ? nsel : 1, 1);
		if (!found) {
			errno = ENOMEM;
			return -1;
		}
		for (uint64_t i = 0; i < e->npages; i++) {
			const uint64_t *hit = nsel ? bsearch(&e->pages[i], sel, nsel, sizeof(*sel),
							     cmp_u64) : NULL;

			if (hit)
				found[hit - sel] = 1;
		}
		for (size_t i = 0; i < nsel; i++) {
			if (!found[i]) {
				free(found);
				errno = EINVAL;
				return -1;
			}
		}
		free(found);
	}
	fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/*
	 * Records in journal order: a page journaled twice is written twice,
	 * the later record last, so it wins (and with the same torn length).
	 */
	for (uint64_t i = 0; i < e->npages; i++) {
		size_t k = (size_t)i, len = PMT_PAGE_SIZE;

		if (sel) {
			const uint64_t *hit = nsel ? bsearch(&e->pages[i], sel, nsel, sizeof(*sel),
							     cmp_u64) : NULL;

			if (!hit)
				continue;
			k = (size_t)(hit - sel);
		}
		if (torn_bytes)
			len = torn_bytes[k];
		if (!len)
			continue;
		if (pmt_dur_pread_full(fd, page, len, HDR_SIZE + i * REC_SIZE + 8) < 0 ||
		    pmt_dur_pwrite_full(img_fd, page, len, e->pages[i] * PMT_PAGE_SIZE) < 0)
			goto out;
	}
	ret = 0;
out:
	pmt_dur_close_keep_errno(fd);
	return ret;
}

/* ---- the flush counter ---- */


struct page_list {
	uint64_t *v;
	size_t n, cap;
};

static int list_push(struct page_list *l, uint64_t page)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = page;
	return 0;
}

static int collect_page(uint64_t page, const void *cur, void *arg)
{
	(void)cur;
	return list_push(arg, page);
}

/* Open both files and check they have the same size. */
static int open_pair(const char *a, const char *b, int *afd, int *bfd, uint64_t *size)
{
	struct stat sa, sb;

	*afd = open(a, O_RDONLY | O_CLOEXEC);
	*bfd = *afd < 0 ? -1 : open(b, O_RDONLY | O_CLOEXEC);
	if (*bfd < 0 || fstat(*afd, &sa) < 0 || fstat(*bfd, &sb) < 0)
		goto fail;
	if (sa.st_size != sb.st_size) {
		errno = EINVAL;
		goto fail;
	}
	*size = (uint64_t)sa.st_size;
	return 0;
fail:
	pmt_dur_close_keep_errno(*afd);
	pmt_dur_close_keep_errno(*bfd);
	*afd = *bfd = -1;
	return -1;
}

int pmt_dirty_pages(const char *durable_img, const char *current,
		    uint64_t **pages, size_t *n)
{
	struct page_list l = { 0 };
	int dfd, cfd;
	uint64_t size;
	int64_t r;

	*pages = NULL;
	*n = 0;
	if (open_pair(durable_img, current, &dfd, &cfd, &size) < 0)
		return -1;
	r = pmt_file_diff(dfd, cfd, NULL, size, collect_page, &l);
	close(dfd);
	close(cfd);
	if (r < 0) {
		free(l.v);
		if (r != -1)
			errno = (int)-r;
		return -1;
	}
	*pages = l.v;
	*n = l.n;
	return 0;
}

int pmt_subset_select(const uint64_t *dirty, size_t n, const struct pmt_subset *s,
		      uint64_t **chosen, size_t *nchosen)
{
	struct page_list l = { 0 };
	uint64_t state = 0;

	*chosen = NULL;
	*nchosen = 0;
	if (s->kind == PMT_SUBSET_SEEDED)
		state = s->seed + (s->n + 1) * 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i++) {
		int keep;

		switch (s->kind) {
		case PMT_SUBSET_ALL_LOST:
			keep = 0;
			break;
		case PMT_SUBSET_ALL_KEPT:
			keep = 1;
			break;
		case PMT_SUBSET_SEEDED:
			keep = (int)(pmt_splitmix64(&state) >> 63);
			break;
		default:
			free(l.v);
			errno = EINVAL;
			return -1;
		}
		if (keep && list_push(&l, dirty[i]) < 0) {
			free(l.v);
			errno = ENOMEM;
			return -1;
		}
	}
	*chosen = l.v;
	*nchosen = l.n;
	return 0;
}

int pmt_crash_state_write(const char *durable_img, const char *current,
			  const char *out, const uint64_t *pages, size_t n)
{
	unsigned char page[PMT_PAGE_SIZE];
	int dfd, cfd, ofd, fresh;
	uint64_t size;

	if (open_pair(durable_img, current, &dfd, &cfd, &size) < 0)
		return -1;
	ofd = pmt_dur_open_sized(out, size, &fresh);
	if (ofd < 0 || pmt_dur_sparse_copy(dfd, ofd, size, fresh) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = pages[i] * PMT_PAGE_SIZE;

		if (off >= size) {
			errno = ERANGE;
			goto fail;
		}
		if (pmt_dur_pread_full(cfd, page, PMT_PAGE_SIZE, off) < 0 ||
		    pmt_dur_pwrite_full(ofd, page, size - off < PMT_PAGE_SIZE ? size - off : PMT_PAGE_SIZE,
				off) < 0)
			goto fail;
	}
	close(dfd);
	close(cfd);
	return close(ofd);
fail:
	pmt_dur_close_keep_errno(dfd);
	pmt_dur_close_keep_errno(cfd);
	pmt_dur_close_keep_errno(ofd);
	return -1;
}

int pmt_crash_state_build(const char *durable_img, const char *current,
			  const char *out, const struct pmt_subset *s,
			  uint64_t **chosen, size_t *nchosen)
{
	uint64_t *dirty = NULL, *sel = NULL;
	size_t nd = 0, ns = 0;
	int r;

	if (chosen)
		*chosen = NULL;
	if (nchosen)
		*nchosen = 0;
	if (pmt_dirty_pages(durable_img, current, &dirty, &nd) < 0)
		return -1;
	if (pmt_subset_select(dirty, nd, s, &sel, &ns) < 0) {
		free(dirty);
		return -1;
	}
	free(dirty);
	r = pmt_crash_state_write(durable_img, current, out, sel, ns);
	if (r == 0 && chosen) {
		*chosen = sel;
		if (nchosen)
			*nchosen = ns;
	} else {
		free(sel);
	}
	return r;
}

int pmt_image_at_flush(const char *dir, const struct pmt_epoch *epochs, size_t n,
		       uint64_t flush, const char *out)
{
	char base[PATH_MAX];
	int fd, rc = 0;

	if (pmt_dur_path_in(base, sizeof(base), dir, PMT_BASE_IMG) < 0 || pmt_image_copy(base, out) < 0)
		return -1;
	fd = open(out, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* pmt_epochs_load() gives them in seq order: apply in that order. */
	for (size_t i = 0; i < n && !rc; i++)
		if (epochs[i].seq <= flush)
			rc = pmt_epoch_apply(&epochs[i], fd, NULL, 0, NULL);
	if (close(fd))
		rc = -1;
	return rc;
}
