/* SPDX-License-Identifier: MIT */
/*
 * The durable image of a virtio-pmem backing file, its epoch log, and
 * crash states built from them.  Used by the LD_PRELOAD shim inside QEMU
 * and by the harness, so it depends on libc only.
 *
 * A durable image directory DIR holds:
 *   base.img     the backing file as it was when durable.img was first made
 *                (when the shim first saw the file): same size, sparse;
 *   durable.img  the backing file's content as of the last completed host
 *                flush: same size as the backing file, sparse;
 *   journal      a redo journal, present only while a flush is recorded;
 *   epochs/      the epoch log: epochs/%08llu is the committed journal of
 *                recorded flush number SEQ (1-based, the "seq" of
 *                flushes.jsonl), kept instead of being unlinked.  Only
 *                flushes that recorded at least one page have one;
 *   flushed      the flush counter: 8 bytes, one u64 in host order, the seq
 *                of the last flush whose result the shim has returned to
 *                QEMU (any mode: recorded, lied, dropped, failed).  The shim
 *                maps it MAP_SHARED and stores with release order before
 *                its fsync wrapper returns; readers load it with acquire
 *                order (pmt_flush_counter_*).  Made zero by the shim; a
 *                shim restarted on the same DIR goes on from its value.
 *   (and, from the shim: flushes.jsonl, mode, held, held-mid; see shim.c)
 *
 * Journal and epoch file layout (little-endian host order; it never leaves
 * the machine):
 *   header  { char magic[8] = "PMTJRNL1"; u32 version = 1;
 *             u32 page_size = 4096; u64 image_size; }          24 bytes
 *   record  { u64 page_index; u8 data[4096]; }                  4104 bytes each
 *   commit  { char magic[8] = "PMTCOMMT"; u64 npages;
 *             u64 checksum; u64 seq; }                          32 bytes
 * The checksum (pmt_checksum64) covers every record byte.  seq is the
 * flush's number, or 0 for "no seq" (journals made before the epoch log,
 * pmt_durable_commit()).  A journal is committed only if its size is
 * exactly header + n records + commit, the commit magic is there,
 * npages == n and the checksum matches: anything else (a kill while records
 * or the commit were written) is discarded.  Records are in the order they
 * were journaled; a page may appear twice (the shim's trackers journal each
 * page once per flush, pmt_durable_commit() callers may repeat one), and
 * then the later record wins.  An epoch file is a committed journal whose
 * seq equals its name.
 *
 * Commit order: records, fdatasync(journal), commit record,
 * fdatasync(journal), apply the records to durable.img, fdatasync(durable.img),
 * then with seq != 0: rename(journal -> epochs/SEQ), fsync(epochs),
 * fsync(DIR); with seq 0: unlink(journal), fsync(DIR).
 * pmt_durable_recover() replays a committed journal and then renames it to
 * epochs/SEQ (seq 0: unlinks it), and discards a torn one.  So after a kill
 * at any point, durable.img and the epoch log agree: both whole-old or
 * both whole-new.
 *
 * The rule: the image as of flush n is
 *     base.img + every epoch with seq <= n, applied in seq order,
 * and after flush n that is durable.img.  (A dropped, lying or failed
 * flush has no epoch: its pages stay pending and a later recorded flush
 * carries them.)
 */
#ifndef PMT_DURABLE_H
#define PMT_DURABLE_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define PMT_PAGE_SIZE		4096u
#define PMT_DURABLE_IMG		"durable.img"
#define PMT_BASE_IMG		"base.img"
#define PMT_JOURNAL		"journal"
#define PMT_EPOCHS		"epochs"
#define PMT_FLUSHED		"flushed"

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
 * Create DIR/durable.img as a sparse copy of @src_path if it does not exist,
 * and with it DIR/base.img, the same copy (base.img first; each through a
 * temporary file and rename, so neither is ever half made).  Returns 1 if
 * created, 0 if durable.img existed with the right size (base.img is then
 * left as it is), -1 with errno (EINVAL: it exists with another size).
 */
int pmt_durable_init(const char *dir, const char *src_path);

/*
 * Finish or undo an interrupted commit.  Returns 0 if there was no journal,
 * 1 if a committed journal was replayed (and, if its seq is not 0, renamed
 * to epochs/SEQ), 2 if an uncommitted (torn) one was discarded, -1 with
 * errno on error.
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
	uint64_t seq;		/* the caller may set it before the commit:
				 * != 0 keeps the journal as epochs/SEQ */
};

/* Open DIR for a commit (seq 0).  Nothing is written until the first page. */
int pmt_journal_begin(struct pmt_journal *j, const char *dir);
/* Add one page (its index and PMT_PAGE_SIZE bytes). */
int pmt_journal_add(struct pmt_journal *j, uint64_t page, const void *data);
/* Push buffered records to the journal file (no fsync): a test hook. */
int pmt_journal_push(struct pmt_journal *j);
/* Commit and apply; then the journal is epochs/SEQ (j->seq != 0) or gone.
 * A journal with no page writes nothing and keeps no epoch.  0 or -1 with
 * errno; after a failure past the commit record the journal is left for
 * pmt_durable_recover(). */
