#!/usr/bin/env bash
# The device injectors of issue 18, each firing once, short:
#  - flushstorm (slow): 5 threads (one per kind) x 3 bursts x 2 flushes of every kind
#    against a 20 ms host fsync: every guest flush that returned 0 covered
#    by a host fsync inside its window, no EIO, no NEEDS_RESET; the
#    figures (flushes/s, p50/p99/max, deepest queue) in the reason;
#  - devreset (xfs): the guest's empty-queue doorbell puts the device in
#    NEEDS_RESET (QMP), the next fsync fails with EIO at once, none
#    returns 0, the driver says so and xfs shuts down;
#  - flusheio lose (ext4): the host's failed fsync loses its pages as a
#    Linux host does; on 6.1 ext4 returns 0 later and the power cut finds
#    the data gone: FAIL, naming QEMU's one-bit ret.
. "$ROOT/tests/integration/lib.sh"

"$PMTORTURE" run --accel tcg --scenario flushstorm --workload slow --fs ext4 \
	--param threads=5 --param rounds=3 --param burst=2 --results r1 >out1 2>err1 &
p1=$!
"$PMTORTURE" run --accel tcg --scenario devreset --fs xfs --results r2 >out2 2>err2; rc2=$?
wait $p1; rc1=$?
cat out1 out2
s1=$(readlink -f r1/latest)/summary.json
s2=$(readlink -f r2/latest)/summary.json
get() { json_get "$1" "j['cases'][0]$2"; }

check "flushstorm: PASS (got $(get "$s1" "['verdict']"))" [ $rc1 -eq 0 -a "$(get "$s1" "['verdict']")" = PASS ]
check "flushstorm: the reason has flushes/s and the latency" \
	grep -qE 'flushstorm:slow:virtio-pmem:ext4 +PASS.*[0-9]+/s; latency p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms; host: [0-9]+ fsyncs, deepest queue [0-9]+' out1
check "flushstorm: 5 x 3 x 2 guest flushes, all covered" \
	[ "$(get "$s1" "['details']['coverage']['guest_ok']")/$(get "$s1" "['details']['coverage']['uncovered']")" = 30/0 ]
check "flushstorm: the deepest queue is recorded (>= 1)" [ "$(get "$s1" "['details']['deepest_queue']")" -ge 1 ]
check "flushstorm: the fault fired (slowest host flush >= 20 ms)" \
	[ "$(json_get "$s1" "int(j['cases'][0]['details']['fault']['slowest_host_flush_ms'] >= 18)")" = 1 ]
check "flushstorm: every kind ran" [ "$(json_get "$s1" "sorted(set(f[0] for f in j['cases'][0]['details']['flushstorm']['flushes']))")" = "[0, 1, 2, 3, 4]" ]
check "flushstorm: flushes.jsonl kept, with depth and CLOCK_REALTIME" \
	grep -q '"depth":[0-9]*,"rt0_us":' "$(readlink -f r1/latest)/cases/flushstorm-slow-virtio-pmem-ext4/flushes.jsonl"

check "devreset: PASS (got $(get "$s2" "['verdict']"): $(get "$s2" "['reason']"))" [ $rc2 -eq 0 -a "$(get "$s2" "['verdict']")" = PASS ]
check "devreset: QMP shows NEEDS_RESET" [ "$(get "$s2" "['details']['virtio_status']['needs_reset']")" = True ]
check "devreset: the first fsync after it is EIO" \
	[ "$(json_get "$s2" "[p['errno'] for p in j['cases'][0]['details']['devreset']['probes'] if p['path']=='fsync_after_reset'][0]")" = 5 ]
check "devreset: the driver's line is in the kernel log" \
	[ "$(json_get "$s2" "any('needs a reset' in l for l in j['cases'][0]['details']['kernel_log'])")" = True ]

"$PMTORTURE" run --accel tcg --scenario flusheio --workload lose --fs ext4 --results r3 >out3 2>err3; rc3=$?
cat out3
s3=$(readlink -f r3/latest)/summary.json
check "flusheio lose: exit 1 (FAIL)" [ $rc3 -eq 1 ]
check "flusheio lose: the shim lost pages ($(get "$s3" "['details'].get('host_pages_lost')"))" \
	[ "$(json_get "$s3" "int(j['cases'][0]['details'].get('host_pages_lost', 0) > 0)")" = 1 ]
check "flusheio lose: the 0 was for data a power cut lost, QEMU's ret named" \
	grep -q "flusheio:lose:virtio-pmem:ext4 *FAIL *[0-9.]*s *fsync returned 0 but the data was lost after a power cut.*at fault: QEMU's one-bit ret" out3
check "no QEMU left" no_qemu_left
done_testing
