/* SPDX-License-Identifier: MIT */
/*
 * The one lifecycle every case runs (injector.h):
 *
 *   probe -> prepare_vm -> boot -> setup fs -> arm -> workload -> fire
 *         -> check -> disarm
 *
 * The runner calls pmt_inject_probe() and pmt_inject_prepare() before the
 * boot (and the check stage's pmt_check_prepare()) and pmt_inject_disarm()
 * after everything; between them every scenario, a declaration, runs
 * pmt_case_lifecycle().  Every step that fails records the BROK, naming
 * its phase, and returns -1, so neither scenarios nor injectors repeat
 * that.
 */
#ifndef PMT_LIFECYCLE_H
#define PMT_LIFECYCLE_H

#include "case.h"
#include "vm.h"

/* 0: go on; 1: SKIP recorded with the injector's reason (nothing boots). */
int pmt_inject_probe(struct pmt_case *c);
/* The injector's prepare_vm.  0, or -1 after a BROK "setup: ...". */
int pmt_inject_prepare(struct pmt_case *c, struct pmt_vm_config *cfg);
/* The check stage's prepare_vm (case.h), if it has one: the case's own
 * guest checks a saved image.  0, or -1 after a BROK "setup: ...". */
int pmt_check_prepare(struct pmt_case *c, struct pmt_vm_config *cfg);
/* arm / fire, each 0 or -1 after a BROK "arm: ..." / "fire: ...".  A fire
 * that did not record pmt_fault_fired() is BROK "fault did not fire". */
int pmt_inject_arm(struct pmt_case *c);
int pmt_inject_fire(struct pmt_case *c);
/* Once per case, whatever happened; safe when nothing was armed. */
void pmt_inject_disarm(struct pmt_case *c);

/*
 * Mount the filesystem as the scenario's dax says (BROK when DAX is not in
 * the state the case needs), @dev gets the block device.  0 or -1.
 */
int pmt_lifecycle_setup_fs(struct pmt_case *c, char *dev, size_t devlen);
/* The block device the case's filesystem was made on ("" before setup fs). */
const char *pmt_case_dev(const struct pmt_case *c);

/*
 * A declarative scenario, from setup fs to check.  0, or -1 after a BROK.
 * A check stage with prepare_vm gets no setup fs (its image holds the
 * filesystem); one that reads the fault's image (image) gets the guest's
 * power cut before it runs.
 */
int pmt_case_lifecycle(struct pmt_case *c);

/*
 * Record one access-path record the injector observed (consumed), for the
 * expectations checker; @path names it when the record has no "path".
 */
void pmt_case_observe(struct pmt_case *c, const char *path, struct json_object *record);

/*
 * The expectations checker (PMT_CHECK_EXPECTATIONS), for a check stage
 * that judges the observed records too: every record of c->observed
 * against results/expected/errors.tsv, MODE @mode (NULL: the variant, "*"
 * without one): FAIL naming each mismatch, PASS when all that have a rule
 * match (expect.h).  0, or -1 after a BROK (no table, nothing observed).
 */
int pmt_case_judge_observed(struct pmt_case *c, const char *mode);

/*
 * The case's guest stopped answering after a fault that may take it down
 * (a machine check may panic it; pmt_case_agent_may_die() said
 * PMT_CASE_GUEST_GONE, @err its words).  Waits a few seconds for QEMU to
 * end, then reads the guest's console: a "Kernel panic" line is the
 * kernel's answer, an outcome to judge, not a BROK: it is observed as
 * {"path": "guest", "observed": "panic", "detail": LINE; cause} (the
 * "Machine check:" line before it is the cause), details.panic and
 * details.panic_cause keep both, and 0 comes back.  No panic: the case
 * could not observe, BROK "PHASE: agent @cmd: how QEMU ended", and -1.
 */
int pmt_case_guest_gone(struct pmt_case *c, const char *cmd, const char *err);

/*
 * The fire of an injector whose half is in the guest: run guest program
 * @program (injectors/guest/) on the case's filesystem with @args
 * (consumed; "dev" is added), keep its result in details[@program], and
 * observe its "probes" (after @first, a member of the result that is an
 * access path of its own, if given).  The guest refusing is the fault not
 * firing: -1 with its words in @err.  0 after pmt_fault_fired().
 */
int pmt_guest_fire(struct pmt_case *c, const char *program, struct json_object *args,
		   const char *first, char *err, size_t errlen);

#endif
