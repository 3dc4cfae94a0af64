// SPDX-License-Identifier: MIT
/*
 * hwpoison: madvise(MADV_HWPOISON) on a page of a file, the guest's own
 * memory-failure path (what a recoverable MCE leads to): a DAX page goes
 * through memory_failure_dev_pagemap(), a page-cache page through the
 * page-cache path.  The variant picks the target (dax, pagecache).  The
 * guest half is injectors/guest/hwpoison.c; its "inject" record (the
 * signal the caller got) is an access path of its own.
 */
#include <string.h>

#include "case.h"
#include "declare.h"
#include "injector.h"
#include "lifecycle.h"

static const struct pmt_param hwpoison_params[] = {
	{ .name = "page", .type = PMT_PARAM_INT, .def = "1", .min = 0, .max = 15,
	  .help = "which 4 KiB page of the 64 KiB victim file is poisoned" },
	{ NULL },
};

static int hwpoison_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object();
	bool dax = c->variant && !strcmp(c->variant, "dax");

	json_object_object_add(args, "file", json_object_new_string("victim.dat"));
	json_object_object_add(args, "size", json_object_new_int(65536));
	json_object_object_add(args, "page", json_object_new_int64(pmt_case_param_int(c, "page", 1)));
	json_object_object_add(args, "target", json_object_new_string(dax ? "dax" : "pagecache"));
	return pmt_guest_fire(c, "hwpoison", args, "inject", err, errlen);
}

PMT_INJECTOR(hwpoison,
	"MADV_HWPOISON on a DAX or page-cache page of a file (the guest's memory_failure())",
	.devices = PMT_ON_ANY_PMEM, .params = hwpoison_params,
	.fire = hwpoison_fire);

/* ---- the scenario that runs it ---- */

/*
 * hwpoison: MADV_HWPOISON on a page of a file (injectors/hwpoison.c): the
 * signal to the process mapping the page, and what later accesses see.
 * Variants: a DAX page (device memory, memory_failure_dev_pagemap) and a
 * page-cache page of the same filesystem mounted without DAX; judged
 * against results/expected/errors.tsv.
 */

PMT_INJECTOR_SCENARIO(hwpoison,
	"MADV_HWPOISON on a DAX or page-cache page: SIGBUS to the mapper, later accesses",
	.devices = PMT_ON_ANY_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = PMT_NAMES("dax", "pagecache"),
	.dax = PMT_DAX_BY_VARIANT,
	.checker = PMT_CHECK_EXPECTATIONS);
