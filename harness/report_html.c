// SPDX-License-Identifier: MIT
/*
 * Every piece of text from a summary goes through esc(): reasons and
 * details hold what a guest printed, and a report must not run it.  Links
 * are percent-encoded, then escaped.  The script is constant text.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "report_html.h"
#include "util.h"

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
	"td.cell a{color:inherit;text-decoration:none;display:block}\n"
	".v-PASS{background:#2e7d32;color:#fff}\n"
	".v-FAIL{background:#c62828;color:#fff}\n"
	".v-BROK{background:#d35400;color:#fff}\n"
	".v-SKIP{background:#9e9e9e;color:#fff}\n"
	".v-XFAIL{background:#6a1b9a;color:#fff}\n"
	".v-other{background:#444;color:#fff}\n"
	".v-none{background:#f4f4f4;color:#999}\n"
	".chip{padding:0 .4em;border-radius:3px;font-weight:bold}\n"
	".bl{display:block;font-size:.75em;font-weight:normal}\n"
	".bl-NEW-FAIL{outline:3px solid #000}\n"
	"details.case{border:1px solid #ccc;margin:.3em 0;padding:.3em .6em}\n"
	"details.case[open]{background:#fafafa}\n"
	"summary{cursor:pointer}\n"
	"pre{background:#f0f0f0;padding:.5em;overflow-x:auto;white-space:pre-wrap}\n"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\n"
	"dt{font-weight:bold}dd{margin:0}\n";

/* Open the case a grid cell or a #cN link points at. */
static const char script[] =
	"function pmtOpen(){var h=location.hash.slice(1);var d=h&&document.getElementById(h);"
	"if(d&&d.tagName==='DETAILS'){d.open=true;d.scrollIntoView();}}\n"
	"window.addEventListener('hashchange',pmtOpen);pmtOpen();\n"
	"function pmtAll(o){document.querySelectorAll('details.case').forEach("
	"function(d){d.open=o;});}\n";

void pmt_html_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
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

/* BROK > FAIL > SKIP > XFAIL > PASS, as pmt_case_verdict() ranks them. */
static int severity(const char *verdict)
{
	static const char *const order[] = { "PASS", "XFAIL", "SKIP", "FAIL", "BROK" };

	for (int i = 0; i < (int)ARRAY_SIZE(order); i++)
		if (!strcmp(verdict, order[i]))
			return i;
	return 5;
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

/* Rows: scenario.  Columns: device x fs, in the order cases came. */
static void grid(FILE *f, struct json_object *s)
{
	struct strs scen = { 0 }, dev = { 0 }, fs = { 0 };
	size_t n = ncases(s);
	bool *used;

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = case_at(s, i);

		strs_add(&scen, pmt_json_str(c, "scenario"));
		strs_add(&dev, pmt_json_str(c, "device"));
		strs_add(&fs, pmt_json_str(c, "fs"));
	}
	/* A device x fs pair no case has gets no column. */
	used = calloc(dev.n * fs.n + 1, sizeof(*used));
	if (!used)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = case_at(s, i);

		for (size_t d = 0; d < dev.n; d++)
			for (size_t k = 0; k < fs.n; k++)
				if (!strcmp(dev.v[d], pmt_json_str(c, "device")) &&
				    !strcmp(fs.v[k], pmt_json_str(c, "fs")))
					used[d * fs.n + k] = true;
	}

	fputs("<h2>Matrix</h2>\n<table class=\"grid\">\n<tr><th rowspan=\"2\">scenario</th>", f);
	for (size_t d = 0; d < dev.n; d++) {
		int span = 0;

		for (size_t k = 0; k < fs.n; k++)
			span += used[d * fs.n + k];
		if (!span)
			continue;
		fprintf(f, "<th colspan=\"%d\">", span);
		esc(f, dev.v[d]);
		fputs("</th>", f);
	}
	fputs("</tr>\n<tr>", f);
	for (size_t d = 0; d < dev.n; d++) {
		for (size_t k = 0; k < fs.n; k++) {
			if (!used[d * fs.n + k])
				continue;
			fputs("<th>", f);
			esc(f, fs.v[k]);
			fputs("</th>", f);
		}
	}
	fputs("</tr>\n", f);
	for (size_t r = 0; r < scen.n; r++) {
		fputs("<tr><th class=\"row\">", f);
		esc(f, scen.v[r]);
		fputs("</th>", f);
		for (size_t d = 0; d < dev.n; d++) {
			for (size_t k = 0; k < fs.n; k++) {
				const char *worst = NULL;

				if (!used[d * fs.n + k])
					continue;
				/* The cell's colour is its worst case (repeats share a cell). */
				for (size_t i = 0; i < n; i++) {
					struct json_object *c = case_at(s, i);
					const char *v = pmt_json_str(c, "verdict");

					if (!strcmp(pmt_json_str(c, "scenario"), scen.v[r]) &&
					    !strcmp(pmt_json_str(c, "device"), dev.v[d]) &&
					    !strcmp(pmt_json_str(c, "fs"), fs.v[k]) &&
					    (!worst || severity(v) > severity(worst)))
						worst = v;
				}
				if (!worst) {
					fputs("<td class=\"cell v-none\">&ndash;</td>", f);
					continue;
				}
				fprintf(f, "<td class=\"cell v-%s\">", vclass(worst));
				for (size_t i = 0; i < n; i++) {
					struct json_object *c = case_at(s, i);
					const char *mark = baseline_mark(c);

					if (strcmp(pmt_json_str(c, "scenario"), scen.v[r]) ||
					    strcmp(pmt_json_str(c, "device"), dev.v[d]) ||
					    strcmp(pmt_json_str(c, "fs"), fs.v[k]))
						continue;
					fprintf(f, "<a href=\"#c%zu\" title=\"", i);
					esc(f, pmt_json_str(c, "id"));
					fputs(": ", f);
					esc(f, pmt_json_str(c, "reason"));
					fputs("\">", f);
					esc(f, pmt_json_str(c, "verdict"));
					if (mark) {
						fprintf(f, "<span class=\"bl bl-%s\">", mark);
						esc(f, mark);
						fputs("</span>", f);
					}
					fputs("</a>", f);
				}
				fputs("</td>", f);
			}
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
out:
	free(used);
	free(scen.v);
	free(dev.v);
	free(fs.v);
}

static void pre_json(FILE *f, struct json_object *o)
{
	fputs("<pre>", f);
	esc(f, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
	fputs("</pre>\n", f);
}

static void drilldown(FILE *f, struct json_object *c, size_t i)
{
	struct json_object *details = NULL, *notes = NULL, *repro = NULL;
	const char *dir = pmt_json_str(c, "dir"), *mark = baseline_mark(c);

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
	if (details) {
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
