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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "verdict.h"
#include "vm.h"

struct pmt_case;
struct pmt_injector;
struct pmt_kernel;
struct pmt_runner;

/* How a declarative scenario mounts its filesystem. */
enum pmt_dax {
	PMT_DAX_ON,		/* -o dax, and DAX must be active, else BROK */
	PMT_DAX_OFF,		/* no -o dax, and DAX must be off */
	PMT_DAX_BY_VARIANT,	/* variant "dax": ON; any other variant: OFF */
};

/* Who sets the verdict of a declarative scenario. */
enum pmt_checker {
	/* Every access-path record the injector observed (c->observed) is
	 * judged against results/expected/errors.tsv; MODE is the variant. */
	PMT_CHECK_EXPECTATIONS,
	/* The scenario's judge() reads the workload's result. */
	PMT_CHECK_JUDGE,
	/* A stage of the checker (harness/check/): check_stage->check(). */
	PMT_CHECK_STAGE,
};

/*
 * A checker stage (harness/check/), named by a declaration: it gets the
 * workload's result after the fault fired and sets the verdict, booting
 * whatever checker guests it needs through pmt_check_in_guest()
 * (harness/check/crash_states.h: the power cut's crash states, the state
 * after a failed flush, the image a fault left).  0, or -1 after a BROK.
 * What the stage needs of the lifecycle it says here, so that no scenario
 * has a flow of its own:
 *   - image: it reads the image the fault left in the case's backing file
 *     (it checks a copy in a checker guest): the lifecycle cuts the case's
 *     guest's power after fire, so that nothing writes the file any more
 *     (a guest the fault killed stays as it is);
 *   - prepare_vm: the case's own guest is the checker of a saved image:
 *     it fills the pmem backing file @cfg names before the boot (0, or -1
 *     with @err: BROK "setup: ERR"), and the lifecycle then makes no
 *     filesystem: the image holds one, and the stage mounts it.
 */
struct pmt_check_stage {
	const char *name;
	bool image;
	int (*prepare_vm)(struct pmt_case *c, struct pmt_vm_config *cfg, char *err,
			  size_t errlen);
	int (*check)(struct pmt_case *c, struct json_object *result);
};

/*
 * A scenario is a declaration (LTP's struct tst_test is the model): which
 * injector, which workload, where it runs and who judges.  The runner's one
 * lifecycle (lifecycle.h) does the rest: no scenario has a flow of its
 * own; what a fault or a check needs of the lifecycle is an op of its
 * injector (injectors/injector.h) or a field of its check stage (above).
 */
struct pmt_scenario {
	const char *name;
	const char *description;
	unsigned int devices;		/* bit (1 << pmt_device_kind) per device it runs on */
	const char *const *filesystems;	/* NULL-terminated */
	/* Optional extra dimension, e.g. the workloads a power cut interrupts;
	 * NULL-terminated, selected with --workload. */
	const char *const *variants;
	bool hidden;			/* run only when named with --scenario */
	/* The guests' vCPUs when neither --smp nor a plan's smp = says;
	 * 0 means 1.  Device scenarios (the request queue under concurrent
	 * flushes) set 2. */
	unsigned int smp;
	const char *injector;		/* its injector's name (injectors/registry.c), or NULL */
	/* How the lifecycle runs it: */
	enum pmt_dax dax;
	const char *workload;		/* guest workload between arm and fire, or NULL */
	enum pmt_checker checker;
	/* PMT_CHECK_STAGE: the stage. */
	const struct pmt_check_stage *check_stage;
	/* PMT_CHECK_JUDGE: the verdict from the workload's result, with a reason. */
	enum pmt_verdict (*judge)(struct pmt_case *c, struct json_object *result,
				  char *reason, size_t len);
};

#define PMT_DEVICE_BIT(kind) (1u << (kind))

