#!/usr/bin/env bash
# A failing and a slow host flush behind virtio-pmem (scenario flusheio):
#  - fail: the guest's fsync gets EIO on ext4 and xfs, the shim's log shows
#    failed flushes, and the verdict comes from results/expected/errors.tsv
#    (xfs PASS; ext4 FAIL: fsync returns 0 again once the host recovers,
#    on a journal it aborted, and a second fd never sees the error);
#  - slow: 16 guest flushers against a 100 ms host flush, every fsync 0.
. "$ROOT/tests/integration/lib.sh"

"$PMTORTURE" run --accel tcg --scenario flusheio --fs ext4,xfs --results r >out 2>err; rc=$?
cat out
s=$(readlink -f r/latest)/summary.json
verdict() { json_get "$s" "[c['verdict'] for c in j['cases'] if c['id']=='$1'][0]"; }
behaviour() { json_get "$s" "[b['observed'] for c in j['cases'] if c['id']=='$1' for b in c['details']['behaviour'] if b['path']=='$2'][0]"; }
check "exit 1 (ext4's FAIL)" [ $rc -eq 1 ]
for fs in ext4 xfs; do
	id=flusheio:fail:virtio-pmem:$fs
	check "$fs: the guest's fsync got EIO" [ "$(behaviour $id fsync)" = errno=EIO ]
	n=$(json_get "$s" "[c['details']['host_flushes_failed'] for c in j['cases'] if c['id']=='$id'][0]")
	check "$fs: the shim failed $n host flushes (> 0)" [ "${n:-0}" -gt 0 ]
	check "$fs: flushes.jsonl kept" grep -q '"action":"failed"' "$(readlink -f r/latest)/cases/flusheio-fail-virtio-pmem-$fs/flushes.jsonl"
	id=flusheio:slow:virtio-pmem:$fs
	check "$fs slow: PASS (got $(verdict $id))" [ "$(verdict $id)" = PASS ]
	check "$fs slow: the reason has the max fsync latency" grep -q "$id.*max fsync [0-9]* ms with 16 flushers" out
done
check "xfs fail: PASS (shut down, EIO everywhere; got $(verdict flusheio:fail:virtio-pmem:xfs))" \
	[ "$(verdict flusheio:fail:virtio-pmem:xfs)" = PASS ]
check "ext4 fail: FAIL on the success after recovery" \
	grep -q 'flusheio:fail:virtio-pmem:ext4 *FAIL.*fsync_after_recovery: expected errno=EIO|errno=EROFS, observed ok' out
check "ext4 fail: the kernel log shows the aborted journal" \
	[ "$(json_get "$s" "any('Aborting journal' in l for c in j['cases'] if c['id']=='flusheio:fail:virtio-pmem:ext4' for l in c['details']['kernel_log'])")" = True ]
check "no QEMU left" no_qemu_left
done_testing
