// SPDX-License-Identifier: MIT
/*
 * The image a fault left, checked as the kernel would meet it at the next
 * boot (image_check.h).  Kernel behaviour relied on: mounting runs the
 * journal/log recovery, and what it leaves must be consistent (fsck -n
 * clean) with every promise made after a sync that returned still kept.
 * The copy is sparse and on the run folder's disk: the original may sit
 * somewhere that cannot take a write (hostsigbus: a full tmpfs), and the
 * checker's recovery writes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crash_states.h"
#include "crashcheck.h"
#include "durable.h"
#include "image_check.h"
#include "json_util.h"
#include "lifecycle.h"
#include "proc.h"
#include "promises.h"
#include "util.h"

static struct json_object *record(const char *path)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "path", json_object_new_string(path));
	return r;
}

static void set_result(struct json_object *r, bool ok, int err, int data_ok)
{
	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	json_object_object_add(r, "errno", json_object_new_int(err));
	if (data_ok >= 0)
		json_object_object_add(r, "data_ok", json_object_new_boolean(data_ok));
}

/* In the checker guest: the state, then the "recovery" and "synced_data" records. */
static int check_copy(struct pmt_case *c, const char *dev, void *ctx)
{
	struct json_object *promises = ctx, *problems = json_object_new_array(), *rec, *broken;
	struct pmt_state_seen seen;
	int nbroken = 0;

	pmt_case_phase(c, "check");
	if (pmt_crash_check_state_seen(c, dev, promises, problems, NULL, &seen) < 0) {
		pmt_state_seen_free(&seen);
		json_object_put(problems);
		return -1;
	}
	json_object_put(problems);
	rec = record("recovery");
	if (seen.mount_error[0]) {
		json_object_object_add(rec, "error", json_object_new_string(seen.mount_error));
		set_result(rec, false, EUCLEAN, -1);
		pmt_case_observe(c, NULL, rec);
		pmt_state_seen_free(&seen);
		return 0;
	}
	if (json_object_object_get_ex(seen.verify, "broken", &broken))
		nbroken = (int)json_object_array_length(broken);
	json_object_object_add(c->details, "verify", json_object_get(seen.verify));
	json_object_object_add(rec, "fsck_exit",
			       json_object_new_int(pmt_json_int(seen.fsck, "exit", -1)));
	json_object_object_add(rec, "fsck_output",
			       json_object_new_string(pmt_json_str(seen.fsck, "output")));
	set_result(rec, pmt_json_int(seen.fsck, "exit", -1) == 0, EUCLEAN, -1);
	pmt_case_observe(c, NULL, rec);
	pmt_state_seen_free(&seen);

	rec = record("synced_data");
	json_object_object_add(rec, "promises",
			       json_object_new_int((int)json_object_array_length(promises)));
	json_object_object_add(rec, "broken", json_object_new_int(nbroken));
	set_result(rec, true, 0, nbroken == 0);
	pmt_case_observe(c, NULL, rec);
	return 0;
}

static int image_check(struct pmt_case *c, struct json_object *result)
{
	const char *disk = c->vm->cfg.disks[0].path;
	struct json_object *events = json_object_object_get(result, "events"), *promises;
	char img[PATH_MAX];
	int rc;

	pmt_case_phase(c, "copy");
	if (pmt_fmt(img, sizeof(img), "%s/fault-image.img", c->rundir)) {
		pmt_case_verdict(c, PMT_BROK, "copy: the scratch path is too long");
		return -1;
	}
	/* A sparse copy: the image as its own durable image, no pages on top. */
	if (pmt_crash_state_write(disk, disk, img, NULL, 0)) {
		pmt_case_verdict(c, PMT_BROK, "copy: %s to %s: %s", disk, img, strerror(errno));
		unlink(img);
		return -1;
	}
	pmt_cleanup_register(img, 0);
	if (!json_object_is_type(events, json_type_array))
		events = NULL;
	promises = events ? pmt_promises_in_force(events) : json_object_new_array();
	json_object_object_add(c->details, "promises", json_object_get(promises));

	rc = pmt_check_in_guest(c, "checker", img, check_copy, promises);
	unlink(img);
	pmt_cleanup_unregister(img);
	json_object_put(promises);
	if (rc)
		return -1;
	pmt_case_phase(c, "judge");
	return pmt_case_judge_observed(c, c->variant ? c->variant :
				       pmt_case_wants_dax(c) ? "dax" : "nodax");
}

const struct pmt_check_stage pmt_check_stage_image = {
	.name = "image",
	.image = true,
	.check = image_check,
};
