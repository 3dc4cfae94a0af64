// SPDX-License-Identifier: MIT
/* Unit tests: the error-handling behaviour report (model, Markdown, HTML, the --behaviour switch). */
#include <check.h>

#include "pmt_check.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_behaviour.h"
#include "util.h"

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	return o;
}

#define ROW(path, obs, exp, reason, match) \
	"{\"path\":\"" path "\",\"observed\":\"" obs "\",\"expected\":\"" exp "\"," \
	"\"reason\":\"" reason "\"" match "}"
#define YES ",\"match\":true"
#define NO ",\"match\":false"
#define UNK ""

/* A case object up to its verdict and a comma, the rest of it to follow;
 * @variant is VARIANT("dax") or NOVARIANT. */
#define CASE(id, scenario, device, fs, variant, verdict) \
	"{\"id\":\"" id "\",\"scenario\":\"" scenario "\",\"device\":\"" device "\"," \
	"\"fs\":\"" fs "\"" variant ",\"verdict\":\"" verdict "\","
#define VARIANT(v) ",\"variant\":\"" v "\""
#define NOVARIANT ""

/*
 * Hand-written, in an order the report must not keep: nvdimm before
 * virtio-pmem, nodax before dax, reread before read.  Two runs of the
 * same case (a repeat) disagree on one path.
 */
static struct json_object *summary(void)
{
	return parse(
	"{\"run_id\":\"r1\",\"cases\":["
	/* nvdimm first: the columns still start with virtio-pmem. */
	CASE("badblocks:dax:nvdimm:ext4", "badblocks", "nvdimm", "ext4", VARIANT("dax"), "PASS")
	"\"details\":{"
	"\"badblocks\":{\"probes\":[{\"path\":\"reread\",\"ok\":false,\"errno\":5,\"data_ok\":null}],"
	"\"dmesg\":[]},\"behaviour\":["
	ROW("reread", "errno=EIO", "errno=EIO", "not cleared on this device", YES) ","
	ROW("write", "errno=EFAULT", "unknown", "no Clear Uncorrectable Error DSM", UNK) ","
	ROW("read", "errno=EIO", "errno=EIO", "pmem_do_read() fails", YES) "]}},"
	CASE("badblocks:nodax:virtio-pmem:ext4", "badblocks", "virtio-pmem", "ext4", VARIANT("nodax"),
	     "FAIL")
	"\"details\":{\"badblocks\":{\"probes\":[{\"path\":\"reread\",\"ok\":true,\"data_ok\":false}],"
	"\"dmesg\":[\"[    1.000000] random line\","
	"\"[    2.500000] Buffer I/O error on dev pmem0, <script>x</script>\","
	"\"[    3.000000] Memory failure: later line\"]},\"behaviour\":["
	ROW("read", "errno=EIO", "errno=EIO", "pmem_do_read() fails", YES) ","
	ROW("mmap_load", "ok", "signal=SIGBUS/BUS_ADRERR", "filemap_fault fails|or not", NO) ","
	ROW("odd|path", "ok", "ok", "", YES) "]}},"
	CASE("badblocks:dax:virtio-pmem:ext4", "badblocks", "virtio-pmem", "ext4", VARIANT("dax"), "PASS")
	"\"details\":{\"badblocks\":{\"probes\":[{\"path\":\"reread\",\"ok\":true,\"data_ok\":true}]},"
	"\"behaviour\":["
	ROW("read", "errno=EIO", "errno=EIO", "pmem_do_read() fails", YES) ","
	ROW("write", "ok", "ok", "pmem_clear_poison", YES) "]}},"
	CASE("badblocks:dax:virtio-pmem:ext4#2", "badblocks", "virtio-pmem", "ext4", VARIANT("dax"),
	     "PASS")
	"\"details\":{\"behaviour\":["
	ROW("read", "errno=EIO", "errno=EIO", "pmem_do_read() fails", YES) ","
	ROW("write", "errno=EIO", "unknown", "pmem_clear_poison", UNK) "]}},"
	/* A panic, told three ways: the flag, the observed outcome, the line. */
	CASE("mce:srar:virtio-pmem:xfs", "mce", "virtio-pmem", "xfs", VARIANT("srar"), "FAIL")
	"\"details\":{"
	"\"mce\":{\"panic\":true,\"dmesg\":[\"Kernel panic - not syncing: MCE\"]},"
	"\"behaviour\":["
	ROW("guest", "panic", "ok", "SRAR in user mode is recoverable", NO) ","
	ROW("inject", "signal=SIGBUS/BUS_MCEERR_AR", "signal=SIGBUS/BUS_MCEERR_AR", "kill the mapper", YES)
	"]}},"
	CASE("mce:srao:virtio-pmem:xfs", "mce", "virtio-pmem", "xfs", VARIANT("srao"), "SKIP")
	"\"details\":{\"behaviour\":["
	ROW("inject", "ok", "unknown", "", UNK) "]}},"
	/* No observations: PASS is left out, SKIP says why. */
	CASE("mapsync:virtio-pmem:ext4", "mapsync", "virtio-pmem", "ext4", NOVARIANT, "PASS")
	"\"details\":{}},"
	CASE("hosthwpoison:nvdimm:xfs", "hosthwpoison", "nvdimm", "xfs", NOVARIANT, "SKIP")
	"\"reason\":\"host kernel lacks CONFIG_MEMORY_FAILURE\"}"
	"]}");
}

