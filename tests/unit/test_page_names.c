// SPDX-License-Identifier: MIT
/*
 * Unit tests: naming a crash state's pages (harness/check/page_names.h)
 * from e2fsprogs 1.47's output, as dumpe2fs and debugfs printed it for a
 * 512 MiB ext4 made by the guest image's mkfs, and jbd2 block headers.
 */
#include <check.h>
#include <string.h>

#include "page_names.h"
#include "pmt_check.h"

static const char dumpe2fs_out[] =
	"dumpe2fs 1.47.0 (5-Feb-2023)\n"
	"Block count:              131072\n"
	"First block:              0\n"
	"Block size:               4096\n"
	"Blocks per group:         32768\n"
	"Inodes per group:         8192\n"
	"Inode size:\t          256\n"
	"Journal inode:            8\n"
	"\n"
	"Group 0: (Blocks 0-32767) csum 0x04bf\n"
	"  Primary superblock at 0, Group descriptors at 1-1\n"
	"  Reserved GDT blocks at 2-64\n"
	"  Block bitmap at 65 (+65), csum 0x62a22cbe\n"
	"  Inode bitmap at 69 (+69), csum 0xacbbe731\n"
	"  Inode table at 73-584 (+73)\n"
	"  30641 free blocks, 8181 free inodes, 2 directories, 8181 unused inodes\n"
	"Group 1: (Blocks 32768-65535) csum 0x78e4 [INODE_UNINIT, BLOCK_UNINIT]\n"
	"  Backup superblock at 32768, Group descriptors at 32769-32769\n"
	"  Reserved GDT blocks at 32770-32832\n"
	"  Block bitmap at 66 (bg #0 + 66), csum 0x00000000\n"
	"  Inode bitmap at 70 (bg #0 + 70), csum 0x00000000\n"
	"  Inode table at 585-1096 (bg #0 + 585)\n";

static const char stat8_out[] =
	"Inode: 8   Type: regular    Mode:  0600   Flags: 0x80000\n"
	"Size of extra inode fields: 32\n"
	"EXTENTS:\n"
	"(0-4095):65536-69631\n";

START_TEST(parses_the_layout)
{
	struct pmt_ext4_layout l;

	ck_assert_int_eq(pmt_ext4_parse_dumpe2fs(dumpe2fs_out, &l), 0);
	ck_assert_uint_eq(l.block_size, 4096);
	ck_assert_uint_eq(l.inodes_per_group, 8192);
	ck_assert_uint_eq(l.inode_size, 256);
	ck_assert_uint_eq(l.ngroups, 2);
	ck_assert_int_eq(l.groups[1].sb, 32768);
	ck_assert_uint_eq(l.groups[0].gdt_hi, 64);
	ck_assert_int_eq(l.groups[1].bbitmap, 66);
	ck_assert_uint_eq(l.groups[1].itable_lo, 585);
	ck_assert_uint_eq(l.groups[1].itable_hi, 1096);
	ck_assert_int_eq(pmt_ext4_parse_dumpe2fs("no layout here\n", &l), -1);
}
END_TEST

START_TEST(parses_extents)
{
	struct pmt_extent e[4];

	ck_assert_uint_eq(pmt_parse_extents(stat8_out, e, 4), 1);
	ck_assert_uint_eq(e[0].lblk, 0);
	ck_assert_uint_eq(e[0].pblk, 65536);
	ck_assert_uint_eq(e[0].len, 4096);
	/* Index blocks skipped, single blocks, several extents. */
	ck_assert_uint_eq(pmt_parse_extents("EXTENTS:\n(ETB0):1200, (0-1):2000-2001, (4):2121\n",
					    e, 4), 2);
	ck_assert_uint_eq(e[1].lblk, 4);
	ck_assert_uint_eq(e[1].pblk, 2121);
	ck_assert_uint_eq(e[1].len, 1);
	ck_assert_uint_eq(pmt_parse_extents("BLOCKS:\n", e, 4), 0);
}
END_TEST

START_TEST(parses_icheck_and_ncheck)
{
	const uint64_t blocks[] = { 100, 2121, 9000 };
	uint64_t inodes[3];
	char path[64];

	ck_assert_uint_eq(pmt_parse_icheck("debugfs 1.47.0 (5-Feb-2023)\nBlock\tInode number\n"
					   "100\t<block not found>\n2121\t2\n9000\t12\n",
					   blocks, 3, inodes), 2);
	ck_assert_uint_eq(inodes[0], 0);
	ck_assert_uint_eq(inodes[1], 2);
	ck_assert_uint_eq(inodes[2], 12);
	pmt_parse_ncheck("debugfs 1.47.0\nInode\tPathname\n12\t/f0\n13\t/d/f1\n", 13, path,
			 sizeof(path));
	ck_assert_str_eq(path, "/d/f1");
	pmt_parse_ncheck("Inode\tPathname\n", 13, path, sizeof(path));
	ck_assert_str_eq(path, "");
}
END_TEST

START_TEST(names_metadata_and_journal_blocks)
{
	struct pmt_ext4_layout l;
	unsigned char jb[4096] = { 0xc0, 0x3b, 0x39, 0x98, 0, 0, 0, 2, 0, 0, 0, 7 };
	char name[128];

	ck_assert_int_eq(pmt_ext4_parse_dumpe2fs(dumpe2fs_out, &l), 0);
	l.njournal = pmt_parse_extents(stat8_out, l.journal, 16);
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 65543, jb, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "journal block 7: commit block of transaction 7");
	jb[7] = 1;
	pmt_jbd2_describe(jb, sizeof(jb), name, sizeof(name));
	ck_assert_str_eq(name, "descriptor block of transaction 7");
	jb[7] = 4;
	pmt_jbd2_describe(jb, sizeof(jb), name, sizeof(name));
	ck_assert_str_eq(name, "superblock");
	jb[0] = 0;
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 65540, jb, name, sizeof(name)), 1);
	ck_assert_msg(strstr(name, "journal block 4: logged copy"), "%s", name);
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 0, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "primary superblock (group 0)");
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 40, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "group descriptors (group 0)");
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 70, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "inode bitmap of group 1");
	/* Block 73 holds inodes 1-16; group 1's table (in group 0, flex_bg) 8193.. */
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 73, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "inode table of group 0: inodes 1-16");
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 586, NULL, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "inode table of group 1: inodes 8209-8224");
	/* A data block is not metadata: debugfs's icheck names it. */
	ck_assert_int_eq(pmt_ext4_name_meta(&l, 2121, NULL, name, sizeof(name)), 0);
}
END_TEST

PMT_CHECK_MAIN("page_names", NULL, parses_the_layout, parses_extents,
	       parses_icheck_and_ncheck, names_metadata_and_journal_blocks);
