// SPDX-License-Identifier: MIT
/*
 * Unit tests: the guest is untrusted (issue 8).  Text a guest chose must
 * not reach the terminal raw, nor make the reports unreadable; its
 * numbers are checked against what the host knows; the harness's own
 * inputs (plans, numbers, options) are parsed strictly.
 */
#include <check.h>

#include "pmt_check.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "agent_client.h"
#include "baseline.h"
#include "agent_proto.h"
#include "case.h"
#include "chan.h"
#include "console.h"
#include "options.h"
#include "mce.h"
#include "proc.h"
#include "transcript.h"
#include "util.h"
#include "log.h"
#include "report.h"
#include "text.h"

/* The guest's reason: clear the screen, set the title, fake a count line. */
#define EVIL_REASON "\033[2J\033]0;pwned\007\nPASS 40, FAIL 0\r\x9b" "31m\xc2\x9b" "0m"

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f || *p == 0x9b)
			return true;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
			return true;
	}
	return false;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Read back what went to a FILE*. */
static char *slurp(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	buf = calloc(1, (size_t)n + 1);
	rewind(f);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	return buf;
}

static struct json_object *evil_summary(void)
{
	struct json_object *s = json_tokener_parse(
		"{\"run_id\":\"r1\",\"properties\":{},"
		"\"counts\":{\"PASS\":0,\"FAIL\":0,\"BROK\":1,\"SKIP\":0,\"XFAIL\":0},"
		"\"cases\":[{\"id\":\"mapsync:virtio-pmem:ext4\",\"scenario\":\"mapsync\","
		"\"verdict\":\"BROK\",\"duration_s\":1,\"dir\":\"cases/a\"}]}");
	struct json_object *c = json_object_array_get_idx(json_object_object_get(s, "cases"), 0);

	json_object_object_add(c, "reason", json_object_new_string(EVIL_REASON));
	return s;
}

/* Defect 1: the table shows guest text escaped, one line per case. */
START_TEST(table_escapes_guest_text)
{
	struct json_object *s = evil_summary();
	FILE *f = tmpfile();
	char *out;

	pmt_report_table(f, s);
	out = slurp(f);
	ck_assert_msg(!has_control(out), "raw control characters in the table: %s", out);
	/* blank, header, the case, blank, counts */
	ck_assert_int_eq(count_lines(out), 5);
	ck_assert_ptr_nonnull(strstr(out, "\\e[2J\\e]0;pwned\\x07\\nPASS 40, FAIL 0\\r"));
	free(out);
	fclose(f);
	json_object_put(s);
}
END_TEST

/* Defect 1: log lines (the progress line's end of case) are escaped too. */
START_TEST(log_lines_escape_guest_text)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out;

	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	pmt_info("[1/1] case BROK: %s", EVIL_REASON);
	pmt_err("agent said %s", "\033[31mred");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	out = slurp(f);
	ck_assert_msg(!has_control(out), "raw control characters in the log: %s", out);
	ck_assert_int_eq(count_lines(out), 2);
	free(out);
	fclose(f);
}
END_TEST

/* Valid UTF-8 with no NUL, and nothing XML 1.0 forbids (U+FFFE, U+FFFF). */
static bool xml_text_ok(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t n = pmt_utf8_char_len(s + i, len - i);

		if (!n)
			return false;
		if (n == 3 && !memcmp(s + i, "\xef\xbf", 2) && ((unsigned char)s[i + 2] & 0xfe) == 0xbe)
			return false;
		i += n;
	}
	return true;
}

static bool utf8_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = pmt_utf8_char_len(s + i, len - i);

		if (!n || !s[i])
			return false;
		i += n;
	}
	return true;
}

