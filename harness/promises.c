// SPDX-License-Identifier: MIT
#include <string.h>

#include "json_util.h"
#include "promises.h"

/* Promises of these kinds share one slot per path; the others each have their own. */
static const char *slot_of(const char *kind)
{
	if (!strcmp(kind, "file") || !strcmp(kind, "exists") || !strcmp(kind, "absent"))
		return "state";
	return kind;
}

/* Index of the live promise in @slot for @path in @live, or -1. */
static int find(struct json_object *live, const char *slot, const char *path)
{
	size_t n = json_object_array_length(live);

	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(live, i);

		if (p && !strcmp(slot_of(pmt_json_str(p, "kind")), slot) &&
		    !strcmp(pmt_json_str(p, "path"), path))
			return (int)i;
	}
	return -1;
}

struct json_object *pmt_promises_in_force(struct json_object *events)
{
	struct json_object *live = json_object_new_array(), *out = json_object_new_array();
	size_t n = events ? json_object_array_length(events) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *ev = json_object_array_get_idx(events, i), *paths;
		const char *type = pmt_json_str(ev, "event");

		if (!strcmp(type, "progress") && json_object_object_get_ex(ev, "paths", &paths) &&
		    json_object_is_type(paths, json_type_array)) {
			for (size_t k = 0; k < json_object_array_length(paths); k++) {
				const char *path = json_object_get_string(
					json_object_array_get_idx(paths, k));
				int at = path ? find(live, "state", path) : -1;

				if (at >= 0)
					json_object_array_put_idx(live, (size_t)at, NULL);
			}
		} else if (!strcmp(type, "promise")) {
			int at = find(live, slot_of(pmt_json_str(ev, "kind")), pmt_json_str(ev, "path"));

			if (at >= 0)
				json_object_array_put_idx(live, (size_t)at, NULL);
			json_object_array_add(live, json_object_get(ev));
		}
	}
	for (size_t i = 0; i < json_object_array_length(live); i++) {
		struct json_object *p = json_object_array_get_idx(live, i);

		if (p)
			json_object_array_add(out, json_object_get(p));
	}
	json_object_put(live);
	return out;
}
