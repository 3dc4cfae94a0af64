// SPDX-License-Identifier: MIT
/* Unit tests: JUnit and TAP writers, the mapsync oracle, device selection. */
#include <check.h>

#include "pmt_check.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest_setup.h"
#include "report.h"
#include "report_html.h"
#include "results.h"
#include "util.h"
#include "mapsync_check.h"

static struct json_object *summary_fixture(void)
{
	return json_tokener_parse(
		"{\"run_id\":\"r1\",\"properties\":{\"kernel\":\"6.1 <test>\",\"seed\":\"1\"},"
		"\"counts\":{\"PASS\":1,\"FAIL\":1,\"BROK\":1,\"SKIP\":1,\"XFAIL\":0},"
		"\"cases\":["
		"{\"id\":\"mapsync:virtio-pmem:ext4\",\"scenario\":\"mapsync\",\"verdict\":\"PASS\","
		"\"reason\":\"ok\",\"duration_s\":1.5,\"dir\":\"cases/a\"},"
		"{\"id\":\"mapsync:nvdimm:xfs\",\"scenario\":\"mapsync\",\"verdict\":\"FAIL\","
		"\"reason\":\"expected <ok> & got \\\"EOPNOTSUPP\\\" # no\",\"duration_s\":2,\"dir\":\"cases/b\"},"
		"{\"id\":\"x:y:z\",\"scenario\":\"x\",\"verdict\":\"BROK\",\"reason\":\"boot: QEMU exit\\nline2\","
		"\"duration_s\":0.5,\"dir\":\"cases/c\"},"
		"{\"id\":\"s:k:p\",\"scenario\":\"s\",\"verdict\":\"SKIP\",\"reason\":\"no MEMORY_FAILURE\","
		"\"duration_s\":0,\"dir\":\"cases/d\"}]}");
}

START_TEST(junit_counts_and_escapes)
{
	struct json_object *s = summary_fixture();
	char *x = pmt_report_junit(s);

	ASSERT_HAS(x,
		   "<testsuites name=\"pmtorture\" tests=\"4\" failures=\"1\" "
		   "errors=\"1\" skipped=\"1\"",
		   "<property name=\"kernel\" value=\"6.1 &lt;test&gt;\"/>",
		   "<failure type=\"FAIL\" message=\"expected &lt;ok&gt; &amp; got "
		   "&quot;EOPNOTSUPP&quot; # no\"",
		   "<error type=\"BROK\"",
		   "<skipped message=\"SKIP: no MEMORY_FAILURE\"/>");
	ck_assert_ptr_null(strstr(x, "<ok>"));
	free(x);
	json_object_put(s);
}
END_TEST

START_TEST(tap_lines)
{
	struct json_object *s = summary_fixture();
	char *t = pmt_report_tap(s);

	ASSERT_HAS(t,
		   "TAP version 13\n1..4\n",
		   "\nok 1 - mapsync:virtio-pmem:ext4 # PASS ok\n",
		   /* A '#' in a reason must not start a second directive. */
		   "\nnot ok 2 - mapsync:nvdimm:xfs # FAIL expected <ok> & got "
		   "\"EOPNOTSUPP\" _ no\n",
		   "\nnot ok 3 - x:y:z # BROK boot: QEMU exit line2\n",
		   "\nok 4 - s:k:p # SKIP no MEMORY_FAILURE\n");
	free(t);
	json_object_put(s);
}
END_TEST

/*
 * Issue 21: an interrupted run.  Its unfinished cases are tests without a
 * verdict in every report: JUnit <skipped> "not run", TAP SKIP then a
 * bail-out, an HTML banner; the finished case keeps its verdict.
 */
START_TEST(interrupted_run_lists_not_run)
{
	struct json_object *s = json_tokener_parse(
		"{\"run_id\":\"r2\",\"properties\":{\"interrupted\":\"SIGINT\"},"
		"\"counts\":{\"PASS\":1,\"FAIL\":0,\"BROK\":0,\"SKIP\":0,\"XFAIL\":0},"
		"\"cases\":[{\"id\":\"mapsync:nvdimm:ext4\",\"scenario\":\"mapsync\",\"verdict\":\"PASS\","
		"\"reason\":\"ok\",\"duration_s\":1,\"dir\":\"cases/a\"}],"
		"\"interrupted\":{\"signal\":\"SIGINT\",\"cases\":3,\"finished\":1,\"not_run\":2},"
		"\"not_run\":[{\"id\":\"mapsync:nvdimm:xfs\",\"scenario\":\"mapsync\","
		"\"reason\":\"not run: interrupted by SIGINT\"},"
		"{\"id\":\"mapsync:virtio-pmem:ext4\",\"scenario\":\"mapsync\","
		"\"reason\":\"not run: interrupted by SIGINT\"}]}");
	char *x = pmt_report_junit(s), *t = pmt_report_tap(s), *h = pmt_report_html(&s, 1);

	ASSERT_HAS(x,
		   "<testsuites name=\"pmtorture\" tests=\"3\" failures=\"0\" "
		   "errors=\"0\" skipped=\"2\"",
		   "name=\"mapsync:nvdimm:xfs\" time=\"0.000\">\n"
		   "      <skipped message=\"not run: interrupted by SIGINT\"/>",
		   "<property name=\"interrupted\" value=\"SIGINT\"/>");
	ASSERT_HAS(t,
		   "1..3\n# interrupted by SIGINT: 2 of 3 cases not run\n",
		   "\nok 1 - mapsync:nvdimm:ext4 # PASS ok\n",
		   "\nok 3 - mapsync:virtio-pmem:ext4 # SKIP not run: "
		   "interrupted by SIGINT\nBail out! interrupted by SIGINT\n");
	ASSERT_HAS(h,
		   "<b>Interrupted by SIGINT</b>: 1 of 3 cases finished; 2 not run.",
		   "<li>mapsync:nvdimm:xfs &mdash; not run: interrupted by SIGINT</li>");
	free(x);
	free(t);
	free(h);
	json_object_put(s);
}
END_TEST

