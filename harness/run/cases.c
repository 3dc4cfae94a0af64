// SPDX-License-Identifier: MIT
/*
 * The cases of a run: the command line's matrix (scenario x device x fs x
 * workload), or each section of a --plan expanded the same way, then
 * narrowed by the command line (--scenario, --device, --fs, --workload,
 * --filter), repeated, and sliced by --shard.  Pure: nothing boots here.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "image.h"
#include "injector_list.h"
#include "kernels.h"
#include "plan.h"
#include "plan_check.h"
#include "scenario_list.h"
#include "shard.h"
#include "util.h"

struct case_list {
	struct pmt_case *list;
	size_t count, cap;
	/* Every cell's id made so far (with its vCPUs), --filter or not: a
	 * plan section's id must not depend on what --filter left out (a
	 * case's reproduce command filters on the id it had in the run). */
	char (*made)[160];
	size_t nmade, capmade;
};

/* What one expansion works from: the command line's, or one plan section's. */
struct matrix {
	const char *scenarios;		/* "all" or a comma list */
	const char *devices;		/* NULL: every device the scenario runs on */
	const char *filesystems;	/* NULL: every fs the scenario runs on */
	const char *workloads;		/* NULL: every variant */
	const char *injectors;		/* NULL: any injector */
	const struct pmt_plan_section *section;	/* NULL for the command line */
	unsigned int repeat;
	unsigned long long seed;
};

static void case_release(struct pmt_case *c)
{
	json_object_put(c->details);
	json_object_put(c->notes);
	json_object_put(c->observed);
	json_object_put(c->params);
	free(c->owned);
}

void pmt_cases_free(struct pmt_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		case_release(&cases[i]);
	free(cases);
}

/*
 * Was the cell @base with @smp vCPUs made before?  Records it either way.
 * Cells that differ in vCPUs only are told apart by "/smpN" (mark_smp).
 */
static bool cell_made(struct case_list *cl, const char *base, unsigned int smp)
{
	char key[sizeof(cl->made[0])];

	snprintf(key, sizeof(key), "%s/smp%u", base, smp);
	for (size_t i = 0; i < cl->nmade; i++)
		if (!strcmp(cl->made[i], key))
			return true;
	if (cl->nmade == cl->capmade) {
		cl->capmade = cl->capmade ? cl->capmade * 2 : 16;
		cl->made = realloc(cl->made, cl->capmade * sizeof(*cl->made));
		if (!cl->made)
			abort();
	}
	memcpy(cl->made[cl->nmade++], key, sizeof(key));
	return false;
}

/* One buffer per case for the section's strings, so the plan can be freed. */
static void copy_section(struct pmt_case *c, const struct pmt_plan_section *s)
{
	const char *keys[] = { "mount_opts", "mkfs_opts" };
	const char **dst[] = { &c->mount_opts, &c->mkfs_opts };
	size_t len = strlen(s->name) + 1, off = 0;

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		if (pmt_plan_get(s, keys[k]))
			len += strlen(pmt_plan_get(s, keys[k])) + 1;
	c->owned = malloc(len);
	if (!c->owned)
		abort();
	c->section = strcpy(c->owned, s->name);
	off = strlen(s->name) + 1;
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		const char *v = pmt_plan_get(s, keys[k]);

		if (!v)
			continue;
		*dst[k] = strcpy(c->owned + off, v);
		off += strlen(v) + 1;
	}
	c->params = pmt_plan_params(s);
}

/*
 * --filter on a case of a kernel matrix: the id with or without its
 * "@KERNEL", so 'mapsync:*:ext4' keeps selecting what it did with one
 * kernel, and 'mapsync:*@6.12*' picks a kernel.
 */
static bool filtered_out(const struct pmt_options *o, const char *id, const char *plain,
			 unsigned int smp)
{
	char with_smp[160];

	if (!o->filter || !fnmatch(o->filter, id, 0) || !fnmatch(o->filter, plain, 0))
		return false;
	/* The id a case on other than its scenario's vCPUs has (mark_smp),
	 * as a reproduce command quotes it. */
	snprintf(with_smp, sizeof(with_smp), "%s/smp%u", id, smp);
	return fnmatch(o->filter, with_smp, 0) != 0;
}

