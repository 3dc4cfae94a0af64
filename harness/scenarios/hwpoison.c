// SPDX-License-Identifier: MIT
/*
 * hwpoison: MADV_HWPOISON on a page of a file (injectors/hwpoison.c): the
 * signal to the process mapping the page, and what later accesses see.
 * Variants: a DAX page (device memory, memory_failure_dev_pagemap) and a
 * page-cache page of the same filesystem mounted without DAX; judged
 * against results/expected/errors.tsv.
 */
#include "case.h"

static const char *const hwpoison_fs[] = { "ext4", "xfs", NULL };
static const char *const hwpoison_targets[] = { "dax", "pagecache", NULL };

const struct pmt_scenario pmt_scenario_hwpoison = {
	.name = "hwpoison",
	.description = "MADV_HWPOISON on a DAX or page-cache page: SIGBUS to the mapper, later accesses",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = hwpoison_fs,
	.variants = hwpoison_targets,
	.injector = "hwpoison",
	.dax = PMT_DAX_BY_VARIANT,
	.checker = PMT_CHECK_EXPECTATIONS,
};
