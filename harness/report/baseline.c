// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "json_util.h"
#include "kernel_view.h"
#include "merge.h"
#include "util.h"

#define MAX_EXPUNGE_FILE (4 << 20)

void pmt_expunge_free(struct pmt_expunge *list)
{
	for (size_t i = 0; i < list->n; i++) {
		free(list->v[i].pattern);
		free(list->v[i].kernel);
		free(list->v[i].match);
		free(list->v[i].reason);
		free(list->v[i].why);
		free(list->v[i].link);
	}
	free(list->v);
	free(list->file);
	memset(list, 0, sizeof(*list));
}

/*
 * Cut "reason~'TEXT'" out of @text (the part before '#'): *@match gets
 * TEXT (malloc'd) or NULL.  -1 if it is not closed or empty.
 */
static int cut_reason_match(char *text, char **match)
{
	char *at = strstr(text, "reason~'"), *end;

	*match = NULL;
	if (!at)
		return 0;
	end = strchr(at + 8, '\'');
	if (!end || end == at + 8)
		return -1;
	*end = '\0';
	*match = pmt_xstrdup(at + 8);
	/* What is left before it is the PATTERN; only kernel conditions may follow. */
	for (char *t = end + 1; *t; t++)
		*at++ = *t;
	*at = '\0';
	return 0;
}

/*
 * "kernel<6.12.117" (also <=, >, >=, =) into @k; -1 if @tok is not one.
 * The version may be any release (6.12.117+deb12-amd64); only its
 * numbers count.
 */
static int parse_kcond(const char *tok, struct pmt_kver_cond *k)
{
	const char *v = tok + 6;
	size_t n;

	if (strncmp(tok, "kernel", 6))
		return -1;
	n = (v[0] == '<' || v[0] == '>') && v[1] == '=' ? 2 : v[0] == '<' || v[0] == '>' || v[0] == '=';
	if (!n)
		return -1;
	memcpy(k->op, v, n);
	k->op[n] = '\0';
	v += n;
	return pmt_kver_parse(v, &k->v) ? 0 : -1;
}

/*
 * PATTERN and kernel conditions, white space apart, in @text (cut from
 * it: @text keeps the PATTERN alone).  0; 1 when a word is not a kernel
 * condition (more than one PATTERN); -1 when one starting "kernel" is
 * malformed or there are too many.
 */
static int cut_kernel_conds(char *text, struct pmt_expunge_entry *e)
{
	char *save = NULL, *tok, *first = NULL, buf[512];

	snprintf(buf, sizeof(buf), "%s", text);
	e->nkcond = 0;
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (!first) {
			first = tok;
			continue;
		}
		if (strncmp(tok, "kernel", 6))
			return 1;
		if (e->nkcond == PMT_EXPUNGE_MAX_KCONDS || parse_kcond(tok, &e->kcond[e->nkcond]))
			return -1;
		e->nkcond++;
	}
	if (e->nkcond) {
		char *sp = text + strcspn(text, " \t");
		char *conds = pmt_trim(sp + (*sp ? 1 : 0));
		char norm[512] = "";

		/* "kernel>=6.1 kernel<6.12.117", one space apart. */
		for (tok = strtok_r(conds, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			strncat(norm, *norm ? " " : "", sizeof(norm) - strlen(norm) - 1);
			strncat(norm, tok, sizeof(norm) - strlen(norm) - 1);
		}
		e->kernel = pmt_xstrdup(norm);
		*sp = '\0';
	}
	return 0;
}

bool pmt_expunge_kernel_ok(const struct pmt_expunge_entry *e, const char *kernel)
{
	struct pmt_kver k;

	if (!e->nkcond)
		return true;
	if (!kernel || !pmt_kver_parse(kernel, &k))
		return false;
	for (int i = 0; i < e->nkcond; i++) {
		int c = pmt_kver_cmp_prefix(&k, &e->kcond[i].v);
		const char *op = e->kcond[i].op;
		bool ok = !strcmp(op, "<") ? c < 0 : !strcmp(op, "<=") ? c <= 0 :
			  !strcmp(op, ">") ? c > 0 : !strcmp(op, ">=") ? c >= 0 : c == 0;

		if (!ok)
			return false;
	}
	return true;
}