/* The vCPUs of a case: --smp, the plan section's smp =, the scenario's default, 1. */
static unsigned int case_smp(const struct pmt_options *o, const struct matrix *m,
			     const struct pmt_scenario *s)
{
	int v = m->section ? pmt_plan_parse_smp(pmt_plan_get(m->section, "smp")) : -1;

	if (o->smp > 0)
		return (unsigned int)o->smp;
	if (v > 0)
		return (unsigned int)v;
	return s->smp ? s->smp : 1;
}

/*
 * A case on other vCPUs than its scenario's default says so in its id,
 * "/smpN" at the end: an id names one configuration whatever else the run
 * holds, so expunge lines, baselines and reproduce commands keep matching
 * when a plan (nightly, with the device plan's 2-vCPU scenarios in it)
 * mixes counts.
 */
static void mark_smp(struct case_list *cl)
{
	for (size_t i = 0; i < cl->count; i++) {
		struct pmt_case *c = &cl->list[i];
		size_t l = strlen(c->id);

		if (c->smp != (c->scenario->smp ? c->scenario->smp : 1))
			snprintf(c->id + l, sizeof(c->id) - l, "/smp%u", c->smp);
	}
}

/* Append one case (and its repeats, on each kernel) unless a narrowing option leaves it out. */
static void add_case(struct case_list *cl, const struct pmt_options *o, const struct matrix *m,
		     const struct pmt_scenario *s, enum pmt_device_kind d, const char *fs,
		     const char *variant)
{
	size_t nk = o->kernels ? o->kernels->n : 0;
	char base[128];

	if (variant && strcmp(o->workloads, "all") && !pmt_list_has(o->workloads, variant))
		return;
	if (variant && m->workloads && !pmt_list_has(m->workloads, variant))
		return;
	snprintf(base, sizeof(base), "%s%s%s:%s:%s", s->name, variant ? ":" : "",
		 variant ? variant : "", pmt_device_name(d), fs);
	/* Two plan sections on the same cell (say, other mount options) stay apart. */
	if (cell_made(cl, base, case_smp(o, m, s)) && m->section) {
		size_t l = strlen(base);

		snprintf(base + l, sizeof(base) - l, "@%s", m->section->name);
	}
	for (size_t k = 0; k < (nk ? nk : 1); k++)
	for (unsigned int r = 1; r <= m->repeat; r++) {
		const struct pmt_kernel *kernel = nk ? &o->kernels->v[k] : NULL;
		char plain[sizeof(base) + 16];
		struct pmt_case *c;

		if (cl->count == cl->cap) {
			cl->cap = cl->cap ? cl->cap * 2 : 8;
			cl->list = realloc(cl->list, cl->cap * sizeof(*cl->list));
			if (!cl->list)
				abort();
		}
		c = &cl->list[cl->count];
		memset(c, 0, sizeof(*c));
		/* Repeat 1 keeps the plain id, so baselines match runs without --repeat. */
		if (r == 1)
			snprintf(plain, sizeof(plain), "%s", base);
		else
			snprintf(plain, sizeof(plain), "%s#%u", base, r);
		if (nk > 1)
			snprintf(c->id, sizeof(c->id), "%s@%s%s", base, kernel->label, plain + strlen(base));
		else
			snprintf(c->id, sizeof(c->id), "%s", plain);
		if (filtered_out(o, c->id, plain, case_smp(o, m, s)))
			continue;
		c->smp = case_smp(o, m, s);
		c->kernel = kernel;
		c->scenario = s;
		c->inj = pmt_injector_find(s->injector);
		c->device = d;
		c->fs = fs;
		c->variant = variant;
		c->opt = o;
		c->repeat = r;
		c->seed = m->seed + r - 1;
		if (m->section)
			copy_section(c, m->section);
		cl->count++;
	}
}

