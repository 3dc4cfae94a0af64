// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the plan reader (harness/select/plan.c) and the expansion
 * of a plan into cases (pmt_cases_build).
 *
 * The input is up to three files, separated by a line "--file--":
 * plan.ini (the one loaded), b.ini and sub/c.ini, written into a private
 * folder, so includes, include loops ("include ../plan.ini"), nesting and
 * missing files are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "fuzz_files.h"
#include "plan.h"
#include "cases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Repeats multiply cases: a plan asking for many is its author's choice, not a bug. */
#define MAX_REPEATS_EXPANDED 100

static const char *const names[] = { "plan.ini", "b.ini", "sub/c.ini" };
static const char *const dirs[] = { "sub", NULL };
static struct fuzz_files files = { .names = names, .dirs = dirs, .n = 3 };

static void expand(const char *path, const struct pmt_plan *plan)
{
	struct pmt_options o;
	struct pmt_case *cases = NULL;
	size_t n = 0, total = 0;
	char err[512];

	for (size_t i = 0; i < plan->nsections; i++)
		total += plan->sections[i].repeat;
	if (total > MAX_REPEATS_EXPANDED)
		return;
	pmt_options_defaults(&o);
	o.plan = path;
	if (pmt_cases_build(&o, &cases, &n, err, sizeof(err)) == 0)
		pmt_cases_free(cases, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmt_plan plan;
	char path[160], err[1024];

	fuzz_files_setup(&files, "plan");
	fuzz_files_write(&files, data, size, "\n--file--\n");
	fuzz_path(&files, "plan.ini", path, sizeof(path));
	if (pmt_plan_load(path, &plan, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < plan.nsections; i++) {
			const struct pmt_plan_section *s = &plan.sections[i];

			json_object_put(pmt_plan_params(s));
			pmt_plan_get(s, "scenario");
			pmt_plan_find(s, "device");
		}
		expand(path, &plan);
		pmt_plan_free(&plan);
	} else if (!memchr(err, '\0', sizeof(err)) || strchr(err, '\n')) {
		abort();	/* a plan error is one line */
	}
	return 0;
}
