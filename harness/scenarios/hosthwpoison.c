// SPDX-License-Identifier: MIT
/*
 * hosthwpoison: a host page behind the virtio-pmem backing file is
 * poisoned (injectors/hosthwpoison.c), judged against errors.tsv.  The
 * injector's probe decides before the boot; today it is always a SKIP.
 */
#include "case.h"

static const char *const hosthwpoison_fs[] = { "ext4", NULL };

const struct pmt_scenario pmt_scenario_hosthwpoison = {
	.name = "hosthwpoison",
	.description = "host page behind the backing file poisoned: QEMU SIGBUS, guest MCE (needs host MEMORY_FAILURE)",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = hosthwpoison_fs,
	.injector = "hosthwpoison",
	.dax = PMT_DAX_ON,
	.checker = PMT_CHECK_EXPECTATIONS,
};