static void entry_clear(struct pmt_expunge_entry *e)
{
	free(e->kernel);
	free(e->match);
	memset(e, 0, sizeof(*e));
}

/* One non-comment line: "PATTERN [kernel<V...] [reason~'TEXT'] # why | link". */
static int parse_entry(struct pmt_expunge *list, const char *name, int line, char *text,
		       char *err, size_t errlen)
{
	char *hash = strchr(text, '#'), *pattern, *why, *link = NULL, *bar;
	struct pmt_expunge_entry *e, *v, kc;
	char shown[256];

	snprintf(shown, sizeof(shown), "%s", text);
	if (!hash) {
		snprintf(err, errlen, "%s:%d: expected 'PATTERN # reason | link', got '%s'",
			 name, line, shown);
		return -1;
	}
	*hash = '\0';
	memset(&kc, 0, sizeof(kc));
	if (cut_reason_match(text, &kc.match)) {
		snprintf(err, errlen, "%s:%d: expected reason~'TEXT' (non-empty, closed, then only "
			 "kernel conditions before '#'), got '%s'", name, line, shown);
		return -1;
	}
	pattern = pmt_trim(text);
	switch (*pattern ? cut_kernel_conds(pattern, &kc) : 1) {
	case 1:
		snprintf(err, errlen, "%s:%d: expected one case PATTERN before '#', got '%s'",
			 name, line, shown);
		entry_clear(&kc);
		return -1;
	case -1:
		snprintf(err, errlen, "%s:%d: expected up to %d kernel conditions kernel<V, <=, >, >= "
			 "or =, e.g. kernel<6.12.117, got '%s'", name, line, PMT_EXPUNGE_MAX_KCONDS,
			 shown);
		entry_clear(&kc);
		return -1;
	}
	pattern = pmt_trim(pattern);
	bar = strchr(hash + 1, '|');
	if (bar) {
		*bar = '\0';
		link = pmt_trim(bar + 1);
	}
	why = pmt_trim(hash + 1);
	if (!*why) {
		snprintf(err, errlen, "%s:%d: expected a reason after '#' (PATTERN # reason | link), "
			 "got '%s'", name, line, shown);
		entry_clear(&kc);
		return -1;
	}
	v = realloc(list->v, (list->n + 1) * sizeof(*list->v));
	if (!v) {
		snprintf(err, errlen, "%s:%d: out of memory", name, line);
		entry_clear(&kc);
		return -1;
	}
	list->v = v;
	e = &list->v[list->n++];
	*e = kc;
	e->pattern = pmt_xstrdup(pattern);
	e->why = pmt_xstrdup(why);
	e->link = pmt_xstrdup(link ? link : "");
	if (asprintf(&e->reason, *e->link ? "%s (%s)" : "%s%s", why, e->link) < 0)
		e->reason = pmt_xstrdup(why);
	e->line = line;
	return 0;
}

int pmt_expunge_parse(const char *text, const char *name, struct pmt_expunge *list,
		      char *err, size_t errlen)
{
	char *copy = pmt_xstrdup(text), *cur, *next;
	int line = 0, rc = 0;

	memset(list, 0, sizeof(*list));
	list->file = pmt_xstrdup(name);
	for (cur = copy; cur && rc == 0; cur = next) {
		char *t;

		next = strchr(cur, '\n');
		if (next)
			*next++ = '\0';
		line++;
		t = pmt_trim(cur);
		if (!*t || *t == '#')
			continue;
		rc = parse_entry(list, name, line, t, err, errlen);
	}
	free(copy);
	if (rc)
		pmt_expunge_free(list);
	return rc;
}

