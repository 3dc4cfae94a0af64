// SPDX-License-Identifier: MIT
/* Unit tests: the HTML report (grid, escaping, drill-down, trend) and merging shards. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "report_html.h"

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	return o;
}

static struct json_object *current(void)
{
	return parse(
		"{\"run_id\":\"r3\",\"properties\":{\"kernel\":\"6.1.0-28-amd64\",\"qemu\":\"7.2.15\","
		"\"accel\":\"tcg\",\"seed\":\"42\"},"
		"\"counts\":{\"PASS\":2,\"FAIL\":1,\"BROK\":1,\"SKIP\":0,\"XFAIL\":1},\"cases\":["
		"{\"id\":\"mapsync:virtio-pmem:ext4\",\"scenario\":\"mapsync\",\"device\":\"virtio-pmem\","
		"\"fs\":\"ext4\",\"verdict\":\"PASS\",\"reason\":\"MAP_SYNC refused\",\"duration_s\":4.6,"
		"\"boot_s\":1.2,\"dir\":\"cases/mapsync-virtio-pmem-ext4\",\"details\":{\"errno\":95},"
		"\"notes\":[{\"verdict\":\"PASS\",\"phase\":\"check\",\"text\":\"MAP_SYNC refused\"}]},"
		"{\"id\":\"mapsync:virtio-pmem:xfs\",\"scenario\":\"mapsync\",\"device\":\"virtio-pmem\","
		"\"fs\":\"xfs\",\"verdict\":\"FAIL\",\"reason\":\"got <script>alert('x')</script> & \\\"more\\\"\","
		"\"duration_s\":5,\"dir\":\"cases/mapsync-virtio-pmem-xfs\",\"baseline\":\"NEW-FAIL\","
		"\"details\":{\"reproduce\":\"pmtorture run --filter 'mapsync:virtio-pmem:xfs' --seed 42\","
		"\"dmesg\":\"</pre><b>\"},\"notes\":[]},"
		"{\"id\":\"mapsync:nvdimm:ext4\",\"scenario\":\"mapsync\",\"device\":\"nvdimm\","
		"\"fs\":\"ext4\",\"verdict\":\"BROK\",\"reason\":\"boot: QEMU exited\",\"dir\":\"cases/c\"},"
		"{\"id\":\"mapsync:nvdimm:xfs\",\"scenario\":\"mapsync\",\"device\":\"nvdimm\","
		"\"fs\":\"xfs\",\"verdict\":\"XFAIL\",\"reason\":\"expunged\",\"dir\":\"cases/d\"},"
		"{\"id\":\"powercut:virtio-pmem:ext4\",\"scenario\":\"powercut\",\"device\":\"virtio-pmem\","
		"\"fs\":\"ext4\",\"verdict\":\"PASS\",\"reason\":\"ok\",\"dir\":\"cases/e\"}]}");
}

/* The cell of the grid for a scenario row, by column index, as text. */
static char *row_of(const char *html, const char *scenario)
{
	char head[128];
	const char *p, *end;

	snprintf(head, sizeof(head), "<tr><th class=\"row\">%s</th>", scenario);
	p = strstr(html, head);
	ck_assert_ptr_nonnull(p);
	end = strstr(p, "</tr>");
	return strndup(p, (size_t)(end - p));
}

