// SPDX-License-Identifier: MIT
/*
 * mce: a host-injected machine check (QMP human-monitor-command "mce") on
 * the guest-physical address of one DAX page of a file, with a process in
 * the guest loading that page (injectors/guest/mce_target.c).
 *
 * What the case claims, per errors.tsv: the guest does not panic,
 * memory_failure() runs on the pfn and the mapper gets SIGBUS with
 * BUS_MCEERR_AR (srar, a data load) or BUS_MCEERR_AO (srao, a scrub); then
 * what the holder's later loads, a bad-block record and every access path
 * of the page see.  A panic is an observed outcome ("guest" = "panic"), a
 * FAIL carrying the console's panic line.
 *
 * Facts this rests on (injectors/ERRORS-FACTS.md): the CPU must be Intel,
 * or the guest grades every uncorrected error as fatal (TCG offers no AMD
 * SUCCOR); and an SRAR is recoverable only when it interrupts user mode, so
 * the vCPU is stopped where it runs user code (CPL=3) before the injection.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "expect.h"
#include "guest_setup.h"
#include "json_util.h"
#include "util.h"
#include "injector.h"
#include "lifecycle.h"

#define MCE_QMP_TIMEOUT_MS	5000
#define MCE_COLLECT_WAIT_MS	5000
#define MCE_EXIT_WAIT_MS	5000
/* Guest seconds the holder keeps loading after the error, before the collect. */
#define MCE_HOLDER_RUN_S	"0.05"

static const char *const mce_fs[] = { "ext4", "xfs", NULL };
static const char *const mce_variants[] = { "srao", "srar", NULL };

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

/* The panic line from console.log, or -1 when the guest did not panic. */
static int console_panic(struct pmt_case *c, char *line, size_t len, char *why, size_t whylen)
{
	char path[PATH_MAX + 16];
	char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/console.log", c->vm->cfg.logdir);
	text = pmt_read_file(path, 8 << 20, NULL);
	rc = find_line(text, "Kernel panic", line, len);
	/* The machine-check line before it says why the kernel gave up. */
	if (!rc && find_line(text, "Machine check:", why, whylen))
		why[0] = '\0';
	free(text);
	return rc;
}

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

static void add_row(struct json_object *rows, const char *path, const char *observed)
{
	struct json_object *row = json_object_new_object();

	json_object_object_add(row, "path", json_object_new_string(path));
	json_object_object_add(row, "observed", json_object_new_string(observed));
	json_object_array_add(rows, row);
}

/* The rows a collect result gives: the holder, the bad block, every access path. */
static void collect_rows(struct json_object *res, struct json_object *rows)
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
	add_row(rows, "holder", obs);

	/* Its loads after the signal: a second signal, or the data it read. */
	if (nsig >= 2)
		signal_outcome(holder, 1, obs, sizeof(obs));
	else if (nsig && pmt_json_int(holder, "loads_after_signal", 0) > 0)
		snprintf(obs, sizeof(obs), "%s", pmt_json_bool(holder, "data_ok_after_signal", true) ?
			 "ok" : "ok/bad-data");
	else
		snprintf(obs, sizeof(obs), "not-observed");
	add_row(rows, "holder_reload", obs);

	add_row(rows, "badblock", pmt_json_str(res, "badblocks")[0] ? "recorded" : "none");

	probes = json_object_object_get(res, "probes");
	for (size_t i = 0; probes && i < json_object_array_length(probes); i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);

		pmt_probe_outcome(p, obs, sizeof(obs));
		add_row(rows, pmt_json_str(p, "path"), obs);
	}
}

/*
 * The agent is gone after the injection: a panic is the kernel's answer
 * and is judged; anything else means the case could not observe.
 */
static void guest_gone(struct pmt_case *c, const struct pmt_expectations *e, const char *cmd,
		       const char *err)
{
	struct json_object *rows;
	char line[512], why[512] = "", extra[1100], desc[600];

	c->vm->backend->wait_exit(c->vm, pmt_now_ms() + MCE_EXIT_WAIT_MS);
	if (console_panic(c, line, sizeof(line), why, sizeof(why))) {
		if (c->vm->exited)
			pmt_vm_describe_exit(c->vm, desc, sizeof(desc));
		else
			snprintf(desc, sizeof(desc), "%s", err);
		pmt_case_verdict(c, PMT_BROK, "%s: agent %s: %s", c->phase, cmd, desc);
		return;
	}
	json_object_object_add(c->details, "panic", json_object_new_string(line));
	if (why[0])
		json_object_object_add(c->details, "panic_cause", json_object_new_string(why));
	snprintf(extra, sizeof(extra), "%s%s%s", line, why[0] ? "; cause: " : "", why);
	rows = json_object_new_array();
	add_row(rows, "guest", "panic");
	json_object_object_add(json_object_array_get_idx(rows, 0), "detail",
			       json_object_new_string(extra));
	pmt_expect_judge(e, c, c->variant, rows);
	json_object_put(rows);
}

