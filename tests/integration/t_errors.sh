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
for sc in badblocks hwpoison mce flusheio hostsigbus hosthwpoison; do
	check "$sc ran" [ "$(json_get "$s" "len([c for c in j['cases'] if c['scenario']=='$sc'])")" -ge 1 ]
done
check "no BROK" [ "$(json_get "$s" 'j["counts"]["BROK"]')" = 0 ]
check "host hwpoison is SKIP with the reason" grep -q 'hosthwpoison.*SKIP.*CONFIG_MEMORY_FAILURE' out
check "ext4's fsync success after a failed flush is XFAIL" grep -q 'flusheio:fail:virtio-pmem:ext4 *XFAIL' out
check "guest fsync got EIO from the failed host flush" \
	[ "$(json_get "$s" "[r['observed'] for c in j['cases'] if c['id']=='flusheio:fail:virtio-pmem:ext4' for r in c['details']['behaviour'] if r['path']=='fsync'][0]")" = errno=EIO ]
check "the behaviour table ends the run" grep -q '^| \*\*badblocks\*\*' out
check "the report paths are printed" grep -q '^behaviour: .*behaviour.md' out
check "no QEMU left" no_qemu_left
done_testing
