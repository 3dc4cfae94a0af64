/* SPDX-License-Identifier: MIT */
/*
 * What a crash state's pages are: journal blocks (and which kind: a jbd2
 * descriptor, commit or revoke block of transaction T), an inode table
 * and the inodes in it, a bitmap, a directory block, file data at an
 * offset.  Read on the host from the image as the power cut left it (not
 * recovered), with e2fsprogs' dumpe2fs and debugfs -c (read-only), so the
 * checker guest needs no tools of its own.  The parsers are pure and unit
 * tested on those tools' output (tests/unit/test_page_names.c).
 */
#ifndef PMT_CHECK_PAGE_NAMES_H
#define PMT_CHECK_PAGE_NAMES_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define PMT_EXT4_MAX_GROUPS 64

/* A run of an inode's blocks: logical @lblk.. maps to physical @pblk... */
struct pmt_extent {
	uint64_t lblk, pblk, len;
};

/* One block group's metadata (dumpe2fs), absolute block numbers. */
struct pmt_ext4_group {
	uint64_t first, last;		/* the group's blocks */
	int64_t sb;			/* superblock (primary or backup), or -1 */
	uint64_t gdt_lo, gdt_hi;	/* group descriptors (and reserved), or 0,0 */
	int64_t bbitmap, ibitmap;	/* or -1 */
	uint64_t itable_lo, itable_hi;	/* inode table, or 0,0 */
};

struct pmt_ext4_layout {
	unsigned block_size, inodes_per_group, inode_size;
	uint64_t journal_ino;
	struct pmt_ext4_group groups[PMT_EXT4_MAX_GROUPS];
	size_t ngroups;
	struct pmt_extent journal[16];	/* the journal inode's extents */
	size_t njournal;
};

/*
 * Fill @l from `dumpe2fs` output (header and groups).  0, or -1 when the
 * block size or the groups are missing.
 */
int pmt_ext4_parse_dumpe2fs(const char *text, struct pmt_ext4_layout *l);

/*
 * The extents of `debugfs -R "stat <INO>"` output ("(0-4095):65536-69631",
 * "(4):2121"; index blocks "(ETB0):..." skipped) into @out (room for @max).
 * Returns how many.
 */
size_t pmt_parse_extents(const char *stat_text, struct pmt_extent *out, size_t max);

/*
 * `debugfs -R "icheck B..."` output: the inode of each of @blocks[0..@n)
 * into @inodes (0: "<block not found>").  Returns how many blocks it named.
 */
size_t pmt_parse_icheck(const char *text, const uint64_t *blocks, size_t n, uint64_t *inodes);

/* `debugfs -R "ncheck I"` output: the first path of inode @ino into @out ("" if none). */
void pmt_parse_ncheck(const char *text, uint64_t ino, char *out, size_t len);

/*
 * Name block @block from the layout alone: superblock, group descriptors,
 * bitmaps, inode table (with its inodes), journal block J.  @data is the
 * block's bytes (for a journal block's jbd2 header), or NULL.  Returns 1
 * when named, 0 when it is not metadata (a file's or directory's block).
 */
int pmt_ext4_name_meta(const struct pmt_ext4_layout *l, uint64_t block,
		       const unsigned char *data, char *out, size_t len);

/* A jbd2 block's header ("commit block of transaction 2"), or "" if it has none. */
void pmt_jbd2_describe(const unsigned char *data, size_t len, char *out, size_t outlen);

/*
 * Name each of @pages[0..@n) (4 KiB pages of image @img, filesystem @fs)
 * into a new JSON array of strings, one per page.  NULL with @err when the
 * tools could not read the image; xfs pages are named by xfs_db.
 */
struct json_object *pmt_page_names(const char *fs, const char *img, const uint64_t *pages,
				   size_t n, const char *scratch, char *err, size_t errlen);

#endif
