#!/usr/bin/env bash
# The virtio-pmem backing file on a 64 MiB tmpfs that the guest fills
# (scenario hostsigbus): QEMU is killed by SIGBUS, the copied image recovers
# and fscks clean, every fsynced prefix survives.  The tmpfs never outlives
# the harness: not after the case, not after a SIGTERM in the middle of it.
. "$ROOT/tests/integration/lib.sh"

# This test's tmpfs, in any mount namespace: under its own TMPDIR's run
# folders (run.sh), so another checkout's hostsigbus run at the same time
# neither fails the "left" checks nor passes the "mounted" one.
tmpfs_anywhere() { grep -qs " ${TMPDIR:-/tmp}/pmtorture-run\.[0-9]*/sigbus-tmpfs " /proc/[0-9]*/mountinfo; }

"$PMTORTURE" run --accel tcg --scenario hostsigbus --results r >out 2>err; rc=$?
cat out
s=$(readlink -f r/latest)/summary.json
d() { json_get "$s" "j['cases'][0]['details']$1"; }
check "exit 0" [ $rc -eq 0 ]
check "PASS" grep -q 'hostsigbus:virtio-pmem:ext4 *PASS' out
check "QEMU was killed by SIGBUS" [ "$(d "['qemu_end']")" = "QEMU killed by signal 7 (Bus error)" ]
b=$(d "['last_progress_bytes']")
check "the guest's last progress is recorded ($b bytes, > 16 MiB)" [ "${b:-0}" -gt 16777216 ]
check "the checker verified the fsynced prefix" [ "$(d "['verify']['checked']")" -ge 1 ]
check "the tmpfs filled up" [ "$(d "['tmpfs_used_at_end']")" -eq 67108864 ]
check "no tmpfs left mounted" eval '! tmpfs_anywhere'

# SIGTERM while the guest runs: the mount must go with the harness.
"$PMTORTURE" run --accel tcg --scenario hostsigbus --results t >out 2>err &
pid=$!
for _ in $(seq 100); do tmpfs_anywhere && break; sleep 0.1; done
check "the tmpfs is mounted while the case runs" tmpfs_anywhere
kill -TERM $pid
wait $pid
# The namespace goes with its last process: the harness's console copier
# (PDEATHSIG SIGKILL) dies a moment after the harness, so allow 5 s.
for _ in $(seq 50); do tmpfs_anywhere || break; sleep 0.1; done
check "no tmpfs left after SIGTERM" eval '! tmpfs_anywhere'
check "not in the host's mount table either" eval '! grep -q " ${TMPDIR:-/tmp}/pmtorture-run\.[0-9]*/sigbus-tmpfs " /proc/self/mountinfo'
check "no QEMU left" no_qemu_left
done_testing
