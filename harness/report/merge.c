// SPDX-License-Identifier: MIT
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent_proto.h"
#include "json_util.h"
#include "merge.h"
#include "util.h"
#include "verdict.h"

void pmt_summary_recount(struct json_object *summary)
{
	struct json_object *counts = json_object_new_object(), *cases, *v;
	size_t n;

	for (int i = 0; i < PMT_NR_VERDICTS; i++)
		json_object_object_add(counts, pmt_verdict_name(i), json_object_new_int(0));
	n = json_object_object_get_ex(summary, "cases", &cases) ? json_object_array_length(cases) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *verdict = pmt_json_str(json_object_array_get_idx(cases, i), "verdict");

		if (json_object_object_get_ex(counts, verdict, &v))
			json_object_set_int(v, json_object_get_int(v) + 1);
	}
	json_object_object_add(summary, "counts", counts);
}

void pmt_summary_prefix_dirs(struct json_object *summary, const char *prefix)
{
	struct json_object *cases;
	size_t n;

	n = json_object_object_get_ex(summary, "cases", &cases) ? json_object_array_length(cases) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		const char *dir = pmt_json_str(c, "dir");
		char *joined;

		if (!*dir || asprintf(&joined, "%s/%s", prefix, dir) < 0)
			continue;
		json_object_object_add(c, "dir", json_object_new_string(joined));
		free(joined);
	}
}

struct json_object *pmt_summary_load(const char *path, char *err, size_t errlen)
{
	char file[PATH_MAX];
	struct stat st;
	struct json_object *o;

	if (stat(path, &st)) {
		snprintf(err, errlen, "%s: no such results folder or file", path);
		return NULL;
	}
	if (pmt_fmt(file, sizeof(file), S_ISDIR(st.st_mode) ? "%s/summary.json" : "%s", path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return NULL;
	}
	o = json_object_from_file(file);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_is_type(json_object_object_get(o, "cases"), json_type_array)) {
		snprintf(err, errlen, "%s: not a pmtorture summary (expected an object with a "
			 "\"cases\" array)", file);
		json_object_put(o);
		return NULL;
	}
	/* A summary from disk is input like any other: every case an object. */
	for (size_t i = 0; i < json_object_array_length(json_object_object_get(o, "cases")); i++) {
		if (!json_object_is_type(json_object_array_get_idx(json_object_object_get(o, "cases"), i),
					 json_type_object)) {
			snprintf(err, errlen, "%s: not a pmtorture summary (case %zu is not an object)",
				 file, i + 1);
			json_object_put(o);
			return NULL;
		}
	}
	pmt_json_sanitize(o);
	return o;
}

static int by_id(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b;

	return strcmp(pmt_json_str(*x, "id"), pmt_json_str(*y, "id"));
}

static struct json_object *copy(struct json_object *o)
{
	struct json_object *c = NULL;

	if (json_object_deep_copy(o, &c, NULL)) {
		fprintf(stderr, "pmtorture: out of memory\n");
		abort();
	}
	return c;
}

/* Summaries that can be one: some, each with cases, all of one kernel (shards
 * of different kernels would make one report of two runs).  0, or -1 with @err. */
static int check_mergeable(struct json_object *const *s, size_t n, char *err, size_t errlen)
{
	const char *kernel;

	if (n == 0) {
		snprintf(err, errlen, "merge: no summaries to merge");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!json_object_is_type(json_object_object_get(s[i], "cases"), json_type_array)) {
			snprintf(err, errlen, "merge: summary %zu (%s) has no cases array", i + 1,
				 pmt_json_str(s[i], "run_id"));
			return -1;
		}
	}
	kernel = pmt_json_str(json_object_object_get(s[0], "properties"), "kernel");
	for (size_t i = 1; i < n; i++) {
		const char *k = pmt_json_str(json_object_object_get(s[i], "properties"), "kernel");

		if (*kernel && *k && strcmp(kernel, k)) {
			snprintf(err, errlen, "merge: %s ran kernel %s but %s ran %s",
				 pmt_json_str(s[0], "run_id"), kernel, pmt_json_str(s[i], "run_id"), k);
			return -1;
		}
	}
	return 0;
}

/* Copies of the cases of all @s sorted by id, or NULL with @err when a case
 * id stands in two of them. */
static struct json_object *gather_cases(struct json_object *const *s, size_t n, char *err,
					size_t errlen)
{
	struct json_object *cases = json_object_new_array();
	struct json_object *seen = json_object_new_object();	/* case id -> its run */

	for (size_t i = 0; i < n; i++) {
		struct json_object *src = json_object_object_get(s[i], "cases");

		for (size_t k = 0; k < json_object_array_length(src); k++) {
			struct json_object *c = json_object_array_get_idx(src, k), *first;
			const char *id = pmt_json_str(c, "id");

			if (json_object_object_get_ex(seen, id, &first)) {
				snprintf(err, errlen, "merge: case %s is in both %s and %s", id,
					 json_object_get_string(first), pmt_json_str(s[i], "run_id"));
				json_object_put(seen);
				json_object_put(cases);
				return NULL;
			}
			json_object_object_add(seen, id,
					       json_object_new_string(pmt_json_str(s[i], "run_id")));
			json_object_array_add(cases, copy(c));
		}
	}
	json_object_put(seen);
	json_object_array_sort(cases, by_id);
	return cases;
}

struct json_object *pmt_merge_summaries(struct json_object *const *s, size_t n,
					char *err, size_t errlen)
{
	struct json_object *out, *props = NULL, *cases;
	char *from = NULL;
	size_t fromlen = 0;
	FILE *f;

	if (check_mergeable(s, n, err, errlen))
		return NULL;
	cases = gather_cases(s, n, err, errlen);
	if (!cases)
		return NULL;
	out = json_object_new_object();
	f = open_memstream(&from, &fromlen);
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", pmt_json_str(s[i], "run_id"));
	if (f)
		fclose(f);
	if (json_object_object_get_ex(s[0], "properties", &props))
		props = copy(props);
	else
		props = json_object_new_object();
	json_object_object_add(props, "merged_from", json_object_new_string(from ? from : ""));
	free(from);

	if (asprintf(&from, "%s-merged", pmt_json_str(s[0], "run_id")) < 0)
		from = NULL;
	json_object_object_add(out, "run_id", json_object_new_string(from ? from : "merged"));
	free(from);
	json_object_object_add(out, "properties", props);
	json_object_object_add(out, "cases", cases);
	pmt_summary_recount(out);
	return out;
}

struct json_object **pmt_summaries_load(char *const *paths, size_t n, char *err, size_t errlen)
{
	struct json_object **s = calloc(n ? n : 1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		s[i] = pmt_summary_load(paths[i], err, errlen);
		if (!s[i]) {
			pmt_summaries_free(s, i);
			return NULL;
		}
	}
	return s;
}

void pmt_summaries_free(struct json_object **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		json_object_put(s[i]);
	free(s);
}
