/* SPDX-License-Identifier: MIT */
/*
 * Checked access to a request's "args" object.  Each getter returns 0, or
 * -1 with a message naming the argument in @err: the host sent it, so
 * nothing about it is trusted.
 */
#ifndef PMT_AGENT_ARGS_H
#define PMT_AGENT_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* A string without NUL bytes; absent and !@required gives *out = NULL. */
int arg_string(struct json_object *args, const char *key, bool required,
	       const char **out, char *err, size_t errlen);

/* An integer in [@min, @max]; absent gives @def. */
int arg_int(struct json_object *args, const char *key, long long def,
	    long long min, long long max, long long *out, char *err, size_t errlen);

/* An object; absent or null gives *out = NULL. */
int arg_object(struct json_object *args, const char *key,
	       struct json_object **out, char *err, size_t errlen);

/*
 * An array of strings.  *out gets a malloc'd array with @reserve_front
 * free slots, then the strings, then a NULL (so callers can put a program
 * name in front); the strings point into @args.  *count is the number
 * of strings.  Absent and !@required gives an empty array.
 */
int arg_string_array(struct json_object *args, const char *key, bool required,
		     size_t reserve_front, const char ***out, size_t *count,
		     char *err, size_t errlen);

#endif /* PMT_AGENT_ARGS_H */