int pmt_journal_commit(struct pmt_journal *j);
/* Forget an uncommitted journal (removes the file).  Always safe to call. */
void pmt_journal_abort(struct pmt_journal *j);

/* Commit @n pages at once: page indexes in @pages, data in @data (n pages).
 * Seq 0: no epoch is kept. */
int pmt_durable_commit(const char *dir, const uint64_t *pages,
		       const void *data, size_t n);

/* ---- the epoch log (the harness's side) ---- */

/* One epoch file.  The page data stays in the file (read by apply). */
struct pmt_epoch {
	uint64_t seq;		/* the flush's number: the file's name */
	uint64_t npages;	/* records */
	uint64_t *pages;	/* page index of each record, journal order
				 * (may repeat: the later record wins) */
	uint64_t image_size;	/* from the header */
	uint64_t bytes;		/* the file's size: the log's cost */
	char path[PATH_MAX];	/* DIR/epochs/%08llu */
};

/*
 * Load every epoch file of DIR/epochs (names that are not all digits are
 * skipped), in ascending seq order, into *@epochs (malloc'd, *@n of them;
 * NULL and 0 when DIR/epochs is missing or empty).  Each is validated as a
 * committed journal whose commit seq equals its name, and all must be of
 * one image size.  0, or -1 with errno (EBADMSG: a file does not validate,
 * or two names give one seq, or the sizes differ); nothing is returned
 * on error.
 */
int pmt_epochs_load(const char *dir, struct pmt_epoch **epochs, size_t *n);

/* Free what pmt_epochs_load() returned.  NULL is fine; errno is kept. */
void pmt_epochs_free(struct pmt_epoch *e, size_t n);

/*
 * Write into @img_fd the new content of the pages of @e: all of them when
 * @sel is NULL, else only those whose indexes are in @sel (@nsel page
 * indexes, strictly ascending, each one a page of @e).  @torn_bytes, if
 * not NULL, is parallel to @sel (or, when @sel is NULL, to e->pages) and
 * gives how many leading bytes of each page to write: a multiple of 512,
 * 0 to 4096 (4096: the whole page, 0: none).  A page journaled twice is
 * written in journal order, so the later record wins.  Arguments are
 * checked before anything is written.  0, or -1 with errno (EINVAL: bad
 * @sel or @torn_bytes; I/O errors).
 */
int pmt_epoch_apply(const struct pmt_epoch *e, int img_fd, const uint64_t *sel,
		    size_t nsel, const uint32_t *torn_bytes);

/*
 * Make @dst a sparse copy of @src: FICLONE when the filesystem can, else
 * copy_file_range of the data ranges and hole punching of the rest.  A
 * @dst that already has @src's size is rewritten in place, never
 * truncated (it may be mapped by a live QEMU); otherwise it is created or
 * resized.  No fsync.  0 or -1 with errno.
 */
int pmt_image_copy(const char *src, const char *dst);

/*
 * The rule above, as a file: @out = DIR/base.img plus every epoch of
 * @epochs (@n of them, as pmt_epochs_load() gave them) with seq <= @flush,
 * in seq order: the durable image as of host flush @flush.  @out is
 * rewritten in place as pmt_image_copy() does.  0 or -1 with errno.
 */
int pmt_image_at_flush(const char *dir, const struct pmt_epoch *epochs, size_t n,
		       uint64_t flush, const char *out);

/* ---- the flush counter DIR/flushed ---- */

/*
 * Map DIR/flushed.  @create (the shim): open read-write, a missing or
 * empty file becoming one zero u64; otherwise (a reader) read-only, and it
 * must exist.  *@ctr then points at the counter until
 * pmt_flush_counter_close().  0, or -1 with errno (ENOENT: no shim has
 * made it yet; EBADMSG: not 8 bytes).
 */
int pmt_flush_counter_open(const char *dir, int create, _Atomic uint64_t **ctr);

/* The counter's value, an acquire load: everything the shim did for that
 * flush (durable.img, epochs, flushes.jsonl) is visible after it. */
uint64_t pmt_flush_counter_load(const _Atomic uint64_t *ctr);

/* Set it, a release store (the shim, after each flush's result). */
void pmt_flush_counter_store(_Atomic uint64_t *ctr, uint64_t seq);

/* Unmap it.  NULL is fine. */
void pmt_flush_counter_close(_Atomic uint64_t *ctr);

/* One-shot: open, load, close.  0 with *@seq, or -1 with errno as open. */
int pmt_flush_counter_read(const char *dir, uint64_t *seq);

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
