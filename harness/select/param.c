// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"

const struct pmt_param *pmt_param_find(const struct pmt_param *table, const char *name)
{
	for (const struct pmt_param *p = table; p && p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static void choices_text(const struct pmt_param *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; p->choices && p->choices[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", p->choices[i]);
}

/* Digits only, with a '-' where allowed: no white space, no '+', no "0x". */
static int parse_whole(const char *s, long long *out)
{
	char *end;

	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int pmt_param_check(const struct pmt_param *p, const char *value, char *err, size_t errlen)
{
	char names[256];
	long long v;

	switch (p->type) {
	case PMT_PARAM_INT:
		if (parse_whole(value, &v) || v < p->min || v > p->max) {
			snprintf(err, errlen, "expected a whole number from %lld to %lld", p->min, p->max);
			return -1;
		}
		return 0;
	case PMT_PARAM_ENUM:
		for (int i = 0; p->choices && p->choices[i]; i++)
			if (!strcmp(p->choices[i], value))
				return 0;
		choices_text(p, names, sizeof(names));
		snprintf(err, errlen, "expected one of %s", names);
		return -1;
	case PMT_PARAM_TEXT:
		return p->check ? p->check(value, err, errlen) : 0;
	}
	snprintf(err, errlen, "expected nothing: the parameter has no type");
	return -1;
}

long long pmt_param_int_value(const char *value)
{
	long long v = 0;

	parse_whole(value, &v);
	return v;
}

void pmt_param_names(const struct pmt_param *table, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (const struct pmt_param *p = table; p && p->name && off < len; p++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", p->name);
}

void pmt_param_help(FILE *out, const struct pmt_param *table, const char *indent)
{
	char type[256], names[224];

	for (const struct pmt_param *p = table; p && p->name; p++) {
		switch (p->type) {
		case PMT_PARAM_INT:
			snprintf(type, sizeof(type), "%lld..%lld", p->min, p->max);
			break;
		case PMT_PARAM_ENUM:
			choices_text(p, names, sizeof(names));
			snprintf(type, sizeof(type), "{%s}", names);
			break;
		default:
			snprintf(type, sizeof(type), "TEXT");
			break;
		}
		fprintf(out, "%s%s=%s\n%s    %s%s%s%s\n", indent, p->name, type, indent, p->help,
			p->def ? " (default " : "", p->def ? p->def : "", p->def ? ")" : "");
	}
}
