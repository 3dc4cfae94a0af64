// SPDX-License-Identifier: MIT
/*
 * Plan file reader.  Errors are for a person editing the file: each names
 * the file, the line and what was expected there, and the first one stops
 * the read (a plan half understood would run the wrong cases).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "option_table.h"
#include "options.h"
#include "plan.h"
#include "vm.h"
#include "util.h"

#define MAX_INCLUDE_DEPTH	16

/* While reading, a file's current section: none yet, [global], or an index. */
#define CUR_NONE	(-1)
#define CUR_GLOBAL	(-2)

struct parser {
	struct pmt_plan *plan;
	char *stack[MAX_INCLUDE_DEPTH];	/* realpath of each file being read */
	int depth;
	char *err;
	size_t errlen;
};

/* The plan keys whose value is a comma list (the rest: option_table.c). */
static const char *const list_keys[] = { "device", "fs", "workload" };

static int fail(struct parser *p, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, const char *file, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", file, line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", file, msg);
	return -1;
}

static bool is_name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.';
}

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_name_char(*s))
			return false;
	return true;
}

static bool in(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

static void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size);

	if (!p) {
		fprintf(stderr, "pmtorture: out of memory\n");
		abort();
	}
	return p;
}

const struct pmt_plan_kv *pmt_plan_find(const struct pmt_plan_section *s, const char *key)
{
	for (size_t i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key))
			return &s->kv[i];
	return NULL;
}

const char *pmt_plan_get(const struct pmt_plan_section *s, const char *key)
{
	const struct pmt_plan_kv *kv = pmt_plan_find(s, key);

	return kv ? kv->value : NULL;
}

/* Set or replace: a later value for a key overrides an earlier one. */
static void kv_set(struct pmt_plan_section *s, const char *key, const char *value,
		   const char *file, int line)
{
	struct pmt_plan_kv *kv = (struct pmt_plan_kv *)pmt_plan_find(s, key);

	if (kv) {
		free(kv->value);
	} else {
		s->kv = xrealloc(s->kv, (s->nkv + 1) * sizeof(*s->kv));
		kv = &s->kv[s->nkv++];
		kv->key = pmt_xstrdup(key);
	}
	kv->value = pmt_xstrdup(value);
	kv->file = file;
	kv->line = line;
}

static void section_free(struct pmt_plan_section *s)
{
	for (size_t i = 0; i < s->nkv; i++) {
		free(s->kv[i].key);
		free(s->kv[i].value);
	}
	free(s->kv);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void pmt_plan_free(struct pmt_plan *plan)
{
	section_free(&plan->global);
	for (size_t i = 0; i < plan->nsections; i++)
		section_free(&plan->sections[i]);
	free(plan->sections);
	for (size_t i = 0; i < plan->nfiles; i++)
		free(plan->files[i]);
	free(plan->files);
	memset(plan, 0, sizeof(*plan));
}

struct json_object *pmt_plan_params(const struct pmt_plan_section *s)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < s->nkv; i++)
		if (!strncmp(s->kv[i].key, "param.", 6))
			json_object_object_add(o, s->kv[i].key + 6,
					       json_object_new_string(s->kv[i].value));
	return o;
}

/*
 * "virtio-pmem , nvdimm" -> "virtio-pmem,nvdimm" in @out (as long as @in),
 * so the runner can use pmt_list_has().  Returns the first bad item's
 * problem, or NULL.
 */
static const char *normalize_list(const char *key, const char *in_list, char *out,
				  char *bad, size_t badlen)
{
	char *copy = pmt_xstrdup(in_list), *item, *next;
	const char *problem = NULL;

	out[0] = '\0';
	for (item = copy; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		item = pmt_trim(item);
		if (!*item) {
			problem = "empty item in the list";
			break;
		}
		if (!is_name(item)) {
			snprintf(bad, badlen, "%s", item);
			problem = "bad name";
			break;
		}
		if (!strcmp(key, "device") && pmt_device_parse(item) < 0) {
			snprintf(bad, badlen, "%s", item);
			problem = "unknown device";
			break;
		}
		if (out[0])
			strcat(out, ",");
		strcat(out, item);
	}
	free(copy);
	return problem;
}

