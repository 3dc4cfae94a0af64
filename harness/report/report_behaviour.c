// SPDX-License-Identifier: MIT
/*
 * The behaviour report (report_behaviour.h).  Two passes over the cases:
 * the first collects the axes (devices, fs, scenarios, their modes and
 * access paths) and sorts them into a fixed order, so two runs of the
 * same plan give the same table; the second fills the cells.
 *
 * Every piece of text in the HTML goes through esc(): observations and
 * dmesg lines are what a guest printed.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "kver.h"
#include "report_behaviour.h"
#include "text.h"
#include "report_html.h"
#include "util.h"
#include "verdict.h"

/* The orders a reader expects; names not listed follow in order of appearance. */
static const char *const device_order[] = { "virtio-pmem", "nvdimm" };
static const char *const fs_order[] = { "ext4", "xfs" };
static const char *const mode_order[] = { "dax", "nodax", "pagecache", "srao", "srar" };
static const char *const path_order[] = {
	"inject", "read", "odirect_read", "mmap_load", "mmap_store", "write", "reread", "fsync",
};

/* dmesg lines that say what the kernel did about the error. */
static const char *const dmesg_keys[] = {
	"Memory failure", "recovery action", "I/O error", "MCE", "panic",
};

static const char *const mark_text[] = {
	[PMT_BHV_NONE] = "", [PMT_BHV_MATCH] = "✓", [PMT_BHV_UNKNOWN] = "?",
	[PMT_BHV_MISMATCH] = "✗",
};

static const char *const mark_class[] = {
	[PMT_BHV_NONE] = "none", [PMT_BHV_MATCH] = "ok", [PMT_BHV_UNKNOWN] = "unk",
	[PMT_BHV_MISMATCH] = "bad",
};

static void *xrealloc(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (!p)
		abort();
	return p;
}

/* Index of @s in @v, adding it at the end if absent.  Strings are borrowed. */
static size_t strs_add(const char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return i;
	*v = xrealloc(*v, *n + 1, sizeof(**v));
	(*v)[*n] = s;
	return (*n)++;
}

static size_t strs_find(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return i;
	return SIZE_MAX;
}

/* Sort @v by its place in @order; the rest keep their order, after. */
static void strs_order(const char **v, size_t n, const char *const *order, size_t norder)
{
	/* Insertion sort: stable, and these lists hold a handful of names. */
	for (size_t i = 1; i < n; i++) {
		const char *x = v[i];
		size_t rx = strs_find(order, norder, x), j = i;

		while (j > 0 && strs_find(order, norder, v[j - 1]) > rx) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static struct json_object *behaviour_of(struct json_object *c)
{
	return member(member(c, "details", json_type_object), "behaviour", json_type_array);
}

/* "" (a scenario without variants) is shown as "-". */
static const char *mode_of(struct json_object *c)
{
	const char *v = pmt_json_str(c, "variant");

	return *v ? v : "-";
}

bool pmt_bhv_any(struct json_object *summary)
{
	struct json_object *cases = member(summary, "cases", json_type_array);

	for (size_t i = 0; cases && i < json_object_array_length(cases); i++)
		if (behaviour_of(json_object_array_get_idx(cases, i)))
			return true;
	return false;
}

/* ---- what the workload's result says beyond the behaviour rows ---- */

/* "[    6.891466] Memory failure: ..." -> "Memory failure: ..." */
static const char *cut_timestamp(const char *line)
{
	const char *end;

	if (line[0] != '[' || !(end = strchr(line, ']')))
		return line;
	for (end++; *end == ' '; end++)
		;
	return end;
}

static const char *key_line(struct json_object *lines)
{
	for (size_t i = 0; lines && i < json_object_array_length(lines); i++) {
		const char *l = json_object_get_string(json_object_array_get_idx(lines, i));

		for (size_t k = 0; l && k < ARRAY_SIZE(dmesg_keys); k++)
			if (strstr(l, dmesg_keys[k]))
				return cut_timestamp(l);
	}
	return NULL;
}

/*
 * The workload's result is the member of details named after it; which
 * one is the scenario's business, so look at every object member.
 */
static const char *case_dmesg(struct json_object *details)
{
	const char *l = key_line(member(details, "dmesg", json_type_array));

	if (l)
		return l;
	json_object_object_foreach(details, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_object) &&
		    (l = key_line(member(val, "dmesg", json_type_array))))
			return l;
	}
	return NULL;
}

static bool says_panic(struct json_object *o)
{
	struct json_object *v = member(o, "panic", json_type_boolean);

	return v && json_object_get_boolean(v);
}

