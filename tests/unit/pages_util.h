/* SPDX-License-Identifier: MIT */
/* Test pages of an image file, the same in every test of the durable image
 * and of the crash-state walk, so a page's tag says what it must hold.
 * Relies on: durable.h (PMT_PAGE_SIZE), Check (the asserts). Header-only:
 * the Makefile builds one binary per unit test source. */
#ifndef PMT_PAGES_UTIL_H
#define PMT_PAGES_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <check.h>

#include "durable.h"

/* Fill page buffer @p with the pattern of @tag: no two tags alike. */
static inline void fill(unsigned char *p, unsigned tag)
{
	for (unsigned i = 0; i < PMT_PAGE_SIZE; i++)
		p[i] = (unsigned char)(tag * 31 + i * 7 + 1);
}

/* Write page number @page of the existing file @path with the pattern of
 * @tag; fails the test when it cannot. */
static inline void write_page(const char *path, uint64_t page, unsigned tag)
{
	unsigned char p[PMT_PAGE_SIZE];
	int fd = open(path, O_WRONLY);

	fill(p, tag);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, p, sizeof(p), (off_t)(page * PMT_PAGE_SIZE)), PMT_PAGE_SIZE);
	close(fd);
}

#endif
