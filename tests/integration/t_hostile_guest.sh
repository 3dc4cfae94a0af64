#!/usr/bin/env bash
# The guest is untrusted (issue 8).  A stand-in QEMU (hostile_qemu.py, given
# as --qemu) speaks the real QMP and agent protocols and sends escapes,
# invalid UTF-8, floods, oversized and malformed messages, wrong ids,
# crafted MCE addresses, or hangs.  Nothing boots.  Every run must end with
# a readable table, a valid junit.xml and summary.json, bounded files, BROK
# where the guest misbehaved, and no process left behind.
. "$ROOT/tests/integration/lib.sh"
stand_in="$ROOT/tests/integration/hostile_qemu.py"
xsd="$ROOT/tests/integration/junit.xsd"
# Per-transcript cap the harness promises (harness/vm/chan.h), plus slack.
max_file=$((2 * 1024 * 1024))
# The cap itself: console.log must keep under it while the guest runs, not
# only once the case is over (harness/vm/console.h).
cap=$((1024 * 1024))

# No raw control character (other than newline) and valid UTF-8.
readable() {
	python3 - "$1" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
t = b.decode("utf-8")          # raises on invalid UTF-8
bad = [c for c in t if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
sys.exit(1 if bad else 0)
EOF
}
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$1"; }
junit_ok() { xmllint --noout --schema "$xsd" "$1" 2>/dev/null; }
bounded() { ! find "$1" -type f -size +"$((max_file / 1024))"k | grep -q .; }
# peak_console DIR PID: the largest console*.log under DIR while PID runs,
# sampled every 10 ms.
peak_console() {
	python3 - "$1" "$2" <<'EOF'
import os, sys, time
root, pid, peak = sys.argv[1], sys.argv[2], 0
def running():
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
while running():
    for d, _, files in os.walk(root):
        for f in files:
            if f.startswith("console") and f.endswith(".log"):
                try:
                    peak = max(peak, os.stat(os.path.join(d, f)).st_size)
                except OSError:
                    pass
    time.sleep(0.01)
print(peak)
EOF
}
no_stand_in_left() { ! pgrep -f '[h]ostile_qemu.py' >/dev/null 2>&1; }

# hostile MODE LABEL RC [pmtorture args...]: one run against the stand-in.
hostile() {
	local mode=$1 label=$2 want=$3
	shift 3
	local start pid
	start=$(date +%s)
	HOSTILE_MODE=$mode HOSTILE_LOG="$WORK/$label.hmp" "$PMTORTURE" run --qemu "$stand_in" --no-snapshot \
		--accel tcg --boot-timeout 20 --cmd-timeout 3 --shutdown-timeout 3 \
		--results "$WORK/$label" "$@" >"$label.out" 2>"$label.err" &
	pid=$!
	# The largest console.log seen while the run goes on.
	peak=$(peak_console "$WORK/$label" $pid)
	wait $pid
	rc=$?
	took=$(($(date +%s) - start))
	dir=$(readlink -f "$WORK/$label/latest")
	check "$label: exit $want" [ $rc -eq "$want" ]
	check "$label: the table is readable (no raw controls, valid UTF-8)" readable "$label.out"
	check "$label: stderr is readable" readable "$label.err"
	check "$label: summary.json is valid JSON" json_ok "$dir/summary.json"
	check "$label: junit.xml is valid against the schema" junit_ok "$dir/junit.xml"
	check "$label: every file is bounded" bounded "$WORK/$label"
	check "$label: console.log within the cap during the run (peak $peak bytes)" [ "$peak" -le $cap ]
	check "$label: no stand-in QEMU left" no_stand_in_left
}

hostile escapes escapes 1 --filter 'mapsync:virtio-pmem:ext4'
check "escapes: BROK in mkfs" grep -q 'BROK.*mkfs' escapes.out
check "escapes: one table line for the case" [ "$(grep -c '^mapsync:' escapes.out)" -eq 1 ]
check "escapes: no fake count line" sh -c "! grep -q '^PASS 40' escapes.out"

hostile garbage garbage 0 --filter 'mapsync:virtio-pmem:ext4'
check "garbage: the real replies were found among the garbage (PASS)" grep -q '^mapsync.*PASS' garbage.out

hostile flood flood 1 --filter 'mapsync:virtio-pmem:ext4'
check "flood: BROK naming the flood" grep -qi 'BROK.*flood' flood.out
check "flood: agent.log cut with a marker" grep -rq 'transcript cut' "$WORK/flood"
check "flood: found out fast (${took}s < 20s)" [ "$took" -lt 20 ]

# The serial console, which QEMU writes (not a channel the harness reads):
# chatty below the hard limit is cut with a marker while the guest runs and
# the case goes on; a flood in the middle of a case is BROK naming it, and
# found out at the hard limit, not at the end of the case.
HOSTILE_CONSOLE_MB=8 HOSTILE_CONSOLE_AT=run hostile polite conchat 0 \
	--filter 'mapsync:virtio-pmem:ext4'
check "conchat: PASS (chatty is not a flood)" grep -q '^mapsync.*PASS' conchat.out
check "conchat: console.log cut with a marker" \
	grep -rq --include=console.log 'transcript cut' "$WORK/conchat"
HOSTILE_CONSOLE_MB=200 HOSTILE_CONSOLE_AT=run hostile polite conflood 1 \
	--filter 'mapsync:virtio-pmem:ext4' --cmd-timeout 60
check "conflood: BROK naming the console flood" grep -qi 'BROK.*flooded the serial console' conflood.out
check "conflood: console.log cut with a marker" \
	grep -rq --include=console.log 'transcript cut' "$WORK/conflood"
check "conflood: found out at the limit, not at the command timeout (${took}s < 30s)" [ "$took" -lt 30 ]
HOSTILE_CONSOLE_MB=100 hostile polite conboot 1 --filter 'mapsync:virtio-pmem:ext4'
check "conboot: BROK in boot naming the console flood" \
	grep -qi 'BROK.*boot:.*flooded the serial console' conboot.out

# A crafted address: extra HMP arguments, outside the region, not a number.
n=0
for gpa in '0x100001000 0xdead 0xbeef 0x1' '0x1000' '0x' '0xffffffffffffffffff' \
	   '0x100001000;quit'; do
	label=mce$((++n))
	HOSTILE_GPA=$gpa hostile mce "$label" 1 --scenario mce --filter 'mce:srao:virtio-pmem:ext4'
	# The mce injector checks the guest's number before it fires (injectors/mce.c).
	check "$label ($gpa): BROK, the fault refused before it fired" \
		grep -q 'BROK.*fire: mce: fault did not fire: the .*address' "$label.out"
	check "$label ($gpa): no mce command reached QEMU" sh -c "! grep -q '^mce' $WORK/$label.hmp 2>/dev/null"
done
# A valid address inside the region: the command is formatted from numbers.
HOSTILE_GPA=0x100001000 HOSTILE_MODE=mce HOSTILE_LOG="$WORK/mceok.hmp" "$PMTORTURE" run \
	--qemu "$stand_in" --no-snapshot --accel tcg --cmd-timeout 3 --scenario mce \
	--filter 'mce:srao:virtio-pmem:ext4' --results "$WORK/mceok" >mceok.out 2>mceok.err
check "mce in range: one mce command, numbers only" \
	grep -Eqx 'mce 0 1 0x[0-9a-f]+ 0x[0-9a-f]+ 0x100001000 0x[0-9a-f]+' "$WORK/mceok.hmp"

hostile hang hang 1 --filter 'mapsync:virtio-pmem:ext4'
check "hang: BROK naming the workload phase" grep -q 'BROK.*workload' hang.out
# cmd-timeout (3 s), then the hang evidence waits for the console to answer
# sysrq (harness/case/hang.c: SYSRQ_FIRST_MS, 6 s, for a console that stays
# silent, as this stand-in's does), then a few seconds.
check "hang: BROK within cmd-timeout + the silent-console wait + a few seconds (${took}s <= 14s)" [ "$took" -le 14 ]
done_testing