int pmt_plan_parse_smp(const char *v)
{
	long long n;

	/* The same rule as --smp. */
	if (!v || pmt_parse_whole(v, 1, PMT_MAX_SMP, &n))
		return -1;
	return (int)n;
}

/* One key=value line, checked where it stands so the error has its line. */
static int parse_kv(struct parser *p, const char *file, int line, char *text, int cur)
{
	char *eq = strchr(text, '='), *key, *value, *norm = NULL;
	const struct pmt_option *opt;
	struct pmt_plan_section *s;
	int rc = 0;

	if (!eq)
		return fail(p, file, line, "expected key=value, got '%s'", text);
	*eq = '\0';
	key = pmt_trim(text);
	value = pmt_trim(eq + 1);
	if (!*key) {
		*eq = '=';
		return fail(p, file, line, "expected key=value, got '%s'", text);
	}
	if (cur == CUR_NONE)
		return fail(p, file, line, "expected [global] or [NAME] before '%s=...'", key);

	opt = pmt_option_by_plan_key(key);
	if (!strncmp(key, "param.", 6)) {
		if (!is_name(key + 6))
			return fail(p, file, line, "expected param.NAME with NAME of letters, digits, "
				    "'-', '_' or '.', got '%s'", key);
	} else if (!opt) {
		char known[256];

		pmt_option_plan_keys(known, sizeof(known));
		return fail(p, file, line, "unknown key '%s' (known: %s)", key, known);
	}

	if (in(key, list_keys, ARRAY_SIZE(list_keys))) {
		char bad[128] = "";
		const char *problem;

		norm = xrealloc(NULL, strlen(value) + 1);
		problem = normalize_list(key, value, norm, bad, sizeof(bad));
		if (problem && !strcmp(problem, "unknown device"))
			rc = fail(p, file, line, "unknown device '%s' (known: %s, %s)", bad,
				  pmt_device_name(0), pmt_device_name(1));
		else if (problem && bad[0])
			rc = fail(p, file, line, "expected a comma list of names for %s, got '%s'",
				  key, bad);
		else if (problem)
			rc = fail(p, file, line, "expected a comma list of names for %s, got '%s'",
				  key, value);
		value = norm;
	} else if (!strcmp(key, "seed")) {
		unsigned long long n;

		if (pmt_parse_seed(value, &n))
			rc = fail(p, file, line, "expected seed=N (decimal or 0x hex), got '%s'", value);
	} else if (opt && opt->kind == PMT_OK_INT) {
		char why[256];

		/* The option's own bounds: repeat= and --repeat, smp= and --smp. */
		if (pmt_option_check(opt, value, why, sizeof(why)))
			rc = fail(p, file, line, "expected %s=N with N from %lld to %lld, got '%s'",
				  key, opt->min, opt->max, value);
	} else if (!strcmp(key, "injector") && *value && !is_name(value)) {
		rc = fail(p, file, line, "expected injector=NAME, got '%s'", value);
	}
	if (rc == 0) {
		s = cur == CUR_GLOBAL ? &p->plan->global : &p->plan->sections[cur];
		kv_set(s, key, value, file, line);
	}
	free(norm);
	return rc;
}

static int parse_section(struct parser *p, const char *file, int line, char *text, int *cur)
{
	size_t len = strlen(text);
	struct pmt_plan *plan = p->plan;
	struct pmt_plan_section *s;
	char *name;

	if (text[len - 1] != ']')
		return fail(p, file, line, "expected [NAME], got '%s'", text);
	text[len - 1] = '\0';
	name = pmt_trim(text + 1);
	if (!is_name(name)) {
		text[len - 1] = ']';
		return fail(p, file, line, "expected [NAME] with letters, digits, '-', '_' or '.', "
			    "got '%s'", text);
	}
	if (!strcmp(name, "global")) {
		*cur = CUR_GLOBAL;
		return 0;
	}
	for (size_t i = 0; i < plan->nsections; i++)
		if (!strcmp(plan->sections[i].name, name))
			return fail(p, file, line, "section [%s] already defined at %s:%d", name,
				    plan->sections[i].file, plan->sections[i].line);
	plan->sections = xrealloc(plan->sections, (plan->nsections + 1) * sizeof(*plan->sections));
	s = &plan->sections[plan->nsections];
	memset(s, 0, sizeof(*s));
	s->name = pmt_xstrdup(name);
	s->file = file;
	s->line = line;
	*cur = (int)plan->nsections++;
	return 0;
}

