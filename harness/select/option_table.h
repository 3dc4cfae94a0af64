/* SPDX-License-Identifier: MIT */
/*
 * Every option of pmtorture, written once (fio's options[] is the model):
 * its names, its value's type and bounds, the field of struct pmt_options
 * it sets, the plan-file key that says the same, and its --help text.
 * getopt's long_opts[] and short string, the parser's checks and one-line
 * errors, a plan file's known keys and their checks, and the option part
 * of --help are all made from this one table, so an option cannot be
 * parsed one way and described another.
 */
#ifndef PMT_OPTION_TABLE_H
#define PMT_OPTION_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"

/* The --help headings, in the order they are printed. */
enum pmt_option_group {
	PMT_OG_SELECT,		/* which cases */
	PMT_OG_RUN,		/* how the run goes */
	PMT_OG_GUEST,		/* the guest and QEMU */
	PMT_OG_POWERCUT,	/* the power-cut scenario's settings */
	PMT_OG_LIMITS,		/* time limits */
	PMT_OG_OUTPUT,		/* results and reports */
	PMT_OG_COUNT,
};

enum pmt_option_kind {
	PMT_OK_TEXT,		/* const char * field; @choices, when set, are the only values */
	PMT_OK_INT,		/* int field, a whole number in [min, max] */
	PMT_OK_FLAG,		/* bool field, set to true; takes no value */
	PMT_OK_CHOICE,		/* int (enum) field: the index of the value in @choices */
	/* An injector's parameter (param.h) by a name of its own: --crash-at V
	 * is --param crash_at=V, checked by the injector's table when the
	 * cases are built. */
	PMT_OK_PARAM,
	PMT_OK_CUSTOM,		/* set() does it */
};

struct pmt_option {
	const char *name;		/* long name without "--"; NULL: a plan key only */
	int short_name;			/* 'x' for -x, else 0 */
	const char *metavar;		/* the value in --help ("N", "LIST"); NULL: no value */
	enum pmt_option_group group;
	enum pmt_option_kind kind;
	size_t offset;			/* of the field in struct pmt_options */
	long long min, max;		/* PMT_OK_INT; PMT_OK_TEXT: min 1 = not empty */
	const char *const *choices;	/* PMT_OK_TEXT, PMT_OK_CHOICE: NULL-terminated */
	const char *param;		/* PMT_OK_PARAM: the injector parameter's name */
	/* PMT_OK_CUSTOM: take @arg.  0, or -1 with a one-line reason in @err. */
	int (*set)(struct pmt_options *o, const struct pmt_option *opt, const char *arg,
		   char *err, size_t errlen);
	/* The key of a plan section that says the same ("fs"), or NULL; a
	 * plan value is checked by pmt_option_check() like the option's. */
	const char *plan_key;
	const char *help;		/* --help's words, wrapped when printed */
};

/* The table, ended by an entry whose name and plan_key are both NULL. */
extern const struct pmt_option pmt_option_table[];

/* The option called --@name (or -@name[0] when @name is one letter), or NULL. */
const struct pmt_option *pmt_option_find(const char *name);
/* The option or plan-only entry whose plan key is @key, or NULL. */
const struct pmt_option *pmt_option_by_plan_key(const char *key);

/*
 * Is @value good for @opt, as its kind and bounds say?  0, or -1 with
 * "takes ..., not \"VALUE\"" in @err (the caller names where it was
 * written).  A CUSTOM or PARAM entry is not checked here (0).
 */
int pmt_option_check(const struct pmt_option *opt, const char *value, char *err, size_t errlen);

/* The plan keys of the table, comma separated, into @buf. */
void pmt_option_plan_keys(char *buf, size_t len);

/*
 * Print the option part of --help: each group's heading and its options,
 * "  -s, --scenario LIST   words..." wrapped at 80 columns.  A PARAM
 * option's values are its injector's (help's "Injectors" part lists them).
 */
void pmt_option_help(FILE *out);

#endif
