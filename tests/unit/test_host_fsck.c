// SPDX-License-Identifier: MIT
/*
 * Unit tests: the host's fsck of a crash state's image (host_fsck.c), with
 * the real e2fsck and xfs_repair on small images this test makes: a fresh
 * filesystem is clean (exit 0), and one the test damages is not, so a
 * corrupt state cannot pass the check for want of a working fsck.
 * Damage: ext4's root inode cleared (debugfs -w clri <2>), an xfs AGF's
 * free block count changed (xfs_db -x).
 */
#include <check.h>

#include "pmt_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_fsck.h"
#include "json_util.h"

static void run(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* fsck @img as @fs; its exit code, with the output checked to be there. */
static int fsck_exit(const char *fs, const char *img)
{
	struct json_object *res = NULL;
	char scratch[256], err[256] = "";
	int code;

	snprintf(scratch, sizeof(scratch), "%s/fsck.out", pmt_tmpdir());
	ck_assert_msg(pmt_host_fsck(fs, img, scratch, &res, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(res);
	ck_assert_msg(strlen(pmt_json_str(res, "output")) > 0, "no output kept");
	code = pmt_json_int(res, "exit", -99);
	json_object_put(res);
	ck_assert_msg(access(scratch, F_OK) != 0, "the scratch file is left");
	return code;
}

START_TEST(ext4_clean_then_damaged)
{
	char img[256], cmd[600];

	snprintf(img, sizeof(img), "%s/e4.img", pmt_tmpdir());
	snprintf(cmd, sizeof(cmd), "truncate -s 64M %s && mkfs.ext4 -q -F %s", img, img);
	run(cmd);
	ck_assert_int_eq(fsck_exit("ext4", img), 0);
	snprintf(cmd, sizeof(cmd), "debugfs -w -R 'clri <2>' %s >/dev/null 2>&1", img);
	run(cmd);
	ck_assert_int_ne(fsck_exit("ext4", img), 0);
}
END_TEST

START_TEST(xfs_clean_then_damaged)
{
	char img[256], cmd[600];

	snprintf(img, sizeof(img), "%s/x.img", pmt_tmpdir());
	snprintf(cmd, sizeof(cmd), "truncate -s 300M %s && mkfs.xfs -q -f %s", img, img);
	run(cmd);
	ck_assert_int_eq(fsck_exit("xfs", img), 0);
	snprintf(cmd, sizeof(cmd), "xfs_db -x -c 'agf 1' -c 'write -d freeblks 7' %s >/dev/null",
		 img);
	run(cmd);
	ck_assert_int_ne(fsck_exit("xfs", img), 0);
}
END_TEST

START_TEST(missing_image_is_not_clean)
{
	char img[256];

	/* A path that is not there: the tool runs and says so, never exit 0. */
	snprintf(img, sizeof(img), "%s/none.img", pmt_tmpdir());
	ck_assert_int_ne(fsck_exit("ext4", img), 0);
	ck_assert_int_ne(fsck_exit("xfs", img), 0);
}
END_TEST

static const struct pmt_check_opts opts = {
	.setup = pmt_tmpdir_setup, .teardown = pmt_tmpdir_teardown, .timeout = 120,
};

PMT_CHECK_MAIN("host_fsck", &opts, ext4_clean_then_damaged, xfs_clean_then_damaged,
	       missing_image_is_not_clean);
