// SPDX-License-Identifier: MIT
/*
 * badblocks: mark the sectors under one page of a file bad in
 * /sys/block/pmemN/badblocks, the list the pmem driver consults on every
 * access (is_bad_pmem()), as it would after an ACPI ARS or MCE report.
 * The guest half (injectors/guest/badblocks.c) finds the sectors with
 * FIEMAP, writes the list, then probes every access path.
 */
#include "case.h"
#include "declare.h"
#include "injector.h"
#include "lifecycle.h"

static const struct pmt_param badblocks_params[] = {
	{ .name = "page", .type = PMT_PARAM_INT, .def = "1", .min = 0, .max = 15,
	  .help = "which 4 KiB page of the 64 KiB victim file goes bad" },
	{ NULL },
};

static int badblocks_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object();

	json_object_object_add(args, "file", json_object_new_string("victim.dat"));
	json_object_object_add(args, "size", json_object_new_int(65536));
	json_object_object_add(args, "page", json_object_new_int64(pmt_case_param_int(c, "page", 1)));
	return pmt_guest_fire(c, "badblocks", args, NULL, err, errlen);
}

PMT_INJECTOR(badblocks,
	"sectors under a file page listed in /sys/block/pmemN/badblocks",
	.devices = PMT_ON_ANY_PMEM, .params = badblocks_params,
	.fire = badblocks_fire);

/* ---- the scenario that runs it ---- */

/*
 * badblocks: bad blocks under a page of a file (injectors/badblocks.c), and
 * what each access path gets: read/O_DIRECT EIO, a SIGBUS on a DAX fault,
 * whether a write clears it.  Variants: the filesystem mounted with and
 * without DAX; judged against results/expected/errors.tsv.
 */

PMT_INJECTOR_SCENARIO(badblocks,
	"bad blocks under a file: EIO on read, SIGBUS on a DAX fault, cleared by a write?",
	.devices = PMT_ON_ANY_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = PMT_NAMES("dax", "nodax"),
	.dax = PMT_DAX_BY_VARIANT,
	.checker = PMT_CHECK_EXPECTATIONS);
