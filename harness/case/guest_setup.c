// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "guest_setup.h"
#include "lifecycle.h"
#include "util.h"

const char *pmt_device_provider_match(enum pmt_device_kind kind)
{
	/* ndbus "provider" attribute: virtio_pmem's bus vs the ACPI NFIT bus. */
	return kind == PMT_DEV_VIRTIO_PMEM ? "virtio" : "ACPI.NFIT";
}

struct json_object *pmt_pick_pmem(struct json_object *devices, enum pmt_device_kind kind)
{
	const char *want = pmt_device_provider_match(kind);
	struct json_object *list, *e, *v;
	size_t n;

	if (!json_object_object_get_ex(devices, "pmem", &list) ||
	    !json_object_is_type(list, json_type_array))
		return NULL;
	n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(e, "provider", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strstr(json_object_get_string(v), want))
			return e;
	}
	return NULL;
}

static const char *tail(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > max ? s + n - max : s;
}

int pmt_guest_exec(struct pmt_case *c, const char *what, const char *const argv[],
		   struct json_object **result)
{
	struct json_object *args = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *res = NULL, *v;
	char err[512];
	int rc, code;

	for (int i = 0; argv[i]; i++)
		json_object_array_add(arr, json_object_new_string(argv[i]));
	json_object_object_add(args, "argv", arr);
	json_object_object_add(args, "timeout_ms",
			       json_object_new_int64((int64_t)c->opt->cmd_timeout_s * 1000));
	rc = pmt_case_agent(c, "exec", args, &res, err, sizeof(err));
	json_object_put(args);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		pmt_case_verdict(c, PMT_BROK, "%s: %s: %s", c->phase, what, err);
		return -1;
	}
	code = json_object_object_get_ex(res, "exit", &v) ? json_object_get_int(v) : -1;
	if (code != 0) {
		json_object_object_get_ex(res, "output", &v);
		pmt_case_verdict(c, PMT_BROK, "%s: %s exited %d: %s", c->phase, what, code,
				 tail(v ? json_object_get_string(v) : "", 300));
		json_object_put(res);
		return -1;
	}
	if (result)
		*result = res;
	else
		json_object_put(res);
	return 0;
}

/*
 * An emulated NVDIMM comes up as a raw namespace; DAX needs fsdax mode.
 * Labels first (the device has a label area), then one fsdax namespace over
 * the region.  Everything is limited to the ACPI bus so that a virtio-pmem
 * region in the same guest is never touched.
 */
static int make_fsdax_namespace(struct pmt_case *c)
{
	static const char *const disable[] = { "ndctl", "disable-region", "-b", "ACPI.NFIT", "all", NULL };
	static const char *const init[] = { "ndctl", "init-labels", "-f", "-b", "ACPI.NFIT", "all", NULL };
	static const char *const enable[] = { "ndctl", "enable-region", "-b", "ACPI.NFIT", "all", NULL };
	static const char *const create[] = { "ndctl", "create-namespace", "-b", "ACPI.NFIT",
					      "-m", "fsdax", NULL };
	struct json_object *res = NULL, *v;

	if (pmt_guest_exec(c, "ndctl disable-region", disable, NULL) ||
	    pmt_guest_exec(c, "ndctl init-labels", init, NULL) ||
	    pmt_guest_exec(c, "ndctl enable-region", enable, NULL) ||
	    pmt_guest_exec(c, "ndctl create-namespace -m fsdax", create, &res))
		return -1;
	if (json_object_object_get_ex(res, "output", &v))
		json_object_object_add(c->details, "ndctl_namespace",
				       json_tokener_parse(json_object_get_string(v)));
	json_object_put(res);
	return 0;
}

/*
 * Agent command @cmd, which is also the phase, with @args (consumed).
 * 0 with *@res, or -1 with the case BROK "CMD: why" (or the verdict of no answer).
 */
static int setup_step(struct pmt_case *c, const char *cmd, struct json_object *args,
		      struct json_object **res)
{
	char err[512];
	int rc;

	rc = pmt_case_agent(c, cmd, args, res, err, sizeof(err));
	json_object_put(args);
	if (rc > 0)
		pmt_case_verdict(c, PMT_BROK, "%s: %s", cmd, err);
	return rc ? -1 : 0;
}

int pmt_setup_fs(struct pmt_case *c, char *dev, size_t devlen)
{
	struct json_object *devices = NULL, *pm, *v, *args, *res = NULL;
	char err[512];
	int rc;

	pmt_case_phase(c, "device");
	if (c->device == PMT_DEV_NVDIMM && make_fsdax_namespace(c))
		return -1;
	rc = pmt_case_agent(c, "devices", NULL, &devices, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "device: listing pmem devices: %s", err);
		return -1;
	}
	pm = pmt_pick_pmem(devices, c->device);
	if (!pm) {
		pmt_case_verdict(c, PMT_BROK, "device: no %s pmem device in the guest (bus provider \"%s\")",
				 pmt_device_name(c->device), pmt_device_provider_match(c->device));
		json_object_put(devices);
		return -1;
	}
	json_object_object_add(c->details, "device", json_object_get(pm));
	json_object_object_get_ex(pm, "dev", &v);
	snprintf(dev, devlen, "%s", v ? json_object_get_string(v) : "");
	json_object_put(devices);

	pmt_case_phase(c, "mkfs");
	args = json_object_new_object();
	json_object_object_add(args, "fs", json_object_new_string(c->fs));
	json_object_object_add(args, "dev", json_object_new_string(dev));
	/* DAX needs the block size to equal the page size; mke2fs picks 1 KiB on small devices. */
	if (!strcmp(c->fs, "ext4")) {
		struct json_object *opts = json_object_new_array();

		json_object_array_add(opts, json_object_new_string("-b"));
		json_object_array_add(opts, json_object_new_string("4096"));
		json_object_object_add(args, "opts", opts);
	}
	if (setup_step(c, "mkfs", args, &res))
		return -1;
	if (!json_object_object_get_ex(res, "exit", &v) || json_object_get_int(v) != 0) {
		struct json_object *out = NULL;

		json_object_object_get_ex(res, "output", &out);
		pmt_case_verdict(c, PMT_BROK, "mkfs: mkfs.%s %s failed: %s", c->fs, dev,
				 tail(out ? json_object_get_string(out) : "", 300));
		json_object_put(res);
		return -1;
	}
	json_object_put(res);

	pmt_case_phase(c, "mount");
	args = json_object_new_object();
	json_object_object_add(args, "fs", json_object_new_string(c->fs));
	json_object_object_add(args, "dev", json_object_new_string(dev));
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "opts", json_object_new_string(pmt_case_mount_opts(c)));
	if (setup_step(c, "mount", args, &res))
		return -1;
	json_object_object_add(c->details, "mount", res);
	return 0;
}
