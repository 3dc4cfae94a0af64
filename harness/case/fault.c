// SPDX-License-Identifier: MIT
/*
 * details.fault and injector parameters: the small shared half of every
 * injector (injector.h), so that none of them writes its own.
 */
#include <string.h>

#include "case.h"
#include "injector.h"
#include "json_util.h"

struct json_object *pmt_fault(struct pmt_case *c)
{
	struct json_object *f;

	if (json_object_object_get_ex(c->details, "fault", &f))
		return f;
	f = json_object_new_object();
	json_object_object_add(f, "injector", json_object_new_string(c->inj ? c->inj->name : ""));
	json_object_object_add(f, "armed", json_object_new_boolean(false));
	json_object_object_add(f, "fired", json_object_new_boolean(false));
	json_object_object_add(c->details, "fault", f);
	return f;
}

static void merge_fields(struct json_object *f, struct json_object *fields)
{
	if (!fields)
		return;
	json_object_object_foreach(fields, k, v)
		json_object_object_add(f, k, json_object_get(v));
	json_object_put(fields);
}

void pmt_fault_armed(struct pmt_case *c, struct json_object *fields)
{
	struct json_object *f = pmt_fault(c);

	json_object_object_add(f, "armed", json_object_new_boolean(true));
	merge_fields(f, fields);
}

void pmt_fault_fired(struct pmt_case *c, struct json_object *fields)
{
	struct json_object *f = pmt_fault(c);

	json_object_object_add(f, "fired", json_object_new_boolean(true));
	merge_fields(f, fields);
}

bool pmt_fault_has_fired(struct pmt_case *c)
{
	return pmt_json_bool(pmt_fault(c), "fired", false);
}

const char *pmt_case_param(const struct pmt_case *c, const char *name)
{
	const struct pmt_param *p = c->inj ? pmt_param_find(c->inj->params, name) : NULL;
	struct json_object *v;
	const char *cli;

	if (!p)
		return NULL;
	if (c->params && json_object_object_get_ex(c->params, name, &v))
		return json_object_get_string(v);
	cli = c->opt ? pmt_options_param(c->opt, name) : NULL;
	return cli ? cli : p->def;
}

long long pmt_case_param_int(const struct pmt_case *c, const char *name, long long dflt)
{
	const char *v = pmt_case_param(c, name);

	return v ? pmt_param_int_value(v) : dflt;
}
