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
 *                        base.img, durable.img, journal, epochs/, flushed
 *                        (formats and the rule that ties them: durable.h),
 *                        flushes.jsonl, mode, held, held-mid.  At load the
 *                        journal is recovered and DIR/flushed is made (a
 *                        zero u64) if missing; durable.img and base.img are
 *                        made sparse copies of the file if durable.img does
 *                        not exist.  Each recorded flush with at least one
 *                        page keeps its journal as epochs/SEQ.  Flush
 *                        numbers go on from max(flushed, last epoch) when
 *                        a shim is loaded again on the same DIR.
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
 *                        fail-lose: a Linux host after a write-back error:
 *                          the first flush after the mode is set (by
 *                          DIR/mode or the environment) returns -1/EIO
 *                          and loses the pages it did not write: the pages
 *                          that differ from durable.img then are never
 *                          recorded by a later flush unless written again
 *                          (content changed), as a host marks them clean
 *                          without writing them.  Later flushes are
 *                          honest and return 0, as fsync() does after
 *                          errseq reported the error once.  The host keeps
 *                          the pages in its page cache: the guest still
 *                          reads the new content.
 *                        fail-lose-drop: the same, and the host also drops
 *                          the lost pages from its page cache: the shim
 *                          writes durable.img's content back into QEMU's
 *                          mapping, so the guest's DAX view goes back to
 *                          the old content (eviction, then a re-read).
 *                        drop: a device that acknowledges some flushes
 *                          without making them durable.  With
 *                          PMT_SHIM_DROP_EVERY=N flushes S, S+N, S+2N, ...
 *                          are dropped; with PMT_SHIM_DROP_BURST=B flushes
 *                          S .. S+B-1 are, and the device is honest after
 *                          the burst; S is PMT_SHIM_DROP_FROM (default 1).
 *                          Exactly one of EVERY and BURST, each >= 1.  A
 *                          dropped flush returns 0, records nothing and
 *                          skips the real fsync, like lying: its pages stay
 *                          pending (the uffd written state is not touched)
 *                          and the next honest flush records them.  The
 *                          others are honest.
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
 *   PMT_SHIM_HOLD_MS     a hold ends by itself after this many ms (the
 *                        shim removes DIR/held); 0 (default): only when
 *                        the file is removed.  The held flush keeps the
 *                        shim's lock, so the flushes behind it pile up.
 *                        One line
 *                            drop every=N [from=S]
 *                            drop burst=B [from=S]
 *                        is the drop mode above (S defaults to 1; flush
 *                        numbers are those of flushes.jsonl, so the harness
 *                        reads DIR/flushed and writes from=counter+1).  A
 *                        bad drop line is bad configuration (below): the
 *                        flush reading it and every later call pass
 *                        through, unrecorded and unlogged.
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
 *    "epoch_bytes":B,"ms":T,"track":"uffd","depth":D,"rt0_us":U0,
 *    "rt1_us":U1,"result":0}
 * (plus "errno":E when result is -1, and "lost":L on a fail-lose flush:
 * the pages it lost).  depth: how many flush calls were inside the shim
 * when this one entered, itself included (QEMU's thread-pool workers: the
 * guest's requests popped and not yet answered, as far as they reached a
 * worker); rt0_us/rt1_us: CLOCK_REALTIME in microseconds when the call
 * entered the shim (before PMT_SHIM_DELAY_MS) and when its result was
 * final, for matching against the guest's own clock.  epoch_bytes, on recorded flushes
 * only: the size of epochs/N (0: no page, no epoch file); the epoch log's
 * size is their sum.  Then DIR/flushed is set to N (a release store into
 * its mapping), in every mode, before the call returns to QEMU.
 * track: the tracker this flush used ("compare" for the first flush after
 * arming uffd, the full compare that sets the baseline).
 * action: recorded, lied, dropped, failed (injected EIO), error (recording
 * failed: the flush then returns EIO, since the durable image could not
 * follow).
 *
 * Bad configuration never breaks QEMU: one "pmtorture-shim: ..." line on
 * stderr and every call passes through unchanged.
 */
#include <dirent.h>
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

enum shim_mode { MODE_HONEST, MODE_LYING, MODE_FAIL_EIO, MODE_HOLD, MODE_DROP,
		 MODE_FAIL_LOSE, MODE_FAIL_LOSE_DROP, NMODES };
