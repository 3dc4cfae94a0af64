/* SPDX-License-Identifier: MIT */
/*
 * Which filesystem an image holds, from its superblock: ext2/3/4 keep the
 * magic 0xEF53 (little-endian) at byte 1024 + 56, xfs "XFSB" at byte 0.
 * A saved crash state knows its filesystem this way (replay).
 */
#ifndef PMT_FS_PROBE_H
#define PMT_FS_PROBE_H

/* "ext4", "xfs", or NULL when @path holds neither (or cannot be read). */
const char *pmt_fs_of_image(const char *path);

#endif
