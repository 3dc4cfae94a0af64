// SPDX-License-Identifier: MIT
/* Unit tests: the HTML report (grid, escaping, drill-down, timeline, trend) and merging shards. */
#include <check.h>

#include "pmt_check.h"
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
	ASSERT_LACKS(h, "src=", "<link", "http");
	/* Title and run facts. */
	ASSERT_HAS(h,
		   "<title>pmtorture r3</title>",
		   "kernel <b>6.1.0-28-amd64</b> &middot; QEMU <b>7.2.15</b> "
		   "&middot; accel <b>tcg</b> &middot; seed <b>42</b>",
		   /* Columns: device x fs. */
		   "<th colspan=\"2\">virtio-pmem</th><th colspan=\"2\">nvdimm</th>",
		   "<tr><th>ext4</th><th>xfs</th><th>ext4</th><th>xfs</th></tr>");

	row = row_of(h, "mapsync");
	ASSERT_HAS(row,
		   "<td class=\"cell v-PASS\"><a href=\"#c0\"",
		   "<td class=\"cell v-FAIL\"><a href=\"#c1\"",
		   ">FAIL<span class=\"bl bl-NEW-FAIL\">NEW-FAIL</span></a>",
		   "<td class=\"cell v-BROK\"><a href=\"#c2\"",
		   "<td class=\"cell v-XFAIL\"><a href=\"#c3\"");
	free(row);
	/* A scenario without a case in a column gets an empty cell. */
	row = row_of(h, "powercut");
	ASSERT_HAS(row,
		   "<td class=\"cell v-PASS\"><a href=\"#c4\"",
		   "<td class=\"cell v-none\">&ndash;</td>");
	free(row);
	/* The colours. */
	ASSERT_HAS(h,
		   ".v-PASS{background:#2e7d32",
		   ".v-FAIL{background:#c62828",
		   ".v-BROK{background:#d35400",
		   ".v-SKIP{background:#9e9e9e",
		   ".v-XFAIL{background:#6a1b9a");

	/* Drill-down: files relative to the report, reproduce, details. */
	ASSERT_HAS(h,
		   "<details class=\"case\" id=\"c1\">",
		   "<a href=\"cases/mapsync-virtio-pmem-xfs/console.log\">console.log</a>",
		   "<a href=\"cases/mapsync-virtio-pmem-xfs/dmesg.txt\">",
		   "<a href=\"cases/mapsync-virtio-pmem-xfs/qmp.log\">",
		   "<a href=\"cases/mapsync-virtio-pmem-xfs/qemu-cmdline.txt\">",
		   "<h4>reproduce</h4>\n<pre>pmtorture run --filter "
		   "&#39;mapsync:virtio-pmem:xfs&#39; --seed 42</pre>",
		   "&quot;errno&quot;:95",
		   "<li><span class=\"chip v-PASS\">PASS</span> check: MAP_SYNC refused</li>",
		   "<dt>time</dt><dd>4.6 s (boot 1.2 s)</dd>");
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
	ASSERT_LACKS(h, "alert('x')", "</pre><b>");
	ck_assert_ptr_nonnull(strstr(h, "&lt;/pre&gt;&lt;b&gt;"));
	free(h);
	json_object_put(s);

	/* Hostile ids, verdicts and dirs: escaped text, encoded links, no class injection. */
	s = parse("{\"run_id\":\"<r>\",\"properties\":{\"kernel\":\"k\\\"'\"},\"cases\":["
		  "{\"id\":\"a\\\"><x>\",\"scenario\":\"<s>\",\"device\":\"d&\",\"fs\":\"f'\","
		  "\"verdict\":\"P\\\" onclick=\\\"x\",\"reason\":\"r\",\"dir\":\"cases/a b\\\"<\"}]}");
	h = pmt_report_html(&s, 1);
	ASSERT_HAS(h,
		   "<title>pmtorture &lt;r&gt;</title>",
		   "kernel <b>k&quot;&#39;</b>",
		   "<th class=\"row\">&lt;s&gt;</th>",
		   "<td class=\"cell v-other\">",
		   "href=\"cases/a%20b%22%3C/console.log\"");
	ASSERT_LACKS(h, "<x>", "\" onclick");
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
	ASSERT_HAS(trend,
		   "<tr><th>case</th><th>r3<br>(this run)</th><th>r2</th>"
		   "<th>r1</th></tr>",
		   /* One row per case id of any run, sorted. */
		   "<tr><th class=\"row\">mapsync:virtio-pmem:xfs</th>"
		   "<td class=\"v-FAIL\">FAIL</td><td class=\"v-PASS\">PASS</td>"
		   "<td class=\"v-BROK\">BROK</td></tr>",
		   "<tr><th class=\"row\">old:case:x</th>"
		   "<td class=\"v-none\">&ndash;</td><td class=\"v-SKIP\">SKIP</td>"
		   "<td class=\"v-none\">&ndash;</td></tr>");
	ck_assert(strstr(trend, "mapsync:nvdimm:ext4") < strstr(trend, "mapsync:virtio-pmem:ext4"));
	ck_assert(strstr(trend, "mapsync:virtio-pmem:xfs") < strstr(trend, "old:case:x"));
	free(h);
	for (int i = 0; i < 3; i++)
		json_object_put(runs[i]);
}
END_TEST

