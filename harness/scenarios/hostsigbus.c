// SPDX-License-Identifier: MIT
/*
 * hostsigbus: the virtio-pmem backing file lives on a host filesystem that
 * fills up before the guest's does.  A declaration: the hostsigbus
 * injector puts the backing file on a 64 MiB tmpfs and runs the guest's
 * "fill" (one file, an fsync every MiB, each synced prefix promised) until
 * QEMU dies of SIGBUS (injectors/hostsigbus.c); the image stage then
 * checks what survived in a checker guest: ext4 log recovery, the promises
 * still in force, fsck -n (harness/check/image_check.c).  Judged against
 * results/expected/errors.tsv, PATHs qemu (killed=SIGBUS), recovery (ok:
 * mounts and fsck is clean; errno=EUCLEAN stands for either failing) and
 * synced_data (ok, or ok/bad-data when a promise broke).
 */
#include "case.h"
#include "declare.h"
#include "image_check.h"

PMT_INJECTOR_SCENARIO(hostsigbus,
	"the backing file's host filesystem fills up: how QEMU ends, what the image keeps",
	.devices = PMT_ON_VIRTIO_PMEM, .filesystems = PMT_NAMES("ext4"),
	.dax = PMT_DAX_ON,
	PMT_JUDGED_BY_STAGE(pmt_check_stage_image));
