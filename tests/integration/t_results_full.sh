#!/usr/bin/env bash
# A full results file system stops the run at the first failed write of the
# results (issue 8 defect 5): one line, exit 2, no guest started after it.
# The guest is the stand-in QEMU (hostile_qemu.py): nothing boots; its
# console fills the small tmpfs the results live on.
. "$ROOT/tests/integration/lib.sh"
stand_in="$ROOT/tests/integration/hostile_qemu.py"

mkdir -p full
if ! mount -t tmpfs -o size=512k tmpfs full 2>/dev/null; then
	skip "cannot mount a tmpfs here"
fi
trap 'umount "$WORK/full" 2>/dev/null' EXIT

for jobs in 1 2; do
	rm -rf full/* boots
	HOSTILE_MODE=polite HOSTILE_FILL=1 HOSTILE_BOOTS="$WORK/boots" "$PMTORTURE" run --quiet \
		--qemu "$stand_in" --no-snapshot --accel tcg --jobs $jobs --filter 'mapsync:*' \
		--results full/r >out 2>err; rc=$?
	check "jobs $jobs: exit 2" [ $rc -eq 2 ]
	check "jobs $jobs: one line on stderr" one_line_error err
	check "jobs $jobs: it names the results write" grep -q 'cannot write' err
	check "jobs $jobs: no guest started after the failed write ($(wc -l <boots) of 4)" \
		[ "$(wc -l <boots)" -le "$jobs" ]
	check "jobs $jobs: no stand-in QEMU left" sh -c "! pgrep -f '[h]ostile_qemu.py'"
done
done_testing
