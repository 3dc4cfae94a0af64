// SPDX-License-Identifier: MIT
/* Unit tests: the hang evidence read from a console, the device status line,
 * and the detectors' lines in a kernel log. */
#include <check.h>
#include <string.h>

#include "detectors.h"
#include "hang.h"
#include "json_util.h"
#include "pmt_check.h"

/* As 6.1's sysrq 'w' and khungtaskd print them (trimmed). */
static const char console[] =
	"[   21.193056] INFO: task pmtorture-agent:135 blocked for more than 10 seconds.\r\n"
	"[   24.834411] sysrq: Show Blocked State\n"
	"[   24.834851] task:pmtorture-agent state:D stack:0     pid:135   ppid:0      flags:0x00004002\n"
	"[   24.834983] Call Trace:\n"
	"[   24.835024]  <TASK>\n"
	"[   24.835070]  __schedule+0x34d/0xa00\n"
	"[   24.835146]  schedule+0x5a/0xd0\n"
	"[   24.835199]  jbd2_log_wait_commit+0xd3/0x140 [jbd2]\n"
	"[   24.835301]  ? cpuusage_read+0x10/0x10\n"
	"[   24.835362]  ext4_sync_file+0x160/0x370 [ext4]\n"
	"[   24.835522]  __x64_sys_fsync+0x37/0x60\n"
	"[   24.835582]  do_syscall_64+0x5d/0xb0\n"
	"[   24.835590]  entry_SYSCALL_64_after_hwframe+0x6e/0xd8\n"
	"[   24.836459] RIP: 0033:0x46dbca\n"
	"[   24.836460]  </TASK>\n"
	"[   24.836461] task:kworker/0:1     state:I stack:0     pid:12    ppid:2      flags:0x00004000\n"
	"[   24.836462]  __schedule+0x34d/0xa00\n"
	"[   24.836463] task:jbd2/pmem0-8    state:D stack:0     pid:130   ppid:2      flags:0x00004000\n"
	"[   24.836464] Call Trace:\n"
	"[   24.836465]  <TASK>\n"
	"[   24.836466]  __schedule+0x34d/0xa00\n"
	"[   24.836467]  schedule+0x5a/0xd0\n"
	"[   24.836468]  virtio_pmem_flush+0x1c5/0x2a0 [nd_virtio]\n"
	"[   24.836469]  async_pmem_flush+0x2a/0x80 [nd_virtio]\n"
	"[   24.836470]  </TASK>\n";

START_TEST(console_blocked_tasks)
{
	char blocked[512], kline[256];

	ck_assert_int_eq(pmt_hang_parse_console(console, blocked, sizeof(blocked), kline,
						sizeof(kline)), 2);
	ck_assert_str_eq(blocked, "pmtorture-agent in jbd2_log_wait_commit <- ext4_sync_file <- "
			 "__x64_sys_fsync <- do_syscall_64; jbd2/pmem0-8 in virtio_pmem_flush <- "
			 "async_pmem_flush");
	ck_assert_str_eq(kline, "INFO: task pmtorture-agent:135 blocked for more than 10 seconds.");
	/* A quiet console: no sign, so the hang stays the framework's (BROK). */
	ck_assert_int_eq(pmt_hang_parse_console("[ 1.0] Run /init as init process\n", blocked,
						sizeof(blocked), kline, sizeof(kline)), 0);
	ck_assert_str_eq(blocked, "");
	ck_assert_str_eq(kline, "");
	ck_assert_int_eq(pmt_hang_parse_console(NULL, blocked, sizeof(blocked), kline,
						sizeof(kline)), 0);
	/* Cut short: still a string. */
	ck_assert_int_eq(pmt_hang_parse_console(console, blocked, 12, kline, 8), 2);
	ck_assert_uint_le(strlen(blocked), 11);
}
END_TEST

