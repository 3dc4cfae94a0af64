// SPDX-License-Identifier: MIT
/*
 * After a machine check on a DAX page (mce_check.h).  Kernel behaviour
 * relied on (injectors/ERRORS-FACTS.md): memory_failure() on the pfn
 * sends the mapper SIGBUS with BUS_MCEERR_AR (SRAR, the task consumed the
 * poison) or BUS_MCEERR_AO (SRAO, from the work queue, a little later);
 * an NVDIMM records a bad block (nfit_handle_mce()), virtio-pmem has no
 * such hook.  With one vCPU the holder runs only while the agent waits,
 * so it is given some guest time (a guest-side sleep: under TCG the
 * guest's clock is what matters) before the collect stops it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "expect.h"
#include "guest_setup.h"
#include "json_util.h"
#include "lifecycle.h"
#include "mce_check.h"

#define MCE_SLEEP_TIMEOUT_MS	5000
#define MCE_COLLECT_WAIT_MS	5000
/* Guest seconds the holder keeps loading after the error, before the collect. */
#define MCE_HOLDER_RUN_S	"0.05"

/* "signal=SIGBUS/BUS_MCEERR_AR" for signal record @i of the holder. */
static void signal_outcome(struct json_object *holder, int i, char *buf, size_t len)
{
	struct json_object *sigs = json_object_object_get(holder, "signals");
	struct json_object *s = json_object_array_get_idx(sigs, i);
	const char *code = pmt_json_str(s, "si_code_name");
	int sig = pmt_json_int(s, "signal", 0);

	if (*code)
		snprintf(buf, len, "signal=SIG%s/%s", sigabbrev_np(sig) ?: "?", code);
	else
		snprintf(buf, len, "signal=SIG%s/%d", sigabbrev_np(sig) ?: "?",
			 pmt_json_int(s, "si_code", 0));
}

static void observe(struct pmt_case *c, const char *path, const char *observed)
{
	struct json_object *rec = json_object_new_object();

	json_object_object_add(rec, "path", json_object_new_string(path));
	json_object_object_add(rec, "observed", json_object_new_string(observed));
	pmt_case_observe(c, NULL, rec);
}

/* The paths a collect result gives: the holder, the bad block, every access path. */
static void observe_collect(struct pmt_case *c, struct json_object *res)
{
	struct json_object *holder = json_object_object_get(res, "holder"), *probes;
	int nsig = pmt_json_int(holder, "nsignals", 0);
	char obs[96];

	/* How the holder's own mapping took the error. */
	if (pmt_json_bool(holder, "exited_before_collect", false) &&
	    pmt_json_int(holder, "exit_signal", 0))
		snprintf(obs, sizeof(obs), "killed=SIG%s",
			 sigabbrev_np(pmt_json_int(holder, "exit_signal", 0)) ?: "?");
	else if (nsig)
		signal_outcome(holder, 0, obs, sizeof(obs));
	else
		snprintf(obs, sizeof(obs), "ok");
	observe(c, "holder", obs);

	/* Its loads after the signal: a second signal, or the data it read. */
	if (nsig >= 2)
		signal_outcome(holder, 1, obs, sizeof(obs));
	else if (nsig && pmt_json_int(holder, "loads_after_signal", 0) > 0)
		snprintf(obs, sizeof(obs), "%s", pmt_json_bool(holder, "data_ok_after_signal", true) ?
			 "ok" : "ok/bad-data");
	else
		snprintf(obs, sizeof(obs), "not-observed");
	observe(c, "holder_reload", obs);

	observe(c, "badblock", pmt_json_str(res, "badblocks")[0] ? "recorded" : "none");

	probes = json_object_object_get(res, "probes");
	for (size_t i = 0; probes && i < json_object_array_length(probes); i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);

		pmt_probe_outcome(p, obs, sizeof(obs));
		observe(c, pmt_json_str(p, "path"), obs);
	}
}

/*
 * One agent call once the machine check is in.  0 with *@res; 1 when the
 * guest is gone and its end was observed (a panic); -1 after a BROK.
 */
static int call(struct pmt_case *c, const char *cmd, struct json_object *args,
		struct json_object **res)
{
	char err[512];
	int rc = pmt_case_agent_may_die(c, cmd, args, res, err, sizeof(err));

	json_object_put(args);
	if (rc == PMT_CASE_GUEST_GONE)
		return pmt_case_guest_gone(c, cmd, err) ? -1 : 1;
	if (rc) {
		pmt_case_verdict(c, PMT_BROK, "%s: agent %s: %s", c->phase, cmd,
				 rc == 1 ? err : "interrupted");
		return -1;
	}
	return 0;
}

static int mce_check(struct pmt_case *c, struct json_object *result)
{
	struct json_object *req, *args, *argv, *res = NULL;
	int rc;

	(void)result;
	req = json_object_new_object();
	argv = json_object_new_array();
	json_object_array_add(argv, json_object_new_string("sleep"));
	json_object_array_add(argv, json_object_new_string(MCE_HOLDER_RUN_S));
	json_object_object_add(req, "argv", argv);
	json_object_object_add(req, "timeout_ms", json_object_new_int(MCE_SLEEP_TIMEOUT_MS));
	rc = call(c, "exec", req, &res);
	json_object_put(res);
	res = NULL;

	/* What the holder saw, then every access path; a dead agent may be a panic. */
	if (rc == 0) {
		args = json_object_new_object();
		json_object_object_add(args, "collect", json_object_new_boolean(true));
		json_object_object_add(args, "wait_ms", json_object_new_int(MCE_COLLECT_WAIT_MS));
		req = json_object_new_object();
		json_object_object_add(req, "workload", json_object_new_string("mce_target"));
		json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
		json_object_object_add(req, "args", args);
		rc = call(c, "run", req, &res);
	}
	if (rc < 0)
		return -1;
	if (rc == 0) {
		json_object_object_add(c->details, "mce_collect", json_object_get(res));
		observe(c, "guest", "ok");
		observe_collect(c, res);
		json_object_put(res);
	}
	return pmt_case_judge_observed(c, NULL);
}

const struct pmt_check_stage pmt_check_stage_mce = {
	.name = "mce",
	.check = mce_check,
};
