// SPDX-License-Identifier: MIT
/*
 * The one lifecycle every case runs (lifecycle.h, injectors/injector.h):
 * the injector's ops in order, the rules that make a phase's failure a
 * BROK naming it and a fire without pmt_fault_fired() a BROK, and the
 * checkers.  QEMU behaviour relied on: a guest kernel panic stops the
 * guest with its "Kernel panic" line on the serial console (console.log),
 * and QEMU may exit after it or stay up; either way the agent is gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "guest_setup.h"
#include "injector.h"
#include "json_util.h"
#include "lifecycle.h"
#include "util.h"

/* How long QEMU may take to end after its guest stopped answering. */
#define GONE_EXIT_WAIT_MS	5000

int pmt_inject_probe(struct pmt_case *c)
{
	char why[512] = "";

	if (!c->inj || !c->inj->probe || c->inj->probe(c, why, sizeof(why)) == 0)
		return 0;
	pmt_case_verdict(c, PMT_SKIP, "%s", why[0] ? why : "the injector cannot run here");
	return 1;
}

int pmt_inject_prepare(struct pmt_case *c, struct pmt_vm_config *cfg)
{
	char err[512] = "";

	if (!c->inj || !c->inj->prepare_vm || c->inj->prepare_vm(c, cfg, err, sizeof(err)) == 0)
		return 0;
	pmt_case_verdict(c, PMT_BROK, "setup: %s: %s", c->inj->name,
			 err[0] ? err : "could not prepare the guest");
	return -1;
}

int pmt_check_prepare(struct pmt_case *c, struct pmt_vm_config *cfg)
{
	const struct pmt_check_stage *st = c->scenario->check_stage;
	char err[512] = "";

	if (c->scenario->checker != PMT_CHECK_STAGE || !st || !st->prepare_vm ||
	    st->prepare_vm(c, cfg, err, sizeof(err)) == 0)
		return 0;
	pmt_case_verdict(c, PMT_BROK, "setup: %s", err[0] ? err : "the checker could not "
			 "prepare the guest");
	return -1;
}

int pmt_inject_arm(struct pmt_case *c)
{
	char err[512] = "";

	if (!c->inj)
		return 0;
	pmt_case_phase(c, "arm");
	pmt_fault(c);
	if (!c->inj->arm || c->inj->arm(c, err, sizeof(err)) == 0) {
		pmt_fault_armed(c, NULL);
		return 0;
	}
	/* An agent call that got no answer has recorded its own BROK. */
	pmt_case_verdict(c, PMT_BROK, "arm: %s could not be armed: %s", c->inj->name,
			 err[0] ? err : "(no reason given)");
	return -1;
}

int pmt_inject_fire(struct pmt_case *c)
{
	char err[512] = "";

	if (!c->inj)
		return 0;
	pmt_case_phase(c, "fire");
	if (c->inj->fire && c->inj->fire(c, err, sizeof(err))) {
		/* A guest that hung during the fire has its verdict (hang.h:
		 * FAIL with the stacks, or BROK without a sign): a "did not
		 * fire" BROK on top would hide a kernel's hang. */
		if (c->vm && c->vm->hung)
			return -1;
		pmt_case_verdict(c, PMT_BROK, "fire: %s: fault did not fire: %s", c->inj->name,
				 err[0] ? err : "(no reason given)");
		return -1;
	}
	/* A fault that did not fire proves nothing: never a PASS. */
	if (!pmt_fault_has_fired(c)) {
		pmt_case_verdict(c, PMT_BROK, "fire: %s: fault did not fire (the injector "
				 "reported no injection)", c->inj->name);
		return -1;
	}
	return 0;
}

void pmt_inject_disarm(struct pmt_case *c)
{
	if (c->inj && c->inj->disarm)
		c->inj->disarm(c);
}

int pmt_lifecycle_setup_fs(struct pmt_case *c, char *dev, size_t devlen)
{
	bool dax = pmt_case_wants_dax(c);

	c->mount_opts = c->mount_opts ? c->mount_opts : dax ? "dax" : "";
	if (pmt_setup_fs(c, dev, devlen))
		return -1;
	json_object_object_add(c->details, "dev", json_object_new_string(dev));
	if (pmt_json_bool(json_object_object_get(c->details, "mount"), "dax", !dax) != dax) {
		pmt_case_verdict(c, PMT_BROK, "mount: DAX is %s on %s, the case needs it %s",
				 dax ? "off" : "on", dev, dax ? "on" : "off");
		return -1;
	}
	return 0;
}

const char *pmt_case_dev(const struct pmt_case *c)
{
	return pmt_json_str(c->details, "dev");
}

int pmt_guest_fire(struct pmt_case *c, const char *program, struct json_object *args,
		   const char *first, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object(), *res = NULL, *p;
	int rc;

	json_object_object_add(args, "dev", json_object_new_string(pmt_case_dev(c)));
	json_object_object_add(req, "workload", json_object_new_string(program));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	rc = pmt_case_agent(c, "run", req, &res, err, errlen);
	json_object_put(req);
	if (rc) {
		/* No answer: the BROK is recorded; a refusal is the fault not firing. */
		json_object_put(res);
		return -1;
	}
	json_object_object_add(c->details, program, json_object_get(res));
	if (first && json_object_object_get_ex(res, first, &p)) {
		struct json_object *copy = NULL;

		json_object_deep_copy(p, &copy, NULL);
		pmt_case_observe(c, first, copy);
	}
	if (json_object_object_get_ex(res, "probes", &p))
		for (size_t i = 0; i < json_object_array_length(p); i++)
			pmt_case_observe(c, NULL, json_object_get(json_object_array_get_idx(p, i)));
	json_object_put(res);
	pmt_fault_fired(c, NULL);
	return 0;
}

