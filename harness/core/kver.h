/* SPDX-License-Identifier: MIT */
/*
 * Kernel versions as numbers, for ordering kernels and for expunge lines
 * limited to a range of them.
 *
 * A version is the run of numbers at the start of a kernel release or a
 * Debian package version, separated by '.' or '-': "6.1.0-57-amd64" is
 * 6.1.0.57 (Debian's 6.1 packages are named by ABI, not by the upstream
 * 6.1.y), "6.12.117+deb12-amd64" is 6.12.117.  It ends at the first '+',
 * at a part that is not all digits ("amd64", "rc3") or at the end.
 *
 * Comparison is part by part, numerically.  pmt_kver_cmp() orders whole
 * versions: a version that is a prefix of another is the smaller one
 * (6.12 < 6.12.107).  pmt_kver_cmp_prefix() compares only as many parts
 * as the bound has, so a short bound stands for a whole series: 6.12.117
 * is "equal" to the bound 6.12, and below the bound 6.13.
 */
#ifndef PMT_KVER_H
#define PMT_KVER_H

#include <stddef.h>

#define PMT_KVER_PARTS 8

struct pmt_kver {
	unsigned long part[PMT_KVER_PARTS];
	int n;				/* parts parsed: 0 when @s had no leading number */
};

/*
 * Parse the leading version of @s into @v.  Returns the number of
 * characters the version took (0 if @s does not start with a digit, or
 * has more than PMT_KVER_PARTS parts or a part above 10^9).
 */
size_t pmt_kver_parse(const char *s, struct pmt_kver *v);

/* <0, 0, >0 as @a is older, the same as or newer than @b, all parts counting. */
int pmt_kver_cmp(const struct pmt_kver *a, const struct pmt_kver *b);

/* The same over the first bound->n parts of @v only: 0 when @v is in series @bound. */
int pmt_kver_cmp_prefix(const struct pmt_kver *v, const struct pmt_kver *bound);

/* "6.12.117" into @buf (at most @len bytes, NUL included). */
void pmt_kver_format(const struct pmt_kver *v, char *buf, size_t len);

#endif
