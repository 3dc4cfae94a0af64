// SPDX-License-Identifier: MIT
/*
 * dmflakey: a file's sectors fail or drop their writes (injectors/dmflakey.c):
 * what its writer's fsync says, and what a remount reads.  Judged against
 * results/expected/errors.tsv (MODE is the variant).
 */
#include "case.h"

static const char *const dmflakey_fs[] = { "ext4", "xfs", NULL };
static const char *const dmflakey_modes[] = { "error_writes", "drop_writes", NULL };

const struct pmt_scenario pmt_scenario_dmflakey = {
	.name = "dmflakey",
	.description = "dm-flakey under the filesystem: write errors or dropped writes on a file's "
		       "sectors, what fsync and a remount say",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = dmflakey_fs,
	.variants = dmflakey_modes,
	.injector = "dmflakey",
	.dax = PMT_DAX_OFF,
	.checker = PMT_CHECK_EXPECTATIONS,
};
