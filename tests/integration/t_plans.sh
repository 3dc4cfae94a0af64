#!/usr/bin/env bash
# Plans, parallel guests, shards and merge, baselines and expunges, and the
# HTML report, on real guests (the quick plan: the four mapsync cases; for
# shards, a small plan with real FAILs and repeats).
. "$ROOT/tests/integration/lib.sh"
img="$ROOT/build/guest/default"
J="--jobs 2 --accel tcg"

# verdicts FILE: "id=VERDICT" lines, sorted, from a summary.json
verdicts() { python3 -c 'import json,sys; [print("%s=%s" % (c["id"], c["verdict"])) for c in sorted(json.load(open(sys.argv[1]))["cases"], key=lambda c: c["id"])]' "$1"; }

# 1. list: the cases and what they need, nothing boots.
start=$(date +%s)
"$PMTORTURE" list quick >out 2>err; rc=$?
check "list quick exits 0" [ $rc -eq 0 ]
check "list quick prints 4 cases" [ "$(grep -c '^mapsync:' out)" -eq 4 ]
check "list quick names the needs" grep -q '^mapsync:nvdimm:xfs .*needs nvdimm, xfs mounted -o dax' out
check "list boots nothing (fast, no results folder)" sh -c "[ $(($(date +%s) - start)) -lt 5 ] && [ ! -e results ]"
"$PMTORTURE" list errors >out 2>err; rc=$?
# The shipped errors plan parses: a parse error in errors.ini is a failure.
n=$(grep -cE '^[a-z][a-z0-9_-]*:' out)
check "list errors: exit 0, nothing on stderr, >= 30 cases (got rc $rc, $n cases)" \
	sh -c "[ $rc -eq 0 ] && [ ! -s err ] && [ $n -ge 30 ]"
"$PMTORTURE" run --plan nosuch >out 2>err; rc=$?
check "unknown plan: exit 2, one line listing the plans" sh -c "[ $rc -eq 2 ] && grep -q quick err && [ \$(wc -l <err) -eq 1 ]"

# 2. The quick plan, two guests at a time.
start=$(date +%s)
"$PMTORTURE" run --plan quick $J --results full >out 2>err; rc=$?
echo "# quick plan, --jobs 2: $(($(date +%s) - start)) s"
cat out
check "run --plan quick --jobs 2 exits 0" [ $rc -eq 0 ]
full=$(readlink -f full/latest)
check "4 PASS" [ "$(verdicts "$full/summary.json" | grep -c '=PASS$')" -eq 4 ]
check "2 at a time, said once" [ "$(grep -c '4 cases, 2 at a time' err)" -eq 1 ]
check "the html path was printed" grep -q "^html: .*report.html" out
check "junit properties: plan, seed, fs, options, kernel, qemu" python3 -c '
import sys, xml.etree.ElementTree as E
p = {e.get("name"): e.get("value") for e in E.parse(sys.argv[1]).getroot().iter("property")}
assert p["plan"] == "quick" and p["seed"] == "1" and p["fs"] == "ext4,xfs", p
assert "--jobs 2" in p["options"] and p["kernel"] and p["qemu"] not in ("", "unknown"), p
' "$full/junit.xml"
check "report.html: a grid of 4 coloured cells linking to 4 drill-downs" python3 -c '
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    cells, links, cases = [], 0, 0
    def handle_starttag(self, tag, a):
        a = dict(a)
        cls = (a.get("class") or "").split()
        if tag == "td" and "cell" in cls: self.cells.append(cls)
        if tag == "a" and (a.get("href") or "").startswith("#c"): self.links += 1
        if tag == "details" and "case" in cls: self.cases += 1
