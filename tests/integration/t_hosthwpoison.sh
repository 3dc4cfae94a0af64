#!/usr/bin/env bash
# Host hwpoison (scenario hosthwpoison): on a host without
# CONFIG_MEMORY_FAILURE the case is SKIP with that reason, decided before
# any guest boots.  (The injection is not built: a host that has the
# option gets SKIP "not built yet".)
. "$ROOT/tests/integration/lib.sh"

"$PMTORTURE" run --accel tcg --scenario hosthwpoison --results r >out 2>err; rc=$?
cat out
s=$(readlink -f r/latest)/summary.json
check "exit 0 (SKIP is not a failure)" [ $rc -eq 0 ]
check "SKIP" grep -q 'hosthwpoison:virtio-pmem:ext4 *SKIP' out
if [ -e /proc/sys/vm/memory_failure_recovery ]; then
	check "the reason says the injection is not built" grep -q 'not built yet' out
else
	check "the reason names CONFIG_MEMORY_FAILURE" grep -q 'lacks CONFIG_MEMORY_FAILURE' out
fi
check "no guest booted" [ ! -e "$(readlink -f r/latest)/cases/hosthwpoison-virtio-pmem-ext4/console.log" ]
check "no QEMU left" no_qemu_left
done_testing
