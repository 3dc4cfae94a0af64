// SPDX-License-Identifier: MIT
/*
 * mce: a host-injected machine check (QMP human-monitor-command "mce") on
 * the guest-physical address of one DAX page of a file, with a process in
 * the guest loading that page (workloads/mce_target.c).
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
#include "mce.h"

/* Intel's SRAR/SRAO encodings (status, mcg_status) for bank 1; see ERRORS-FACTS.md. */
#define MCE_BANK		1
#define MCE_SRAR_STATUS		0xbd80000000000134ULL	/* VAL|UC|EN|MISCV|ADDRV|S|AR, data load */
#define MCE_SRAR_MCG		0x7ULL			/* RIPV|EIPV|MCIP */
#define MCE_SRAO_STATUS		0xbd000000000000c0ULL	/* VAL|UC|EN|MISCV|ADDRV|S, scrub */
#define MCE_SRAO_MCG		0x5ULL			/* RIPV|MCIP */
#define MCE_MISC		0x8cULL			/* address LSB 12, physical mode */
#define MCE_PAGE		4096ULL

#define MCE_QMP_TIMEOUT_MS	5000
#define MCE_EVENT_TIMEOUT_MS	5000
/* The holder spins, so CPL=3 comes at once in practice; this bounds a bad day. */
#define MCE_CPL_TRIES		50
#define MCE_CPL_RETRY_MS	3
/* SRAO is handled from a work queue: the signal comes a little later. */
#define MCE_COLLECT_WAIT_MS	5000
#define MCE_EXIT_WAIT_MS	5000
/* Guest seconds the holder keeps loading after the error, before the collect. */
#define MCE_HOLDER_RUN_S	"0.05"

static const char *const mce_fs[] = { "ext4", "xfs", NULL };
static const char *const mce_variants[] = { "srao", "srar", NULL };