static bool lines_panic(struct json_object *lines)
{
	for (size_t i = 0; lines && i < json_object_array_length(lines); i++) {
		const char *l = json_object_get_string(json_object_array_get_idx(lines, i));

		if (l && strstr(l, "Kernel panic"))
			return true;
	}
	return false;
}

/*
 * A panic is recorded as "panic":true (details or the workload's result),
 * an observed outcome naming it, or the kernel's own line.  Otherwise the
 * guest answered after its accesses, so it did not panic.
 */
static int case_panic(struct json_object *details, struct json_object *rows)
{
	if (says_panic(details) || lines_panic(member(details, "dmesg", json_type_array)))
		return 1;
	json_object_object_foreach(details, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_object) &&
		    (says_panic(val) || lines_panic(member(val, "dmesg", json_type_array))))
			return 1;
	}
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		if (strstr(pmt_json_str(json_object_array_get_idx(rows, i), "observed"), "panic"))
			return 1;
	return 0;
}

/* -1 unless @o has a boolean "data_ok". */
static int data_flag(struct json_object *o)
{
	struct json_object *v = member(o, "data_ok", json_type_boolean);

	return v ? json_object_get_boolean(v) : -1;
}

static enum pmt_bhv_data data_of(int flag)
{
	return flag < 0 ? PMT_BHV_DATA_UNKNOWN : flag ? PMT_BHV_DATA_OK : PMT_BHV_DATA_BAD;
}

/*
 * The data after recovery: the re-read that follows the recovery (a
 * clearing write, a dropped page), else the result's own "data_ok", else
 * the last access that compared data.
 */
static enum pmt_bhv_data case_data(struct json_object *details)
{
	enum pmt_bhv_data last = data_of(data_flag(details));

	json_object_object_foreach(details, key, val) {
		struct json_object *probes = member(val, "probes", json_type_array);

		(void)key;
		if (!json_object_is_type(val, json_type_object))
			continue;
		for (size_t i = 0; probes && i < json_object_array_length(probes); i++) {
			struct json_object *p = json_object_array_get_idx(probes, i);

			if (strcmp(pmt_json_str(p, "path"), "reread"))
				continue;
			if (!pmt_json_bool(p, "ok", false))
				return PMT_BHV_DATA_UNREADABLE;
			if (data_flag(p) >= 0)
				return data_of(data_flag(p));
		}
		if (data_flag(val) >= 0)
			return data_of(data_flag(val));
		for (size_t i = 0; probes && i < json_object_array_length(probes); i++)
			if (data_flag(json_object_array_get_idx(probes, i)) >= 0)
				last = data_of(data_flag(json_object_array_get_idx(probes, i)));
	}
	return last;
}

/* ---- building the model ---- */

/* Is @s one of the " / "-joined pieces of @list? */
static bool has_piece(const char *list, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = list; *p; ) {
		const char *sep = strstr(p, " / ");
		size_t len = sep ? (size_t)(sep - p) : strlen(p);

		if (len == n && !strncmp(p, s, n))
			return true;
		if (!sep)
			break;
		p = sep + 3;
	}
	return false;
}

static int note_of(struct pmt_bhv_model *m, const char *scenario, const char *expected,
		   const char *reason)
{
	if (!*reason)
		return 0;
	for (size_t i = 0; i < m->nnotes; i++)
		if (!strcmp(m->notes[i].scenario, scenario) &&
		    !strcmp(m->notes[i].expected, expected) && !strcmp(m->notes[i].reason, reason))
			return (int)i + 1;
	m->notes = xrealloc(m->notes, m->nnotes + 1, sizeof(*m->notes));
	m->notes[m->nnotes] = (struct pmt_bhv_note){ scenario, expected, reason };
	return (int)++m->nnotes;
}

static struct pmt_bhv_scenario *scenario_of(struct pmt_bhv_model *m, const char *name)
{
	for (size_t i = 0; i < m->nscen; i++)
		if (!strcmp(m->scen[i].name, name))
			return &m->scen[i];
	m->scen = xrealloc(m->scen, m->nscen + 1, sizeof(*m->scen));
	memset(&m->scen[m->nscen], 0, sizeof(*m->scen));
	m->scen[m->nscen].name = name;
	return &m->scen[m->nscen++];
}

/*
 * The device axis: the device, or in a kernel matrix (issue 9) the
 * device on each kernel, "virtio-pmem@6.12.117+deb12-amd64", so the
 * kernels of a device stand side by side.  Those strings are the model's.
 */