/* How many times @needle occurs in @h. */
static int count(const char *h, const char *needle)
{
	int n = 0;

	for (const char *p = h; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A powercut case with @timeline (and @failures) as its details, in a summary. */
static struct json_object *powercut(const char *timeline, const char *failures)
{
	char *text;
	struct json_object *o;

	ck_assert_int_ge(asprintf(&text, "{\"run_id\":\"t\",\"cases\":["
				  "{\"id\":\"mapsync:virtio-pmem:ext4\",\"scenario\":\"mapsync\","
				  "\"verdict\":\"PASS\",\"details\":{\"errno\":95}},"
				  "{\"id\":\"powercut:virtio-pmem:ext4\",\"scenario\":\"powercut\","
				  "\"verdict\":\"FAIL\",\"details\":{\"timeline\":%s,\"failures\":%s}}]}",
				  timeline, failures), 0);
	o = parse(text);
	free(text);
	return o;
}

START_TEST(timeline_svg)
{
	struct json_object *s = powercut(
		"{\"first\":10,\"last\":14,"
		"\"flushes\":[[3,200,\"recorded\"],[11,12,\"recorded\"],[12,1,\"dropped\"],"
		"[13,4096,\"lied\"],[14,0,\"recorded\"]],"
		"\"promises\":[[4,12],[5,13],[6,13]],"
		"\"points\":[[10,3,0],[11,3,0],[12,4,2],[14,3,0]]}",
		"[{\"state\":\"p12-kept\",\"kind\":\"promise\",\"text\":\"/f0 lost op 4\"},"
		"{\"state\":\"p12-lost\",\"kind\":\"fsck\",\"text\":\"bad inode\"}]");
	char *h = pmt_report_html(&s, 1);
	const char *svg, *end;

	ck_assert_ptr_nonnull(h);
	/* Only the powercut case, in its drill-down, gets a picture. */
	ck_assert_int_eq(count(h, "<svg"), 1);
	svg = strstr(h, "<svg class=\"tl\" viewBox=\"0 0 720 122\"");
	ck_assert_ptr_nonnull(svg);
	ck_assert(svg > strstr(h, "<details class=\"case\" id=\"c1\">"));
	end = strstr(svg, "</svg>");
	ck_assert_ptr_nonnull(end);
	ck_assert(end < strstr(svg, "</details>"));
	/* Nothing fetched, no script of its own. */
	ck_assert_ptr_null(strstr(h, "http"));
	ck_assert_int_eq(count(h, "<script>"), 1);

	/* One point marker per flush count 10..14: three held, one broken, one not checked. */
	ck_assert_int_eq(count(h, "<rect class=\"pt "), 5);
	ck_assert_int_eq(count(h, "<rect class=\"pt ok\""), 3);
	ck_assert_int_eq(count(h, "<rect class=\"pt bad\""), 1);
	ck_assert_int_eq(count(h, "<rect class=\"pt nc\""), 1);
	ASSERT_HAS(h,
		   "fill=\"#c62828\"><title>point 12: 4 states, 2 broken\n"
		   "p12-kept promise: /f0 lost op 4\np12-lost fsck: bad inode"
		   "</title></rect>",
		   "fill=\"#2e7d32\"><title>point 10: 3 states, 0 broken</title>",
		   "fill=\"#e0e0e0\"><title>point 13: not checked</title>");
	/* Host flushes in the workload: four ticks, the one before it left out. */
	ck_assert_int_eq(count(h, "<rect class=\"fl\""), 4);
	ASSERT_HAS(h,
		   "<title>flush 11: 12 pages</title>",
		   "fill=\"#8e24aa\"><title>flush 12: 1 pages, 1 dropped</title>",
		   "fill=\"#ef6c00\"><title>flush 13: 4096 pages, 1 lied</title>");
	ck_assert_ptr_null(strstr(h, "flush 3:"));
	/* Promises at their stamps. */
	ck_assert_int_eq(count(h, "<polygon class=\"pr\""), 2);
	ASSERT_HAS(h,
		   "<title>promise op 4 in force from flush 12</title>",
		   "<title>2 promises (ops 5&#8211;6) in force from flush 13</title>",
		   "<p class=\"tl-cap\">flush counts 10&#8211;14 &middot; 5 host "
		   "flushes, 1 lied, 1 dropped &middot; 3 promises &middot; 4 of 5 "
		   "points checked, 1 broken &middot; 1 entries outside the "
		   "workload not drawn</p>");
	/* The picture stands for the raw lists in the details dump; the rest stays. */
	ck_assert_ptr_null(strstr(h, "&quot;timeline&quot;"));
	ASSERT_HAS(h, "&quot;failures&quot;", "&quot;errno&quot;:95");
	free(h);
	json_object_put(s);

	/* An older summary: no timeline, no picture. */
	s = current();
	h = pmt_report_html(&s, 1);
	ck_assert_ptr_null(strstr(h, "<svg"));
	free(h);
	json_object_put(s);
}
END_TEST

/* Well-formed: every element opened is closed, and only the report's own script. */
static void check_well_formed(const char *h)
{
	ck_assert_int_eq(count(h, "<svg"), count(h, "</svg>"));
	ck_assert_int_eq(count(h, "<title>"), count(h, "</title>"));
	ck_assert_int_eq(count(h, "<rect class="), count(h, "</rect>"));
	ck_assert_int_eq(count(h, "<polygon class="), count(h, "</polygon>"));
	ck_assert_int_eq(count(h, "<script>"), 1);
	ASSERT_LACKS(h, "<script>alert", "nan", "inf\"");
}

START_TEST(timeline_hostile)
{
	static const char *const bad_timelines[] = {
		"[1,2]", "\"x\"", "{\"first\":\"10\",\"last\":14}", "{\"first\":10}",
		"{\"first\":14,\"last\":10}", "{\"first\":-5,\"last\":10}",
		"{\"first\":1.5,\"last\":10}", "{\"first\":0,\"last\":9223372036854775807}",
	};
	struct json_object *s, *fl, *pt, *tl;
	char *h;

	/* No usable axis: no picture, and no crash. */
	for (size_t i = 0; i < sizeof(bad_timelines) / sizeof(*bad_timelines); i++) {
		s = powercut(bad_timelines[i], "\"</svg><script>alert(1)</script>\"");
		h = pmt_report_html(&s, 1);
		ck_assert_ptr_nonnull(h);
		ck_assert_msg(!strstr(h, "<svg"), "timeline %s drew", bad_timelines[i]);
		check_well_formed(h);
		free(h);
		json_object_put(s);
	}

	/* Strings for numbers, short, negative and nested entries, hostile text. */
	s = powercut("{\"first\":0,\"last\":3,"
		     "\"flushes\":[[\"1\",2,\"recorded\"],[1,\"2\",\"x\"],[1],7,null,[2,-9,"
		     "\"</svg><script>alert(1)</script>\"],[3,9223372036854775807,[1]],"
		     "[-4,1,\"recorded\"],{\"a\":1}],"
		     "\"promises\":{\"0\":[1,1]},"
		     "\"points\":[[0,\"3\",0],[1,-3,-2],[2,1,5],[3,9223372036854775807,"
		     "9223372036854775807],[3,9223372036854775807,9223372036854775807],[9,1]]}",
		     "[{\"state\":\"p2-</svg><script>alert(1)</script>\",\"kind\":\"<b>\","
		     "\"text\":\"</title></rect><script>alert(2)</script>\"},"
		     "{\"state\":\"p99999999999999999999999-x\"},{\"state\":\"p-1-x\"},"
		     "{\"state\":7},3,null]");
	h = pmt_report_html(&s, 1);
	ck_assert_ptr_nonnull(h);
	check_well_formed(h);
	ck_assert_int_eq(count(h, "<svg"), 1);
	ck_assert_int_eq(count(h, "<rect class=\"pt "), 4);
	/* Negative counts read as none; the point with "5 broken" of 1 still shows red. */
	ASSERT_HAS(h,
		   "<title>point 1: 0 states, 0 broken</title>",
		   "<rect class=\"pt bad\"",
		   "<title>flush 2: 0 pages, 1 failed</title>");
	/* An entry with a string for a number is skipped; a huge one is clamped. */
	ck_assert_ptr_null(strstr(h, "<title>flush 1:"));
	ASSERT_HAS(h,
		   "<title>flush 3: 1125899906842624 pages, 1 failed</title>",
		   "p2-&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt; "
		   "&lt;b&gt;: &lt;/title&gt;&lt;/rect&gt;&lt;script&gt;");
	ck_assert_ptr_null(strstr(h, "<polygon class=\"pr\""));
	free(h);
	json_object_put(s);

	/* Huge: 200000 entries over 2^40 flush counts make a picture of a bounded size. */
	s = powercut("{\"first\":0,\"last\":1099511627776,\"flushes\":[],\"points\":[]}", "[]");
	tl = json_object_object_get(json_object_object_get(
		json_object_array_get_idx(json_object_object_get(s, "cases"), 1), "details"),
		"timeline");
	fl = json_object_object_get(tl, "flushes");
	pt = json_object_object_get(tl, "points");
	for (long long i = 0; i < 200000; i++) {
		struct json_object *e = json_object_new_array();

		json_object_array_add(e, json_object_new_int64(i * 5497558));
		json_object_array_add(e, json_object_new_int64(i));
		json_object_array_add(e, json_object_new_string("recorded"));
		json_object_array_add(fl, e);
		e = json_object_new_array();
		json_object_array_add(e, json_object_new_int64(i * 5497558));
		json_object_array_add(e, json_object_new_int64(3));
		json_object_array_add(e, json_object_new_int64(i == 199999));
		json_object_array_add(pt, e);
	}
	h = pmt_report_html(&s, 1);
	ck_assert_ptr_nonnull(h);
	check_well_formed(h);
	ck_assert_int_eq(count(h, "<rect class=\"pt "), 320);
	ck_assert_int_eq(count(h, "<rect class=\"pt bad\""), 1);
	ck_assert_int_lt(strlen(h), 256 * 1024);
	ck_assert_ptr_nonnull(strstr(h, "200000 of 1099511627777 points checked, 1 broken"));
	free(h);
	json_object_put(s);
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

	ck_assert_ptr_nonnull(mkdtemp(dir));
	pmt_put_file(path, sizeof(path), dir, "summary.json", "{\"run_id\":\"x\",\"cases\":[]}");
	o = pmt_summary_load(dir, err, sizeof(err));
	ck_assert_msg(o != NULL, "%s", err);
	json_object_put(o);
	o = pmt_summary_load(path, err, sizeof(err));
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	pmt_put_file(path, sizeof(path), dir, "summary.json", "[1]");
	ck_assert_ptr_null(pmt_summary_load(dir, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a pmtorture summary"));
	unlink(path);
	rmdir(dir);
	ck_assert_ptr_null(pmt_summary_load(dir, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, ": no such results folder or file"));
}
END_TEST

/* Several power-cut cases in one cell: each verdict says its workload and broken states. */
START_TEST(cell_labels)
{
	struct json_object *s = parse(
		"{\"run_id\":\"r\",\"properties\":{},\"cases\":["
		"{\"id\":\"powercut:append_fsync:virtio-pmem:ext4\",\"scenario\":\"powercut\","
		"\"variant\":\"append_fsync\",\"device\":\"virtio-pmem\",\"fs\":\"ext4\","
		"\"verdict\":\"FAIL\",\"reason\":\"r\",\"dir\":\"cases/a\",\"details\":{\"states\":127,"
		"\"points\":43,\"broken\":{\"states\":19,\"points\":16,\"kinds\":{\"journal-checksum\":19}},"
		"\"minimal\":{\"pages_before\":7,\"pages_after\":3}}},"
		"{\"id\":\"powercut:rename_replace:virtio-pmem:ext4\",\"scenario\":\"powercut\","
		"\"variant\":\"rename_replace\",\"device\":\"virtio-pmem\",\"fs\":\"ext4\","
		"\"verdict\":\"PASS\",\"reason\":\"ok\",\"dir\":\"cases/b\",\"details\":{}}]}");
	char *h = pmt_report_html(&s, 1), *row = row_of(h, "powercut");

	ASSERT_HAS(row,
		   ">FAIL<span class=\"wl\">append_fsync 19/127</span></a>",
		   ">PASS<span class=\"wl\">rename_replace</span></a>",
		   "title=\"powercut:append_fsync:virtio-pmem:ext4: 19 of 127 "
		   "crash states broken at 16 of 43 points: journal-checksum 19; "
		   "minimal state 3 of 7 pages\n");
	free(row);
	free(h);
	json_object_put(s);
}
END_TEST

/* A hang guard, not a speed target: the 200000-point timeline under ASan
 * takes seconds on a loaded machine (Check's default is 4 s). */
static const struct pmt_check_opts opts = {
	.timeout = 120,
};

PMT_CHECK_MAIN("html", &opts, grid_cells, escaping, trend_columns, timeline_svg,
	       timeline_hostile, merge_shards, summary_load, cell_labels);
