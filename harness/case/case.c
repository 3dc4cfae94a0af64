// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "util.h"

void pmt_case_verdict(struct pmt_case *c, enum pmt_verdict v, const char *fmt, ...)
{
	char text[1024];
	struct json_object *note;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Reasons quote the guest and the console: cut or not, valid UTF-8. */
	pmt_utf8_fix(text, sizeof(text));

	note = json_object_new_object();
	json_object_object_add(note, "verdict", json_object_new_string(pmt_verdict_name(v)));
	json_object_object_add(note, "phase", json_object_new_string(c->phase));
	json_object_object_add(note, "text", json_object_new_string(text));
	json_object_array_add(c->notes, note);

	if (!c->verdict_set || pmt_verdict_severity(v) > pmt_verdict_severity(c->verdict)) {
		c->verdict = v;
		c->verdict_set = true;
		snprintf(c->reason, sizeof(c->reason), "%s", text);
	}
}

void pmt_case_phase(struct pmt_case *c, const char *phase)
{
	snprintf(c->phase, sizeof(c->phase), "%s", phase);
}

bool pmt_case_wants_dax(const struct pmt_case *c)
{
	switch (c->scenario->dax) {
	case PMT_DAX_ON: return true;
	case PMT_DAX_OFF: return false;
	default: return c->variant && !strcmp(c->variant, "dax");
	}
}

const char *pmt_case_mount_opts(const struct pmt_case *c)
{
	if (c->mount_opts)
		return c->mount_opts;
	return pmt_case_wants_dax(c) ? "dax" : "";
}
