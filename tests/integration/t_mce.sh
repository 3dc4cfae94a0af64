#!/usr/bin/env bash
# Host-injected machine checks (QMP "mce") on a DAX page, Intel CPU model:
#  - virtio-pmem ext4, SRAO and SRAR; nvdimm ext4, SRAR;
#  - no BROK (the fault fired: MEMORY_FAILURE seen, action inject), no panic;
#  - the holder's SIGBUS code per encoding, and the device difference:
#    the NVDIMM records a bad block and fails later reads with EIO,
#    virtio-pmem records none and its later reads fail with EFAULT.
. "$ROOT/tests/integration/lib.sh"
cd "$WORK" || exit 1

cat >mce.ini <<'EOF'
[global]
fs = ext4

[virtio-pmem]
scenario = mce
device = virtio-pmem
workload = srao, srar

[nvdimm]
scenario = mce
device = nvdimm
workload = srar
EOF
"$PMTORTURE" run --accel tcg --plan "$WORK/mce.ini" --results r >out 2>err; rc=$?
cat out
check "exit 0" [ $rc -eq 0 ]
s=$(readlink -f r/latest)/summary.json
check "three cases ran" [ "$(json_get "$s" "len(j['cases'])")" = 3 ]
check "no BROK" [ "$(json_get "$s" "sum(c['verdict'] == 'BROK' for c in j['cases'])")" = 0 ]
for id in mce:srao:virtio-pmem:ext4 mce:srar:virtio-pmem:ext4 mce:srar:nvdimm:ext4; do
	c="[c for c in j['cases'] if c['id'] == '$id'][0]"
	b="{r['path']: r['observed'] for r in $c['details']['behaviour']}"
	check "$id: PASS" [ "$(json_get "$s" "$c['verdict']")" = PASS ]
	check "$id: QEMU injected (MEMORY_FAILURE)" \
		[ "$(json_get "$s" "$c['details']['fault']['memory_failure']['action']")" = inject ]
	check "$id: no panic" [ "$(json_get "$s" "$b['guest']")" = ok ]
	case $id in
	*srar*) code=BUS_MCEERR_AR ;;
	*) code=BUS_MCEERR_AO ;;
	esac
	check "$id: holder got SIGBUS/$code" [ "$(json_get "$s" "$b['holder']")" = "signal=SIGBUS/$code" ]
	case $id in
	*nvdimm*) bb=recorded read=errno=EIO ;;
	*) bb=none read=errno=EFAULT ;;
	esac
	check "$id: bad block $bb" [ "$(json_get "$s" "$b['badblock']")" = "$bb" ]
	check "$id: later read() $read" [ "$(json_get "$s" "$b['read']")" = "$read" ]
done
check "SRAR was injected with the vCPU in user mode" \
	[ "$(json_get "$s" "min(c['details']['fault']['stops_until_cpl3'] for c in j['cases'] if ':srar:' in c['id'])")" -ge 1 ]
# Only this test's QEMUs (their console.log lies under $WORK): other runs may be going.
check "no QEMU left" eval "! pgrep -f '[q]emu-system.*$WORK/' >/dev/null"
done_testing
