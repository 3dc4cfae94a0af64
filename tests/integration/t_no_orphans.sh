#!/usr/bin/env bash
# No QEMU outlives the harness: not after SIGKILL of pmtorture (workers and
# QEMUs have PR_SET_PDEATHSIG), not after SIGTERM (the handler kills the
# process groups and removes the run folder).  Each time two guests run side
# by side (--jobs 2, one worker each), and every QEMU of the run is counted.
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
done_testing
