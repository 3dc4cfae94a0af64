// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relpath.h"
#include "util.h"

int pmt_relpath(const char *from, const char *to, char *out, size_t len)
{
	char a[PATH_MAX], b[PATH_MAX];
	const char *ra, *rb;
	size_t common = 0, off = 0;

	if (!realpath(from, a) || !realpath(to, b))
		return -1;
	/* The longest common prefix that ends at a component boundary of both. */
	for (size_t i = 1; a[i - 1] && a[i - 1] == b[i - 1]; i++)
		if ((a[i] == '/' || !a[i]) && (b[i] == '/' || !b[i]))
			common = i;
	ra = a + common;
	rb = b + common;
	while (*ra == '/')
		ra++;
	while (*rb == '/')
		rb++;
	/* One ".." for each component of @from below the common prefix. */
	for (const char *p = ra; *p; ) {
		if (pmt_fmt(out + off, len - off, "%s..", off ? "/" : ""))
			goto too_long;
		off = strlen(out);
		p = strchr(p, '/');
		if (!p)
			break;
		p++;
	}
	if (pmt_fmt(out + off, len - off, "%s%s", off && *rb ? "/" : "", off || *rb ? rb : "."))
		goto too_long;
	return 0;
too_long:
	errno = ENAMETOOLONG;
	return -1;
}

int pmt_results_folder(const char *path, char *out, size_t len)
{
	char copy[PATH_MAX];
	struct stat st;

	if (stat(path, &st))
		return -1;
	if (S_ISDIR(st.st_mode))
		return pmt_fmt(out, len, "%s", path);
	if (pmt_fmt(copy, sizeof(copy), "%s", path))
		return -1;
	return pmt_fmt(out, len, "%s", dirname(copy));
}
