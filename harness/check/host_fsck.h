/* SPDX-License-Identifier: MIT */
/*
 * fsck -n of a checker guest's pmem image, run on the host once the guest
 * has unmounted it (host_fsck.c says why that reads the guest's bytes).
 */
#ifndef PMT_CHECK_HOST_FSCK_H
#define PMT_CHECK_HOST_FSCK_H

#include <json-c/json.h>
#include <stddef.h>

/*
 * Check the @fs ("ext4" or "xfs") filesystem in the image file @image
 * read-only: e2fsck -fn, or xfs_repair -n -f.  @scratch is a file path this
 * may use (and removes).  Returns 0 with *@res = {"exit": N, "output": text}
 * (and "signal" when the tool was killed; exit -1 then), the shape of the
 * guest agent's fsck answer; or -1 with a one-line reason in @err when the
 * tool could not run or ran out of time (then *@res is NULL).
 */
int pmt_host_fsck(const char *fs, const char *image, const char *scratch,
		  struct json_object **res, char *err, size_t errlen);

#endif
