// SPDX-License-Identifier: MIT
/*
 * Naming a crash state's pages (page_names.h).  Relies on e2fsprogs'
 * output formats (1.46, 1.47): dumpe2fs's "Group N: (Blocks A-B)" blocks,
 * debugfs's "EXTENTS:" list and icheck/ncheck tables; on jbd2's block
 * header (big-endian magic 0xc03b3998, block type, sequence); and, for
 * xfs, on xfs_db's blockuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "page_names.h"
#include "proc.h"
#include "util.h"

#define TOOL_TIMEOUT_MS	60000
#define JBD2_MAGIC	0xc03b3998u

/* "A-B" or "A" after @key into *lo, *hi; 1 if found. */
static int range_after(const char *line, const char *key, uint64_t *lo, uint64_t *hi)
{
	const char *p = strstr(line, key);
	char *end;

	if (!p)
		return 0;
	*lo = strtoull(p + strlen(key), &end, 10);
	*hi = *end == '-' ? strtoull(end + 1, NULL, 10) : *lo;
	return 1;
}

/* A block number after @key in @line into *@dst; untouched when there is none. */
static void take_num(const char *line, const char *key, int64_t *dst)
{
	const char *p = strstr(line, key);

	if (p)
		*dst = (int64_t)strtoull(p + strlen(key), NULL, 10);
}

/* One line of a group's block of dumpe2fs output: where its metadata lives. */
static void group_line(struct pmt_ext4_group *g, const char *buf)
{
	uint64_t lo, hi;

	take_num(buf, "superblock at ", &g->sb);
	if (range_after(buf, "Group descriptors at ", &lo, &hi)) {
		g->gdt_lo = lo;
		g->gdt_hi = hi;
	}
	/* Reserved GDT blocks follow the descriptors: one range. */
	if (range_after(buf, "Reserved GDT blocks at ", &lo, &hi)) {
		if (!g->gdt_lo)
			g->gdt_lo = lo;
		g->gdt_hi = hi;
	}
	take_num(buf, "Block bitmap at ", &g->bbitmap);
	take_num(buf, "Inode bitmap at ", &g->ibitmap);
	range_after(buf, "Inode table at ", &g->itable_lo, &g->itable_hi);
}

int pmt_ext4_parse_dumpe2fs(const char *text, struct pmt_ext4_layout *l)
{
	struct pmt_ext4_group *g = NULL;
	const char *line = text;

	memset(l, 0, sizeof(*l));
	l->journal_ino = 8;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		char buf[512];
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		uint64_t lo, hi;

		snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), line);
		line = eol ? eol + 1 : NULL;
		if (!strncmp(buf, "Block size:", 11))
			l->block_size = (unsigned)strtoul(buf + 11, NULL, 10);
		else if (!strncmp(buf, "Inodes per group:", 17))
			l->inodes_per_group = (unsigned)strtoul(buf + 17, NULL, 10);
		else if (!strncmp(buf, "Inode size:", 11))
			l->inode_size = (unsigned)strtoul(buf + 11, NULL, 10);
		else if (!strncmp(buf, "Journal inode:", 14))
			l->journal_ino = strtoull(buf + 14, NULL, 10);
		else if (!strncmp(buf, "Group ", 6) && range_after(buf, "(Blocks ", &lo, &hi)) {
			if (l->ngroups >= PMT_EXT4_MAX_GROUPS) {
				g = NULL;
				continue;
			}
			g = &l->groups[l->ngroups++];
			memset(g, 0, sizeof(*g));
			g->first = lo;
			g->last = hi;
			g->sb = g->bbitmap = g->ibitmap = -1;
		} else if (g) {
			group_line(g, buf);
		}
	}
	return l->block_size && l->ngroups ? 0 : -1;
}

size_t pmt_parse_extents(const char *stat_text, struct pmt_extent *out, size_t max)
{
	const char *p = strstr(stat_text, "EXTENTS:");
	size_t k = 0;

	if (!p)
		return 0;
	p += 8;
	/* "(0-4095):65536-69631, (4096):70000, (ETB0):1234" */
	while (k < max && (p = strchr(p, '('))) {
		struct pmt_extent e;
		uint64_t lhi, phi;
		char *end;

		if (p[1] < '0' || p[1] > '9') {
			p++;		/* (ETBn): an index block, not data */
			continue;
		}
		e.lblk = strtoull(p + 1, &end, 10);
		lhi = *end == '-' ? strtoull(end + 1, &end, 10) : e.lblk;
		if (strncmp(end, "):", 2))
			break;
		e.pblk = strtoull(end + 2, &end, 10);
		phi = *end == '-' ? strtoull(end + 1, &end, 10) : e.pblk;
		e.len = lhi - e.lblk + 1;
		if (phi - e.pblk + 1 != e.len)
			break;
		out[k++] = e;
		p = end;
	}
	return k;
}

