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

/* Per filesystem: how to make a small image at $IMG, and how to damage it. */
struct fs_case {
	const char *fs, *make, *damage;
};

static const struct fs_case ext4 = {
	"ext4", "truncate -s 64M \"$IMG\" && mkfs.ext4 -q -F \"$IMG\"",
	"debugfs -w -R 'clri <2>' \"$IMG\" >/dev/null 2>&1",
};

static const struct fs_case xfs = {
	"xfs", "truncate -s 300M \"$IMG\" && mkfs.xfs -q -f \"$IMG\"",
	"xfs_db -x -c 'agf 1' -c 'write -d freeblks 7' \"$IMG\" >/dev/null",
};

static void clean_then_damaged(const struct fs_case *fc)
{
	char img[256];

	snprintf(img, sizeof(img), "%s/%s.img", pmt_tmpdir(), fc->fs);
	ck_assert_int_eq(setenv("IMG", img, 1), 0);
	run(fc->make);
	ck_assert_int_eq(fsck_exit(fc->fs, img), 0);
	run(fc->damage);
	ck_assert_int_ne(fsck_exit(fc->fs, img), 0);
}

START_TEST(ext4_clean_then_damaged)
{
	clean_then_damaged(&ext4);
}
END_TEST

START_TEST(xfs_clean_then_damaged)
{
	clean_then_damaged(&xfs);
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
