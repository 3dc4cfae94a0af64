// SPDX-License-Identifier: MIT
/*
 * Unit tests: a kernel matrix in the reports (issue 9): the table lines up
 * each case's kernels and counts per kernel, JUnit has a kernel property
 * per testcase, TAP names the kernels, the HTML grid has one column group
 * per kernel, oldest first, whatever order the cases finished in.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_view.h"
#include "report.h"
#include "report_behaviour.h"
#include "report_html.h"
#include "pmt_check.h"

static struct json_object *one(const char *id, const char *kernel, const char *verdict)
{
	struct json_object *c = json_object_new_object();
	char plain[128];

	pmt_id_without_kernel(id, kernel, plain, sizeof(plain));
	json_object_object_add(c, "id", json_object_new_string(id));
	json_object_object_add(c, "scenario", json_object_new_string("mapsync"));
	json_object_object_add(c, "device", json_object_new_string(strstr(id, "nvdimm") ? "nvdimm"
									  : "virtio-pmem"));
	json_object_object_add(c, "fs", json_object_new_string("ext4"));
	json_object_object_add(c, "kernel", json_object_new_string(kernel));
	json_object_object_add(c, "verdict", json_object_new_string(verdict));
	json_object_object_add(c, "reason", json_object_new_string("r"));
	return c;
}

/* Finished out of order: 6.12 before 6.1, as --jobs can make them. */
static struct json_object *matrix(void)
{
	struct json_object *s = json_object_new_object(), *cases = json_object_new_array();
	struct json_object *props = json_object_new_object(), *counts = json_object_new_object();

	json_object_array_add(cases, one("mapsync:virtio-pmem:ext4@6.12.117+deb12-amd64",
					 "6.12.117+deb12-amd64", "PASS"));
	json_object_array_add(cases, one("mapsync:nvdimm:ext4@6.1.0-57-amd64", "6.1.0-57-amd64",
					 "FAIL"));
	json_object_array_add(cases, one("mapsync:virtio-pmem:ext4@6.1.0-57-amd64", "6.1.0-57-amd64",
					 "PASS"));
	json_object_array_add(cases, one("mapsync:nvdimm:ext4@6.12.117+deb12-amd64",
					 "6.12.117+deb12-amd64", "PASS"));
	json_object_object_add(props, "kernel",
			       json_object_new_string("6.1.0-57-amd64,6.12.117+deb12-amd64"));
	json_object_object_add(counts, "PASS", json_object_new_int(3));
	json_object_object_add(counts, "FAIL", json_object_new_int(1));
	json_object_object_add(s, "run_id", json_object_new_string("r1"));
	json_object_object_add(s, "properties", props);
	json_object_object_add(s, "counts", counts);
	json_object_object_add(s, "cases", cases);
	return s;
}

START_TEST(id_without_kernel)
{
	char b[128];

	pmt_id_without_kernel("powercut:append_fsync:virtio-pmem:ext4@6.12.117+deb12-amd64#2",
			      "6.12.117+deb12-amd64", b, sizeof(b));
	ck_assert_str_eq(b, "powercut:append_fsync:virtio-pmem:ext4#2");
	pmt_id_without_kernel("mapsync:nvdimm:xfs@dax@6.1.0-57-amd64", "6.1.0-57-amd64", b, sizeof(b));
	ck_assert_str_eq(b, "mapsync:nvdimm:xfs@dax");
	/* Only a whole label: 6.1 is not the start of 6.12's. */
	pmt_id_without_kernel("m:v:e@6.12.117", "6.1", b, sizeof(b));
	ck_assert_str_eq(b, "m:v:e@6.12.117");
	pmt_id_without_kernel("mapsync:nvdimm:xfs", "", b, sizeof(b));
	ck_assert_str_eq(b, "mapsync:nvdimm:xfs");
}
END_TEST

START_TEST(table_lines_up_kernels)
{
	struct json_object *s = matrix();
	char *buf = NULL, *a, *b, *c, *d;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pmt_report_table(f, s);
	fclose(f);
	a = strstr(buf, "mapsync:virtio-pmem:ext4@6.1.0-57-amd64 ");
	b = strstr(buf, "mapsync:virtio-pmem:ext4@6.12.117+deb12-amd64 ");
	c = strstr(buf, "mapsync:nvdimm:ext4@6.1.0-57-amd64 ");
	d = strstr(buf, "mapsync:nvdimm:ext4@6.12.117+deb12-amd64 ");
	ck_assert(a && b && c && d);
	/* The first case to finish leads; within it, the older kernel first. */
	ck_assert(a < b && b < c && c < d);
	ck_assert_ptr_nonnull(strstr(buf, "\n  on 6.1.0-57-amd64: PASS 1, FAIL 1, BROK 0, SKIP 0, XFAIL 0\n"
					  "  on 6.12.117+deb12-amd64: PASS 2, FAIL 0,"));
	free(buf);
	json_object_put(s);
}
END_TEST

