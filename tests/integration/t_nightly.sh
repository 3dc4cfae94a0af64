#!/usr/bin/env bash
# The nightly plan (make check NIGHTLY=1): every scenario three times with
# different seeds.  Known kernel failures are XFAIL through the shipped
# expunge file; anything else failing, or any BROK, fails this test.
. "$ROOT/tests/integration/lib.sh"

if [ "${NIGHTLY:-0}" != 1 ]; then
	skip "the nightly plan runs only with make check NIGHTLY=1"
fi
"$PMTORTURE" run --accel tcg --plan nightly --expunge "$ROOT/results/expected/known-failures.expunge" \
	--results r >out 2>err; rc=$?
tail -n 40 out
s=$(readlink -f r/latest)/summary.json
check "nightly: exit 0 (no FAIL outside the expunge file, no BROK)" [ $rc -eq 0 ]
check "nightly: more than 150 cases ran" [ "$(json_get "$s" 'len(j["cases"])')" -gt 150 ]
check "nightly: no BROK" [ "$(json_get "$s" 'j["counts"]["BROK"]')" = 0 ]
check "no QEMU left" no_qemu_left
done_testing
