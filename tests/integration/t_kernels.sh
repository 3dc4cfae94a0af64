#!/usr/bin/env bash
# Issue 9: kernels side by side.  A two-kernel matrix of mapsync: the
# Debian kernel the default image was built from, given as --kernel/
# --modules, and the newest Debian 6.12 by --debian-kernel (fetched with
# apt-get download into build/kernels/ once, never installed; its modules
# are .ko.xz).  Then a guest image built from a tree of .ko.zst modules,
# and a version apt does not have.  Exits 77 when apt cannot fetch 6.12.
. "$ROOT/tests/integration/lib.sh"
k="$ROOT/build/kernel"
rel=$(cat "$k/kernel.release")
mods=$k/root/lib/modules/$rel

# 1. list: the ids gain @RELEASE, nothing is downloaded or booted.
"$PMTORTURE" list --kernel "$k/vmlinux" --modules "$mods" --debian-kernel 6.12 --scenario mapsync \
	--filter 'mapsync:virtio-pmem:ext4' >list.out 2>list.err; rc=$?
cat list.out list.err
if [ $rc -ne 0 ] && grep -q 'no linux-image-\*-amd64 package matches "6.12"' list.err; then
	skip "apt sees no 6.12 kernel package (no network for apt-get update?)"
fi
new=$(sed -n 's/^mapsync:virtio-pmem:ext4@\(6\.12\.[^ ]*\) .*/\1/p' list.out)
check "list: two cases, one per kernel" [ "$(wc -l <list.out)" -eq 2 ]
check "list: the --kernel's id ends in @$rel" grep -q "^mapsync:virtio-pmem:ext4@$rel " list.out
check "list: the 6.12 id ends in @6.12.N+debN-amd64" [ -n "$new" ]
case $new in *+deb*-amd64) ok "list: a Debian release" ;; *) not_ok "list: a Debian release: '$new'" ;; esac

# 2. The matrix: both guests at once.
"$PMTORTURE" run --accel tcg --jobs 2 --kernel "$k/vmlinux" --modules "$mods" --debian-kernel 6.12 \
	--scenario mapsync --filter 'mapsync:virtio-pmem:ext4' --results r >out 2>err; rc=$?
cat out err
if [ $rc -eq 2 ] && grep -q 'apt-get download .* failed' err; then
	skip "apt cannot download the 6.12 package here"
fi
run=$(readlink -f r/latest)
s=$run/summary.json
check "matrix: exit 0" [ $rc -eq 0 ]
check "matrix: two cases" [ "$(json_get "$s" "len(j['cases'])")" = 2 ]
for kr in "$rel" "$new"; do
	id="mapsync:virtio-pmem:ext4@$kr"
	q="[c for c in j['cases'] if c['id'] == '$id']"
	check "matrix: $id PASS" [ "$(json_get "$s" "$q[0]['verdict']")" = PASS ]
	check "matrix: $id ran $kr" [ "$(json_get "$s" "$q[0]['details']['guest_kernel']")" = "$kr" ]
	check "matrix: $id carries its kernel" [ "$(json_get "$s" "$q[0]['kernel']")" = "$kr" ]
	check "table: a counts line for $kr" grep -q "^  on $kr: PASS 1, FAIL 0" out
	check "junit: a kernel property for $id" \
		grep -qF "<property name=\"kernel\" value=\"$kr\"/>" "$run/junit.xml"
	# "ok N - ID # PASS ...": a not-ok line, or an id without its kernel, fails.
	check "tap: an ok line for $id" \
		sh -c 'grep -F -- " - $1 # PASS" "$2" | grep -q "^ok [0-9][0-9]* - "' _ "$id" "$run/results.tap"
	check "html: a column group for $kr" grep -qF "class=\"kernel\">$kr</th>" "$run/report.html"
done
check "summary: both kernels in the properties" \
	[ "$(json_get "$s" "j['properties']['kernels']")" = "$rel,$new" ]
# xmllint comes with libxml2-utils, which guest-image/install-deps.sh installs.
check "junit.xml with testcase properties validates" \
	xmllint --noout --schema "$ROOT/tests/integration/junit.xsd" "$run/junit.xml"

# 3. The 6.12 image was built from .ko.xz modules, unpacked for busybox insmod.
img=$(grep -l "^modules $ROOT/build/kernels/$new/" "$ROOT"/build/guest/custom-*/manifest.txt | head -n 1)
img=$(dirname "${img:-/nonexistent/x}")
check "ko.xz: the 6.12 image's manifest lists .ko.xz modules" \
	grep -q 'virtio_pmem\.ko\.xz$' "$img/manifest.txt"
check "ko.xz: the initramfs holds virtio_pmem.ko, uncompressed" \
	sh -c "cpio -i --to-stdout --quiet '*virtio_pmem.ko' <'$img/initramfs.cpio' | head -c 4 | od -An -tx1 | grep -q '7f 45 4c 46'"

# 4. A tree of .ko.zst modules (as Fedora and Arch ship them), made from the
# default kernel's: the image builder decompresses them too.  No boot needed.
zt=ztree/lib/modules/$rel
mkdir -p "$zt"
while read -r m; do
	mkdir -p "$zt/$(dirname "$m")"
	zstd -q -19 "$mods/$m" -o "$zt/$m.zst"
done <"$ROOT/build/guest/default/modules.order.txt"
cp "$mods"/modules.builtin "$mods"/modules.builtin.modinfo "$mods"/modules.order "$zt/"
"$ROOT/guest-image/build-image.sh" --out zimg --agent "$ROOT/build/agent/pmtorture-agent" \
	--kernel "$k/vmlinux" --modules "$zt" >zimg.out 2>&1; rc=$?
tail -n 3 zimg.out
check "ko.zst: the image builds" [ $rc -eq 0 ]
check "ko.zst: depmod found the .ko.zst modules" grep -q 'virtio_pmem\.ko\.zst$' zimg/manifest.txt
check "ko.zst: the initramfs holds them uncompressed" \
	sh -c "cpio -i --to-stdout --quiet '*ext4.ko' <zimg/initramfs.cpio | head -c 4 | od -An -tx1 | grep -q '7f 45 4c 46'"

# 5. A version apt does not have: one line listing what it has, nothing booted.
"$PMTORTURE" run --debian-kernel 6.12.9999 --scenario mapsync --results r3 >out3 2>err3; rc=$?
cat err3
check_refused "unknown version" $rc err3 r3
check "unknown version: it lists the versions apt sees" grep -qE 'apt sees .*6\.1\.0-[0-9]+, .*6\.12\.[0-9]+' err3
check "no QEMU left" no_qemu_left
done_testing
