/* SPDX-License-Identifier: MIT */
/*
 * The error-handling behaviour report: what each access path got after a
 * memory or flush error, side by side for virtio-pmem and the emulated
 * ACPI NVDIMM, ext4 and xfs, and the case's mode (dax, nodax, pagecache,
 * srao, ...).  It answers the cover letter's open questions with what the
 * guest kernels did.
 *
 * The input is the "behaviour" array the error scenarios record in a
 * case's details (expect.h: {path, observed, expected, reason, match}),
 * plus, from the workload's result in the same details, the key dmesg
 * line, whether the guest panicked and whether the data read back right
 * after recovery.
 *
 * Layout: one table.  Columns are device x fs x mode slot (in a kernel
 * matrix the device axis is device@kernel, each device's kernels side by
 * side, oldest first); the modes of
 * a scenario are its own (badblocks has dax/nodax, hwpoison dax/pagecache),
 * so each scenario's block of rows starts with a row naming its modes.
 * Rows are the scenario's access paths in a fixed order, then dmesg,
 * panic, data after recovery and verdict.
 *
 * Building and rendering are pure functions, unit tested.  The model
 * borrows strings from the summaries: keep them alive while it is used.
 */
#ifndef PMT_REPORT_BEHAVIOUR_H
#define PMT_REPORT_BEHAVIOUR_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"

/* Ordered from best to worst: a cell shows the worst of its cases. */
enum pmt_bhv_mark {
	PMT_BHV_NONE,		/* no record for this path */
	PMT_BHV_MATCH,		/* as expected: ✓ */
	PMT_BHV_UNKNOWN,	/* no expectation applied, recorded only: ? */
	PMT_BHV_MISMATCH,	/* not as expected, the case is FAIL: ✗ */
};

struct pmt_bhv_cell {
	char observed[128];	/* distinct outcomes of its cases, " / " joined */
	enum pmt_bhv_mark mark;
	int note;		/* number of the expectation's footnote, 0: none */
};

/* The data after recovery, ordered from worst to best. */
enum pmt_bhv_data {
	PMT_BHV_DATA_UNKNOWN,		/* nothing compared it */
	PMT_BHV_DATA_BAD,		/* read back, and wrong */
	PMT_BHV_DATA_UNREADABLE,	/* the re-read failed */
	PMT_BHV_DATA_OK,
};

/* One column of one scenario: the cases of one (device, fs, mode). */
struct pmt_bhv_col {
	const char *mode;	/* NULL: no case here */
	const char *verdict;	/* the worst of its cases */
	const char *dmesg;	/* key dmesg line, timestamp cut; NULL: none */
	int dmesg_ref;		/* its number in the model's dmesg list */
	int panic;		/* 1 yes, 0 no, -1 unknown */
	enum pmt_bhv_data data;	/* the worst of its cases */
};

struct pmt_bhv_scenario {
	const char *name;
	const char **modes;	/* slot -> mode */
	size_t nmodes;
	const char **paths;	/* row -> access path */
	size_t npaths;
	struct pmt_bhv_col *cols;	/* [model ncols] */
	struct pmt_bhv_cell *cells;	/* [npaths * model ncols] */
};

struct pmt_bhv_note {
	const char *scenario, *expected, *reason;
};

struct pmt_bhv_dmesg {
	const char *line, *scenario, *device, *fs, *mode;
};

struct pmt_bhv_other {
	const char *id, *verdict, *reason;
};

struct pmt_bhv_model {
	const char **runs;		/* run ids of the summaries */
	size_t nruns;
	const char **devices;		/* virtio-pmem first, then nvdimm, then others */
	size_t ndevices;
	const char **fs;
	size_t nfs;
	size_t nslots;			/* the most modes any scenario has */
	size_t ncols;			/* ndevices * nfs * nslots */
	struct pmt_bhv_scenario *scen;
	size_t nscen;
	struct pmt_bhv_note *notes;	/* footnote k is notes[k - 1] */
	size_t nnotes;
	struct pmt_bhv_dmesg *dmesg;	/* dmesg line k is dmesg[k - 1] */
	size_t ndmesg;
	struct pmt_bhv_other *others;	/* not PASS and no observations (SKIP, BROK) */
	size_t nothers;
	/* Issue 9: cases on several kernels make the device axis device@kernel,
	 * strings the model owns. */
	bool multi_kernel;
	char **owned;
	size_t nowned;
};

/* Column @col of the model: which device, fs and mode slot. */
static inline size_t pmt_bhv_col_index(const struct pmt_bhv_model *m, size_t dev, size_t fs,
				       size_t slot)
{
	return (dev * m->nfs + fs) * m->nslots + slot;
}

/* Did any case of @summary record behaviour observations? */
bool pmt_bhv_any(struct json_object *summary);

/* The cases of all @summaries (repeats and several runs share cells). NULL: no memory. */
struct pmt_bhv_model *pmt_bhv_build(struct json_object *const *summaries, size_t n);
void pmt_bhv_free(struct pmt_bhv_model *m);

/* behaviour.md: the table (columns padded, for a terminal too), dmesg lines, footnotes. */
char *pmt_bhv_markdown(const struct pmt_bhv_model *m);
/* behaviour.html: one self-contained file, nothing fetched. */
char *pmt_bhv_html(const struct pmt_bhv_model *m);

/*
 * Write @dir/behaviour.md and @dir/behaviour.html from @summaries and
 * print the Markdown on @out (NULL: do not).  With @only_if_any, nothing
 * happens when no case recorded behaviour.  Returns 1 when written, 0
 * when not, -1 with one line in @err.
 */
int pmt_bhv_write(const char *dir, struct json_object *const *summaries, size_t n,
		  bool only_if_any, FILE *out, char *err, size_t errlen);

/*
 * The command (cmd_report.c).  `--behaviour` is report's own switch, so
 * main() takes it out of argv before the common options are parsed; it
 * returns whether it was there.
 */
bool pmt_report_take_behaviour(int *argc, char **argv);
/* The same for any of report's own switches @sw ("--finding"). */
bool pmt_report_take_switch(int *argc, char **argv, const char *sw);
/* `pmtorture report --behaviour [-o OUT_DIR] RUN_DIR [MORE_RUN_DIR...]` */
int pmt_report_behaviour_main(const struct pmt_options *o);

#endif
