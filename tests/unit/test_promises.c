// SPDX-License-Identifier: MIT
/* Unit tests: which promises are still in force after a power cut. */
#include <check.h>

#include "pmt_check.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "promises.h"

static struct json_object *in_force(const char *events)
{
	struct json_object *ev = json_tokener_parse(events), *out;

	ck_assert_ptr_nonnull(ev);
	out = pmt_promises_in_force(ev);
	json_object_put(ev);
	return out;
}

static const char *kind_path(struct json_object *a, size_t i, char *buf, size_t len)
{
	struct json_object *p = json_object_array_get_idx(a, i);

	snprintf(buf, len, "%s:%s:%d", json_object_get_string(json_object_object_get(p, "kind")),
		 json_object_get_string(json_object_object_get(p, "path")),
		 json_object_get_int(json_object_object_get(p, "op")));
	return buf;
}

START_TEST(progress_cancels_state_promises)
{
	char b[64];
	struct json_object *a = in_force("["
		"{\"event\":\"progress\",\"op\":0,\"paths\":[\"a\"]},"
		"{\"event\":\"promise\",\"op\":0,\"kind\":\"file\",\"path\":\"a\",\"size\":1,\"hash\":\"x\"},"
		"{\"event\":\"promise\",\"op\":0,\"kind\":\"prefix\",\"path\":\"a\",\"size\":1,\"hash\":\"x\"},"
		"{\"event\":\"progress\",\"op\":1,\"paths\":[\"a\"]}]");

	/* The append in flight voids "a is exactly this", not "a starts with this". */
	ck_assert_int_eq(json_object_array_length(a), 1);
	ck_assert_str_eq(kind_path(a, 0, b, sizeof(b)), "prefix:a:0");
	json_object_put(a);
}
END_TEST

START_TEST(newer_promise_replaces_older)
{
	char b[64];
	struct json_object *a = in_force("["
		"{\"event\":\"promise\",\"op\":1,\"kind\":\"exists\",\"path\":\"f1\"},"
		"{\"event\":\"promise\",\"op\":1,\"kind\":\"exists\",\"path\":\"f2\"},"
		"{\"event\":\"promise\",\"op\":2,\"kind\":\"absent\",\"path\":\"f1\"},"
		"{\"event\":\"promise\",\"op\":2,\"kind\":\"rename\",\"path\":\"t\"},"
		"{\"event\":\"promise\",\"op\":3,\"kind\":\"rename\",\"path\":\"t\"},"
		"{\"event\":\"progress\",\"op\":4,\"paths\":[\"t\",\"zzz\"]}]");

	ck_assert_int_eq(json_object_array_length(a), 3);
	ck_assert_str_eq(kind_path(a, 0, b, sizeof(b)), "exists:f2:1");
	ck_assert_str_eq(kind_path(a, 1, b, sizeof(b)), "absent:f1:2");
	/* A rename promise outlives progress on its target: old or new, whole. */
	ck_assert_str_eq(kind_path(a, 2, b, sizeof(b)), "rename:t:3");
	json_object_put(a);
}
END_TEST

START_TEST(garbage_is_ignored)
{
	struct json_object *a = in_force("[{\"event\":\"progress\",\"op\":1,\"paths\":7},"
					 "{\"event\":\"other\"},{},"
					 "{\"event\":\"progress\",\"paths\":[null]}]");

	ck_assert_int_eq(json_object_array_length(a), 0);
	json_object_put(a);
	a = pmt_promises_in_force(NULL);
	ck_assert_int_eq(json_object_array_length(a), 0);
	json_object_put(a);
}
END_TEST

/* A stamped event stream: an overwrite of "a" in three ops, as a workload sends it. */
static const char *const overwrite_stream = "["
	"{\"event\":\"intent\",\"op\":0,\"kind\":\"file\",\"path\":\"a\",\"size\":1,\"hash\":\"h0\",\"sectors\":\"00000000\"},"
	"{\"event\":\"progress\",\"op\":0,\"paths\":[\"a\"],\"ack\":true,\"flushed\":3},"
	"{\"event\":\"promise\",\"op\":0,\"kind\":\"file\",\"path\":\"a\",\"size\":1,\"hash\":\"h0\",\"sectors\":\"00000000\",\"flushed\":5},"
	"{\"event\":\"intent\",\"op\":1,\"kind\":\"file\",\"path\":\"a\",\"size\":1,\"hash\":\"h1\",\"sectors\":\"11111111\"},"
	"{\"event\":\"progress\",\"op\":1,\"paths\":[\"a\"],\"ack\":true,\"flushed\":5},"
	"{\"event\":\"promise\",\"op\":1,\"kind\":\"file\",\"path\":\"a\",\"size\":1,\"hash\":\"h1\",\"sectors\":\"11111111\",\"flushed\":7},"
	"{\"event\":\"progress\",\"op\":2,\"paths\":[\"a\"],\"ack\":true,\"flushed\":8}]";

static struct json_object *at(const char *events, long long n, bool with_next, int *lapsed)
{
	struct json_object *ev = json_tokener_parse(events), *out;

	ck_assert_ptr_nonnull(ev);
	out = pmt_promises_at(ev, n, with_next, lapsed);
	json_object_put(ev);
	return out;
}

