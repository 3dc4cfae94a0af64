// SPDX-License-Identifier: MIT
/*
 * The durable image and its redo journal, the page diff, the flush
 * counter: the writer's half of durable.h, with what both halves share.
 * See durable.h for the on-disk formats and the commit order.  libc only:
 * this file is linked into the QEMU shim as well as the harness; the
 * reader's half (epochs.c) only into the harness.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "durable.h"
#include "durable_int.h"
#include "sys_raw.h"

#define JRNL_MAGIC	"PMTJRNL1"
#define COMMIT_MAGIC	"PMTCOMMT"
#define JRNL_VERSION	1u
#define COMMIT_SIZE	32u
#define BUF_RECS	64u			/* records per write(2) */
#define DIFF_CHUNK	(1u << 20)		/* bytes compared per read */

/* ---- small I/O helpers ---- */

int pmt_dur_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			/* Past EOF reads as zeros, like a hole. */
			memset(p, 0, len);
			return 0;
		}
		p += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

int pmt_dur_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t r = pwrite(fd, p, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

void pmt_dur_close_keep_errno(int fd)
{
	int e = errno;

	if (fd >= 0)
		pmt_raw_close(fd);
	errno = e;
}

int pmt_dur_path_in(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void fsync_dir(const char *dir)
{
	int e = errno, dfd = pmt_raw_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (dfd >= 0) {
		pmt_raw_fsync(dfd);
		pmt_raw_close(dfd);
	}
	errno = e;
}

/* DIR/epochs/%08llu into @buf. */
static int epoch_name(char *buf, size_t size, uint64_t seq)
{
	int n = snprintf(buf, size, PMT_EPOCHS "/%08llu", (unsigned long long)seq);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Next offset >= @pos that may hold data, or @end if none.  A filesystem
 * without SEEK_DATA says "data everywhere", which is always safe.
 */
static uint64_t next_data(int fd, uint64_t pos, uint64_t end)
{
	off_t r = lseek(fd, (off_t)pos, SEEK_DATA);

	if (r < 0)
		return errno == ENXIO ? end : pos;
	return (uint64_t)r < end ? (uint64_t)r : end;
}

static uint64_t next_hole(int fd, uint64_t pos, uint64_t end)
{
	off_t r = lseek(fd, (off_t)pos, SEEK_HOLE);

	if (r < 0)
		return end;
	return (uint64_t)r < end ? (uint64_t)r : end;
}

/* ---- page diff ---- */

int64_t pmt_page_diff(const void *old, const void *cur, uint64_t len,
		      pmt_page_cb cb, void *arg)
{
	const unsigned char *a = old, *b = cur;
	int64_t count = 0;

	for (uint64_t off = 0; off < len; off += PMT_PAGE_SIZE) {
		uint64_t n = len - off < PMT_PAGE_SIZE ? len - off : PMT_PAGE_SIZE;

		/* glibc's memcmp is vectorised: faster than a word loop. */
		if (memcmp(a + off, b + off, n) == 0)
			continue;
		count++;
		if (cb) {
			int r = cb(off / PMT_PAGE_SIZE, b + off, arg);

			if (r < 0)
				return r;
		}
	}
	return count;
}

/* Offsets the callbacks see are per chunk; shift them to file pages. */
struct chunk_cb {
	pmt_page_cb cb;
	void *arg;
	uint64_t first_page;
	const unsigned char *cur;	/* the chunk's current content */
	uint64_t len;			/* valid bytes in the chunk */
};

static int chunk_page(uint64_t page, const void *cur, void *arg)
{
	struct chunk_cb *c = arg;
	uint64_t off = page * PMT_PAGE_SIZE;
	unsigned char pad[PMT_PAGE_SIZE];

	if (!c->cb)
		return 0;
	if (c->len - off < PMT_PAGE_SIZE) {
		/* A partial last page: hand out a whole, zero-padded one. */
		memset(pad, 0, sizeof(pad));
		memcpy(pad, cur, c->len - off);
		return c->cb(c->first_page + page, pad, c->arg);
	}
	return c->cb(c->first_page + page, cur, c->arg);
}

int64_t pmt_file_diff(int old_fd, int cur_fd, const void *cur_mem, uint64_t len,
		      pmt_page_cb cb, void *arg)
{
	unsigned char *obuf = NULL, *cbuf = NULL, *omap;
	int64_t count = 0;
	uint64_t pos = 0;

	/*
	 * Compare the old file through a read-only mapping of its page cache:
	 * no copy, so about twice as fast as pread into a buffer.  pread is
	 * the fallback (a zero length, an fs that cannot map).
	 */
	omap = len ? pmt_raw_mmap(NULL, len, PROT_READ, MAP_SHARED, old_fd, 0) : MAP_FAILED;
	if (omap == MAP_FAILED)
		omap = NULL;
	else
		madvise(omap, len, MADV_SEQUENTIAL);
	obuf = omap ? NULL : malloc(DIFF_CHUNK);
	if (!cur_mem)
		cbuf = malloc(DIFF_CHUNK);
	if ((!omap && !obuf) || (!cur_mem && !cbuf)) {
		if (omap)
			pmt_raw_munmap(omap, len);
		free(obuf);
		free(cbuf);
		errno = ENOMEM;
		return -1;
	}

	while (pos < len) {
		uint64_t n;
		const unsigned char *cur;
		struct chunk_cb c;
		int64_t r;

		/*
		 * Ranges that are holes in both files are zeros in both: skip
		 * them, so the cost follows the data, not the file size.
		 */
		if (cur_fd >= 0) {
			uint64_t a = next_data(old_fd, pos, len);
			uint64_t b = next_data(cur_fd, pos, len);
			uint64_t nd = a < b ? a : b;

			if (nd >= len)
				break;
			pos = nd & ~(uint64_t)(PMT_PAGE_SIZE - 1);
		}
		n = len - pos < DIFF_CHUNK ? len - pos : DIFF_CHUNK;
		if (!omap && pmt_dur_pread_full(old_fd, obuf, n, pos) < 0)
			goto io_error;
		if (cur_mem) {
			cur = (const unsigned char *)cur_mem + pos;
		} else {
			if (pmt_dur_pread_full(cur_fd, cbuf, n, pos) < 0)
				goto io_error;
			cur = cbuf;
		}
		c = (struct chunk_cb){ cb, arg, pos / PMT_PAGE_SIZE, cur, n };
		r = pmt_page_diff(omap ? omap + pos : obuf, cur, n, chunk_page, &c);
		if (r < 0) {
			count = r;
			break;
		}
		count += r;
		pos += n;
	}
	if (omap)
		pmt_raw_munmap(omap, len);
	free(obuf);
	free(cbuf);
	return count;

io_error:
	if (omap)
		pmt_raw_munmap(omap, len);
	free(obuf);
	free(cbuf);
	return -1;
}

uint64_t pmt_checksum64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	/* Word at a time, multiply-rotate mixing: GB/s, good enough to
	 * catch a torn or stale record. */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h ^= w * 0x9E3779B97F4A7C15ull;
		h = (h << 27 | h >> 37) * 0xBF58476D1CE4E5B9ull;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001B3ull;
	/* No finalisation: the journal feeds records one at a time and
	 * recovery feeds them in batches; both must give the same sum. */
	return h;
}

/* ---- sparse copy ---- */

static int copy_range(int src, int dst, uint64_t off, uint64_t len)
{
	int use_rw = 0;	/* copy_file_range cannot: read and write */

	while (len) {
		if (!use_rw) {
			loff_t in = (loff_t)off, out = (loff_t)off;
			size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
			ssize_t r = copy_file_range(src, &in, dst, &out, chunk, 0);

			if (r > 0) {
				off += (uint64_t)r;
				len -= (uint64_t)r;
				continue;
			}
			if (r == 0) {
				errno = EIO;	/* the source shrank under us */
				return -1;
			}
			if (errno == EINTR)
				continue;
			if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP &&
			    errno != EINVAL)
				return -1;
			use_rw = 1;
		}
		{
			unsigned char local[64 * 1024];
			size_t chunk = len > sizeof(local) ? sizeof(local) : (size_t)len;

			if (pmt_dur_pread_full(src, local, chunk, off) < 0 ||
			    pmt_dur_pwrite_full(dst, local, chunk, off) < 0)
				return -1;
			off += chunk;
			len -= chunk;
		}
	}
	return 0;
}

/*
 * Make @dst (already @size bytes long) a copy of @src.  @dst_fresh says it
 * was just truncated to holes, so the holes of @src need no punching.
 */
int pmt_dur_sparse_copy(int src, int dst, uint64_t size, int dst_fresh)
{
	uint64_t pos = 0;

	/* A reflink is one ioctl on xfs/btrfs and shares the blocks. */
	if (ioctl(dst, FICLONE, src) == 0)
		return 0;

	while (pos < size) {
		uint64_t d = next_data(src, pos, size);
		uint64_t h;

		if (d > pos && !dst_fresh &&
		    fallocate(dst, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)pos, (off_t)(d - pos)) < 0) {
			/* No hole punching: write the zeros. */
			static const unsigned char zero[64 * 1024];

			for (uint64_t o = pos; o < d;) {
				size_t n = d - o > sizeof(zero) ? sizeof(zero) : (size_t)(d - o);

				if (pmt_dur_pwrite_full(dst, zero, n, o) < 0)
					return -1;
				o += n;
			}
		}
		if (d >= size)
			break;
		h = next_hole(src, d, size);
		if (h <= d)
			h = size;
		if (copy_range(src, dst, d, h - d) < 0)
			return -1;
		pos = h;
	}
	return 0;
}

