// SPDX-License-Identifier: MIT
/*
 * devreset: put the virtio-pmem device into NEEDS_RESET from the guest,
 * while writers work, and record what the flushes after it return.  The
 * guest half of the devreset injector (injectors/devreset.c).
 *
 * How: QEMU 7.2's virtio_pmem_flush() (hw/virtio/virtio-pmem.c) pops one
 * request per queue notification; a notification that finds the queue
 * empty calls virtio_error(vdev, "virtio-pmem missing request data"),
 * which sets VIRTIO_CONFIG_S_NEEDS_RESET (0x40) on a VERSION_1 device and
 * marks it broken: QEMU ignores the queue from then on.  Any guest process
 * that can write the device's notify register can do that: this one finds
 * the virtio-pci modern capabilities in the device's PCI config space
 * (/sys/bus/pci/devices/D/config, vendor capabilities 0x09:
 * VIRTIO_PCI_CAP_COMMON_CFG 1, VIRTIO_PCI_CAP_NOTIFY_CFG 2 with its
 * notify_off_multiplier, VIRTIO_PCI_CAP_PCI_CFG 5), reads queue 0's
 * queue_notify_off from the common config (queue_select at 22,
 * queue_notify_off at 30) and writes the queue index 0, 16 bits, at
 * BAR + notify offset + queue_notify_off * multiplier.  The BAR is reached
 * by mmap of /sys/bus/pci/devices/D/resourceN; where that is refused, the
 * VIRTIO_PCI_CAP_PCI_CFG window in config space does the same access
 * (bar, offset, length in the capability, then the data dword).  The
 * driver's own request in flight at that moment, if any, is not popped
 * by it: the queue is empty when the driver serializes its flushes and
 * none is pending.
 *
 * The guest driver (drivers/nvdimm/nd_virtio.c, CVE-2024-50184 fix)
 * checks the status before each flush and returns -EIO at once with
 * "virtio pmem device needs a reset"; the flush bio fails, ext4 aborts
 * its journal and xfs shuts down.
 *
 * args: {"dev":"/dev/pmem0","writers":W,"bound_ms":B}
 * result: {"pci":"0000:00:04.0","notify":{..how..},"probes":[records]}
 * Records are errprobe-shaped {"path","ok","step","errno","error","ms"},
 * with "timed_out":true when the call had not returned after B ms (its
 * thread is left behind):
 *   fsync_before       a write+fsync before the notification (must be 0);
 *   notify             the register write ("ok" when it was written);
 *   fsync_after_reset  fsync of a file written while the writers ran;
 *   fsync_writers      each writer's fsync of its file after the reset
 *                      (one record: ok only if all returned 0; "zeros":
 *                      how many returned 0);
 *   fsync_raw          fsync of the block device;
 *   fsync_again        the first file again, 200 ms later;
 *   write_new          create, write and fsync a new file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "errprobe.h"
#include "workload.h"

#define PCI_DIR			"/sys/bus/pci/devices"
#define VIRTIO_VENDOR		0x1af4
#define VIRTIO_PMEM_PCI_ID	0x105b	/* 0x1040 + VIRTIO_ID_PMEM (27) */
#define CAP_VNDR		0x09
#define CAP_COMMON		1
#define CAP_NOTIFY		2
#define CAP_PCI_CFG		5
#define MAX_WRITERS		16

/* ---- fsync with a bound: a stuck flush must not take the agent with it ---- */

struct timed {
	int fd;
	atomic_int state;	/* 0 running, 1 done */
	int err;
};

static void *timed_main(void *arg)
{
	struct timed *t = arg;

	t->err = fsync(t->fd) ? errno : 0;
	atomic_store(&t->state, 1);
	return NULL;
}

/* fsync(@fd) within @bound_ms: the record, "timed_out" if it did not return
 * (then the thread, its struct and @fd stay behind). */
static struct json_object *timed_fsync(const char *path, int fd, long long bound_ms)
{
	struct timed *t = calloc(1, sizeof(*t));
	double t0 = errprobe_now_ms();
	struct json_object *r;
	pthread_t tid;

	if (!t)
		return errprobe_step_record(path, "fsync", ENOMEM, 0);
	t->fd = fd;
	if (pthread_create(&tid, NULL, timed_main, t)) {
		free(t);
		return errprobe_step_record(path, "fsync", EAGAIN, 0);
	}
	while (!atomic_load(&t->state) && errprobe_now_ms() - t0 < (double)bound_ms) {
		struct timespec nap = { 0, 1000 * 1000 };

		nanosleep(&nap, NULL);
	}
	if (!atomic_load(&t->state)) {
		pthread_detach(tid);
		r = errprobe_step_record(path, "fsync", ETIMEDOUT, errprobe_now_ms() - t0);
		json_object_object_add(r, "timed_out", json_object_new_boolean(true));
		return r;
	}
	pthread_join(tid, NULL);
	r = errprobe_step_record(path, "fsync", t->err, errprobe_now_ms() - t0);
	free(t);
	return r;
}