static enum pmt_verdict judge(enum pmt_device_kind dev, const char *json)
{
	struct json_object *o = json_tokener_parse(json);
	char reason[256];
	enum pmt_verdict v = pmt_mapsync_judge(dev, o, reason, sizeof(reason));

	json_object_put(o);
	return v;
}

#define SHARED_OK "\"map_shared\":{\"ok\":true,\"errno\":0,\"error\":\"\"}"
#define REFUSED "\"map_sync\":{\"ok\":false,\"errno\":95,\"error\":\"Operation not supported\"}"
#define ACCEPTED "\"map_sync\":{\"ok\":true,\"errno\":0,\"error\":\"\"}"

START_TEST(mapsync_oracle)
{
	ck_assert_int_eq(EOPNOTSUPP, 95);
	/* virtio-pmem must refuse with EOPNOTSUPP */
	ck_assert_int_eq(judge(PMT_DEV_VIRTIO_PMEM, "{" REFUSED "," SHARED_OK ",\"file_dax\":true}"),
			 PMT_PASS);
	ck_assert_int_eq(judge(PMT_DEV_VIRTIO_PMEM, "{" ACCEPTED "," SHARED_OK ",\"file_dax\":true}"),
			 PMT_FAIL);
	ck_assert_int_eq(judge(PMT_DEV_VIRTIO_PMEM, "{\"map_sync\":{\"ok\":false,\"errno\":22},"
			       SHARED_OK ",\"file_dax\":true}"), PMT_FAIL);
	/* fsdax NVDIMM must accept */
	ck_assert_int_eq(judge(PMT_DEV_NVDIMM, "{" ACCEPTED "," SHARED_OK ",\"file_dax\":true}"), PMT_PASS);
	ck_assert_int_eq(judge(PMT_DEV_NVDIMM, "{" REFUSED "," SHARED_OK ",\"file_dax\":true}"), PMT_FAIL);
	/* Without DAX a refusal proves nothing: never a PASS. */
	ck_assert_int_eq(judge(PMT_DEV_VIRTIO_PMEM, "{" REFUSED "," SHARED_OK ",\"file_dax\":false}"),
			 PMT_BROK);
	ck_assert_int_eq(judge(PMT_DEV_VIRTIO_PMEM, "{" REFUSED ",\"map_shared\":{\"ok\":false,"
			       "\"errno\":19},\"file_dax\":true}"), PMT_BROK);
	ck_assert_int_eq(judge(PMT_DEV_VIRTIO_PMEM, "{" REFUSED "}"), PMT_BROK);
	ck_assert_int_eq(judge(PMT_DEV_VIRTIO_PMEM, "{\"map_sync\":{\"ok\":\"no\"}," SHARED_OK
			       ",\"file_dax\":true}"), PMT_BROK);
}
END_TEST

START_TEST(pick_device_by_bus_provider)
{
	struct json_object *d = json_tokener_parse(
		"{\"pmem\":[{\"dev\":\"/dev/pmem0\",\"provider\":\"ACPI.NFIT\"},"
		"{\"dev\":\"/dev/pmem1\",\"provider\":\"virtio_pmem\"}]}");

	ck_assert_str_eq(json_object_get_string(json_object_object_get(
				 pmt_pick_pmem(d, PMT_DEV_VIRTIO_PMEM), "dev")), "/dev/pmem1");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
				 pmt_pick_pmem(d, PMT_DEV_NVDIMM), "dev")), "/dev/pmem0");
	json_object_put(d);
	d = json_tokener_parse("{\"pmem\":[{\"dev\":\"/dev/pmem0\",\"provider\":null}]}");
	ck_assert_ptr_null(pmt_pick_pmem(d, PMT_DEV_NVDIMM));
	json_object_put(d);
	d = json_tokener_parse("{\"pmem\":7}");
	ck_assert_ptr_null(pmt_pick_pmem(d, PMT_DEV_NVDIMM));
	json_object_put(d);
}
END_TEST

/* Same second, same pid (two PID namespaces look like this): two folders. */
START_TEST(run_folders_never_shared)
{
	char root[] = "/tmp/pmt-runid-XXXXXX", err[256];
	struct pmt_run a, b;

	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_msg(pmt_run_open(&a, root, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(pmt_run_open(&b, root, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_ne(a.dir, b.dir);
	ck_assert_str_ne(a.id, b.id);
	pmt_run_close(&a);
	pmt_run_close(&b);
	pmt_rm_rf(root);
}
END_TEST

PMT_CHECK_MAIN("report", NULL, junit_counts_and_escapes, tap_lines,
	       interrupted_run_lists_not_run, mapsync_oracle,
	       pick_device_by_bus_provider, run_folders_never_shared);