START_TEST(status_line)
{
	struct json_object *st = json_tokener_parse(
		"{\"status\":{\"statuses\":[\"VIRTIO_CONFIG_S_ACKNOWLEDGE: Valid virtio device found\","
		"\"VIRTIO_CONFIG_S_DRIVER: Guest OS compatible with device\","
		"\"VIRTIO_CONFIG_S_NEEDS_RESET: Irrecoverable error, device needs reset\"]},"
		"\"broken\":true}");
	char buf[256];
	bool nr;

	pmt_hang_describe_status(st, buf, sizeof(buf), &nr);
	ck_assert_str_eq(buf, "ACKNOWLEDGE,DRIVER,NEEDS_RESET [NEEDS_RESET] [broken]");
	ck_assert(nr);
	json_object_put(st);
	st = json_tokener_parse("{\"status\":15}");
	pmt_hang_describe_status(st, buf, sizeof(buf), &nr);
	ck_assert_str_eq(buf, "ACKNOWLEDGE,DRIVER,DRIVER_OK,FEATURES_OK 0x0f");
	ck_assert(!nr);
	json_object_put(st);
	st = json_tokener_parse("{\"status\":79}");
	pmt_hang_describe_status(st, buf, sizeof(buf), &nr);
	ck_assert(nr);
	json_object_put(st);
	pmt_hang_describe_status(NULL, buf, sizeof(buf), &nr);
	ck_assert_str_eq(buf, "unknown (no answer)");
}
END_TEST

START_TEST(detector_lines)
{
	char line[256];

	ck_assert_int_eq(pmt_detectors_scan(
		"[    0.000000] Kernel command line: console=ttyS0 kfence.sample_interval=100 "
		"sysctl.kernel.hung_task_timeout_secs=10\n"
		"[    0.100000] kfence: initialized - using 2097152 bytes for 255 objects\n"
		"[    5.000000] EXT4-fs (pmem0): mounted filesystem with ordered data mode\n",
		line, sizeof(line)), 0);
	ck_assert_str_eq(line, "");
	ck_assert_int_eq(pmt_detectors_scan(
		"[   12.5] BUG: KFENCE: use-after-free read in virtio_pmem_host_ack+0x5f/0xa0\n"
		"[   12.6] Use-after-free read at 0x00000000 (in kfence-#12):\n"
		"[   13.0] WARNING: CPU: 1 PID: 77 at drivers/nvdimm/nd_virtio.c:60 x+0x1\n"
		"[   14.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [fsync:88]\n",
		line, sizeof(line)), 3);
	ck_assert_str_eq(line, "BUG: KFENCE: use-after-free read in virtio_pmem_host_ack+0x5f/0xa0");
	ck_assert_int_eq(pmt_detectors_scan("INFO: task a:1 blocked for more than 10 seconds.\n",
					    line, sizeof(line)), 1);
	ck_assert_int_eq(pmt_detectors_scan(
		"=============================================================================\n"
		"BUG kmalloc-128 (Not tainted): Poison overwritten\n", line, sizeof(line)), 1);
	ck_assert_str_eq(line, "BUG kmalloc-128 (Not tainted): Poison overwritten");
	ck_assert_int_eq(pmt_detectors_scan(
		"[   20.1] general protection fault, probably for non-canonical address "
		"0x6b6b6b6b6b6b6b6b: 0000 [#1] PREEMPT SMP NOPTI\n", line, sizeof(line)), 1);
}
END_TEST

START_TEST(kfence_stats)
{
	/* As a 6.12.118 guest gave it after a 1600-flush storm. */
	struct json_object *j = pmt_kfence_stats_parse(
		"enabled: 1\n"
		"currently allocated: 179\n"
		"total allocations: 1167\n"
		"total frees: 988\n"
		"zombie allocations: 0\n"
		"total bugs: 0\n"
		"skipped allocations (incompatible): 14\n"
		"no number here\n"
		"skipped allocations (covered): 0");

	ck_assert_int_eq(json_object_object_length(j), 8);
	ck_assert_int_eq(pmt_json_int64(j, "total allocations", -1), 1167);
	ck_assert_int_eq(pmt_json_int64(j, "skipped allocations (incompatible)", -1), 14);
	ck_assert_int_eq(pmt_json_int64(j, "skipped allocations (covered)", -1), 0);
	json_object_put(j);
	j = pmt_kfence_stats_parse(NULL);
	ck_assert_int_eq(json_object_object_length(j), 0);
	json_object_put(j);
}
END_TEST

PMT_CHECK_MAIN("hang", NULL, console_blocked_tasks, status_line,
	       detector_lines, kfence_stats);