/* ---- the device's notify register ---- */

struct vcap {
	int found;
	unsigned int bar;
	uint32_t off, len, mult;
	unsigned int at;	/* the capability's position in config space */
};

struct vdev {
	char name[64];
	unsigned char cfg[256];
	struct vcap common, notify, pcicfg;
};

static int read_hex(const char *dir, const char *file, unsigned int *v)
{
	char path[PATH_MAX], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s/%s", PCI_DIR, dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*v = (unsigned int)strtoul(buf, NULL, 16);
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The first virtio-pmem PCI function and its virtio capabilities. */
static int find_device(struct vdev *d, char *err, size_t errlen)
{
	DIR *dir = opendir(PCI_DIR);
	struct dirent *de;
	int found = 0;

	if (!dir) {
		snprintf(err, errlen, "%s: %s", PCI_DIR, strerror(errno));
		return -1;
	}
	while (!found && (de = readdir(dir))) {
		unsigned int vendor, device;

		if (de->d_name[0] == '.' || read_hex(de->d_name, "vendor", &vendor) ||
		    read_hex(de->d_name, "device", &device))
			continue;
		if (vendor == VIRTIO_VENDOR && device == VIRTIO_PMEM_PCI_ID) {
			snprintf(d->name, sizeof(d->name), "%s", de->d_name);
			found = 1;
		}
	}
	closedir(dir);
	if (!found) {
		snprintf(err, errlen, "no virtio-pmem PCI device (%04x:%04x) in %s", VIRTIO_VENDOR,
			 VIRTIO_PMEM_PCI_ID, PCI_DIR);
		return -1;
	}
	{
		char path[PATH_MAX];
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s/config", PCI_DIR, d->name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : pread(fd, d->cfg, sizeof(d->cfg), 0);
		if (fd >= 0)
			close(fd);
		if (n < 64) {
			snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "short read");
			return -1;
		}
	}
	/* The capability list: config[0x34], each cap {vndr, next, len, type, bar, ..}. */
	for (unsigned int at = d->cfg[0x34] & 0xfc, hops = 0; at && at < 0xf0 && hops < 48;
	     at = d->cfg[at + 1] & 0xfc, hops++) {
		struct vcap *c = NULL;

		if (d->cfg[at] != CAP_VNDR)
			continue;
		switch (d->cfg[at + 3]) {
		case CAP_COMMON: c = &d->common; break;
		case CAP_NOTIFY: c = &d->notify; break;
		case CAP_PCI_CFG: c = &d->pcicfg; break;
		}
		if (!c || c->found)
			continue;
		c->found = 1;
		c->at = at;
		c->bar = d->cfg[at + 4];
		c->off = le32(&d->cfg[at + 8]);
		c->len = le32(&d->cfg[at + 12]);
		if (c == &d->notify)
			c->mult = le32(&d->cfg[at + 16]);
	}
	if (!d->common.found || !d->notify.found) {
		snprintf(err, errlen, "%s: no virtio common/notify capability (not a modern device?)",
			 d->name);
		return -1;
	}
	return 0;
}

/* A BAR access through mmap of resourceN: @write or read @len (2) bytes. */
static int bar_mmap(const struct vdev *d, unsigned int bar, uint32_t off, uint16_t *v, bool write)
{
	char path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	off_t base = (off_t)(off & ~(uint32_t)(page - 1));
	volatile uint16_t *reg;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/resource%u", PCI_DIR, d->name, bar);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	reg = (volatile uint16_t *)((char *)p + (off - (uint32_t)base));
	if (write)
		*reg = *v;
	else
		*v = *reg;
	munmap(p, (size_t)page);
	return 0;
}

