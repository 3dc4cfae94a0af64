# shellcheck shell=bash
# Helpers for the integration tests: each test is a t_*.sh file run by
# run.sh with PMTORTURE (the sanitizer build) and ROOT set.  A test prints
# TAP-style "ok"/"not ok" lines through these helpers and exits non-zero
# if any check failed.

set -u
: "${PMTORTURE:?}" "${ROOT:?}" "${WORK:?}"
_fails=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; _fails=$((_fails + 1)); }
check() {	# check "description" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
done_testing() { exit $((_fails > 0)); }
# skip "why": this machine lacks what the test needs.  run.sh counts exit 77
# as skipped, never as passed; checks that failed before it still fail.
skip() {
	echo "# SKIP $*"
	[ "$_fails" -gt 0 ] && exit 1
	exit 77
}

# json_get FILE EXPR: evaluate a python expression on the parsed JSON "j".
json_get() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# case_get FILE ID EXPR: json_get on the case with id ID in summary FILE,
# EXPR indexing into it: case_get "$s" mapsync:nvdimm:xfs "['verdict']".
case_get() { json_get "$1" "[c for c in j['cases'] if c['id']=='$2'][0]$3"; }

# check_verdicts FILE VERDICT ID...: each case ID in summary FILE has VERDICT.
check_verdicts() {
	local s=$1 want=$2 id v
	shift 2
	for id in "$@"; do
		v=$(case_get "$s" "$id" "['verdict']")
		check "$id is $want (got $v)" [ "$v" = "$want" ]
	done
}

# The four mapsync cases, and what they must show in summary FILE: each a
# PASS, resting on what the guest saw: MAP_SYNC refused with EOPNOTSUPP on
# virtio-pmem (case VIRTIO, ext4 or xfs) and accepted on the NVDIMM (NVDIMM).
MAPSYNC_IDS="mapsync:virtio-pmem:ext4 mapsync:virtio-pmem:xfs mapsync:nvdimm:ext4 mapsync:nvdimm:xfs"
check_mapsync_pass() {	# check_mapsync_pass FILE VIRTIO NVDIMM
	local s=$1
	# shellcheck disable=SC2086 # MAPSYNC_IDS is a list of words
	check_verdicts "$s" PASS $MAPSYNC_IDS
	check "virtio-pmem refused MAP_SYNC (errno 95, EOPNOTSUPP)" \
		[ "$(case_get "$s" "$2" "['details']['mapsync']['map_sync']['errno']")" = 95 ]
	check "nvdimm accepted MAP_SYNC" \
		[ "$(case_get "$s" "$3" "['details']['mapsync']['map_sync']['ok']")" = True ]
}

# check_refused WHAT RC ERR RESULTS: a run stopped before booting anything:
# exit status RC is 2, its stderr ERR one line, no run folder in RESULTS.
check_refused() {
	check "$1: exit 2" [ "$2" -eq 2 ]
	check "$1: one line" one_line_error "$3"
	check "$1: nothing booted" [ ! -e "$4/latest" ]
}

# No QEMU started by any pmtorture run is alive.  The [q] keeps pgrep from
# matching a shell whose own command line holds this pattern.
# Only this test's: its run folders are under its own TMPDIR (run.sh).
no_qemu_left() { ! pgrep -f "[q]emu-system.*${TMPDIR:-/tmp}/pmtorture-run" >/dev/null 2>&1; }

# stderr must be exactly one line starting with "pmtorture: "
one_line_error() {
	local f=$1
	[ "$(wc -l <"$f")" -eq 1 ] && grep -q '^pmtorture: ' "$f"
}