int pmt_expunge_load(const char *path, struct pmt_expunge *list, char *err, size_t errlen)
{
	size_t len;
	char *text = pmt_read_file(path, MAX_EXPUNGE_FILE, &len);
	int rc;

	memset(list, 0, sizeof(*list));
	if (!text) {
		snprintf(err, errlen, "%s: cannot read the expunge file: %s", path, strerror(errno));
		return -1;
	}
	if (strlen(text) != len) {
		snprintf(err, errlen, "%s: expected text, got a NUL byte", path);
		free(text);
		return -1;
	}
	rc = pmt_expunge_parse(text, path, list, err, errlen);
	free(text);
	return rc;
}

/*
 * Does every failure of case @c hold @match?  The failures are the texts
 * of details.failures when the case lists them, else its reason.
 */
static bool failures_match(struct json_object *c, const char *match)
{
	struct json_object *d = NULL, *f = NULL;
	size_t n;

	if (json_object_object_get_ex(c, "details", &d) &&
	    json_object_object_get_ex(d, "failures", &f) && json_object_is_type(f, json_type_array) &&
	    (n = json_object_array_length(f)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct json_object *one = json_object_array_get_idx(f, i);
			const char *t = json_object_is_type(one, json_type_object) ?
					pmt_json_str(one, "text") : "";

			if (!strstr(t, match))
				return false;
		}
		return true;
	}
	return strstr(pmt_json_str(c, "reason"), match) != NULL;
}

/* The kernel case @c ran on: its "kernel", else what its guest said, else "". */
static const char *case_kernel(struct json_object *c)
{
	const char *k = pmt_json_str(c, "kernel");

	return *k ? k : pmt_json_str(json_object_object_get(c, "details"), "guest_kernel");
}

const struct pmt_expunge_entry *pmt_expunge_match_case(const struct pmt_expunge *list,
						       struct json_object *c, const char **reason)
{
	const char *id = pmt_json_str(c, "id"), *kernel = case_kernel(c);
	char plain[256];

	/* A kernel matrix's ids end in @KERNEL: the patterns match without it too. */
	pmt_id_without_kernel(id, kernel, plain, sizeof(plain));
	for (size_t i = 0; list && i < list->n; i++) {
		if ((fnmatch(list->v[i].pattern, id, 0) == 0 ||
		     fnmatch(list->v[i].pattern, plain, 0) == 0) &&
		    pmt_expunge_kernel_ok(&list->v[i], kernel) &&
		    (!list->v[i].match || failures_match(c, list->v[i].match))) {
			if (reason)
				*reason = list->v[i].reason;
			return &list->v[i];
		}
	}
	return NULL;
}

const struct pmt_expunge_entry *pmt_expunge_match(const struct pmt_expunge *list,
						  const char *id, const char **reason)
{
	for (size_t i = 0; list && i < list->n; i++) {
		/* No kernel here: an entry limited to kernels cannot be shown to hold. */
		if (fnmatch(list->v[i].pattern, id, 0) == 0 && !list->v[i].nkcond) {
			if (reason)
				*reason = list->v[i].reason;
			return &list->v[i];
		}
	}
	return NULL;
}

int pmt_expunge_apply(const struct pmt_expunge *list, struct json_object *summary)
{
	struct json_object *cases;
	int changed = 0;
	size_t n;

	n = json_object_object_get_ex(summary, "cases", &cases) ? json_object_array_length(cases) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i), *x;
		const struct pmt_expunge_entry *e;
		const char *reason;
		char *text;

		if (strcmp(pmt_json_str(c, "verdict"), "FAIL"))
			continue;
		e = pmt_expunge_match_case(list, c, &reason);
		if (!e)
			continue;
		if (asprintf(&text, "expunged: %s; was: %s", reason, pmt_json_str(c, "reason")) < 0)
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "pattern", json_object_new_string(e->pattern));
		if (e->match)
			json_object_object_add(x, "reason_match", json_object_new_string(e->match));
		if (e->kernel)
			json_object_object_add(x, "kernel", json_object_new_string(e->kernel));
		json_object_object_add(x, "reason", json_object_new_string(e->why));
		json_object_object_add(x, "link", json_object_new_string(e->link));
		json_object_object_add(x, "file", json_object_new_string(list->file ? list->file : ""));
		json_object_object_add(x, "line", json_object_new_int(e->line));
		json_object_object_add(c, "expunge", x);
		json_object_object_add(c, "verdict", json_object_new_string("XFAIL"));
		json_object_object_add(c, "reason", json_object_new_string(text));
		free(text);
		changed++;
	}
	if (changed)
		pmt_summary_recount(summary);
	return changed;
}

