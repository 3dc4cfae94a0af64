#!/usr/bin/env bash
# The errors plan on virtio-pmem with ext4, as a user runs it: every
# injector fires or says why not (SKIP), the known kernel failure is XFAIL
# through the shipped expunge file, and the behaviour table ends the run.
. "$ROOT/tests/integration/lib.sh"

"$PMTORTURE" run --accel tcg --plan errors --filter '*:virtio-pmem:ext4' \
	--expunge "$ROOT/results/expected/known-failures.expunge" --results r >out 2>err; rc=$?
cat out
s=$(readlink -f r/latest)/summary.json
check "exit 0 (no FAIL outside the expunge file, no BROK)" [ $rc -eq 0 ]
# Every case and its verdict: a SKIP is not a case that ran.  hosthwpoison
# is SKIP where the host kernel lacks CONFIG_MEMORY_FAILURE (checked below
# with its reason), else it must run and PASS.
hwp=SKIP
[ -e /proc/sys/vm/memory_failure_recovery ] && hwp=PASS
for cv in badblocks:dax:virtio-pmem:ext4=PASS badblocks:nodax:virtio-pmem:ext4=PASS \
	hwpoison:dax:virtio-pmem:ext4=PASS hwpoison:pagecache:virtio-pmem:ext4=PASS \
	mce:srao:virtio-pmem:ext4=PASS mce:srar:virtio-pmem:ext4=PASS \
	flusheio:fail:virtio-pmem:ext4=XFAIL flusheio:slow:virtio-pmem:ext4=PASS \
	hostsigbus:virtio-pmem:ext4=PASS hosthwpoison:virtio-pmem:ext4=$hwp \
	dmflakey:error_writes:virtio-pmem:ext4=PASS dmflakey:drop_writes:virtio-pmem:ext4=PASS; do
	id=${cv%=*} want=${cv#*=}
	got=$(json_get "$s" "[c['verdict'] for c in j['cases'] if c['id']=='$id']")
	check "$id: $want (got $got)" [ "$got" = "['$want']" ]
done
check "no other case ran" [ "$(json_get "$s" 'len(j["cases"])')" -eq 12 ]
check "no BROK" [ "$(json_get "$s" 'j["counts"]["BROK"]')" = 0 ]
check "host hwpoison is SKIP with the reason" grep -q 'hosthwpoison.*SKIP.*CONFIG_MEMORY_FAILURE' out
check "ext4's fsync success after a failed flush is XFAIL" grep -q 'flusheio:fail:virtio-pmem:ext4 *XFAIL' out
check "guest fsync got EIO from the failed host flush" \
	[ "$(json_get "$s" "[r['observed'] for c in j['cases'] if c['id']=='flusheio:fail:virtio-pmem:ext4' for r in c['details']['behaviour'] if r['path']=='fsync'][0]")" = errno=EIO ]
check "the behaviour table ends the run" grep -q '^| \*\*badblocks\*\*' out
check "the report paths are printed" grep -q '^behaviour: .*behaviour.md' out
check "no QEMU left" no_qemu_left
done_testing
