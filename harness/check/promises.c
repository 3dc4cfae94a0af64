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

static long long stamp_of(struct json_object *ev)
{
	return pmt_json_int64(ev, "flushed", -1);
}

static bool names_path(struct json_object *progress, const char *path)
{
	struct json_object *paths;

	if (!json_object_object_get_ex(progress, "paths", &paths) ||
	    !json_object_is_type(paths, json_type_array))
		return false;
	for (size_t k = 0; k < json_object_array_length(paths); k++) {
		const char *p = json_object_get_string(json_object_array_get_idx(paths, k));

		if (p && !strcmp(p, path))
			return true;
	}
	return false;
}

static bool has_sectors(struct json_object *o)
{
	const char *kind = pmt_json_str(o, "kind");

	if (strcmp(kind, "file"))
		return true;	/* exists, absent: nothing to hash */
	return json_object_object_get_ex(o, "sectors", NULL);
}

/*
 * The allowance for state promise @p (made at event @at) at point @n: a
 * new array of intents, or NULL if a change that may show is opaque.
 */
static struct json_object *allowance(struct json_object *events, size_t at,
				     struct json_object *p, long long n, bool with_next)
{
	struct json_object *allow = json_object_new_array(), *pending = json_object_new_array();
	const char *path = pmt_json_str(p, "path");
	size_t count = json_object_array_length(events);
	bool opaque = !has_sectors(p);

	for (size_t i = at + 1; i < count && !opaque; i++) {
		struct json_object *ev = json_object_array_get_idx(events, i);
		const char *type = pmt_json_str(ev, "event");

		if (!strcmp(type, "intent")) {
			if (!strcmp(pmt_json_str(ev, "path"), path))
				json_object_array_add(pending, json_object_get(ev));
			continue;
		}
		if (strcmp(type, "progress"))
			continue;
		{
			long long a = stamp_of(ev);
			bool shows = a >= 0 && (with_next ? a <= n : a < n);

			if (a < 0 || !shows) {
				/* Stamps only grow: no later change shows either. */
				if (a >= 0)
					break;
			} else if (names_path(ev, path)) {
				size_t np = json_object_array_length(pending);

				if (!np)
					opaque = true;
				for (size_t k = 0; k < np; k++) {
					struct json_object *in = json_object_array_get_idx(pending, k);

					if (!has_sectors(in))
						opaque = true;
					json_object_array_add(allow, json_object_get(in));
				}
			}
		}
		json_object_put(pending);
		pending = json_object_new_array();
	}
	json_object_put(pending);
	if (opaque) {
		json_object_put(allow);
		return NULL;
	}
	return allow;
}

/* A copy of @p without the event's own framing, with @allow (consumed) if any. */
static struct json_object *checkable(struct json_object *p, struct json_object *allow)
{
	struct json_object *o = json_object_new_object();

	json_object_object_foreach(p, key, val)
		if (strcmp(key, "event"))
			json_object_object_add(o, key, json_object_get(val));
	if (allow && json_object_array_length(allow))
		json_object_object_add(o, "allow", allow);
	else
		json_object_put(allow);
	return o;
}

struct json_object *pmt_promises_at(struct json_object *events, long long n, bool with_next,
				    int *lapsed)
{
	struct json_object *live = json_object_new_array(), *out = json_object_new_array();
	size_t count = events ? json_object_array_length(events) : 0;
	int nlapsed = 0;

	/* The promises in force: per slot, the last one made by point n. */
	for (size_t i = 0; i < count; i++) {
		struct json_object *ev = json_object_array_get_idx(events, i);
		long long s = stamp_of(ev);
		int at;

		if (strcmp(pmt_json_str(ev, "event"), "promise"))
			continue;
		if (s < 0 || s > n)
			break;	/* stamps only grow: nothing later is made */
		at = find(live, slot_of(pmt_json_str(ev, "kind")), pmt_json_str(ev, "path"));
		if (at >= 0)
			json_object_array_put_idx(live, (size_t)at, NULL);
		/* The event index travels with it, for the allowance scan. */
		{
			struct json_object *slot = json_object_new_object();

			json_object_object_add(slot, "kind", json_object_new_string(pmt_json_str(ev, "kind")));
			json_object_object_add(slot, "path", json_object_new_string(pmt_json_str(ev, "path")));
			json_object_object_add(slot, "at", json_object_new_int64((int64_t)i));
			json_object_array_add(live, slot);
		}
	}
	for (size_t i = 0; i < json_object_array_length(live); i++) {
		struct json_object *slot = json_object_array_get_idx(live, i), *p, *allow = NULL;
		size_t at;

		if (!slot)
			continue;
		at = (size_t)pmt_json_int64(slot, "at", 0);
		p = json_object_array_get_idx(events, at);
		if (!strcmp(slot_of(pmt_json_str(p, "kind")), "state")) {
			allow = allowance(events, at, p, n, with_next);
			if (!allow) {
				nlapsed++;
				continue;
			}
		}
		json_object_array_add(out, checkable(p, allow));
	}
	json_object_put(live);
	if (lapsed)
		*lapsed = nlapsed;
	return out;
}