static const char *const mode_names[] = { "honest", "lying", "fail-eio", "hold", "drop",
					   "fail-lose", "fail-lose-drop" };

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

/* A page a fail-lose flush lost: its index and the checksum of the content
 * the host never wrote.  A later flush that finds the same content skips it. */
struct lost_page {
	uint64_t page;
	uint64_t sum;
};

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
	uint64_t hold_ms;		/* PMT_SHIM_HOLD_MS: 0, no end */
	uint64_t drop_every, drop_burst;	/* drop: exactly one is not 0 */
	uint64_t drop_from;
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
	_Atomic uint64_t *flushed;	/* DIR/flushed, mapped */
	struct pmt_uffd uffd;		/* armed on map when track is uffd */
	int uffd_base;			/* next flush: reset, then compare in full */
	int uffd_off;			/* gave up on uffd: compare for good */
	int lose_armed;			/* fail-lose: the next flush fails and loses */
	struct lost_page *lost;		/* pages a fail-lose flush lost, not rewritten */
	size_t nlost, lost_cap;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER, .own_fd = -1, .log_fd = -1,
	.track = TRACK_UFFD, .uffd = { .uffd = -1, .pagemap_fd = -1 } };

/* Flush calls inside flush() now, and the most ever (flushes.jsonl "depth"). */
static _Atomic int inflight;

/* The file's fds in QEMU; -1 is a free slot.  Read without the lock. */
static _Atomic int tracked[MAX_FDS] = { -1, -1, -1, -1, -1, -1, -1, -1 };

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

/*
 * Set the drop schedule: exactly one of @every and @burst not 0, @from >= 1.
 * Returns 0, or -1 after one line naming @src (the caller passes through).
 */
static int set_drop(uint64_t every, uint64_t burst, uint64_t from, const char *src)
{
	if (!every == !burst || !from) {
		say("%s: drop needs exactly one of every=N or burst=B (N, B >= 1) and from=S "
		    "(S >= 1); passing everything through", src);
		return -1;
	}
	S.drop_every = every;
	S.drop_burst = burst;
	S.drop_from = from;
	return 0;
}

/* Is flush @seq one that the drop schedule drops? */
static int dropped(uint64_t seq)
{
	if (seq < S.drop_from)
		return 0;
	if (S.drop_every)
		return (seq - S.drop_from) % S.drop_every == 0;
	return seq - S.drop_from < S.drop_burst;
}

/* The highest seq in DIR/epochs (0 if none): a restarted shim goes on from there. */
static uint64_t last_epoch_seq(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t max = 0;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/%s", S.dir, PMT_EPOCHS) >= (int)sizeof(path))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		uint64_t v;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		v = strtoull(de->d_name, &end, 10);
		if (!*end && v > max)
			max = v;
	}
	closedir(d);
	return max;
}

