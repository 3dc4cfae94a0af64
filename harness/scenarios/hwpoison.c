// SPDX-License-Identifier: MIT
/*
 * hwpoison: madvise(MADV_HWPOISON) on a page of a file, the guest's own
 * memory-failure path (what a recoverable MCE leads to): the signal to the
 * process mapping the page, and what later accesses see.  Variants: a DAX
 * page (device memory, memory_failure_dev_pagemap) and a page-cache page of
 * the same file system mounted without DAX.
 */
#include <string.h>

#include "memerr.h"

static int hwpoison_run(struct pmt_case *c)
{
	struct json_object *args = json_object_new_object();
	bool dax = !strcmp(c->variant, "dax");

	json_object_object_add(args, "file", json_object_new_string("victim.dat"));
	json_object_object_add(args, "size", json_object_new_int(65536));
	json_object_object_add(args, "page", json_object_new_int(1));
	json_object_object_add(args, "target", json_object_new_string(dax ? "dax" : "pagecache"));
	return pmt_memerr_run(c, "hwpoison", dax ? "dax" : "pagecache", args, "inject");
}

static const char *const hwpoison_fs[] = { "ext4", "xfs", NULL };
static const char *const hwpoison_targets[] = { "dax", "pagecache", NULL };

const struct pmt_scenario pmt_scenario_hwpoison = {
	.name = "hwpoison",
	.description = "MADV_HWPOISON on a DAX or page-cache page: SIGBUS to the mapper, later accesses",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = hwpoison_fs,
	.mount_opts = "dax",
	.variants = hwpoison_targets,
	.run = hwpoison_run,
};
