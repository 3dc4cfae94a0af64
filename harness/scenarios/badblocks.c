// SPDX-License-Identifier: MIT
/*
 * badblocks: mark the sectors under one page of a file bad in
 * /sys/block/pmemN/badblocks (the list the pmem driver consults on every
 * access, as it would after an ACPI ARS or MCE report) and record what each
 * access path gets: read/O_DIRECT EIO, a SIGBUS on a DAX fault, whether a
 * write clears it.  Variants: the filesystem mounted with and without DAX.
 */
#include "memerr.h"

static int badblocks_run(struct pmt_case *c)
{
	struct json_object *args = json_object_new_object();

	json_object_object_add(args, "file", json_object_new_string("victim.dat"));
	json_object_object_add(args, "size", json_object_new_int(65536));
	json_object_object_add(args, "page", json_object_new_int(1));
	return pmt_memerr_run(c, "badblocks", c->variant, args, NULL);
}

static const char *const badblocks_fs[] = { "ext4", "xfs", NULL };
static const char *const badblocks_modes[] = { "dax", "nodax", NULL };

const struct pmt_scenario pmt_scenario_badblocks = {
	.name = "badblocks",
	.description = "bad blocks under a file: EIO on read, SIGBUS on a DAX fault, cleared by a write?",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = badblocks_fs,
	.mount_opts = "dax",
	.variants = badblocks_modes,
	.run = badblocks_run,
};
