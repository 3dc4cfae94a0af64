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

# No QEMU started by any pmtorture run is alive.  The [q] keeps pgrep from
# matching a shell whose own command line holds this pattern.
# Only this test's: its run folders are under its own TMPDIR (run.sh).
no_qemu_left() { ! pgrep -f "[q]emu-system.*${TMPDIR:-/tmp}/pmtorture-run" >/dev/null 2>&1; }

# stderr must be exactly one line starting with "pmtorture: "
one_line_error() {
	local f=$1
	[ "$(wc -l <"$f")" -eq 1 ] && grep -q '^pmtorture: ' "$f"
}
