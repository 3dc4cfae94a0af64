/* SPDX-License-Identifier: MIT */
/*
 * Checking one crash state in a guest that stays up: the image is already
 * in the guest's pmem backing file; drop the guest's caches, mount (the
 * kernel's log recovery runs), verify the promises, unmount, fsck -n.
 * Shared by the powercut scenario and its replay.
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

#endif
