/* SPDX-License-Identifier: MIT */
/*
 * The durable image of a virtio-pmem backing file, and crash states built
 * from it.  Used by the LD_PRELOAD shim inside QEMU and by the harness, so
 * it depends on libc only.
 *
 * A durable image directory DIR holds:
 *   durable.img  the backing file's content as of the last completed host
 *                flush: same size as the backing file, sparse;
 *   journal      a redo journal, present only while a flush is recorded.
 *
 * Journal layout (little-endian host order; it never leaves the machine):
 *   header  { char magic[8] = "PMTJRNL1"; u32 version = 1;
 *             u32 page_size = 4096; u64 image_size; }          24 bytes
 *   record  { u64 page_index; u8 data[4096]; }                  4104 bytes each
 *   commit  { char magic[8] = "PMTCOMMT"; u64 npages;
 *             u64 checksum; u64 zero; }                         32 bytes
 * The checksum (pmt_checksum64) covers every record byte.  A journal is
 * committed only if its size is exactly header + n records + commit, the
 * commit magic is there, npages == n and the checksum matches: anything
 * else (a kill while records or the commit were written) is discarded.
 *
 * Commit order: records, fdatasync(journal), commit record,
 * fdatasync(journal), apply the records to durable.img, fdatasync(durable.img),
 * unlink(journal), fsync(DIR).  So after a kill at any point,
 * pmt_durable_recover() leaves durable.img entirely old or entirely new.
 */
#ifndef PMT_DURABLE_H
#define PMT_DURABLE_H

#include <stddef.h>
#include <stdint.h>

#define PMT_PAGE_SIZE		4096u
#define PMT_DURABLE_IMG		"durable.img"
#define PMT_JOURNAL		"journal"

/*
 * Called for each page that differs: @page is its index, @cur points at the
 * page's current content (valid during the call only).  Return 0 to go on,
 * or a negative value to stop the walk with that value.
 */
typedef int (*pmt_page_cb)(uint64_t page, const void *cur, void *arg);

/*
 * Compare @old and @cur page by page over @len bytes (a partial last page
 * is compared as far as it goes).  Calls @cb for each page that differs,
 * in ascending order.  Returns the number of differing pages, or the
 * callback's negative value.  @cb may be NULL to only count.
 */
int64_t pmt_page_diff(const void *old, const void *cur, uint64_t len,
		      pmt_page_cb cb, void *arg);

/*
 * The same between two files of @len bytes: @old_fd is compared with the
 * current content, which is @cur_mem if not NULL (a mapping of the file)
 * or else read from @cur_fd.  @cur_fd, if >= 0, is also used to skip
 * ranges that are holes in both files (it must be a descriptor whose file
 * offset the caller does not care about).  Returns as pmt_page_diff(), or
 * -1 with errno on an I/O error.
 */
int64_t pmt_file_diff(int old_fd, int cur_fd, const void *cur_mem, uint64_t len,
		      pmt_page_cb cb, void *arg);

/* A fast 64-bit checksum (not cryptographic), used for journal records.
 * It streams: feeding @data in pieces whose sizes are multiples of 8 gives
 * the same result as one call. */
uint64_t pmt_checksum64(uint64_t h, const void *data, size_t len);

/*
 * Create DIR/durable.img as a sparse copy of @src_path if it does not exist
 * (through a temporary file and rename, so it is never half made).
 * Returns 1 if created, 0 if it existed with the right size, -1 with errno
 * (EINVAL: it exists with another size).
 */
int pmt_durable_init(const char *dir, const char *src_path);

/*
 * Finish or undo an interrupted commit.  Returns 0 if there was no journal,
 * 1 if a committed journal was replayed, 2 if an uncommitted (torn) one was
 * discarded, -1 with errno on error.
 */
int pmt_durable_recover(const char *dir);

/* A journal being written; see the commit order above. */
struct pmt_journal {
	int dir_fd;
	int fd;			/* DIR/journal, or -1 before the first page */
	int img_fd;		/* DIR/durable.img */
	uint64_t image_size;
	uint64_t npages;
	uint64_t checksum;
	unsigned char *buf;	/* write buffer of whole records */
	size_t buf_len;
};

/* Open DIR for a commit.  Nothing is written until the first page. */
int pmt_journal_begin(struct pmt_journal *j, const char *dir);
/* Add one page (its index and PMT_PAGE_SIZE bytes). */
int pmt_journal_add(struct pmt_journal *j, uint64_t page, const void *data);
/* Push buffered records to the journal file (no fsync): a test hook. */
int pmt_journal_push(struct pmt_journal *j);
/* Commit and apply; then the journal is gone.  0 or -1 with errno. */
int pmt_journal_commit(struct pmt_journal *j);
/* Forget an uncommitted journal (removes the file).  Always safe to call. */
void pmt_journal_abort(struct pmt_journal *j);

/* Commit @n pages at once: page indexes in @pages, data in @data (n pages). */
int pmt_durable_commit(const char *dir, const uint64_t *pages,
		       const void *data, size_t n);

/*
 * Crash states: durable.img plus a subset of the pages that differ between
 * the current backing file (after QEMU is killed) and durable.img, since
 * host writeback may have written any of them before the power went.
 *
 * PMT_SUBSET_SEEDED(seed, n) is reproducible: the PRNG is splitmix64 with
 * its state set to  seed + (n + 1) * 0x9E3779B97F4A7C15  (mod 2^64); the
 * dirty pages are visited in ascending index order, one draw each, and a
 * page is kept iff the top bit of its draw is 1.  splitmix64 step:
 *     state += 0x9E3779B97F4A7C15;  z = state;
 *     z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
 *     z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
 *     return z ^ (z >> 31);
 */
enum pmt_subset_kind {
	PMT_SUBSET_ALL_LOST,	/* durable image only */
	PMT_SUBSET_ALL_KEPT,	/* the current file */
	PMT_SUBSET_SEEDED,	/* each dirty page kept with probability 1/2 */
};

struct pmt_subset {
	enum pmt_subset_kind kind;
	uint64_t seed;		/* SEEDED only */
	uint64_t n;		/* SEEDED only: which subset of this seed */
};

uint64_t pmt_splitmix64(uint64_t *state);

/* The page indexes that differ between the two files (ascending, malloc'd;
 * *pages is NULL when none).  0 or -1 with errno (EINVAL: sizes differ). */
int pmt_dirty_pages(const char *durable_img, const char *current,
		    uint64_t **pages, size_t *n);

/* Choose the pages @s keeps out of @dirty (malloc'd, ascending). */
int pmt_subset_select(const uint64_t *dirty, size_t n, const struct pmt_subset *s,
		      uint64_t **chosen, size_t *nchosen);

/* Write @out = durable_img with the pages @pages taken from @current.
 * @out is sparse where durable_img is a hole (FICLONE when the fs can,
 * else copy_file_range of the data ranges).  0 or -1 with errno. */
int pmt_crash_state_write(const char *durable_img, const char *current,
			  const char *out, const uint64_t *pages, size_t n);

/* Both of the above: dirty pages, the subset @s, the state file.  If
 * @chosen is not NULL it receives the page set (malloc'd) to name the state. */
int pmt_crash_state_build(const char *durable_img, const char *current,
			  const char *out, const struct pmt_subset *s,
			  uint64_t **chosen, size_t *nchosen);

#endif /* PMT_DURABLE_H */
