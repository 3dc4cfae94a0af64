#!/usr/bin/env bash
# The vmevent injector (issue 18 item 5), each variant firing once, short,
# on the shipped guest kernel (Debian 6.1) and QEMU 7.2:
#  - migrate (virtio-pmem, ext4): live migration to a second QEMU; the
#    destination's virtio-pmem starts reset (no migration state), so the
#    first fsync after it never returns: FAIL through the hang verdict,
#    naming virtio_pmem_flush and the destination's status "0 (reset)";
#    the case went on on the second QEMU (its logs beside the first's);
#  - migrate (nvdimm, ext4): the control: PASS, every fsync after it 0;
#  - snapshot (virtio-pmem, xfs): stop, save to a file, quit, restore: the
#    same device loss, FAIL with the hang;
#  - suspend (virtio-pmem, ext4): S3 and system_wakeup; the guest resets
#    in its resume path under TCG: FAIL naming QMP's guest-reset;
#  - unplug (virtio-pmem, ext4): QEMU 7.2 refuses device_del of a memory
#    device: SKIP quoting QEMU, the writers went on.
# None is BROK, and no QEMU is left.
. "$ROOT/tests/integration/lib.sh"

run() { "$PMTORTURE" run --accel tcg --scenario vmevent --param hang_s=15 "$@"; }
run --workload migrate --device virtio-pmem --fs ext4 --results r1 >out1 2>err1 &
p1=$!
run --workload migrate --device nvdimm --fs ext4 --results r2 >out2 2>err2; rc2=$?
wait $p1; rc1=$?
run --workload snapshot --device virtio-pmem --fs xfs --results r3 >out3 2>err3 &
p3=$!
run --workload suspend,unplug --device virtio-pmem --fs ext4 --results r4 >out4 2>err4; rc4=$?
wait $p3; rc3=$?
cat out1 out2 out3 out4
s() { echo "$(readlink -f r$1/latest)/summary.json"; }
get() { json_get "$(s $1)" "j['cases'][${3:-0}]$2"; }
case_dir() { echo "$(readlink -f r$1/latest)/cases/$2"; }

check "migrate virtio-pmem: FAIL (got $(get 1 "['verdict']"): $(get 1 "['reason']"))" \
	[ $rc1 -eq 1 -a "$(get 1 "['verdict']")" = FAIL ]
check "migrate virtio-pmem: a task blocked in virtio_pmem_flush, after the live migration" \
	grep -qE 'vmevent:migrate:virtio-pmem:ext4 +FAIL .*after the live migration, hang: .*in virtio_pmem_flush' out1
check "migrate virtio-pmem: the destination's device status is reset" \
	grep -qE 'vmevent:migrate:virtio-pmem:ext4 +FAIL .*device status: 0 \(reset\)' out1
check "migrate virtio-pmem: the event fired (live migration time recorded)" \
	[ "$(json_get "$(s 1)" "int(j['cases'][0]['details']['fault']['ms'] > 0)")" = 1 ]
check "migrate virtio-pmem: the first QEMU's logs kept, the second's beside them" \
	[ -s "$(case_dir 1 vmevent-migrate-virtio-pmem-ext4)/qmp.source.log" -a \
	  -s "$(case_dir 1 vmevent-migrate-virtio-pmem-ext4)/qmp.log" ]
check "migrate virtio-pmem: the second QEMU ran -incoming defer" \
	grep -q "'-incoming' 'defer'" "$(case_dir 1 vmevent-migrate-virtio-pmem-ext4)/qemu-cmdline.txt"
check "migrate nvdimm: PASS (got $(get 2 "['verdict']"): $(get 2 "['reason']"))" \
	[ $rc2 -eq 0 -a "$(get 2 "['verdict']")" = PASS ]
check "migrate nvdimm: fsyncs after the event, all 0" \
	[ "$(json_get "$(s 2)" "(lambda a: int(a['count'] > 0 and a['failed'] == 0))(j['cases'][0]['details']['vmevent']['after'])")" = 1 ]
check "snapshot virtio-pmem: FAIL by the hang after the restore (got $(get 3 "['reason']"))" \
	grep -qE 'vmevent:snapshot:virtio-pmem:xfs +FAIL .*after the snapshot and restore, hang: .*blocked.*device status: 0 \(reset\)' out3
check "suspend: FAIL, the guest reset in its resume path" \
	grep -qE 'vmevent:suspend:virtio-pmem:ext4 +FAIL .*did not resume after the suspend and wakeup: .*SHUTDOWN reason guest-reset' out4
check "suspend: QMP saw SUSPEND (the guest did enter S3)" \
	[ "$(json_get "$(s 4)" "[c for c in j['cases'] if 'suspend' in c['id']][0]['details']['fault']['suspend_ms'] > 0")" = True ]
check "unplug: SKIP quoting QEMU's refusal" \
	grep -qE "vmevent:unplug:virtio-pmem:ext4 +SKIP .*the unplug cannot happen here: .*virtio based memory devices cannot be unplugged" out4
check "unplug: the writers went on after the refused unplug" \
	[ "$(json_get "$(s 4)" "[c for c in j['cases'] if 'unplug' in c['id']][0]['details']['vmevent']['after']['count'] > 0")" = True ]
check "no BROK" [ -z "$(grep -h 'BROK [1-9]' out1 out2 out3 out4)" ]
check "no QEMU left" no_qemu_left
done_testing
