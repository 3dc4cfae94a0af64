// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

static bool string_has_nul(struct json_object *v)
{
	return strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v);
}

/* Absent and JSON null are the same thing for an optional argument. */
static struct json_object *lookup(struct json_object *args, const char *key)
{
	struct json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

int arg_string(struct json_object *args, const char *key, bool required,
	       const char **out, char *err, size_t errlen)
{
	struct json_object *v = lookup(args, key);

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		snprintf(err, errlen, "missing argument \"%s\"", key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string) || string_has_nul(v)) {
		snprintf(err, errlen, "argument \"%s\" must be a string without NUL bytes", key);
		return -1;
	}
	*out = json_object_get_string(v);
	return 0;
}

int arg_int(struct json_object *args, const char *key, long long def,
	    long long min, long long max, long long *out, char *err, size_t errlen)
{
	struct json_object *v = lookup(args, key);
	long long n;

	*out = def;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "argument \"%s\" must be an integer", key);
		return -1;
	}
	n = json_object_get_int64(v);
	if (n < min || n > max) {
		snprintf(err, errlen, "argument \"%s\" must be in [%lld, %lld]", key, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

int arg_object(struct json_object *args, const char *key,
	       struct json_object **out, char *err, size_t errlen)
{
	struct json_object *v = lookup(args, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		snprintf(err, errlen, "argument \"%s\" must be an object", key);
		return -1;
	}
	*out = v;
	return 0;
}

int arg_string_array(struct json_object *args, const char *key, bool required,
		     size_t reserve_front, const char ***out, size_t *count,
		     char *err, size_t errlen)
{
	struct json_object *v = lookup(args, key), *elem;
	const char **vec;
	size_t i, n = 0;

	*out = NULL;
	*count = 0;
	if (!v && required) {
		snprintf(err, errlen, "missing argument \"%s\"", key);
		return -1;
	}
	if (v && !json_object_is_type(v, json_type_array)) {
		snprintf(err, errlen, "argument \"%s\" must be an array of strings", key);
		return -1;
	}
	if (v)
		n = json_object_array_length(v);
	vec = calloc(reserve_front + n + 1, sizeof(*vec));
	if (!vec) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		elem = json_object_array_get_idx(v, i);
		if (!json_object_is_type(elem, json_type_string) || string_has_nul(elem)) {
			snprintf(err, errlen, "argument \"%s\"[%zu] must be a string without NUL bytes",
				 key, i);
			free(vec);
			return -1;
		}
		vec[reserve_front + i] = json_object_get_string(elem);
	}
	*out = vec;
	*count = n;
	return 0;
}
