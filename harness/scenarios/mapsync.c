// SPDX-License-Identifier: MIT
/*
 * mapsync: does the filesystem refuse mmap(MAP_SHARED_VALIDATE|MAP_SYNC)
 * where it cannot keep the promise?
 *
 * MAP_SYNC promises that once a page fault for a write returns, the
 * metadata for that block is durable, so userspace may flush CPU caches and
 * consider stores durable with no fsync.  virtio-pmem cannot keep that
 * promise: guest stores are durable only after a flush request that the
 * host turns into fsync() on the backing file.  So ext4 and xfs must fail
 * MAP_SYNC with EOPNOTSUPP there (the "disable map_sync for virtio pmem"
 * patches of the series), while an NVDIMM in fsdax mode accepts it.
 */
#include "mapsync_check.h"

static const char *const mapsync_fs[] = { "ext4", "xfs", NULL };

const struct pmt_scenario pmt_scenario_mapsync = {
	.name = "mapsync",
	.description = "MAP_SYNC is refused (EOPNOTSUPP) on virtio-pmem and accepted on fsdax NVDIMM",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = mapsync_fs,
	.dax = PMT_DAX_ON,
	.workload = "mapsync",
	.checker = PMT_CHECK_JUDGE,
	.judge = pmt_mapsync_check,
};