/* Make durable.img and our own fd once the file exists.  Lock held. */
static int setup_locked(void)
{
	int r;

	if (S.ready)
		return 0;
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

	if (!S.enabled || fd < 0)
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

/* PMT_SHIM_MODE, absent meaning honest.  0, or -1 having said why the shim stays off. */
static int read_mode(const char *mode)
{
	S.mode = MODE_HONEST;
	if (!mode || !*mode)
		return 0;
	for (int i = 0; i < NMODES; i++) {
		if (!strcmp(mode, mode_names[i])) {
			S.mode = (enum shim_mode)i;
			return 0;
		}
	}
	say("PMT_SHIM_MODE=%s is not honest, lying, fail-eio, hold, drop, "
	    "fail-lose or fail-lose-drop; passing everything through", mode);
	return -1;
}

/*
 * The PMT_SHIM_* settings other than FILE, into S.  0, or -1 having said
 * why the shim stays off: a setting it cannot read must not be guessed.
 */
static int read_settings(void)
{
	const char *dir = getenv("PMT_SHIM_DIR");
	const char *track_mode = getenv("PMT_SHIM_TRACK");
	const char *where = getenv("PMT_SHIM_HOLD_WHERE");
	uint64_t every, burst, from;

	if (!dir || !*dir) {
		say("PMT_SHIM_FILE is set but PMT_SHIM_DIR is not; passing everything through");
		return -1;
	}
	if (snprintf(S.dir, sizeof(S.dir), "%s", dir) >= (int)sizeof(S.dir)) {
		say("PMT_SHIM_DIR is too long; passing everything through");
		return -1;
	}
	if (read_mode(getenv("PMT_SHIM_MODE")) < 0)
		return -1;
	if (S.mode == MODE_DROP &&
	    (parse_u64("PMT_SHIM_DROP_EVERY", 0, &every) < 0 ||
	     parse_u64("PMT_SHIM_DROP_BURST", 0, &burst) < 0 ||
	     parse_u64("PMT_SHIM_DROP_FROM", 1, &from) < 0 ||
	     set_drop(every, burst, from, "PMT_SHIM_MODE=drop") < 0))
		return -1;
	if (parse_u64("PMT_SHIM_FAIL_FROM", 1, &S.fail_from) < 0 ||
	    parse_u64("PMT_SHIM_FAIL_COUNT", 0, &S.fail_count) < 0 ||
	    parse_u64("PMT_SHIM_HOLD_AT", 1, &S.hold_at) < 0 ||
	    parse_u64("PMT_SHIM_DELAY_MS", 0, &S.delay_ms) < 0 ||
	    parse_u64("PMT_SHIM_HOLD_MS", 0, &S.hold_ms) < 0)
		return -1;
	if (where && *where && strcmp(where, "before") && strcmp(where, "mid")) {
		say("PMT_SHIM_HOLD_WHERE=%s is not before or mid; passing everything through", where);
		return -1;
	}
	S.hold_mid = where && !strcmp(where, "mid");
	S.lose_armed = S.mode == MODE_FAIL_LOSE || S.mode == MODE_FAIL_LOSE_DROP;
	if (!track_mode || !*track_mode || !strcmp(track_mode, "uffd"))
		return 0;
	if (!strcmp(track_mode, "compare")) {
		S.track = TRACK_COMPARE;
		return 0;
	}
	say("PMT_SHIM_TRACK=%s is not compare or uffd; passing everything through", track_mode);
	return -1;
}

/*
 * Make S.dir a writable directory with a whole durable image (the journal
 * of a killed run recovered) and the flush counter, and carry the flush
 * numbering on.  0, or -1 having said why the shim stays off.
 */
static int prepare_dir(void)
{
	struct stat st;
	uint64_t last;
	int r;

	if (mkdir(S.dir, 0755) < 0 && errno != EEXIST) {
		say("cannot create PMT_SHIM_DIR %s: %s; passing everything through",
		    S.dir, strerror(errno));
		return -1;
	}
	if (stat(S.dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(S.dir, W_OK) < 0) {
		say("PMT_SHIM_DIR %s is not a writable directory; passing everything through",
		    S.dir);
		return -1;
	}
	r = pmt_durable_recover(S.dir);
	if (r < 0) {
		say("cannot recover the journal in %s: %s; passing everything through",
		    S.dir, strerror(errno));
		return -1;
	}
	if (r == 1)
		say("replayed a committed journal in %s", S.dir);
	else if (r == 2)
		say("discarded a torn journal in %s", S.dir);
	if (pmt_flush_counter_open(S.dir, 1, &S.flushed) < 0) {
		say("cannot make %s/%s: %s; passing everything through", S.dir, PMT_FLUSHED,
		    strerror(errno));
		return -1;
	}
	/* Numbering goes on across a restart on the same DIR: an epoch may be
	 * one past the counter (killed between the commit and the store). */
	S.seq = pmt_flush_counter_load(S.flushed);
	last = last_epoch_seq();
	if (last > S.seq)
		S.seq = last;
	return 0;
}

/* Open DIR/flushes.jsonl for appending.  0, or -1 (said why, unless the path is too long). */
static int open_log(void)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/flushes.jsonl", S.dir) >= (int)sizeof(path))
		return -1;
	S.log_fd = REAL(open)(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (S.log_fd < 0) {
		say("cannot open %s: %s; passing everything through", path, strerror(errno));
		return -1;
	}
	return 0;
}

__attribute__((constructor))
static void shim_init(void)
{
	struct stat st;

	S.file = getenv("PMT_SHIM_FILE");
	if (!S.file || !*S.file)
		return;
	if (read_settings() < 0 || prepare_dir() < 0 || open_log() < 0)
		return;
	S.enabled = 1;
	/* If the file is already there, make durable.img before the guest runs. */
	if (stat(S.file, &st) == 0) {
		pthread_mutex_lock(&S.lock);
		file_id_locked();
		setup_locked();
		pthread_mutex_unlock(&S.lock);
	}
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
	for (uint64_t waited = 0; access(path, F_OK) == 0; waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (S.hold_ms && waited >= S.hold_ms) {
			unlink(path);
			break;
		}
		nanosleep(&ts, NULL);
	}
}

struct rec_ctx {
	struct pmt_journal *j;
	int hold_mid;		/* hold after the first record */
};

/* The lost-page entry of @page, or NULL.  Lock held. */
static struct lost_page *lost_find(uint64_t page)
{
	for (size_t i = 0; i < S.nlost; i++)
		if (S.lost[i].page == page)
			return &S.lost[i];
	return NULL;
}

/*
 * A page a fail-lose flush lost and nobody wrote since (same content) is
 * clean on a Linux host: no later flush writes it.  A rewritten one is
 * dirty again and leaves the list.  1: skip the page.  Lock held.
 */
static int lost_skip(uint64_t page, const void *cur)
{
	struct lost_page *l = S.nlost ? lost_find(page) : NULL;

	if (!l)
		return 0;
	if (l->sum == pmt_checksum64(0, cur, PMT_PAGE_SIZE))
		return 1;
	*l = S.lost[--S.nlost];
	return 0;
}

static int rec_page(uint64_t page, const void *cur, void *arg)
{
	struct rec_ctx *c = arg;

	if (lost_skip(page, cur))
		return 0;

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
	if (pmt_uffd_arm(&S.uffd, p, len, &step) < 0)
		uffd_give_up_locked(step, errno);
	else
		S.uffd_base = 1;
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

/* Record the file into the durable image as flush @seq.  Lock held.
 * Pages, or -1.  *@track says which tracker did it, *@epoch_bytes the size
 * of the epoch file kept (0: no page, no epoch). */
static int64_t record_locked(int hold_mid, const char **track, uint64_t seq,
			     uint64_t *epoch_bytes)
{
	struct pmt_journal j;
	struct rec_ctx c = { &j, hold_mid };
	const void *mem = NULL;
	int64_t n;

	*track = "compare";
	*epoch_bytes = 0;
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
	j.seq = seq;
	if (j.npages)	/* header + records + commit */
		*epoch_bytes = 24 + j.npages * (8 + PMT_PAGE_SIZE) + 32;
	if (pmt_journal_commit(&j) < 0)
		return -1;
	return n;
}

struct lose_ctx {
	int img_fd;		/* durable.img, for the old content (drop) */
	int drop;		/* fail-lose-drop */
	int64_t lost;
};

static int lose_page(uint64_t page, const void *cur, void *arg)
{
	struct lose_ctx *l = arg;
	unsigned char old[PMT_PAGE_SIZE];
	struct lost_page *e;

	l->lost++;
	if (l->drop) {
		/* Evicted, then read again from the disk: the old content. */
		if (read_page(l->img_fd, old, page) < 0)
			return -errno;
		memcpy(S.map + page * PMT_PAGE_SIZE, old, PMT_PAGE_SIZE);
		return 0;
	}
	e = lost_find(page);
	if (!e) {
		if (S.nlost == S.lost_cap) {
			size_t cap = S.lost_cap ? S.lost_cap * 2 : 256;
			struct lost_page *n = realloc(S.lost, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			S.lost = n;
			S.lost_cap = cap;
		}
		e = &S.lost[S.nlost++];
		e->page = page;
	}
	e->sum = pmt_checksum64(0, cur, PMT_PAGE_SIZE);
	return 0;
}

/*
 * A fail-lose flush: the pages that differ from durable.img are the ones
 * this failed fsync did not write; a Linux host marks them clean.  Pages
 * lost, or -1 with errno.  Lock held.
 */
static int64_t lose_locked(int drop)
{
	struct lose_ctx l = { -1, drop, 0 };
	char path[PATH_MAX];
	const void *mem = NULL;
	struct stat st;
	int64_t n;

	if (setup_locked() < 0 || fstat(S.own_fd, &st) < 0) {
		errno = EIO;
		return -1;
	}
	if (S.map && S.map_off == 0 && S.map_len >= (uint64_t)st.st_size)
		mem = S.map;
	if (drop && !mem) {
		errno = ENXIO;	/* no mapping to drop the pages from */
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s/%s", S.dir, PMT_DURABLE_IMG) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	l.img_fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (l.img_fd < 0)
		return -1;
	n = pmt_file_diff(l.img_fd, S.own_fd, mem, (uint64_t)st.st_size, lose_page, &l);
	REAL(close)(l.img_fd);
	if (n < 0) {
		if (n != -1)
			errno = (int)-n;
		return -1;
	}
	return l.lost;
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

/* CLOCK_REALTIME in microseconds: the clock the guest's timestamps are matched to. */
static uint64_t now_rt_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* "key=N" with N all digits: 1 and *@v; 0 if @tok is not key=... */
static int kv(const char *tok, const char *key, uint64_t *v, int *bad)
{
	size_t k = strlen(key);
	char *end;

	if (strncmp(tok, key, k) || tok[k] != '=')
		return 0;
	errno = 0;
	*v = strtoull(tok + k + 1, &end, 10);
	if (tok[k + 1] < '0' || tok[k + 1] > '9' || *end || errno)
		*bad = 1;
	return 1;
}

/* "drop every=N from=S" / "drop burst=B from=S" (after "drop"). */
static int parse_drop_line(char *rest)
{
	uint64_t every = 0, burst = 0, from = 1;
	char *save = NULL, *tok;
	int bad = 0;

	for (tok = strtok_r(rest, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (!kv(tok, "every", &every, &bad) && !kv(tok, "burst", &burst, &bad) &&
		    !kv(tok, "from", &from, &bad))
			bad = 1;
	}
	if (bad) {
		say("%s/mode: bad drop line; drop needs every=N or burst=B, and from=S; "
		    "passing everything through", S.dir);
		return -1;
	}
	return set_drop(every, burst, from, "DIR/mode");
}

/*
 * DIR/mode, if present, switches the mode at run time: the harness lets
 * mkfs and mount flush honestly, then plants a lying device for the
 * workload alone, so a failure shows as lost promised data rather than an
 * unmountable image.  Read at each flush: one small file, negligible.
 * Returns -1 if it is a bad drop line (then the shim passes through).
 */
static int reread_mode_locked(uint64_t seq)
{
	char path[PATH_MAX], buf[128];
	ssize_t n;
	size_t w;
	int fd;

	if (snprintf(path, sizeof(path), "%s/mode", S.dir) >= (int)sizeof(path))
		return 0;
	fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	REAL(close)(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	w = strcspn(buf, " \t\n");
	if (w == 4 && !strncmp(buf, "drop", 4)) {
		if (parse_drop_line(buf + 4) < 0)
			return -1;
		S.mode = MODE_DROP;
		return 0;
	}
	buf[w] = '\0';
	/* "hold" / "hold-mid" from the file: hold the flush now starting, once. */
	if (!strcmp(buf, "hold") || !strcmp(buf, "hold-mid")) {
		if (S.mode != MODE_HOLD) {
			S.mode = MODE_HOLD;
			S.hold_at = seq;
			S.hold_mid = !strcmp(buf, "hold-mid");
		}
		return 0;
	}
	/* "drop" alone has no schedule; it was handled above. */
	for (int i = 0; i < NMODES; i++) {
		if (i == MODE_DROP || strcmp(buf, mode_names[i]))
			continue;
		/* Switching into a fail-lose mode arms its one failure. */
		if ((i == MODE_FAIL_LOSE || i == MODE_FAIL_LOSE_DROP) && S.mode != (enum shim_mode)i)
			S.lose_armed = 1;
		S.mode = (enum shim_mode)i;
	}
	return 0;
}

/*
 * One function because a flush, from taking its sequence number to storing the counter,
 * must happen in one piece under S.lock in this order; the mode decision and the log line
 * could be helpers, but the lock would then span three functions.
 */
static int flush(const struct flush_call *c)
{
	const char *action = "recorded";
	const char *track;
	double t0 = now_ms();
	uint64_t rt0 = now_rt_us();
	int depth = atomic_fetch_add(&inflight, 1) + 1;
	int64_t pages = 0, lost = -1;
	int result, err = 0, n;
	uint64_t seq, epoch_bytes = 0;
	char line[448], eb[64] = "";

	/* Outside the lock: a slow device still serves flushes side by side. */
	if (S.delay_ms) {
		struct timespec ts = { (time_t)(S.delay_ms / 1000),
				       (long)(S.delay_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_lock(&S.lock);
	seq = ++S.seq;
	if (reread_mode_locked(seq) < 0) {
		/* A bad DIR/mode: from now on the shim is not there. */
		S.enabled = 0;
		pthread_mutex_unlock(&S.lock);
		atomic_fetch_sub(&inflight, 1);
		return call_real(c);
	}
	/* Not recording leaves the written state alone: the next recorded
	 * flush still sees those pages. */
	track = S.uffd.armed ? "uffd" : "compare";
	if (S.mode == MODE_LYING) {
		action = "lied";
		result = 0;
	} else if (S.mode == MODE_DROP && dropped(seq)) {
		/* Acknowledged, not durable: as lying, for this flush only. */
		action = "dropped";
		result = 0;
	} else if ((S.mode == MODE_FAIL_LOSE || S.mode == MODE_FAIL_LOSE_DROP) && S.lose_armed) {
		/* No real fsync: the data it would have written is gone. */
		S.lose_armed = 0;
		action = "failed";
		result = -1;
		err = EIO;
		lost = lose_locked(S.mode == MODE_FAIL_LOSE_DROP);
		if (lost < 0) {
			say("fail-lose flush %llu: finding the lost pages failed: %s",
			    (unsigned long long)seq, strerror(errno));
			action = "error";
			lost = 0;
		}
		snprintf(eb, sizeof(eb), ",\"lost\":%lld", (long long)lost);
	} else if (S.mode == MODE_FAIL_EIO && seq >= S.fail_from &&
		   (!S.fail_count || seq - S.fail_from < S.fail_count)) {
		action = "failed";
		result = -1;
		err = EIO;
	} else {
		int hold = S.mode == MODE_HOLD && seq == S.hold_at;

		if (hold && !S.hold_mid)
			hold_on("held");
		pages = record_locked(hold && S.hold_mid, &track, seq, &epoch_bytes);
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
			snprintf(eb, sizeof(eb), ",\"epoch_bytes\":%llu",
				 (unsigned long long)epoch_bytes);
		}
	}
	if (result < 0)
		n = snprintf(line, sizeof(line),
			     "{\"seq\":%llu,\"op\":\"%s\",\"mode\":\"%s\",\"action\":\"%s\","
			     "\"pages\":%lld%s,\"ms\":%.3f,\"track\":\"%s\",\"depth\":%d,"
			     "\"rt0_us\":%llu,\"rt1_us\":%llu,\"result\":%d,\"errno\":%d}\n",
			     (unsigned long long)seq, op_names[c->op], mode_names[S.mode], action,
			     (long long)pages, eb, now_ms() - t0, track, depth,
			     (unsigned long long)rt0, (unsigned long long)now_rt_us(), result, err);
	else
		n = snprintf(line, sizeof(line),
			     "{\"seq\":%llu,\"op\":\"%s\",\"mode\":\"%s\",\"action\":\"%s\","
			     "\"pages\":%lld%s,\"ms\":%.3f,\"track\":\"%s\",\"depth\":%d,"
			     "\"rt0_us\":%llu,\"rt1_us\":%llu,\"result\":%d}\n",
			     (unsigned long long)seq, op_names[c->op], mode_names[S.mode], action,
			     (long long)pages, eb, now_ms() - t0, track, depth,
			     (unsigned long long)rt0, (unsigned long long)now_rt_us(), result);
	/* One write(2) on an O_APPEND fd: lines never interleave. */
	if (n > 0 && n < (int)sizeof(line) && write(S.log_fd, line, (size_t)n) < 0)
		say("cannot append to flushes.jsonl: %s", strerror(errno));
	/*
	 * The result is final and logged: say so before QEMU sees it, so that
	 * once the guest learns its flush completed, the counter already does.
	 * Under the lock, so the counter only goes up.
	 */
	pmt_flush_counter_store(S.flushed, seq);
	pthread_mutex_unlock(&S.lock);
	atomic_fetch_sub(&inflight, 1);
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
	if (!S.enabled)
		return 0;
	/* An fd we missed at open time (dup, an unwrapped open call). */
	return is_tracked(fd) || match_fd(fd);
}

/* ---- the wrappers ---- */

static int opened(int fd)
{
	if (fd >= 0 && S.enabled) {
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
	if (S.enabled && on_mapping(addr, len)) {
		pthread_mutex_lock(&S.lock);
		S.map = NULL;
		S.map_len = 0;
		/* The registration goes with the mapping; pread and compare
		 * are all that is left. */
		pmt_uffd_disarm(&S.uffd);
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
	if (!S.enabled || !(flags & MS_SYNC) || !on_mapping(addr, len))
		return REAL(msync)(addr, len, flags);
	return flush(&(struct flush_call){ .op = OP_MSYNC, .addr = addr, .len = len,
					   .flags = flags });
}