/* Open @path for writing as a file of @size bytes that may be rewritten in
 * place (never shrunk first if it already has that size: a live mapping of
 * it would SIGBUS).  *@fresh says it is all holes now. */
int pmt_dur_open_sized(const char *path, uint64_t size, int *fresh)
{
	struct stat st;
	int fd = pmt_raw_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	*fresh = 0;
	if ((uint64_t)st.st_size != size) {
		if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)
			goto fail;
		*fresh = 1;
	}
	return fd;
fail:
	pmt_dur_close_keep_errno(fd);
	return -1;
}

/* ---- the durable image ---- */

/* DIR/@name (through @name.tmp and rename) = a sparse copy of @src (@size bytes). */
static int copy_in(const char *dir, const char *name, int src, uint64_t size)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int dst, fresh;

	if (pmt_dur_path_in(path, sizeof(path), dir, name) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(tmp);
	dst = pmt_dur_open_sized(tmp, size, &fresh);
	if (dst < 0 || pmt_dur_sparse_copy(src, dst, size, fresh) < 0 ||
	    pmt_raw_fdatasync(dst) < 0 || rename(tmp, path) < 0) {
		pmt_dur_close_keep_errno(dst);
		return -1;
	}
	pmt_raw_close(dst);
	return 0;
}

int pmt_durable_init(const char *dir, const char *src_path)
{
	char img[PATH_MAX];
	struct stat st, ist;
	int src;

	if (pmt_dur_path_in(img, sizeof(img), dir, PMT_DURABLE_IMG) < 0)
		return -1;
	src = pmt_raw_open(src_path, O_RDONLY | O_CLOEXEC, 0);
	if (src < 0 || fstat(src, &st) < 0)
		goto fail;
	if (stat(img, &ist) == 0) {
		pmt_raw_close(src);
		if (ist.st_size != st.st_size) {
			errno = EINVAL;
			return -1;
		}
		return 0;
	}
	/* base.img first: whenever durable.img exists, so does its base. */
	if (copy_in(dir, PMT_BASE_IMG, src, (uint64_t)st.st_size) < 0 ||
	    copy_in(dir, PMT_DURABLE_IMG, src, (uint64_t)st.st_size) < 0)
		goto fail;
	pmt_raw_close(src);
	fsync_dir(dir);
	return 1;
fail:
	pmt_dur_close_keep_errno(src);
	return -1;
}

