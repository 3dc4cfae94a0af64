#!/usr/bin/env bash
# Integration tests: real QEMU, the real guest kernel, real mkfs and fsck.
# Usage: tests/integration/run.sh [--nightly] [t_NAME ...]
# Prints each test's checks, then "N passed, N failed, N skipped".
#
# A test passes when it exits 0, is skipped when it exits 77 (a need this
# machine lacks, said in its output), and fails otherwise, or when any
# sanitizer report shows in what it printed or left in its folder (the
# harness under test is the ASan/UBSan build: a report is a bug even where
# the run's own exit status looked fine), or when it runs past its time
# limit (T_LIMIT seconds, default 1200): then its whole process group,
# QEMU included, is killed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
export PMTORTURE=${PMTORTURE:-$ROOT/build/asan/pmtorture}
# The sanitizers exit 99, a code no pmtorture run uses (0, 1, 2), and stop at
# the first report; leak checking stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}
export LSAN_OPTIONS=${LSAN_OPTIONS:-exitcode=99}
T_LIMIT=${T_LIMIT:-1200}
NIGHTLY=0
if [ "${1:-}" = "--nightly" ]; then
	NIGHTLY=1
	shift
fi
export NIGHTLY

SANITIZER_REPORT='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer'

passed=0 failed=0 skipped=0
base=$(mktemp -d "${TMPDIR:-/tmp}/pmtorture-it.XXXXXX")
trap 'rm -rf "$base"' EXIT

if [ $# -gt 0 ]; then
	tests=()
	for n in "$@"; do tests+=("$ROOT/tests/integration/${n%.sh}.sh"); done
else
	tests=("$ROOT"/tests/integration/t_*.sh)
fi

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	WORK="$base/$name"
	# Its own TMPDIR: the harness's run folders and QEMU's sockets live
	# there, so the checks for orphans see this test's processes only, and
	# tests (or a second checkout's) running at the same time do not clash.
	mkdir -p "$WORK/tmp"
	export WORK TMPDIR="$WORK/tmp"
	start=$(date +%s)
	echo "# $name"
	# Its own session: on a time-out the whole group goes, QEMU included.
	(cd "$WORK" && exec setsid bash "$t") >"$WORK/out.txt" 2>&1 </dev/null &
	pid=$!
	(
		sleep "$T_LIMIT"
		echo "time limit: $T_LIMIT s" >"$WORK/timed-out"
		kill -TERM -- "-$pid" 2>/dev/null
		sleep 10
		kill -KILL -- "-$pid" 2>/dev/null
	) >/dev/null 2>&1 &
	watchdog=$!
	wait "$pid"
	rc=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	sed 's/^/    /' "$WORK/out.txt"
	why=""
	if [ -e "$WORK/timed-out" ]; then
		why="ran past its time limit of $T_LIMIT s"
		kill -KILL -- "-$pid" 2>/dev/null
	elif grep -rIqE "$SANITIZER_REPORT" "$WORK" 2>/dev/null; then
		why="a sanitizer report: $(grep -rIhoE "($SANITIZER_REPORT).*" "$WORK" | head -1)"
	fi
	secs=$(($(date +%s) - start))
	if [ -n "$why" ]; then
		echo "not ok - $name ($secs s): $why"
		failed=$((failed + 1))
	elif [ $rc -eq 0 ]; then
		echo "ok - $name ($secs s)"
		passed=$((passed + 1))
	elif [ $rc -eq 77 ]; then
		echo "ok - $name ($secs s) # SKIP"
		skipped=$((skipped + 1))
	else
		echo "not ok - $name ($secs s)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
