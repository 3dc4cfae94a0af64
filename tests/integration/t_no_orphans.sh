#!/usr/bin/env bash
# No QEMU outlives the harness: not after SIGKILL of pmtorture (workers and
# QEMUs have PR_SET_PDEATHSIG), not after SIGTERM (the handler kills the
# process groups and removes the run folder).  Each time two guests run side
# by side (--jobs 2, one worker each), and every QEMU of the run is counted.
#
# Then SIGTERM and SIGINT in a power-cut case, at --jobs 1 and 2, in the
# workload phase and in the checker phase (each pair of signal, jobs and
# phase once): the harness dies of the signal, no QEMU is left, the run
# folder (checker.img, point.img, shim/) is gone, and summary.json,
# junit.xml, results.tap and report.html say the run was interrupted and
# list every unfinished case as not run, the finished ones with a verdict.
. "$ROOT/tests/integration/lib.sh"

# qemus PID: the pids of every QEMU that harness PID started (its run folder
# pmtorture-run.PID/ is in their command lines).
qemus() { pgrep -f "[q]emu-system.*pmtorture-run\.$1/" | tr '\n' ' '; }
# wait_for_qemus PID N: print the QEMU pids of harness PID once N run (120 s at most).
wait_for_qemus() {
	local q
	for _ in $(seq 1200); do
		q=$(qemus "$1")
		[ "$(echo $q | wc -w)" -ge "$2" ] && break
		sleep 0.1
	done
	echo $q
}
# all_gone_within SECONDS PID...: every PID ends in time; false for no PID.
all_gone_within() {
	local s=$1 p alive
	shift
	[ $# -gt 0 ] || return 1
	for _ in $(seq $((s * 10))); do
		alive=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

stale=""
# TERM first: any run sweeps stale folders, so the SIGKILLed one must be the
# last before the run that is to sweep it.
for sig in TERM KILL; do
	"$PMTORTURE" run --accel tcg --plan quick --jobs 2 --results r >/dev/null 2>&1 &
	h=$!
	q=$(wait_for_qemus $h 2)
	check "SIG$sig: two guests side by side (QEMU pids: ${q:-none})" [ "$(echo $q | wc -w)" -eq 2 ]
	kill -$sig $h
	wait $h 2>/dev/null
	# shellcheck disable=SC2086
	check "SIG$sig: every QEMU of the run ($q) is gone within 5 s" all_gone_within 5 $q
	left=$(qemus $h)
	check "SIG$sig: no QEMU of the run at all (left: ${left:-none})" [ -z "$left" ]
	if [ $sig = TERM ]; then
		check "SIGTERM: run folder removed" [ ! -e "${TMPDIR:-/tmp}/pmtorture-run.$h" ]
	else
		stale="${TMPDIR:-/tmp}/pmtorture-run.$h"
		check "SIGKILL: the harness could not remove its run folder ($stale)" [ -d "$stale" ]
	fi
done
# The folder a SIGKILLed harness could not remove is swept by the next run.
check "before the next run: the stale folder is there (${stale:-none})" sh -c '[ -n "$1" ] && [ -d "$1" ]' _ "$stale"
"$PMTORTURE" run --accel tcg --filter 'mapsync:virtio-pmem:ext4' --boot-timeout 1 \
	--results r >/dev/null 2>&1
check "the next run swept the SIGKILLed run's folder" [ ! -e "$stale" ]
check "no QEMU left" no_qemu_left

# reports_interrupted DIR SIG IDS NOT_RUN: the reports in DIR say SIG
# interrupted the run; NOT_RUN (ids, space-separated) are listed as not run
# and nowhere with a verdict; every other id of IDS has a verdict.
reports_interrupted() {
	python3 - "$@" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
d, sig, ids, not_run = sys.argv[1], sys.argv[2], set(sys.argv[3].split()), set(sys.argv[4].split())
why = "not run: interrupted by " + sig
def need(ok, what):
    if not ok:
        print("    " + what, file=sys.stderr)
        sys.exit(1)
for f in ("summary.json", "junit.xml", "results.tap", "report.html"):
    need(os.path.exists(d + "/" + f), "%s: no %s" % (d, f))
j = json.load(open(d + "/summary.json"))
ran = [c["id"] for c in j["cases"]]
nr = [c["id"] for c in j.get("not_run", [])]
need(j.get("interrupted", {}).get("signal") == sig, "summary.json: interrupted %r" % j.get("interrupted"))
need(set(nr) == not_run and len(nr) == len(not_run), "summary.json: not_run %s, want %s" % (nr, sorted(not_run)))
need(set(ran) == ids - not_run and len(ran) == len(set(ran)), "summary.json: cases %s" % ran)
need(all("verdict" not in c and c["reason"] == why for c in j["not_run"]), "summary.json: a not-run entry with a verdict")
need(j["interrupted"]["finished"] == len(ran) and j["interrupted"]["not_run"] == len(nr), "summary.json: counts %r" % j["interrupted"])
t = ET.parse(d + "/junit.xml").getroot().find("testsuite")
need(int(t.get("tests")) == len(ids), "junit.xml: tests=%s" % t.get("tests"))
skipped = {c.get("name") for c in t.findall("testcase") if c.find("skipped") is not None and c.find("skipped").get("message") == why}
need(skipped == not_run, "junit.xml: skipped %s" % sorted(skipped))
need(any(p.get("name") == "interrupted" and p.get("value") == sig for p in t.iter("property")), "junit.xml: no interrupted property")
tap = open(d + "/results.tap").read()
need("Bail out! interrupted by " + sig in tap and all(("- %s # SKIP %s" % (i, why)) in tap for i in not_run), "results.tap:\n" + tap)
html = open(d + "/report.html").read()
need("Interrupted by " + sig in html and all(i + " &mdash; " + why in html for i in not_run), "report.html: not marked")
PY
}

# marker FILE PATTERN COUNT: FILE holds PATTERN on COUNT lines or more (60 s at most).
marker() {
	local f n
	for _ in $(seq 600); do
		for f in $1; do
			n=$(grep -c "$2" "$f" 2>/dev/null)
			[ "${n:-0}" -ge "$3" ] && return 0
		done
		sleep 0.1
	done
	return 1
}

pc=powercut:append_fsync:virtio-pmem
# interrupt SIG JOBS PHASE FS WORKLOADS NOT_RUN: a power-cut run signalled in PHASE.
interrupt() {
	local sig=$1 jobs=$2 phase=$3 fs=$4 wl=$5 not_run=$6 res="pc-$1-$2-$3" h q rc ids at left what t0 took
	local stop="" ops=20
	# The longest workload there is (64 ops, about 1.5 s under TCG) to cut.
	[ "$phase" = workload ] && ops=64
	"$PMTORTURE" run --accel tcg --jobs "$jobs" --scenario powercut --fs "$fs" --workload "$wl" \
		--ops $ops --results "$res" >"$res.out" 2>"$res.err" &
	h=$!
	ids=$(for w in ${wl//,/ }; do for f in ${fs//,/ }; do echo -n "powercut:$w:virtio-pmem:$f "; done; done)
	if [ "$phase" = workload ]; then
		# The workload has been sent to a guest: the case's harness
		# process (a worker at --jobs 2) is frozen in its wait for the
		# workload, so the signal cannot miss that phase.
		at="$res/*/cases/*/agent.log"
		marker "$at" '"cmd":"run"' 1
		stop=$h
		[ "$jobs" -gt 1 ] && stop=$(pgrep -P $h | tr '\n' ' ')
		# shellcheck disable=SC2086
		kill -STOP $stop
	else
		# The checker guest has answered more than its setup: it walks states.
		at="$res/*/cases/${7:-*}/checker/agent.log"
		marker "$at" ' <- ' 6
	fi
	q=$(qemus $h)
	t0=$(date +%s)
	kill -"$sig" $h
	# shellcheck disable=SC2086
	[ -n "$stop" ] && kill -CONT $stop
	wait $h
	rc=$?
	took=$(($(date +%s) - t0))
	what="SIG$sig --jobs $jobs, $phase phase"
	check "$what: a guest was running (QEMU pids: ${q:-none})" [ -n "$q" ]
	if [ "$phase" = workload ]; then
		check "$what: no checker guest had started" sh -c '! ls -d $1 >/dev/null 2>&1' _ "$res/*/cases/*/checker"
	else
		check "$what: the checker guest was walking states ($at)" marker "$at" ' <- ' 6
	fi
	check "$what: the harness died of the signal (exit $rc)" [ $rc -eq $((128 + $(kill -l "$sig"))) ]
	# No wait of the case may outlive its guest (agent, QMP, a worker).
	check "$what: the harness ended within 20 s (took $took s)" [ "$took" -le 20 ]
	# shellcheck disable=SC2086
	check "$what: every QEMU of the run ($q) is gone within 5 s" all_gone_within 5 $q
	left=$(qemus $h)
	check "$what: no QEMU of the run at all (left: ${left:-none})" [ -z "$left" ]
	left=$(cd "${TMPDIR:-/tmp}" 2>/dev/null && find "pmtorture-run.$h" 2>/dev/null | head -5 | tr '\n' ' ')
	check "$what: run folder removed (left: ${left:-nothing})" [ ! -e "${TMPDIR:-/tmp}/pmtorture-run.$h" ]
	check "$what: says so on stderr" grep -q "^pmtorture: interrupted by SIG$sig: .* not run; reports in" "$res.err"
	check "$what: summary.json, junit.xml, results.tap, report.html marked interrupted, not run: $not_run" \
		reports_interrupted "$(echo "$res"/2*)" "SIG$sig" "$ids" "$not_run"
}

# --jobs 1: cut in the first case's workload, both cases not run; cut while
# the second case's checker walks its states, the first keeps its verdict.
interrupt TERM 1 workload ext4,xfs append_fsync "$pc:ext4 $pc:xfs"
interrupt INT 1 checker ext4,xfs append_fsync "$pc:xfs" powercut-append_fsync-virtio-pmem-xfs
# --jobs 2: two cases side by side, the two after them never start.
w2=append_fsync,overwrite_fdatasync
pc2=powercut:overwrite_fdatasync:virtio-pmem
interrupt TERM 2 checker ext4,xfs $w2 "$pc:ext4 $pc:xfs $pc2:ext4 $pc2:xfs"
interrupt INT 2 workload ext4,xfs $w2 "$pc:ext4 $pc:xfs $pc2:ext4 $pc2:xfs"
check "no QEMU left" no_qemu_left
done_testing
