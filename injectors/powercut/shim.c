// SPDX-License-Identifier: MIT
/*
 * pmtorture-shim.so: a host power-cut model for virtio-pmem, loaded into
 * QEMU with LD_PRELOAD.
 *
 * The guest's pmem is QEMU's MAP_SHARED mapping of a backing file, so guest
 * stores land in the host page cache, and a SIGKILL of QEMU keeps all of
 * them.  What a power cut would keep is the file as of the last completed
 * host flush: QEMU 7.2's virtio-pmem turns a guest flush into fsync() of the
 * backing file's fd, from a thread-pool worker (hw/virtio/virtio-pmem.c,
 * worker_cb).  This shim sees that fsync and, before doing it, records the
 * file's content into the durable image (durable.h): the pages that differ
 * between the mapping and DIR/durable.img go through a redo journal.
 * Which pages to look at comes from a tracker (PMT_SHIM_TRACK below).
 *
 * Configuration, environment only (nothing set: the shim does nothing):
 *   PMT_SHIM_FILE        the backing file to watch.  Its fds are found by
 *                        (st_dev, st_ino) after open/open64/openat/openat64
 *                        and the _FORTIFY_SOURCE __open*_2 variants (QEMU
 *                        7.2 calls __open64_2), or at mmap/fsync time.
 *   PMT_SHIM_DIR         the durable image directory (created if missing):
 *                        durable.img, journal, flushes.jsonl, held, held-mid.
 *                        At load the journal is recovered; durable.img is
 *                        made a sparse copy of the file if it does not exist.
 *   PMT_SHIM_MODE        honest (default): record, then the real flush.
 *                        lying: return 0, record nothing, no real flush.
 *                        fail-eio: return -1/EIO, record nothing, for flush
 *                          numbers PMT_SHIM_FAIL_FROM (1-based, default 1)
 *                          .. +PMT_SHIM_FAIL_COUNT-1 (default: no end); other
 *                          flushes are honest.
 *                        hold: honest, but flush number PMT_SHIM_HOLD_AT
 *                          (default 1) first creates DIR/held and waits until
 *                          it is removed; with PMT_SHIM_HOLD_WHERE=mid it
 *                          waits instead after the first journal record is
 *                          written, on DIR/held-mid.  For killing QEMU
 *                          mid-flush.
 *   PMT_SHIM_DELAY_MS    sleep this many ms at the start of every flush, in
 *                        any mode (default 0): a slow host disk.  The sleep
 *                        is taken before the shim's lock, so flushes from
 *                        QEMU's thread-pool workers overlap as they would on
 *                        a slow device, and the guest's requests pile up.
 *                        The "ms" of flushes.jsonl includes it.
 *   DIR/mode             if present, a mode name read at every flush; it
 *                        overrides PMT_SHIM_MODE from then on (the harness
 *                        plants a lying device after mkfs and mount).
 *                        "hold" or "hold-mid" there holds the next flush
 *                        (before recording, or after its first journal
 *                        record): the harness cuts power mid-flush.
 *   PMT_SHIM_TRACK       uffd (default): when QEMU maps the file, the
 *                          mapping is registered for userfaultfd async
 *                          write-protect (uffd_track.h); a flush asks
 *                          PAGEMAP_SCAN for the pages written since the
 *                          last one (re-protecting them in the same walk)
 *                          and journals those that differ from durable.img.
 *                          Cost follows the dirty pages, not the file size.
 *                          The first flush after arming compares the whole
 *                          file once, so anything the file held before the
 *                          tracking started is caught.  If a step fails
 *                          (kernel < 6.7, no mapping of the whole file, a
 *                          second mapping, a scan error), one
 *                          "pmtorture-shim: ... using compare" line on
 *                          stderr and compare from then on.
 *                        compare: compare the whole file with durable.img at
 *                          every flush (page diff, holes skipped).
 *                        Both give the same durable image: uffd misses only
 *                        writes that do not go through QEMU's mapping
 *                        (write(2) on an fd, another process's mapping),
 *                        and for virtio-pmem QEMU only maps the file.  A
 *                        page written between the scan and the real fsync
 *                        is recorded by the next flush: host writeback
 *                        could have written it or not, so either is a
 *                        state a power cut can leave.
 *
 * Flushes seen: fsync, fdatasync and sync_file_range on the file's fds, and
 * msync over its mapping.  Each one appends one line to DIR/flushes.jsonl:
 *   {"seq":N,"op":"fsync","mode":"honest","action":"recorded","pages":P,
 *    "ms":T,"track":"uffd","result":0}    (plus "errno":E when result is -1)
 * track: the tracker this flush used ("compare" for the first flush after
 * arming uffd, the full compare that sets the baseline).
 * action: recorded, lied, failed (injected EIO), error (recording failed:
 * the flush then returns EIO, since the durable image could not follow).
 *
 * Bad configuration never breaks QEMU: one "pmtorture-shim: ..." line on
 * stderr and every call passes through unchanged.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "uffd_track.h"

#define EXPORT		__attribute__((visibility("default")))
#define MAX_FDS		8

enum shim_mode { MODE_HONEST, MODE_LYING, MODE_FAIL_EIO, MODE_HOLD };
static const char *const mode_names[] = { "honest", "lying", "fail-eio", "hold" };

enum flush_op { OP_FSYNC, OP_FDATASYNC, OP_SYNC_FILE_RANGE, OP_MSYNC };
enum track_mode { TRACK_COMPARE, TRACK_UFFD };
static const char *const op_names[] = { "fsync", "fdatasync", "sync_file_range", "msync" };

/* The real libc functions, found with dlsym(RTLD_NEXT) on first use. */
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real___openat_2)(int, const char *, int);
static int (*real___openat64_2)(int, const char *, int);
static int (*real_close)(int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static void *(*real_mmap64)(void *, size_t, int, int, int, off64_t);
static int (*real_munmap)(void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_sync_file_range)(int, off64_t, off64_t, unsigned int);
static int (*real_msync)(void *, size_t, int);

#define REAL(name) \
	(real_##name ? real_##name : \
	 (*(void **)&real_##name = dlsym(RTLD_NEXT, #name), real_##name))

static struct {
	int enabled;			/* config usable: watch the file */
	const char *file;
	char dir[PATH_MAX];
	enum shim_mode mode;
	uint64_t fail_from, fail_count;	/* fail_count 0: no end */
	uint64_t hold_at;
	int hold_mid;
	uint64_t delay_ms;		/* PMT_SHIM_DELAY_MS */
	enum track_mode track;		/* PMT_SHIM_TRACK */

	pthread_mutex_t lock;		/* everything below */
	int have_id;
	dev_t dev;
	ino_t ino;
	int ready;			/* durable.img exists, own_fd open */
	int own_fd;			/* our O_RDONLY fd: SEEK_DATA and pread */
	int log_fd;
	unsigned char *map;		/* QEMU's MAP_SHARED mapping of the file */
	size_t map_len;
	uint64_t map_off;
	uint64_t seq;
	struct pmt_uffd uffd;		/* armed on map when track is uffd */
	int uffd_base;			/* next flush: reset, then compare in full */
	int uffd_off;			/* gave up on uffd: compare for good */
} S = { .lock = PTHREAD_MUTEX_INITIALIZER, .own_fd = -1, .log_fd = -1,
	.track = TRACK_UFFD, .uffd = { .uffd = -1, .pagemap_fd = -1 } };

/* The file's fds in QEMU; -1 is a free slot.  Read without the lock. */
static _Atomic int tracked[MAX_FDS] = { -1, -1, -1, -1, -1, -1, -1, -1 };

/* Set while the shim itself does I/O, so its own calls pass straight through. */
static _Thread_local int in_shim;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "pmtorture-shim: ");

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if (write(2, line, strlen(line)) < 0)
		return;
}

static int is_tracked(int fd)
{
	for (int i = 0; i < MAX_FDS; i++)
		if (atomic_load(&tracked[i]) == fd)
			return 1;
	return 0;
}

static void track(int fd)
{
	for (int i = 0; i < MAX_FDS; i++) {
		int want = -1;

		if (atomic_load(&tracked[i]) == fd)
			return;
		if (atomic_compare_exchange_strong(&tracked[i], &want, fd))
			return;
	}
	say("more than %d fds on %s; fd %d is not watched", MAX_FDS, S.file, fd);
}

static void untrack(int fd)
{
	for (int i = 0; i < MAX_FDS; i++) {
		int want = fd;

		atomic_compare_exchange_strong(&tracked[i], &want, -1);
	}
}

static int parse_u64(const char *name, uint64_t def, uint64_t *out)
{
	const char *v = getenv(name);
	char *end;

	*out = def;
	if (!v || !*v)
		return 0;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (errno || *end || v[0] == '-') {
		say("%s=%s is not a number; passing everything through", name, v);
		return -1;
	}
	return 0;
}

/* Make durable.img and our own fd once the file exists.  Lock held. */
static int setup_locked(void)
{
	int r;

	if (S.ready)
		return 0;
	in_shim = 1;
	r = pmt_durable_init(S.dir, S.file);
	if (r < 0) {
		say("cannot make %s/%s from %s: %s", S.dir, PMT_DURABLE_IMG, S.file,
		    errno == EINVAL ? "it exists with another size" : strerror(errno));
		S.enabled = 0;
	} else {
		S.own_fd = REAL(open)(S.file, O_RDONLY | O_CLOEXEC);
		if (S.own_fd < 0) {
			say("cannot open %s: %s", S.file, strerror(errno));
			S.enabled = 0;
		} else {
			S.ready = 1;
		}
	}
	in_shim = 0;
	return S.ready ? 0 : -1;
}

/* Learn the file's identity (it may not exist when QEMU starts).  Lock held. */
static int file_id_locked(void)
{
	struct stat st;

	if (S.have_id)
		return 0;
	if (stat(S.file, &st) < 0)
		return -1;
	S.dev = st.st_dev;
	S.ino = st.st_ino;
	S.have_id = 1;
	return 0;
}

/* Is @fd the watched file?  If so, track it and set up the durable image. */
static int match_fd(int fd)
{
	struct stat st;
	int hit = 0;

	if (!S.enabled || in_shim || fd < 0)
		return 0;
	if (is_tracked(fd))
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	pthread_mutex_lock(&S.lock);
	if (file_id_locked() == 0 && st.st_dev == S.dev && st.st_ino == S.ino) {
		track(fd);
		hit = setup_locked() == 0;
	}
	pthread_mutex_unlock(&S.lock);
	return hit;
}

__attribute__((constructor))
static void shim_init(void)
{
	const char *dir = getenv("PMT_SHIM_DIR");
	const char *mode = getenv("PMT_SHIM_MODE");
	const char *track_mode = getenv("PMT_SHIM_TRACK");
	const char *where = getenv("PMT_SHIM_HOLD_WHERE");
	char path[PATH_MAX];
	struct stat st;
	int r;

	S.file = getenv("PMT_SHIM_FILE");
	if (!S.file || !*S.file)
		return;
	if (!dir || !*dir) {
		say("PMT_SHIM_FILE is set but PMT_SHIM_DIR is not; passing everything through");
		return;
	}
	if (snprintf(S.dir, sizeof(S.dir), "%s", dir) >= (int)sizeof(S.dir)) {
		say("PMT_SHIM_DIR is too long; passing everything through");
		return;
	}
	S.mode = MODE_HONEST;
	if (mode && *mode) {
		int found = 0;

		for (int i = 0; i < 4; i++) {
			if (!strcmp(mode, mode_names[i])) {
				S.mode = (enum shim_mode)i;
				found = 1;
			}
		}
		if (!found) {
			say("PMT_SHIM_MODE=%s is not honest, lying, fail-eio or hold; "
			    "passing everything through", mode);
			return;
		}
	}
	if (parse_u64("PMT_SHIM_FAIL_FROM", 1, &S.fail_from) < 0 ||
	    parse_u64("PMT_SHIM_FAIL_COUNT", 0, &S.fail_count) < 0 ||
	    parse_u64("PMT_SHIM_HOLD_AT", 1, &S.hold_at) < 0 ||
	    parse_u64("PMT_SHIM_DELAY_MS", 0, &S.delay_ms) < 0)
		return;
	if (where && *where && strcmp(where, "before") && strcmp(where, "mid")) {
		say("PMT_SHIM_HOLD_WHERE=%s is not before or mid; passing everything through", where);
		return;
	}
	S.hold_mid = where && !strcmp(where, "mid");
	if (track_mode && *track_mode) {
		if (!strcmp(track_mode, "compare")) {
			S.track = TRACK_COMPARE;
		} else if (strcmp(track_mode, "uffd")) {
			say("PMT_SHIM_TRACK=%s is not compare or uffd; passing everything through",
			    track_mode);
			return;
		}
	}

	in_shim = 1;
	if (mkdir(S.dir, 0755) < 0 && errno != EEXIST) {
		say("cannot create PMT_SHIM_DIR %s: %s; passing everything through",
		    S.dir, strerror(errno));
		goto out;
	}
	if (stat(S.dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(S.dir, W_OK) < 0) {
		say("PMT_SHIM_DIR %s is not a writable directory; passing everything through",
		    S.dir);
		goto out;
	}
	r = pmt_durable_recover(S.dir);
	if (r < 0) {
		say("cannot recover the journal in %s: %s; passing everything through",
		    S.dir, strerror(errno));
		goto out;
	}
	if (r == 1)
		say("replayed a committed journal in %s", S.dir);
	else if (r == 2)
		say("discarded a torn journal in %s", S.dir);
	if (snprintf(path, sizeof(path), "%s/flushes.jsonl", S.dir) >= (int)sizeof(path))
		goto out;
	S.log_fd = REAL(open)(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (S.log_fd < 0) {
		say("cannot open %s: %s; passing everything through", path, strerror(errno));
		goto out;
	}
	S.enabled = 1;
	/* If the file is already there, make durable.img before the guest runs. */
	if (stat(S.file, &st) == 0) {
		pthread_mutex_lock(&S.lock);
		in_shim = 0;
		file_id_locked();
		setup_locked();
		pthread_mutex_unlock(&S.lock);
	}
out:
	in_shim = 0;
}

/* ---- recording a flush ---- */

/* Create DIR/@name and wait until someone removes it. */
static void hold_on(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", S.dir, name) >= (int)sizeof(path))
		return;
	fd = REAL(open)(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		say("cannot create %s: %s; not holding", path, strerror(errno));
		return;
	}
	REAL(close)(fd);
	/* A poll is fine: this exists so that a test can kill QEMU here. */
	while (access(path, F_OK) == 0) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

struct rec_ctx {
	struct pmt_journal *j;
	int hold_mid;		/* hold after the first record */
};

static int rec_page(uint64_t page, const void *cur, void *arg)
{
	struct rec_ctx *c = arg;

	if (pmt_journal_add(c->j, page, cur) < 0)
		return -errno;
	if (c->hold_mid) {
		c->hold_mid = 0;
		/* The journal file now has a header and a record, no commit. */
		if (pmt_journal_push(c->j) < 0)
			return -errno;
		hold_on("held-mid");
	}
	return 0;
}

/* ---- the uffd tracker ---- */

/* Stop using uffd for good, with the one line that says so.  Lock held. */
static void uffd_give_up_locked(const char *why, int err)
{
	if (err)
		say("uffd tracking: %s failed: %s; using compare", why, strerror(err));
	else
		say("uffd tracking: %s; using compare", why);
	pmt_uffd_disarm(&S.uffd);
	S.uffd_off = 1;
}

/*
 * QEMU mapped the file at @p: track writes through it.  Only a mapping of
 * the whole file from offset 0 can stand for the file, and only one: a
 * second shared mapping would take writes the first one never sees.
 * Lock held.
 */
static void uffd_arm_locked(void *p, size_t len, uint64_t off, int fd)
{
	const char *step = "";
	struct stat st;

	if (S.track != TRACK_UFFD || S.uffd_off)
		return;
	if (S.uffd.armed) {
		uffd_give_up_locked("a second shared mapping of the file", 0);
		return;
	}
	if (fstat(fd, &st) < 0 || off != 0 || (uint64_t)st.st_size > len ||
	    st.st_size % PMT_PAGE_SIZE || len % PMT_PAGE_SIZE) {
		uffd_give_up_locked("the mapping is not the whole, page-aligned file", 0);
		return;
	}
	in_shim = 1;	/* pmt_uffd_arm opens /proc/self/pagemap */
	if (pmt_uffd_arm(&S.uffd, p, len, &step) < 0)
		uffd_give_up_locked(step, errno);
	else
		S.uffd_base = 1;
	in_shim = 0;
}

struct uffd_ctx {
	struct rec_ctx *c;
	int img_fd;
	uint64_t npages;	/* pages in the image */
	int64_t count;		/* pages journaled */
	int failed;		/* the journal, not the tracker, failed */
};

static int read_page(int fd, void *buf, uint64_t page)
{
	size_t done = 0;

	while (done < PMT_PAGE_SIZE) {
		ssize_t r = pread(fd, (char *)buf + done, PMT_PAGE_SIZE - done,
				  (off_t)(page * PMT_PAGE_SIZE + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {	/* past EOF reads as zeros, as in a hole */
			memset((char *)buf + done, 0, PMT_PAGE_SIZE - done);
			break;
		}
		done += (size_t)r;
	}
	return 0;
}

/* A page written since the last flush: journal it if durable.img differs. */
static int uffd_page(uint64_t page, void *arg)
{
	struct uffd_ctx *u = arg;
	unsigned char old[PMT_PAGE_SIZE];
	const unsigned char *cur = S.map + page * PMT_PAGE_SIZE;
	int r;

	if (page >= u->npages)	/* the mapping's tail past EOF */
		return 0;
	/*
	 * A store that rewrote the same bytes changes nothing durable; so
	 * "pages" means the same for both trackers and durable.img stays
	 * sparse where the guest wrote zeros over a hole.  A store landing
	 * after this read re-marked the page written: the next flush sees it.
	 */
	if (read_page(u->img_fd, old, page) < 0) {
		u->failed = 1;
		return -errno;
	}
	if (!memcmp(old, cur, PMT_PAGE_SIZE))
		return 0;
	r = rec_page(page, cur, u->c);
	if (r < 0) {
		u->failed = 1;
		return r;
	}
	u->count++;
	return 0;
}

/*
 * Journal the pages written since the last flush.  Returns pages; -1 with
 * errno if the journal failed; -2 if the tracker failed (uffd is then off
 * and the caller compares instead).  Lock held, S.uffd armed.
 */
static int64_t record_written_locked(struct pmt_journal *j, struct rec_ctx *c)
{
	struct uffd_ctx u = { c, j->img_fd, j->image_size / PMT_PAGE_SIZE, 0, 0 };
	const char *step = "";
	int64_t n;

	n = pmt_uffd_collect(&S.uffd, uffd_page, &u, &step);
	if (n >= 0)
		return u.count;
	if (u.failed) {
		/* The written state of the pages not journaled is gone:
		 * the next flush must compare the whole file. */
		S.uffd_base = 1;
		if (n != -1)
			errno = (int)-n;
		return -1;
	}
	uffd_give_up_locked(step, errno);
	return -2;
}

/*
 * Is uffd usable for this flush?  The first flush after arming resets the
 * written state and then compares in full (returns 0): pages that were in
 * the file before the tracking began are caught.  Lock held.
 */
static int uffd_ready_locked(const void *mem)
{
	const char *step = "";

	if (!S.uffd.armed || !mem)
		return 0;
	if (S.uffd_base) {
		if (pmt_uffd_collect(&S.uffd, NULL, NULL, &step) < 0) {
			uffd_give_up_locked(step, errno);
			return 0;
		}
		S.uffd_base = 0;
		return 0;
	}
	return 1;
}

/* ---- recording ---- */

/* Record the file into the durable image.  Lock held.  Pages, or -1.
 * *@track says which tracker did it. */
static int64_t record_locked(int hold_mid, const char **track)
{
	struct pmt_journal j;
	struct rec_ctx c = { &j, hold_mid };
	const void *mem = NULL;
	int64_t n;

	*track = "compare";
	if (setup_locked() < 0) {
		errno = EIO;
		return -1;
	}
	if (pmt_journal_begin(&j, S.dir) < 0)
		return -1;
	/* Read the guest's stores straight from QEMU's mapping when it covers
	 * the whole file; otherwise from the page cache through our fd. */
	if (S.map && S.map_off == 0 && S.map_len >= j.image_size)
		mem = S.map;
	n = -2;
	if (uffd_ready_locked(mem)) {
		n = record_written_locked(&j, &c);
		if (n == -1) {
			pmt_journal_abort(&j);
			return -1;
		}
		if (n >= 0) {
			*track = "uffd";
		} else {
			/* The tracker broke: start over with a full compare. */
			pmt_journal_abort(&j);
			if (pmt_journal_begin(&j, S.dir) < 0)
				return -1;
		}
	}
	if (n == -2)
		n = pmt_file_diff(j.img_fd, S.own_fd, mem, j.image_size, rec_page, &c);
	if (n < 0) {
		if (n != -1)
			errno = (int)-n;
		pmt_journal_abort(&j);
		return -1;
	}
	if (c.hold_mid)		/* nothing to journal: hold before the commit */
		hold_on("held-mid");
	if (pmt_journal_commit(&j) < 0)
		return -1;
	return n;
}

struct flush_call {
	enum flush_op op;
	int fd;
	void *addr;
	size_t len;
	int flags;
	off64_t off, nbytes;
};

static int call_real(const struct flush_call *c)
{
	switch (c->op) {
	case OP_FSYNC:
		return REAL(fsync)(c->fd);
	case OP_FDATASYNC:
		return REAL(fdatasync)(c->fd);
	case OP_SYNC_FILE_RANGE:
		return REAL(sync_file_range)(c->fd, c->off, c->nbytes, (unsigned int)c->flags);
	case OP_MSYNC:
		return REAL(msync)(c->addr, c->len, c->flags);
	}
	errno = EINVAL;
	return -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * DIR/mode, if present, switches the mode at run time: the harness lets
 * mkfs and mount flush honestly, then plants a lying device for the
 * workload alone, so a failure shows as lost promised data rather than an
 * unmountable image.  Read at each flush: one small file, negligible.
 */
static void reread_mode_locked(uint64_t seq)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/mode", S.dir) >= (int)sizeof(path))
		return;
	fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, " \n")] = '\0';
	/* "hold" / "hold-mid" from the file: hold the flush now starting, once. */
	if (!strcmp(buf, "hold") || !strcmp(buf, "hold-mid")) {
		if (S.mode != MODE_HOLD) {
			S.mode = MODE_HOLD;
			S.hold_at = seq;
			S.hold_mid = !strcmp(buf, "hold-mid");
		}
		return;
	}
	for (int i = 0; i < 4; i++)
		if (!strcmp(buf, mode_names[i]))
			S.mode = (enum shim_mode)i;
}

static int flush(const struct flush_call *c)
{
	const char *action = "recorded";
	const char *track;
	double t0 = now_ms();
	int64_t pages = 0;
	int result, err = 0, n;
	uint64_t seq;
	char line[256];

	/* Outside the lock: a slow device still serves flushes side by side. */
	if (S.delay_ms) {
		struct timespec ts = { (time_t)(S.delay_ms / 1000),
				       (long)(S.delay_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_lock(&S.lock);
	in_shim = 1;
	seq = ++S.seq;
	reread_mode_locked(seq);
	/* Not recording leaves the written state alone: the next recorded
	 * flush still sees those pages. */
	track = S.uffd.armed ? "uffd" : "compare";
	if (S.mode == MODE_LYING) {
		action = "lied";
		result = 0;
	} else if (S.mode == MODE_FAIL_EIO && seq >= S.fail_from &&
		   (!S.fail_count || seq - S.fail_from < S.fail_count)) {
		action = "failed";
		result = -1;
		err = EIO;
	} else {
		int hold = S.mode == MODE_HOLD && seq == S.hold_at;

		if (hold && !S.hold_mid)
			hold_on("held");
		pages = record_locked(hold && S.hold_mid, &track);
		if (pages < 0) {
			say("recording flush %llu failed: %s; the flush fails with EIO",
			    (unsigned long long)seq, strerror(errno));
			action = "error";
			pages = 0;
			result = -1;
			err = EIO;
		} else {
			result = call_real(c);
			err = result < 0 ? errno : 0;
		}
	}
	if (result < 0)
		n = snprintf(line, sizeof(line),
			     "{\"seq\":%llu,\"op\":\"%s\",\"mode\":\"%s\",\"action\":\"%s\","
			     "\"pages\":%lld,\"ms\":%.3f,\"track\":\"%s\",\"result\":%d,"
			     "\"errno\":%d}\n",
			     (unsigned long long)seq, op_names[c->op], mode_names[S.mode], action,
			     (long long)pages, now_ms() - t0, track, result, err);
	else
		n = snprintf(line, sizeof(line),
			     "{\"seq\":%llu,\"op\":\"%s\",\"mode\":\"%s\",\"action\":\"%s\","
			     "\"pages\":%lld,\"ms\":%.3f,\"track\":\"%s\",\"result\":%d}\n",
			     (unsigned long long)seq, op_names[c->op], mode_names[S.mode], action,
			     (long long)pages, now_ms() - t0, track, result);
	/* One write(2) on an O_APPEND fd: lines never interleave. */
	if (n > 0 && n < (int)sizeof(line) && write(S.log_fd, line, (size_t)n) < 0)
		say("cannot append to flushes.jsonl: %s", strerror(errno));
	in_shim = 0;
	pthread_mutex_unlock(&S.lock);
	errno = err;
	return result;
}

/* Does [addr, addr+len) overlap the file's mapping? */
static int on_mapping(const void *addr, size_t len)
{
	const unsigned char *a = addr;
	int hit;

	pthread_mutex_lock(&S.lock);
	hit = S.map && a < S.map + S.map_len && a + len > S.map;
	pthread_mutex_unlock(&S.lock);
	return hit;
}

static int watched(int fd)
{
	if (!S.enabled || in_shim)
		return 0;
	/* An fd we missed at open time (dup, an unwrapped open call). */
	return is_tracked(fd) || match_fd(fd);
}

/* ---- the wrappers ---- */

static int opened(int fd)
{
	if (fd >= 0 && S.enabled && !in_shim) {
		int e = errno;

		match_fd(fd);
		errno = e;
	}
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	return opened(REAL(open)(path, flags, m));
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	return opened(REAL(open64)(path, flags, m));
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	return opened(REAL(openat)(dirfd, path, flags, m));
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = open_mode(flags, ap);
	va_end(ap);
	return opened(REAL(openat64)(dirfd, path, flags, m));
}

/* _FORTIFY_SOURCE builds call these when the flags are not a constant. */
EXPORT int __open_2(const char *path, int flags);
EXPORT int __open_2(const char *path, int flags)
{
	return opened(REAL(__open_2)(path, flags));
}

EXPORT int __open64_2(const char *path, int flags);
EXPORT int __open64_2(const char *path, int flags)
{
	return opened(REAL(__open64_2)(path, flags));
}

EXPORT int __openat_2(int dirfd, const char *path, int flags);
EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return opened(REAL(__openat_2)(dirfd, path, flags));
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags);
EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return opened(REAL(__openat64_2)(dirfd, path, flags));
}

EXPORT int close(int fd)
{
	/* The number may be reused for another file: forget it first. */
	if (S.enabled && fd >= 0)
		untrack(fd);
	return REAL(close)(fd);
}

static void mapped(void *p, size_t len, int flags, int fd, uint64_t off)
{
	int e = errno;

	if (p == MAP_FAILED || fd < 0 || !(flags & MAP_SHARED) || !watched(fd)) {
		errno = e;
		return;
	}
	pthread_mutex_lock(&S.lock);
	S.map = p;
	S.map_len = len;
	S.map_off = off;
	uffd_arm_locked(p, len, off, fd);
	pthread_mutex_unlock(&S.lock);
	errno = e;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = REAL(mmap)(addr, len, prot, flags, fd, off);

	mapped(p, len, flags, fd, (uint64_t)off);
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	void *p = REAL(mmap64)(addr, len, prot, flags, fd, off);

	mapped(p, len, flags, fd, (uint64_t)off);
	return p;
}

EXPORT int munmap(void *addr, size_t len)
{
	/* After this the mapping must not be read: fall back to pread. */
	if (S.enabled && !in_shim && on_mapping(addr, len)) {
		pthread_mutex_lock(&S.lock);
		S.map = NULL;
		S.map_len = 0;
		/* The registration goes with the mapping; pread and compare
		 * are all that is left. */
		in_shim = 1;
		pmt_uffd_disarm(&S.uffd);
		in_shim = 0;
		pthread_mutex_unlock(&S.lock);
	}
	return REAL(munmap)(addr, len);
}

EXPORT int fsync(int fd)
{
	if (!watched(fd))
		return REAL(fsync)(fd);
	return flush(&(struct flush_call){ .op = OP_FSYNC, .fd = fd });
}

EXPORT int fdatasync(int fd)
{
	if (!watched(fd))
		return REAL(fdatasync)(fd);
	return flush(&(struct flush_call){ .op = OP_FDATASYNC, .fd = fd });
}

EXPORT int sync_file_range(int fd, off64_t off, off64_t nbytes, unsigned int flags)
{
	if (!watched(fd))
		return REAL(sync_file_range)(fd, off, nbytes, flags);
	return flush(&(struct flush_call){ .op = OP_SYNC_FILE_RANGE, .fd = fd,
					   .off = off, .nbytes = nbytes, .flags = (int)flags });
}

EXPORT int msync(void *addr, size_t len, int flags)
{
	if (!S.enabled || in_shim || !(flags & MS_SYNC) || !on_mapping(addr, len))
		return REAL(msync)(addr, len, flags);
	return flush(&(struct flush_call){ .op = OP_MSYNC, .addr = addr, .len = len,
					   .flags = flags });
}
