// SPDX-License-Identifier: MIT
/*
 * One saved crash state checked again, exactly as the power cut's walk
 * checked it (replay_check.h).  The state is a whole image of the pmem
 * device; it becomes the case guest's backing file before the boot, so
 * the guest's first mount of it runs the kernel's log recovery, as the
 * checker's did.  --replay's own checks (the file exists, it holds ext4 or
 * xfs matching --fs) are one-line usage errors, in harness/select/.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "crashcheck.h"
#include "durable.h"
#include "replay_check.h"
#include "util.h"

/* STATE.promises.json for STATE.img. */
static int promises_path(const char *img, char *buf, size_t len)
{
	size_t n = strlen(img);

	if (n < 4 || strcmp(img + n - 4, ".img"))
		return pmt_fmt(buf, len, "%s.promises.json", img);
	return pmt_fmt(buf, len, "%.*s.promises.json", (int)(n - 4), img);
}

/* The state's promises, or NULL with why in @err. */
static struct json_object *load_promises(const char *img, char *err, size_t errlen)
{
	struct json_object *promises;
	char path[PATH_MAX];

	promises_path(img, path, sizeof(path));
	promises = json_object_from_file(path);
	if (promises && json_object_is_type(promises, json_type_array))
		return promises;
	json_object_put(promises);
	snprintf(err, errlen, "%s: not a JSON array of promises", path);
	return NULL;
}

static int replay_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	const char *img = c->opt->replay;
	struct json_object *promises;
	struct stat st;

	if (!img || stat(img, &st)) {
		snprintf(err, errlen, "--replay %s: %s", img ? img : "(none)",
			 img ? strerror(errno) : "a saved state image is needed");
		return -1;
	}
	if ((uint64_t)st.st_size != cfg->disks[0].size) {
		snprintf(err, errlen, "%s is %lld bytes, the pmem device %llu", img,
			 (long long)st.st_size, (unsigned long long)cfg->disks[0].size);
		return -1;
	}
	promises = load_promises(img, err, errlen);
	if (!promises)
		return -1;
	json_object_put(promises);
	/* A sparse copy: the state is its own durable image, with no pages on top. */
	if (pmt_crash_state_write(img, img, cfg->disks[0].path, NULL, 0)) {
		snprintf(err, errlen, "copying %s: %s", img, strerror(errno));
		return -1;
	}
	return 0;
}

static int replay_check(struct pmt_case *c, struct json_object *result)
{
	struct json_object *promises, *problems;
	char dev[64], err[512];
	int r;

	(void)result;
	promises = load_promises(c->opt->replay, err, sizeof(err));
	if (!promises) {
		pmt_case_verdict(c, PMT_BROK, "check: %s", err);
		return -1;
	}
	problems = json_object_new_array();
	r = pmt_crash_find_dev(c, dev, sizeof(dev));
	if (!r)
		r = pmt_crash_check_state(c, dev, promises, problems, NULL);
	json_object_object_add(c->details, "problems", json_object_get(problems));
	if (r > 0)
		pmt_case_verdict(c, PMT_FAIL, "%s: %s", c->opt->replay,
				 json_object_get_string(json_object_array_get_idx(problems, 0)));
	else if (r == 0)
		pmt_case_verdict(c, PMT_PASS, "%s: %zu promises held, fsck clean", c->opt->replay,
				 json_object_array_length(promises));
	json_object_put(promises);
	json_object_put(problems);
	return r < 0 ? -1 : 0;
}

const struct pmt_check_stage pmt_check_stage_replay = {
	.name = "replay",
	.prepare_vm = replay_prepare,
	.check = replay_check,
};
