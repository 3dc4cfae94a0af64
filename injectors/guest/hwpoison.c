// SPDX-License-Identifier: MIT
/*
 * hwpoison: poison one page of a file with madvise(MADV_HWPOISON) and
 * record what the kernel did: the signal to the process that mapped it,
 * the memory-failure recovery line, what later accesses see, and whether
 * the pmem driver recorded a bad block.
 *
 * MADV_HWPOISON runs memory_failure() on the page behind the mapping
 * (CONFIG_MEMORY_FAILURE, CAP_SYS_ADMIN: the agent is root).  On a DAX
 * page that is the device's own memory (ZONE_DEVICE): the kernel unmaps
 * it from every process and kills them (MF_MUST_KILL), so only a forked
 * child may map it, never the agent.  On a page-cache page (target
 * "pagecache": a non-DAX mount, or tmpfs via "dir") the page cache decides:
 * a clean page is dropped and re-read, a dirty one stays poisoned.
 *
 * args: {"file":"victim.dat","size":65536,"page":1,"target":"dax|pagecache",
 *        "dir":"..","timeout_ms":N}
 * result: {"file","size","page","offset","target","file_dax","block",
 *          "badblocks_before","inject":{"ok","errno","error","signal",
 *          "si_code","si_code_name","si_addr_lsb","si_addr_offset",..,
 *          "reaccess":{the same mapping loaded again after madvise}},
 *          "badblocks_after_inject","probes":[errprobe records],
 *          "badblocks_after","badblock_gained","dmesg":[..]}
 * Returns -1 only when the poison did not arm: madvise() failed (EPERM,
 * EINVAL without CONFIG_MEMORY_FAILURE, ...) or the file is not the kind
 * of page the host asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "args.h"
#include "errprobe.h"
#include "workload.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON		100
#endif

#define HWP_DEFAULT_FILE	"victim.dat"
#define HWP_DEFAULT_SIZE	65536
#define HWP_MAX_SIZE		(1LL << 30)

struct hwp_inject {
	const char *path;
	off_t size;
	off_t off;
};

/*
 * The injecting child: map the file, fault the page in, poison it.  Sends
 * two records: the madvise() (with any SIGBUS raised during it), then a
 * load of the same page through the same mapping.
 */