START_TEST(junit_and_tap_carry_the_kernel)
{
	struct json_object *s = matrix();
	char *x = pmt_report_junit(s), *t = pmt_report_tap(s), *p;

	p = strstr(x, "name=\"mapsync:nvdimm:ext4@6.1.0-57-amd64\"");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "<properties>\n        <property name=\"kernel\" value=\"6.1.0-57-amd64\"/>\n"
		      "      </properties>\n      <failure");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(x, "\nkernel: 6.12.117+deb12-amd64\nresults: "));
	ck_assert_ptr_nonnull(strstr(t, "1..4\n# kernel: 6.1.0-57-amd64,6.12.117+deb12-amd64\nok 1 - "));
	free(x);
	free(t);
	json_object_put(s);
}
END_TEST

START_TEST(html_grid_groups_by_kernel)
{
	struct json_object *s = matrix(), *one_kernel;
	char *h = pmt_report_html(&s, 1), *a, *b;

	a = strstr(h, "<th colspan=\"2\" class=\"kernel\">6.1.0-57-amd64</th>");
	b = strstr(h, "<th colspan=\"2\" class=\"kernel\">6.12.117+deb12-amd64</th>");
	ck_assert(a && b && a < b);
	ASSERT_HAS(h,
		   "<th rowspan=\"3\">scenario</th>",
		   /* Per kernel: virtio-pmem, nvdimm; the 6.1 nvdimm cell is the FAIL. */
		   "<tr><th colspan=\"1\">virtio-pmem</th><th colspan=\"1\">nvdimm"
		   "</th><th colspan=\"1\">virtio-pmem</th><th colspan=\"1\">"
		   "nvdimm</th></tr>");
	a = strstr(h, "<tr><th class=\"row\">mapsync</th>");
	ck_assert_ptr_nonnull(a);
	a = strstr(a, "<td class=\"cell v-PASS\"><a href=\"#c2\"");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(strstr(a, "</td><td class=\"cell v-FAIL\"><a href=\"#c1\""));
	free(h);

	/* One kernel: no kernel row, as before the matrix. */
	one_kernel = json_object_new_object();
	json_object_object_add(one_kernel, "run_id", json_object_new_string("r2"));
	json_object_object_add(one_kernel, "cases", json_object_new_array());
	json_object_array_add(json_object_object_get(one_kernel, "cases"),
			      one("mapsync:nvdimm:ext4", "6.1.0-57-amd64", "PASS"));
	h = pmt_report_html(&one_kernel, 1);
	ck_assert_ptr_nonnull(strstr(h, "<th rowspan=\"2\">scenario</th>"));
	ck_assert_ptr_null(strstr(h, "class=\"kernel\""));
	free(h);
	json_object_put(one_kernel);
	json_object_put(s);
}
END_TEST

/* The behaviour report: each device's kernels side by side, oldest first. */
START_TEST(behaviour_columns_per_kernel)
{
	static const char *const kernels[] = { "6.12.117+deb12-amd64", "6.1.0-57-amd64" };
	static const char *const devices[] = { "nvdimm", "virtio-pmem" };
	struct json_object *s = json_object_new_object(), *cases = json_object_new_array();
	struct pmt_bhv_model *m;
	char *md;

	for (size_t k = 0; k < 2; k++) {
		for (size_t d = 0; d < 2; d++) {
			struct json_object *c = json_object_new_object(), *det = json_object_new_object();
			struct json_object *rows = json_object_new_array(), *r = json_object_new_object();
			char id[128];

			snprintf(id, sizeof(id), "badblocks:dax:%s:ext4@%s", devices[d], kernels[k]);
			json_object_object_add(c, "id", json_object_new_string(id));
			json_object_object_add(c, "scenario", json_object_new_string("badblocks"));
			json_object_object_add(c, "device", json_object_new_string(devices[d]));
			json_object_object_add(c, "fs", json_object_new_string("ext4"));
			json_object_object_add(c, "variant", json_object_new_string("dax"));
			json_object_object_add(c, "kernel", json_object_new_string(kernels[k]));
			json_object_object_add(c, "verdict", json_object_new_string("PASS"));
			json_object_object_add(r, "path", json_object_new_string("read"));
			json_object_object_add(r, "observed", json_object_new_string(k ? "errno=EIO" : "ok"));
			json_object_array_add(rows, r);
			json_object_object_add(det, "behaviour", rows);
			json_object_object_add(c, "details", det);
			json_object_array_add(cases, c);
		}
	}
	json_object_object_add(s, "run_id", json_object_new_string("r"));
	json_object_object_add(s, "cases", cases);
	m = pmt_bhv_build(&s, 1);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->ndevices, 4);
	ck_assert_str_eq(m->devices[0], "virtio-pmem@6.1.0-57-amd64");
	ck_assert_str_eq(m->devices[1], "virtio-pmem@6.12.117+deb12-amd64");
	ck_assert_str_eq(m->devices[2], "nvdimm@6.1.0-57-amd64");
	ck_assert_str_eq(m->devices[3], "nvdimm@6.12.117+deb12-amd64");
	md = pmt_bhv_markdown(m);
	ck_assert_ptr_nonnull(strstr(md, "virtio-pmem@6.1.0-57-amd64 ext4"));
	free(md);
	pmt_bhv_free(m);
	json_object_put(s);
}
END_TEST

PMT_CHECK_MAIN("kernel_reports", NULL, id_without_kernel,
	       table_lines_up_kernels, junit_and_tap_carry_the_kernel,
	       html_grid_groups_by_kernel, behaviour_columns_per_kernel);