static int read_file(struct parser *p, const char *path, const char *from, int from_line);

#define MAX_PLAN_FILE	(1 << 20)	/* bytes: a plan is a page of text */
#define MAX_PLAN_LINE	4096

/* "include FILE": FILE is relative to the including file's folder. */
static int parse_include(struct parser *p, const char *file, int line, char *arg)
{
	const char *slash = strrchr(file, '/');
	char path[PATH_MAX];

	arg = pmt_trim(arg);
	if (!*arg)
		return fail(p, file, line, "expected 'include FILE', got 'include'");
	if (arg[0] == '/' || !slash) {
		if (pmt_fmt(path, sizeof(path), "%s", arg))
			return fail(p, file, line, "include path too long");
	} else if (pmt_fmt(path, sizeof(path), "%.*s/%s", (int)(slash - file), file, arg)) {
		return fail(p, file, line, "include path too long");
	}
	return read_file(p, path, file, line);
}

static int parse_line(struct parser *p, const char *file, int line, char *raw, int *cur)
{
	char *text = pmt_trim(raw);

	if (!*text || *text == ';' || *text == '#')
		return 0;
	if (*text == '[')
		return parse_section(p, file, line, text, cur);
	/* "include = x" is a (bad) key; "include x" the directive. */
	if (!strncmp(text, "include", 7) && (!text[7] || isspace((unsigned char)text[7])) &&
	    !strchr(text, '='))
		return parse_include(p, file, line, text + 7);
	return parse_kv(p, file, line, text, *cur);
}

static int read_file(struct parser *p, const char *path, const char *from, int from_line)
{
	struct pmt_plan *plan = p->plan;
	char *real, *buf = NULL, *file;
	size_t cap = 0;
	ssize_t n;
	int line = 0, cur = CUR_NONE, rc = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (from)
			return fail(p, from, from_line, "cannot read included file '%s': %s", path,
				    strerror(errno));
		return fail(p, path, 0, "cannot read: %s", strerror(errno));
	}
	/* /dev/zero or a fifo would be read without end: plans are small files. */
	{
		struct stat st;

		if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size > MAX_PLAN_FILE) {
			int regular = !fstat(fileno(f), &st) && S_ISREG(st.st_mode);

			fclose(f);
			return fail(p, from ? from : path, from ? from_line : 0,
				    regular ? "'%s' is larger than %d bytes" : "'%s' is not a regular file",
				    path, MAX_PLAN_FILE);
		}
	}
	real = realpath(path, NULL);
	if (!real) {
		fclose(f);
		return fail(p, path, 0, "cannot resolve: %s", strerror(errno));
	}
	for (int i = 0; i < p->depth; i++) {
		if (strcmp(p->stack[i], real))
			continue;
		free(real);
		fclose(f);
		return fail(p, from, from_line, "include loop: '%s' is already being read", path);
	}
	if (p->depth == MAX_INCLUDE_DEPTH) {
		free(real);
		fclose(f);
		return fail(p, from, from_line, "includes nested deeper than %d", MAX_INCLUDE_DEPTH);
	}
	p->stack[p->depth++] = real;
	/* Kept for the whole plan: kv->file and section->file point here. */
	file = pmt_xstrdup(path);
	plan->files = xrealloc(plan->files, (plan->nfiles + 1) * sizeof(*plan->files));
	plan->files[plan->nfiles++] = file;

	errno = 0;
	while (rc == 0 && (n = getline(&buf, &cap, f)) >= 0) {
		line++;
		/* A NUL would silently cut the line short: say so instead. */
		if ((size_t)n != strlen(buf))
			rc = fail(p, file, line, "expected text, got a NUL byte");
		else if (n > MAX_PLAN_LINE)
			rc = fail(p, file, line, "line longer than %d bytes", MAX_PLAN_LINE);
		else
			rc = parse_line(p, file, line, buf, &cur);
	}
	if (rc == 0 && (ferror(f) || (n < 0 && errno == ENOMEM)))
		rc = fail(p, file, 0, "read error: %s", strerror(errno ? errno : EIO));
	free(buf);
	fclose(f);
	free(p->stack[--p->depth]);
	return rc;
}

