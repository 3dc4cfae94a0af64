// SPDX-License-Identifier: MIT
/*
 * Unit tests: QMP encoding and decoding, and the client against a scripted
 * peer on a socketpair (pure protocol logic; the real QEMU is exercised by
 * the integration tests).
 */
#include <check.h>

#include "pmt_check.h"
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qmp.h"
#include "util.h"

START_TEST(encode_escapes)
{
	struct json_object *args = json_object_new_object(), *o;
	char *line;

	json_object_object_add(args, "command-line", json_object_new_string("mce 0 \"x\"\n\\"));
	line = pmt_qmp_encode("human-monitor-command", args, 5);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_null(memchr(line, '\n', strlen(line) - 1));
	o = json_tokener_parse(line);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "execute")),
			 "human-monitor-command");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
				 json_object_object_get(o, "arguments"), "command-line")),
			 "mce 0 \"x\"\n\\");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "id")), 5);
	json_object_put(o);
	json_object_put(args);
	free(line);
}
END_TEST

START_TEST(classify)
{
	static const struct {
		const char *json;
		enum pmt_qmp_kind kind;
		long long id;
	} t[] = {
		{ "{\"QMP\":{\"version\":{}}}", PMT_QMP_GREETING, -1 },
		{ "{\"return\":{},\"id\":3}", PMT_QMP_RETURN, 3 },
		{ "{\"error\":{\"class\":\"GenericError\",\"desc\":\"x\"},\"id\":4}", PMT_QMP_ERROR, 4 },
		{ "{\"event\":\"SHUTDOWN\",\"data\":{}}", PMT_QMP_EVENT, -1 },
		{ "{\"event\":1}", PMT_QMP_INVALID, -1 },
		{ "{\"error\":\"x\"}", PMT_QMP_INVALID, -1 },
		{ "[]", PMT_QMP_INVALID, -1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct json_object *o = json_tokener_parse(t[i].json);
		long long id = -7;

		ck_assert_int_eq(pmt_qmp_classify(o, &id), t[i].kind);
		if (t[i].kind != PMT_QMP_INVALID)
			ck_assert_int_eq(id, t[i].id);
		json_object_put(o);
	}
	ck_assert_int_eq(pmt_qmp_classify(NULL, &(long long){ 0 }), PMT_QMP_INVALID);
}
END_TEST

/* The scripted peer: greeting, capabilities, an event before a reply, an error. */
static void fake_qemu(int fd)
{
	char buf[4096];
	static const char *const script[] = {
		"{\"return\":{},\"id\":1}\r\n",
		"{\"event\":\"MEMORY_FAILURE\",\"data\":{\"action\":\"ignore\"}}\r\n"
		"{\"return\":{\"qemu\":{\"major\":7,\"minor\":2,\"micro\":0}},\"id\":2}\r\n",
		"{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command nope has not been found\"},\"id\":3}\r\n",
	};
	FILE *in = fdopen(dup(fd), "r");

	dprintf(fd, "{\"QMP\":{\"version\":{},\"capabilities\":[]}}\r\n");
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		if (!fgets(buf, sizeof(buf), in))
			_exit(1);
		pmt_write_all(fd, script[i], strlen(script[i]));
	}
	/* Then the event a test waits for, and hang up. */
	dprintf(fd, "{\"event\":\"SHUTDOWN\",\"data\":{\"guest\":true}}\r\n");
	fclose(in);
	_exit(0);
}

START_TEST(client_against_peer)
{
	struct pmt_qmp q;
	struct json_object *ret = NULL, *ev = NULL;
	char err[256];
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fake_qemu(sv[1]);
	}
	close(sv[1]);
	ck_assert_int_eq(pmt_qmp_attach(&q, sv[0], -1, NULL, pmt_now_ms() + 5000, err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_qmp_execute(&q, "query-version", NULL, &ret, pmt_now_ms() + 5000,
					 err, sizeof(err)), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(
				 json_object_object_get(ret, "qemu"), "major")), 7);
	json_object_put(ret);
	/* The event that came before the reply was queued, not lost. */
	ck_assert_int_eq(json_object_array_length(q.events), 1);
	ck_assert_int_eq(pmt_qmp_execute(&q, "nope", NULL, NULL, pmt_now_ms() + 5000,
					 err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "has not been found"));
	ck_assert_int_eq(pmt_qmp_wait_event(&q, "MEMORY_FAILURE", NULL, pmt_now_ms() + 5000,
					    err, sizeof(err)), 0);
	ck_assert_msg(pmt_qmp_wait_event(&q, "SHUTDOWN", &ev, pmt_now_ms() + 5000,
					 err, sizeof(err)) == 0, "%s", err);
	ck_assert(json_object_get_boolean(json_object_object_get(
			  json_object_object_get(ev, "data"), "guest")));
	json_object_put(ev);
	/* The peer hung up: a wait ends with an error, not at its deadline. */
	ck_assert_int_eq(pmt_qmp_wait_event(&q, "RESET", NULL, pmt_now_ms() + 60000,
					    err, sizeof(err)), -1);
	pmt_qmp_close(&q);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(timeout_without_greeting)
{
	struct pmt_qmp q;
	char err[256];
	int sv[2];
	int64_t t0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t0 = pmt_now_ms();
	ck_assert_int_eq(pmt_qmp_attach(&q, sv[0], -1, NULL, pmt_now_ms() + 200, err, sizeof(err)), -1);
	ck_assert(pmt_now_ms() - t0 < 2000);
	ck_assert_ptr_nonnull(strstr(err, "timed out"));
	pmt_qmp_close(&q);
	close(sv[1]);
}
END_TEST

PMT_CHECK_MAIN("qmp", NULL, encode_escapes, classify, client_against_peer,
	       timeout_without_greeting);
