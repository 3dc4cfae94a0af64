// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../guest_setup.h"
#include "../json_util.h"
#include "crashcheck.h"

int pmt_crash_find_dev(struct pmt_case *c, char *dev, size_t len)
{
	struct json_object *devices = NULL, *pm;
	char err[256];
	int rc = pmt_case_agent(c, "devices", NULL, &devices, err, sizeof(err));

	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "%s: listing pmem devices: %s", c->phase, err);
		return -1;
	}
	pm = pmt_pick_pmem(devices, PMT_DEV_VIRTIO_PMEM);
	if (!pm) {
		json_object_put(devices);
		pmt_case_verdict(c, PMT_BROK, "%s: no virtio-pmem device in the checker guest", c->phase);
		return -1;
	}
	snprintf(dev, len, "%s", pmt_json_str(pm, "dev"));
	json_object_put(devices);
	return 0;
}

static void problem(struct json_object *problems, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct json_object *problems, const char *fmt, ...)
{
	char text[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_array_add(problems, json_object_new_string(text));
}

static const char *tail(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > max ? s + n - max : s;
}

/* One agent call with an args object built by the caller (consumed). */
static int call(struct pmt_case *c, const char *cmd, struct json_object *args,
		struct json_object **res, char *err, size_t errlen)
{
	int rc = pmt_case_agent(c, cmd, args, res, err, errlen);

	json_object_put(args);
	return rc;
}

static struct json_object *obj2(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k1, json_object_new_string(v1));
	if (k2)
		json_object_object_add(o, k2, json_object_new_string(v2));
	return o;
}

int pmt_crash_check_state(struct pmt_case *c, const char *dev, struct json_object *promises,
			  struct json_object *problems)
{
	struct json_object *args, *res = NULL, *broken;
	size_t before = json_object_array_length(problems);
	char err[512];
	int rc;

	/* The block device's page cache may hold the previous state's metadata. */
	if (call(c, "drop_caches", obj2("dev", dev, NULL, NULL), NULL, err, sizeof(err)) < 0)
		return -1;

	args = obj2("fs", c->fs, "dev", dev);
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "opts", json_object_new_string("dax"));
	rc = call(c, "mount", args, NULL, err, sizeof(err));
	if (rc < 0)
		return -1;
	if (rc > 0) {
		/* A state a power cut can produce must mount: that is the kernel's job. */
		problem(problems, "mount failed: %s", err);
		return 1;
	}

	args = obj2("dir", PMT_GUEST_MNT, NULL, NULL);
	json_object_object_add(args, "promises", json_object_get(promises));
	rc = call(c, "verify", args, &res, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "%s: verify: %s", c->phase, err);
		return -1;
	}
	if (json_object_object_get_ex(res, "broken", &broken)) {
		for (size_t i = 0; i < json_object_array_length(broken); i++) {
			struct json_object *b = json_object_array_get_idx(broken, i), *p;
			char what[256];

			json_object_object_get_ex(b, "promise", &p);
			snprintf(what, sizeof(what), "%s promise on %s (op %d)", pmt_json_str(p, "kind"),
				 pmt_json_str(p, "path"), pmt_json_int(p, "op", -1));
			problem(problems, "%s broken: %s", what, pmt_json_str(b, "observed"));
		}
	}
	json_object_put(res);
	res = NULL;

	if (call(c, "umount", obj2("dir", PMT_GUEST_MNT, NULL, NULL), NULL, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "%s: umount: %s", c->phase, err);
		return -1;
	}
	rc = call(c, "fsck", obj2("fs", c->fs, "dev", dev), &res, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "%s: fsck: %s", c->phase, err);
		return -1;
	}
	if (pmt_json_int(res, "exit", -1) != 0) {
		problem(problems, "fsck -n exited %d after recovery: %s", pmt_json_int(res, "exit", -1),
			tail(pmt_json_str(res, "output"), 300));
	}
	json_object_put(res);
	return json_object_array_length(problems) > before ? 1 : 0;
}