static bool failed(const char *v)
{
	return v && (!strcmp(v, "FAIL") || !strcmp(v, "BROK"));
}

const char *pmt_baseline_class(const char *now, const char *before)
{
	bool was_bad = failed(before) || (before && !strcmp(before, "XFAIL"));

	if (failed(now))
		return was_bad ? PMT_BL_STILL_FAILING : PMT_BL_NEW_FAIL;
	if (!strcmp(now, "PASS"))
		return was_bad ? PMT_BL_FIXED : PMT_BL_PASS;
	return now;
}

int pmt_baseline_apply(struct json_object *summary, struct json_object *previous)
{
	struct json_object *cases, *prev_cases, *before, *counts, *bl, *v;
	static const char *const classes[] = {
		PMT_BL_NEW_FAIL, PMT_BL_STILL_FAILING, PMT_BL_FIXED, PMT_BL_PASS, "SKIP", "XFAIL",
	};
	int new_fail = 0;
	size_t n;

	/* id -> verdict of the previous run; a JSON object is a ready hash table. */
	before = json_object_new_object();
	n = json_object_object_get_ex(previous, "cases", &prev_cases) &&
	    json_object_is_type(prev_cases, json_type_array) ? json_object_array_length(prev_cases) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(prev_cases, i);

		if (!json_object_is_type(c, json_type_object))
			continue;	/* not a case: nothing to compare with */

		json_object_object_add(before, pmt_json_str(c, "id"),
				       json_object_new_string(pmt_json_str(c, "verdict")));
	}

	counts = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		json_object_object_add(counts, classes[i], json_object_new_int(0));
	n = json_object_object_get_ex(summary, "cases", &cases) &&
	    json_object_is_type(cases, json_type_array) ? json_object_array_length(cases) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i), *was;
		const char *cls;

		if (!json_object_is_type(c, json_type_object))
			continue;

		if (!json_object_object_get_ex(before, pmt_json_str(c, "id"), &was))
			was = NULL;
		cls = pmt_baseline_class(pmt_json_str(c, "verdict"), was ? json_object_get_string(was) : NULL);
		json_object_object_add(c, "baseline", json_object_new_string(cls));
		if (json_object_object_get_ex(counts, cls, &v))
			json_object_set_int(v, json_object_get_int(v) + 1);
		new_fail += !strcmp(cls, PMT_BL_NEW_FAIL);
	}
	json_object_put(before);

	bl = json_object_new_object();
	json_object_object_add(bl, "run_id", json_object_new_string(pmt_json_str(previous, "run_id")));
	json_object_object_add(bl, "counts", counts);
	json_object_object_add(summary, "baseline", bl);
	return new_fail;
}

int pmt_baseline_exit_status(struct json_object *summary)
{
	struct json_object *cases;
	size_t n;

	n = json_object_object_get_ex(summary, "cases", &cases) &&
	    json_object_is_type(cases, json_type_array) ? json_object_array_length(cases) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cases, i), *b;
		const char *verdict = pmt_json_str(c, "verdict");

		if (!strcmp(verdict, "BROK"))
			return 1;
		if (json_object_object_get_ex(c, "baseline", &b)) {
			if (!strcmp(json_object_get_string(b), PMT_BL_NEW_FAIL))
				return 1;
		} else if (!strcmp(verdict, "FAIL")) {
			return 1;
		}
	}
	return 0;
}
