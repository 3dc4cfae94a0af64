// SPDX-License-Identifier: MIT
/*
 * mce: a host-injected machine check, QMP human-monitor-command "mce", on
 * the guest-physical address of one page (the mce scenario puts a DAX page
 * of a file there, loaded by a holder process in the guest).
 *
 * Facts this rests on (injectors/ERRORS-FACTS.md): the CPU must be Intel,
 * or the guest grades every uncorrected error as fatal (TCG offers no AMD
 * SUCCOR); and an SRAR is recoverable only when it interrupts user mode, so
 * the vCPU is stopped where it runs user code (CPL=3) before the injection.
 * The address is the guest's word: the host parses it to a number, checks
 * it against the pmem region QEMU reports, and formats the command from
 * numbers only, so guest text never reaches HMP.
 *
 * arm: the guest program mce_target (injectors/guest/mce_target.c) maps
 * one DAX page of a file, a holder process keeps loading it, and the guest
 * reports the page's guest-physical address: recorded as details.fault.gpa
 * (a page that is not DAX, or not in the pmem region, is not the device
 * under test).  fire: SRAR if the variant is "srar", else SRAO; fired when
 * QEMU's MEMORY_FAILURE event says "inject".  What the holder and every
 * access path then see is the check stage's (check/mce_check.h).
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "declare.h"
#include "guest_setup.h"
#include "injector.h"
#include "json_util.h"
#include "mce.h"
#include "util.h"

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

/* libvirt gives no QMP connection here and does not take a CPU vendor. */
static int mce_probe(const struct pmt_case *c, char *why, size_t len)
{
	if (c->opt->backend != PMT_BACKEND_LIBVIRT)
		return 0;
	snprintf(why, len, "setup: the mce injector needs the qemu backend (QMP, and an Intel "
		 "CPU model for a recoverable MCE)");
	return 1;
}

