/* SPDX-License-Identifier: MIT */
/*
 * Checking one crash state in a guest that stays up: the image is already
 * in the guest's pmem backing file; drop the guest's caches, mount (the
 * kernel's log recovery runs), verify the promises, unmount; then fsck -n
 * of the backing file on the host.
 * Shared by the power cut's crash-state walk, the replay of one state and
 * the check of the image a fault left (image_check.c).
 */
#ifndef PMT_CHECK_CRASHCHECK_H
#define PMT_CHECK_CRASHCHECK_H

#include <json-c/json.h>

#include "case.h"
#include "crash_walk.h"

/* The virtio-pmem block device of the guest behind c->vm, into @dev. */
int pmt_crash_find_dev(struct pmt_case *c, char *dev, size_t len);

/*
 * Check the state now in the device.  Returns 0 when it held, 1 when the
 * kernel broke something (the problems are appended to @problems as
 * strings), -1 when the framework failed (a BROK is recorded).  @times,
 * if not NULL, gets each step's seconds added.
 */
int pmt_crash_check_state(struct pmt_case *c, const char *dev, struct json_object *promises,
			  struct json_object *problems, double times[PMT_STEPS]);

/*
 * What the kernel did with one state, for a caller that records it as
 * observations rather than as problems (check/image_check.c): the agent's
 * words when the mount was refused ("" when it mounted), its verify answer
 * and its fsck answer ({"exit", "output"}), each NULL when not reached.
 * Free with pmt_state_seen_free().
 */
struct pmt_state_seen {
	char mount_error[512];
	struct json_object *verify;
	struct json_object *fsck;
};

/* pmt_crash_check_state(), keeping what it saw in *@seen (zeroed here). */
int pmt_crash_check_state_seen(struct pmt_case *c, const char *dev, struct json_object *promises,
			       struct json_object *problems, double times[PMT_STEPS],
			       struct pmt_state_seen *seen);
void pmt_state_seen_free(struct pmt_state_seen *seen);

#endif