START_TEST(grid_cells)
{
	struct json_object *s = current();
	char *h = pmt_report_html(&s, 1), *row;

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "<!DOCTYPE html>"));
	/* Self-contained: nothing fetched. */
	ck_assert_ptr_null(strstr(h, "src="));
	ck_assert_ptr_null(strstr(h, "<link"));
	ck_assert_ptr_null(strstr(h, "http"));
	/* Title and run facts. */
	ck_assert_ptr_nonnull(strstr(h, "<title>pmtorture r3</title>"));
	ck_assert_ptr_nonnull(strstr(h, "kernel <b>6.1.0-28-amd64</b> &middot; QEMU <b>7.2.15</b> "
				       "&middot; accel <b>tcg</b> &middot; seed <b>42</b>"));
	/* Columns: device x fs. */
	ck_assert_ptr_nonnull(strstr(h, "<th colspan=\"2\">virtio-pmem</th><th colspan=\"2\">nvdimm</th>"));
	ck_assert_ptr_nonnull(strstr(h, "<tr><th>ext4</th><th>xfs</th><th>ext4</th><th>xfs</th></tr>"));

	row = row_of(h, "mapsync");
	ck_assert_ptr_nonnull(strstr(row, "<td class=\"cell v-PASS\"><a href=\"#c0\""));
	ck_assert_ptr_nonnull(strstr(row, "<td class=\"cell v-FAIL\"><a href=\"#c1\""));
	ck_assert_ptr_nonnull(strstr(row, ">FAIL<span class=\"bl bl-NEW-FAIL\">NEW-FAIL</span></a>"));
	ck_assert_ptr_nonnull(strstr(row, "<td class=\"cell v-BROK\"><a href=\"#c2\""));
	ck_assert_ptr_nonnull(strstr(row, "<td class=\"cell v-XFAIL\"><a href=\"#c3\""));
	free(row);
	/* A scenario without a case in a column gets an empty cell. */
	row = row_of(h, "powercut");
	ck_assert_ptr_nonnull(strstr(row, "<td class=\"cell v-PASS\"><a href=\"#c4\""));
	ck_assert_ptr_nonnull(strstr(row, "<td class=\"cell v-none\">&ndash;</td>"));
	free(row);
	/* The colours. */
	ck_assert_ptr_nonnull(strstr(h, ".v-PASS{background:#2e7d32"));
	ck_assert_ptr_nonnull(strstr(h, ".v-FAIL{background:#c62828"));
	ck_assert_ptr_nonnull(strstr(h, ".v-BROK{background:#d35400"));
	ck_assert_ptr_nonnull(strstr(h, ".v-SKIP{background:#9e9e9e"));
	ck_assert_ptr_nonnull(strstr(h, ".v-XFAIL{background:#6a1b9a"));

	/* Drill-down: files relative to the report, reproduce, details. */
	ck_assert_ptr_nonnull(strstr(h, "<details class=\"case\" id=\"c1\">"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"cases/mapsync-virtio-pmem-xfs/console.log\">console.log</a>"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"cases/mapsync-virtio-pmem-xfs/dmesg.txt\">"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"cases/mapsync-virtio-pmem-xfs/qmp.log\">"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"cases/mapsync-virtio-pmem-xfs/qemu-cmdline.txt\">"));
	ck_assert_ptr_nonnull(strstr(h, "<h4>reproduce</h4>\n<pre>pmtorture run --filter "
				       "&#39;mapsync:virtio-pmem:xfs&#39; --seed 42</pre>"));
	ck_assert_ptr_nonnull(strstr(h, "&quot;errno&quot;:95"));
	ck_assert_ptr_nonnull(strstr(h, "<li><span class=\"chip v-PASS\">PASS</span> check: MAP_SYNC refused</li>"));
	ck_assert_ptr_nonnull(strstr(h, "<dt>time</dt><dd>4.6 s (boot 1.2 s)</dd>"));
	/* Only the current run: no trend. */
	ck_assert_ptr_null(strstr(h, "<h2>Trend</h2>"));
	free(h);
	json_object_put(s);
}
END_TEST

