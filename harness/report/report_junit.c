// SPDX-License-Identifier: MIT
/*
 * JUnit XML as Jenkins and GitLab read it: FAIL is a <failure> (the kernel
 * broke a promise), BROK an <error> (the framework could not check), SKIP
 * and XFAIL are <skipped> with the reason, and so is each case that an
 * interrupted run did not finish ("not run: interrupted by SIGTERM").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_proto.h"
#include "json_util.h"
#include "report.h"
#include "text.h"

static int count(struct json_object *summary, const char *verdict)
{
	struct json_object *counts, *v;

	if (!json_object_object_get_ex(summary, "counts", &counts) ||
	    !json_object_object_get_ex(counts, verdict, &v))
		return 0;
	return json_object_get_int(v);
}

/* The counts both the <testsuites> and the <testsuite> carry. */
static void suite_counts(FILE *f, struct json_object *summary, size_t tests, size_t not_run,
			 double total)
{
	fprintf(f, " tests=\"%zu\" failures=\"%d\" errors=\"%d\" skipped=\"%zu\" time=\"%.3f\">\n",
		tests, count(summary, "FAIL"), count(summary, "BROK"),
		count(summary, "SKIP") + count(summary, "XFAIL") + not_run, total);
}

static void suite_properties(FILE *f, struct json_object *props)
{
	if (!json_object_is_type(props, json_type_object))
		return;
	fputs("    <properties>\n", f);
	json_object_object_foreach(props, key, val) {
		fputs("      <property name=\"", f);
		pmt_xml_escape(f, key);
		fputs("\" value=\"", f);
		pmt_xml_escape(f, json_object_get_string(val));
		fputs("\"/>\n", f);
	}
	fputs("    </properties>\n", f);
}

/* <testcase ...> for case @c, finished or not, and its line end. */
static void testcase_open(FILE *f, struct json_object *c, double seconds)
{
	fputs("    <testcase classname=\"pmtorture.", f);
	pmt_xml_escape(f, pmt_json_str(c, "scenario"));
	fputs("\" name=\"", f);
	pmt_xml_escape(f, pmt_json_str(c, "id"));
	fprintf(f, "\" time=\"%.3f\">\n", seconds);
}

/* The verdict as JUnit has it: <failure>, <error>, <skipped>, or nothing for a pass. */
static void testcase_verdict(FILE *f, const char *verdict, const char *reason)
{
	if (!strcmp(verdict, "FAIL") || !strcmp(verdict, "BROK")) {
		const char *tag = verdict[0] == 'F' ? "failure" : "error";

		fprintf(f, "      <%s type=\"%s\" message=\"", tag, verdict);
		pmt_xml_escape(f, reason);
		fprintf(f, "\">");
		pmt_xml_escape(f, reason);
		fprintf(f, "</%s>\n", tag);
	} else if (!strcmp(verdict, "SKIP") || !strcmp(verdict, "XFAIL")) {
		fprintf(f, "      <skipped message=\"%s: ", verdict);
		pmt_xml_escape(f, reason);
		fputs("\"/>\n", f);
	}
}

/* "\nLABEL: value" in <system-out>, for a member the case has. */
static void out_line(FILE *f, struct json_object *c, const char *label, const char *key)
{
	if (!*pmt_json_str(c, key))
		return;
	fprintf(f, "\n%s: ", label);
	pmt_xml_escape(f, pmt_json_str(c, key));
}

/* The <testcase> of one finished case. */
static void finished_case(FILE *f, struct json_object *c)
{
	const char *verdict = pmt_json_str(c, "verdict"), *reason = pmt_json_str(c, "reason");

	testcase_open(f, c, pmt_json_double(c, "duration_s"));
	/* Issue 9: the kernel, as a testcase property (pytest's record_property
	 * form, which Jenkins and GitLab read), so a matrix can be split by it. */
	if (*pmt_json_str(c, "kernel")) {
		fputs("      <properties>\n        <property name=\"kernel\" value=\"", f);
		pmt_xml_escape(f, pmt_json_str(c, "kernel"));
		fputs("\"/>\n      </properties>\n", f);
	}
	testcase_verdict(f, verdict, reason);
	fputs("      <system-out>", f);
	pmt_xml_escape(f, verdict);
	fputs(": ", f);
	pmt_xml_escape(f, reason);
	out_line(f, c, "kernel", "kernel");
	out_line(f, c, "baseline", "baseline");
	fputs("\nresults: ", f);
	pmt_xml_escape(f, pmt_json_str(c, "dir"));
	fputs("</system-out>\n    </testcase>\n", f);
}

/* An interrupted run's unfinished case: a test, <skipped> with why. */
static void unfinished_case(FILE *f, struct json_object *c)
{
	testcase_open(f, c, 0);
	fputs("      <skipped message=\"", f);
	pmt_xml_escape(f, pmt_json_str(c, "reason"));
	fputs("\"/>\n    </testcase>\n", f);
}

char *pmt_report_junit(struct json_object *summary)
{
	struct json_object *cases = NULL, *props = NULL, *not_run = NULL;
	char *buf = NULL;
	size_t len = 0, n, nr;
	double total = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	json_object_object_get_ex(summary, "cases", &cases);
	json_object_object_get_ex(summary, "properties", &props);
	n = cases ? json_object_array_length(cases) : 0;
	for (size_t i = 0; i < n; i++)
		total += pmt_json_double(json_object_array_get_idx(cases, i), "duration_s");

	/* An interrupted run's unfinished cases count as tests, each <skipped>. */
	json_object_object_get_ex(summary, "not_run", &not_run);
	nr = json_object_is_type(not_run, json_type_array) ? json_object_array_length(not_run) : 0;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pmtorture\"", f);
	suite_counts(f, summary, n + nr, nr, total);
	fputs("  <testsuite name=\"", f);
	pmt_xml_escape(f, pmt_json_str(summary, "run_id"));
	fputs("\"", f);
	suite_counts(f, summary, n + nr, nr, total);
	suite_properties(f, props);
	for (size_t i = 0; i < n; i++)
		finished_case(f, json_object_array_get_idx(cases, i));
	for (size_t i = 0; i < nr; i++)
		unfinished_case(f, json_object_array_get_idx(not_run, i));
	fputs("  </testsuite>\n</testsuites>\n", f);
	fclose(f);
	return buf;
}
