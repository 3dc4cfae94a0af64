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
#include "declare.h"
#include "mapsync_check.h"

PMT_SCENARIO(mapsync,
	"MAP_SYNC is refused (EOPNOTSUPP) on virtio-pmem and accepted on fsdax NVDIMM",
	.devices = PMT_ON_ANY_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.dax = PMT_DAX_ON, .workload = "mapsync",
	PMT_JUDGED_BY(pmt_mapsync_check));