static void expand(struct case_list *cl, const struct pmt_options *o, const struct matrix *m)
{
	for (int i = 0; pmt_scenarios[i]; i++) {
		const struct pmt_scenario *s = pmt_scenarios[i];

		if (strcmp(m->scenarios, "all") && !pmt_list_has(m->scenarios, s->name))
			continue;
		if (strcmp(o->scenarios, "all") && !pmt_list_has(o->scenarios, s->name))
			continue;
		/* --injector and a plan's injector = pick the scenarios using them. */
		if ((strcmp(o->injectors, "all") || m->injectors) &&
		    (!s->injector || (strcmp(o->injectors, "all") && !pmt_list_has(o->injectors, s->injector)) ||
		     (m->injectors && !pmt_list_has(m->injectors, s->injector))))
			continue;
		/* A hidden scenario (replay) runs only when named. */
		if (s->hidden && !pmt_list_has(o->scenarios, s->name) &&
		    !pmt_list_has(m->scenarios, s->name))
			continue;
		for (int d = 0; d < PMT_NR_DEVICE_KINDS; d++) {
			if (!(s->devices & PMT_DEVICE_BIT(d)) ||
			    !pmt_list_has(o->devices, pmt_device_name(d)) ||
			    (m->devices && !pmt_list_has(m->devices, pmt_device_name(d))))
				continue;
			for (int f = 0; s->filesystems[f]; f++) {
				const char *fs = s->filesystems[f];

				if (!pmt_list_has(o->filesystems, fs) ||
				    (m->filesystems && !pmt_list_has(m->filesystems, fs)))
					continue;
				if (!s->variants)
					add_case(cl, o, m, s, d, fs, NULL);
				for (int v = 0; s->variants && s->variants[v]; v++)
					add_case(cl, o, m, s, d, fs, s->variants[v]);
			}
		}
	}
}

static bool scenario_known(const char *name) { return pmt_scenario_find(name) != NULL; }
static bool injector_known(const char *name) { return pmt_injector_find(name) != NULL; }

/* Every name of comma list @list (or "all") must be @known; else one line
 * "PREFIXunknown NOUN \"NAME\" (HINT)". */
static int check_names(const char *prefix, const char *noun, const char *list,
		       bool (*known)(const char *), const char *hint, char *err, size_t errlen)
{
	char *copy, *save = NULL;
	int rc = 0;

	if (!strcmp(list, "all"))
		return 0;
	copy = pmt_xstrdup(list);
	for (char *s = strtok_r(copy, ",", &save); s && !rc; s = strtok_r(NULL, ",", &save))
		if (!known(s))
			rc = pmt_fail(err, errlen, "%sunknown %s \"%s\" (%s)", prefix, noun, s, hint);
	free(copy);
	return rc;
}

static int check_scenarios(const char *list, char *err, size_t errlen)
{
	return check_names("--scenario: ", "scenario", list, scenario_known, "see: pmtorture list",
			   err, errlen);
}

static int check_injectors(const char *opt, const char *list, char *err, size_t errlen)
{
	char names[512];
	size_t off = 0;

	names[0] = '\0';
	for (int i = 0; pmt_injectors[i] && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
					i ? ", " : "known: ", pmt_injectors[i]->name);
	return check_names(opt, "injector", list, injector_known, names, err, errlen);
}

/*
 * A plan section's param.NAME lines against the injector of each case it
 * made (cases [from, to)): an unknown name or a bad value is an error that
 * names the file and the line where it was written.
 */