static const char *device_key(struct pmt_bhv_model *m, struct json_object *c)
{
	char key[256];

	if (!m->multi_kernel)
		return pmt_json_str(c, "device");
	snprintf(key, sizeof(key), "%s@%s", pmt_json_str(c, "device"), pmt_json_str(c, "kernel"));
	for (size_t i = 0; i < m->nowned; i++)
		if (!strcmp(m->owned[i], key))
			return m->owned[i];
	m->owned = xrealloc(m->owned, m->nowned + 1, sizeof(*m->owned));
	m->owned[m->nowned] = strdup(key);
	if (!m->owned[m->nowned])
		abort();
	return m->owned[m->nowned++];
}

/* Device order first (virtio-pmem, nvdimm), then kernel version. */
static int device_key_cmp(const char *a, const char *b)
{
	const char *ka = strchr(a, '@'), *kb = strchr(b, '@');
	char da[128], db[128];
	struct pmt_kver va, vb;
	size_t ra, rb;

	snprintf(da, sizeof(da), "%.*s", ka ? (int)(ka - a) : (int)strlen(a), a);
	snprintf(db, sizeof(db), "%.*s", kb ? (int)(kb - b) : (int)strlen(b), b);
	ra = strs_find(device_order, ARRAY_SIZE(device_order), da);
	rb = strs_find(device_order, ARRAY_SIZE(device_order), db);
	if (ra != rb || strcmp(da, db))
		return ra != rb ? (ra < rb ? -1 : 1) : strcmp(da, db);
	pmt_kver_parse(ka ? ka + 1 : "", &va);
	pmt_kver_parse(kb ? kb + 1 : "", &vb);
	return pmt_kver_cmp(&va, &vb);
}

/* First pass: the axes. */
static void collect(struct pmt_bhv_model *m, struct json_object *c)
{
	struct json_object *rows = behaviour_of(c);
	struct pmt_bhv_scenario *s;

	if (!rows) {
		const char *v = pmt_json_str(c, "verdict");

		/* A case that could not observe is worth a line: why it did not. */
		if (strcmp(v, "PASS") && strcmp(v, "XFAIL")) {
			m->others = xrealloc(m->others, m->nothers + 1, sizeof(*m->others));
			m->others[m->nothers++] = (struct pmt_bhv_other){
				pmt_json_str(c, "id"), v, pmt_json_str(c, "reason") };
		}
		return;
	}
	strs_add(&m->devices, &m->ndevices, device_key(m, c));
	strs_add(&m->fs, &m->nfs, pmt_json_str(c, "fs"));
	s = scenario_of(m, pmt_json_str(c, "scenario"));
	strs_add(&s->modes, &s->nmodes, mode_of(c));
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		strs_add(&s->paths, &s->npaths,
			 pmt_json_str(json_object_array_get_idx(rows, i), "path"));
}

static void add_dmesg(struct pmt_bhv_model *m, struct pmt_bhv_col *col, const char *scenario,
		      const char *device, const char *fs)
{
	m->dmesg = xrealloc(m->dmesg, m->ndmesg + 1, sizeof(*m->dmesg));
	m->dmesg[m->ndmesg] = (struct pmt_bhv_dmesg){ col->dmesg, scenario, device, fs, col->mode };
	col->dmesg_ref = (int)++m->ndmesg;
}

/* Second pass: one case into its column. */
static void fill(struct pmt_bhv_model *m, struct json_object *c)
{
	struct json_object *rows = behaviour_of(c), *details;
	struct pmt_bhv_scenario *s;
	struct pmt_bhv_col *col;
	const char *verdict = pmt_json_str(c, "verdict");
	enum pmt_bhv_data data;
	size_t ci;

	if (!rows)
		return;
	details = member(c, "details", json_type_object);
	s = scenario_of(m, pmt_json_str(c, "scenario"));
	ci = pmt_bhv_col_index(m, strs_find(m->devices, m->ndevices, device_key(m, c)),
			       strs_find(m->fs, m->nfs, pmt_json_str(c, "fs")),
			       strs_find(s->modes, s->nmodes, mode_of(c)));
	col = &s->cols[ci];
	if (!col->mode) {
		col->mode = mode_of(c);
		col->panic = -1;
	}
	if (!col->verdict || pmt_verdict_severity_name(verdict) > pmt_verdict_severity_name(col->verdict))
		col->verdict = verdict;
	if (!col->dmesg && (col->dmesg = case_dmesg(details)))
		add_dmesg(m, col, s->name, device_key(m, c), pmt_json_str(c, "fs"));
	/* Repeats: a panic or bad data in any of them is what the cell says. */
	if (case_panic(details, rows) > col->panic)
		col->panic = case_panic(details, rows);
	data = case_data(details);
	if (data != PMT_BHV_DATA_UNKNOWN && (!col->data || data < col->data))
		col->data = data;

	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i), *match;
		size_t row = strs_find(s->paths, s->npaths, pmt_json_str(r, "path"));
		struct pmt_bhv_cell *cell = &s->cells[row * m->ncols + ci];
		const char *observed = pmt_json_str(r, "observed");
		enum pmt_bhv_mark mark = PMT_BHV_UNKNOWN;
		size_t used = strlen(cell->observed);

		match = member(r, "match", json_type_boolean);
		if (match)
			mark = json_object_get_boolean(match) ? PMT_BHV_MATCH : PMT_BHV_MISMATCH;
		if (mark > cell->mark)
			cell->mark = mark;
		if (!has_piece(cell->observed, observed))
			snprintf(cell->observed + used, sizeof(cell->observed) - used, "%s%s",
				 used ? " / " : "", *observed ? observed : "?");
		if (!cell->note)
			cell->note = note_of(m, s->name, pmt_json_str(r, "expected"),
					     pmt_json_str(r, "reason"));
	}
}