static size_t index_of(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return i;
	ck_abort_msg("%s not found", s);
	return 0;
}

START_TEST(model_axes)
{
	struct json_object *s = summary();
	struct pmt_bhv_model *m = pmt_bhv_build(&s, 1);
	const struct pmt_bhv_scenario *bb, *mce;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nruns, 1);
	ck_assert_str_eq(m->runs[0], "r1");
	ck_assert_uint_eq(m->ndevices, 2);
	ck_assert_str_eq(m->devices[0], "virtio-pmem");
	ck_assert_str_eq(m->devices[1], "nvdimm");
	ck_assert_uint_eq(m->nfs, 2);
	ck_assert_str_eq(m->fs[0], "ext4");
	ck_assert_str_eq(m->fs[1], "xfs");
	ck_assert_uint_eq(m->nslots, 2);
	ck_assert_uint_eq(m->ncols, 8);
	/* mapsync recorded nothing: no block of rows for it. */
	ck_assert_uint_eq(m->nscen, 2);
	bb = &m->scen[0];
	mce = &m->scen[1];
	ck_assert_str_eq(bb->name, "badblocks");
	ck_assert_str_eq(mce->name, "mce");
	ck_assert_str_eq(bb->modes[0], "dax");
	ck_assert_str_eq(bb->modes[1], "nodax");
	ck_assert_str_eq(mce->modes[0], "srao");
	ck_assert_str_eq(mce->modes[1], "srar");
	/* Paths in the fixed order; names it does not know come after. */
	ck_assert_uint_eq(bb->npaths, 5);
	ck_assert_str_eq(bb->paths[0], "read");
	ck_assert_str_eq(bb->paths[1], "mmap_load");
	ck_assert_str_eq(bb->paths[2], "write");
	ck_assert_str_eq(bb->paths[3], "reread");
	ck_assert_str_eq(bb->paths[4], "odd|path");
	ck_assert_str_eq(mce->paths[0], "inject");
	ck_assert_str_eq(mce->paths[1], "guest");
	/* Cases without observations that did not pass, and why. */
	ck_assert_uint_eq(m->nothers, 1);
	ck_assert_str_eq(m->others[0].id, "hosthwpoison:nvdimm:xfs");
	ck_assert_str_eq(m->others[0].verdict, "SKIP");
	pmt_bhv_free(m);
	json_object_put(s);
}
END_TEST

