// SPDX-License-Identifier: MIT
/*
 * mce_target: the guest side of a host-injected machine check (QMP/HMP
 * "mce") on one pmem page of a file.
 *
 * The host needs the guest-physical address of the page, and someone in
 * the guest must be mapping that page when the MCE lands, so that
 * memory_failure() has a process to signal.  So the first call creates
 * the file, starts a holder process that maps the page and reads its own
 * PFN from /proc/self/pagemap (exact: it is the PTE the CPU uses), and
 * returns that address.  The host then injects, and a second call with
 * {"collect":true} returns what the holder saw and stops it.
 *
 * The agent (PID 1) never maps the page: for a DAX page memory_failure()
 * kills every mapper (MF_MUST_KILL).  The holder is a grandchild: a small
 * monitor process waits for it and records how it ended, because the
 * agent reaps its own orphans and would swallow the exit status.
 *
 * The holder loads the page in a busy loop by default ("interval_ms":0):
 * an SRAR machine check is only recoverable when it interrupts user mode
 * (the kernel grades an action-required error taken in kernel context as
 * fatal), and under TCG an MCE is taken by whatever the vCPU is running,
 * so the holder must be what runs.  An SRAO one does not care.
 *
 * State shared by the agent, the monitor and the holder lives in a small
 * file under /run, mapped MAP_SHARED by all three: a signal handler can
 * store into it safely, and the next call finds it.
 *
 * args:   {"file":"mce.dat","size":65536,"page":1,"dir":"..","interval_ms":0}
 * result: {"file","size","page","offset","file_dax","block","pfn","gpa",
 *          "region","region_resource","region_size","dev_resource",
 *          "gpa_in_region","holder_pid","mark"}
 * args:   {"collect":true,"wait_ms":N,"probe":true}
 *         (wait up to N ms for a signal; "probe":false skips the access paths)
 * result: {"holder":{"signals":[{"signal","si_code","si_code_name",
 *          "si_addr_lsb","si_addr_offset"}],"signal":"SIGBUS|none",
 *          "loads","loads_after_signal","data_ok_after_signal",
 *          "gave_up_after_signals","alive_at_collect","exited_before_collect",
 *          "exit_signal","exit_code"},"badblocks":"..",
 *          "probes":[errprobe records, after the holder is gone],"dmesg":[..]}
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "args.h"
#include "errprobe.h"
#include "sysfs.h"
#include "workload.h"

#define MT_DEFAULT_FILE		"mce.dat"
#define MT_DEFAULT_SIZE		65536
#define MT_MAX_SIZE		(1LL << 30)
#define MT_STATE_PATH		"/run/pmt-mce-target.state"
#define MT_STATE_MAGIC		0x4d43455441524754ULL	/* "MCETARGT" */
#define MT_HOLDER_NAME		"mce_holder"
#define MT_MAX_SIGNALS		8
/* A page that faults on every load would otherwise loop in the handler forever. */
#define MT_SIGNAL_EXIT		MT_MAX_SIGNALS
#define MT_START_TIMEOUT_MS	20000
#define MT_KILL_WAIT_MS		5000
#define PM_PFN_MASK		((1ULL << 55) - 1)
#define PM_PRESENT		(1ULL << 63)

/* One signal the holder caught. */
struct mt_sig {
	int32_t sig;
	int32_t si_code;
	int32_t addr_lsb;
	int32_t pad;
	int64_t addr_off;	/* si_addr minus the page, or -1 */
	int64_t loads;		/* loads done before it */
};

/* The shared state file.  Each field has one writer. */
struct mt_state {
	uint64_t magic;
	char mark[128];			/* agent: the kmsg marker of the first call */
	char path[PATH_MAX];		/* agent: the target file */
	int64_t offset;			/* agent */
	int32_t monitor_pid;		/* agent */
	int32_t holder_pid;		/* monitor */
	int32_t killed_by_collect;	/* agent, before its SIGKILL */
	/* holder */
	int32_t ready;			/* 1: pfn is valid; -1: the holder failed (errno) */
	int32_t holder_errno;
	char holder_step[16];
	uint64_t pagemap;		/* the raw pagemap entry */
	uint64_t pfn;
	_Atomic int64_t loads;
	_Atomic int32_t nsig;
	struct mt_sig sigs[MT_MAX_SIGNALS];
	int32_t data_bad;		/* a load after a signal saw wrong data */
	int64_t loads_after_signal;
	/* monitor */
	int32_t exited;
	int32_t exit_signal;
	int32_t exit_code;
};

