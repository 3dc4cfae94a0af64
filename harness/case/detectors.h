/* SPDX-License-Identifier: MIT */
/*
 * Memory-safety and lockup detectors in every guest.  Each guest boots
 * with PMT_DETECTORS_CMDLINE; after the case, a detector's line in the
 * guest's kernel log is FAIL quoting it, whatever the scenario concluded:
 * a use-after-free or a lockup in the flush path is a bug even when the
 * data held.
 */
#ifndef PMT_DETECTORS_H
#define PMT_DETECTORS_H

#include <stddef.h>

struct json_object;
struct pmt_case;

/*
 * The guest kernel's command line for the detectors (Debian kernels):
 *  - kfence.sample_interval=100: KFENCE samples one slab allocation per
 *    100 ms into a guarded page, and reports "BUG: KFENCE: use-after-free"
 *    / "out-of-bounds".  6.12 builds KFENCE in (off by default); 6.1 has
 *    no KFENCE (the parameter is then ignored).
 *  - slub_debug=FZP on the small kmalloc caches (where virtio-pmem's
 *    requests live: struct virtio_pmem_request is about 100 bytes):
 *    sanity checks, red zones and poisoning there only, so a write after
 *    free or past the end is reported ("BUG kmalloc-128 ...") at the next
 *    check, at a measured cost (README "Detectors").
 *  - sysctl.kernel.hung_task_timeout_secs=10 (Linux >= 5.8 reads sysctl.*
 *    from the command line): a task in state D for 10-20 s is reported
 *    "INFO: task NAME:PID blocked for more than 10 seconds."
 *  - sysrq_always_enabled: the hang evidence (hang.h) asks for sysrq 'w'.
 */
#define PMT_DETECTORS_CMDLINE "kfence.sample_interval=100 " \
	"slub_debug=FZP,kmalloc-64,kmalloc-96,kmalloc-128,kmalloc-192 " \
	"sysctl.kernel.hung_task_timeout_secs=10 sysrq_always_enabled"

/*
 * The first detector line of kernel log @text ("KFENCE:", "BUG:",
 * "WARNING:", "blocked for more than", "hung task", "soft lockup",
 * "use-after-free", "general protection fault"), without its time stamp,
 * into @line; the number of such lines.  Pure (unit tested).
 */
int pmt_detectors_scan(const char *text, char *line, size_t len);

/*
 * KFENCE's debugfs stats text ("total allocations: 1234" per line) as a
 * JSON object of those counters, names as the kernel gives them; lines
 * without a number are left out.  Pure (unit tested).
 */
struct json_object *pmt_kfence_stats_parse(const char *text);

/*
 * After case @c: scan its guest's dmesg.txt (or its console.log when no
 * dmesg was saved: a hung or dead guest) and the console of every other
 * guest of the case (checkers).  A line found is FAIL "kernel detector:
 * LINE", and details.detectors lists up to 8 lines with their file.
 */
void pmt_case_detectors(struct pmt_case *c);

#endif