/* The same through the VIRTIO_PCI_CAP_PCI_CFG window in config space. */
static int bar_pcicfg(const struct vdev *d, unsigned int bar, uint32_t off, uint16_t *v, bool write)
{
	unsigned char cap[16], data[4] = { 0 };
	char path[PATH_MAX];
	int fd, rc = -1;

	if (!d->pcicfg.found) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/config", PCI_DIR, d->name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* cap.bar at +4, cap.offset at +8, cap.length at +12; data at +16. */
	memset(cap, 0, sizeof(cap));
	cap[0] = (unsigned char)bar;
	cap[4] = (unsigned char)off;
	cap[5] = (unsigned char)(off >> 8);
	cap[6] = (unsigned char)(off >> 16);
	cap[7] = (unsigned char)(off >> 24);
	cap[8] = 2;
	if (pwrite(fd, cap, 1, d->pcicfg.at + 4) != 1 ||
	    pwrite(fd, cap + 4, 8, d->pcicfg.at + 8) != 8)
		goto out;
	if (write) {
		data[0] = (unsigned char)*v;
		data[1] = (unsigned char)(*v >> 8);
		rc = pwrite(fd, data, 2, d->pcicfg.at + 16) == 2 ? 0 : -1;
	} else {
		rc = pread(fd, data, 2, d->pcicfg.at + 16) == 2 ? 0 : -1;
		*v = (uint16_t)(data[0] | data[1] << 8);
	}
out:
	close(fd);
	return rc;
}

/* Ring queue 0's doorbell with nothing in the queue.  0 with @how filled. */
static int ring_empty(struct json_object *how, char *err, size_t errlen)
{
	struct vdev d;
	uint16_t sel = 0, qoff = 0, idx = 0;
	uint32_t at;
	const char *method = "mmap";

	memset(&d, 0, sizeof(d));
	if (find_device(&d, err, errlen))
		return -1;
	/* queue_select = 0, then read queue_notify_off. */
	if (bar_mmap(&d, d.common.bar, d.common.off + 22, &sel, true) ||
	    bar_mmap(&d, d.common.bar, d.common.off + 30, &qoff, false)) {
		int e = errno;

		method = "pci_cfg";
		if (bar_pcicfg(&d, d.common.bar, d.common.off + 22, &sel, true) ||
		    bar_pcicfg(&d, d.common.bar, d.common.off + 30, &qoff, false)) {
			snprintf(err, errlen, "%s: BAR%u: mmap of resource: %s; pci_cfg window: %s",
				 d.name, d.common.bar, strerror(e), strerror(errno));
			return -1;
		}
	}
	at = d.notify.off + (uint32_t)qoff * d.notify.mult;
	if (!strcmp(method, "mmap") ? bar_mmap(&d, d.notify.bar, at, &idx, true)
				    : bar_pcicfg(&d, d.notify.bar, at, &idx, true)) {
		snprintf(err, errlen, "%s: writing the notify register (BAR%u + 0x%x): %s", d.name,
			 d.notify.bar, at, strerror(errno));
		return -1;
	}
	json_object_object_add(how, "pci", json_object_new_string(d.name));
	json_object_object_add(how, "method", json_object_new_string(method));
	json_object_object_add(how, "bar", json_object_new_int((int)d.notify.bar));
	json_object_object_add(how, "notify_offset", json_object_new_int64(at));
	json_object_object_add(how, "queue_notify_off", json_object_new_int(qoff));
	json_object_object_add(how, "notify_off_multiplier", json_object_new_int64(d.notify.mult));
	return 0;
}

/* ---- the writers: stores in flight when the device breaks ---- */

struct writer {
	pthread_t tid;
	int fd;
	atomic_bool stop;
	long long writes;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char buf[4096];

	while (!atomic_load(&w->stop)) {
		memset(buf, (int)w->writes, sizeof(buf));
		if (pwrite(w->fd, buf, sizeof(buf), (off_t)(w->writes % 32) * 4096) < 0)
			break;
		w->writes++;
	}
	return NULL;
}

static int open_file(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
	return fd;
}

/*
 * One function because it is a script of probes in the order the finding needs (before,
 * reset, after, writers, raw device, new file), sharing reset.dat's fd and the writer
 * threads; only the writers' fsync summary would lift out cleanly.
 */
