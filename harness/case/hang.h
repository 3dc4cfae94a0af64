/* SPDX-License-Identifier: MIT */
/*
 * A hang is a verdict.  A guest command that makes no progress within its
 * bound while QEMU is alive is either the guest kernel's doing (a task
 * stuck in uninterruptible sleep in the flush path, a hung_task report, a
 * panic, a BUG) or the framework's own (an agent bug).  The first is FAIL
 * with the stacks, the device's status and what the host saw; the second
 * stays BROK.  Either way QEMU is power-cut: nothing is left running.
 */
#ifndef PMT_HANG_H
#define PMT_HANG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct pmt_case;

/*
 * Seconds a guest command may make no progress: --hang-timeout, else
 * @def (the command timeout for ordinary commands, a scenario's shorter
 * bound where it drives a hang on purpose).
 */
int pmt_case_hang_bound_s(const struct pmt_case *c, int def);

/*
 * What a console (or dmesg) text says about a hang, pure (unit tested):
 * the tasks in state D with their first meaningful frames, from sysrq 'w'
 * output ("task:NAME state:D ... Call Trace: ... </TASK>"), as
 * "TASK in FUNC <- FUNC <- FUNC" joined by "; " into @blocked (empty:
 * none); the first hung_task, panic, BUG or Oops line into @kernel_line
 * (empty: none).  Returns the number of blocked tasks found.
 */
int pmt_hang_parse_console(const char *text, char *blocked, size_t blen,
			   char *kernel_line, size_t klen);

/*
 * One line from QEMU's x-query-virtio-status answer @st: the device
 * status bits by name, "NEEDS_RESET" flagged, "broken" when QEMU marked
 * the device so.  *needs_reset says whether bit 0x40 is set.  Pure.
 */
void pmt_hang_describe_status(struct json_object *st, char *buf, size_t len, bool *needs_reset);

/*
 * Guest command @what (e.g. "agent run") made no progress for @waited_s
 * seconds and QEMU is alive.  Collects the evidence: sysrq '9' then 'w'
 * by QMP send-key (the agent, PID 1, is the one waiting), the console
 * since boot, the virtio-pmem status and queue over QMP, the flush shim's
 * log when one is loaded; writes it to CASE/hang.txt and details.hang.
 * Then the verdict: FAIL "hang: ..." when the guest kernel shows it,
 * otherwise BROK "PHASE: @what: timed out ... (no sign in the guest
 * kernel)".  QEMU is power-cut before it returns (vm->hung is set).
 */
void pmt_case_hang(struct pmt_case *c, const char *what, int waited_s);

#endif