START_TEST(escaping)
{
	struct json_object *s = current();
	char *h = pmt_report_html(&s, 1);
	const char *script;

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "got &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
				       "&quot;more&quot;"));
	/* The only script element is the report's own. */
	script = strstr(h, "<script>");
	ck_assert_ptr_nonnull(script);
	ck_assert_ptr_null(strstr(script + 1, "<script>"));
	ck_assert_ptr_null(strstr(h, "alert('x')"));
	ck_assert_ptr_null(strstr(h, "</pre><b>"));
	ck_assert_ptr_nonnull(strstr(h, "&lt;/pre&gt;&lt;b&gt;"));
	free(h);
	json_object_put(s);

	/* Hostile ids, verdicts and dirs: escaped text, encoded links, no class injection. */
	s = parse("{\"run_id\":\"<r>\",\"properties\":{\"kernel\":\"k\\\"'\"},\"cases\":["
		  "{\"id\":\"a\\\"><x>\",\"scenario\":\"<s>\",\"device\":\"d&\",\"fs\":\"f'\","
		  "\"verdict\":\"P\\\" onclick=\\\"x\",\"reason\":\"r\",\"dir\":\"cases/a b\\\"<\"}]}");
	h = pmt_report_html(&s, 1);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "<title>pmtorture &lt;r&gt;</title>"));
	ck_assert_ptr_nonnull(strstr(h, "kernel <b>k&quot;&#39;</b>"));
	ck_assert_ptr_nonnull(strstr(h, "<th class=\"row\">&lt;s&gt;</th>"));
	ck_assert_ptr_nonnull(strstr(h, "<td class=\"cell v-other\">"));
	ck_assert_ptr_nonnull(strstr(h, "href=\"cases/a%20b%22%3C/console.log\""));
	ck_assert_ptr_null(strstr(h, "<x>"));
	ck_assert_ptr_null(strstr(h, "\" onclick"));
	free(h);
	json_object_put(s);

	ck_assert_ptr_null(pmt_report_html(NULL, 0));
}
END_TEST

START_TEST(trend_columns)
{
	struct json_object *runs[3];
	char *h, *trend;

	runs[0] = current();
	runs[1] = parse("{\"run_id\":\"r2\",\"cases\":["
			"{\"id\":\"mapsync:virtio-pmem:xfs\",\"verdict\":\"PASS\"},"
			"{\"id\":\"old:case:x\",\"verdict\":\"SKIP\"}]}");
	runs[2] = parse("{\"run_id\":\"r1\",\"cases\":["
			"{\"id\":\"mapsync:virtio-pmem:xfs\",\"verdict\":\"BROK\"}]}");
	h = pmt_report_html(runs, 3);
	ck_assert_ptr_nonnull(h);
	trend = strstr(h, "<h2>Trend</h2>");
	ck_assert_ptr_nonnull(trend);
	/* One column per run, in the order given. */
	ck_assert_ptr_nonnull(strstr(trend, "<tr><th>case</th><th>r3<br>(this run)</th><th>r2</th>"
					    "<th>r1</th></tr>"));
	/* One row per case id of any run, sorted. */
	ck_assert_ptr_nonnull(strstr(trend, "<tr><th class=\"row\">mapsync:virtio-pmem:xfs</th>"
					    "<td class=\"v-FAIL\">FAIL</td><td class=\"v-PASS\">PASS</td>"
					    "<td class=\"v-BROK\">BROK</td></tr>"));
	ck_assert_ptr_nonnull(strstr(trend, "<tr><th class=\"row\">old:case:x</th>"
					    "<td class=\"v-none\">&ndash;</td><td class=\"v-SKIP\">SKIP</td>"
					    "<td class=\"v-none\">&ndash;</td></tr>"));
	ck_assert(strstr(trend, "mapsync:nvdimm:ext4") < strstr(trend, "mapsync:virtio-pmem:ext4"));
	ck_assert(strstr(trend, "mapsync:virtio-pmem:xfs") < strstr(trend, "old:case:x"));
	free(h);
	for (int i = 0; i < 3; i++)
		json_object_put(runs[i]);
}
END_TEST

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static int num(struct json_object *o, const char *key)
{
	return json_object_get_int(json_object_object_get(o, key));
}

