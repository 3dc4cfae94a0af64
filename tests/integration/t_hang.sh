#!/usr/bin/env bash
# A hang is a verdict (harness/case/hang.h): the hidden scenario flushhang
# holds the host fsync behind a guest flush forever (the shim's hold mode),
# so the guest's fsync sleeps in virtio_pmem_flush (state D).  Within the
# bound (--hang-timeout 25: khungtaskd reports 10-20 s after the task blocked) the case must be FAIL naming the blocked task
# and its stack, the device status and what the host saw, with hang.txt
# kept, the hung_task detector's line recorded, and no QEMU left running.
. "$ROOT/tests/integration/lib.sh"

t0=$(date +%s)
"$PMTORTURE" run --accel tcg --scenario flushhang --fs ext4 --hang-timeout 25 --results r >out 2>err; rc=$?
t1=$(date +%s)
cat out
s=$(readlink -f r/latest)/summary.json
d=$(readlink -f r/latest)/cases/flushhang-virtio-pmem-ext4
id=flushhang:virtio-pmem:ext4
get() { json_get "$s" "[c$1 for c in j['cases'] if c['id']=='$id'][0]"; }
check "exit 1 (FAIL)" [ $rc -eq 1 ]
check "FAIL, not BROK (got $(get "['verdict']"))" [ "$(get "['verdict']")" = FAIL ]
check "the reason says hang and the bound" grep -q "$id *FAIL.*hang: agent run made no progress for 2[0-9] s" out
check "the reason names a task blocked in virtio_pmem_flush" grep -q "$id *FAIL.*blocked: .* in virtio_pmem_flush" out
check "the reason gives the device status" grep -q "$id *FAIL.*device status: .*DRIVER_OK" out
check "the reason says the host holds one flush" grep -q "$id *FAIL.*1 held by the shim" out
check "hang.txt kept, with the stack" grep -q "virtio_pmem_flush+" "$d/hang.txt"
check "details.hang.blocked names virtio_pmem_flush" [ "$(get "['details']['hang']['blocked'].count('virtio_pmem_flush')")" -gt 0 ]
check "details.hang: the queue has a request in use" [ "$(get "['details']['hang']['queue_status']['inuse']")" -ge 1 ]
check "details.hang: no NEEDS_RESET" [ "$(get "['details']['hang']['needs_reset']")" = False ]
check "the hung_task detector's line is recorded" [ "$(json_get "$s" "any('blocked for more than' in x['line'] for c in j['cases'] for x in c['details'].get('detectors', []))")" = True ]
check "the case ended within its bound ($((t1 - t0)) s for boot, setup, 25 s and evidence)" [ $((t1 - t0)) -lt 150 ]
check "no QEMU left" no_qemu_left
done_testing
