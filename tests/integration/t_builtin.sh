#!/usr/bin/env bash
# A real guest kernel with the pmem drivers built in (make builtin, or make
# check NIGHTLY=1): tests/builtin/build-builtin-kernel.sh builds it once
# from Debian's linux-source (virtio_pmem, nd_pmem, nfit =y; cached under
# build/builtin-kernel/).  A built-in driver probes the device at boot, so
# no snapshot can leave it out and a restored guest's driver would have seen
# another backing file: the harness boots those guests cold and says why
# once per device kind (harness/case/runner.c).  mapsync on both devices
# and both filesystems must give the verdicts of Debian's modular kernel
# (virtio-pmem refuses MAP_SYNC, the NVDIMM accepts it), every guest cold;
# a power cut, the same verdict and broken-state kinds as Debian's kernel.
# Needs Debian's apt (linux-source) and the kernel build tools: SKIP without.
. "$ROOT/tests/integration/lib.sh"

if [ "${NIGHTLY:-0}" != 1 ]; then
	skip "the built-in driver kernel runs only with make check NIGHTLY=1 (or make builtin)"
fi
"$ROOT/tests/builtin/build-builtin-kernel.sh" >paths 2>build.err ||
	skip "cannot build the built-in driver kernel: $(tail -n 1 build.err)"
cat paths
kernel=$(awk '$1 == "kernel" { print $2 }' paths)
mods=$(awk '$1 == "modules" { print $2 }' paths)
for m in virtio_pmem nd_pmem nfit; do
	check "modules.builtin names $m" grep -q "/$m\.ko\$" "$mods/modules.builtin"
done

"$PMTORTURE" run --accel tcg --kernel "$kernel" --modules "$mods" --scenario mapsync \
	--results "$WORK/results" >out 2>err; rc=$?
cat out err | cut -c1-300
check "run exits 0" [ $rc -eq 0 ]
s=$(readlink -f "$WORK/results/latest")/summary.json
check_mapsync_pass "$s" mapsync:virtio-pmem:ext4 mapsync:nvdimm:xfs
check "the guests ran the built-in kernel" [ "$(json_get "$s" "j['cases'][0]['details']['guest_kernel']")" = "$(basename "$mods")" ]
for kind in virtio-pmem:virtio_pmem nvdimm:nfit; do
	n=$(grep -c "has ${kind#*:} built in: its ${kind%:*} guests boot cold" err)
	check "the boots-cold line once for ${kind%:*} (got $n)" [ "$n" = 1 ]
done
check "every guest booted cold" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
kinds = [(c["id"], n, g["kind"]) for c in j["cases"] for n, g in c["details"]["boot"].items()]
assert kinds and all(k == "cold" for _, _, k in kinds), kinds
' "$s"

# A power cut, its checker guests too: the same verdict and the same kinds
# of broken state as Debian's modular kernel of the same source, whose
# guests run restored from snapshots.
pc="--accel tcg --scenario powercut --workload append_fsync --fs ext4 --device virtio-pmem"
"$PMTORTURE" run $pc --kernel "$kernel" --modules "$mods" --results "$WORK/pc-b" >pc-b.out 2>pc-b.err
"$PMTORTURE" run $pc --results "$WORK/pc-d" >pc-d.out 2>pc-d.err
grep -A2 '^CASE' pc-b.out pc-d.out | cut -c1-300
b=$(readlink -f "$WORK/pc-b/latest")/summary.json
d=$(readlink -f "$WORK/pc-d/latest")/summary.json
# verdict, kinds of broken state, whether states were checked, boot kinds
pcsum() { json_get "$1" "(lambda c: ' '.join([c['verdict'], ','.join(sorted(c['details'].get('broken', {}).get('kinds', {}))) or '-', str(c['details'].get('states', 0) > 0), ','.join(sorted(set(g['kind'].split(' (')[0].split(',')[0] for g in c['details']['boot'].values())))]))(j['cases'][0])"; }
sb=$(pcsum "$b") sd=$(pcsum "$d")
echo "# built in: $sb; Debian: $sd"
check "powercut: states checked, a verdict not BROK" grep -qE '^(PASS|FAIL) [^ ]+ True ' <<<"$sb"
check "powercut: same verdict and broken kinds as Debian's kernel" [ "${sb% *}" = "${sd% *}" ]
check "powercut: every guest cold on the built-in kernel" [ "${sb##* }" = cold ]
check "powercut: Debian's guests restored" [ "${sd##* }" = restored ]
check "no QEMU left" no_qemu_left
done_testing
