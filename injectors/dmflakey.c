// SPDX-License-Identifier: MIT
/*
 * dmflakey: write errors or dropped writes on a sector range, through the
 * guest's device-mapper dm-flakey target (the guest half,
 * injectors/guest/dmflakey.c, says what the kernel does).  The range is
 * the sectors under some pages of a file, so the fault hits that file's
 * data and nothing else: what a program that wrote and fsync'ed it learns,
 * and what a remount reads back.  Variants: error_writes (the device fails
 * the writes with EIO) and drop_writes (it acknowledges them and keeps
 * nothing, a lying device); judged against results/expected/errors.tsv.
 *
 * This file is also the walk-through of README "Adding an injector": one
 * file, one line in registry.c, its rows in errors.tsv, a scenario
 * declaration and a test.
 */
#include "case.h"
#include "declare.h"
#include "injector.h"
#include "guest_setup.h"
#include "json_util.h"
#include "lifecycle.h"

static const struct pmt_param dmflakey_params[] = {
	{ .name = "page", .type = PMT_PARAM_INT, .def = "1", .min = 0, .max = 15,
	  .help = "the first 4 KiB page of the 64 KiB victim file on the flaky sectors" },
	{ .name = "pages", .type = PMT_PARAM_INT, .def = "1", .min = 1, .max = 16,
	  .help = "how many pages, from page on, are on the flaky sectors" },
	{ NULL },
};

static struct json_object *request(struct pmt_case *c, const char *step)
{
	struct json_object *args = json_object_new_object(), *req = json_object_new_object();

	json_object_object_add(args, "step", json_object_new_string(step));
	json_object_object_add(args, "dev", json_object_new_string(pmt_case_dev(c)));
	json_object_object_add(args, "fs", json_object_new_string(c->fs));
	json_object_object_add(args, "file", json_object_new_string("victim.dat"));
	json_object_object_add(args, "size", json_object_new_int(65536));
	json_object_object_add(args, "page", json_object_new_int64(pmt_case_param_int(c, "page", 1)));
	json_object_object_add(args, "pages", json_object_new_int64(pmt_case_param_int(c, "pages", 1)));
	json_object_object_add(req, "workload", json_object_new_string("dmflakey"));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	return req;
}

/* The dm device goes in under the filesystem, all linear: nothing fails yet. */
static int dmflakey_arm(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *req = request(c, "arm"), *res = NULL, *f;
	int rc = pmt_case_agent(c, "run", req, &res, err, errlen);

	json_object_put(req);
	if (rc) {
		json_object_put(res);
		return -1;
	}
	f = json_object_new_object();
	json_object_object_add(f, "dm", res);
	pmt_fault_armed(c, f);
	return 0;
}

static int dmflakey_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *req = request(c, "fire"), *args, *res = NULL, *p, *f;
	int rc;

	args = json_object_object_get(req, "args");
	json_object_object_add(args, "mode", json_object_new_string(c->variant ? c->variant : ""));
	json_object_object_add(args, "armed",
			       json_object_get(json_object_object_get(pmt_fault(c), "dm")));
	rc = pmt_case_agent(c, "run", req, &res, err, errlen);
	json_object_put(req);
	if (rc) {
		json_object_put(res);
		return -1;
	}
	if (json_object_object_get_ex(res, "probes", &p))
		for (size_t i = 0; i < pmt_json_len(p); i++)
			pmt_case_observe(c, NULL, json_object_get(json_object_array_get_idx(p, i)));
	f = json_object_new_object();
	json_object_object_add(f, "flaky_table", json_object_get(json_object_object_get(res, "table")));
	json_object_put(res);
	pmt_fault_fired(c, f);
	return 0;
}

PMT_INJECTOR(dmflakey,
	"dm-flakey under the filesystem: a file's sectors fail (error_writes) or "
	"drop (drop_writes) their writes",
	.devices = PMT_ON_ANY_PMEM, .modules = "dm_mod,dm_flakey", .params = dmflakey_params,
	.arm = dmflakey_arm,
	.fire = dmflakey_fire);

/* ---- the scenario that runs it ---- */

/*
 * dmflakey: a file's sectors fail or drop their writes (injectors/dmflakey.c):
 * what its writer's fsync says, and what a remount reads.  Judged against
 * results/expected/errors.tsv (MODE is the variant).
 */

PMT_INJECTOR_SCENARIO(dmflakey,
	"dm-flakey under the filesystem: write errors or dropped writes on a file's "
	"sectors, what fsync and a remount say",
	.devices = PMT_ON_ANY_PMEM, .filesystems = PMT_NAMES("ext4", "xfs"),
	.variants = PMT_NAMES("error_writes", "drop_writes"),
	.dax = PMT_DAX_OFF,
	.checker = PMT_CHECK_EXPECTATIONS);
