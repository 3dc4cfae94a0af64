// SPDX-License-Identifier: MIT
/*
 * The case's calls to its guest agent, with the command timeout: no answer
 * from a live QEMU is a hang, judged from the guest's own evidence
 * (hang.h: blocked tasks' stacks, the device's status, the host's flushes);
 * a closed channel is QEMU's exit, described by its status.  Apart from
 * case.c so that the case's records (verdicts, phases) and the hang
 * evidence, which records a verdict, do not depend on each other.
 */
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "hang.h"
#include "util.h"

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

int pmt_case_agent_may_die(struct pmt_case *c, const char *cmd, struct json_object *args,
			   struct json_object **result, char *err, size_t errlen)
{
	enum pmt_agent_status st;

	if (result)
		*result = NULL;
	st = pmt_agent_call(&c->vm->agent, cmd, args, result,
			    pmt_now_ms() + (int64_t)c->opt->cmd_timeout_s * 1000, err, errlen);
	if (st != PMT_AGENT_OK && result) {
		json_object_put(*result);
		*result = NULL;
	}
	if (st == PMT_AGENT_TRANSPORT)
		return PMT_CASE_GUEST_GONE;
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
