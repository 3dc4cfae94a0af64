// SPDX-License-Identifier: MIT
#include <string.h>

#include "expect.h"
#include "guest_setup.h"
#include "json_util.h"
#include "memerr.h"

int pmt_memerr_run(struct pmt_case *c, const char *workload, const char *mode,
		   struct json_object *args, const char *extra_probe)
{
	const struct pmt_expectations *e;
	struct json_object *req, *res = NULL, *probes, *p;
	bool want_dax = !strcmp(mode, "dax");
	char dev[64], err[512];
	int rc;

	e = pmt_expectations_default(err, sizeof(err));
	if (!e) {
		json_object_put(args);
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		return -1;
	}
	c->mount_opts = want_dax ? "dax" : "";
	if (pmt_setup_fs(c, dev, sizeof(dev))) {
		json_object_put(args);
		return -1;
	}
	if (pmt_json_bool(json_object_object_get(c->details, "mount"), "dax", !want_dax) != want_dax) {
		json_object_put(args);
		pmt_case_verdict(c, PMT_BROK, "mount: DAX is %s on %s, the case needs it %s",
				 want_dax ? "off" : "on", dev, want_dax ? "on" : "off");
		return -1;
	}

	pmt_case_phase(c, "inject");
	json_object_object_add(args, "dev", json_object_new_string(dev));
	req = json_object_new_object();
	json_object_object_add(req, "workload", json_object_new_string(workload));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	rc = pmt_case_agent(c, "run", req, &res, err, sizeof(err));
	json_object_put(req);
	if (rc) {
		/* The workload refuses only when the fault could not be armed. */
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "inject: fault did not fire: %s", err);
		return -1;
	}
	json_object_object_add(c->details, workload, json_object_get(res));

	pmt_case_phase(c, "check");
	probes = json_object_new_array();
	if (extra_probe && json_object_object_get_ex(res, extra_probe, &p)) {
		struct json_object *copy = NULL;

		json_object_deep_copy(p, &copy, NULL);
		json_object_object_add(copy, "path", json_object_new_string(extra_probe));
		json_object_array_add(probes, copy);
	}
	if (json_object_object_get_ex(res, "probes", &p))
		for (size_t i = 0; i < json_object_array_length(p); i++)
			json_object_array_add(probes, json_object_get(json_object_array_get_idx(p, i)));
	json_object_put(res);
	if (!json_object_array_length(probes)) {
		json_object_put(probes);
		pmt_case_verdict(c, PMT_BROK, "check: the guest reported no access paths");
		return -1;
	}
	pmt_expect_judge(e, c, mode, probes);
	json_object_put(probes);
	return 0;
}
