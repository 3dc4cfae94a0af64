/* SPDX-License-Identifier: MIT */
/*
 * Typed parameters, in the manner of fio's options[]: an injector lists its
 * own in one table, and that one table serves the command line
 * (--param NAME=VALUE), plan files (param.NAME = VALUE) and --help.  A
 * value is checked when the cases are built, before anything boots, so an
 * unknown name or a value of the wrong type is a one-line error naming
 * where it was written, never a setting silently dropped.
 */
#ifndef PMT_PARAM_H
#define PMT_PARAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum pmt_param_type {
	PMT_PARAM_INT,		/* a whole number in [min, max] */
	PMT_PARAM_ENUM,		/* one of choices[] */
	PMT_PARAM_TEXT,		/* free text, checked by check() when set */
};

struct pmt_param {
	const char *name;	/* NULL ends a table */
	enum pmt_param_type type;
	const char *def;	/* the default, as text; NULL: the named option's (help says) */
	long long min, max;	/* PMT_PARAM_INT */
	const char *const *choices;	/* PMT_PARAM_ENUM, NULL-terminated */
	/* PMT_PARAM_TEXT: 0 if @value is good, else -1 with what is expected in @err. */
	int (*check)(const char *value, char *err, size_t errlen);
	const char *help;	/* one line: what it changes, in the guest or the host */
};

/* The entry called @name in @table (which may be NULL), or NULL. */
const struct pmt_param *pmt_param_find(const struct pmt_param *table, const char *name);

/*
 * Is @value good for @p?  0, or -1 with "expected ..." in @err (the caller
 * says where the value came from).
 */
int pmt_param_check(const struct pmt_param *p, const char *value, char *err, size_t errlen);

/* @value of an INT parameter that pmt_param_check() accepted. */
long long pmt_param_int_value(const char *value);

/* The names in @table, comma separated, into @buf ("" for none). */
void pmt_param_names(const struct pmt_param *table, char *buf, size_t len);

/* --help's lines for @table: "  NAME=TYPE  help (default D)", each prefixed by @indent. */
void pmt_param_help(FILE *out, const struct pmt_param *table, const char *indent);

#endif
