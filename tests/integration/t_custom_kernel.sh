#!/usr/bin/env bash
# A developer's own kernel through --kernel/--modules: here the Debian kernel
# the image was built from, unpacked as a developer's tree would be.  It gets
# its own cached image and runs; a tree lacking a needed module is refused
# with one line naming it, before anything boots.
. "$ROOT/tests/integration/lib.sh"
k="$ROOT/build/kernel"
rel=$(cat "$k/kernel.release")

mkdir -p tree/lib/modules && cp -a "$k/root/lib/modules/$rel" tree/lib/modules/
mods=tree/lib/modules/$rel
"$PMTORTURE" run --accel tcg --kernel "$k/vmlinux" --modules "$mods" --scenario mapsync \
	--filter 'mapsync:virtio-pmem:ext4' --results r >out 2>err; rc=$?
cat out err
s=$(readlink -f r/latest)/summary.json
check "own kernel: exit 0" [ $rc -eq 0 ]
check "own kernel: PASS" [ "$(json_get "$s" "j['cases'][0]['verdict']")" = PASS ]
check "own kernel: its own image folder" grep -q "build/guest/custom-" "$s"
check "own kernel: the guest ran it" [ "$(json_get "$s" "j['cases'][0]['details']['guest_kernel']")" = "$rel" ]

# A tree whose virtio_pmem is built in (modules.builtin names it, no .ko):
# the image says so in builtin.txt and loads no virtio_pmem, so the harness
# boots that device's guests cold (unit test: test_snapshot).  Only the
# image is built: this kernel does not really have the driver built in.
mkdir -p btree/lib/modules && cp -a "$mods" btree/lib/modules/
b=btree/lib/modules/$rel
ko=$(grep -o '^[^:]*virtio_pmem\.ko[^:]*' "$b/modules.dep")
echo "$ko" >>"$b/modules.builtin"
grep -v "^$ko:" "$b/modules.dep" >"$b/dep" && mv "$b/dep" "$b/modules.dep"
rm -f "$b/modules.dep.bin" "$b/$ko"
"$ROOT/guest-image/build-image.sh" --out bimg --agent "$ROOT/build/agent/pmtorture-agent" \
	--kernel "$k/vmlinux" --modules "$b" >bout 2>&1; rc=$?
[ $rc -eq 0 ] || tail -3 bout
check "built-in virtio_pmem: the image builds" [ $rc -eq 0 ]
check "built-in virtio_pmem: builtin.txt names it" grep -qx virtio_pmem bimg/builtin.txt
check "built-in virtio_pmem: the guest loads no virtio_pmem.ko" \
	sh -c '! grep -q virtio_pmem bimg/modules.order.txt'

rm "$mods"/kernel/drivers/nvdimm/virtio_pmem.ko "$mods"/modules.dep*
"$PMTORTURE" run --accel tcg --kernel "$k/vmlinux" --modules "$mods" --scenario mapsync \
	--results r2 >out 2>err; rc=$?
check_refused "missing module" $rc err r2
check "missing module: names it and its config" grep -q 'lacks module virtio_pmem (CONFIG_VIRTIO_PMEM)' err
check "no QEMU left" no_qemu_left
done_testing
