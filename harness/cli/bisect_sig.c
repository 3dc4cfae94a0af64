// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bisect_sig.h"
#include "json_util.h"
#include "reason_class.h"

static const char *const by_names[] = { "verdict", "kind", "reason" };

int pmt_bisect_by_parse(const char *name, enum pmt_bisect_by *by)
{
	for (int i = 0; i < 3; i++) {
		if (!strcmp(name, by_names[i])) {
			*by = (enum pmt_bisect_by)i;
			return 0;
		}
	}
	return -1;
}

const char *pmt_bisect_by_name(enum pmt_bisect_by by)
{
	return by_names[by];
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A case's failure kinds, sorted and unique, comma-joined into @out. */
static void kinds_of(struct json_object *c, char *out, size_t len)
{
	struct json_object *f = json_object_object_get(json_object_object_get(c, "details"),
						       "failures");
	const char *v[64];
	size_t n = 0, used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < pmt_json_len(f) && n < 64; i++) {
		const char *k = pmt_json_str(json_object_array_get_idx(f, i), "kind");
		bool seen = false;

		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(v[j], k);
		if (!seen && k[0])
			v[n++] = k;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", v[i]);
	if (!n)
		snprintf(out, len, "-");
}

char *pmt_bisect_signature(struct json_object *summary, enum pmt_bisect_by by)
{
	struct json_object *cases = json_object_object_get(summary, "cases");
	size_t n = pmt_json_len(cases), total = 1;
	char **lines = calloc(n ? n : 1, sizeof(*lines)), *out;

	if (!lines)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		const char *v = pmt_json_str(c, "verdict");
		char what[1024];
		/* An XFAIL is a FAIL for a bisect: an expunge hides no finding. */
		const char *verdict = !strcmp(v, "XFAIL") ? "FAIL" : v;
		size_t len;

		if (strcmp(verdict, "FAIL") && strcmp(verdict, "PASS"))
			snprintf(what, sizeof(what), "-");
		else if (by == PMT_BY_KIND)
			kinds_of(c, what, sizeof(what));
		else
			pmt_reason_class(pmt_json_str(c, "reason"), what, sizeof(what));
		len = strlen(pmt_json_str(c, "id")) + strlen(verdict) + strlen(what) + 3;
		lines[i] = malloc(len);
		if (!lines[i]) {
			for (size_t j = 0; j < i; j++)
				free(lines[j]);
			free(lines);
			return NULL;
		}
		snprintf(lines[i], len, "%s %s %s", pmt_json_str(c, "id"), verdict, what);
		total += len;
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	out = malloc(total);
	if (out) {
		size_t used = 0;

		out[0] = '\0';
		for (size_t i = 0; i < n; i++)
			used += (size_t)snprintf(out + used, total - used, "%s\n", lines[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return out;
}