static struct json_object *case_at(struct json_object *summary, size_t i)
{
	return json_object_array_get_idx(member(summary, "cases", json_type_array), i);
}

static size_t ncases(struct json_object *summary)
{
	struct json_object *cases = member(summary, "cases", json_type_array);

	return cases ? json_object_array_length(cases) : 0;
}

/* Footnotes come numbered in case order; a reader wants them in table order. */
static void renumber_notes(struct pmt_bhv_model *m)
{
	struct pmt_bhv_note *notes = xrealloc(NULL, m->nnotes, sizeof(*notes));
	int *to = calloc(m->nnotes + 1, sizeof(*to)), next = 0;

	if (!to)
		abort();
	for (size_t i = 0; i < m->nscen; i++) {
		struct pmt_bhv_scenario *s = &m->scen[i];

		for (size_t k = 0; k < s->npaths * m->ncols; k++) {
			int old = s->cells[k].note;

			if (!old)
				continue;
			if (!to[old]) {
				notes[next] = m->notes[old - 1];
				to[old] = ++next;
			}
			s->cells[k].note = to[old];
		}
	}
	free(m->notes);
	m->notes = notes;
	free(to);
}

/* Do the cases with observations run on more than one kernel? */
static bool several_kernels(struct json_object *const *summaries, size_t n)
{
	const char *first = NULL;

	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < ncases(summaries[k]); i++) {
			struct json_object *c = case_at(summaries[k], i);
			const char *kernel = pmt_json_str(c, "kernel");

			if (!behaviour_of(c))
				continue;
			if (!first)
				first = kernel;
			else if (strcmp(first, kernel))
				return true;
		}
	}
	return false;
}

struct pmt_bhv_model *pmt_bhv_build(struct json_object *const *summaries, size_t n)
{
	struct pmt_bhv_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->multi_kernel = several_kernels(summaries, n);
	for (size_t k = 0; k < n; k++) {
		strs_add(&m->runs, &m->nruns, pmt_json_str(summaries[k], "run_id"));
		for (size_t i = 0; i < ncases(summaries[k]); i++)
			collect(m, case_at(summaries[k], i));
	}
	strs_order(m->devices, m->ndevices, device_order, ARRAY_SIZE(device_order));
	for (size_t i = 1; m->multi_kernel && i < m->ndevices; i++) {
		const char *x = m->devices[i];
		size_t j = i;

		for (; j > 0 && device_key_cmp(m->devices[j - 1], x) > 0; j--)
			m->devices[j] = m->devices[j - 1];
		m->devices[j] = x;
	}
	strs_order(m->fs, m->nfs, fs_order, ARRAY_SIZE(fs_order));
	for (size_t i = 0; i < m->nscen; i++) {
		struct pmt_bhv_scenario *s = &m->scen[i];

		strs_order(s->modes, s->nmodes, mode_order, ARRAY_SIZE(mode_order));
		strs_order(s->paths, s->npaths, path_order, ARRAY_SIZE(path_order));
		if (s->nmodes > m->nslots)
			m->nslots = s->nmodes;
	}
	m->ncols = m->ndevices * m->nfs * m->nslots;
	for (size_t i = 0; i < m->nscen; i++) {
		m->scen[i].cols = calloc(m->ncols + 1, sizeof(*m->scen[i].cols));
		m->scen[i].cells = calloc(m->ncols * m->scen[i].npaths + 1,
					  sizeof(*m->scen[i].cells));
		if (!m->scen[i].cols || !m->scen[i].cells)
			abort();
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < ncases(summaries[k]); i++)
			fill(m, case_at(summaries[k], i));
	renumber_notes(m);
	return m;
}

