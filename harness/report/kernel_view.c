// SPDX-License-Identifier: MIT
/* A kernel matrix as the reports show it: see kernel_view.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "kernel_view.h"
#include "kver.h"

#define MAX_KERNELS 256

void pmt_id_without_kernel(const char *id, const char *kernel, char *buf, size_t len)
{
	size_t kl = strlen(kernel);
	const char *at = *kernel ? id : NULL;

	while (at && (at = strchr(at, '@'))) {
		if (!strncmp(at + 1, kernel, kl) &&
		    (at[1 + kl] == '\0' || at[1 + kl] == '#' || at[1 + kl] == '@'))
			break;
		at++;
	}
	if (!at) {
		snprintf(buf, len, "%s", id);
		return;
	}
	snprintf(buf, len, "%.*s%s", (int)(at - id), id, at + 1 + kl);
}

/* Version order of two releases; 0 when they are the same version. */
static int cmp_release(const char *a, const char *b)
{
	struct pmt_kver x, y;

	pmt_kver_parse(a, &x);
	pmt_kver_parse(b, &y);
	return pmt_kver_cmp(&x, &y);
}

size_t pmt_kernel_view_kernels(struct json_object *cases, const char **out, size_t max)
{
	size_t n = 0, nc = cases ? json_object_array_length(cases) : 0;

	for (size_t i = 0; i < nc && n < max; i++) {
		const char *k = pmt_json_str(json_object_array_get_idx(cases, i), "kernel");
		size_t j;

		for (j = 0; j < n && strcmp(out[j], k); j++)
			;
		if (j < n)
			continue;
		/* Insertion: stable, so kernels of one version keep their order. */
		for (j = n; j > 0 && cmp_release(out[j - 1], k) > 0; j--)
			out[j] = out[j - 1];
		out[j] = k;
		n++;
	}
	return n;
}

struct row {
	size_t idx, group, kernel;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->kernel != y->kernel)
		return x->kernel < y->kernel ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void pmt_kernel_view_order(struct json_object *cases, size_t *idx, size_t n)
{
	const char *kernels[MAX_KERNELS];
	size_t nk = pmt_kernel_view_kernels(cases, kernels, MAX_KERNELS);
	struct row *rows;
	char (*plain)[160];

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	if (nk < 2 || !(rows = calloc(n, sizeof(*rows))))
		return;
	plain = calloc(n, sizeof(*plain));
	if (!plain) {
		free(rows);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		const char *k = pmt_json_str(c, "kernel");

		pmt_id_without_kernel(pmt_json_str(c, "id"), k, plain[i], sizeof(plain[i]));
		rows[i].idx = i;
		for (rows[i].group = 0; strcmp(plain[rows[i].group], plain[i]); rows[i].group++)
			;
		for (rows[i].kernel = 0; rows[i].kernel < nk && strcmp(kernels[rows[i].kernel], k);
		     rows[i].kernel++)
			;
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	for (size_t i = 0; i < n; i++)
		idx[i] = rows[i].idx;
	free(plain);
	free(rows);
}