size_t pmt_parse_icheck(const char *text, const uint64_t *blocks, size_t n, uint64_t *inodes)
{
	size_t named = 0;

	memset(inodes, 0, n * sizeof(*inodes));
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		char *end;
		uint64_t b = strtoull(line, &end, 10), ino;

		if (end == line || *end != '\t')
			continue;
		if (end[1] == '<')
			continue;	/* <block not found> */
		ino = strtoull(end + 1, NULL, 10);
		for (size_t i = 0; i < n; i++)
			if (blocks[i] == b && !inodes[i]) {
				inodes[i] = ino;
				named++;
			}
	}
	return named;
}

void pmt_parse_ncheck(const char *text, uint64_t ino, char *out, size_t len)
{
	out[0] = '\0';
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		char *end;
		const char *eol;

		if (strtoull(line, &end, 10) != ino || end == line || *end != '\t')
			continue;
		eol = strchr(end + 1, '\n');
		snprintf(out, len, "%.*s", (int)(eol ? eol - end - 1 : (long)strlen(end + 1)), end + 1);
		return;
	}
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void pmt_jbd2_describe(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	static const char *const kinds[] = {
		NULL, "descriptor block", "commit block", "superblock (v1)", "superblock",
		"revoke block",
	};
	uint32_t type;

	out[0] = '\0';
	if (!data || len < 12 || be32(data) != JBD2_MAGIC)
		return;
	type = be32(data + 4);
	if (type >= 1 && type <= 5 && (type == 3 || type == 4))
		snprintf(out, outlen, "%s", kinds[type]);
	else if (type >= 1 && type <= 5)
		snprintf(out, outlen, "%s of transaction %" PRIu32, kinds[type], be32(data + 8));
	else
		snprintf(out, outlen, "jbd2 block of type %" PRIu32, type);
}

int pmt_ext4_name_meta(const struct pmt_ext4_layout *l, uint64_t block,
		       const unsigned char *data, char *out, size_t len)
{
	for (size_t i = 0; i < l->njournal; i++) {
		const struct pmt_extent *e = &l->journal[i];
		char what[96];

		if (block < e->pblk || block >= e->pblk + e->len)
			continue;
		pmt_jbd2_describe(data, l->block_size, what, sizeof(what));
		snprintf(out, len, "journal block %" PRIu64 ": %s", e->lblk + block - e->pblk,
			 what[0] ? what : "logged copy of a metadata block (or unused)");
		return 1;
	}
	for (size_t g = 0; g < l->ngroups; g++) {
		const struct pmt_ext4_group *gr = &l->groups[g];
		unsigned per = l->inode_size ? l->block_size / l->inode_size : 0;

		if (gr->sb >= 0 && block == (uint64_t)gr->sb) {
			snprintf(out, len, "%s superblock (group %zu)", g ? "backup" : "primary", g);
			return 1;
		}
		if (gr->gdt_hi && block >= gr->gdt_lo && block <= gr->gdt_hi) {
			snprintf(out, len, "group descriptors (group %zu)", g);
			return 1;
		}
		if (gr->bbitmap >= 0 && block == (uint64_t)gr->bbitmap) {
			snprintf(out, len, "block bitmap of group %zu", g);
			return 1;
		}
		if (gr->ibitmap >= 0 && block == (uint64_t)gr->ibitmap) {
			snprintf(out, len, "inode bitmap of group %zu", g);
			return 1;
		}
		if (gr->itable_hi && block >= gr->itable_lo && block <= gr->itable_hi && per) {
			uint64_t first = (uint64_t)g * l->inodes_per_group +
					 (block - gr->itable_lo) * per + 1;

			snprintf(out, len, "inode table of group %zu: inodes %" PRIu64 "-%" PRIu64,
				 g, first, first + per - 1);
			return 1;
		}
	}
	return 0;
}

/* Run @argv; its output (stdout and stderr) as a string, or NULL. */
static char *capture(char *const argv[], const char *scratch)
{
	int status;

	return pmt_spawn_capture(argv, scratch, TOOL_TIMEOUT_MS, &status);
}

/* debugfs -c -R REQUEST IMG. */
static char *debugfs(const char *img, const char *request, const char *scratch)
{
	char *argv[] = { "debugfs", "-c", "-R", (char *)request, (char *)img, NULL };

	return capture(argv, scratch);
}

