#!/usr/bin/env bash
# A seeded shard of the nightly plan in every `make check` (the whole plan
# runs only with NIGHTLY=1, t_nightly.sh): nightly's own paths without its
# 190 cases.  Shard 29/64 with --seed 1 holds, each as its third repeat
# (seed 1 + 3 - 1 = 3), badblocks and mce on the NVDIMM and the
# [powercut-flush] section on ext4 and xfs: param.crash_at = flush-mid, the
# shim holds a host flush half-recorded ("hold-mid") and the power goes
# while the guest's fsync is in flight; a run where no flush was held is a
# BROK.  The shipped expunge file is on, as nightly runs it: ext4's known
# JBD2 finding may show there as XFAIL, nothing may FAIL or BROK.
# The slices are a stable hash of the case id (pinned in tests/unit/test_shard.c).
. "$ROOT/tests/integration/lib.sh"

SHARD=29/64
want="badblocks:dax:nvdimm:ext4#3
mce:srar:nvdimm:xfs#3
powercut:append_fsync:virtio-pmem:ext4@powercut-flush#3
powercut:append_fsync:virtio-pmem:xfs@powercut-flush#3
vmevent:migrate:nvdimm:xfs#3
vmevent:unplug:virtio-pmem:ext4"

"$PMTORTURE" list nightly --shard $SHARD >list.out 2>list.err; rc=$?
check "list nightly --shard $SHARD: the six cases" \
	sh -c '[ "$1" -eq 0 ] && [ "$(awk "{print \$1}" list.out | sort)" = "$2" ]' _ "$rc" "$want"

# --cmd-timeout 120: a flush that is never held fails in 2 minutes, not 5.
start=$(date +%s)
"$PMTORTURE" run --plan nightly --shard $SHARD --seed 1 --accel tcg --jobs 2 --cmd-timeout 120 \
	--expunge "$ROOT/results/expected/known-failures.expunge" --results r >out 2>err; rc=$?
echo "# nightly shard $SHARD: $(($(date +%s) - start)) s"
grep -v '^|' out | sed -n '1,/^PASS /p'
s=$(readlink -f r/latest)/summary.json
check "exit 0 (no FAIL outside the expunge file, no BROK)" [ $rc -eq 0 ]
check "the shard ran the six cases" [ "$(json_get "$s" "'\n'.join(sorted(c['id'] for c in j['cases']))")" = "$want" ]
check "no FAIL, no BROK" [ "$(json_get "$s" '(j["counts"]["FAIL"], j["counts"]["BROK"])')" = "(0, 0)" ]
check "run properties: plan nightly, shard $SHARD, seed 1, the expunge file" python3 -c '
import sys, json
p = json.load(open(sys.argv[1]))["properties"]
assert p["plan"] == "nightly" and p["shard"] == "29/64" and p["seed"] == "1", p
assert p["expunge"].endswith("results/expected/known-failures.expunge"), p
' "$s"
check "each case is its repeat (3, or 1 for vmevent:unplug) with that seed" \
	[ "$(json_get "$s" "sorted(set((c['repeat'], c['seed']) for c in j['cases']))")" = "[(1, '1'), (3, '3')]" ]
for id in badblocks:dax:nvdimm:ext4#3 mce:srar:nvdimm:xfs#3 powercut:append_fsync:virtio-pmem:xfs@powercut-flush#3; do
	v=$(json_get "$s" "[c['verdict'] for c in j['cases'] if c['id']=='$id']")
	check "$id is PASS (got $v)" [ "$v" = "['PASS']" ]
done
# ext4 mid-commit: PASS, or XFAIL through the expunge line for the JBD2
# checksum finding, every failure of it that finding.
id='powercut:append_fsync:virtio-pmem:ext4@powercut-flush#3'
check "$id: PASS, or XFAIL by the JBD2 line with only JBD2 failures" python3 -c '
import sys, json
c = [c for c in json.load(open(sys.argv[1]))["cases"] if c["id"] == sys.argv[2]][0]
if c["verdict"] == "XFAIL":
    assert c["expunge"]["reason_match"] == "JBD2: Invalid checksum", c["expunge"]
    f = c["details"]["failures"]
    assert f and all(x["kind"] == "journal-checksum" for x in f), [x["kind"] for x in f]
else:
    assert c["verdict"] == "PASS", c["verdict"]
print(c["verdict"])
' "$s" "$id"
# The flush-mid path: both cases cut during a held host flush, after
# checking the section's 10 seeded points.
for fs in ext4 xfs; do
	id="powercut:append_fsync:virtio-pmem:$fs@powercut-flush#3"
	check "$id: cut at flush-mid, while the flush was held (section powercut-flush, 10 points)" python3 -c '
import sys, json
c = [c for c in json.load(open(sys.argv[1]))["cases"] if c["id"] == sys.argv[2]][0]
d = c["details"]
assert c["section"] == "powercut-flush" and c["params"]["crash_at"] == "flush-mid", (c["section"], c["params"])
assert d["crash_at"] == "flush-mid" and d["cut_at_progress"] is True, (d["crash_at"], d["cut_at_progress"])
assert d["points"] == 10 and d["states"] > 0 and d["promises_checked"] > 0, (d["points"], d["states"])
' "$s" "$id"
done
check "no QEMU left" no_qemu_left
done_testing
