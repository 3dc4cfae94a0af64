// SPDX-License-Identifier: MIT
/*
 * Unit tests: the guest is untrusted (issue 8).  Text a guest chose must
 * not reach the terminal raw, nor make the reports unreadable; its
 * numbers are checked against what the host knows; the harness's own
 * inputs (plans, numbers, options) are parsed strictly.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_proto.h"
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

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, table_escapes_guest_text);
	tcase_add_test(tc, log_lines_escape_guest_text);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
