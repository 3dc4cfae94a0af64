// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "hang.h"
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

#define EXIT_GRACE_MS 500

int pmt_case_agent(struct pmt_case *c, const char *cmd, struct json_object *args,
		   struct json_object **result, char *err, size_t errlen)
{
	return pmt_case_agent_within(c, cmd, args, result, err, errlen,
				     pmt_case_hang_bound_s(c, c->opt->cmd_timeout_s));
}

int pmt_case_agent_within(struct pmt_case *c, const char *cmd, struct json_object *args,
			  struct json_object **result, char *err, size_t errlen, int bound_s)
{
	int64_t t0 = pmt_now_ms(), deadline = t0 + (int64_t)bound_s * 1000;
	enum pmt_agent_status st;

	if (result)
		*result = NULL;
	st = pmt_agent_call(&c->vm->agent, cmd, args, result, deadline, err, errlen);
	if (st == PMT_AGENT_TRANSPORT) {
		char why[600];

		/* A closed channel: QEMU's exit may be a moment behind its sockets'
		 * closing, and its status is the reason (a console flood, say). */
		int64_t grace = pmt_now_ms() < deadline ? EXIT_GRACE_MS : 0;

		if (c->vm->backend->wait_exit(c->vm, pmt_now_ms() + grace)) {
			pmt_vm_describe_exit(c->vm, why, sizeof(why));
		} else if (pmt_now_ms() >= deadline) {
			char what[96];

			/* No answer within the bound, QEMU alive: a hang, judged
			 * from the guest kernel's evidence (hang.h); QEMU is cut. */
			snprintf(what, sizeof(what), "agent %s", cmd);
			pmt_case_hang(c, what, (int)((pmt_now_ms() - t0 + 500) / 1000));
			return -1;
		} else {
			snprintf(why, sizeof(why), "%s", err);
		}
		pmt_case_verdict(c, PMT_BROK, "%s: agent %s: %s", c->phase, cmd, why);
		return -1;
	}
	if (st == PMT_AGENT_INTERRUPTED)
		return 2;
	return st == PMT_AGENT_GUEST_ERROR ? 1 : 0;
}

int pmt_case_agent_safe(struct pmt_case *c, const char *cmd, struct json_object *args,
			struct json_object **result)
{
	char err[512];
	int rc = pmt_case_agent(c, cmd, args, result, err, sizeof(err));

	json_object_put(args);
	if (rc == 0)
		return 0;
	/* -1: the BROK is recorded already (no answer). */
	if (rc > 0)
		pmt_case_verdict(c, PMT_BROK, "%s: agent %s: %s", c->phase, cmd,
				 rc == 1 ? err : "interrupted");
	if (result) {
		json_object_put(*result);
		*result = NULL;
	}
	return -1;
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
	/* Own-flow scenarios say it; declarations say it through their dax. */
	if (c->scenario->run)
		return c->scenario->mount_opts ? c->scenario->mount_opts : "";
	return pmt_case_wants_dax(c) ? "dax" : "";
}

const struct pmt_scenario *pmt_scenario_find(const char *name)
{
	for (int i = 0; pmt_scenarios[i]; i++)
		if (!strcmp(pmt_scenarios[i]->name, name))
			return pmt_scenarios[i];
	return NULL;
}
