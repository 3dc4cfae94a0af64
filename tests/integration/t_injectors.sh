#!/usr/bin/env bash
# The injector abstraction end to end, with the dmflakey injector (the one
# README "Adding an injector" walks through): a parameter given on the
# command line or in a plan reaches the guest, each variant's verdict
# comes from what the guest saw, and a bad parameter is one line naming
# where it was written.
. "$ROOT/tests/integration/lib.sh"

# 1. --param: pages=3 puts three pages (24 sectors) on the flaky range.
"$PMTORTURE" run --scenario dmflakey --device virtio-pmem --fs ext4 --param pages=3 \
	--accel tcg --results "$WORK/r1" >out1 2>err1; rc=$?
cat out1 err1
s=$(readlink -f "$WORK/r1/latest")/summary.json
check "dmflakey run exits 0" [ $rc -eq 0 ]
for v in error_writes drop_writes; do
	id="dmflakey:$v:virtio-pmem:ext4"
	check "$id is PASS" [ "$(json_get "$s" "[c['verdict'] for c in j['cases'] if c['id']=='$id'][0]")" = PASS ]
	check "$id: --param pages=3 reached the guest (24 flaky sectors)" \
		[ "$(json_get "$s" "[c for c in j['cases'] if c['id']=='$id'][0]['details']['fault']['dm']['sectors']")" = 24 ]
	check "$id: the fault fired (details.fault.fired)" \
		[ "$(json_get "$s" "[c for c in j['cases'] if c['id']=='$id'][0]['details']['fault']['fired']")" = True ]
	check "$id: after the remount the pages hold the old data" \
		[ "$(json_get "$s" "[p for p in [c for c in j['cases'] if c['id']=='$id'][0]['details']['behaviour'] if p['path']=='reread'][0]['observed']")" = ok/bad-data ]
done
check "error_writes: the writer's fsync got EIO" \
	[ "$(json_get "$s" "[p for p in [c for c in j['cases'] if c['id']=='dmflakey:error_writes:virtio-pmem:ext4'][0]['details']['behaviour'] if p['path']=='write'][0]['observed']")" = errno=EIO ]
check "drop_writes: the writer's fsync said ok" \
	[ "$(json_get "$s" "[p for p in [c for c in j['cases'] if c['id']=='dmflakey:drop_writes:virtio-pmem:ext4'][0]['details']['behaviour'] if p['path']=='write'][0]['observed']")" = ok ]

# 2. A plan's param.pages reaches the guest, and wins over --param.
cat >"$WORK/flaky.ini" <<'INI'
[flaky]
scenario = dmflakey
injector = dmflakey
device = virtio-pmem
fs = xfs
workload = error_writes
param.pages = 2
INI
"$PMTORTURE" run --plan "$WORK/flaky.ini" --param pages=5 --accel tcg --results "$WORK/r2" >out2 2>err2; rc=$?
cat out2 err2
s=$(readlink -f "$WORK/r2/latest")/summary.json
check "plan run exits 0" [ $rc -eq 0 ]
check "param.pages = 2 reached the guest (16 sectors), over --param pages=5" \
	[ "$(json_get "$s" "j['cases'][0]['details']['fault']['dm']['sectors']")" = 16 ]

# 3. Bad parameters: one line naming the file and line, rc 2, nothing boots.
printf '[f]\nscenario = flusheio\nparam.threads = 256x\n' >"$WORK/bad1.ini"
printf '[f]\nscenario = flusheio\n\nparam.thread = 3\n' >"$WORK/bad2.ini"
"$PMTORTURE" run --plan "$WORK/bad1.ini" --results "$WORK/r3" >/dev/null 2>e1; rc1=$?
"$PMTORTURE" run --plan "$WORK/bad2.ini" --results "$WORK/r3" >/dev/null 2>e2; rc2=$?
"$PMTORTURE" run --scenario mapsync --param threads=3 --results "$WORK/r3" >/dev/null 2>e3; rc3=$?
cat e1 e2 e3
check "wrong type: rc 2, one line with file:line" sh -c "[ $rc1 -eq 2 ] && grep -q 'bad1.ini:3: param.threads = 256x: expected a whole number' e1" 
check "wrong type: one line" one_line_error e1
check "unknown name: rc 2, one line with file:line and the known names" \
	sh -c "[ $rc2 -eq 2 ] && grep -q 'bad2.ini:4: param.thread: the injector flusheio has no parameter \"thread\" (it has: delay_ms, threads, rounds)' e2"
check "unknown name: one line" one_line_error e2
check "--param no selected injector has: rc 2, naming it" sh -c "[ $rc3 -eq 2 ] && grep -q 'no selected case' e3"
check "--param no selected injector has: one line" one_line_error e3
check "nothing booted for a bad parameter" [ ! -e "$WORK/r3" ]
check "no QEMU left" no_qemu_left
done_testing