static long long mt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Map the state file; @create makes a fresh one.  NULL with @err set. */
static struct mt_state *mt_state_map(bool create, char *err, size_t errlen)
{
	struct mt_state *st;
	struct stat sb;
	int fd;

	fd = open(MT_STATE_PATH, create ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC :
		  O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", MT_STATE_PATH,
			 errno == ENOENT ? "no mce_target holder was started" : strerror(errno));
		return NULL;
	}
	if (create && ftruncate(fd, sizeof(*st))) {
		snprintf(err, errlen, "truncate %s: %s", MT_STATE_PATH, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!create && (fstat(fd, &sb) || sb.st_size != (off_t)sizeof(*st))) {
		snprintf(err, errlen, "%s: wrong size (another build of the agent?)", MT_STATE_PATH);
		close(fd);
		return NULL;
	}
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (st == MAP_FAILED) {
		snprintf(err, errlen, "mmap %s: %s", MT_STATE_PATH, strerror(errno));
		return NULL;
	}
	if (!create && st->magic != MT_STATE_MAGIC) {
		snprintf(err, errlen, "%s: not an mce_target state file", MT_STATE_PATH);
		munmap(st, sizeof(*st));
		return NULL;
	}
	return st;
}

/* ---- the holder: maps the page and keeps loading it ---- */

static struct mt_state *holder_st;
static const volatile unsigned char *holder_page;

static void holder_on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct mt_sig *s;
	int n;

	(void)uc;
	n = atomic_load(&holder_st->nsig);
	if (n < MT_MAX_SIGNALS) {
		s = &holder_st->sigs[n];
		s->sig = sig;
		s->si_code = si->si_code;
		s->addr_lsb = si->si_addr_lsb;
		s->addr_off = (const char *)si->si_addr - (const char *)holder_page;
		s->loads = atomic_load(&holder_st->loads);
	}
	atomic_store(&holder_st->nsig, n + 1);
	if (n + 1 >= MT_SIGNAL_EXIT)
		_exit(0);
	/* Return: a load faults again if the page stays bad, else it goes on. */
}

static void __attribute__((noreturn)) holder_fail(struct mt_state *st, const char *step)
{
	st->holder_errno = errno;
	strncpy(st->holder_step, step, sizeof(st->holder_step) - 1);
	atomic_signal_fence(memory_order_seq_cst);
	st->ready = -1;
	_exit(1);
}

static void __attribute__((noreturn)) holder_main(struct mt_state *st, long long interval_ms)
{
	unsigned char buf[ERRPROBE_PAGE];
	struct timespec ts;
	unsigned char *map;
	uint64_t ent;
	off_t pm_off;
	size_t i;
	int fd, pm;

	prctl(PR_SET_NAME, MT_HOLDER_NAME, 0, 0, 0);
	fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		holder_fail(st, "open");
	/* Only the target page: the signal then names exactly this mapping. */
	map = mmap(NULL, ERRPROBE_PAGE, PROT_READ, MAP_SHARED, fd, st->offset);
	if (map == MAP_FAILED)
		holder_fail(st, "mmap");
	holder_st = st;
	holder_page = map;
	errprobe_on_sigbus(holder_on_sigbus);
	/* Early kill: an SRAO error signals us now, not at our next access. */
	prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);

	/* Fault the page in; only a present PTE has a PFN in pagemap. */
	(void)holder_page[0];
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		holder_fail(st, "pagemap");
	pm_off = (off_t)((uintptr_t)map / ERRPROBE_PAGE * sizeof(ent));
	if (pread(pm, &ent, sizeof(ent), pm_off) != (ssize_t)sizeof(ent))
		holder_fail(st, "pagemap read");
	close(pm);
	st->pagemap = ent;
	st->pfn = ent & PM_PFN_MASK;
	atomic_signal_fence(memory_order_seq_cst);
	st->ready = 1;

	ts.tv_sec = interval_ms / 1000;
	ts.tv_nsec = (interval_ms % 1000) * 1000000L;
	for (;;) {
		for (i = 0; i < ERRPROBE_PAGE; i += 64)
			buf[i] = holder_page[i];
		atomic_fetch_add(&holder_st->loads, 1);
		if (atomic_load(&holder_st->nsig)) {
			/* The page came back after a signal: does it hold what we wrote? */
			for (i = 0; i < ERRPROBE_PAGE; i++)
				buf[i] = holder_page[i];
			if (!errprobe_check(ERRPROBE_ORIGINAL, st->offset, buf, ERRPROBE_PAGE))
				st->data_bad = 1;
			st->loads_after_signal++;
		}
		if (interval_ms)
			nanosleep(&ts, NULL);
	}
}

