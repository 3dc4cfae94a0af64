/* SPDX-License-Identifier: MIT */
/*
 * Joining the summaries of shards (`pmtorture merge DIR...`) into one, so
 * one report and one JUnit file cover the whole plan; and the small
 * summary helpers that merging, baselines and expunges share.
 */
#ifndef PMT_MERGE_H
#define PMT_MERGE_H

#include <json-c/json.h>
#include <stddef.h>

/*
 * A new summary: the cases of all @s (deep copies) sorted by id, counts
 * recomputed, properties from s[0] plus "merged_from" (the run ids, comma
 * separated like the other list properties), run_id "<s[0] run_id>-merged".
 * NULL with one line in @err for a case id in two summaries, a summary
 * without a cases array, or shards of different kernels.
 */
struct json_object *pmt_merge_summaries(struct json_object *const *s, size_t n,
					char *err, size_t errlen);

/* Set "counts" from the cases' verdicts (every verdict name present). */
void pmt_summary_recount(struct json_object *summary);

/*
 * Prefix every case "dir" with "@prefix/", for a merged report written
 * away from the shards' folders (its links stay relative and working).
 */
void pmt_summary_prefix_dirs(struct json_object *summary, const char *prefix);

/* summary.json of a results folder (or the file itself); NULL with @err. */
struct json_object *pmt_summary_load(const char *path, char *err, size_t errlen);
/*
 * pmt_summary_load() of each of the @n @paths, all or none: NULL with
 * @err (the path's reason) when one fails.  Free with pmt_summaries_free().
 */
struct json_object **pmt_summaries_load(char *const *paths, size_t n, char *err, size_t errlen);
/* Release @n summaries and the array (NULL: nothing). */
void pmt_summaries_free(struct json_object **s, size_t n);

#endif