START_TEST(merge_shards)
{
	struct json_object *s[2], *m, *cases, *props;
	char err[256];

	s[0] = parse("{\"run_id\":\"shard1\",\"properties\":{\"kernel\":\"6.1\",\"seed\":\"7\"},"
		     "\"counts\":{\"PASS\":9},\"cases\":["
		     "{\"id\":\"m:v:xfs\",\"verdict\":\"FAIL\",\"dir\":\"cases/x\"},"
		     "{\"id\":\"m:n:ext4\",\"verdict\":\"PASS\",\"dir\":\"cases/y\"}]}");
	s[1] = parse("{\"run_id\":\"shard2\",\"properties\":{\"kernel\":\"6.1\"},\"cases\":["
		     "{\"id\":\"m:v:ext4\",\"verdict\":\"PASS\"},"
		     "{\"id\":\"m:n:xfs\",\"verdict\":\"BROK\"}]}");
	m = pmt_merge_summaries(s, 2, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_str_eq(str(m, "run_id"), "shard1-merged");
	cases = json_object_object_get(m, "cases");
	ck_assert_uint_eq(json_object_array_length(cases), 4);
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 0), "id"), "m:n:ext4");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 1), "id"), "m:n:xfs");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 2), "id"), "m:v:ext4");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 3), "id"), "m:v:xfs");
	ck_assert_int_eq(num(json_object_object_get(m, "counts"), "PASS"), 2);
	ck_assert_int_eq(num(json_object_object_get(m, "counts"), "FAIL"), 1);
	ck_assert_int_eq(num(json_object_object_get(m, "counts"), "BROK"), 1);
	ck_assert_int_eq(num(json_object_object_get(m, "counts"), "XFAIL"), 0);
	props = json_object_object_get(m, "properties");
	ck_assert_str_eq(str(props, "seed"), "7");
	ck_assert_str_eq(str(props, "merged_from"), "shard1,shard2");
	/* Deep copies: the inputs are untouched. */
	ck_assert_ptr_null(json_object_object_get(json_object_object_get(s[0], "properties"), "merged_from"));
	pmt_summary_prefix_dirs(m, "../shard1");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 3), "dir"), "../shard1/cases/x");
	ck_assert_str_eq(str(json_object_array_get_idx(cases, 2), "dir"), "");
	json_object_put(m);

	/* The same case in two shards is an error. */
	json_object_array_add(json_object_object_get(s[1], "cases"),
			      parse("{\"id\":\"m:v:xfs\",\"verdict\":\"PASS\"}"));
	ck_assert_ptr_null(pmt_merge_summaries(s, 2, err, sizeof(err)));
	ck_assert_str_eq(err, "merge: case m:v:xfs is in both shard1 and shard2");
	json_object_put(s[1]);

	s[1] = parse("{\"run_id\":\"other\",\"properties\":{\"kernel\":\"6.6\"},\"cases\":[]}");
	ck_assert_ptr_null(pmt_merge_summaries(s, 2, err, sizeof(err)));
	ck_assert_str_eq(err, "merge: shard1 ran kernel 6.1 but other ran 6.6");
	json_object_put(s[1]);
	s[1] = parse("{\"run_id\":\"bad\"}");
	ck_assert_ptr_null(pmt_merge_summaries(s, 2, err, sizeof(err)));
	ck_assert_str_eq(err, "merge: summary 2 (bad) has no cases array");
	ck_assert_ptr_null(pmt_merge_summaries(s, 0, err, sizeof(err)));
	json_object_put(s[1]);
	json_object_put(s[0]);
}
END_TEST

START_TEST(summary_load)
{
	char dir[] = "/tmp/pmt-sum-XXXXXX", path[64], err[256];
	struct json_object *o;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	f = fopen(path, "w");
	fputs("{\"run_id\":\"x\",\"cases\":[]}", f);
	fclose(f);
	o = pmt_summary_load(dir, err, sizeof(err));
	ck_assert_msg(o != NULL, "%s", err);
	json_object_put(o);
	o = pmt_summary_load(path, err, sizeof(err));
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	f = fopen(path, "w");
	fputs("[1]", f);
	fclose(f);
	ck_assert_ptr_null(pmt_summary_load(dir, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a pmtorture summary"));
	unlink(path);
	rmdir(dir);
	ck_assert_ptr_null(pmt_summary_load(dir, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, ": no such results folder or file"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, grid_cells);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, trend_columns);
	tcase_add_test(tc, merge_shards);
	tcase_add_test(tc, summary_load);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