START_TEST(model_cells)
{
	struct json_object *s = summary();
	struct pmt_bhv_model *m = pmt_bhv_build(&s, 1);
	const struct pmt_bhv_scenario *bb = &m->scen[0], *mce = &m->scen[1];
	size_t vp_ext4_dax = pmt_bhv_col_index(m, 0, 0, 0), vp_ext4_nodax = pmt_bhv_col_index(m, 0, 0, 1);
	size_t nv_ext4_dax = pmt_bhv_col_index(m, 1, 0, 0), vp_xfs_srar = pmt_bhv_col_index(m, 0, 1, 1);
	size_t read = index_of(bb->paths, bb->npaths, "read");
	size_t mload = index_of(bb->paths, bb->npaths, "mmap_load");
	size_t write = index_of(bb->paths, bb->npaths, "write");
	const struct pmt_bhv_cell *c;

	/* As expected, with its reason's footnote. */
	c = &bb->cells[read * m->ncols + vp_ext4_dax];
	ck_assert_int_eq(c->mark, PMT_BHV_MATCH);
	ck_assert_str_eq(c->observed, "errno=EIO");
	ck_assert_int_gt(c->note, 0);
	ck_assert_str_eq(m->notes[c->note - 1].reason, "pmem_do_read() fails");
	ck_assert_str_eq(m->notes[c->note - 1].expected, "errno=EIO");
	/* The same reason for the same expectation is one footnote. */
	ck_assert_int_eq(bb->cells[read * m->ncols + nv_ext4_dax].note, c->note);
	/* The repeat disagreed: both outcomes, and the worse mark. */
	c = &bb->cells[write * m->ncols + vp_ext4_dax];
	ck_assert_str_eq(c->observed, "ok / errno=EIO");
	ck_assert_int_eq(c->mark, PMT_BHV_UNKNOWN);
	/* A mismatch. */
	c = &bb->cells[mload * m->ncols + vp_ext4_nodax];
	ck_assert_int_eq(c->mark, PMT_BHV_MISMATCH);
	ck_assert_str_eq(c->observed, "ok");
	/* No expectation applied. */
	c = &bb->cells[write * m->ncols + nv_ext4_dax];
	ck_assert_int_eq(c->mark, PMT_BHV_UNKNOWN);
	ck_assert_str_eq(c->observed, "errno=EFAULT");
	/* A path the case did not record, and a column no case has. */
	ck_assert_int_eq(bb->cells[mload * m->ncols + vp_ext4_dax].mark, PMT_BHV_NONE);
	ck_assert_ptr_null(bb->cols[pmt_bhv_col_index(m, 1, 1, 0)].mode);

	/* Columns: verdict, key dmesg line (first that matches, timestamp cut), panic, data. */
	ck_assert_str_eq(bb->cols[vp_ext4_nodax].mode, "nodax");
	ck_assert_str_eq(bb->cols[vp_ext4_nodax].verdict, "FAIL");
	ck_assert_str_eq(bb->cols[vp_ext4_nodax].dmesg,
			 "Buffer I/O error on dev pmem0, <script>x</script>");
	ck_assert_int_gt(bb->cols[vp_ext4_nodax].dmesg_ref, 0);
	ck_assert_int_eq(bb->cols[vp_ext4_nodax].panic, 0);
	ck_assert_int_eq(bb->cols[vp_ext4_nodax].data, PMT_BHV_DATA_BAD);
	ck_assert_int_eq(bb->cols[vp_ext4_dax].data, PMT_BHV_DATA_OK);
	ck_assert_ptr_null(bb->cols[vp_ext4_dax].dmesg);
	ck_assert_int_eq(bb->cols[nv_ext4_dax].data, PMT_BHV_DATA_UNREADABLE);
	ck_assert_str_eq(mce->cols[vp_xfs_srar].mode, "srar");
	ck_assert_int_eq(mce->cols[vp_xfs_srar].panic, 1);
	ck_assert_str_eq(mce->cols[vp_xfs_srar].dmesg, "Kernel panic - not syncing: MCE");
	ck_assert_int_eq(mce->cols[vp_xfs_srar].data, PMT_BHV_DATA_UNKNOWN);
	ck_assert_uint_eq(m->ndmesg, 2);
	pmt_bhv_free(m);
	json_object_put(s);
}
END_TEST

/* The Markdown line of a row whose path column is @path. */
static char *md_row(const char *md, const char *block, const char *path)
{
	char head[64];
	const char *p = strstr(md, block), *end;

	ck_assert_ptr_nonnull(p);
	snprintf(head, sizeof(head), "| %s ", path);
	p = strstr(p, head);
	ck_assert_msg(p != NULL, "no row %s", path);
	end = strchr(p, '\n');
	return strndup(p, (size_t)(end - p));
}

START_TEST(markdown)
{
	struct json_object *s = summary();
	struct pmt_bhv_model *m = pmt_bhv_build(&s, 1);
	char *md = pmt_bhv_markdown(m), *row;

	ck_assert_ptr_nonnull(md);
	/* Header: device fs per column, then the block's own modes. */
	ASSERT_HAS(md,
		   "| scenario ",
		   "| virtio-pmem ext4 ",
		   "| nvdimm xfs ",
		   "| **badblocks** | *mode* ");
	row = md_row(md, "**badblocks**", "read");
	ck_assert_ptr_nonnull(strstr(row, "| ✓ EIO [1] "));
	free(row);
	row = md_row(md, "**badblocks**", "mmap_load");
	ck_assert_ptr_nonnull(strstr(row, "| ✗ ok ["));
	free(row);
	row = md_row(md, "**badblocks**", "write");
	ASSERT_HAS(row, "| ? ok / EIO [", "| ? EFAULT [");
	free(row);
	/* A '|' in a cell is escaped, or it would split the cell. */
	ck_assert_ptr_nonnull(strstr(md, "| odd\\|path "));
	row = md_row(md, "**badblocks**", "data after recovery");
	ASSERT_HAS(row, "| BAD ", "| unreadable ");
	free(row);
	row = md_row(md, "**mce**", "panic");
	ck_assert_ptr_nonnull(strstr(row, "| PANIC "));
	free(row);
	row = md_row(md, "**mce**", "guest");
	ck_assert_ptr_nonnull(strstr(row, "| ✗ panic ["));
	free(row);
	row = md_row(md, "**mce**", "verdict");
	ASSERT_HAS(row, "| SKIP ", "| FAIL ");
	free(row);
	/* Every row has as many cells as the header: 2 + 8 columns. */
	for (const char *p = strstr(md, "| scenario"); p && *p == '|'; p = strchr(p, '\n') + 1) {
		int bars = 0;

		for (const char *q = p; *q != '\n'; q++)
			bars += *q == '|' && q[-1] != '\\';
		ck_assert_int_eq(bars, 11);
	}
	/* Below the table: dmesg lines and the reasons. */
	ASSERT_HAS(md,
		   "- d1 badblocks virtio-pmem ext4 nodax: "
		   "`Buffer I/O error on dev pmem0, <script>x</script>`",
		   "- [1] badblocks, expected `errno=EIO`: pmem_do_read() fails\n",
		   "expected `signal=SIGBUS/BUS_ADRERR`: filemap_fault fails|or not",
		   "- hosthwpoison:nvdimm:xfs SKIP: host kernel lacks");
	ck_assert_ptr_null(strstr(md, "mapsync"));
	free(md);
	pmt_bhv_free(m);
	json_object_put(s);
}
END_TEST

