// SPDX-License-Identifier: MIT
/* Kernel versions as numbers: see kver.h for the grammar and the two orders. */
#include <stdio.h>
#include <string.h>

#include "kver.h"

size_t pmt_kver_parse(const char *s, struct pmt_kver *v)
{
	size_t i = 0, used = 0;

	memset(v, 0, sizeof(*v));
	while (s[i] >= '0' && s[i] <= '9') {
		unsigned long x = 0;
		size_t start = i;

		while (s[i] >= '0' && s[i] <= '9') {
			x = x * 10 + (unsigned long)(s[i] - '0');
			if (x > 1000000000UL || i - start > 9)
				goto bad;
			i++;
		}
		/* "6.1.0-57-amd64": a part that goes on with letters is not a number. */
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
			break;
		if (v->n == PMT_KVER_PARTS)
			goto bad;
		v->part[v->n++] = x;
		used = i;
		if ((s[i] == '.' || s[i] == '-') && s[i + 1] >= '0' && s[i + 1] <= '9')
			i++;
		else
			break;
	}
	return used;
bad:
	memset(v, 0, sizeof(*v));
	return 0;
}

static int cmp_parts(const struct pmt_kver *a, const struct pmt_kver *b, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned long x = i < a->n ? a->part[i] : 0, y = i < b->n ? b->part[i] : 0;

		/* A missing part is below every present one: 6.12 < 6.12.0. */
		if (i >= a->n || i >= b->n)
			return (i < a->n) - (i < b->n);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

int pmt_kver_cmp(const struct pmt_kver *a, const struct pmt_kver *b)
{
	return cmp_parts(a, b, a->n > b->n ? a->n : b->n);
}

int pmt_kver_cmp_prefix(const struct pmt_kver *v, const struct pmt_kver *bound)
{
	return cmp_parts(v, bound, bound->n);
}

void pmt_kver_format(const struct pmt_kver *v, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int i = 0; i < v->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%lu", i ? "." : "", v->part[i]);
}
