// SPDX-License-Identifier: MIT
/*
 * A crash state's fsck, on the host.  What it relies on:
 *   - the checker guest's pmem is the host file mapped shared (QEMU's
 *     memory-backend-file,share=on): a guest store is a store into the host
 *     page cache of that file.  When the guest's umount has returned, its
 *     block device was synced (every dirty buffer written into pmem) and
 *     the filesystem's last writes landed, so the host's read of the file
 *     sees exactly the bytes the guest's kernel left;
 *   - the guest image's e2fsck and xfs_repair are the host's own binaries
 *     (guest-image/build-image.sh copies them with their libraries), so the
 *     host runs the same program on the same bytes, natively instead of
 *     under TCG: per state 10-20 ms here instead of 120-470 ms;
 *   - read-only modes change nothing: e2fsck -n opens the image read-only,
 *     xfs_repair -n writes nothing (-f: the image is a file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent_proto.h"
#include "host_fsck.h"
#include "proc.h"

/* Generous: a native fsck of a 512 MiB image takes milliseconds. */
#define HOST_FSCK_TIMEOUT_MS	120000

int pmt_host_fsck(const char *fs, const char *image, const char *scratch,
		  struct json_object **res, char *err, size_t errlen)
{
	char *ext4[] = { "e2fsck", "-fn", (char *)image, NULL };
	char *xfs[] = { "xfs_repair", "-n", "-f", (char *)image, NULL };
	char *const *argv = strcmp(fs, "ext4") ? xfs : ext4;
	int status = 0, code = -1;
	char *text;
	size_t n;

	*res = NULL;
	text = pmt_spawn_capture(argv, scratch, HOST_FSCK_TIMEOUT_MS, &status);
	if (!text) {
		snprintf(err, errlen, "%s on the host: %s%s", argv[0],
			 errno == ETIMEDOUT ? "timed out" : strerror(errno),
			 errno == ENOENT ? (strcmp(fs, "ext4") ? " (install xfsprogs)"
							       : " (install e2fsprogs)") : "");
		return -1;
	}
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	n = strlen(text);
	*res = json_object_new_object();
	json_object_object_add(*res, "exit", json_object_new_int(code));
	if (WIFSIGNALED(status))
		json_object_object_add(*res, "signal", json_object_new_int(WTERMSIG(status)));
	/* As much as the guest agent's fsck answer kept. */
	json_object_object_add(*res, "output", json_object_new_string(
		n > PMT_OUTPUT_MAX ? text + n - PMT_OUTPUT_MAX : text));
	free(text);
	return 0;
}
