/* SPDX-License-Identifier: MIT */
/*
 * Plan files: INI in fio's style, so a nightly job is a file in review
 * rather than a long command line.
 *
 *   ; comment            (also '#'; only at the start of a line, so values
 *   # comment             may contain ';' and '#')
 *   include common.ini   (relative to the including file; loops are errors)
 *   [global]             defaults for every section, in every file
 *   scenario = mapsync
 *   [mapsync-matrix]     one case group: scenario x device x fs x workload
 *   device = virtio-pmem, nvdimm
 *   fs = ext4,xfs
 *   param.size = 64M     free-form, passed to the scenario
 *
 * Keys: scenario, device, fs, mkfs_opts, mount_opts, workload, injector,
 * repeat, seed, smp, param.NAME.  device, fs and workload are comma lists.
 * smp = N: the guests' vCPUs (1..PMT_MAX_SMP); --smp wins over it.
 * A section's own values override [global]; of several [global] values
 * for one key, the last one read wins (includes are read where they stand).
 * A key absent everywhere is absent (NULL): the runner picks its default.
 */
#ifndef PMT_PLAN_H
#define PMT_PLAN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Named plans live here, under the source root: ROOT/harness/plans/NAME.ini. */
#define PMT_PLAN_DIR "harness/plans"

struct pmt_plan_kv {
	char *key;
	char *value;			/* spaces around it trimmed */
	const char *file;		/* where it was set, for later errors */
	int line;
};

struct pmt_plan_section {
	char *name;
	const char *file;		/* where [name] stands */
	int line;
	struct pmt_plan_kv *kv;		/* resolved: [global] values, then its own */
	size_t nkv;
	unsigned int repeat;		/* 1 unless repeat= says otherwise */
	bool has_seed;
	unsigned long long seed;
};

struct pmt_plan {
	struct pmt_plan_section global;	/* the merged [global] section */
	struct pmt_plan_section *sections;	/* in file order, [global] excluded */
	size_t nsections;
	char **files;			/* every file read; kv->file points here */
	size_t nfiles;
};

/*
 * Read @path and its includes.  Returns 0, or -1 with one line in @err that
 * names the file, the line and what was expected.  On error @plan is
 * already freed.  The syntax and the keys only: whether each section names
 * a scenario that runs on its devices and filesystems is for the layer
 * that knows the scenarios (run/plan_check.h).
 */
int pmt_plan_load(const char *path, struct pmt_plan *plan, char *err, size_t errlen);
void pmt_plan_free(struct pmt_plan *plan);

/* A key's resolved value in a section, or NULL. */
const char *pmt_plan_get(const struct pmt_plan_section *s, const char *key);
const struct pmt_plan_kv *pmt_plan_find(const struct pmt_plan_section *s, const char *key);

/* The section's param.NAME values as {"NAME": "value"} (a new reference). */
struct json_object *pmt_plan_params(const struct pmt_plan_section *s);
/* A smp= value: N in 1..PMT_MAX_SMP (options.h), or -1 for anything else. */
int pmt_plan_parse_smp(const char *v);

/*
 * "quick" -> ROOT/harness/plans/quick.ini.  A name with a '/' or ending in
 * ".ini" is taken as a path as it is.  Returns 0, or -1 with a line in
 * @err that lists the known plans.
 */
int pmt_plan_resolve_name(const char *root, const char *name, char *path, size_t len,
			  char *err, size_t errlen);

#endif