/* Defect 2: junit.xml stays well-formed whatever bytes the reason holds. */
START_TEST(junit_drops_what_xml_forbids)
{
	struct json_object *s = evil_summary();
	struct json_object *c = json_object_array_get_idx(json_object_object_get(s, "cases"), 0);
	char *x;

	json_object_object_add(c, "reason", json_object_new_string(
		"nonchar \xef\xbf\xbe \xef\xbf\xbf raw \xff\xfe cut \xc3 surrogate \xed\xa0\x80 ok \xc3\xa9"));
	x = pmt_report_junit(s);
	ck_assert_msg(xml_text_ok(x), "junit.xml is not valid XML text: %s", x);
	ck_assert_ptr_nonnull(strstr(x, "ok \xc3\xa9"));
	free(x);
	json_object_put(s);
}
END_TEST

/* Defect 2: the decoder hands out valid UTF-8 only, whatever the guest sent. */
START_TEST(decoder_sanitizes_guest_strings)
{
	static const char *const lines[] = {
		"{\"event\":\"log\",\"text\":\"a\xff\xfe b\"}",
		"{\"event\":\"log\",\"text\":\"lone \\ud800 surrogate\"}",
		"{\"event\":\"log\",\"text\":\"nul \\u0000 inside\"}",
		"{\"id\":1,\"ok\":false,\"error\":\"\xc0\xaf overlong\"}",
		"{\"id\":1,\"ok\":true,\"result\":{\"k\xff\":[\"\xf8\x88\x80\x80\x80\"]}}",
	};
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		struct pmt_msg m;
		const char *js;

		ck_assert_int_eq(pmt_msg_decode(lines[i], strlen(lines[i]), &m, err, sizeof(err)), 0);
		js = json_object_to_json_string_ext(m.root, JSON_C_TO_STRING_PLAIN);
		ck_assert_msg(utf8_ok(js, strlen(js)), "line %zu decoded to invalid UTF-8: %s", i, js);
		json_object_object_foreach(m.root, key, val) {
			ck_assert_msg(utf8_ok(key, strlen(key)), "line %zu: key", i);
			if (json_object_is_type(val, json_type_string))
				ck_assert_msg(utf8_ok(json_object_get_string(val),
						      (size_t)json_object_get_string_len(val)),
					      "line %zu: member %s holds invalid UTF-8 or a NUL", i, key);
		}
		pmt_msg_release(&m);
	}
}
END_TEST

/* Defect 2: a guest error cut into a 512-byte buffer stays valid UTF-8. */
START_TEST(cut_guest_error_on_char_boundary)
{
	struct pmt_agent a;
	char line[4096], err[512];
	struct pmt_case c = { 0 };
	int sv[2];
	size_t off;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	off = (size_t)snprintf(line, sizeof(line), "{\"id\":1,\"ok\":false,\"error\":\"");
	for (int i = 0; i < 600; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "\xc3\xa9");	/* é */
	off += (size_t)snprintf(line + off, sizeof(line) - off, "\"}\n");
	ck_assert_int_eq(pmt_write_all(sv[1], line, off), 0);
	pmt_agent_init(&a, sv[0], -1, NULL);
	ck_assert_int_eq(pmt_agent_call(&a, "ping", NULL, NULL, pmt_now_ms() + 5000, err,
					sizeof(err)), PMT_AGENT_GUEST_ERROR);
	ck_assert_msg(utf8_ok(err, strlen(err)), "the cut error is not valid UTF-8");
	ck_assert_uint_gt(strlen(err), 500);

	/* ...and so does a verdict reason cut into the case's buffer. */
	c.notes = json_object_new_array();
	pmt_case_verdict(&c, PMT_BROK, "run: agent ping: %s%s%s", err, err, err);
	ck_assert_msg(utf8_ok(c.reason, strlen(c.reason)), "the cut reason is not valid UTF-8");
	pmt_case_verdict(&c, PMT_BROK, "raw \xff from the console");
	ck_assert_msg(utf8_ok(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(c.notes, 1), "text")), 20), "a note is not valid UTF-8");
	json_object_put(c.notes);
	pmt_agent_close(&a);
	close(sv[1]);
}
END_TEST

