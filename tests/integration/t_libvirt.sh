#!/usr/bin/env bash
# The libvirt backend against a real daemon that this test starts itself
# (libvirtd.sh): the mapsync matrix gives the same four PASS verdicts as the
# QEMU backend, a SIGKILLed harness leaves no domain behind (the domains are
# started with VIR_DOMAIN_START_AUTODESTROY), and once the daemon is stopped
# no QEMU is left.
. "$ROOT/tests/integration/lib.sh"

DAEMON="$ROOT/tests/integration/libvirtd.sh"
URI=qemu:///system
trap 'bash "$DAEMON" stop' EXIT

# Is a domain of a pmtorture run (any harness) there?
pmt_domains() { virsh -c "$URI" list --all --name 2>/dev/null | grep -q "^pmtorture-"; }
# The daemon answered, and listed no pmtorture domain: a virsh that cannot
# connect (a crashed daemon) is not "no domain".
no_domain_left() {
	local names
	names=$(virsh -c "$URI" list --all --name 2>/dev/null) || return 1
	! echo "$names" | grep -q "^pmtorture-"
}
# Poll for up to @1 tenths of a second until command @2... succeeds.
wait_for() {
	local n=$1
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# A daemon someone else runs is left alone by start and by stop; else the
# test starts its own, and stop must end it.  Which case this is decides
# what the stop checks below mean, so neither can pass for nothing.
STATE=/run/pmtorture-libvirtd.pids
if bash "$DAEMON" status; then theirs=1; else theirs=0; fi
echo "# a libvirt daemon already answered on $URI: $([ $theirs = 1 ] && echo yes || echo no)"
before=$(cat "$STATE" 2>/dev/null)
check "the daemon starts (libvirtd.sh start)" bash "$DAEMON" start
check "the daemon answers on $URI" bash "$DAEMON" status
started=$(awk '{print $2}' "$STATE" 2>/dev/null | tr '\n' ' ')
if [ $theirs = 0 ]; then
	check "libvirtd.sh recorded the two daemons it started (pids: $started)" \
		[ "$(echo $started | wc -w)" -eq 2 ]
else
	check "libvirtd.sh started no daemon beside the running one" [ "$(cat "$STATE" 2>/dev/null)" = "$before" ]
fi
check "no pmtorture domain before the run" no_domain_left

# In the background only to learn its pid, for the run folder check below.
"$PMTORTURE" run --backend libvirt --connect "$URI" --scenario mapsync --accel tcg \
	--results "$WORK/results" >out 2>err &
pid=$!
wait "$pid"; rc=$?
cat out err
check "run exits 0" [ $rc -eq 0 ]
run=$(readlink -f "$WORK/results/latest")
s="$run/summary.json"
check "four cases" [ "$(json_get "$s" 'len(j["cases"])')" = 4 ]
check_mapsync_pass "$s" mapsync:virtio-pmem:xfs mapsync:nvdimm:ext4
check "DAX was active on the virtio-pmem file" \
	[ "$(case_get "$s" mapsync:virtio-pmem:ext4 "['details']['mapsync']['file_dax']")" = True ]
check "the virtio-pmem region is on a virtio-pmem bus" \
	[ "$(case_get "$s" mapsync:virtio-pmem:ext4 "['details']['device']['provider']")" = virtio-pmem ]
check "the NVDIMM region reports a persistence domain" \
	[ "$(case_get "$s" mapsync:nvdimm:xfs "['details']['device']['persistence_domain']")" = memory_controller ]
for f in console.log dmesg.txt agent.log qmp.log qemu.log domain.xml case.json; do
	check "case folder has $f" [ -s "$run/cases/mapsync-virtio-pmem-ext4/$f" ]
done
check "the domain XML has the virtio-pmem device" grep -q 'virtio-pmem' "$run/cases/mapsync-virtio-pmem-ext4/domain.xml"
check "QMP went through libvirt (query-version answered)" grep -q '<- {"return":{"qemu"' "$run/cases/mapsync-nvdimm-ext4/qmp.log"
check "the table was printed" grep -q '^mapsync:nvdimm:xfs .*PASS' out
check "no pmtorture domain left after the run" no_domain_left
check "no run folder left" [ ! -e "${TMPDIR:-/tmp}/pmtorture-run.$pid" ]

# A harness killed with SIGKILL cannot clean up: libvirt must, when the
# harness's connection closes.
"$PMTORTURE" run --backend libvirt --connect "$URI" --scenario mapsync --accel tcg \
	--filter 'mapsync:virtio-pmem:ext4' --results "$WORK/killed" >/dev/null 2>&1 &
pid=$!
check "a domain is running during the run" wait_for 600 pmt_domains
kill -9 "$pid"
wait "$pid" 2>/dev/null
check "no domain left 10 s after SIGKILL of the harness" wait_for 100 no_domain_left
rm -rf "${TMPDIR:-/tmp}/pmtorture-run.$pid"	# the next run would sweep it; do it now

check "the daemon stops (libvirtd.sh stop)" bash "$DAEMON" stop
# None of PIDS alive; false for no pids at all (nothing was checked).
all_gone() {
	[ $# -gt 0 ] || return 1
	for p in "$@"; do ! kill -0 "$p" 2>/dev/null || return 1; done
}
if [ $theirs = 0 ]; then
	# shellcheck disable=SC2086
	check "no libvirt daemon started by the test is left (pids: $started)" all_gone $started
	check "nothing answers on $URI any more" sh -c "! bash '$DAEMON' status"
	check "the pid file is gone" [ ! -e "$STATE" ]
else
	check "the daemon someone else runs still answers on $URI" bash "$DAEMON" status
fi
# Only QEMUs that libvirt started for pmtorture (-name guest=pmtorture-...):
# other harnesses may run their own QEMU on this machine meanwhile.
check "no QEMU of a pmtorture domain left" sh -c "! pgrep -f '[q]emu-system.*guest=pmtorture-' >/dev/null"
done_testing