static int mce_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	(void)c;
	(void)err;
	(void)errlen;
	/* On TCG's AMD "max" every uncorrected error is fatal (no SUCCOR). */
	cfg->cpu = "max,vendor=GenuineIntel";
	/* The holder must be what the injected vCPU (0) runs. */
	cfg->smp = 1;
	return 0;
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
			   i < pmt_json_len(memdevs); i++) {
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
 * *gpa, or -1 with why in @err.
 */
static int host_checked_gpa(struct pmt_case *c, const char *text, uint64_t *gpa,
			    char *err, size_t errlen)
{
	struct json_object *memdevs = NULL;
	uint64_t start = 0, size = 0;
	char why[256];
	int rc;

	if (pmt_mce_parse_gpa(text, gpa)) {
		snprintf(err, errlen, "the guest's page address is not a hex number: \"%.40s\"", text);
		return -1;
	}
	if (pmt_qmp_execute(&c->vm->qmp, "query-memory-devices", NULL, &memdevs,
			    pmt_now_ms() + MCE_QMP_TIMEOUT_MS, why, sizeof(why))) {
		snprintf(err, errlen, "cannot ask QEMU where the pmem region is: %s", why);
		return -1;
	}
	rc = pmt_mce_region(memdevs, 0, &start, &size);
	json_object_put(memdevs);
	if (rc) {
		snprintf(err, errlen, "QEMU lists no pmem region to inject into");
		return -1;
	}
	if (pmt_mce_check_gpa(*gpa, start, size)) {
		snprintf(err, errlen, "the page's address 0x%llx is not a page inside the pmem region "
			 "[0x%llx, 0x%llx) that QEMU reports", (unsigned long long)*gpa,
			 (unsigned long long)start, (unsigned long long)(start + size));
		return -1;
	}
	return 0;
}

/*
 * Inject the machine check on @gpa and wait for QEMU's MEMORY_FAILURE
 * event.  0 with *event, or -1 with @err (the VM is left running).
 */
static int inject(struct pmt_case *c, bool srar, uint64_t gpa, struct json_object *info,
		  struct json_object **event, char *err, size_t errlen)
{
	char cmdline[160], out[512] = "";
	int try = 0, rc;

	if (pmt_mce_command(cmdline, sizeof(cmdline), srar, gpa)) {
		snprintf(err, errlen, "the mce command does not fit");
		return -1;
	}
	json_object_object_add(info, "hmp", json_object_new_string(cmdline));
	if (srar) {
		try = stop_in_user_mode(c, info, err, errlen);
		if (try < 0)
			return -1;
		json_object_object_add(info, "stops_until_cpl3", json_object_new_int(try));
	}
	rc = hmp(c, cmdline, out, sizeof(out), err, errlen);
	/* HMP reports a refusal as text in an otherwise successful reply. */
	out[strcspn(out, "\r\n")] = '\0';
	if (!rc && out[0]) {
		snprintf(err, errlen, "QEMU refused \"%s\": %s", cmdline, out);
		rc = -1;
	}
	if (!rc)
		rc = pmt_qmp_wait_event(&c->vm->qmp, "MEMORY_FAILURE", event,
					pmt_now_ms() + MCE_EVENT_TIMEOUT_MS, err, errlen);
	/* Resume even after a failure: a stopped guest cannot shut down. */
	if (srar) {
		char cerr[256];

		if (qmp_simple(c, "cont", cerr, sizeof(cerr)) && !rc) {
			snprintf(err, errlen, "%s", cerr);
			rc = -1;
		}
	}
	return rc ? -1 : 0;
}

/*
 * The holder maps the page and tells us its guest-physical address; the
 * fire checks the number with QEMU (host_checked_gpa).
 */
static int mce_arm(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *req = json_object_new_object();
	struct json_object *target = NULL, *f;
	const char *gpa_text;
	char aerr[512];
	int rc;

	if (!c->vm->qmp_up) {
		snprintf(err, errlen, "no QMP connection to inject through");
		json_object_put(args);
		json_object_put(req);
		return -1;
	}
	json_object_object_add(args, "file", json_object_new_string("mce.dat"));
	json_object_object_add(args, "size", json_object_new_int(65536));
	json_object_object_add(args, "page", json_object_new_int(1));
	json_object_object_add(req, "workload", json_object_new_string("mce_target"));
	json_object_object_add(req, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(req, "args", args);
	rc = pmt_case_agent(c, "run", req, &target, aerr, sizeof(aerr));
	json_object_put(req);
	if (rc) {
		/* No answer: the BROK is recorded; a refusal says why. */
		snprintf(err, errlen, "mce_target: %s", rc > 0 ? aerr : "no answer");
		json_object_put(target);
		return -1;
	}
	json_object_object_add(c->details, "mce_target", target);
	/* A non-DAX page is page cache in guest RAM: not the pmem under test. */
	if (!pmt_json_bool(target, "file_dax", false)) {
		snprintf(err, errlen, "DAX is not active on %s", pmt_json_str(target, "file"));
		return -1;
	}
	gpa_text = pmt_json_str(target, "gpa");
	if (!pmt_json_bool(target, "gpa_in_region", false)) {
		snprintf(err, errlen, "the page's address %.40s is not inside the pmem region %.40s",
			 *gpa_text ? gpa_text : "(none)", pmt_json_str(target, "region_resource"));
		return -1;
	}
	/* The guest's word is not enough: the fire checks the number with QEMU. */
	f = json_object_new_object();
	json_object_object_add(f, "gpa", json_object_new_string(gpa_text));
	pmt_fault_armed(c, f);
	return 0;
}

static int mce_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *info = json_object_new_object(), *event = NULL, *data;
	bool srar = c->variant && !strcmp(c->variant, "srar");
	uint64_t gpa;

	if (!c->vm->qmp_up) {
		snprintf(err, errlen, "no QMP connection to inject through");
		goto fail;
	}
	if (host_checked_gpa(c, pmt_json_str(pmt_fault(c), "gpa"), &gpa, err, errlen) ||
	    inject(c, srar, gpa, info, &event, err, errlen))
		goto fail;
	data = json_object_object_get(event, "data");
	json_object_object_add(info, "memory_failure", json_object_get(data));
	/* QEMU may also reset the guest instead of injecting (MCIP already set). */
	if (strcmp(pmt_json_str(data, "action"), "inject")) {
		snprintf(err, errlen, "QEMU's MEMORY_FAILURE action is \"%s\", not inject",
			 pmt_json_str(data, "action"));
		json_object_put(event);
		goto fail;
	}
	json_object_put(event);
	pmt_fault_fired(c, info);
	return 0;
fail: {
	/* What was tried stays readable in details.fault.  (A block: the
	 * foreach declares, and a label may not stand before a declaration.) */
	json_object_object_foreach(info, k, v)
		json_object_object_add(pmt_fault(c), k, json_object_get(v));
	}
	json_object_put(info);
	return -1;
}

PMT_INJECTOR(mce,
	"host machine check (QMP \"mce\", SRAO or SRAR) on a guest page, Intel CPU model",
	.devices = PMT_ON_ANY_PMEM,
	.probe = mce_probe, .prepare_vm = mce_prepare, .arm = mce_arm,
	.fire = mce_fire);