/* Defect 3: the guest's page address is a number the host checks, never HMP text. */
START_TEST(mce_address_checked_by_the_host)
{
	struct json_object *md = json_tokener_parse(
		"[{\"type\":\"dimm\",\"data\":{\"addr\":0}},"
		"{\"type\":\"virtio-pmem\",\"data\":{\"memaddr\":4294967296,\"size\":536870912}}]");
	static const char *const bad[] = {
		"0x100001000 0xdead 0xbeef 0x1", "0x", "", "100001000", "0x100001000;quit",
		"0x1ffffffffffffffff", "0x-1", " 0x1000", "0x1000\n",
	};
	uint64_t gpa, start, size;
	char cmd[160];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(pmt_mce_parse_gpa(bad[i], &gpa) == -1, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(pmt_mce_parse_gpa("0x100001000", &gpa), 0);
	ck_assert_uint_eq(gpa, 0x100001000ULL);
	ck_assert_int_eq(pmt_mce_region(md, 0, &start, &size), 0);
	ck_assert_uint_eq(start, 0x100000000ULL);
	ck_assert_uint_eq(size, 512ULL << 20);
	ck_assert_int_eq(pmt_mce_region(md, 1, &start, &size), -1);
	ck_assert_int_eq(pmt_mce_check_gpa(0x100001000ULL, start, size), 0);
	ck_assert_int_eq(pmt_mce_check_gpa(0x100001001ULL, start, size), -1);
	ck_assert_int_eq(pmt_mce_check_gpa(0x1000, start, size), -1);
	ck_assert_int_eq(pmt_mce_check_gpa(start + size, start, size), -1);
	ck_assert_int_eq(pmt_mce_check_gpa(start + size - 4096, start, size), 0);
	ck_assert_int_eq(pmt_mce_check_gpa(UINT64_MAX & ~4095ULL, 4096, 4096), -1);
	ck_assert_int_eq(pmt_mce_command(cmd, sizeof(cmd), true, 0x100001000ULL), 0);
	ck_assert_str_eq(cmd, "mce 0 1 0xbd80000000000134 0x7 0x100001000 0x8c");
	ck_assert_int_eq(pmt_mce_command(cmd, 10, false, 0x100001000ULL), -1);
	json_object_put(md);
	md = json_tokener_parse("[{\"type\":\"nvdimm\",\"data\":{\"addr\":\"x\",\"size\":1}}]");
	ck_assert_int_eq(pmt_mce_region(md, 0, &start, &size), -1);
	json_object_put(md);
}
END_TEST

/* Defect 4: a guest flooding log events is cut off, its transcript bounded. */
START_TEST(agent_flood_is_bounded_and_named)
{
	char line[4200], err[512], path[] = "/tmp/pmt-flood-XXXXXX";
	struct pmt_agent a;
	struct stat st;
	int sv[2], fd, n;
	int64_t t0;
	FILE *log;
	pid_t pid;
	char *text;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	log = fdopen(fd, "w");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	n = snprintf(line, sizeof(line), "{\"event\":\"log\",\"text\":\"flood %4000s\"}\n", "x");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		/* Up to 400 MiB, or until the harness stops reading. */
		for (int i = 0; i < 100000; i++)
			if (pmt_write_all(sv[1], line, (size_t)n))
				_exit(0);
		_exit(0);
	}
	close(sv[1]);
	pmt_agent_init(&a, sv[0], -1, log);
	t0 = pmt_now_ms();
	ck_assert_int_eq(pmt_agent_call(&a, "devices", NULL, NULL, pmt_now_ms() + 20000, err,
					sizeof(err)), PMT_AGENT_TRANSPORT);
	ck_assert_msg(strstr(err, "flood"), "the error does not name the flood: %s", err);
	ck_assert_int_lt(pmt_now_ms() - t0, 15000);
	/* Later calls fail at once. */
	t0 = pmt_now_ms();
	ck_assert_int_eq(pmt_agent_call(&a, "ping", NULL, NULL, pmt_now_ms() + 5000, err,
					sizeof(err)), PMT_AGENT_TRANSPORT);
	ck_assert_int_lt(pmt_now_ms() - t0, 1000);
	pmt_agent_close(&a);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fflush(log);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg(st.st_size < 2 * 1024 * 1024, "agent.log grew to %lld bytes",
		      (long long)st.st_size);
	text = pmt_read_file(path, 4 << 20, NULL);
	ck_assert_ptr_nonnull(strstr(text, "transcript cut"));
	free(text);
	fclose(log);
	unlink(path);
}
END_TEST

