// SPDX-License-Identifier: MIT
/*
 * hostsigbus: the virtio-pmem backing file lives on a host filesystem that
 * fills up before the guest's does: a 64 MiB tmpfs under the run folder
 * holds the 512 MiB (sparse) file.  QEMU maps it MAP_SHARED, so a guest
 * store to a page tmpfs cannot allocate is a host page fault that fails:
 * QEMU gets SIGBUS and dies (injectors/ERRORS-FACTS.md B.5).  The guest
 * fires it by filling its filesystem (the scenario's "fill" workload).
 *
 * The mount must not outlive the case: disarm unmounts it.  Against a
 * harness killed from outside, prepare_vm moves the process into a private
 * mount namespace (unshare(CLONE_NEWNS), propagation slave, once per
 * process) before mounting: the tmpfs exists only there, and the kernel
 * drops it when the last process in it (the harness or its job worker, and
 * their QEMUs, which die with them) exits, SIGKILL included.  The cost:
 * with --jobs 1 the whole harness stays in that namespace for the rest of
 * the run (host mounts still propagate in).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostsigbus.h"
#include "case.h"
#include "injector.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#define TMPFS_SIZE_MB	PMT_HOSTSIGBUS_TMPFS_MB

static bool own_namespace;	/* this process unshared its mount namespace */

void pmt_hostsigbus_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/sigbus-tmpfs", c->rundir);
}

static bool is_mountpoint(const char *dir)
{
	char parent[PATH_MAX];
	struct stat a, b;

	if (pmt_fmt(parent, sizeof(parent), "%s/..", dir) || stat(dir, &a) || stat(parent, &b))
		return false;
	return a.st_dev != b.st_dev;
}

/* Unmount the case's tmpfs if it is there; the folder goes too. */
void pmt_hostsigbus_release(const struct pmt_case *c)
{
	char dir[PATH_MAX];

	pmt_hostsigbus_dir(c, dir, sizeof(dir));
	if (is_mountpoint(dir) && umount2(dir, 0) && umount2(dir, MNT_DETACH))
		pmt_info("hostsigbus: cannot unmount %s: %s", dir, strerror(errno));
	rmdir(dir);
}

static int hostsigbus_probe(const struct pmt_case *c, char *why, size_t len)
{
	if (geteuid() != 0) {
		snprintf(why, len, "mounting the size-limited tmpfs needs root");
		return 1;
	}
	if (c->opt->backend == PMT_BACKEND_LIBVIRT) {
		/* libvirtd's QEMU does not see a mount in our namespace. */
		snprintf(why, len, "the tmpfs backing file needs the qemu backend");
		return 1;
	}
	return 0;
}

static int hostsigbus_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX], file[PATH_MAX], opts[64];
	int fd;

	if (!own_namespace) {
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL)) {
			snprintf(err, errlen, "a private mount namespace for the tmpfs: %s",
					 strerror(errno));
			return -1;
		}
		own_namespace = true;
	}
	pmt_hostsigbus_release(c);		/* a previous case whose guest never booted */
	pmt_hostsigbus_dir(c, dir, sizeof(dir));
	snprintf(opts, sizeof(opts), "size=%dm,mode=0700", TMPFS_SIZE_MB);
	if (mkdir(dir, 0700) || mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts)) {
		snprintf(err, errlen, "mount -t tmpfs -o %s %s: %s", opts, dir,
				 strerror(errno));
		rmdir(dir);
		return -1;
	}
	/* The runner's backing file is replaced by one on the tmpfs. */
	unlink(cfg->disks[0].path);
	pmt_cleanup_unregister(cfg->disks[0].path);
	if (pmt_fmt(file, sizeof(file), "%s/pmem0.img", dir) ||
	    (fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s/pmem0.img: %s", dir, strerror(errno));
		pmt_hostsigbus_release(c);
		return -1;
	}
	/* Sparse: the device is larger than the tmpfs that holds it. */
	if (ftruncate(fd, (off_t)cfg->disks[0].size)) {
		snprintf(err, errlen, "sizing %s: %s", file, strerror(errno));
		close(fd);
		pmt_hostsigbus_release(c);
		return -1;
	}
	close(fd);
	/* A fatal signal removes the file, which frees the tmpfs's memory. */
	pmt_cleanup_register(file, 0);
	snprintf(cfg->disks[0].path, sizeof(cfg->disks[0].path), "%s", file);
	json_object_object_add(c->details, "tmpfs_size_mb", json_object_new_int(TMPFS_SIZE_MB));
	return 0;
}


static void hostsigbus_disarm(struct pmt_case *c)
{
	if (c->rundir)
		pmt_hostsigbus_release(c);
}

const struct pmt_injector pmt_injector_hostsigbus = {
	.name = "hostsigbus",
	.description = "the backing file's host filesystem (a 64 MiB tmpfs) runs out of space: "
		       "QEMU gets SIGBUS",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.probe = hostsigbus_probe,
	.prepare_vm = hostsigbus_prepare,
	.disarm = hostsigbus_disarm,
};