void pmt_bhv_free(struct pmt_bhv_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nscen; i++) {
		free(m->scen[i].modes);
		free(m->scen[i].paths);
		free(m->scen[i].cols);
		free(m->scen[i].cells);
	}
	free(m->scen);
	free(m->runs);
	free(m->devices);
	free(m->fs);
	free(m->notes);
	free(m->dmesg);
	free(m->others);
	for (size_t i = 0; i < m->nowned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m);
}

/* ---- shared by both renderings ---- */

/* "errno=EIO" -> "EIO", "signal=SIGBUS/BUS_ADRERR" -> "SIGBUS/BUS_ADRERR": the rules' words, shorter. */
static void short_outcome(const char *in, char *out, size_t len)
{
	size_t o = 0;

	while (*in && o + 1 < len) {
		if (!strncmp(in, "errno=", 6)) {
			in += 6;
		} else if (!strncmp(in, "signal=", 7)) {
			in += 7;
		} else if (!strncmp(in, "killed=", 7)) {
			in += 7;
			o += (size_t)snprintf(out + o, len - o, "killed ");
			if (o >= len)
				o = len - 1;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

static const char *const data_text[] = {
	[PMT_BHV_DATA_UNKNOWN] = "?", [PMT_BHV_DATA_BAD] = "BAD",
	[PMT_BHV_DATA_UNREADABLE] = "unreadable", [PMT_BHV_DATA_OK] = "ok",
};

static const char *tristate(int v, const char *yes, const char *no)
{
	return v < 0 ? "?" : v ? yes : no;
}

static const char *col_title(const struct pmt_bhv_model *m, size_t col, char *buf, size_t len)
{
	size_t group = col / m->nslots;

	snprintf(buf, len, "%s %s", m->devices[group / m->nfs], m->fs[group % m->nfs]);
	return buf;
}

/* ---- Markdown ---- */

/* A table of strings, padded when printed. */
struct grid {
	char **cell;
	size_t ncols, nrows;
};

static void grid_row(struct grid *g)
{
	g->cell = xrealloc(g->cell, (g->nrows + 1) * g->ncols, sizeof(*g->cell));
	memset(&g->cell[g->nrows * g->ncols], 0, g->ncols * sizeof(*g->cell));
	g->nrows++;
}

/* Set a cell of the last row; '|' would end the cell, a newline the row. */
static void grid_set(struct grid *g, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void grid_set(struct grid *g, size_t col, const char *fmt, ...)
{
	char *s = NULL, *t, *p;
	size_t bars = 0;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	for (p = s; *p; p++)
		bars += *p == '|';
	t = malloc(strlen(s) + bars + 1);
	if (!t)
		abort();
	for (p = s, bars = 0; *p; p++) {
		if (*p == '|')
			t[bars++] = '\\';
		t[bars++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
	}
	t[bars] = '\0';
	free(s);
	free(g->cell[(g->nrows - 1) * g->ncols + col]);
	g->cell[(g->nrows - 1) * g->ncols + col] = t;
}

/* Terminal columns: UTF-8 continuation bytes take none (✓ and ✗ take one). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; s && *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void grid_print(FILE *f, struct grid *g)
{
	size_t *w = calloc(g->ncols, sizeof(*w));

	if (!w)
		abort();
	for (size_t r = 0; r < g->nrows; r++)
		for (size_t c = 0; c < g->ncols; c++)
			if (width(g->cell[r * g->ncols + c]) > w[c])
				w[c] = width(g->cell[r * g->ncols + c]);
	for (size_t r = 0; r < g->nrows; r++) {
		for (size_t c = 0; c < g->ncols; c++) {
			const char *s = g->cell[r * g->ncols + c];

			fprintf(f, "| %s%*s ", s ? s : "", (int)(w[c] - width(s)), "");
		}
		fputs("|\n", f);
		if (r == 0) {
			for (size_t c = 0; c < g->ncols; c++) {
				fputs("|", f);
				for (size_t k = 0; k < w[c] + 2; k++)
					fputc('-', f);
			}
			fputs("|\n", f);
		}
	}
	for (size_t i = 0; i < g->nrows * g->ncols; i++)
		free(g->cell[i]);
	free(g->cell);
	free(w);
}

/* A Markdown code span that holds any line: no backtick inside. */
static void md_code(FILE *f, const char *s)
{
	fputc('`', f);
	for (; *s; s++)
		fputc(*s == '`' ? '\'' : *s == '\n' ? ' ' : *s, f);
	fputc('`', f);
}

static void md_cell(struct grid *g, size_t col, const struct pmt_bhv_col *c,
		    const struct pmt_bhv_cell *cell)
{
	char text[sizeof(cell->observed)];

	if (!c->mode)
		return;
	if (cell->mark == PMT_BHV_NONE) {
		grid_set(g, col, "-");
		return;
	}
	short_outcome(cell->observed, text, sizeof(text));
	if (cell->note)
		grid_set(g, col, "%s %s [%d]", mark_text[cell->mark], text, cell->note);
	else
		grid_set(g, col, "%s %s", mark_text[cell->mark], text);
}

static void md_table(FILE *f, const struct pmt_bhv_model *m)
{
	static const char *const tail[] = { "dmesg", "panic", "data after recovery", "verdict" };
	struct grid g = { .ncols = m->ncols + 2 };
	char title[96];

	grid_row(&g);
	grid_set(&g, 0, "scenario");
	grid_set(&g, 1, "path");
	for (size_t c = 0; c < m->ncols; c++)
		grid_set(&g, c + 2, "%s", col_title(m, c, title, sizeof(title)));
	for (size_t i = 0; i < m->nscen; i++) {
		const struct pmt_bhv_scenario *s = &m->scen[i];

		/* The block's own header: which mode each slot is for this scenario. */
		grid_row(&g);
		grid_set(&g, 0, "**%s**", s->name);
		grid_set(&g, 1, "*mode*");
		for (size_t c = 0; c < m->ncols; c++)
			if (c % m->nslots < s->nmodes)
				grid_set(&g, c + 2, "*%s*", s->modes[c % m->nslots]);
		for (size_t p = 0; p < s->npaths; p++) {
			grid_row(&g);
			grid_set(&g, 1, "%s", s->paths[p]);
			for (size_t c = 0; c < m->ncols; c++)
				md_cell(&g, c + 2, &s->cols[c], &s->cells[p * m->ncols + c]);
		}
		for (size_t t = 0; t < ARRAY_SIZE(tail); t++) {
			grid_row(&g);
			grid_set(&g, 1, "%s", tail[t]);
			for (size_t c = 0; c < m->ncols; c++) {
				const struct pmt_bhv_col *col = &s->cols[c];

				if (!col->mode)
					continue;
				if (t == 0 && col->dmesg_ref)
					grid_set(&g, c + 2, "d%d", col->dmesg_ref);
				else if (t == 0)
					grid_set(&g, c + 2, "-");
				else if (t == 1)
					grid_set(&g, c + 2, "%s", tristate(col->panic, "PANIC", "no"));
				else if (t == 2)
					grid_set(&g, c + 2, "%s", data_text[col->data]);
				else
					grid_set(&g, c + 2, "%s", col->verdict);
			}
		}
	}
	grid_print(f, &g);
}

char *pmt_bhv_markdown(const struct pmt_bhv_model *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputs("# Error-handling behaviour\n\nruns:", f);
	for (size_t i = 0; i < m->nruns; i++)
		fprintf(f, " %s", m->runs[i]);
	fputs("\n\n", f);
	if (!m->nscen) {
		fputs("No case recorded behaviour observations (the error scenarios do: "
		      "badblocks, hwpoison, ...).\n", f);
	} else {
		fputs("✓ as expected, ✗ not as expected (the case is FAIL), ? no expectation "
		      "(recorded only); [n] the expectation's reason, dN the key dmesg line, "
		      "both below.\n\n", f);
		md_table(f, m);
	}
	if (m->ndmesg) {
		fputs("\nKey dmesg lines:\n\n", f);
		for (size_t i = 0; i < m->ndmesg; i++) {
			const struct pmt_bhv_dmesg *d = &m->dmesg[i];

			fprintf(f, "- d%zu %s %s %s %s: ", i + 1, d->scenario, d->device, d->fs,
				d->mode);
			md_code(f, d->line);
			fputc('\n', f);
		}
	}
	if (m->nnotes) {
		fputs("\nExpectations (results/expected/errors.tsv):\n\n", f);
		for (size_t i = 0; i < m->nnotes; i++) {
			fprintf(f, "- [%zu] %s, expected ", i + 1, m->notes[i].scenario);
			md_code(f, m->notes[i].expected);
			fprintf(f, ": %s\n", m->notes[i].reason);
		}
	}
	if (m->nothers) {
		fputs("\nCases without observations:\n\n", f);
		for (size_t i = 0; i < m->nothers; i++)
			fprintf(f, "- %s %s: %s\n", m->others[i].id, m->others[i].verdict,
				m->others[i].reason);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- HTML ---- */

static const char style[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
	"h1{font-size:1.4em;margin-bottom:.2em}\n"
	".meta{color:#555;margin-bottom:1em}\n"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
	"th,td{border:1px solid #bbb;padding:.25em .5em;text-align:center;vertical-align:top}\n"
	"th.row{text-align:left;font-weight:normal}\n"
	"tr.scen th{background:#e8eaf6;text-align:left}\n"
	"tr.scen th.mode{text-align:center;font-style:italic;font-weight:normal}\n"
	"td.m-ok{background:#e8f5e9}\n"
	"td.m-bad{background:#c62828;color:#fff;font-weight:bold}\n"
	"td.m-unk{background:#fff8e1}\n"
	"td.m-none{color:#999}\n"
	"td.dmesg{font-family:monospace;font-size:.75em;text-align:left;max-width:16em}\n"
	"td.panic{background:#c62828;color:#fff;font-weight:bold}\n"
	PMT_HTML_VERDICT_CSS
	"sup a{color:inherit}\n"
	"code{background:#f0f0f0;padding:0 .2em}\n";

/* One escaper for every HTML page (report_html.c). */
#define esc pmt_html_escape

/* A verdict as a CSS class suffix: only known names reach the class attribute. */
static const char *vclass(const char *verdict)
{
	static const char *const known[] = { "PASS", "FAIL", "BROK", "SKIP", "XFAIL" };

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(verdict, known[i]))
			return known[i];
	return "other";
}

static void html_head(FILE *f, const struct pmt_bhv_model *m)
{
	fputs("<table class=\"behaviour\">\n<tr><th rowspan=\"2\">scenario</th>"
	      "<th rowspan=\"2\">path</th>", f);
	for (size_t d = 0; d < m->ndevices; d++) {
		fprintf(f, "<th colspan=\"%zu\">", m->nfs * m->nslots);
		esc(f, m->devices[d]);
		fputs("</th>", f);
	}
	fputs("</tr>\n<tr>", f);
	for (size_t d = 0; d < m->ndevices; d++) {
		for (size_t k = 0; k < m->nfs; k++) {
			fprintf(f, "<th colspan=\"%zu\">", m->nslots);
			esc(f, m->fs[k]);
			fputs("</th>", f);
		}
	}
	fputs("</tr>\n", f);
}

static void html_cell(FILE *f, const struct pmt_bhv_col *c, const struct pmt_bhv_cell *cell)
{
	char text[sizeof(cell->observed)];

	if (!c->mode) {
		fputs("<td></td>", f);
		return;
	}
	if (cell->mark == PMT_BHV_NONE) {
		fputs("<td class=\"m-none\">&ndash;</td>", f);
		return;
	}
	short_outcome(cell->observed, text, sizeof(text));
	fprintf(f, "<td class=\"m-%s\" title=\"", mark_class[cell->mark]);
	esc(f, cell->observed);
	fprintf(f, "\">%s ", mark_text[cell->mark]);
	esc(f, text);
	if (cell->note)
		fprintf(f, " <sup><a href=\"#n%d\">[%d]</a></sup>", cell->note, cell->note);
	fputs("</td>", f);
}

static void html_tail_row(FILE *f, const struct pmt_bhv_model *m,
			  const struct pmt_bhv_scenario *s, int t)
{
	static const char *const tail[] = { "dmesg", "panic", "data after recovery", "verdict" };

	fprintf(f, "<tr><th></th><th class=\"row\">%s</th>", tail[t]);
	for (size_t c = 0; c < m->ncols; c++) {
		const struct pmt_bhv_col *col = &s->cols[c];

		if (!col->mode) {
			fputs("<td></td>", f);
		} else if (t == 0 && col->dmesg) {
			fprintf(f, "<td class=\"dmesg\" id=\"d%d\">", col->dmesg_ref);
			esc(f, col->dmesg);
			fputs("</td>", f);
		} else if (t == 0) {
			fputs("<td class=\"m-none\">&ndash;</td>", f);
		} else if (t == 1) {
			fprintf(f, "<td%s>%s</td>", col->panic > 0 ? " class=\"panic\"" : "",
				tristate(col->panic, "PANIC", "no"));
		} else if (t == 2) {
			fprintf(f, "<td%s>%s</td>", col->data == PMT_BHV_DATA_BAD ?
				" class=\"m-bad\"" : "", data_text[col->data]);
		} else {
			fprintf(f, "<td class=\"v-%s\">", vclass(col->verdict));
			esc(f, col->verdict);
			fputs("</td>", f);
		}
	}
	fputs("</tr>\n", f);
}

static void html_table(FILE *f, const struct pmt_bhv_model *m)
{
	html_head(f, m);
	for (size_t i = 0; i < m->nscen; i++) {
		const struct pmt_bhv_scenario *s = &m->scen[i];

		fputs("<tr class=\"scen\"><th>", f);
		esc(f, s->name);
		fputs("</th><th class=\"mode\">mode</th>", f);
		for (size_t c = 0; c < m->ncols; c++) {
			fputs("<th class=\"mode\">", f);
			if (c % m->nslots < s->nmodes)
				esc(f, s->modes[c % m->nslots]);
			fputs("</th>", f);
		}
		fputs("</tr>\n", f);
		for (size_t p = 0; p < s->npaths; p++) {
			fputs("<tr><th></th><th class=\"row\">", f);
			esc(f, s->paths[p]);
			fputs("</th>", f);
			for (size_t c = 0; c < m->ncols; c++)
				html_cell(f, &s->cols[c], &s->cells[p * m->ncols + c]);
			fputs("</tr>\n", f);
		}
		for (int t = 0; t < 4; t++)
			html_tail_row(f, m, s, t);
	}
	fputs("</table>\n", f);
}

char *pmt_bhv_html(const struct pmt_bhv_model *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<title>pmtorture error-handling behaviour</title>\n<style>\n%s</style>\n"
		"</head>\n<body>\n<h1>Error-handling behaviour</h1>\n<div class=\"meta\">runs:",
		style);
	for (size_t i = 0; i < m->nruns; i++) {
		fputs(" <b>", f);
		esc(f, m->runs[i]);
		fputs("</b>", f);
	}
	fputs("</div>\n", f);
	if (!m->nscen) {
		fputs("<p>No case recorded behaviour observations (the error scenarios do: "
		      "badblocks, hwpoison, ...).</p>\n", f);
	} else {
		fputs("<p>&#10003; as expected, &#10007; not as expected (the case is FAIL), ? no "
		      "expectation (recorded only); [n] the expectation's reason, below.</p>\n", f);
		html_table(f, m);
	}
	if (m->nnotes) {
		fputs("<h2>Expectations</h2>\n<p>From results/expected/errors.tsv.</p>\n<ul>\n", f);
		for (size_t i = 0; i < m->nnotes; i++) {
			fprintf(f, "<li id=\"n%zu\">[%zu] ", i + 1, i + 1);
			esc(f, m->notes[i].scenario);
			fputs(", expected <code>", f);
			esc(f, m->notes[i].expected);
			fputs("</code>: ", f);
			esc(f, m->notes[i].reason);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	if (m->nothers) {
		fputs("<h2>Cases without observations</h2>\n<ul>\n", f);
		for (size_t i = 0; i < m->nothers; i++) {
			fputs("<li>", f);
			esc(f, m->others[i].id);
			fprintf(f, " <span class=\"v-%s\">", vclass(m->others[i].verdict));
			esc(f, m->others[i].verdict);
			fputs("</span>: ", f);
			esc(f, m->others[i].reason);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- writing ---- */

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	if (!text || pmt_fmt(path, sizeof(path), "%s/%s", dir, name))
		return -1;
	return pmt_write_file_atomic(path, text, strlen(text));
}

int pmt_bhv_write(const char *dir, struct json_object *const *summaries, size_t n,
		  bool only_if_any, FILE *out, char *err, size_t errlen)
{
	struct pmt_bhv_model *m;
	char *md = NULL, *html = NULL;
	int rc = -1;

	m = pmt_bhv_build(summaries, n);
	if (!m) {
		snprintf(err, errlen, "behaviour report: out of memory");
		return -1;
	}
	if (only_if_any && !m->nscen) {
		pmt_bhv_free(m);
		return 0;
	}
	md = pmt_bhv_markdown(m);
	html = pmt_bhv_html(m);
	if (!md || !html || write_text(dir, "behaviour.md", md) ||
	    write_text(dir, "behaviour.html", html)) {
		snprintf(err, errlen, "cannot write the behaviour report in %s: %s", dir,
			 strerror(errno ? errno : ENOMEM));
		goto out;
	}
	if (out) {
		fputc('\n', out);
		/* Cells and dmesg lines are the guest's words: no raw controls. */
		pmt_term_fputs(out, md, true);
		fflush(out);
	}
	rc = 1;
out:
	free(md);
	free(html);
	pmt_bhv_free(m);
	return rc;
}
