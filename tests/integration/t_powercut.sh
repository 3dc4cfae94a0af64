#!/usr/bin/env bash
# Host power cuts on virtio-pmem, and the oracle's own validation:
#  - honest flushes: >= 20 crash states per filesystem, no FAIL;
#  - a planted lying flush (acknowledged, never made durable): FAIL on ext4
#    and on xfs, with a reproduce command that gives the same FAIL.
. "$ROOT/tests/integration/lib.sh"

"$PMTORTURE" run --accel tcg --scenario powercut --workload append_fsync,rename_replace \
	--fs ext4,xfs --crash-states 18 --results honest >out 2>err; rc=$?
cat out
check "honest flushes: exit 0" [ $rc -eq 0 ]
s=$(readlink -f honest/latest)/summary.json
for fs in ext4 xfs; do
	n=$(json_get "$s" "sum(len(c['details'].get('crash_states',[])) for c in j['cases'] if c['fs']=='$fs')")
	check "honest flushes: $fs checked $n crash states (>= 20)" [ "${n:-0}" -ge 20 ]
	v=$(json_get "$s" "sorted(set(c['verdict'] for c in j['cases'] if c['fs']=='$fs'))")
	check "honest flushes: $fs verdicts $v" [ "$v" = "['PASS']" ]
done
check "promises were checked" [ "$(json_get "$s" "min(len(c['details']['promises']) for c in j['cases'])")" -ge 1 ]

"$PMTORTURE" run --accel tcg --scenario powercut --workload append_fsync \
	--fs ext4,xfs --crash-states 2 --flush-mode lying --results lying >out 2>err; rc=$?
cat out
check "lying flush: exit 1" [ $rc -eq 1 ]
s=$(readlink -f lying/latest)/summary.json
for fs in ext4 xfs; do
	v=$(json_get "$s" "[c['verdict'] for c in j['cases'] if c['fs']=='$fs'][0]")
	check "lying flush: $fs is FAIL (got $v)" [ "$v" = FAIL ]
done
check "the FAIL names a broken promise" grep -q 'promise on append.dat.*broken' out
cmd=$(json_get "$s" "[c['details']['reproduce'] for c in j['cases'] if c['fs']=='xfs'][0]")
check "a reproduce command is printed" grep -qF -- "$cmd" out
# shellcheck disable=SC2086 # the command is a word list by construction
"$PMTORTURE" ${cmd#pmtorture } --accel tcg --results replay >out 2>err; rc=$?
cat out
check "the reproduce command gives the same FAIL" [ $rc -eq 1 ]
check "  ... on the same promise" grep -q 'FAIL.*promise on append.dat.*broken' out
check "no QEMU left" no_qemu_left
done_testing
