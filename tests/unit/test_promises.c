// SPDX-License-Identifier: MIT
/* Unit tests: which promises are still in force after a power cut. */
#include <check.h>
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

int main(void)
{
	Suite *s = suite_create("promises");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, progress_cancels_state_promises);
	tcase_add_test(tc, newer_promise_replaces_older);
	tcase_add_test(tc, garbage_is_ignored);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
