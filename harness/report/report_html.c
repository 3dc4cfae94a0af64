// SPDX-License-Identifier: MIT
/*
 * Every piece of text from a summary goes through esc(): reasons and
 * details hold what a guest printed, and a report must not run it.  Links
 * are percent-encoded, then escaped.  The script is constant text.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "kernel_view.h"
#include "report_html.h"
#include "text.h"
#include "util.h"
#include "verdict.h"

/* Files a case folder holds (results.h), linked from its drill-down. */
static const char *const case_files[] = {
	"console.log", "dmesg.txt", "qmp.log", "qemu-cmdline.txt", "agent.log", "qemu.log",
	"case.json",
};

static const char *const verdicts[] = { "PASS", "FAIL", "BROK", "SKIP", "XFAIL" };

static const char style[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
	"h1{font-size:1.4em;margin-bottom:.2em}\n"
	".meta{color:#555;margin-bottom:1em}\n"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
	"th,td{border:1px solid #bbb;padding:.3em .6em;text-align:center}\n"
	"th.row{text-align:left}\n"
	"th.kernel{background:#e8eaf6;border-bottom:2px solid #3949ab}\n"
	"td.cell a{color:inherit;text-decoration:none;display:block}\n"
	PMT_HTML_VERDICT_CSS
	".v-none{background:#f4f4f4;color:#999}\n"
	".chip{padding:0 .4em;border-radius:3px;font-weight:bold}\n"
	".bl{display:block;font-size:.75em;font-weight:normal}\n"
	".wl{display:block;font-size:.7em;font-weight:normal;white-space:nowrap}\n"
	"td.cell a+a{border-top:1px solid rgba(255,255,255,.5)}\n"
	".bl-NEW-FAIL{outline:3px solid #000}\n"
	"details.case{border:1px solid #ccc;margin:.3em 0;padding:.3em .6em}\n"
	"details.case[open]{background:#fafafa}\n"
	"summary{cursor:pointer}\n"
	"pre{background:#f0f0f0;padding:.5em;overflow-x:auto;white-space:pre-wrap}\n"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\n"
	"dt{font-weight:bold}dd{margin:0}\n"
	"svg.tl{display:block;width:100%;max-width:1000px;height:auto;background:#fff;"
	"border:1px solid #ddd}\n"
	".tl text{font:10px system-ui,sans-serif;fill:#333}\n"
	".tl-cap{color:#555;font-size:.9em;margin:.2em 0 1em}\n"
	".interrupted{background:#fff3e0;border-left:4px solid #ef6c00;padding:.4em .8em}\n";

/* Open the case a grid cell or a #cN link points at. */
static const char script[] =
	"function pmtOpen(){var h=location.hash.slice(1);var d=h&&document.getElementById(h);"
	"if(d&&d.tagName==='DETAILS'){d.open=true;d.scrollIntoView();}}\n"
	"window.addEventListener('hashchange',pmtOpen);pmtOpen();\n"
	"function pmtAll(o){document.querySelectorAll('details.case').forEach("
	"function(d){d.open=o;});}\n";

void pmt_html_escape(FILE *f, const char *s)
{
	pmt_xml_escape(f, s);
}

#define esc pmt_html_escape

/* A relative link: percent-encode all but unreserved characters and '/'. */
static void url(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~/", ch))
			fputc(ch, f);
		else
			fprintf(f, "%%%02X", ch);
	}
}

/* A verdict as a CSS class suffix: only known names reach the class attribute. */
static const char *vclass(const char *verdict)
{
	for (size_t i = 0; i < ARRAY_SIZE(verdicts); i++)
		if (!strcmp(verdict, verdicts[i]))
			return verdicts[i];
	return "other";
}

/* An ordered set of strings borrowed from the summary. */
struct strs {
	const char **v;
	size_t n;
};