static int mce_prepare(struct pmt_case *c, struct pmt_vm_config *cfg)
{
	/* libvirt gives no QMP connection here and does not take a CPU vendor. */
	if (c->opt->backend == PMT_BACKEND_LIBVIRT) {
		pmt_case_verdict(c, PMT_SKIP, "setup: the mce scenario needs the qemu backend "
				 "(QMP, and an Intel CPU model for a recoverable MCE)");
		return -1;
	}
	/* On TCG's AMD "max" every uncorrected error is fatal (no SUCCOR). */
	cfg->cpu = "max,vendor=GenuineIntel";
	/* The holder must be what the injected vCPU (0) runs. */
	cfg->smp = 1;
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

static int hmp(struct pmt_case *c, const char *cmdline, char *out, size_t outlen,
	       char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *ret = NULL;
	int rc;

	json_object_object_add(args, "command-line", json_object_new_string(cmdline));
	rc = pmt_qmp_execute(&c->vm->qmp, "human-monitor-command", args, &ret,
			     pmt_now_ms() + MCE_QMP_TIMEOUT_MS, err, errlen);
	json_object_put(args);
	if (!rc && out)
		snprintf(out, outlen, "%s", ret ? json_object_get_string(ret) : "");
	json_object_put(ret);
	return rc;
}

static int qmp_simple(struct pmt_case *c, const char *cmd, char *err, size_t errlen)
{
	return pmt_qmp_execute(&c->vm->qmp, cmd, NULL, NULL, pmt_now_ms() + MCE_QMP_TIMEOUT_MS,
			       err, errlen);
}

/* The CR3 value of an "info registers" dump into @buf; "" when absent. */
static void regs_cr3(const char *regs, char *buf, size_t len)
{
	const char *p = strstr(regs, "CR3=");

	buf[0] = '\0';
	if (p)
		snprintf(buf, len, "%.*s", (int)strcspn(p + 4, " \n"), p + 4);
}

/*
 * Stop the vCPU where the holder runs user code.  CPL=3 alone is not
 * enough: right after its reply the agent itself may still be in user
 * mode, and an SRAR there makes the agent the consumer (the holder then
 * gets BUS_MCEERR_AO; seen once in 12 runs).  The holder is the only task
 * that stays in user mode, so two stops in a row at CPL=3 with the same
 * address space (CR3), a few ms apart, are taken as the holder.  Returns
 * the stop that got there (VM stopped), or -1 with the VM running again
 * and @err set.
 */
static int stop_in_user_mode(struct pmt_case *c, struct json_object *info,
			     char *err, size_t errlen)
{
	char regs[4096], cerr[256], cr3[32], prev[32] = "";
	int try;

	for (try = 1; try <= MCE_CPL_TRIES; try++) {
		if (qmp_simple(c, "stop", err, errlen))
			return -1;
		if (hmp(c, "info registers", regs, sizeof(regs), err, errlen)) {
			qmp_simple(c, "cont", cerr, sizeof(cerr));
			return -1;
		}
		regs_cr3(regs, cr3, sizeof(cr3));
		if (strstr(regs, "CPL=3") && cr3[0] && !strcmp(cr3, prev)) {
			json_object_object_add(info, "cr3", json_object_new_string(cr3));
			return try;
		}
		snprintf(prev, sizeof(prev), "%s", strstr(regs, "CPL=3") ? cr3 : "");
		if (qmp_simple(c, "cont", err, errlen))
			return -1;
		/* Let the guest run a little: the holder is runnable and spinning. */
		poll(NULL, 0, MCE_CPL_RETRY_MS);
	}
	snprintf(err, errlen, "the vCPU was not twice in a row in the same user address space "
		 "in %d stops", MCE_CPL_TRIES);
	return -1;
}

int pmt_mce_parse_gpa(const char *s, uint64_t *gpa)
{
	uint64_t v = 0;
	size_t i;

	/* "0x" and 1..16 hex digits, nothing else: the guest's text never reaches HMP. */
	if (!s || strncmp(s, "0x", 2) || !s[2] || strlen(s + 2) > 16)
		return -1;
	for (i = 2; s[i]; i++) {
		int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
			s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
			s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*gpa = v;
	return 0;
}

int pmt_mce_region(struct json_object *memdevs, int index, uint64_t *start, uint64_t *size)
{
	int seen = 0;

	for (size_t i = 0; json_object_is_type(memdevs, json_type_array) &&
			   i < json_object_array_length(memdevs); i++) {
		struct json_object *d = json_object_array_get_idx(memdevs, i), *data, *a, *n;
		const char *type = pmt_json_str(d, "type");

		if (strcmp(type, "virtio-pmem") && strcmp(type, "nvdimm"))
			continue;
		if (seen++ != index)
			continue;
		if (!json_object_object_get_ex(d, "data", &data) ||
		    !json_object_object_get_ex(data, strcmp(type, "nvdimm") ? "memaddr" : "addr", &a) ||
		    !json_object_object_get_ex(data, "size", &n) ||
		    !json_object_is_type(a, json_type_int) || !json_object_is_type(n, json_type_int))
			return -1;
		*start = json_object_get_uint64(a);
		*size = json_object_get_uint64(n);
		return *size ? 0 : -1;
	}
	return -1;
}

int pmt_mce_check_gpa(uint64_t gpa, uint64_t start, uint64_t size)
{
	/* The whole page inside [start, start + size), without overflow. */
	if (gpa % MCE_PAGE || gpa < start || size < MCE_PAGE || gpa - start > size - MCE_PAGE)
		return -1;
	return 0;
}

int pmt_mce_command(char *buf, size_t len, bool srar, uint64_t gpa)
{
	int n = snprintf(buf, len, "mce 0 %d 0x%llx 0x%llx 0x%llx 0x%llx", MCE_BANK,
			 srar ? MCE_SRAR_STATUS : MCE_SRAO_STATUS, srar ? MCE_SRAR_MCG : MCE_SRAO_MCG,
			 (unsigned long long)gpa, MCE_MISC);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * The guest's address of its page, checked against the pmem region as the
 * host knows it (QMP query-memory-devices: QEMU placed the device).  0 with
 * *gpa, or -1 after a BROK.
 */
static int host_checked_gpa(struct pmt_case *c, const char *text, uint64_t *gpa)
{
	struct json_object *memdevs = NULL;
	uint64_t start = 0, size = 0;
	char err[256];
	int rc;

	if (pmt_mce_parse_gpa(text, gpa)) {
		pmt_case_verdict(c, PMT_BROK, "arm: the guest's page address is not a hex number: "
				 "\"%.40s\"", text);
		return -1;
	}
	if (pmt_qmp_execute(&c->vm->qmp, "query-memory-devices", NULL, &memdevs,
			    pmt_now_ms() + MCE_QMP_TIMEOUT_MS, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "arm: cannot ask QEMU where the pmem region is: %s", err);
		return -1;
	}
	rc = pmt_mce_region(memdevs, 0, &start, &size);
	json_object_put(memdevs);
	if (rc) {
		pmt_case_verdict(c, PMT_BROK, "arm: QEMU lists no pmem region to inject into");
		return -1;
	}
	if (pmt_mce_check_gpa(*gpa, start, size)) {
		pmt_case_verdict(c, PMT_BROK, "arm: the page's address 0x%llx is not a page inside the "
				 "pmem region [0x%llx, 0x%llx) that QEMU reports",
				 (unsigned long long)*gpa, (unsigned long long)start,
				 (unsigned long long)(start + size));
		return -1;
	}
	return 0;
}

/*
 * Inject the machine check on @gpa and wait for QEMU's MEMORY_FAILURE
 * event.  0 with *event, or -1 after a BROK (the VM is left running).
 */
static int inject(struct pmt_case *c, bool srar, uint64_t gpa, struct json_object *info,
		  struct json_object **event)
{
	char cmdline[160], out[512] = "", err[512] = "";
	int try = 0, rc;

	if (pmt_mce_command(cmdline, sizeof(cmdline), srar, gpa)) {
		pmt_case_verdict(c, PMT_BROK, "inject: the mce command does not fit");
		return -1;
	}
	json_object_object_add(info, "hmp", json_object_new_string(cmdline));
	if (srar) {
		try = stop_in_user_mode(c, info, err, sizeof(err));
		if (try < 0) {
			pmt_case_verdict(c, PMT_BROK, "inject: fault did not fire: %s", err);
			return -1;
		}
		json_object_object_add(info, "stops_until_cpl3", json_object_new_int(try));
	}
	rc = hmp(c, cmdline, out, sizeof(out), err, sizeof(err));
	/* HMP reports a refusal as text in an otherwise successful reply. */
	out[strcspn(out, "\r\n")] = '\0';
	if (!rc && out[0]) {
		snprintf(err, sizeof(err), "QEMU refused \"%s\": %s", cmdline, out);
		rc = -1;
	}
	if (!rc)
		rc = pmt_qmp_wait_event(&c->vm->qmp, "MEMORY_FAILURE", event,
					pmt_now_ms() + MCE_EVENT_TIMEOUT_MS, err, sizeof(err));
	/* Resume even after a failure: a stopped guest cannot shut down. */
	if (srar) {
		char cerr[256];

		if (qmp_simple(c, "cont", cerr, sizeof(cerr)) && !rc) {
			snprintf(err, sizeof(err), "%s", cerr);
			rc = -1;
		}
	}
	if (rc) {
		pmt_case_verdict(c, PMT_BROK, "inject: fault did not fire: %s", err);
		return -1;
	}
	return 0;
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
 * Judge each row against errors.tsv (MODE is the variant) as
 * pmt_expect_judge() does, for observations that are not access-path
 * records ("recorded", "panic").  @extra is appended to a mismatch of the
 * "guest" row (the panic line).
 */
static void judge(const struct pmt_expectations *e, struct pmt_case *c,
		  struct json_object *rows, const char *extra)
{
	char mismatches[768] = "";
	int checked = 0, failed = 0;

	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		const char *path = pmt_json_str(row, "path");
		const char *observed = pmt_json_str(row, "observed");
		const struct pmt_expect_rule *r = pmt_expect_find(e, c->scenario->name,
			pmt_device_name(c->device), c->fs, c->variant, path);
		bool known = r && strcmp(r->outcome, "unknown");
		bool guest = !strcmp(path, "guest");
		size_t used;

		json_object_object_add(row, "expected",
				       json_object_new_string(r ? r->outcome : "unknown"));
		json_object_object_add(row, "reason", json_object_new_string(r ? r->reason : ""));
		/* Nothing to compare: e.g. the holder never loaded again after its signal. */
		if (!known || !strcmp(observed, "not-observed"))
			continue;
		checked++;
		if (pmt_outcome_matches(r->outcome, observed)) {
			json_object_object_add(row, "match", json_object_new_boolean(true));
			continue;
		}
		json_object_object_add(row, "match", json_object_new_boolean(false));
		failed++;
		used = strlen(mismatches);
		snprintf(mismatches + used, sizeof(mismatches) - used,
			 "%s%s: expected %s, observed %s%s%s (%s:%d)", used ? "; " : "",
			 path, r->outcome, observed, extra && guest ? ": " : "",
			 extra && guest ? extra : "", e->file, r->line);
	}
	json_object_object_add(c->details, "behaviour", json_object_get(rows));
	if (failed)
		pmt_case_verdict(c, PMT_FAIL, "%s", mismatches);
	else if (checked)
		pmt_case_verdict(c, PMT_PASS, "%d paths as expected", checked);
	else
		pmt_case_verdict(c, PMT_SKIP, "no expectation applies: observations recorded only");
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
	judge(e, c, rows, extra);
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
	struct json_object *req, *target = NULL, *res = NULL, *event = NULL, *info, *rows, *argv;
	bool srar = !strcmp(c->variant, "srar");
	char dev[64], err[512];
	const char *gpa_text;
	uint64_t gpa;
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
	/* The guest's word is not enough: it chose the text, the host checks the number. */
	if (host_checked_gpa(c, gpa_text, &gpa))
		return -1;

	pmt_case_phase(c, "inject");
	info = json_object_new_object();
	json_object_object_add(c->details, "mce", info);
	if (inject(c, srar, gpa, info, &event))
		return -1;
	json_object_object_add(info, "memory_failure",
			       json_object_get(json_object_object_get(event, "data")));
	/* QEMU may also reset the guest instead of injecting (MCIP already set). */
	if (strcmp(pmt_json_str(json_object_object_get(event, "data"), "action"), "inject")) {
		pmt_case_verdict(c, PMT_BROK, "inject: fault did not fire: QEMU's MEMORY_FAILURE "
				 "action is \"%s\", not inject",
				 pmt_json_str(json_object_object_get(event, "data"), "action"));
		json_object_put(event);
		return -1;
	}
	json_object_put(event);

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
	judge(e, c, rows, NULL);
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
	.prepare_vm = mce_prepare,
	.run = mce_run,
};
