/* SPDX-License-Identifier: MIT */
/* Lenient readers of json-c objects: a missing or mistyped member gives the default. */
#ifndef PMT_JSON_UTIL_H
#define PMT_JSON_UTIL_H

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>

const char *pmt_json_str(struct json_object *o, const char *key);	/* "" if absent */
double pmt_json_double(struct json_object *o, const char *key);		/* 0 if absent */
int pmt_json_int(struct json_object *o, const char *key, int dflt);
long long pmt_json_int64(struct json_object *o, const char *key, long long dflt);
bool pmt_json_bool(struct json_object *o, const char *key, bool dflt);
/*
 * For answers from the guest or QEMU, which may hold anything: the length
 * of @o if it is an array, else 0 (json-c asserts on a non-array); the
 * text of @o, "" for NULL (json_object_get_string gives NULL then).
 */
size_t pmt_json_len(struct json_object *o);
const char *pmt_json_text(struct json_object *o);

/*
 * A new JSON string of @fmt formatted with @ap, cut at 1023 bytes: the
 * notes and problems a check records are one line each.
 */
struct json_object *pmt_json_vstringf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#endif