/* Values were checked when read; here they become fields. */
static void resolve_numbers(struct pmt_plan_section *s)
{
	const char *v;

	long long n;

	s->repeat = 1;
	v = pmt_plan_get(s, "repeat");
	if (v && !pmt_parse_whole(v, 1, INT_MAX, &n))
		s->repeat = (unsigned int)n;
	v = pmt_plan_get(s, "seed");
	s->has_seed = v && pmt_parse_seed(v, &s->seed) == 0;
}

/* Each section: the [global] values, then its own over them. */
static void resolve(struct pmt_plan *plan)
{
	resolve_numbers(&plan->global);
	for (size_t i = 0; i < plan->nsections; i++) {
		struct pmt_plan_section *s = &plan->sections[i];
		struct pmt_plan_section own = *s;

		s->kv = NULL;
		s->nkv = 0;
		for (size_t k = 0; k < plan->global.nkv; k++)
			kv_set(s, plan->global.kv[k].key, plan->global.kv[k].value,
			       plan->global.kv[k].file, plan->global.kv[k].line);
		for (size_t k = 0; k < own.nkv; k++) {
			kv_set(s, own.kv[k].key, own.kv[k].value, own.kv[k].file, own.kv[k].line);
			free(own.kv[k].key);
			free(own.kv[k].value);
		}
		free(own.kv);
		resolve_numbers(s);
	}
}

int pmt_plan_load(const char *path, struct pmt_plan *plan, char *err, size_t errlen)
{
	struct parser p = { .plan = plan, .err = err, .errlen = errlen };

	memset(plan, 0, sizeof(*plan));
	plan->global.name = pmt_xstrdup("global");
	if (read_file(&p, path, NULL, 0))
		goto fail;
	if (!plan->nsections) {
		fail(&p, path, 0, "expected at least one [NAME] section besides [global]");
		goto fail;
	}
	resolve(plan);
	return 0;
fail:
	pmt_plan_free(plan);
	return -1;
}

static int known_plans(const char *dir, char *buf, size_t len)
{
	struct dirent **names;
	size_t off = 0;
	int n = scandir(dir, &names, NULL, alphasort);

	buf[0] = '\0';
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		size_t l = strlen(d);

		if (l > 4 && !strcmp(d + l - 4, ".ini") && off < len)
			off += snprintf(buf + off, len - off, "%s%.*s", off ? ", " : "", (int)(l - 4), d);
		free(names[i]);
	}
	free(names);
	return 0;
}

int pmt_plan_resolve_name(const char *root, const char *name, char *path, size_t len,
			  char *err, size_t errlen)
{
	size_t l = strlen(name);
	char dir[PATH_MAX], known[512];

	if (strchr(name, '/') || (l > 4 && !strcmp(name + l - 4, ".ini"))) {
		if (pmt_fmt(path, len, "%s", name)) {
			snprintf(err, errlen, "plan path too long: %s", name);
			return -1;
		}
		return 0;
	}
	if (!is_name(name) || pmt_fmt(dir, sizeof(dir), "%s/%s", root, PMT_PLAN_DIR) ||
	    pmt_fmt(path, len, "%s/%s.ini", dir, name) || access(path, R_OK)) {
		if (known_plans(dir, known, sizeof(known)))
			snprintf(err, errlen, "unknown plan '%s' (no plans in %s)", name, dir);
		else
			snprintf(err, errlen, "unknown plan '%s' (known: %s)", name, known);
		return -1;
	}
	return 0;
}