static void hwp_inject_child(void *arg, int pipe_fd)
{
	const struct hwp_inject *a = arg;
	static unsigned char buf[ERRPROBE_PAGE];
	struct errprobe_rec rec;
	volatile unsigned char *page;
	unsigned char *map;
	size_t i;
	int fd, r;

	errprobe_rec_init(&rec);
	errprobe_step(&rec, "open");
	fd = open(a->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	errprobe_step(&rec, "mmap");
	map = mmap(NULL, (size_t)a->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	page = map + a->off;
	/* madvise_inject_error() needs the page present in our page table. */
	errprobe_catch_sigbus(&rec, pipe_fd, (const void *)page, true);
	errprobe_step(&rec, "touch");
	(void)page[0];

	/* A SIGBUS sent during the system call is recorded; madvise() then returns. */
	errprobe_catch_sigbus(&rec, pipe_fd, (const void *)page, false);
	errprobe_step(&rec, "madvise");
	r = madvise((void *)page, ERRPROBE_PAGE, MADV_HWPOISON);
	rec.ret = r;
	rec.err = r ? errno : 0;
	rec.ok = r == 0;
	rec.done = 1;
	errprobe_send(pipe_fd, &rec);

	errprobe_rec_init(&rec);
	/* A faulting load would fault again on return: the handler exits. */
	errprobe_catch_sigbus(&rec, pipe_fd, (const void *)page, true);
	errprobe_step(&rec, "load");
	for (i = 0; i < ERRPROBE_PAGE; i++)
		buf[i] = page[i];
	rec.data_ok = errprobe_check(ERRPROBE_ORIGINAL, a->off, buf, ERRPROBE_PAGE);
	rec.ok = 1;
	errprobe_step(&rec, "");
	rec.done = 1;
	errprobe_send(pipe_fd, &rec);
	return;

fail:
	rec.err = errno;
	rec.done = 1;
	errprobe_send(pipe_fd, &rec);
}

static int hwp_args(struct json_object *args, const char **file, const char **dir,
		    const char **target, long long *size, long long *page, long long *timeout,
		    char *err, size_t errlen)
{
	if (errprobe_victim_args(args, HWP_DEFAULT_FILE, HWP_DEFAULT_SIZE, HWP_MAX_SIZE, file, dir,
				 size, page, err, errlen) ||
	    arg_string(args, "target", false, target, err, errlen) ||
	    arg_int(args, "timeout_ms", ERRPROBE_TIMEOUT_MS, 100, 600000, timeout, err, errlen))
		return -1;
	if (!*target)
		*target = "dax";
	if (strcmp(*target, "dax") && strcmp(*target, "pagecache")) {
		snprintf(err, errlen, "argument \"target\" must be \"dax\" or \"pagecache\"");
		return -1;
	}
	return 0;
}

/* Runs the injecting child; -1 with @err only when madvise() refused. */
static int hwp_inject(struct hwp_inject *inj, long long timeout, struct json_object *result,
		      char *err, size_t errlen)
{
	struct errprobe_child c;
	struct json_object *o;
	const struct errprobe_rec *r;

	if (errprobe_run_child(hwp_inject_child, inj, timeout, &c, err, errlen))
		return -1;
	o = errprobe_child_json(NULL, &c, 0);
	json_object_object_add(o, "reaccess", c.nrec > 1 ? errprobe_child_json(NULL, &c, 1) : NULL);
	json_object_object_add(result, "inject", o);
	r = c.nrec ? &c.rec[0] : NULL;
	if (r && !strcmp(r->step, "madvise") && r->ret) {
		snprintf(err, errlen, "fault did not arm: madvise(MADV_HWPOISON): %s",
			 strerror(r->err));
		return -1;
	}
	if (r && strcmp(r->step, "madvise")) {
		snprintf(err, errlen, "fault did not arm: %s before madvise: %s", r->step,
			 r->sig ? strsignal(r->sig) : strerror(r->err));
		return -1;
	}
	/* No record: the child died in madvise(); the kernel killed it.  An outcome. */
	return 0;
}

static bool json_str_differs(struct json_object *a, struct json_object *b)
{
	if (!a || !b)
		return false;
	return strcmp(json_object_get_string(a), json_object_get_string(b)) != 0;
}

static int hwpoison_run(const char *dir, struct json_object *args,
			struct json_object *result, char *err, size_t errlen)
{
	const char *file, *dir_arg, *target;
	long long size, page, timeout;
	struct json_object *before, *after_inject, *after;
	struct errprobe_opts opts;
	struct hwp_inject inj;
	char path[PATH_MAX], sysdir[PATH_MAX], name[64], berr[256], mark[128];
	unsigned long long start;
	bool have_bdev;
	int fd, dax;

	if (hwp_args(args, &file, &dir_arg, &target, &size, &page, &timeout, err, errlen))
		return -1;
	if (errprobe_victim_path(dir, dir_arg, file, path, sizeof(path), err, errlen))
		return -1;
	if (errprobe_create_file(path, size, err, errlen))
		return -1;
	json_object_object_add(result, "file", json_object_new_string(path));
	json_object_object_add(result, "size", json_object_new_int64(size));
	json_object_object_add(result, "page", json_object_new_int64(page));
	json_object_object_add(result, "offset", json_object_new_int64(page * ERRPROBE_PAGE));
	json_object_object_add(result, "target", json_object_new_string(target));

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	dax = errprobe_file_dax(fd);
	have_bdev = !errprobe_blockdev(fd, sysdir, sizeof(sysdir), name, sizeof(name),
				       &start, berr, sizeof(berr));
	close(fd);
	json_object_object_add(result, "file_dax", errprobe_tristate_json(dax));
	json_object_object_add(result, "block", have_bdev ? json_object_new_string(name) : NULL);
	/* Poisoning the wrong kind of page would answer a different question. */
	if (!strcmp(target, "dax") && dax != 1) {
		snprintf(err, errlen, "fault did not arm: target dax but DAX is not active on %s", path);
		return -1;
	}
	if (!strcmp(target, "pagecache") && dax == 1) {
		snprintf(err, errlen, "fault did not arm: target pagecache but %s is a DAX file", path);
		return -1;
	}
	before = have_bdev ? errprobe_badblocks_json(sysdir) : NULL;
	json_object_object_add(result, "badblocks_before", before);

	memset(&inj, 0, sizeof(inj));
	inj.path = path;
	inj.size = size;
	inj.off = (off_t)page * ERRPROBE_PAGE;
	errprobe_kmsg_mark("hwpoison", mark, sizeof(mark));
	if (hwp_inject(&inj, timeout, result, err, errlen))
		return -1;
	after_inject = have_bdev ? errprobe_badblocks_json(sysdir) : NULL;
	json_object_object_add(result, "badblocks_after_inject", after_inject);

	memset(&opts, 0, sizeof(opts));
	opts.timeout_ms = timeout;
	/* The poisoned page cache page is the target: do not drop it. */
	opts.drop_cache = false;
	json_object_object_add(result, "probes", errprobe_probe_all(path, inj.off, &opts));
	after = have_bdev ? errprobe_badblocks_json(sysdir) : NULL;
	json_object_object_add(result, "badblocks_after", after);
	json_object_object_add(result, "badblock_gained", !have_bdev ? NULL :
		json_object_new_boolean(json_str_differs(before, after_inject) ||
					json_str_differs(before, after)));
	json_object_object_add(result, "dmesg", errprobe_kmsg_since(mark));
	return 0;
}

PMT_WORKLOAD_INFO(hwpoison, "madvise(MADV_HWPOISON) on a DAX or page-cache page of a file; probe every access path");