p = P(); p.feed(open(sys.argv[1]).read())
assert len(p.cells) == 4 and all("v-pass" in c or "v-PASS" in c for c in p.cells), p.cells
assert p.links == 4 and p.cases == 4, (p.links, p.cases)
' "$full/report.html"
pid=${full##*-}	# run ids end in the harness's pid
check "its run folder and job folders are gone" [ ! -e "${TMPDIR:-/tmp}/pmtorture-run.$pid" ]

# 3. Shards of a plan with failures and repeat ids, merged, give the
# unsharded verdicts and the unsharded exit status.  The plan: a PASS
# (mapsync) and a real FAIL (a power cut on a lying device: it acknowledges
# every flush and keeps nothing), each twice (--repeat 2: ids #2).
cat >mixed.ini <<'INI'
[mapsync]
scenario = mapsync
device = virtio-pmem
fs = xfs

[lying]
scenario = powercut
device = virtio-pmem
fs = xfs
workload = append_fsync
param.flush_mode = lying
param.crash_points = 2
INI
M="--plan ./mixed.ini --repeat 2 $J"
"$PMTORTURE" run $M --results whole >outw 2>&1; rcw=$?
cat outw
want='mapsync:virtio-pmem:xfs=PASS
mapsync:virtio-pmem:xfs#2=PASS
powercut:append_fsync:virtio-pmem:xfs=FAIL
powercut:append_fsync:virtio-pmem:xfs#2=FAIL'
check "unsharded: 2 PASS and 2 FAIL with repeat ids" [ "$(verdicts whole/latest/summary.json)" = "$want" ]
check "unsharded: exit 1 (a FAIL)" [ $rcw -eq 1 ]
# The slices are a stable hash of the id (pinned in tests/unit/test_shard.c):
# 1/2 holds one mapsync case and both FAILs, 2/2 the other mapsync case.
"$PMTORTURE" run $M --shard 1/2 --results s1 >out1 2>&1; rc1=$?
"$PMTORTURE" run $M --shard 2/2 --results s2 >out2 2>&1; rc2=$?
cat out1 out2
v1=$(verdicts s1/latest/summary.json | tr '\n' ' ')
v2=$(verdicts s2/latest/summary.json | tr '\n' ' ')
check "shard 1/2: both FAILs and a PASS, exit 1 (rc $rc1: $v1)" \
	sh -c '[ "$1" -eq 1 ] && [ "$2" = "mapsync:virtio-pmem:xfs=PASS powercut:append_fsync:virtio-pmem:xfs=FAIL powercut:append_fsync:virtio-pmem:xfs#2=FAIL " ]' _ "$rc1" "$v1"
check "shard 2/2: the other PASS, exit 0 (rc $rc2: $v2)" \
	sh -c '[ "$1" -eq 0 ] && [ "$2" = "mapsync:virtio-pmem:xfs#2=PASS " ]' _ "$rc2" "$v2"
"$PMTORTURE" merge -o merged s1/latest s2/latest >out 2>err; rc=$?
cat out err
check "merge: the unsharded run's exit status ($rc = $rcw)" [ $rc -eq $rcw ]
check "merge prints the table" grep -q '^powercut:append_fsync:virtio-pmem:xfs#2 .*FAIL' out
for f in summary.json junit.xml results.tap report.html; do
	check "merged folder has $f" [ -s "merged/$f" ]
done
check "merged verdicts = unsharded verdicts" [ "$(verdicts merged/summary.json)" = "$(verdicts whole/latest/summary.json)" ]
check "merged counts, repeats and seeds = unsharded" python3 -c '
import json, sys
m, w = (json.load(open(f)) for f in sys.argv[1:])
key = lambda s: sorted((c["id"], c["verdict"], c.get("repeat"), c.get("seed")) for c in s["cases"])
assert key(m) == key(w), (key(m), key(w))
assert m["counts"] == w["counts"], (m["counts"], w["counts"])
' merged/summary.json whole/latest/summary.json
d=$(json_get merged/summary.json "[c['dir'] for c in j['cases'] if c['verdict']=='FAIL'][0]")
check "merged case links resolve ($d)" [ -s "merged/$d/console.log" ]
check "merged junit: 4 tests, 2 failures" python3 -c '
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
n, f = len(r.findall(".//testcase")), len(r.findall(".//testcase/failure"))
assert (n, f) == (4, 2), (n, f)' merged/junit.xml
"$PMTORTURE" merge -o merged2 s1/latest s1/latest >out 2>err; rc=$?
check "merging a shard twice: exit 2, one line" sh -c "[ $rc -eq 2 ] && grep -q 'is in both' err && [ \$(wc -l <err) -eq 1 ]"

# An empty shard is a valid run of nothing.
"$PMTORTURE" run --plan quick --filter 'mapsync:nvdimm:xfs' --shard 7/7 --results e >out 2>err; rc=$?
check "empty shard: exit 0 with a note" sh -c "[ $rc -eq 0 ] && grep -q 'shard 7/7 holds none' err"
check "empty shard: an empty summary" [ "$(json_get e/latest/summary.json 'len(j["cases"])')" = 0 ]

# 4. Baselines: FIXED and PASS against a previous run we write ourselves.
python3 - <<'PY'
import json
def summ(run, cases):
    return {"run_id": run, "properties": {}, "cases": [{"id": i, "verdict": v, "reason": ""} for i, v in cases]}
json.dump(summ("prev-a", [("mapsync:virtio-pmem:ext4", "FAIL"), ("mapsync:virtio-pmem:xfs", "PASS")]), open("prev-a.json", "w"))
json.dump(summ("prev-b", [("mapsync:virtio-pmem:ext4", "PASS")]), open("prev-b.json", "w"))
json.dump(summ("prev-c", [("mapsync:virtio-pmem:ext4", "BROK")]), open("prev-c.json", "w"))
PY
printf '# known\nmapsync:*:ext4  # an expunged failure | https://example.org/bug/1\n' >expunge.txt
"$PMTORTURE" run --plan quick $J --filter 'mapsync:virtio-pmem:*' --baseline prev-a.json \
	--expunge expunge.txt --results b1 >out 2>err; rc=$?
cat out
s=b1/latest/summary.json
check "baseline run exits 0" [ $rc -eq 0 ]
check "was FAIL, now PASS: FIXED" [ "$(json_get $s "[c['baseline'] for c in j['cases'] if c['id']=='mapsync:virtio-pmem:ext4'][0]")" = FIXED ]
check "was PASS, now PASS: PASS" [ "$(json_get $s "[c['baseline'] for c in j['cases'] if c['id']=='mapsync:virtio-pmem:xfs'][0]")" = PASS ]
check "the table has a BASELINE column" grep -q '^mapsync:virtio-pmem:ext4 .*PASS .*FIXED' out
check "an expunge never touches a PASS" [ "$(json_get $s 'j["counts"]["XFAIL"]')" = 0 ]
check "junit carries the baseline" python3 -c '
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
p = {e.get("name"): e.get("value") for e in r.iter("property")}
assert p["baseline"] == "prev-a" and p["baseline_FIXED"] == "1", p
assert any("baseline: FIXED" in (t.text or "") for t in r.iter("system-out"))
' b1/latest/junit.xml
check "report.html marks FIXED" grep -q 'bl-FIXED' b1/latest/report.html

# A planted NEW-FAIL: a corrupt kernel BROKs a case that passed before.
mkdir -p corrupt
head -c 4096 /dev/zero >corrupt/vmlinux
cp "$img/initramfs.cpio" "$img/kernel.release" corrupt/
"$PMTORTURE" run --image corrupt --accel tcg --filter 'mapsync:virtio-pmem:ext4' \
	--baseline prev-b.json --expunge expunge.txt --results b2 >out 2>err; rc=$?
check "NEW-FAIL: exit 1" [ $rc -eq 1 ]
check "BROK after PASS is NEW-FAIL" [ "$(json_get b2/latest/summary.json 'j["cases"][0]["baseline"]')" = NEW-FAIL ]
check "an expunge leaves BROK a BROK" [ "$(json_get b2/latest/summary.json 'j["cases"][0]["verdict"]')" = BROK ]
"$PMTORTURE" run --image corrupt --accel tcg --filter 'mapsync:virtio-pmem:ext4' \
	--baseline prev-c.json --results b3 >out 2>err; rc=$?
check "BROK after BROK: still exit 1 (BROK fails a run)" [ $rc -eq 1 ]
check "BROK after BROK: STILL-FAILING" [ "$(json_get b3/latest/summary.json 'j["cases"][0]["baseline"]')" = STILL-FAILING ]
printf 'mapsync:*\n' >bad-expunge.txt
"$PMTORTURE" run --plan quick --expunge bad-expunge.txt --results b4 >out 2>err; rc=$?
check "a bad expunge file: exit 2, one line naming file:line" \
	sh -c "[ $rc -eq 2 ] && grep -q 'bad-expunge.txt:1' err && [ \$(wc -l <err) -eq 1 ]"
"$PMTORTURE" run --plan quick --baseline nosuch-dir --results b5 >out 2>err; rc=$?
check "a missing baseline: exit 2, one line" sh -c "[ $rc -eq 2 ] && grep -q nosuch-dir err && [ \$(wc -l <err) -eq 1 ]"

# 5. report: the trend across runs.
"$PMTORTURE" report --html trend.html "$full" b1/latest >out 2>err; rc=$?
check "report exits 0 and prints the path" sh -c "[ $rc -eq 0 ] && grep -q trend.html out"
check "trend table with both runs, links relative to trend.html" python3 -c '
import os, sys, re
h = open(sys.argv[1]).read()
assert "<h2>Trend</h2>" in h and os.path.basename(sys.argv[2]) in h and "prev-a" not in h
links = re.findall(r"href=\"([^\"#][^\"]*console.log)\"", h)
assert links and all(os.path.exists(l) for l in links), links[:2]
' trend.html "$full"

check "no QEMU left" no_qemu_left
done_testing
