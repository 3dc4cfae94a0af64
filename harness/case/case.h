/* SPDX-License-Identifier: MIT */
/*
 * A case is one scenario on one device with one filesystem, run in its own
 * guest.  Scenarios are declarative descriptions in the manner of LTP's
 * struct tst_test: what they need, and one run() that sets the verdict
 * through pmt_case_verdict() from what the guest actually did.
 */
#ifndef PMT_CASE_H
#define PMT_CASE_H

#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>

#include "options.h"
#include "verdict.h"
#include "vm.h"

struct pmt_case;
struct pmt_kernel;

struct pmt_scenario {
	const char *name;
	const char *description;
	unsigned int devices;		/* bit (1 << pmt_device_kind) per device it runs on */
	const char *const *filesystems;	/* NULL-terminated */
	const char *mount_opts;		/* how the filesystem is mounted */
	/* Optional extra dimension, e.g. the workloads a power cut interrupts;
	 * NULL-terminated, selected with --workload. */
	const char *const *variants;
	bool hidden;			/* run only when named with --scenario */
	/* Optional: adjust the guest before it boots (env for an LD_PRELOAD
	 * shim, ...).  Non-zero: the case is BROK (set a verdict to say why). */
	int (*prepare_vm)(struct pmt_case *c, struct pmt_vm_config *cfg);
	int (*run)(struct pmt_case *c);
};

#define PMT_DEVICE_BIT(kind) (1u << (kind))

struct pmt_case {
	const struct pmt_scenario *scenario;
	enum pmt_device_kind device;
	const char *fs;
	const char *variant;		/* NULL, or one of scenario->variants */
	const char *mount_opts;		/* NULL: the scenario's mount_opts */
	const char *mkfs_opts;		/* NULL: mkfs defaults (a plan's mkfs_opts) */
	const char *injector;		/* NULL, or a plan's injector */
	const char *section;		/* the plan section it came from, or NULL */
	struct json_object *params;	/* a plan's param.NAME values, or NULL */
	unsigned int repeat;		/* 1-based; ids of repeats 2.. end in "#N" */
	unsigned long long seed;	/* --seed or the section's, + repeat - 1 */
	/* The kernel it runs on (select/kernels.h), NULL for the one image of
	 * a run without --kernel/--debian-kernel.  Ids carry "@label" only
	 * when the run has more than one kernel. */
	const struct pmt_kernel *kernel;
	char *owned;			/* one buffer the plan strings above live in */
	char id[128];			/* scenario[:variant]:device:fs */
	char dir[PATH_MAX];		/* result folder of the case */
	enum pmt_verdict verdict;
	bool verdict_set;
	char reason[1024];
	char phase[32];			/* what the case is doing, for BROK reasons */
	struct json_object *details;	/* observations, kept in case.json */
	struct json_object *notes;	/* every verdict-worthy event, in order */
	const struct pmt_options *opt;
	struct pmt_vm *vm;
	void *runner;			/* opaque: what pmt_case_boot_guest() needs */
	const char *rundir;		/* private scratch folder of the run (sockets, images) */
	double boot_s;			/* QEMU start to agent ready */
	double duration_s;
};

/*
 * Record an outcome.  The most severe one wins (BROK > FAIL > SKIP > XFAIL
 * > PASS); all of them are kept in order in "notes".
 */
void pmt_case_verdict(struct pmt_case *c, enum pmt_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pmt_case_phase(struct pmt_case *c, const char *phase);

/*
 * Call the guest agent with the command timeout.  Returns 0 with *result
 * (a reference, may be NULL if unwanted); 1 when the guest answered with an
 * error (its text in @err); 2 when the agent's on_event callback stopped the
 * wait; -1 when there was no answer, after recording a BROK that names the
 * phase.
 */
int pmt_case_agent(struct pmt_case *c, const char *cmd, struct json_object *args,
		   struct json_object **result, char *err, size_t errlen);

/*
 * Boot another guest for the case (the power-cut checker): the run's image
 * and accel, its logs in c->dir/@name, pmem backed by the existing @disk.
 * The caller releases it; a guest that failed to boot is already released.
 * 0, or -1 with a one-line reason.
 */
int pmt_case_boot_guest(struct pmt_case *c, struct pmt_vm *vm, const char *name,
			const char *disk, char *err, size_t errlen);

/*
 * Shut a case's guest down cleanly through its agent; a guest already gone
 * (a power cut) is left alone.  A failure is a BROK naming c->phase.  The
 * caller still releases the vm.  0 or -1.
 */
int pmt_case_shutdown(struct pmt_case *c, struct pmt_vm *vm);

/* Registered scenarios (scenarios/registry.c), NULL-terminated. */
extern const struct pmt_scenario *const pmt_scenarios[];
const struct pmt_scenario *pmt_scenario_find(const char *name);

#endif
