/* SPDX-License-Identifier: MIT */
/*
 * An injector: one kind of fault, one file in injectors/ exporting one
 * struct pmt_injector, listed once in injectors/registry.c (the model is
 * fio's struct ioengine_ops with its options[]).  The interface lives here,
 * in the case layer that calls it; the injectors sit above it and
 * implement it, and only what builds cases reads their list
 * (injector_list.h).  Its guest-side half, if
 * it has one, is one file in injectors/guest/, linked into the agent.
 *
 * Every case runs one lifecycle (harness/case/lifecycle.h):
 *
 *   probe -> prepare_vm -> boot -> setup fs -> arm -> workload -> fire
 *         -> check -> disarm
 *
 * (the workload is the scenario's, or the injector's own run_workload;
 * the check an expectations table, a judge, or a checker stage, which says
 * in its struct pmt_check_stage (case.h) whether it needs the guest's power
 * cut after fire, to read the image the fault left, or brings its own
 * image, with no filesystem made over it.)
 *
 * Each op is optional.  The rules the lifecycle enforces, so that no
 * injector has to:
 *   - probe says whether the fault can happen here at all (host kernel,
 *     backend); 1 is a SKIP with its reason, before anything boots;
 *   - an op that fails records nothing itself: it fills @err and returns
 *     -1, and the case is BROK naming the phase ("arm: ...");
 *   - fire must report that the fault fired (pmt_fault_fired()); a fire
 *     that returned 0 without it is BROK "fault did not fire", never a
 *     PASS;
 *   - disarm is called once whatever happened before, and must be safe to
 *     call when arm never ran (idempotent).
 * What an injector armed and fired is in case.json's details.fault
 * (pmt_fault_*), for the reports and for a person reading the case.
 */
#ifndef PMT_INJECTOR_H
#define PMT_INJECTOR_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "param.h"

struct pmt_case;
struct pmt_vm_config;

struct pmt_injector {
	const char *name;
	const char *description;
	unsigned int devices;		/* PMT_DEVICE_BIT() of each device it can fault */
	/* Guest modules it needs beyond the device's and the filesystem's
	 * (comma list of module names as in guest-image/modules.list), or NULL. */
	const char *modules;
	const struct pmt_param *params;	/* its parameters, {NULL}-terminated, or NULL */
	/* Can the fault happen here?  0 yes; 1 no, with the SKIP reason in @why. */
	int (*probe)(const struct pmt_case *c, char *why, size_t len);
	/* Change the guest before it boots (QEMU env, CPU model...).  0 or -1. */
	int (*prepare_vm)(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen);
	/* After the filesystem is up: make the fault ready.  0 or -1. */
	int (*arm)(struct pmt_case *c, char *err, size_t errlen);
	/*
	 * Optional: run the case's workload itself, between arm and fire, when
	 * the fault is timed by what the workload does (the power cut stamps
	 * every event with the host's flush count and cuts at a chosen op).
	 * *@result is what the check stage reads.  0, or -1 (a BROK already
	 * recorded, or @err says why).
	 */
	int (*run_workload)(struct pmt_case *c, struct json_object **result, char *err,
			    size_t errlen);
	/* Inject.  0 after pmt_fault_fired(), or -1. */
	int (*fire)(struct pmt_case *c, char *err, size_t errlen);
	/* Undo what arm and fire left (host files, mounts); idempotent.
	 * Called after the guest is gone; evidence a host file holds (the
	 * flush shim's log) is copied into the case folder (c->dir) first. */
	void (*disarm)(struct pmt_case *c);
};

/*
 * details.fault of @c, created on first use: {"injector": NAME, "armed":
 * bool, "fired": bool, ...what the injector recorded}.  A borrowed
 * reference owned by c->details.
 */
struct json_object *pmt_fault(struct pmt_case *c);
/* The fault is ready (arm) / happened (fire); @fields (may be NULL) are
 * consumed and their members added to details.fault. */
void pmt_fault_armed(struct pmt_case *c, struct json_object *fields);
void pmt_fault_fired(struct pmt_case *c, struct json_object *fields);
bool pmt_fault_has_fired(struct pmt_case *c);

/*
 * A parameter of @c's injector: the plan section's param.NAME, else the
 * command line's --param NAME=VALUE, else the table's default, else NULL
 * (then the caller uses the named option, say --crash-at).  Values were
 * checked against the table when the case was built.
 */
const char *pmt_case_param(const struct pmt_case *c, const char *name);
/* The same, as the whole number an INT parameter holds; @dflt when unset. */
long long pmt_case_param_int(const struct pmt_case *c, const char *name, long long dflt);

#endif