int pmt_image_copy(const char *src_path, const char *dst_path)
{
	struct stat st;
	int src, dst = -1, fresh;

	src = pmt_raw_open(src_path, O_RDONLY | O_CLOEXEC, 0);
	if (src < 0 || fstat(src, &st) < 0)
		goto fail;
	dst = pmt_dur_open_sized(dst_path, (uint64_t)st.st_size, &fresh);
	if (dst < 0 || pmt_dur_sparse_copy(src, dst, (uint64_t)st.st_size, fresh) < 0)
		goto fail;
	pmt_raw_close(src);
	return pmt_raw_close(dst);
fail:
	pmt_dur_close_keep_errno(src);
	pmt_dur_close_keep_errno(dst);
	return -1;
}

/* Write the records of journal @jfd (n of them, validated) into @img_fd. */
static int apply_records(int jfd, int img_fd, uint64_t n)
{
	unsigned char *buf = malloc((size_t)BUF_RECS * REC_SIZE);
	uint64_t done = 0;

	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	while (done < n) {
		uint64_t k = n - done < BUF_RECS ? n - done : BUF_RECS;

		if (pmt_dur_pread_full(jfd, buf, (size_t)(k * REC_SIZE), HDR_SIZE + done * REC_SIZE) < 0)
			goto fail;
		for (uint64_t i = 0; i < k; i++) {
			const unsigned char *rec = buf + i * REC_SIZE;
			uint64_t page;

			memcpy(&page, rec, 8);
			if (pmt_dur_pwrite_full(img_fd, rec + 8, PMT_PAGE_SIZE,
					page * PMT_PAGE_SIZE) < 0)
				goto fail;
		}
		done += k;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/*
 * Is journal @jfd whole and committed for an image of @image_size bytes
 * (0: the size its header gives, returned in *@image_size)?  Returns the
 * record count, or -1 if it is torn (or foreign).  *@seq gets the commit
 * record's seq; @pages, if not NULL, the records' page indexes (malloc'd,
 * journal order; NULL when there are none).
 */
int64_t pmt_dur_journal_committed(int jfd, uint64_t *image_size, uint64_t *seq,
				 uint64_t **pages)
{
	unsigned char hdr[HDR_SIZE], cm[COMMIT_SIZE];
	unsigned char *buf;
	uint64_t size, n, npages, sum, want, h = 0, *pv = NULL;
	uint32_t ver, psz;
	struct stat st;

	if (pages)
		*pages = NULL;
	if (fstat(jfd, &st) < 0)
		return -1;
	size = (uint64_t)st.st_size;
	if (size < HDR_SIZE + COMMIT_SIZE || (size - HDR_SIZE - COMMIT_SIZE) % REC_SIZE)
		return -1;
	n = (size - HDR_SIZE - COMMIT_SIZE) / REC_SIZE;
	if (pmt_dur_pread_full(jfd, hdr, sizeof(hdr), 0) < 0 ||
	    pmt_dur_pread_full(jfd, cm, sizeof(cm), size - COMMIT_SIZE) < 0)
		return -1;
	memcpy(&ver, hdr + 8, 4);
	memcpy(&psz, hdr + 12, 4);
	memcpy(&want, hdr + 16, 8);
	if (memcmp(hdr, JRNL_MAGIC, 8) || ver != JRNL_VERSION || psz != PMT_PAGE_SIZE ||
	    (*image_size && want != *image_size))
		return -1;
	memcpy(&npages, cm + 8, 8);
	memcpy(&sum, cm + 16, 8);
	memcpy(seq, cm + 24, 8);
	if (memcmp(cm, COMMIT_MAGIC, 8) || npages != n)
		return -1;

	buf = malloc((size_t)BUF_RECS * REC_SIZE);
	if (pages && n)
		pv = malloc((size_t)n * sizeof(*pv));
	if (!buf || (pages && n && !pv))
		goto bad;
	for (uint64_t done = 0; done < n;) {
		uint64_t k = n - done < BUF_RECS ? n - done : BUF_RECS;

		if (pmt_dur_pread_full(jfd, buf, (size_t)(k * REC_SIZE), HDR_SIZE + done * REC_SIZE) < 0)
			goto bad;
		for (uint64_t i = 0; i < k; i++) {
			uint64_t page;

			memcpy(&page, buf + i * REC_SIZE, 8);
			if (page >= want / PMT_PAGE_SIZE)
				goto bad;
			if (pv)
				pv[done + i] = page;
		}
		h = pmt_checksum64(h, buf, (size_t)(k * REC_SIZE));
		done += k;
	}
	free(buf);
	if (h != sum) {
		free(pv);
		return -1;
	}
	*image_size = want;
	if (pages)
		*pages = pv;
	return (int64_t)n;
bad:
	free(buf);
	free(pv);
	return -1;
}

/* renameat(DIR/journal -> DIR/epochs/SEQ), then make both names durable. */
static int keep_epoch(int dir_fd, uint64_t seq)
{
	char name[64];
	int efd;

	if (epoch_name(name, sizeof(name), seq) < 0)
		return -1;
	if (mkdirat(dir_fd, PMT_EPOCHS, 0755) < 0 && errno != EEXIST)
		return -1;
	if (renameat(dir_fd, PMT_JOURNAL, dir_fd, name) < 0)
		return -1;
	efd = pmt_raw_openat(dir_fd, PMT_EPOCHS, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (efd >= 0) {
		pmt_raw_fsync(efd);
		pmt_raw_close(efd);
	}
	pmt_raw_fsync(dir_fd);
	return 0;
}

int pmt_durable_recover(const char *dir)
{
	char jpath[PATH_MAX], img[PATH_MAX];
	struct stat st;
	int jfd, ifd = -1, dfd, ret;
	uint64_t size = 0, seq = 0;
	int64_t n = -1;

	if (pmt_dur_path_in(jpath, sizeof(jpath), dir, PMT_JOURNAL) < 0 ||
	    pmt_dur_path_in(img, sizeof(img), dir, PMT_DURABLE_IMG) < 0)
		return -1;
	jfd = pmt_raw_open(jpath, O_RDONLY | O_CLOEXEC, 0);
	if (jfd < 0)
		return errno == ENOENT ? 0 : -1;
	ifd = pmt_raw_open(img, O_RDWR | O_CLOEXEC, 0);
	if (ifd >= 0 && fstat(ifd, &st) == 0 && st.st_size > 0) {
		size = (uint64_t)st.st_size;
		n = pmt_dur_journal_committed(jfd, &size, &seq, NULL);
	}
	if (n >= 0) {
		/* Replaying is idempotent: a kill here just replays again. */
		if (apply_records(jfd, ifd, (uint64_t)n) < 0 || pmt_raw_fdatasync(ifd) < 0) {
			pmt_dur_close_keep_errno(jfd);
			pmt_dur_close_keep_errno(ifd);
			return -1;
		}
		ret = 1;
	} else {
		ret = 2;
	}
	pmt_raw_close(jfd);
	if (ifd >= 0)
		pmt_raw_close(ifd);
	if (ret == 1 && seq) {
		/* The flush happened: its epoch joins the log. */
		dfd = pmt_raw_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (dfd < 0)
			return -1;
		if (keep_epoch(dfd, seq) < 0) {
			pmt_dur_close_keep_errno(dfd);
			return -1;
		}
		pmt_raw_close(dfd);
		return ret;
	}
	if (unlink(jpath) < 0 && errno != ENOENT)
		return -1;
	fsync_dir(dir);
	return ret;
}

/* ---- the journal ---- */

int pmt_journal_begin(struct pmt_journal *j, const char *dir)
{
	struct stat st;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->img_fd = -1;
	j->dir_fd = pmt_raw_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (j->dir_fd < 0)
		return -1;
	j->img_fd = pmt_raw_openat(j->dir_fd, PMT_DURABLE_IMG, O_RDWR | O_CLOEXEC, 0);
	if (j->img_fd < 0 || fstat(j->img_fd, &st) < 0)
		goto fail;
	j->image_size = (uint64_t)st.st_size;
	j->buf = malloc((size_t)BUF_RECS * REC_SIZE);
	if (!j->buf) {
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	pmt_journal_abort(j);
	return -1;
}

int pmt_journal_push(struct pmt_journal *j)
{
	if (j->fd < 0 || !j->buf_len)
		return 0;
	if (write_full(j->fd, j->buf, j->buf_len) < 0)
		return -1;
	j->buf_len = 0;
	return 0;
}

int pmt_journal_add(struct pmt_journal *j, uint64_t page, const void *data)
{
	unsigned char *rec;

	if (page >= j->image_size / PMT_PAGE_SIZE) {
		errno = ERANGE;
		return -1;
	}
	if (j->fd < 0) {
		unsigned char hdr[HDR_SIZE];
		uint32_t ver = JRNL_VERSION, psz = PMT_PAGE_SIZE;

		j->fd = pmt_raw_openat(j->dir_fd, PMT_JOURNAL,
				       O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (j->fd < 0)
			return -1;
		memcpy(hdr, JRNL_MAGIC, 8);
		memcpy(hdr + 8, &ver, 4);
		memcpy(hdr + 12, &psz, 4);
		memcpy(hdr + 16, &j->image_size, 8);
		if (write_full(j->fd, hdr, sizeof(hdr)) < 0)
			return -1;
	}
	if (j->buf_len + REC_SIZE > (size_t)BUF_RECS * REC_SIZE && pmt_journal_push(j) < 0)
		return -1;
	rec = j->buf + j->buf_len;
	memcpy(rec, &page, 8);
	memcpy(rec + 8, data, PMT_PAGE_SIZE);
	j->checksum = pmt_checksum64(j->checksum, rec, REC_SIZE);
	j->buf_len += REC_SIZE;
	j->npages++;
	return 0;
}

static void journal_close(struct pmt_journal *j)
{
	if (j->fd >= 0)
		pmt_raw_close(j->fd);
	if (j->img_fd >= 0)
		pmt_raw_close(j->img_fd);
	if (j->dir_fd >= 0)
		pmt_raw_close(j->dir_fd);
	free(j->buf);
	j->fd = j->img_fd = j->dir_fd = -1;
	j->buf = NULL;
}

int pmt_journal_commit(struct pmt_journal *j)
{
	unsigned char cm[COMMIT_SIZE];

	if (!j->npages) {
		journal_close(j);
		return 0;
	}
	memcpy(cm, COMMIT_MAGIC, 8);
	memcpy(cm + 8, &j->npages, 8);
	memcpy(cm + 16, &j->checksum, 8);
	memcpy(cm + 24, &j->seq, 8);
	/* Records durable before the commit record says they are whole. */
	if (pmt_journal_push(j) < 0 || pmt_raw_fdatasync(j->fd) < 0 ||
	    write_full(j->fd, cm, sizeof(cm)) < 0 || pmt_raw_fdatasync(j->fd) < 0)
		goto fail;
	/* From here on the flush has happened: a kill is replayed by recover. */
	if (apply_records(j->fd, j->img_fd, j->npages) < 0 || pmt_raw_fdatasync(j->img_fd) < 0)
		goto fail_committed;
	if (j->seq) {
		if (keep_epoch(j->dir_fd, j->seq) < 0)
			goto fail_committed;
	} else {
		if (unlinkat(j->dir_fd, PMT_JOURNAL, 0) < 0)
			goto fail_committed;
		pmt_raw_fsync(j->dir_fd);
	}
	journal_close(j);
	return 0;
fail:
	pmt_journal_abort(j);
	return -1;
fail_committed:
	/* Leave the committed journal for pmt_durable_recover(). */
	{
		int e = errno;

		journal_close(j);
		errno = e;
	}
	return -1;
}

void pmt_journal_abort(struct pmt_journal *j)
{
	int e = errno;

	if (j->fd >= 0 && j->dir_fd >= 0)
		unlinkat(j->dir_fd, PMT_JOURNAL, 0);
	journal_close(j);
	errno = e;
}

int pmt_durable_commit(const char *dir, const uint64_t *pages,
		       const void *data, size_t n)
{
	struct pmt_journal j;

	if (pmt_journal_begin(&j, dir) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (pmt_journal_add(&j, pages[i],
				    (const unsigned char *)data + i * PMT_PAGE_SIZE) < 0) {
			pmt_journal_abort(&j);
			return -1;
		}
	}
	return pmt_journal_commit(&j);
}

int pmt_flush_counter_open(const char *dir, int create, _Atomic uint64_t **ctr)
{
	char path[PATH_MAX];
	struct stat st;
	void *p;
	int fd;

	*ctr = NULL;
	if (pmt_dur_path_in(path, sizeof(path), dir, PMT_FLUSHED) < 0)
		return -1;
	fd = pmt_raw_open(path, create ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC,
			  0644);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (st.st_size != sizeof(uint64_t)) {
		/* Only the shim makes it: a new file grows to one zero u64. */
		if (!create || st.st_size != 0) {
			errno = EBADMSG;
			goto fail;
		}
		if (ftruncate(fd, sizeof(uint64_t)) < 0)
			goto fail;
	}
	p = pmt_raw_mmap(NULL, sizeof(uint64_t), create ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	pmt_raw_close(fd);
	*ctr = p;
	return 0;
fail:
	pmt_dur_close_keep_errno(fd);
	return -1;
}

uint64_t pmt_flush_counter_load(const _Atomic uint64_t *ctr)
{
	return atomic_load_explicit(ctr, memory_order_acquire);
}

void pmt_flush_counter_store(_Atomic uint64_t *ctr, uint64_t seq)
{
	atomic_store_explicit(ctr, seq, memory_order_release);
}

void pmt_flush_counter_close(_Atomic uint64_t *ctr)
{
	if (ctr)
		pmt_raw_munmap((void *)ctr, sizeof(uint64_t));
}

int pmt_flush_counter_read(const char *dir, uint64_t *seq)
{
	_Atomic uint64_t *c;

	if (pmt_flush_counter_open(dir, 0, &c) < 0)
		return -1;
	*seq = pmt_flush_counter_load(c);
	pmt_flush_counter_close(c);
	return 0;
}

/* ---- crash states ---- */

uint64_t pmt_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