/* The monitor: starts the holder, waits for it, records how it ended. */
static void __attribute__((noreturn)) monitor_main(struct mt_state *st, long long interval_ms)
{
	struct sigaction sa;
	sigset_t none;
	int sig, status;
	pid_t pid, r;

	/* The agent ignores SIGPIPE and may block signals: start clean. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();

	pid = fork();
	if (pid < 0) {
		st->holder_errno = errno;
		strcpy(st->holder_step, "fork");
		st->ready = -1;
		_exit(1);
	}
	if (pid == 0)
		holder_main(st, interval_ms);
	st->holder_pid = pid;
	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	if (r == pid) {
		st->exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		st->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		atomic_signal_fence(memory_order_seq_cst);
		st->exited = 1;
	}
	_exit(0);
}

/* ---- the agent side ---- */

static bool mt_pid_is_holder(pid_t pid)
{
	char path[64], comm[32];

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_attr(path, comm, sizeof(comm)))
		return false;
	return !strcmp(comm, MT_HOLDER_NAME);
}

/* Stop a holder left by an earlier call (the state file says which). */
static void mt_stop_holder(struct mt_state *st)
{
	long long give_up;

	if (!st->exited && mt_pid_is_holder(st->holder_pid)) {
		st->killed_by_collect = 1;
		kill(st->holder_pid, SIGKILL);
		give_up = mt_now_ms() + MT_KILL_WAIT_MS;
		while (!st->exited && mt_now_ms() < give_up)
			poll(NULL, 0, 10);
	}
	/* The monitor is our child, unless the agent's orphan reaping took it. */
	if (st->monitor_pid > 0)
		waitpid(st->monitor_pid, NULL, WNOHANG);
}

static void mt_stop_previous(void)
{
	struct mt_state *st;
	char err[128];

	st = mt_state_map(false, err, sizeof(err));
	if (!st)
		return;
	mt_stop_holder(st);
	munmap(st, sizeof(*st));
}

/*
 * The nd region above the block device, for the host's cross-check of the
 * address: /sys/block/pmemN resolves to .../regionR/<namespace|pfn>/block/pmemN.
 */
static void mt_region_info(const char *block, uint64_t gpa, struct json_object *result)
{
	char link[PATH_MAX], real[PATH_MAX], dir[PATH_MAX], attr[64], *p, *blk;
	unsigned long long start = 0, size = 0;
	bool have = false;

	snprintf(link, sizeof(link), "/sys/block/%s", block);
	if (!realpath(link, real))
		return;
	blk = strstr(real, "/block/");
	if (blk) {
		/* The namespace or pfn device right above "block". */
		snprintf(dir, sizeof(dir), "%.*s", (int)(blk - real), real);
		if (!read_attr_at(dir, "resource", attr, sizeof(attr)))
			json_object_object_add(result, "dev_resource", json_object_new_string(attr));
	}
	for (p = strstr(real, "/region"); p; p = strstr(p + 1, "/region")) {
		char *end = strchr(p + 1, '/');

		if (!end)
			break;
		snprintf(dir, sizeof(dir), "%.*s", (int)(end - real), real);
		json_object_object_add(result, "region", json_object_new_string_len(p + 1,
				       (int)(end - p - 1)));
		if (!read_attr_at(dir, "resource", attr, sizeof(attr))) {
			start = strtoull(attr, NULL, 16);
			json_object_object_add(result, "region_resource", json_object_new_string(attr));
			if (!read_attr_at(dir, "size", attr, sizeof(attr))) {
				size = strtoull(attr, NULL, 10);
				json_object_object_add(result, "region_size", json_object_new_int64((int64_t)size));
				have = true;
			}
		}
		break;
	}
	json_object_object_add(result, "gpa_in_region", !have ? NULL :
		json_object_new_boolean(gpa >= start && gpa < start + size));
}

/* A boolean argument; anything but JSON true/false gives @def. */
static bool mt_arg_bool(struct json_object *args, const char *key, bool def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, key, &v) || !json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v);
}

static int mt_args(struct json_object *args, const char **file, const char **dir,
		   long long *size, long long *page, long long *interval, char *err, size_t errlen)
{
	return errprobe_victim_args(args, MT_DEFAULT_FILE, MT_DEFAULT_SIZE, MT_MAX_SIZE, file, dir,
				    size, page, err, errlen) ||
	       arg_int(args, "interval_ms", 0, 0, 10000, interval, err, errlen) ? -1 : 0;
}