static void strs_add(struct strs *s, const char *x)
{
	const char **v;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return;
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return;
	s->v = v;
	s->v[s->n++] = x;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct json_object *cases_of(struct json_object *summary)
{
	struct json_object *cases;

	if (!json_object_object_get_ex(summary, "cases", &cases) ||
	    !json_object_is_type(cases, json_type_array))
		return NULL;
	return cases;
}

static size_t ncases(struct json_object *summary)
{
	struct json_object *cases = cases_of(summary);

	return cases ? json_object_array_length(cases) : 0;
}

static struct json_object *case_at(struct json_object *summary, size_t i)
{
	return json_object_array_get_idx(cases_of(summary), i);
}

static void chip(FILE *f, const char *verdict)
{
	fprintf(f, "<span class=\"chip v-%s\">", vclass(verdict));
	esc(f, verdict);
	fputs("</span>", f);
}

/* A baseline class worth showing: the ones that are not just the verdict. */
static const char *baseline_mark(struct json_object *c)
{
	const char *b = pmt_json_str(c, "baseline");

	if (!strcmp(b, "NEW-FAIL") || !strcmp(b, "STILL-FAILING") || !strcmp(b, "FIXED"))
		return b;
	return NULL;
}

/*
 * An interrupted run says so first, and names each case it did not finish:
 * they have no verdict, so they are neither in the counts nor in the grid.
 */
static void interrupted(FILE *f, struct json_object *s)
{
	struct json_object *intr, *not_run = json_object_object_get(s, "not_run");
	size_t nr = json_object_is_type(not_run, json_type_array)
		    ? json_object_array_length(not_run) : 0;

	if (!json_object_object_get_ex(s, "interrupted", &intr))
		return;
	fputs("<div class=\"interrupted\"><p><b>Interrupted by ", f);
	esc(f, pmt_json_str(intr, "signal"));
	fprintf(f, "</b>: %zu of %zu cases finished; %zu not run.</p>\n",
		ncases(s), ncases(s) + nr, nr);
	if (nr) {
		fputs("<p>Not run:</p>\n<ul class=\"not-run\">\n", f);
		for (size_t i = 0; i < nr; i++) {
			struct json_object *c = json_object_array_get_idx(not_run, i);

			fputs("<li>", f);
			esc(f, pmt_json_str(c, "id"));
			fputs(" &mdash; ", f);
			esc(f, pmt_json_str(c, "reason"));
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("</div>\n", f);
}

static void header(FILE *f, struct json_object *s)
{
	struct json_object *props = json_object_object_get(s, "properties"), *counts, *bl;
	/* The four a reader needs to trust a verdict, shown even when unknown. */
	static const struct { const char *key, *label; bool always; } meta[] = {
		{ "kernel", "kernel", true }, { "qemu", "QEMU", true }, { "accel", "accel", true },
		{ "seed", "seed", true }, { "plan", "plan", false },
	};

	fputs("<h1>pmtorture run ", f);
	esc(f, pmt_json_str(s, "run_id"));
	fputs("</h1>\n<div class=\"meta\">", f);
	for (size_t i = 0; i < ARRAY_SIZE(meta); i++) {
		const char *v = pmt_json_str(props, meta[i].key);

		if (!*v && !meta[i].always)
			continue;
		fprintf(f, "%s%s <b>", i ? " &middot; " : "", meta[i].label);
		esc(f, *v ? v : "?");
		fputs("</b>", f);
	}
	fputs("</div>\n<p>", f);
	counts = json_object_object_get(s, "counts");
	for (size_t i = 0; i < ARRAY_SIZE(verdicts); i++) {
		chip(f, verdicts[i]);
		fprintf(f, " %d &nbsp; ", pmt_json_int(counts, verdicts[i], 0));
	}
	fputs("</p>\n", f);
	interrupted(f, s);
	if (json_object_object_get_ex(s, "baseline", &bl) && json_object_is_type(bl, json_type_object) &&
	    json_object_is_type(json_object_object_get(bl, "counts"), json_type_object)) {
		fputs("<p>baseline: ", f);
		esc(f, pmt_json_str(bl, "run_id"));
		json_object_object_foreach(json_object_object_get(bl, "counts"), cls, val) {
			fputs(", ", f);
			esc(f, cls);
			fprintf(f, " %d", json_object_get_int(val));
		}
		fputs("</p>\n", f);
	}
	if (props && json_object_is_type(props, json_type_object)) {
		fputs("<details><summary>all properties</summary><dl>\n", f);
		json_object_object_foreach(props, key, val) {
			fputs("<dt>", f);
			esc(f, key);
			fputs("</dt><dd>", f);
			esc(f, json_object_get_string(val));
			fputs("</dd>\n", f);
		}
		fputs("</dl></details>\n", f);
	}
}

/*
 * The kernel a case ran on, for the grid's column groups: its "kernel"
 * (issue 9), "" when the run had one kernel (the properties say which).
 */
static const char *grid_kernel(struct json_object *c, bool multi)
{
	return multi ? pmt_json_str(c, "kernel") : "";
}

/*
 * A power-cut case's broken crash states, "19 of 127 crash states broken
 * at 16 of 43 points: journal-checksum 19", then @sep; nothing for others.
 */
static void broken_counts(FILE *f, struct json_object *c, const char *sep)
{
	struct json_object *d = json_object_object_get(c, "details");
	struct json_object *b = json_object_object_get(d, "broken"), *kinds;
	struct json_object *min = json_object_object_get(d, "minimal");
	char text[512];
	size_t o;

	if (!b)
		return;
	o = (size_t)snprintf(text, sizeof(text), "%lld of %lld crash states broken at %lld of %lld "
			     "points", (long long)pmt_json_int64(b, "states", 0),
			     (long long)pmt_json_int64(d, "states", 0),
			     (long long)pmt_json_int64(b, "points", 0),
			     (long long)pmt_json_int64(d, "points", 0));
	if (json_object_object_get_ex(b, "kinds", &kinds)) {
		const char *lead = ": ";

		json_object_object_foreach(kinds, k, v) {
			if (o < sizeof(text))
				o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s %lld", lead, k,
						      (long long)json_object_get_int64(v));
			lead = ", ";
		}
	}
	if (min && pmt_json_int64(min, "pages_after", -1) >= 0 && o < sizeof(text))
		snprintf(text + o, sizeof(text) - o, "; minimal state %lld of %lld pages",
			 (long long)pmt_json_int64(min, "pages_after", 0),
			 (long long)pmt_json_int64(min, "pages_before", 0));
	esc(f, text);
	fputs(sep, f);
}

/*
 * Which case of a cell a verdict is: its workload or mode (variant), else
 * its plan section, and its repeat; and a failing power cut's broken
 * states, "19/127".  A cell stacks several cases.
 */
static void cell_label(FILE *f, struct json_object *c)
{
	struct json_object *b = json_object_object_get(json_object_object_get(c, "details"),
						       "broken");
	const char *what = pmt_json_str(c, "variant");

	if (!*what)
		what = pmt_json_str(c, "section");
	if (!*what && !b && pmt_json_int(c, "repeat", 1) <= 1)
		return;
	fputs("<span class=\"wl\">", f);
	esc(f, what);
	if (pmt_json_int(c, "repeat", 1) > 1)
		fprintf(f, " #%d", pmt_json_int(c, "repeat", 1));
	if (b)
		fprintf(f, " %lld/%lld", (long long)pmt_json_int64(b, "states", 0),
			(long long)pmt_json_int64(json_object_object_get(c, "details"), "states", 0));
	fputs("</span>", f);
}

/* Does case @c belong in the cell (scenario, kernel, device, fs)? */
static bool in_cell(struct json_object *c, bool multi, const char *scen, const char *ker,
		    const char *dev, const char *fs)
{
	return (!scen || !strcmp(pmt_json_str(c, "scenario"), scen)) &&
	       !strcmp(grid_kernel(c, multi), ker) && !strcmp(pmt_json_str(c, "device"), dev) &&
	       !strcmp(pmt_json_str(c, "fs"), fs);
}

/*
 * The matrix's names and the columns some case fills, shared by its
 * header and its rows.  Column col is kernel col / (ndev * nfs), device
 * col / nfs % ndev, fs col % nfs.
 */
struct grid {
	struct json_object *s;
	struct strs scen, ker, dev, fs;
	bool multi;		/* more than one kernel: a row of kernel groups */
	size_t ncol;
	bool *used;		/* per column: some case is in it */
};

static const char *col_kernel(const struct grid *g, size_t col)
{
	return g->ker.v[col / (g->dev.n * g->fs.n)];
}

static const char *col_dev(const struct grid *g, size_t col)
{
	return g->dev.v[col / g->fs.n % g->dev.n];
}

static const char *col_fs(const struct grid *g, size_t col)
{
	return g->fs.v[col % g->fs.n];
}

static void grid_free(struct grid *g)
{
	free(g->scen.v);
	free(g->ker.v);
	free(g->dev.v);
	free(g->fs.v);
	free(g->used);
}

/* Collect the names and the used columns; 0, or -1 out of memory (free @g then). */
static int grid_build(struct grid *g, struct json_object *s)
{
	size_t n = ncases(s);

	memset(g, 0, sizeof(*g));
	g->s = s;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = case_at(s, i);

		strs_add(&g->scen, pmt_json_str(c, "scenario"));
		strs_add(&g->dev, pmt_json_str(c, "device"));
		strs_add(&g->fs, pmt_json_str(c, "fs"));
	}
	/* Kernel groups oldest first, whatever order the cases finished in. */
	g->ker.v = calloc(n + 1, sizeof(*g->ker.v));
	if (!g->ker.v)
		return -1;
	g->ker.n = pmt_kernel_view_kernels(cases_of(s), g->ker.v, n);
	g->multi = g->ker.n > 1;
	if (!g->multi) {
		g->ker.v[0] = "";
		g->ker.n = 1;
	}
	/* A kernel x device x fs column no case has is left out. */
	g->ncol = g->ker.n * g->dev.n * g->fs.n;
	g->used = calloc(g->ncol + 1, sizeof(*g->used));
	if (!g->used)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (size_t col = 0; col < g->ncol; col++)
			if (in_cell(case_at(s, i), g->multi, NULL, col_kernel(g, col),
				    col_dev(g, col), col_fs(g, col)))
				g->used[col] = true;
	return 0;
}

/* One <th> spanning the used columns among [@from, @to), none when none is used. */
static void grid_group_th(FILE *f, const struct grid *g, size_t from, size_t to,
			  const char *class, const char *name)
{
	int span = 0;

	for (size_t col = from; col < to; col++)
		span += g->used[col];
	if (!span)
		return;
	fprintf(f, "<th colspan=\"%d\"%s>", span, class);
	esc(f, name);
	fputs("</th>", f);
}

/* The header rows: kernel groups (with more than one kernel), devices, filesystems. */
static void grid_header(FILE *f, const struct grid *g)
{
	size_t per_kernel = g->dev.n * g->fs.n;

	fprintf(f, "<h2>Matrix</h2>\n<table class=\"grid\">\n<tr><th rowspan=\"%d\">scenario</th>",
		g->multi ? 3 : 2);
	if (g->multi) {
		for (size_t k = 0; k < g->ker.n; k++)
			grid_group_th(f, g, k * per_kernel, (k + 1) * per_kernel,
				      " class=\"kernel\"", g->ker.v[k]);
		fputs("</tr>\n<tr>", f);
	}
	for (size_t col = 0; col < g->ncol; col += g->fs.n)
		grid_group_th(f, g, col, col + g->fs.n, "", col_dev(g, col));
	fputs("</tr>\n<tr>", f);
	for (size_t col = 0; col < g->ncol; col++) {
		if (!g->used[col])
			continue;
		fputs("<th>", f);
		esc(f, col_fs(g, col));
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
}

/* One case's link in a cell: its verdict, label and baseline mark. */
static void grid_case_link(FILE *f, struct json_object *c, size_t i)
{
	const char *mark = baseline_mark(c);

	fprintf(f, "<a href=\"#c%zu\" title=\"", i);
	esc(f, pmt_json_str(c, "id"));
	fputs(": ", f);
	broken_counts(f, c, "\n");
	esc(f, pmt_json_str(c, "reason"));
	fputs("\">", f);
	esc(f, pmt_json_str(c, "verdict"));
	cell_label(f, c);
	if (mark) {
		fprintf(f, "<span class=\"bl bl-%s\">", mark);
		esc(f, mark);
		fputs("</span>", f);
	}
	fputs("</a>", f);
}

/* The cell of scenario @scen in column @col: coloured by its worst case, a link each. */
static void grid_cell(FILE *f, const struct grid *g, const char *scen, size_t col)
{
	const char *worst = NULL, *k = col_kernel(g, col), *d = col_dev(g, col);
	const char *fsn = col_fs(g, col);
	size_t n = ncases(g->s);

	/* Repeats share a cell. */
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = case_at(g->s, i);
		const char *v = pmt_json_str(c, "verdict");

		if (in_cell(c, g->multi, scen, k, d, fsn) &&
		    (!worst || pmt_verdict_severity_name(v) > pmt_verdict_severity_name(worst)))
			worst = v;
	}
	if (!worst) {
		fputs("<td class=\"cell v-none\">&ndash;</td>", f);
		return;
	}
	fprintf(f, "<td class=\"cell v-%s\">", vclass(worst));
	for (size_t i = 0; i < n; i++)
		if (in_cell(case_at(g->s, i), g->multi, scen, k, d, fsn))
			grid_case_link(f, case_at(g->s, i), i);
	fputs("</td>", f);
}

/*
 * Rows: scenario.  Columns: device x fs, in the order cases came; with
 * more than one kernel, one group of those columns per kernel, so what
 * differs between kernels shows side by side.
 */
static void grid(FILE *f, struct json_object *s)
{
	struct grid g;

	if (!grid_build(&g, s)) {
		grid_header(f, &g);
		for (size_t r = 0; r < g.scen.n; r++) {
			fputs("<tr><th class=\"row\">", f);
			esc(f, g.scen.v[r]);
			fputs("</th>", f);
			for (size_t col = 0; col < g.ncol; col++)
				if (g.used[col])
					grid_cell(f, &g, g.scen.v[r], col);
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	grid_free(&g);
}

static void pre_json(FILE *f, struct json_object *o)
{
	fputs("<pre>", f);
	esc(f, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
	fputs("</pre>\n", f);
}

/*
 * The timeline of a powercut case (details.timeline, scenarios/powercut.c):
 * host flushes, promises and checked crash points on one axis of flush
 * counts, first..last.  Every number is the guest's or the harness's word:
 * only JSON integers count, clamped to [-1, TL_LIMIT] so no arithmetic
 * overflows; anything else is skipped.  The axis is cut into at most
 * TL_COLS columns, so the picture's size does not grow with the input.
 */
#define TL_LIMIT	(1LL << 50)
#define TL_COLS		320		/* 2 units of the 640-wide plot each, at least */
#define TL_FAILS	3		/* failing states named per column */
#define TL_X0		70.0
#define TL_W		640.0

/* Host flush actions, mildest first; anything unknown counts as failed. */
static const char *const fl_names[] = { "recorded", "lied", "dropped", "failed" };
static const char *const fl_fill[] = { "#90a4ae", "#ef6c00", "#8e24aa", "#212121" };

struct tl_col {
	long long flushes, pages, top_pages, act[ARRAY_SIZE(fl_names)];
	long long promises, op_lo, op_hi;
	long long points, states, broken;
	struct json_object *fail[TL_FAILS];
	long long nfail;
};

struct tl {
	long long lo, hi, span;		/* the axis: flush counts lo..hi */
	size_t ncols;
	struct tl_col *col;
	long long flushes, outside, act[ARRAY_SIZE(fl_names)];
	long long promises, points, bad_points;
};

static long long sat_add(long long a, long long b)
{
	return a > LLONG_MAX - b ? LLONG_MAX : a + b;
}

/*
 * Element @k of JSON array @a, clamped to [-1, TL_LIMIT], into *@v.  False
 * when @a is not an array or the element is not an integer.
 */
static bool tl_int(struct json_object *a, size_t k, long long *v)
{
	struct json_object *o;
	long long x;

	if (!json_object_is_type(a, json_type_array) || k >= json_object_array_length(a))
		return false;
	o = json_object_array_get_idx(a, k);
	if (!json_object_is_type(o, json_type_int))
		return false;
	x = json_object_get_int64(o);
	*v = x < 0 ? -1 : x > TL_LIMIT ? TL_LIMIT : x;
	return true;
}

/* The column flush count @n falls in, or NULL when it is off the axis. */
static struct tl_col *tl_at(struct tl *t, long long n)
{
	if (n < t->lo || n > t->hi)
		return NULL;
	return &t->col[(size_t)((n - t->lo) * (long long)t->ncols / t->span)];
}

/* The first flush count column @i covers (i == ncols: one past the last). */
static long long tl_start(const struct tl *t, size_t i)
{
	return t->lo + ((long long)i * t->span + (long long)t->ncols - 1) / (long long)t->ncols;
}

/* "flush 37" or "flushes 30-35": what column @i covers, after @what. */
static void tl_range(FILE *f, const struct tl *t, size_t i, const char *one, const char *many)
{
	long long a = tl_start(t, i), b = tl_start(t, i + 1) - 1;

	if (a == b)
		fprintf(f, "%s %lld", one, a);
	else
		fprintf(f, "%s %lld&#8211;%lld", many, a, b);
}

static int bits(long long x)
{
	int n = 0;

	for (; x > 0; x >>= 1)
		n++;
	return n;
}

/* The length of @arr, 0 when it is not an array (a summary may hold anything). */
static size_t tl_len(struct json_object *arr)
{
	return json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

/* Host flushes [flush, pages, action]: counted per column and per action. */
static void tl_add_flushes(struct tl *t, struct json_object *fl)
{
	struct json_object *e;
	long long a, b;

	for (size_t k = 0; k < tl_len(fl); k++) {
		const char *action;
		size_t act = ARRAY_SIZE(fl_names) - 1;
		struct tl_col *c;

		e = json_object_array_get_idx(fl, k);
		if (!tl_int(e, 0, &a) || !tl_int(e, 1, &b))
			continue;
		action = json_object_get_string(json_object_array_get_idx(e, 2));
		for (size_t j = 0; action && j < ARRAY_SIZE(fl_names) - 1; j++)
			if (!strcmp(action, fl_names[j]))
				act = j;
		t->flushes++;
		t->act[act]++;
		c = tl_at(t, a);
		if (!c) {
			t->outside++;
			continue;
		}
		b = b < 0 ? 0 : b;
		c->flushes++;
		c->act[act]++;
		c->pages = sat_add(c->pages, b);
		if (b > c->top_pages)
			c->top_pages = b;
	}
}

/* Promises [op, flush]: the range of ops promised at each column. */
static void tl_add_promises(struct tl *t, struct json_object *pr)
{
	struct json_object *e;
	long long a, b;

	for (size_t k = 0; k < tl_len(pr); k++) {
		struct tl_col *c;

		e = json_object_array_get_idx(pr, k);
		if (!tl_int(e, 0, &a) || !tl_int(e, 1, &b))
			continue;
		t->promises++;
		c = tl_at(t, b);
		if (!c) {
			t->outside++;
			continue;
		}
		if (!c->promises++ || a < c->op_lo)
			c->op_lo = a;
		if (a > c->op_hi)
			c->op_hi = a;
	}
}

/* Points checked [flush, states, broken]: summed per column. */
static void tl_add_points(struct tl *t, struct json_object *pt)
{
	struct json_object *e;
	long long x, a, b;

	for (size_t k = 0; k < tl_len(pt); k++) {
		struct tl_col *c;

		e = json_object_array_get_idx(pt, k);
		if (!tl_int(e, 0, &x) || !tl_int(e, 1, &a) || !tl_int(e, 2, &b))
			continue;
		c = tl_at(t, x);
		if (!c) {
			t->outside++;
			continue;
		}
		t->points++;
		t->bad_points += b > 0;
		c->points++;
		c->states = sat_add(c->states, a < 0 ? 0 : a);
		c->broken = sat_add(c->broken, b < 0 ? 0 : b);
	}
}

/* Failing states are named "p<point>-...": the point's tooltip names them. */
static void tl_add_failures(struct tl *t, struct json_object *failures)
{
	for (size_t k = 0; k < tl_len(failures); k++) {
		const char *st = pmt_json_str(json_object_array_get_idx(failures, k), "state");
		struct tl_col *c;
		long long x;
		char *end;

		if (st[0] != 'p' || st[1] < '0' || st[1] > '9')
			continue;
		errno = 0;
		x = strtoll(st + 1, &end, 10);
		if (errno || *end != '-' || !(c = tl_at(t, x)))
			continue;
		if (c->nfail < TL_FAILS)
			c->fail[c->nfail] = json_object_array_get_idx(failures, k);
		c->nfail++;
	}
}

/* Sort the timeline's three lists into columns; false if there is no timeline. */
static bool tl_fill(struct tl *t, struct json_object *tl, struct json_object *failures)
{
	long long first, last;

	if (!json_object_is_type(tl, json_type_object) ||
	    !json_object_is_type(json_object_object_get(tl, "first"), json_type_int) ||
	    !json_object_is_type(json_object_object_get(tl, "last"), json_type_int))
		return false;
	first = pmt_json_int64(tl, "first", -1);
	last = pmt_json_int64(tl, "last", -1);
	if (first < 0 || last < first || last > TL_LIMIT)
		return false;
	t->lo = first;
	t->hi = last;
	t->span = last - first + 1;
	t->ncols = t->span < TL_COLS ? (size_t)t->span : TL_COLS;
	t->col = calloc(t->ncols, sizeof(*t->col));
	if (!t->col)
		return false;
	tl_add_flushes(t, json_object_object_get(tl, "flushes"));
	tl_add_promises(t, json_object_object_get(tl, "promises"));
	tl_add_points(t, json_object_object_get(tl, "points"));
	tl_add_failures(t, failures);
	return true;
}

/* At most @max bytes of @s, escaped, not cutting a UTF-8 sequence. */
static void esc_cut(FILE *f, const char *s, size_t max)
{
	size_t n = strlen(s);
	char *cut;

	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	cut = strndup(s, n);
	esc(f, cut ? cut : "");
	if (cut && n < strlen(s))
		fputs("&#8230;", f);
	free(cut);
}

static void tl_flush_tip(FILE *f, const struct tl *t, size_t i)
{
	const struct tl_col *c = &t->col[i];

	tl_range(f, t, i, "flush", "flushes");
	if (c->flushes == 1)
		fprintf(f, ": %lld pages", c->pages);
	else
		fprintf(f, ": %lld host flushes, %lld pages", c->flushes, c->pages);
	for (size_t j = 1; j < ARRAY_SIZE(fl_names); j++)
		if (c->act[j])
			fprintf(f, ", %lld %s", c->act[j], fl_names[j]);
}

static void tl_point_tip(FILE *f, const struct tl *t, size_t i)
{
	const struct tl_col *c = &t->col[i];

	tl_range(f, t, i, "point", "points");
	if (!c->points) {
		fputs(": not checked", f);
		return;
	}
	if (tl_start(t, i + 1) - tl_start(t, i) > 1 || c->points > 1)
		fprintf(f, ": %lld checked,", c->points);
	else
		fputc(':', f);
	fprintf(f, " %lld states, %lld broken", c->states, c->broken);
	for (long long k = 0; k < c->nfail && k < TL_FAILS; k++) {
		fputs("\n", f);
		esc(f, pmt_json_str(c->fail[k], "state"));
		fputs(" ", f);
		esc(f, pmt_json_str(c->fail[k], "kind"));
		fputs(": ", f);
		esc_cut(f, pmt_json_str(c->fail[k], "text"), 120);
	}
	if (c->nfail > TL_FAILS)
		fprintf(f, "\n%lld more", c->nfail - TL_FAILS);
}

/* The legend's swatches: a fill and its label. */
static void tl_legend(FILE *f)
{
	static const struct { const char *fill, *label; bool diamond; } items[] = {
		{ "#90a4ae", "flush (height: pages, log)" }, { "#ef6c00", "lied" },
		{ "#8e24aa", "dropped" }, { "#212121", "failed" },
		{ "#1565c0", "promise", true }, { "#2e7d32", "point: all states held" },
		{ "#c62828", "some broken" }, { "#e0e0e0", "not checked" },
	};
	double x = 4;

	for (size_t k = 0; k < ARRAY_SIZE(items); k++) {
		if (items[k].diamond)
			fprintf(f, "<polygon points=\"%.1f,108 %.1f,112 %.1f,116 %.1f,112\" fill=\"%s\"/>",
				x + 4, x + 8, x + 4, x, items[k].fill);
		else
			fprintf(f, "<rect x=\"%.1f\" y=\"107\" width=\"8\" height=\"10\" fill=\"%s\"/>",
				x, items[k].fill);
		fprintf(f, "<text x=\"%.1f\" y=\"116\">%s</text>\n", x + 11, items[k].label);
		x += 18 + 5.5 * (double)strlen(items[k].label);
	}
}

/*
 * An inline SVG of @details.timeline, and a line of totals under it.
 * Writes nothing and returns false when there is no (usable) timeline.
 * Long because it writes one SVG in drawing order, a block per kind of mark; the caption
 * under it could be its own function.
 */
static bool timeline(FILE *f, struct json_object *details)
{
	struct tl t = { 0 };
	struct json_object *tl = NULL;
	bool drawn = false;
	double cw;
	int maxbits = 1;

	if (!json_object_is_type(details, json_type_object) ||
	    !json_object_object_get_ex(details, "timeline", &tl) ||
	    !tl_fill(&t, tl, json_object_object_get(details, "failures")))
		goto out;
	drawn = true;
	cw = TL_W / (double)t.ncols;
	for (size_t i = 0; i < t.ncols; i++)
		if (bits(t.col[i].top_pages) > maxbits)
			maxbits = bits(t.col[i].top_pages);

	fputs("<h4>timeline</h4>\n<svg class=\"tl\" viewBox=\"0 0 720 122\" role=\"img\" "
	      "aria-label=\"host flushes, promises and crash points by flush count\">\n"
	      "<text x=\"4\" y=\"38\">flushes</text><text x=\"4\" y=\"58\">promises</text>"
	      "<text x=\"4\" y=\"78\">points</text>\n"
	      "<line x1=\"70\" y1=\"40.5\" x2=\"710\" y2=\"40.5\" stroke=\"#ccc\"/>\n", f);
	for (size_t i = 0; i < t.ncols; i++) {
		const struct tl_col *c = &t.col[i];
		double x = TL_X0 + (double)i * cw, tw = cw >= 4 ? 2 : 1.2, h;
		size_t worst = 0;

		if (c->flushes) {
			for (size_t j = 0; j < ARRAY_SIZE(fl_names); j++)
				if (c->act[j])
					worst = j;
			h = 3 + 27.0 * bits(c->top_pages) / maxbits;
			if (worst && h < 15)
				h = 15;	/* a lie or a drop must catch the eye */
			fprintf(f, "<rect class=\"fl\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
				"height=\"%.2f\" fill=\"%s\"><title>", x + (cw - tw) / 2, 40 - h, tw,
				h, fl_fill[worst]);
			tl_flush_tip(f, &t, i);
			fputs("</title></rect>\n", f);
		}
		if (c->promises) {
			double cx = x + cw / 2;

			fprintf(f, "<polygon class=\"pr\" points=\"%.2f,50 %.2f,54 %.2f,58 %.2f,54\" "
				"fill=\"#1565c0\"><title>", cx, cx + 4, cx, cx - 4);
			if (c->promises == 1)
				fprintf(f, "promise op %lld in force from ", c->op_lo);
			else
				fprintf(f, "%lld promises (ops %lld&#8211;%lld) in force from ",
					c->promises, c->op_lo, c->op_hi);
			tl_range(f, &t, i, "flush", "flushes");
			fputs("</title></polygon>\n", f);
		}
		fprintf(f, "<rect class=\"pt %s\" x=\"%.2f\" y=\"66\" width=\"%.2f\" height=\"14\" "
			"fill=\"%s\"><title>", !c->points ? "nc" : c->broken ? "bad" : "ok", x,
			cw - (cw >= 4 ? 1 : 0.3),
			!c->points ? "#e0e0e0" : c->broken ? "#c62828" : "#2e7d32");
		tl_point_tip(f, &t, i);
		fputs("</title></rect>\n", f);
	}
	fprintf(f, "<text x=\"70\" y=\"94\">flush %lld</text>"
		"<text x=\"710\" y=\"94\" text-anchor=\"end\">flush %lld</text>\n", t.lo, t.hi);
	tl_legend(f);
	fputs("</svg>\n", f);

	fprintf(f, "<p class=\"tl-cap\">flush counts %lld&#8211;%lld", t.lo, t.hi);
	if (t.ncols < (size_t)t.span)
		fprintf(f, " (a mark covers up to %lld)", (t.span + (long long)t.ncols - 1) /
			(long long)t.ncols);
	fprintf(f, " &middot; %lld host flushes", t.flushes);
	for (size_t j = 1; j < ARRAY_SIZE(fl_names); j++)
		if (t.act[j])
			fprintf(f, ", %lld %s", t.act[j], fl_names[j]);
	fprintf(f, " &middot; %lld promises &middot; %lld of %lld points checked, %lld broken",
		t.promises, t.points, t.span, t.bad_points);
	if (t.outside)
		fprintf(f, " &middot; %lld entries outside the workload not drawn", t.outside);
	fputs("</p>\n", f);
out:
	free(t.col);
	return drawn;
}

/*
 * Long because it writes one case's HTML in page order, a few lines per part; the notes
 * list could be its own function.
 */
static void drilldown(FILE *f, struct json_object *c, size_t i)
{
	struct json_object *details = NULL, *notes = NULL, *repro = NULL;
	const char *dir = pmt_json_str(c, "dir"), *mark = baseline_mark(c);
	bool drawn;

	fprintf(f, "<details class=\"case\" id=\"c%zu\"><summary>", i);
	chip(f, pmt_json_str(c, "verdict"));
	fputs(" <b>", f);
	esc(f, pmt_json_str(c, "id"));
	fputs("</b> ", f);
	if (mark) {
		fputs("[", f);
		esc(f, mark);
		fputs("] ", f);
	}
	esc(f, pmt_json_str(c, "reason"));
	fputs("</summary>\n<dl>\n<dt>verdict</dt><dd>", f);
	esc(f, pmt_json_str(c, "verdict"));
	fputs("</dd>\n<dt>reason</dt><dd>", f);
	esc(f, pmt_json_str(c, "reason"));
	fputs("</dd>\n", f);
	if (*pmt_json_str(c, "baseline")) {
		fputs("<dt>baseline</dt><dd>", f);
		esc(f, pmt_json_str(c, "baseline"));
		fputs("</dd>\n", f);
	}
	fprintf(f, "<dt>time</dt><dd>%.1f s (boot %.1f s)</dd>\n", pmt_json_double(c, "duration_s"),
		pmt_json_double(c, "boot_s"));
	if (*dir) {
		fputs("<dt>files</dt><dd>", f);
		for (size_t k = 0; k < ARRAY_SIZE(case_files); k++) {
			fputs("<a href=\"", f);
			url(f, dir);
			fputc('/', f);
			url(f, case_files[k]);
			fputs("\">", f);
			esc(f, case_files[k]);
			fputs("</a> ", f);
		}
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n", f);

	json_object_object_get_ex(c, "details", &details);
	drawn = timeline(f, details);
	if (details && json_object_object_get_ex(details, "reproduce", &repro) && repro) {
		fputs("<h4>reproduce</h4>\n<pre>", f);
		esc(f, json_object_get_string(repro));
		fputs("</pre>\n", f);
	}
	if (json_object_object_get_ex(c, "notes", &notes) && json_object_is_type(notes, json_type_array) &&
	    json_object_array_length(notes)) {
		fputs("<h4>notes</h4>\n<ul>\n", f);
		for (size_t k = 0; k < json_object_array_length(notes); k++) {
			struct json_object *note = json_object_array_get_idx(notes, k);

			fputs("<li>", f);
			if (json_object_is_type(note, json_type_object)) {
				chip(f, pmt_json_str(note, "verdict"));
				fputs(" ", f);
				if (*pmt_json_str(note, "phase")) {
					esc(f, pmt_json_str(note, "phase"));
					fputs(": ", f);
				}
				esc(f, pmt_json_str(note, "text"));
			} else {
				esc(f, json_object_get_string(note));
			}
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	if (drawn) {
		/* The picture stands for the timeline's raw lists, thousands of rows long. */
		struct json_object *rest = json_object_new_object();

		json_object_object_foreach(details, key, val)
			if (strcmp(key, "timeline"))
				json_object_object_add(rest, key, json_object_get(val));
		fputs("<h4>details</h4>\n", f);
		pre_json(f, rest);
		json_object_put(rest);
	} else if (details) {
		fputs("<h4>details</h4>\n", f);
		pre_json(f, details);
	}
	fputs("</details>\n", f);
}

/* One row per case id of any run, one column per run. */
static void trend(FILE *f, struct json_object *const *s, size_t n)
{
	struct strs ids = { 0 };

	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < ncases(s[r]); i++)
			strs_add(&ids, pmt_json_str(case_at(s[r], i), "id"));
	if (ids.n)
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_str);

	fputs("<h2>Trend</h2>\n<table class=\"trend\">\n<tr><th>case</th>", f);
	for (size_t r = 0; r < n; r++) {
		fputs("<th>", f);
		esc(f, pmt_json_str(s[r], "run_id"));
		if (r == 0)
			fputs("<br>(this run)", f);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t k = 0; k < ids.n; k++) {
		fputs("<tr><th class=\"row\">", f);
		esc(f, ids.v[k]);
		fputs("</th>", f);
		for (size_t r = 0; r < n; r++) {
			const char *v = NULL;

			for (size_t i = 0; i < ncases(s[r]) && !v; i++)
				if (!strcmp(pmt_json_str(case_at(s[r], i), "id"), ids.v[k]))
					v = pmt_json_str(case_at(s[r], i), "verdict");
			if (!v) {
				fputs("<td class=\"v-none\">&ndash;</td>", f);
				continue;
			}
			fprintf(f, "<td class=\"v-%s\">", vclass(v));
			esc(f, v);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	free(ids.v);
}

char *pmt_report_html(struct json_object *const *summaries, size_t n)
{
	struct json_object *s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!summaries || n == 0 || !summaries[0])
		return NULL;
	s = summaries[0];
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>pmtorture ", f);
	esc(f, pmt_json_str(s, "run_id"));
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style);
	header(f, s);
	grid(f, s);
	fputs("<h2>Cases</h2>\n<p><button onclick=\"pmtAll(true)\">expand all</button> "
	      "<button onclick=\"pmtAll(false)\">collapse all</button></p>\n", f);
	for (size_t i = 0; i < ncases(s); i++)
		drilldown(f, case_at(s, i), i);
	if (n > 1)
		trend(f, summaries, n);
	fprintf(f, "<script>\n%s</script>\n</body>\n</html>\n", script);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