void pmt_case_observe(struct pmt_case *c, const char *path, struct json_object *record)
{
	if (!c->observed)
		c->observed = json_object_new_array();
	if (path && !json_object_object_get_ex(record, "path", NULL))
		json_object_object_add(record, "path", json_object_new_string(path));
	json_object_array_add(c->observed, record);
}

/*
 * The guest workload between arm and fire; its result in details[NAME].
 * An injector that drives the workload itself (run_workload: the power
 * cut stamps each of its events and cuts at one) runs it instead.
 */
static int run_workload(struct pmt_case *c, struct json_object **result)
{
	struct json_object *req;
	char err[512] = "";

	*result = NULL;
	if (c->inj && c->inj->run_workload) {
		pmt_case_phase(c, "workload");
		if (c->inj->run_workload(c, result, err, sizeof(err)) == 0)
			return 0;
		if (!c->verdict_set)
			pmt_case_verdict(c, PMT_BROK, "workload: %s: %s", c->inj->name,
					 err[0] ? err : "(no reason given)");
		return -1;
	}
	if (!c->scenario->workload)
		return 0;
	pmt_case_phase(c, "workload");
	req = json_object_new_object();
	json_object_object_add(req, "workload", json_object_new_string(c->scenario->workload));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	PMT_SAFE_AGENT(c, "run", req, result);
	json_object_object_add(c->details, c->scenario->workload, json_object_get(*result));
	return 0;
}

int pmt_case_judge_observed(struct pmt_case *c, const char *mode)
{
	const struct pmt_expectations *e;
	char err[512];

	e = pmt_expectations_default(err, sizeof(err));
	if (!e) {
		pmt_case_verdict(c, PMT_BROK, "check: %s", err);
		return -1;
	}
	if (!c->observed || !json_object_array_length(c->observed)) {
		pmt_case_verdict(c, PMT_BROK, "check: the guest reported no access paths");
		return -1;
	}
	if (!mode)
		mode = c->variant ? c->variant : "*";
	pmt_expect_judge(e, c, mode, c->observed);
	return 0;
}

/* The first line of @text holding @what, copied into @buf; 0 when found. */
static int find_line(const char *text, const char *what, char *buf, size_t len)
{
	const char *p = text ? strstr(text, what) : NULL, *start, *end;

	if (!p)
		return -1;
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	while (end > start && end[-1] == '\r')
		end--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return 0;
}

int pmt_case_guest_gone(struct pmt_case *c, const char *cmd, const char *err)
{
	char path[PATH_MAX + 16], line[512], why[512] = "", detail[1100], desc[600];
	struct json_object *rec;
	char *text;
	int rc;

	c->vm->backend->wait_exit(c->vm, pmt_now_ms() + GONE_EXIT_WAIT_MS);
	snprintf(path, sizeof(path), "%s/console.log", c->vm->cfg.logdir);
	text = pmt_read_file(path, 8 << 20, NULL);
	rc = find_line(text, "Kernel panic", line, sizeof(line));
	/* The machine-check line before it says why the kernel gave up. */
	if (!rc && find_line(text, "Machine check:", why, sizeof(why)))
		why[0] = '\0';
	free(text);
	if (rc) {
		if (c->vm->exited)
			pmt_vm_describe_exit(c->vm, desc, sizeof(desc));
		else
			snprintf(desc, sizeof(desc), "%s", err);
		pmt_case_verdict(c, PMT_BROK, "%s: agent %s: %s", c->phase, cmd, desc);
		return -1;
	}
	json_object_object_add(c->details, "panic", json_object_new_string(line));
	if (why[0])
		json_object_object_add(c->details, "panic_cause", json_object_new_string(why));
	snprintf(detail, sizeof(detail), "%s%s%s", line, why[0] ? "; cause: " : "", why);
	rec = json_object_new_object();
	json_object_object_add(rec, "observed", json_object_new_string("panic"));
	json_object_object_add(rec, "detail", json_object_new_string(detail));
	pmt_case_observe(c, "guest", rec);
	return 0;
}

static int check(struct pmt_case *c, struct json_object *result)
{
	const struct pmt_check_stage *st = c->scenario->check_stage;
	char reason[1024];
	enum pmt_verdict v;

	pmt_case_phase(c, "check");
	switch (c->scenario->checker) {
	case PMT_CHECK_STAGE:
		/* The image is the fault's alone: no store of the guest lands after it. */
		if (st->image && !c->vm->exited)
			c->vm->backend->power_cut(c->vm);
		return st->check(c, result);
	case PMT_CHECK_JUDGE:
		v = c->scenario->judge(c, result, reason, sizeof(reason));
		pmt_case_verdict(c, v, "%s", reason);
		return 0;
	case PMT_CHECK_EXPECTATIONS:
		return pmt_case_judge_observed(c, NULL);
	}
	pmt_case_verdict(c, PMT_BROK, "check: the scenario names no checker");
	return -1;
}

int pmt_case_lifecycle(struct pmt_case *c)
{
	const struct pmt_check_stage *st = c->scenario->check_stage;
	struct json_object *result = NULL;
	char dev[64];
	int rc = -1;

	/* A stage that brought its own image checks it as it is: no mkfs over it. */
	if (!(c->scenario->checker == PMT_CHECK_STAGE && st && st->prepare_vm) &&
	    pmt_lifecycle_setup_fs(c, dev, sizeof(dev)))
		goto out;
	if (pmt_inject_arm(c) || run_workload(c, &result) || pmt_inject_fire(c))
		goto out;
	rc = check(c, result);
out:
	json_object_put(result);
	return rc;
}