struct pmt_case {
	const struct pmt_scenario *scenario;
	const struct pmt_injector *inj;	/* the scenario's injector, or NULL */
	enum pmt_device_kind device;
	const char *fs;
	const char *variant;		/* NULL, or one of scenario->variants */
	const char *mount_opts;		/* NULL: by the scenario's dax (a plan's mount_opts) */
	const char *mkfs_opts;		/* NULL: mkfs defaults (a plan's mkfs_opts) */
	const char *section;		/* the plan section it came from, or NULL */
	struct json_object *params;	/* a plan's param.NAME values, or NULL */
	unsigned int repeat;		/* 1-based; ids of repeats 2.. end in "#N" */
	unsigned long long seed;	/* --seed or the section's, + repeat - 1 */
	/* The kernel it runs on (select/kernels.h), NULL for the one image of
	 * a run without --kernel/--debian-kernel.  Ids carry "@label" only
	 * when the run has more than one kernel. */
	const struct pmt_kernel *kernel;
	/* vCPUs of its guests: --smp, else the plan section's smp =, else the
	 * scenario's default.  Ids end in "/smpN" only when the run mixes values. */
	unsigned int smp;
	char *owned;			/* one buffer the plan strings above live in */
	char id[128];			/* scenario[:variant]:device:fs */
	char dir[PATH_MAX];		/* result folder of the case */
	enum pmt_verdict verdict;
	bool verdict_set;
	char reason[1024];
	char phase[32];			/* what the case is doing, for BROK reasons */
	struct json_object *details;	/* observations, kept in case.json */
	struct json_object *notes;	/* every verdict-worthy event, in order */
	/* Access-path records the injector observed, for PMT_CHECK_EXPECTATIONS. */
	struct json_object *observed;
	const struct pmt_options *opt;
	struct pmt_vm *vm;
	struct pmt_runner *runner;	/* the session's (runner.h), for pmt_case_boot_guest() */
	const char *rundir;		/* private scratch folder of the run (sockets, images) */
	int checkers;			/* checker guests it may run side by side (>= 1) */
	double boot_s;			/* QEMU start to agent ready */
	double duration_s;
	/* In the run's summary; an interrupted run lists the others as not run. */
	bool recorded;
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
 * phase, or the hang verdict (below).
 */
int pmt_case_agent(struct pmt_case *c, const char *cmd, struct json_object *args,
		   struct json_object **result, char *err, size_t errlen);
/*
 * pmt_case_agent() with its own bound of @bound_s seconds (the hang bound
 * of hang.h; pmt_case_agent() uses --hang-timeout, else --cmd-timeout).
 * No answer within it while QEMU is alive is a hang: pmt_case_hang()
 * collects the evidence, sets FAIL (the guest kernel shows it) or BROK
 * (it does not), cuts QEMU's power, and -1 comes back.
 */
int pmt_case_agent_within(struct pmt_case *c, const char *cmd, struct json_object *args,
			  struct json_object **result, char *err, size_t errlen, int bound_s);

/*
 * pmt_case_agent() for a call after a fault that may take the guest down
 * (a machine check may panic it): when no answer came (the channel closed,
 * or the command timeout passed) nothing is recorded and
 * PMT_CASE_GUEST_GONE comes back, @err saying what the channel said; the
 * caller judges the guest's end with pmt_case_guest_gone() (lifecycle.h).
 * Otherwise as pmt_case_agent(): 0 with *result, 1 with the guest's error.
 */
#define PMT_CASE_GUEST_GONE	3
int pmt_case_agent_may_die(struct pmt_case *c, const char *cmd, struct json_object *args,
			   struct json_object **result, char *err, size_t errlen);

/*
 * pmt_case_agent() for a step that cannot go on without the answer (the
 * SAFE_* calls of LTP): consumes @args; on a guest error or no answer the
 * case is BROK "PHASE: CMD: why" and -1 comes back, so a caller needs one
 * line, PMT_SAFE_AGENT(c, cmd, args, &res).
 */
int pmt_case_agent_safe(struct pmt_case *c, const char *cmd, struct json_object *args,
			struct json_object **result);
#define PMT_SAFE_AGENT(c, cmd, args, result) \
	do { if (pmt_case_agent_safe((c), (cmd), (args), (result))) return -1; } while (0)

/* Does case @c mount -o dax?  A declaration's dax rule (ON, OFF, or by variant "dax"). */
bool pmt_case_wants_dax(const struct pmt_case *c);
/*
 * The mount options case @c uses: a plan's, else "dax" or "" by the
 * declaration's dax rule.  What `list`
 * prints and what the guest mounts with are this one answer.
 */
const char *pmt_case_mount_opts(const struct pmt_case *c);

#endif
