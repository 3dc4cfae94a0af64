/* SPDX-License-Identifier: MIT */
/*
 * fsstate: what a guest filesystem says about its own error state, read
 * in the guest right after a call (flushprobe's fsyncs).  Linux exposes
 * it in three places: the mount's options in /proc/mounts ("ro" once ext4
 * remounted read-only; a shut-down xfs stays "rw" and refuses calls),
 * ext4's superblock error record in /sys/fs/ext4/DEV/ (errors_count,
 * first_error_*, last_error_*: fs/ext4/sysfs.c, 5.x and later), and the
 * kernel log ("Aborting journal", "Detected aborted journal": jbd2 and
 * ext4's __ext4_abort; "Filesystem has been shut down": xfs).
 */
#ifndef PMT_FSSTATE_H
#define PMT_FSSTATE_H

#include <json-c/json.h>

/*
 * The error state of the filesystem mounted at @dir, as a new object:
 * {"dev","fstype","ro","opts","errors_count","first_error_func",
 *  "first_error_line","first_error_errcode","last_error_func",
 *  "last_error_errcode","journal_aborted","klog_aborting_journal",
 *  "klog_detected_aborted","klog_shutdown","klog_remount_ro"}.
 * Members it cannot read are left out (no ext4 sysfs on xfs; an empty
 * kernel log buffer); klog_* count lines in the whole kernel log so far.
 * Never NULL.
 */
struct json_object *fsstate_read(const char *dir);

#endif
