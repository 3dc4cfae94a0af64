// SPDX-License-Identifier: MIT
/*
 * Matching the host's stamps of guest calls to the shim's flush log
 * (flush_window.h): pure functions of flushes.jsonl's text.
 */
#include <stdlib.h>
#include <string.h>

#include "flush_window.h"
#include "json_util.h"

/* Call @fn on each parsed line of @log with its 1-based number. */
static void each_line(const char *log, void (*fn)(struct json_object *o, long long line, void *ctx),
		      void *ctx)
{
	char *text = strdup(log ? log : ""), *line, *next;
	long long n = 0;

	for (line = text; line && *line; line = next) {
		struct json_object *o;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n++;
		o = json_tokener_parse(line);
		if (!o)
			continue;
		fn(o, n, ctx);
		json_object_put(o);
	}
	free(text);
}

struct window {
	long long from, to, call_rt_us;
	struct json_object *out;
};

static void add_flush(struct json_object *o, long long line, void *ctx)
{
	struct window *w = ctx;
	long long seq = pmt_json_int64(o, "seq", -1), ret = pmt_json_int64(o, "result", -1);
	long long rt0 = pmt_json_int64(o, "rt0_us", -1);
	struct json_object *e;

	if (json_object_get_type(o) != json_type_object || seq <= w->from || seq > w->to)
		return;
	e = json_object_new_object();
	json_object_object_add(e, "seq", json_object_new_int64(seq));
	json_object_object_add(e, "line", json_object_new_int64(line));
	json_object_object_add(e, "op", json_object_new_string(pmt_json_str(o, "op")));
	json_object_object_add(e, "action", json_object_new_string(pmt_json_str(o, "action")));
	json_object_object_add(e, "ret", json_object_new_int64(ret));
	if (ret < 0)
		json_object_object_add(e, "errno", json_object_new_int64(pmt_json_int64(o, "errno", 0)));
	json_object_object_add(e, "lost_pages", json_object_new_int64(pmt_json_int64(o, "lost", 0)));
	json_object_object_add(e, "pages", json_object_new_int64(pmt_json_int64(o, "pages", 0)));
	if (w->call_rt_us >= 0 && rt0 >= 0)
		json_object_object_add(e, "started", json_object_new_string(
			rt0 >= w->call_rt_us ? "during" : "before the call"));
	json_object_array_add(w->out, e);
}

struct json_object *pmt_flush_window(const char *log, long long from, long long to,
				     long long call_rt_us)
{
	struct window w = { .from = from, .to = to, .call_rt_us = call_rt_us,
			    .out = json_object_new_array() };

	each_line(log, add_flush, &w);
	return w.out;
}

/* The first return of @probe after index @i in @stamps, or NULL. */
static struct json_object *find_return(struct json_object *stamps, size_t i, const char *probe)
{
	for (size_t k = i + 1; k < json_object_array_length(stamps); k++) {
		struct json_object *s = json_object_array_get_idx(stamps, k);

		if (!strcmp(pmt_json_str(s, "event"), "fsync_return") &&
		    !strcmp(pmt_json_str(s, "probe"), probe))
			return s;
	}
	return NULL;
}

struct json_object *pmt_flush_evidence(const char *log, struct json_object *stamps)
{
	struct json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(stamps); i++) {
		struct json_object *call = json_object_array_get_idx(stamps, i), *ret, *e, *fl;
		const char *probe = pmt_json_str(call, "probe");
		long long from = pmt_json_int64(call, "flushed", -1), to;
		bool ok = false;

		if (strcmp(pmt_json_str(call, "event"), "fsync_call") ||
		    !(ret = find_return(stamps, i, probe)))
			continue;
		to = pmt_json_int64(ret, "flushed", -1);
		if (from < 0 || to < 0)
			continue;
		fl = pmt_flush_window(log, from, to, pmt_json_int64(call, "rt_us", -1));
		for (size_t k = 0; k < json_object_array_length(fl); k++)
			ok |= pmt_json_int64(json_object_array_get_idx(fl, k), "ret", -1) == 0;
		e = json_object_new_object();
		json_object_object_add(e, "probe", json_object_new_string(probe));
		json_object_object_add(e, "returned", json_object_new_int64(
			pmt_json_int64(ret, "errno", -1)));
		json_object_object_add(e, "flushed_at_call", json_object_new_int64(from));
		json_object_object_add(e, "flushed_at_return", json_object_new_int64(to));
		json_object_object_add(e, "host_flushes_during", fl);
		json_object_object_add(e, "host_flush_ok_during", json_object_new_boolean(ok));
		json_object_array_add(out, e);
	}
	return out;
}

static void add_failure(struct json_object *o, long long line, void *ctx)
{
	struct json_object *out = ctx, *e;

	if (json_object_get_type(o) != json_type_object || pmt_json_int64(o, "result", 0) >= 0)
		return;
	e = json_object_new_object();
	json_object_object_add(e, "seq", json_object_new_int64(pmt_json_int64(o, "seq", -1)));
	json_object_object_add(e, "line", json_object_new_int64(line));
	json_object_object_add(e, "action", json_object_new_string(pmt_json_str(o, "action")));
	json_object_object_add(e, "errno", json_object_new_int64(pmt_json_int64(o, "errno", 0)));
	json_object_object_add(e, "lost_pages", json_object_new_int64(pmt_json_int64(o, "lost", 0)));
	json_object_array_add(out, e);
}

struct json_object *pmt_flush_failures(const char *log)
{
	struct json_object *out = json_object_new_array();

	each_line(log, add_failure, out);
	return out;
}
