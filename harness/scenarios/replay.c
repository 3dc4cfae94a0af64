// SPDX-License-Identifier: MIT
/*
 * replay: check one saved crash state again, exactly as the powercut
 * scenario did (pmtorture run --scenario replay --fs FS --replay STATE.img).
 * The state's promises are in STATE.promises.json next to it.  The case's
 * own guest is the checker: its backing file is a copy of the state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable.h"
#include "guest_setup.h"
#include "util.h"
#include "crashcheck.h"

static int promises_path(const char *img, char *buf, size_t len)
{
	size_t n = strlen(img);

	if (n < 4 || strcmp(img + n - 4, ".img"))
		return pmt_fmt(buf, len, "%s.promises.json", img);
	return pmt_fmt(buf, len, "%.*s.promises.json", (int)(n - 4), img);
}

static int replay_prepare(struct pmt_case *c, struct pmt_vm_config *cfg)
{
	const char *img = c->opt->replay;
	struct stat st;

	if (!img || stat(img, &st)) {
		pmt_case_verdict(c, PMT_BROK, "setup: --replay %s: %s", img ? img : "(none)",
				 img ? strerror(errno) : "a saved state image is needed");
		return -1;
	}
	if ((uint64_t)st.st_size != cfg->disks[0].size) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s is %lld bytes, the pmem device %llu", img,
				 (long long)st.st_size, (unsigned long long)cfg->disks[0].size);
		return -1;
	}
	/* A sparse copy: the state is its own durable image, with no pages on top. */
	if (pmt_crash_state_write(img, img, cfg->disks[0].path, NULL, 0)) {
		pmt_case_verdict(c, PMT_BROK, "setup: copying %s: %s", img, strerror(errno));
		return -1;
	}
	return 0;
}

static int replay_run(struct pmt_case *c)
{
	struct json_object *promises, *problems = json_object_new_array();
	char path[PATH_MAX], dev[64];
	int r;

	promises_path(c->opt->replay, path, sizeof(path));
	promises = json_object_from_file(path);
	if (!promises || !json_object_is_type(promises, json_type_array)) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s: not a JSON array of promises", path);
		json_object_put(promises);
		json_object_put(problems);
		return -1;
	}
	pmt_case_phase(c, "check");
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

static const char *const replay_fs[] = { "ext4", "xfs", NULL };

const struct pmt_scenario pmt_scenario_replay = {
	.name = "replay",
	.description = "check one saved crash state again (--replay STATE.img)",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.filesystems = replay_fs,
	.mount_opts = "dax",
	.hidden = true,
	.prepare_vm = replay_prepare,
	.run = replay_run,
};