static int check_section_params(const struct pmt_plan_section *sec, const struct case_list *cl,
				size_t from, char *err, size_t errlen)
{
	for (size_t k = 0; k < sec->nkv; k++) {
		const struct pmt_plan_kv *kv = &sec->kv[k];
		const char *name = kv->key + 6;

		if (strncmp(kv->key, "param.", 6))
			continue;
		for (size_t i = from; i < cl->count; i++) {
			const struct pmt_injector *inj = cl->list[i].inj;
			const struct pmt_param *p = inj ? pmt_param_find(inj->params, name) : NULL;
			char why[256], names[256];

			if (!p) {
				pmt_param_names(inj ? inj->params : NULL, names, sizeof(names));
				snprintf(err, errlen, "%s:%d: %s: the %s%s%s has no parameter \"%s\" "
					 "(it has: %s)", kv->file, kv->line, kv->key,
					 inj ? "injector " : "scenario ",
					 inj ? inj->name : cl->list[i].scenario->name,
					 inj ? "" : " (no injector)", name, names[0] ? names : "none");
				return -1;
			}
			if (pmt_param_check(p, kv->value, why, sizeof(why))) {
				snprintf(err, errlen, "%s:%d: %s = %s: %s", kv->file, kv->line, kv->key,
					 kv->value, why);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * --param NAME=VALUE (and the options that name a parameter, --crash-at):
 * some selected case's injector must have NAME, and take VALUE.
 */
static int check_cli_params(const struct pmt_options *o, const struct case_list *cl,
			    char *err, size_t errlen)
{
	for (int k = 0; k < o->nparams; k++) {
		const struct pmt_param_arg *a = &o->params[k];
		char name[64], given[320], why[256];
		bool known = false;

		snprintf(name, sizeof(name), "%.*s", (int)a->name_len, a->name);
		if (!strcmp(a->option, "param"))
			snprintf(given, sizeof(given), "--param %s=%s", name, a->value);
		else
			snprintf(given, sizeof(given), "--%s %s", a->option, a->value);
		for (size_t i = 0; i < cl->count; i++) {
			const struct pmt_injector *inj = cl->list[i].inj;
			const struct pmt_param *p = inj ? pmt_param_find(inj->params, name) : NULL;

			if (!p)
				continue;
			known = true;
			if (pmt_param_check(p, a->value, why, sizeof(why)))
				return pmt_fail(err, errlen, "%s: %s", given, why);
		}
		if (!known)
			return pmt_fail(err, errlen, "%s: no selected case's injector has a parameter "
					"\"%s\" (see: pmtorture help injectors)", given, name);
	}
	return 0;
}

static int expand_plan(struct case_list *cl, const struct pmt_options *o, char *err, size_t errlen)
{
	struct pmt_plan plan;
	char path[PATH_MAX];

	if (pmt_plan_resolve_name(pmt_root(), o->plan, path, sizeof(path), err, errlen) ||
	    pmt_plan_load(path, &plan, err, errlen))
		return -1;
	if (pmt_plan_check_scenarios(&plan, err, errlen)) {
		pmt_plan_free(&plan);
		return -1;
	}
	for (size_t i = 0; i < plan.nsections; i++) {
		const struct pmt_plan_section *s = &plan.sections[i];
		struct matrix m = {
			.scenarios = pmt_plan_get(s, "scenario"),
			.devices = pmt_plan_get(s, "device"),
			.filesystems = pmt_plan_get(s, "fs"),
			.workloads = pmt_plan_get(s, "workload"),
			.injectors = pmt_plan_get(s, "injector"),
			.section = s,
			.repeat = o->repeat ? (unsigned int)o->repeat : s->repeat,
			.seed = s->has_seed ? s->seed : o->seed,
		};

		size_t from = cl->count;
		const struct pmt_plan_kv *inj = pmt_plan_find(s, "injector");

		if (inj && check_injectors("", inj->value, err, errlen)) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "%s:%d: injector = %s: %s", inj->file, inj->line, inj->value, why);
			pmt_plan_free(&plan);
			return -1;
		}
		expand(cl, o, &m);
		if (check_section_params(s, cl, from, err, errlen)) {
			pmt_plan_free(&plan);
			return -1;
		}
	}
	pmt_plan_free(&plan);
	return 0;
}

int pmt_cases_build(const struct pmt_options *o, struct pmt_case **cases, size_t *n,
		    char *err, size_t errlen)
{
	struct case_list cl = { 0 };
	struct pmt_shard sh = { .index = o->shard_index, .count = o->shard_count };
	size_t kept = 0;

	/* Unknown scenario names are an error, before anything boots. */
	if (check_scenarios(o->scenarios, err, errlen) ||
	    check_injectors("--injector: ", o->injectors, err, errlen))
		return -1;
	if (o->plan) {
		if (expand_plan(&cl, o, err, errlen)) {
			pmt_cases_free(cl.list, cl.count);
			free(cl.made);
			return -1;
		}
	} else {
		struct matrix m = {
			.scenarios = "all",
			.repeat = o->repeat ? (unsigned int)o->repeat : 1,
			.seed = o->seed,
		};

		expand(&cl, o, &m);
	}
	if (!cl.count) {
		free(cl.list);
		free(cl.made);
		snprintf(err, errlen, "no case matches the selection%s%s (see: pmtorture list)",
			 o->plan ? " of plan " : "", o->plan ? o->plan : "");
		return -1;
	}
	free(cl.made);
	if (check_cli_params(o, &cl, err, errlen)) {
		pmt_cases_free(cl.list, cl.count);
		return -1;
	}
	mark_smp(&cl);
	/* A shard may be empty: that is a valid run of nothing, not an error. */
	for (size_t i = 0; i < cl.count; i++) {
		if (sh.count && !pmt_shard_has(&sh, cl.list[i].id)) {
			case_release(&cl.list[i]);
			continue;
		}
		cl.list[kept++] = cl.list[i];
	}
	*cases = cl.list;
	*n = kept;
	return 0;
}