/*
 * An agent call once the machine check is in: a dead agent there goes to
 * guest_gone().  0 with *res, or -1 with the verdict recorded.
 */
static int call_after_inject(struct pmt_case *c, const struct pmt_expectations *e,
			     const char *cmd, struct json_object *args, struct json_object **res)
{
	enum pmt_agent_status st;
	char err[512];

	st = pmt_agent_call(&c->vm->agent, cmd, args, res, pmt_now_ms() +
			    (int64_t)c->opt->cmd_timeout_s * 1000, err, sizeof(err));
	json_object_put(args);
	if (st == PMT_AGENT_TRANSPORT) {
		guest_gone(c, e, cmd, err);
		return -1;
	}
	if (st != PMT_AGENT_OK) {
		pmt_case_verdict(c, PMT_BROK, "%s: agent %s: %s", c->phase, cmd, err);
		json_object_put(*res);
		*res = NULL;
		return -1;
	}
	return 0;
}

static struct json_object *target_request(struct json_object *args)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "workload", json_object_new_string("mce_target"));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	return req;
}

static int mce_run(struct pmt_case *c)
{
	const struct pmt_expectations *e;
	struct json_object *req, *target = NULL, *res = NULL, *rows, *argv;
	char dev[64], err[512];
	const char *gpa_text;
	int rc;

	e = pmt_expectations_default(err, sizeof(err));
	if (!e) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s", err);
		return -1;
	}
	if (!c->vm->qmp_up) {
		pmt_case_verdict(c, PMT_BROK, "setup: no QMP connection to inject through");
		return -1;
	}
	c->mount_opts = "dax";
	if (pmt_setup_fs(c, dev, sizeof(dev)))
		return -1;

	/* The holder maps the page and tells us its guest-physical address. */
	pmt_case_phase(c, "arm");
	req = json_object_new_object();
	json_object_object_add(req, "file", json_object_new_string("mce.dat"));
	json_object_object_add(req, "size", json_object_new_int(65536));
	json_object_object_add(req, "page", json_object_new_int(1));
	req = target_request(req);
	rc = pmt_case_agent(c, "run", req, &target, err, sizeof(err));
	json_object_put(req);
	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "arm: mce_target: %s", err);
		return -1;
	}
	json_object_object_add(c->details, "mce_target", target);
	/* A non-DAX page is page cache in guest RAM: not the pmem under test. */
	if (!pmt_json_bool(target, "file_dax", false)) {
		pmt_case_verdict(c, PMT_BROK, "arm: DAX is not active on %s", pmt_json_str(target, "file"));
		return -1;
	}
	gpa_text = pmt_json_str(target, "gpa");
	if (!pmt_json_bool(target, "gpa_in_region", false)) {
		pmt_case_verdict(c, PMT_BROK, "arm: the page's address %.40s is not inside the pmem "
				 "region %.40s", *gpa_text ? gpa_text : "(none)",
				 pmt_json_str(target, "region_resource"));
		return -1;
	}
	/* The guest's word is not enough: the injector checks the number with QEMU. */
	{
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "gpa", json_object_new_string(gpa_text));
		pmt_fault_armed(c, f);
	}
	if (pmt_inject_fire(c))
		return -1;

	/*
	 * Give the holder some guest time after its signal, so that its later
	 * loads are observed: with one vCPU it runs only while the agent waits,
	 * and the collect below stops it at once.  A guest-side pause, not a
	 * host sleep: the guest's clock is what matters under TCG.
	 */
	pmt_case_phase(c, "check");
	req = json_object_new_object();
	argv = json_object_new_array();
	json_object_array_add(argv, json_object_new_string("sleep"));
	json_object_array_add(argv, json_object_new_string(MCE_HOLDER_RUN_S));
	json_object_object_add(req, "argv", argv);
	json_object_object_add(req, "timeout_ms", json_object_new_int(MCE_QMP_TIMEOUT_MS));
	if (call_after_inject(c, e, "exec", req, &res))
		return -1;
	json_object_put(res);

	/* What the holder saw, then every access path; a dead agent may be a panic. */
	req = json_object_new_object();
	json_object_object_add(req, "collect", json_object_new_boolean(true));
	json_object_object_add(req, "wait_ms", json_object_new_int(MCE_COLLECT_WAIT_MS));
	if (call_after_inject(c, e, "run", target_request(req), &res))
		return -1;
	json_object_object_add(c->details, "mce_collect", json_object_get(res));

	rows = json_object_new_array();
	add_row(rows, "guest", "ok");
	collect_rows(res, rows);
	json_object_put(res);
	pmt_expect_judge(e, c, c->variant, rows);
	json_object_put(rows);
	return 0;
}

const struct pmt_scenario pmt_scenario_mce = {
	.name = "mce",
	.description = "host-injected SRAO/SRAR machine check on a DAX page: no panic, SIGBUS "
		       "to the mapper, later accesses",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM),
	.filesystems = mce_fs,
	.mount_opts = "dax",
	.variants = mce_variants,
	.injector = "mce",
	.run = mce_run,
};