START_TEST(html)
{
	struct json_object *s = summary();
	struct pmt_bhv_model *m = pmt_bhv_build(&s, 1);
	char *h = pmt_bhv_html(m);

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "<!DOCTYPE html>"));
	/* Self-contained, and what a guest printed is text, never markup. */
	ASSERT_LACKS(h, "src=", "<link", "http", "<script");
	ASSERT_HAS(h,
		   "&lt;script&gt;x&lt;/script&gt;",
		   "<th colspan=\"4\">virtio-pmem</th><th colspan=\"4\">nvdimm</th>",
		   "<th colspan=\"2\">ext4</th><th colspan=\"2\">xfs</th>",
		   "<td class=\"m-ok\" title=\"errno=EIO\">✓ EIO "
		   "<sup><a href=\"#n1\">[1]</a></sup></td>",
		   "<td class=\"m-bad\" title=\"ok\">✗ ok",
		   "<td class=\"panic\">PANIC</td>",
		   "<li id=\"n1\">[1] badblocks, expected <code>errno=EIO</code>",
		   "<td class=\"v-FAIL\">FAIL</td>");
	free(h);
	pmt_bhv_free(m);
	json_object_put(s);
}
END_TEST

START_TEST(empty_and_write)
{
	struct json_object *none = parse("{\"run_id\":\"r0\",\"cases\":[{\"id\":\"mapsync:nvdimm:xfs\","
					 "\"verdict\":\"PASS\",\"details\":{}}]}");
	struct json_object *s = summary();
	struct pmt_bhv_model *m = pmt_bhv_build(&none, 1);
	char dir[] = "/tmp/test_behaviour.XXXXXX", path[PATH_MAX], err[256];
	char *md = pmt_bhv_markdown(m);

	ck_assert(!pmt_bhv_any(none));
	ck_assert(pmt_bhv_any(s));
	ck_assert_ptr_nonnull(strstr(md, "No case recorded behaviour observations"));
	free(md);
	pmt_bhv_free(m);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* After a run: nothing written when no case observed anything. */
	ck_assert_int_eq(pmt_bhv_write(dir, &none, 1, true, NULL, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/behaviour.md", dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(pmt_bhv_write(dir, &s, 1, true, NULL, err, sizeof(err)), 1);
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/behaviour.html", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
	ck_assert_int_eq(pmt_bhv_write("/nonexistent/dir", &s, 1, true, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot write the behaviour report in /nonexistent/dir"));
	json_object_put(none);
	json_object_put(s);
}
END_TEST

START_TEST(take_switch)
{
	char *a[] = { "pmtorture", "report", "-o", "x", "--behaviour", "d1", "--", "--behaviour", NULL };
	char *b[] = { "pmtorture", "run", "--behaviour", NULL };
	int argc = 8, bargc = 3;

	ck_assert(pmt_report_take_behaviour(&argc, a));
	ck_assert_int_eq(argc, 7);
	ck_assert_str_eq(a[4], "d1");
	/* After "--" it is a folder name. */
	ck_assert_str_eq(a[6], "--behaviour");
	ck_assert_ptr_null(a[7]);
	/* Only report has it: run's parser refuses it as usual. */
	ck_assert(!pmt_report_take_behaviour(&bargc, b));
	ck_assert_int_eq(bargc, 3);
}
END_TEST

PMT_CHECK_MAIN("behaviour", NULL, model_axes, model_cells, markdown, html,
	       empty_and_write, take_switch);
