#!/usr/bin/env bash
# Guests with several vCPUs: a plan's smp = and --smp.  Ids carry "/smpN"
# when N is not the scenario's default (1 for mapsync), whatever else the run
# holds; a guest booted with --smp 2 has two vCPUs (QEMU's -smp 2, which
# keys its snapshot) and records details.smp.
. "$ROOT/tests/integration/lib.sh"

cat >mixed.ini <<'INI'
[global]
device = virtio-pmem
fs = ext4
[one]
scenario = mapsync
[two]
scenario = mapsync
smp = 2
INI
"$PMTORTURE" list mixed.ini >list 2>&1
check "a mixed run: the default's id plain, /smp2 on the other" [ "$(cut -d' ' -f1 list | tr '\n' ' ')" = "mapsync:virtio-pmem:ext4 mapsync:virtio-pmem:ext4/smp2 " ]
"$PMTORTURE" list mixed.ini --smp 2 >list2 2>&1
check "--smp wins over the plan: both /smp2 (@section apart)" \
	[ "$(cut -d' ' -f1 list2 | tr '\n' ' ')" = "mapsync:virtio-pmem:ext4/smp2 mapsync:virtio-pmem:ext4@two/smp2 " ]
printf '[a]\nscenario = mapsync\nsmp = 0\n' >bad.ini
"$PMTORTURE" list bad.ini >/dev/null 2>err; rc=$?
check "smp = 0 is a plan error naming the line (exit 2)" [ $rc -eq 2 ]
check "one line" grep -q "bad.ini:3: expected smp=N with N from 1 to 64, got '0'" err
"$PMTORTURE" run --smp 0 >/dev/null 2>err; rc=$?
check "--smp 0: exit 2" [ $rc -eq 2 ]

"$PMTORTURE" run --accel tcg --scenario mapsync --device virtio-pmem --fs ext4 --smp 2 --results r >out 2>err; rc=$?
cat out
s=$(readlink -f r/latest)/summary.json
d=$(readlink -f r/latest)/$(json_get "$(readlink -f r/latest)/summary.json" "j['cases'][0]['dir']")
check "PASS with 2 vCPUs" [ $rc -eq 0 ]
check "details.smp = 2" [ "$(json_get "$s" "j['cases'][0]['details']['smp']")" = 2 ]
check "QEMU ran with -smp 2" grep -q "'-smp' '2'" "$d/qemu-cmdline.txt"
check "the id says /smp2 (not mapsync's default)" grep -q "^mapsync:virtio-pmem:ext4/smp2  *PASS" out
check "no QEMU left" no_qemu_left
done_testing
