// SPDX-License-Identifier: MIT
/* Unit tests: the agent protocol's encoding, decoding and line framing. */
#include <check.h>

#include "pmt_check.h"
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"

static int decode(const char *line, struct pmt_msg *m, char *err)
{
	return pmt_msg_decode(line, strlen(line), m, err, 256);
}

START_TEST(request_roundtrip)
{
	struct json_object *args = json_object_new_object();
	struct pmt_msg m;
	char err[256], *line;

	json_object_object_add(args, "dir", json_object_new_string("/mnt/\"quoted\"\n"));
	line = pmt_encode_request(42, "run", args);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
	ck_assert_ptr_null(memchr(line, '\n', strlen(line) - 1));	/* one line */
	ck_assert_int_eq(pmt_msg_decode(line, strlen(line) - 1, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.kind, PMT_MSG_REQUEST);
	ck_assert_int_eq(m.id, 42);
	ck_assert_str_eq(m.cmd, "run");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(m.args, "dir")),
			 "/mnt/\"quoted\"\n");
	pmt_msg_release(&m);
	free(line);
	json_object_put(args);
}
END_TEST

START_TEST(reply_and_event)
{
	struct pmt_msg m;
	char err[256], *line = pmt_encode_reply_err(7, "mount failed");

	ck_assert_int_eq(pmt_msg_decode(line, strlen(line) - 1, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.kind, PMT_MSG_REPLY);
	ck_assert(!m.ok);
	ck_assert_str_eq(m.error, "mount failed");
	pmt_msg_release(&m);
	free(line);

	line = pmt_encode_reply_ok(8, NULL);
	ck_assert_int_eq(pmt_msg_decode(line, strlen(line) - 1, &m, err, sizeof(err)), 0);
	ck_assert(m.ok);
	ck_assert(json_object_is_type(m.result, json_type_object));
	pmt_msg_release(&m);
	free(line);

	ck_assert_int_eq(decode("{\"event\":\"ready\",\"proto\":1}", &m, err), 0);
	ck_assert_int_eq(m.kind, PMT_MSG_EVENT);
	ck_assert_str_eq(m.event, "ready");
	pmt_msg_release(&m);
}
END_TEST

START_TEST(malformed_is_an_error)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2,3]",
		"42",
		"{\"id\":1,\"cmd\":\"ping\"} trailing",
		"{\"id\":\"1\",\"cmd\":\"ping\"}",
		"{\"id\":1,\"cmd\":7}",
		"{\"id\":1,\"cmd\":\"ping\",\"args\":[1]}",
		"{\"id\":1,\"ok\":false}",
		"{\"id\":1,\"ok\":\"yes\"}",
		"{\"ok\":true}",
		"{\"event\":5}",
		"{\"something\":\"else\"}",
		"{\"id\":1,\"cmd\":\"pi",
	};
	struct pmt_msg m;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(decode(bad[i], &m, err) == -1, "accepted: %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for: %s", bad[i]);
		ck_assert_ptr_null(m.root);
	}
	/* A NUL inside the line is refused even if the prefix is valid. */
	ck_assert_int_eq(pmt_msg_decode("{\"event\":\"x\"}\0{}", 16, &m, err, sizeof(err)), -1);
}
END_TEST

START_TEST(oversized_encode_refused)
{
	size_t n = PMT_MSG_MAX + 10;
	char *big = malloc(n + 1);
	char *line;

	memset(big, 'a', n);
	big[n] = '\0';
	line = pmt_encode_reply_err(1, big);
	ck_assert_ptr_null(line);
	free(big);
}
END_TEST

START_TEST(linebuf_splits_and_joins)
{
	struct pmt_linebuf lb;
	const char *line;
	size_t len;

	pmt_linebuf_init(&lb);
	ck_assert_int_eq(pmt_linebuf_feed(&lb, "{\"a\"", 4), 0);
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_NONE);
	ck_assert_int_eq(pmt_linebuf_feed(&lb, ":1}\n{\"b\":2}\n{\"c\"", 16), 0);
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_OK);
	ck_assert_str_eq(line, "{\"a\":1}");
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_OK);
	ck_assert_str_eq(line, "{\"b\":2}");
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_NONE);
	ck_assert_int_eq(pmt_linebuf_feed(&lb, ":3}\n", 4), 0);
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_OK);
	ck_assert_str_eq(line, "{\"c\":3}");
	pmt_linebuf_free(&lb);
}
END_TEST

START_TEST(linebuf_oversized_line_dropped_once)
{
	struct pmt_linebuf lb;
	const char *line;
	size_t len, chunk = 4096, sent = 0;
	char *junk = malloc(chunk);

	memset(junk, 'x', chunk);
	pmt_linebuf_init(&lb);
	/* 3 * PMT_MSG_MAX bytes without a newline, fed in small reads. */
	while (sent < 3 * (size_t)PMT_MSG_MAX) {
		ck_assert_int_eq(pmt_linebuf_feed(&lb, junk, chunk), 0);
		sent += chunk;
		ck_assert(lb.len <= (size_t)PMT_MSG_MAX + chunk);	/* memory stays bounded */
	}
	ck_assert_int_eq(pmt_linebuf_feed(&lb, "tail\n{\"ok\":1}\n", 14), 0);
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_TOO_LONG);
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_OK);
	ck_assert_str_eq(line, "{\"ok\":1}");
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_NONE);
	pmt_linebuf_free(&lb);
	free(junk);
}
END_TEST

START_TEST(linebuf_oversized_complete_line)
{
	struct pmt_linebuf lb;
	const char *line;
	size_t len, n = PMT_MSG_MAX + 100;
	char *big = malloc(n + 20);

	memset(big, 'y', n);
	memcpy(big + n, "\n{}\n", 4);
	pmt_linebuf_init(&lb);
	ck_assert_int_eq(pmt_linebuf_feed(&lb, big, n + 4), 0);
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_TOO_LONG);
	ck_assert_int_eq(pmt_linebuf_next(&lb, &line, &len), PMT_LINE_OK);
	ck_assert_str_eq(line, "{}");
	pmt_linebuf_free(&lb);
	free(big);
}
END_TEST

PMT_CHECK_MAIN("agent_proto", NULL, request_roundtrip, reply_and_event,
	       malformed_is_an_error, oversized_encode_refused,
	       linebuf_splits_and_joins, linebuf_oversized_line_dropped_once,
	       linebuf_oversized_complete_line);
