#!/usr/bin/env bash
# Planted bugs in the guest's virtio-pmem driver (make check NIGHTLY=1):
# tests/planted/build-planted.sh rebuilds nd_virtio.ko and virtio_pmem.ko
# from the guest kernel's own Debian source with one upstream fix reverted
# per tree, and each tree runs, through --kernel/--modules, the device
# scenario that reaches its path.  Each planted tree must be FAIL with the
# evidence (the stuck flusher's stack, the device status); the unpatched
# rebuild must give no FAIL on the same cases.  Needs Debian's apt (the
# headers and source packages of the guest kernel's version): SKIP without.
. "$ROOT/tests/integration/lib.sh"

if [ "${NIGHTLY:-0}" != 1 ]; then
	skip "the planted driver bugs run only with make check NIGHTLY=1"
fi
"$ROOT/tests/planted/build-planted.sh" clean nostatus noserialize >trees 2>build.err ||
	skip "cannot build the planted module trees: $(tail -n 1 build.err)"
cat trees
tree() { awk -v n="$1" '$1 == n { print $2 }' trees; }

# The storm that fills the device: 160 threads flushing /dev/pmem0 at once
# while the host holds its first fsync (the 'flushstorm-deep' plan section).
DEEP="--param threads=160 --param kinds=raw --param rounds=2 --param burst=2 --param hang_s=30"
# run NAME OUT SCENARIO FILTER [ARGS...]: one case; its summary's first case.
run() {
	local name=$1 out=$2 scen=$3 filter=$4

	shift 4
	"$PMTORTURE" run --accel tcg --kernel "$ROOT/build/kernel/vmlinux" --modules "$(tree "$name")" \
		--scenario "$scen" --device virtio-pmem --fs ext4 --filter "$filter" \
		--results "$out" "$@" >"$out.out" 2>&1
	tail -n 12 "$out.out" | cut -c1-600
}
verdict() { json_get "$(readlink -f "$1"/latest)/summary.json" "j['cases'][0]['verdict']"; }
reason() { json_get "$(readlink -f "$1"/latest)/summary.json" "j['cases'][0]['reason']"; }

run clean c-reset devreset 'devreset:virtio-pmem:ext4'
run clean c-deep flushstorm 'flushstorm:held:virtio-pmem:ext4' $DEEP
check "clean rebuild: devreset PASS" [ "$(verdict c-reset)" = PASS ]
check "clean rebuild: deep storm PASS" [ "$(verdict c-deep)" = PASS ]
check "clean rebuild: one request at a time" grep -q 'deepest queue 1;' <(reason c-deep)

# No status check: the flush after NEEDS_RESET is queued on a device QEMU
# ignores and waits forever.
run nostatus s-reset devreset 'devreset:virtio-pmem:ext4'
check "nostatus: devreset FAIL" [ "$(verdict s-reset)" = FAIL ]
check "nostatus: a hang, with the flusher's stack" grep -q 'hang: .*in virtio_pmem_flush' <(reason s-reset)
check "nostatus: with the device status" grep -q 'NEEDS_RESET' <(reason s-reset)

# Not serialized: requests from many CPUs at once; QEMU 7.2 marks the
# device NEEDS_RESET under them and the requests in flight never come back.
run noserialize n-deep flushstorm 'flushstorm:held:virtio-pmem:ext4' $DEEP
check "noserialize: deep storm FAIL" [ "$(verdict n-deep)" = FAIL ]
check "noserialize: a hang in virtio_pmem_flush" grep -q 'hang: .*in virtio_pmem_flush' <(reason n-deep)
check "noserialize: more than one request at once" \
	grep -qE 'at most ([2-9]|[1-9][0-9]+) at once' <(reason n-deep)
check "no QEMU left" no_qemu_left
done_testing
