#!/usr/bin/env bash
# No QEMU outlives the harness: not after SIGKILL of pmtorture (the child
# has PR_SET_PDEATHSIG), not after SIGTERM (the handler kills the process
# group and removes the run folder).
. "$ROOT/tests/integration/lib.sh"

# wait_for_qemu PID: the pid of the QEMU that harness PID started, within 60 s.
wait_for_qemu() {
	local i q
	for i in $(seq 600); do
		q=$(pgrep -f "qemu-system.*pmtorture-run\.$1/" | head -n1)
		[ -n "$q" ] && { echo "$q"; return 0; }
		sleep 0.1
	done
	return 1
}
gone_within() {	# gone_within SECONDS PID
	local i
	for i in $(seq $(($1 * 10))); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

for sig in KILL TERM; do
	"$PMTORTURE" run --accel tcg --filter 'mapsync:virtio-pmem:ext4' --results r >/dev/null 2>&1 &
	h=$!
	q=$(wait_for_qemu $h)
	check "SIG$sig: QEMU started (pid ${q:-none})" [ -n "$q" ]
	kill -$sig $h
	wait $h 2>/dev/null
	check "SIG$sig: QEMU $q is gone within 5 s" gone_within 5 "${q:-0}"
	if [ $sig = TERM ]; then
		check "SIGTERM: run folder removed" [ ! -e "${TMPDIR:-/tmp}/pmtorture-run.$h" ]
	else
		stale="${TMPDIR:-/tmp}/pmtorture-run.$h"
	fi
done
# The folder a SIGKILLed harness could not remove is swept by the next run.
"$PMTORTURE" run --accel tcg --filter 'mapsync:virtio-pmem:ext4' --boot-timeout 1 \
	--results r >/dev/null 2>&1
check "the SIGKILLed run's folder was swept" [ ! -e "$stale" ]
check "no QEMU left" no_qemu_left
done_testing