static const char *field(struct json_object *a, size_t i, const char *key)
{
	return json_object_get_string(json_object_object_get(json_object_array_get_idx(a, i), key));
}

static size_t allowed(struct json_object *a, size_t i)
{
	struct json_object *allow;

	if (!json_object_object_get_ex(json_object_array_get_idx(a, i), "allow", &allow))
		return 0;
	return json_object_array_length(allow);
}

/*
 * The promises in force on overwrite_stream at flush @n, with the pages of
 * the epoch after it when @with_next: there must be @count of them (-1:
 * not checked), the first with hash @hash (NULL: not checked), without the
 * stream's "event" tag, and with @allow changes allowed (-1: not checked).
 * Returns whether a promise lapsed.
 */
static int expect_at(long long n, bool with_next, int count, const char *hash, int allow)
{
	int lapsed = -1;
	struct json_object *a = at(overwrite_stream, n, with_next, &lapsed);

	if (count >= 0)
		ck_assert_int_eq(json_object_array_length(a), count);
	if (hash) {
		ck_assert_str_eq(field(a, 0, "hash"), hash);
		ck_assert_ptr_null(json_object_object_get(json_object_array_get_idx(a, 0), "event"));
	}
	if (allow >= 0)
		ck_assert_int_eq(allowed(a, 0), allow);
	json_object_put(a);
	return lapsed;
}

START_TEST(promise_in_force_from_its_stamp)
{
	/* Before flush 5 nothing was promised. */
	ck_assert_int_eq(expect_at(4, true, 0, NULL, -1), 0);
	/* At flush 5, exactly: op 0's promise, and op 1 (stamped 5) has not
	 * written anything durable yet, so no allowance. */
	expect_at(5, false, 1, "h0", 0);
}
END_TEST

START_TEST(change_in_flight_is_allowed)
{
	/* Flush 5 plus pages of epoch 6: op 1's writes may be there. */
	expect_at(5, true, 1, "h0", 1);
	/* Flush 6 exactly: op 1 stamped 5 < 6, still in flight. */
	expect_at(6, false, -1, NULL, 1);
	/* Flush 7: op 1's promise is made and nothing later shows. */
	expect_at(7, true, 1, "h1", 0);
}
END_TEST

START_TEST(opaque_change_lapses_only_where_it_shows)
{
	/* Op 2 (stamped 8) has no intent: at flush 8 + pages it may show. */
	ck_assert_int_eq(expect_at(8, true, 0, NULL, -1), 1);
	/* At flush 8 exactly it cannot: the promise is checked in full. */
	ck_assert_int_eq(expect_at(8, false, 1, NULL, -1), 0);
}
END_TEST

START_TEST(no_sectors_means_opaque)
{
	int lapsed = 0;
	struct json_object *a = at("["
		"{\"event\":\"promise\",\"op\":0,\"kind\":\"file\",\"path\":\"a\",\"size\":1,\"hash\":\"h0\",\"flushed\":1},"
		"{\"event\":\"intent\",\"op\":1,\"kind\":\"file\",\"path\":\"a\",\"size\":1,\"hash\":\"h1\",\"sectors\":\"11111111\"},"
		"{\"event\":\"progress\",\"op\":1,\"paths\":[\"a\"],\"flushed\":1}]", 1, true, &lapsed);

	ck_assert_int_eq(json_object_array_length(a), 0);
	ck_assert_int_eq(lapsed, 1);
	json_object_put(a);
}
END_TEST

START_TEST(rename_and_prefix_need_no_allowance)
{
	struct json_object *a = at("["
		"{\"event\":\"promise\",\"op\":0,\"kind\":\"prefix\",\"path\":\"a\",\"size\":1,\"hash\":\"h\",\"flushed\":1},"
		"{\"event\":\"promise\",\"op\":0,\"kind\":\"rename\",\"path\":\"t\",\"flushed\":1},"
		"{\"event\":\"progress\",\"op\":1,\"paths\":[\"a\",\"t\"],\"flushed\":1},"
		"{\"event\":\"promise\",\"op\":1,\"kind\":\"rename\",\"path\":\"t\",\"flushed\":4}]", 3, true, NULL);

	ck_assert_int_eq(json_object_array_length(a), 2);
	ck_assert_str_eq(field(a, 0, "kind"), "prefix");
	ck_assert_str_eq(field(a, 1, "kind"), "rename");
	ck_assert_int_eq(allowed(a, 0) + allowed(a, 1), 0);
	json_object_put(a);
}
END_TEST

START_TEST(unstamped_events_make_nothing)
{
	struct json_object *a = at("["
		"{\"event\":\"promise\",\"op\":0,\"kind\":\"exists\",\"path\":\"a\"}]", 100, true, NULL);

	ck_assert_int_eq(json_object_array_length(a), 0);
	json_object_put(a);
}
END_TEST

PMT_CHECK_MAIN("promises", NULL, progress_cancels_state_promises,
	       newer_promise_replaces_older, garbage_is_ignored,
	       promise_in_force_from_its_stamp, change_in_flight_is_allowed,
	       opaque_change_lapses_only_where_it_shows,
	       no_sectors_means_opaque, rename_and_prefix_need_no_allowance,
	       unstamped_events_make_nothing);