/*
 * One function because the steps share the state page mapped at the start and must run in
 * order (file, device, monitor, holder); the wait for the holder and its messages could
 * be a helper.
 */
static int mt_start(const char *dir, struct json_object *args, struct json_object *result,
		    char *err, size_t errlen)
{
	const char *file, *dir_arg;
	long long size, page, interval, deadline;
	char sysdir[PATH_MAX], block[64], berr[256], gpa[32];
	unsigned long long start;
	struct mt_state *st;
	bool have_bdev;
	pid_t pid;
	int fd, dax;

	if (mt_args(args, &file, &dir_arg, &size, &page, &interval, err, errlen))
		return -1;
	if (dir_arg)
		dir = dir_arg;
	/* One holder at a time: a second start replaces the first. */
	mt_stop_previous();
	st = mt_state_map(true, err, errlen);
	if (!st)
		return -1;
	memset(st, 0, sizeof(*st));
	st->magic = MT_STATE_MAGIC;
	if (snprintf(st->path, sizeof(st->path), "%s/%s", dir, file) >= (int)sizeof(st->path)) {
		snprintf(err, errlen, "file name too long");
		goto fail;
	}
	st->offset = page * ERRPROBE_PAGE;
	if (errprobe_create_file(st->path, size, err, errlen))
		goto fail;
	fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", st->path, strerror(errno));
		goto fail;
	}
	dax = errprobe_file_dax(fd);
	have_bdev = !errprobe_blockdev(fd, sysdir, sizeof(sysdir), block, sizeof(block),
				       &start, berr, sizeof(berr));
	close(fd);
	json_object_object_add(result, "file", json_object_new_string(st->path));
	json_object_object_add(result, "size", json_object_new_int64(size));
	json_object_object_add(result, "page", json_object_new_int64(page));
	json_object_object_add(result, "offset", json_object_new_int64(st->offset));
	json_object_object_add(result, "file_dax", errprobe_tristate_json(dax));
	json_object_object_add(result, "block", have_bdev ? json_object_new_string(block) : NULL);

	errprobe_kmsg_mark("mce", st->mark, sizeof(st->mark));
	json_object_object_add(result, "mark", json_object_new_string(st->mark));
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		monitor_main(st, interval);
	st->monitor_pid = pid;

	deadline = mt_now_ms() + MT_START_TIMEOUT_MS;
	while (!st->ready && !st->exited && mt_now_ms() < deadline)
		poll(NULL, 0, 10);
	atomic_signal_fence(memory_order_seq_cst);
	if (st->ready != 1) {
		if (st->ready < 0)
			snprintf(err, errlen, "holder failed at %s: %s", st->holder_step,
				 strerror(st->holder_errno));
		else
			snprintf(err, errlen, "holder did not map the page within %d ms",
				 MT_START_TIMEOUT_MS);
		mt_stop_holder(st);
		goto fail;
	}
	if (!(st->pagemap & PM_PRESENT) || !st->pfn) {
		snprintf(err, errlen, "pagemap gives no PFN for the page (entry 0x%llx)",
			 (unsigned long long)st->pagemap);
		mt_stop_holder(st);
		goto fail;
	}
	snprintf(gpa, sizeof(gpa), "0x%llx", (unsigned long long)st->pfn * ERRPROBE_PAGE);
	json_object_object_add(result, "pfn", json_object_new_int64((int64_t)st->pfn));
	json_object_object_add(result, "gpa", json_object_new_string(gpa));
	if (have_bdev)
		mt_region_info(block, st->pfn * ERRPROBE_PAGE, result);
	json_object_object_add(result, "holder_pid", json_object_new_int(st->holder_pid));
	json_object_object_add(result, "interval_ms", json_object_new_int64(interval));
	munmap(st, sizeof(*st));
	return 0;

fail:
	munmap(st, sizeof(*st));
	unlink(MT_STATE_PATH);
	return -1;
}