/* A file's or directory's block, by its inode (debugfs). */
static void name_by_inode(const char *img, uint64_t block, uint64_t ino, const char *scratch,
			  char *out, size_t len)
{
	struct pmt_extent ext[64];
	char req[64], path[256] = "", *text;
	const char *type = "file";
	size_t n;

	snprintf(req, sizeof(req), "ncheck -c %" PRIu64, ino);
	text = debugfs(img, req, scratch);
	if (text)
		pmt_parse_ncheck(text, ino, path, sizeof(path));
	free(text);
	snprintf(req, sizeof(req), "stat <%" PRIu64 ">", ino);
	text = debugfs(img, req, scratch);
	if (text && strstr(text, "Type: directory"))
		type = "directory";
	n = text ? pmt_parse_extents(text, ext, 64) : 0;
	free(text);
	for (size_t i = 0; i < n; i++) {
		if (block < ext[i].pblk || block >= ext[i].pblk + ext[i].len)
			continue;
		if (!strcmp(type, "directory"))
			snprintf(out, len, "directory %s (inode %" PRIu64 ") block %" PRIu64,
				 path[0] ? path : "?", ino, ext[i].lblk + block - ext[i].pblk);
		else
			snprintf(out, len, "file %s (inode %" PRIu64 ") data at offset %" PRIu64,
				 path[0] ? path : "?", ino,
				 (ext[i].lblk + block - ext[i].pblk) * 4096);
		return;
	}
	snprintf(out, len, "extent tree block of %s %s (inode %" PRIu64 ")", type,
		 path[0] ? path : "?", ino);
}

static struct json_object *names_ext4(const char *img, const uint64_t *pages, size_t n,
				      const char *scratch, char *err, size_t errlen)
{
	struct pmt_ext4_layout l;
	char *dargv[] = { "dumpe2fs", (char *)img, NULL };
	char *text = capture(dargv, scratch), req[64];
	struct json_object *names;
	unsigned char block[PMT_PAGE_SIZE];
	int fd;

	if (!text || pmt_ext4_parse_dumpe2fs(text, &l) || l.block_size != PMT_PAGE_SIZE) {
		snprintf(err, errlen, "dumpe2fs %s: %s", img,
			 text ? "no 4 KiB-block layout in its output" : strerror(errno));
		free(text);
		return NULL;
	}
	free(text);
	snprintf(req, sizeof(req), "stat <%" PRIu64 ">", l.journal_ino);
	text = debugfs(img, req, scratch);
	l.njournal = text ? pmt_parse_extents(text, l.journal, 16) : 0;
	free(text);
	fd = open(img, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", img, strerror(errno));
		return NULL;
	}
	names = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		char name[384];
		uint64_t ino = 0;
		ssize_t got = pread(fd, block, sizeof(block), (off_t)(pages[i] * PMT_PAGE_SIZE));

		if (pmt_ext4_name_meta(&l, pages[i], got == (ssize_t)sizeof(block) ? block : NULL,
				       name, sizeof(name))) {
			json_object_array_add(names, json_object_new_string(name));
			continue;
		}
		snprintf(req, sizeof(req), "icheck %" PRIu64, pages[i]);
		text = debugfs(img, req, scratch);
		if (text)
			pmt_parse_icheck(text, &pages[i], 1, &ino);
		free(text);
		if (ino)
			name_by_inode(img, pages[i], ino, scratch, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "block %" PRIu64 " in no file (free, or not yet "
				 "allocated in this state)", pages[i]);
		json_object_array_add(names, json_object_new_string(name));
	}
	close(fd);
	return names;
}

/*
 * xfs: xfs_db's blockuse after blockget names each filesystem block's
 * owner; a 4 KiB page is one block at the default block size.
 */
static struct json_object *names_xfs(const char *img, const uint64_t *pages, size_t n,
				     const char *scratch, char *err, size_t errlen)
{
	struct json_object *names = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		char conv[96], *argv[] = { "xfs_db", "-r", "-c", "blockget -n", "-c", conv,
					   "-c", "blockuse -n", (char *)img, NULL };
		char *text, *line, name[384];

		/* Position by 512-byte sector: fsblock numbers are per-AG encoded. */
		snprintf(conv, sizeof(conv), "daddr %" PRIu64, pages[i] * (PMT_PAGE_SIZE / 512));
		text = capture(argv, scratch);
		if (!text) {
			snprintf(err, errlen, "xfs_db %s: %s", img, strerror(errno));
			json_object_put(names);
			return NULL;
		}
		line = strstr(text, "block ");
		if (line) {
			char *eol = strchr(line, '\n');

			if (eol)
				*eol = '\0';
			snprintf(name, sizeof(name), "xfs %s", line);
		} else {
			snprintf(name, sizeof(name), "xfs block %" PRIu64 " (xfs_db named nothing)",
				 pages[i]);
		}
		free(text);
		json_object_array_add(names, json_object_new_string(name));
	}
	return names;
}

struct json_object *pmt_page_names(const char *fs, const char *img, const uint64_t *pages,
				   size_t n, const char *scratch, char *err, size_t errlen)
{
	if (!strcmp(fs, "ext4"))
		return names_ext4(img, pages, n, scratch, err, errlen);
	if (!strcmp(fs, "xfs"))
		return names_xfs(img, pages, n, scratch, err, errlen);
	snprintf(err, errlen, "no page naming for %s", fs);
	return NULL;
}
