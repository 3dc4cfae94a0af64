#!/usr/bin/env bash
# What `make run` runs: the -O2 binary build/bin/pmtorture (every other test
# runs the sanitizer build), with its default --accel auto and the shipped
# expunge file, on the quick plan.  --accel auto gives KVM --kvm-probe
# seconds to reach the agent; on these machines /dev/kvm is there but a KVM
# guest never gets that far (QEMU aborts or hangs in early boot), so the
# run must fall back to TCG, say so once, and still give the four PASS.
# So that the fallback is taken on every machine, a KVM that works included,
# QEMU is a stand-in (kvm_hangs_qemu.sh) whose KVM guest never starts: the
# real QEMU otherwise.  Where /dev/kvm cannot be opened at all, the run must
# say that once and take TCG without a probe.
. "$ROOT/tests/integration/lib.sh"
BIN="$ROOT/build/bin/pmtorture"

check "build/bin/pmtorture is the -O2 build, not the sanitizer one" \
	sh -c "[ -x '$BIN' ] && ! ldd '$BIN' | grep -q libasan"
# Through make itself, as a user types it (all and image are up to date:
# make check built them).  The last --plan wins over make run's --plan default.
start=$(date +%s)
make -s -C "$ROOT" run RUN_ARGS="--plan quick --kvm-probe 3 --jobs 2 --results $WORK/r --qemu $ROOT/tests/integration/kvm_hangs_qemu.sh" \
	>out 2>err; rc=$?
echo "# make run, quick plan: $(($(date +%s) - start)) s"
cat out err
check "make run exits 0" [ $rc -eq 0 ]
s=$(readlink -f "$WORK/r/latest")/summary.json
check "make run's own options: --accel auto (the default) and the expunge file" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["properties"]
assert p["plan"] == "quick" and "--accel" not in p["options"], p
assert p["expunge"].endswith("results/expected/known-failures.expunge"), p
' "$s"
for id in mapsync:virtio-pmem:ext4 mapsync:virtio-pmem:xfs mapsync:nvdimm:ext4 mapsync:nvdimm:xfs; do
	v=$(json_get "$s" "[c['verdict'] for c in j['cases'] if c['id']=='$id']")
	check "$id is PASS (got $v)" [ "$v" = "['PASS']" ]
done

# The KVM probe and the fallback: the stand-in's KVM guest never reaches
# the agent, so the run must say so once, with the reason, and be TCG.
accel=$(json_get "$s" 'j["properties"]["accel"]')
probe='KVM guest did not reach the agent within 3 s (.*); using TCG for the rest of this run'
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	n=$(grep -c "^pmtorture: $probe" err)
	check "the KVM probe timed out and said so once, with the reason ($n times)" [ "$n" -eq 1 ]
	check "the run fell back to TCG (accel $accel)" [ "$accel" = tcg ]
	first=$(json_get "$s" "[c['dir'] for c in j['cases'] if c['id']=='mapsync:virtio-pmem:ext4'][0]")
	check "the probe's console is kept (console-kvm-probe.log)" \
		[ -e "$(dirname "$s")/$first/console-kvm-probe.log" ]
else
	check "no usable /dev/kvm: said so once" [ "$(grep -c '^pmtorture: KVM is not usable here' err)" -eq 1 ]
	check "the run is TCG (accel $accel)" [ "$accel" = tcg ]
fi
check "every case ran under the accel the run recorded" \
	[ "$(json_get "$s" "sorted(set(c['details']['accel'] for c in j['cases']))")" = "['$accel']" ]
check "no QEMU left" no_qemu_left
done_testing