static struct json_object *mt_holder_json(struct mt_state *st, bool alive)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array(), *s;
	const char *name;
	int i, n;

	n = atomic_load(&st->nsig);
	for (i = 0; i < n && i < MT_MAX_SIGNALS; i++) {
		s = json_object_new_object();
		json_object_object_add(s, "signal", json_object_new_int(st->sigs[i].sig));
		json_object_object_add(s, "si_code", json_object_new_int(st->sigs[i].si_code));
		name = errprobe_si_code_name(st->sigs[i].sig, st->sigs[i].si_code);
		json_object_object_add(s, "si_code_name", name ? json_object_new_string(name) : NULL);
		json_object_object_add(s, "si_addr_lsb", json_object_new_int(st->sigs[i].addr_lsb));
		json_object_object_add(s, "si_addr_offset", json_object_new_int64(st->sigs[i].addr_off));
		json_object_object_add(s, "loads_before", json_object_new_int64(st->sigs[i].loads));
		json_object_array_add(arr, s);
	}
	json_object_object_add(o, "signal", json_object_new_string(n ? "SIGBUS" : "none"));
	json_object_object_add(o, "nsignals", json_object_new_int(n));
	json_object_object_add(o, "signals", arr);
	json_object_object_add(o, "loads", json_object_new_int64(atomic_load(&st->loads)));
	json_object_object_add(o, "loads_after_signal", json_object_new_int64(st->loads_after_signal));
	json_object_object_add(o, "data_ok_after_signal", !st->loads_after_signal ? NULL :
			       json_object_new_boolean(!st->data_bad));
	/* The handler gives up after MT_SIGNAL_EXIT signals: the page kept faulting. */
	json_object_object_add(o, "gave_up_after_signals", json_object_new_boolean(n >= MT_SIGNAL_EXIT));
	json_object_object_add(o, "alive_at_collect", json_object_new_boolean(alive));
	/* How it ended before we killed it: the kernel's SIGKILL shows here. */
	json_object_object_add(o, "exited_before_collect", json_object_new_boolean(!alive && st->exited));
	json_object_object_add(o, "exit_signal", st->exited ? json_object_new_int(st->exit_signal) : NULL);
	json_object_object_add(o, "exit_code", st->exited && st->exit_code >= 0 ?
			       json_object_new_int(st->exit_code) : NULL);
	return o;
}

static int mt_collect(struct json_object *args, struct json_object *result,
		      char *err, size_t errlen)
{
	char sysdir[PATH_MAX], block[64], berr[256];
	long long wait_ms, deadline;
	struct errprobe_opts opts;
	unsigned long long start;
	struct mt_state *st;
	bool alive, probe;
	int fd;

	if (arg_int(args, "wait_ms", 0, 0, 600000, &wait_ms, err, errlen))
		return -1;
	probe = mt_arg_bool(args, "probe", true);
	st = mt_state_map(false, err, errlen);
	if (!st)
		return -1;
	/* An SRAO error is handled from a work queue: give the signal time to come. */
	deadline = mt_now_ms() + wait_ms;
	while (!atomic_load(&st->nsig) && !st->exited && mt_now_ms() < deadline)
		poll(NULL, 0, 20);
	alive = !st->exited && mt_pid_is_holder(st->holder_pid);
	json_object_object_add(result, "file", json_object_new_string(st->path));
	json_object_object_add(result, "pfn", json_object_new_int64((int64_t)st->pfn));
	mt_stop_holder(st);
	json_object_object_add(result, "holder", mt_holder_json(st, alive));
	/*
	 * On an ACPI NVDIMM the nfit driver turns the MCE into a bad block,
	 * and later DAX faults on the page fail; virtio-pmem has no such hook.
	 */
	fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !errprobe_blockdev(fd, sysdir, sizeof(sysdir), block, sizeof(block),
					  &start, berr, sizeof(berr)))
		json_object_object_add(result, "badblocks", errprobe_badblocks_json(sysdir));
	if (fd >= 0)
		close(fd);
	/* Then every access path on the page, as the other memory-error workloads do. */
	if (probe) {
		memset(&opts, 0, sizeof(opts));
		opts.timeout_ms = ERRPROBE_TIMEOUT_MS;
		opts.drop_cache = false;
		json_object_object_add(result, "probes",
				       errprobe_probe_all(st->path, st->offset, &opts));
	}
	json_object_object_add(result, "dmesg", errprobe_kmsg_since(st->mark));
	munmap(st, sizeof(*st));
	unlink(MT_STATE_PATH);
	return 0;
}

static int mce_target_run(const char *dir, struct json_object *args,
			  struct json_object *result, char *err, size_t errlen)
{
	if (mt_arg_bool(args, "collect", false))
		return mt_collect(args, result, err, errlen);
	return mt_start(dir, args, result, err, errlen);
}

PMT_WORKLOAD_INFO(mce_target, "map one pmem page in a holder process and report its guest-physical " "address for a host MCE; {\"collect\":true} returns what the holder saw");
