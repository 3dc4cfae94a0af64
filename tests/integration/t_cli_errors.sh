#!/usr/bin/env bash
# Bad input gets one line on stderr and a non-zero exit, before anything boots.
. "$ROOT/tests/integration/lib.sh"

"$PMTORTURE" run --bogus >/dev/null 2>err; rc=$?
check "unknown option: exit 2" [ $rc -eq 2 ]
check "unknown option: one line" one_line_error err

"$PMTORTURE" run --fs btrfs >/dev/null 2>err; rc=$?
check "unknown filesystem: exit 2" [ $rc -eq 2 ]
check "unknown filesystem: one line" one_line_error err
check "unknown filesystem: names the value" grep -q 'btrfs' err

"$PMTORTURE" run --kernel /nonexistent/vmlinuz --results "$WORK/r" >/dev/null 2>err; rc=$?
check "missing kernel: exit 2" [ $rc -eq 2 ]
check "missing kernel: one line" one_line_error err
check "missing kernel: names it" grep -q /nonexistent/vmlinuz err

touch "$WORK/afile"
"$PMTORTURE" run --results "$WORK/afile/results" >/dev/null 2>err; rc=$?
check "unwritable results folder: exit 2" [ $rc -eq 2 ]
check "unwritable results folder: one line" one_line_error err

mkdir -p "$WORK/empty-image"
"$PMTORTURE" run --image "$WORK/empty-image" --results "$WORK/r" >/dev/null 2>err; rc=$?
check "image without a kernel: exit 2" [ $rc -eq 2 ]
check "image without a kernel: one line" one_line_error err
check "image without a kernel: says so" grep -q 'no kernel' err

# Setup errors are refused before anything is made (issue 8 defect 10).
echo "not a kernel" >"$WORK/textkernel"
before=$(ls "$ROOT/build/guest" | sort)
"$PMTORTURE" run --scenario mapsync --kernel "$WORK/textkernel" --modules "$WORK" \
	--results "$WORK/r-kernel" >/dev/null 2>err; rc=$?
check "text-file kernel: exit 2" [ $rc -eq 2 ]
check "text-file kernel: one line" one_line_error err
check "text-file kernel: no results folder made" [ ! -e "$WORK/r-kernel" ]
check "text-file kernel: nothing left in build/guest" [ "$(ls "$ROOT/build/guest" | sort)" = "$before" ]
"$PMTORTURE" run --scenario mapsync --image "$WORK/nonexistent" --results "$WORK/r-image" >/dev/null 2>err; rc=$?
check "missing image: exit 2" [ $rc -eq 2 ]
check "missing image: one line" one_line_error err
check "missing image: no results folder made" [ ! -e "$WORK/r-image" ]

"$PMTORTURE" list >out 2>err; rc=$?
check "list: exit 0, four mapsync cases" sh -c "[ $rc -eq 0 ] && [ \$(grep -c '^mapsync:' out) -eq 4 ]"
"$PMTORTURE" help >out 2>&1
check "help explains the verdicts" grep -q 'BROK means' out
check "no QEMU was started" no_qemu_left
done_testing
