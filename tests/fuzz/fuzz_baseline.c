// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the expunge and baseline readers (harness/report/baseline.c)
 * and the summary loader they read previous runs with (pmt_summary_load).
 *
 * The input is three parts, separated by a line "--file--": an expunge
 * file, this run's summary.json and a previous run's summary.json.  The
 * summaries are files (the second in a folder, as --baseline names one)
 * read with pmt_summary_load; the expunge text goes to pmt_expunge_parse
 * as pmt_expunge_load hands it over (refused if it holds a NUL; the read
 * itself, a 4 MiB buffer each time, would cost most of the time here).
 * Whatever loads is then applied as a run with --expunge and --baseline
 * applies it, and the result is checked for its counts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "fuzz_files.h"
#include "json_util.h"
#include "merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = { "summary.json", "prev/summary.json" };
static const char *const dirs[] = { "prev", NULL };
static struct fuzz_files files = { .names = names, .dirs = dirs, .n = 2 };

/* The counted classes and the cases of other classes add up to the cases. */
static void check_baseline(struct json_object *summary)
{
	struct json_object *cases, *bl, *counts;
	size_t n = 0;
	long long sum = 0;

	if (!json_object_object_get_ex(summary, "cases", &cases) ||
	    !json_object_object_get_ex(summary, "baseline", &bl) ||
	    !json_object_object_get_ex(bl, "counts", &counts))
		abort();
	n = json_object_array_length(cases);
	json_object_object_foreach(counts, k, v) {
		(void)k;
		sum += json_object_get_int64(v);
	}
	for (size_t i = 0; i < n; i++) {
		const char *cls = pmt_json_str(json_object_array_get_idx(cases, i), "baseline");

		/* Classes outside the counted ones (a verdict "TCONF", or none) are not counted. */
		if (!json_object_object_get_ex(counts, cls, NULL))
			sum++;
	}
	if (sum != (long long)n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *summary, *previous;
	struct pmt_expunge list;
	static const char sep[] = "\n--file--\n";
	const uint8_t *cut = memmem(data, size, sep, strlen(sep));
	size_t tlen = cut ? (size_t)(cut - data) : size;
	char path[160], err[1024], *text;
	int have_list = 0;

	fuzz_files_setup(&files, "baseline");
	/* No separator: no summaries at all (a NULL part is no file). */
	if (cut)
		fuzz_files_write(&files, cut + strlen(sep), size - tlen - strlen(sep), sep);
	else
		fuzz_files_write(&files, NULL, 0, sep);
	if (!memchr(data, '\0', tlen)) {
		text = malloc(tlen + 1);
		if (!text)
			abort();
		memcpy(text, data, tlen);
		text[tlen] = '\0';
		have_list = pmt_expunge_parse(text, "known.expunge", &list, err, sizeof(err)) == 0;
		free(text);
		if (!have_list && strchr(err, '\n'))
			abort();	/* an expunge error is one line */
	}
	fuzz_path(&files, "summary.json", path, sizeof(path));
	summary = pmt_summary_load(path, err, sizeof(err));
	fuzz_path(&files, "prev", path, sizeof(path));
	previous = pmt_summary_load(path, err, sizeof(err));

	if (have_list) {
		for (size_t i = 0; i < list.n; i++)
			pmt_expunge_match(&list, list.v[i].pattern, NULL);
		if (summary) {
			struct json_object *cases = json_object_object_get(summary, "cases");

			for (size_t i = 0; i < json_object_array_length(cases); i++) {
				const char *reason = NULL;
				struct json_object *c = json_object_array_get_idx(cases, i);

				pmt_expunge_match(&list, pmt_json_str(c, "id"), &reason);
				pmt_expunge_match_case(&list, c, &reason);
			}
			pmt_expunge_apply(&list, summary);
		}
		pmt_expunge_free(&list);
	}
	if (summary && previous) {
		pmt_baseline_apply(summary, previous);
		check_baseline(summary);
		pmt_baseline_exit_status(summary);
		/* A run compared with itself. */
		pmt_baseline_apply(previous, previous);
		check_baseline(previous);
	} else if (summary) {
		pmt_baseline_exit_status(summary);
	}
	json_object_put(summary);
	json_object_put(previous);
	return 0;
}
