#!/usr/bin/env bash
# Integration tests: real QEMU, the real guest kernel, real mkfs and fsck.
# Usage: tests/integration/run.sh [--nightly]
# Prints each test's checks, then "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
export PMTORTURE=${PMTORTURE:-$ROOT/build/asan/pmtorture}
# Leak checking stays on; the sanitizer must make a failing run fail.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
NIGHTLY=0
[ "${1:-}" = "--nightly" ] && NIGHTLY=1
export NIGHTLY

passed=0 failed=0
base=$(mktemp -d "${TMPDIR:-/tmp}/pmtorture-it.XXXXXX")
trap 'rm -rf "$base"' EXIT

for t in "$ROOT"/tests/integration/t_*.sh; do
	name=$(basename "$t" .sh)
	WORK="$base/$name"
	mkdir -p "$WORK"
	export WORK
	start=$(date +%s)
	echo "# $name"
	if (cd "$WORK" && bash "$t") >"$WORK/out.txt" 2>&1; then
		sed 's/^/    /' "$WORK/out.txt"
		echo "ok - $name ($(($(date +%s) - start)) s)"
		passed=$((passed + 1))
	else
		sed 's/^/    /' "$WORK/out.txt"
		echo "not ok - $name ($(($(date +%s) - start)) s)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