/* Defect 4: the console (QEMU writes it) and dmesg are cut with a marker too. */
START_TEST(console_and_dmesg_bounded)
{
	char dir[] = "/tmp/pmt-bound-XXXXXX", path[PATH_MAX];
	size_t big = 3 * 1024 * 1024;
	char *junk = malloc(big), *text;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(junk, 'c', big);
	snprintf(path, sizeof(path), "%s/console.log", dir);
	ck_assert_int_eq(pmt_write_file_atomic(path, junk, big), 0);
	ck_assert_int_eq(pmt_transcript_bound(path), (long long)big);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_lt(st.st_size, 1024 * 1024 + 200);
	text = pmt_read_file(path, 4 << 20, NULL);
	ck_assert_ptr_nonnull(strstr(text, "transcript cut"));
	free(text);
	snprintf(path, sizeof(path), "%s/dmesg.txt", dir);
	ck_assert_int_eq(pmt_transcript_write(path, junk, big), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_lt(st.st_size, 1024 * 1024 + 200);
	free(junk);
	pmt_rm_rf(dir);
}
END_TEST

/*
 * The console is bounded while the guest runs, not when the case is over:
 * a stand-in QEMU writes 3 MiB into the console pipe and waits; console.log
 * is at the cap already.  Then it floods: the copier kills it at the hard
 * limit and says so in qemu.log.
 */
START_TEST(console_bounded_while_the_guest_runs)
{
	char dir[] = "/tmp/pmt-console-XXXXXX", console[PATH_MAX], qemu_log[PATH_MAX];
	static char chunk[65536];
	struct pmt_console con;
	int go[2], ready[2], status, pidfd;
	struct stat st;
	char byte = 0, *text;
	pid_t pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(console, sizeof(console), "%s/console.log", dir);
	snprintf(qemu_log, sizeof(qemu_log), "%s/qemu.log", dir);
	ck_assert_int_eq(pmt_console_pipe(&con), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	memset(chunk, 'c', sizeof(chunk));
	pid = fork();
	if (pid == 0) {
		close(con.rfd);
		for (int i = 0; i < 48; i++)		/* 3 MiB: chatty */
			pmt_write_all(con.qfd, chunk, sizeof(chunk));
		pmt_write_all(ready[1], "r", 1);
		if (read(go[0], &byte, 1) != 1)
			_exit(1);
		for (int i = 0; i < 4096; i++)		/* up to 256 MiB: a flood */
			if (pmt_write_all(con.qfd, chunk, sizeof(chunk)))
				_exit(2);
		_exit(0);
	}
	pidfd = pmt_pidfd_open(pid);
	ck_assert_int_eq(pmt_console_start(&con, console, qemu_log, pidfd), 0);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	usleep(300 * 1000);	/* the copier has read the pipe empty */
	ck_assert_int_eq(stat(console, &st), 0);
	ck_assert_msg(st.st_size <= PMT_TRANSCRIPT_MAX, "console.log is %lld bytes while the "
		      "guest runs", (long long)st.st_size);
	text = pmt_read_file(console, 4 << 20, NULL);
	ck_assert_ptr_nonnull(strstr(text, "transcript cut"));
	free(text);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);	/* chatty is not a flood */

	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "the flooding stand-in was not killed (status %#x)", status);
	pmt_console_finish(&con, pmt_now_ms() + 5000);
	ck_assert(con.flooded);
	ck_assert_int_eq(stat(console, &st), 0);
	ck_assert_int_le(st.st_size, PMT_TRANSCRIPT_MAX);
	text = pmt_read_file(console, 4 << 20, NULL);
	ck_assert_ptr_nonnull(strstr(text, "bytes in all"));
	free(text);
	text = pmt_read_file(qemu_log, 4096, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, PMT_CONSOLE_FLOOD_LINE));
	free(text);
	pmt_console_finish(&con, pmt_now_ms());	/* again: nothing to do */
	close(pidfd);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	pmt_rm_rf(dir);
}
END_TEST