static int devreset_run(const char *dir, struct json_object *args, struct json_object *result,
			char *err, size_t errlen)
{
	struct writer w[MAX_WRITERS];
	struct json_object *probes, *how, *r;
	long long nw, bound;
	const char *dev;
	char buf[4096], nerr[256];
	int fd, rfd, zeros = 0, first_err = 0, nstarted = 0;
	bool any_timeout = false;

	if (arg_int(args, "writers", 2, 0, MAX_WRITERS, &nw, err, errlen) ||
	    arg_int(args, "bound_ms", 5000, 100, 600000, &bound, err, errlen) ||
	    arg_string(args, "dev", false, &dev, err, errlen))
		return -1;
	fd = open_file(dir, "reset.dat", err, errlen);
	if (fd < 0)
		return -1;
	probes = json_object_new_array();
	memset(buf, 0x5a, sizeof(buf));
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
		snprintf(err, errlen, "pwrite reset.dat: %s", strerror(errno));
		goto fail;
	}
	r = timed_fsync("fsync_before", fd, bound);
	json_object_array_add(probes, r);
	if (!json_object_get_boolean(json_object_object_get(r, "ok"))) {
		/* The device must work before it is broken; the host says BROK. */
		json_object_object_add(result, "probes", probes);
		close(fd);
		return 0;
	}

	for (int i = 0; i < nw; i++) {
		char name[32];

		snprintf(name, sizeof(name), "writer-%02d.dat", i);
		w[i].fd = open_file(dir, name, err, errlen);
		w[i].writes = 0;
		atomic_store(&w[i].stop, false);
		if (w[i].fd < 0 || pthread_create(&w[i].tid, NULL, writer_main, &w[i])) {
			if (w[i].fd >= 0)
				close(w[i].fd);
			break;
		}
		nstarted++;
	}
	/* Let the writers get going, then break the device under them. */
	usleep(100 * 1000);
	/* The first file gets new data too: its fsync after the reset has a
	 * journal/log commit to make. */
	memset(buf, 0xa5, sizeof(buf));
	if (pwrite(fd, buf, sizeof(buf), 4096) != (ssize_t)sizeof(buf)) {
		snprintf(err, errlen, "pwrite reset.dat before the reset: %s", strerror(errno));
		for (int i = 0; i < nstarted; i++) {
			atomic_store(&w[i].stop, true);
			pthread_join(w[i].tid, NULL);
			close(w[i].fd);
		}
		goto fail;
	}
	how = json_object_new_object();
	nerr[0] = '\0';
	{
		double t0 = errprobe_now_ms();
		int rc = ring_empty(how, nerr, sizeof(nerr));

		r = errprobe_step_record("notify", "notify", rc ? EIO : 0, errprobe_now_ms() - t0);
		if (rc)
			json_object_object_add(r, "why", json_object_new_string(nerr));
		json_object_array_add(probes, r);
	}
	json_object_object_add(result, "notify", how);
	json_object_array_add(probes, timed_fsync("fsync_after_reset", fd, bound));

	for (int i = 0; i < nstarted; i++) {
		atomic_store(&w[i].stop, true);
		pthread_join(w[i].tid, NULL);
	}
	{
		double t0 = errprobe_now_ms();
		long long writes = 0;

		for (int i = 0; i < nstarted; i++) {
			r = timed_fsync("fsync_writers", w[i].fd, bound);
			writes += w[i].writes;
			if (json_object_get_boolean(json_object_object_get(r, "ok")))
				zeros++;
			else if (!first_err)
				first_err = json_object_get_int(json_object_object_get(r, "errno"));
			if (json_object_object_get_ex(r, "timed_out", NULL))
				any_timeout = true;
			else
				close(w[i].fd);
			json_object_put(r);
		}
		if (nstarted) {
			r = errprobe_step_record("fsync_writers", "fsync", zeros == nstarted ? 0 : first_err,
				   errprobe_now_ms() - t0);
			json_object_object_add(r, "zeros", json_object_new_int(zeros));
			json_object_object_add(r, "writers", json_object_new_int(nstarted));
			json_object_object_add(r, "writes", json_object_new_int64(writes));
			if (any_timeout)
				json_object_object_add(r, "timed_out", json_object_new_boolean(true));
			json_object_array_add(probes, r);
		}
	}
	rfd = open(dev ? dev : "/dev/pmem0", O_RDONLY | O_CLOEXEC);
	if (rfd < 0) {
		json_object_array_add(probes, errprobe_step_record("fsync_raw", "open", errno, 0));
	} else {
		r = timed_fsync("fsync_raw", rfd, bound);
		if (!json_object_object_get_ex(r, "timed_out", NULL))
			close(rfd);
		json_object_array_add(probes, r);
	}
	usleep(200 * 1000);
	r = timed_fsync("fsync_again", fd, bound);
	json_object_array_add(probes, r);
	if (!json_object_object_get_ex(r, "timed_out", NULL))
		close(fd);
	fd = open_file(dir, "after-reset.dat", nerr, sizeof(nerr));
	if (fd < 0) {
		json_object_array_add(probes, errprobe_step_record("write_new", "open", errno, 0));
	} else if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
		json_object_array_add(probes, errprobe_step_record("write_new", "pwrite", errno, 0));
		close(fd);
	} else {
		r = timed_fsync("write_new", fd, bound);
		if (!json_object_object_get_ex(r, "timed_out", NULL))
			close(fd);
		json_object_array_add(probes, r);
	}
	json_object_object_add(result, "probes", probes);
	return 0;
fail:
	json_object_put(probes);
	close(fd);
	return -1;
}

PMT_WORKLOAD_INFO(devreset, "ring the virtio-pmem queue's doorbell with nothing queued "
		  "(QEMU 7.2: NEEDS_RESET), then fsync: what each flush returns");
