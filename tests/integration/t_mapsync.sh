#!/usr/bin/env bash
# The first scenario on real guests: MAP_SYNC is refused on virtio-pmem and
# accepted on an fsdax NVDIMM, for ext4 and xfs, and the results folder has
# everything a person or a CI system reads.
. "$ROOT/tests/integration/lib.sh"

"$PMTORTURE" run --scenario mapsync --accel tcg --results "$WORK/results" >out 2>err; rc=$?
cat out err
check "run exits 0" [ $rc -eq 0 ]
run=$(readlink -f "$WORK/results/latest")
check "results/latest points at the run" [ -f "$run/summary.json" ]
s="$run/summary.json"
check "four cases" [ "$(json_get "$s" 'len(j["cases"])')" = 4 ]
# The verdicts rest on what the guest did: the errno it saw and DAX active.
check_mapsync_pass "$s" mapsync:virtio-pmem:xfs mapsync:nvdimm:ext4
check "DAX was active on the virtio-pmem file" \
	[ "$(case_get "$s" mapsync:virtio-pmem:ext4 "['details']['mapsync']['file_dax']")" = True ]
check "junit.xml parses, 4 tests, 0 failures" python3 -c '
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert r.get("tests") == "4" and r.get("failures") == "0" and r.get("errors") == "0", r.attrib
assert len(r.findall(".//testcase")) == 4
assert r.find(".//property[@name=\"kernel\"]") is not None
' "$run/junit.xml"
check "TAP: plan and four ok lines" sh -c "grep -q '^1..4$' '$run/results.tap' && [ \$(grep -c '^ok ' '$run/results.tap') -eq 4 ]"
for f in console.log dmesg.txt qmp.log agent.log qemu-cmdline.txt case.json; do
	check "case folder has $f" [ -s "$run/cases/mapsync-virtio-pmem-ext4/$f" ]
done
check "events.jsonl has run-start, 4 case-end, run-end" python3 -c '
import json, sys
ev = [json.loads(l)["type"] for l in open(sys.argv[1])]
assert ev[0] == "run-start" and ev[-1] == "run-end" and ev.count("case-end") == 4, ev
' "$run/events.jsonl"
check "the table was printed" grep -q '^mapsync:nvdimm:xfs .*PASS' out
check "the report path was printed" grep -q "^junit: .*junit.xml" out
check "no QEMU left" no_qemu_left
check "no run folder left" sh -c "! ls -d \${TMPDIR:-/tmp}/pmtorture-run.* 2>/dev/null | grep -q ."
done_testing