/* Defect 13: a baseline or summary of the wrong shape is read, not an abort. */
START_TEST(baseline_wrong_types)
{
	static const char *const prev[] = {
		"{\"run_id\":\"p\",\"cases\":[1,\"x\",null,[],{\"id\":\"a\",\"verdict\":\"FAIL\"}]}",
		"{\"run_id\":\"p\",\"cases\":{\"id\":\"a\"}}",
		"{\"run_id\":\"p\",\"cases\":7}",
		"[1,2]",
	};
	static const char *const now[] = {
		"{\"run_id\":\"n\",\"cases\":[1,\"x\",null,{\"id\":\"a\",\"verdict\":\"FAIL\"}]}",
		"{\"run_id\":\"n\",\"cases\":\"nope\"}",
		"{\"run_id\":\"n\",\"cases\":[{\"id\":\"a\",\"verdict\":\"FAIL\"}]}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(prev); i++) {
		for (size_t k = 0; k < ARRAY_SIZE(now); k++) {
			struct json_object *p = json_tokener_parse(prev[i]);
			struct json_object *s = json_tokener_parse(now[k]);

			if (json_object_is_type(s, json_type_object)) {
				pmt_baseline_apply(s, p);
				pmt_baseline_exit_status(s);
			}
			json_object_put(p);
			json_object_put(s);
		}
	}
}
END_TEST

static int parse(int argc, const char *const *argv)
{
	struct pmt_options o;
	char err[512];

	pmt_options_defaults(&o);
	return pmt_options_parse(argc, (char **)argv, &o, err, sizeof(err));
}

/* Defect 9: --results "" would write into /. */
START_TEST(empty_results_refused)
{
	static const char *const a[] = { "pmtorture", "run", "--results", "", NULL };

	ck_assert_int_eq(parse(4, a), -1);
}
END_TEST

/* Defect 12: numbers are parsed strictly: no leading space or sign. */
START_TEST(seed_strict)
{
	static const char *const bad[] = { " -1", " 1", "+1", "\t-2", "1 ", "0x" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *a[] = { "pmtorture", "run", "--seed", bad[i], NULL };

		ck_assert_msg(parse(4, a) == -1, "--seed \"%s\" accepted", bad[i]);
	}
	{
		const char *a[] = { "pmtorture", "run", "--seed", "18446744073709551615", NULL };

		ck_assert_int_eq(parse(4, a), 0);
	}
}
END_TEST

/* Defect 11: a missing --replay file is a usage error, not a BROK run. */
START_TEST(missing_replay_is_usage)
{
	static const char *const a[] = { "pmtorture", "run", "--scenario", "replay", "--fs", "ext4",
					 "--replay", "/nonexistent/state.img", NULL };
	static const char *const d[] = { "pmtorture", "run", "--scenario", "replay", "--fs", "ext4",
					 "--replay", "/tmp", NULL };

	ck_assert_int_eq(parse(8, a), -1);
	ck_assert_int_eq(parse(8, d), -1);
}
END_TEST

static const struct pmt_check_opts opts = {
	.timeout = 60,
};

PMT_CHECK_MAIN("hostile", &opts, table_escapes_guest_text,
	       log_lines_escape_guest_text, junit_drops_what_xml_forbids,
	       decoder_sanitizes_guest_strings,
	       cut_guest_error_on_char_boundary,
	       mce_address_checked_by_the_host,
	       agent_flood_is_bounded_and_named, console_and_dmesg_bounded,
	       console_bounded_while_the_guest_runs, baseline_wrong_types,
	       empty_results_refused, seed_strict, missing_replay_is_usage);
