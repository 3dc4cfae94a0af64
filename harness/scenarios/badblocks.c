// SPDX-License-Identifier: MIT
/*
 * badblocks: bad blocks under a page of a file (injectors/badblocks.c), and
 * what each access path gets: read/O_DIRECT EIO, a SIGBUS on a DAX fault,
 * whether a write clears it.  Variants: the filesystem mounted with and
 * without DAX; judged against results/expected/errors.tsv.
 */
#include "case.h"

static const char *const badblocks_fs[] = { "ext4", "xfs", NULL };
static const char *const badblocks_modes[] = { "dax", "nodax", NULL };

const struct pmt_scenario pmt_scenario_badblocks = {
	.name = "badblocks",
	.description = "bad blocks under a file: EIO on read, SIGBUS on a DAX fault, cleared by a write?",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = badblocks_fs,
	.variants = badblocks_modes,
	.injector = "badblocks",
	.dax = PMT_DAX_BY_VARIANT,
	.checker = PMT_CHECK_EXPECTATIONS,
};
