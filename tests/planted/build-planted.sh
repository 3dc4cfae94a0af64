#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds guest module trees with planted bugs in the virtio-pmem driver
# (nd_virtio.ko, virtio_pmem.ko), for `pmtorture run --kernel
# build/kernel/vmlinux --modules TREE` (tests/integration/t_planted.sh).
#
# What it rests on:
#   - build/kernel is a Debian kernel package unpacked (kernel.release,
#     package.txt "linux-image-REL VERSION"); Debian's apt serves the
#     matching linux-headers-REL, linux-headers-REL-common, linux-kbuild-X.Y
#     and linux-source-X.Y of that VERSION.  They are downloaded with
#     apt-get download and unpacked with dpkg-deb -x under build/planted/:
#     nothing is installed on the host.
#   - Out of tree, kbuild builds drivers/nvdimm/{nd_virtio,virtio_pmem}.c
#     (with nd.h, label.h, virtio_pmem.h beside them) against those headers;
#     Module.symvers of the headers package gives the CRCs MODVERSIONS
#     checks, and gcc-12 is the compiler the Debian kernel was built with.
#   - Built from the unpatched source, both modules' .text is byte for byte
#     the one Debian ships (checked for 6.1.192-3): the source is the
#     kernel's own.
#   - The modules are unsigned.  Debian's 6.1 config has MODULE_SIG=y but
#     not MODULE_SIG_FORCE, so the kernel loads them and taints itself
#     ("module verification failed"), which no detector counts.
#
# Each tree is build/planted/trees/NAME/lib/modules/REL: a copy of
# build/kernel's modules with the two .ko replaced, depmod run on it.  NAME:
#   clean        the Debian source as it is (the baseline: same build path)
#   nostatus     tests/planted/nostatus.patch
#   noserialize  tests/planted/noserialize.patch
#   norefcount   tests/planted/norefcount.patch
#   nowake       noserialize.patch + nowake.patch
# (each patch's head says which upstream fix it reverses).
#
# Usage: tests/planted/build-planted.sh [NAME...]   (default: all)
# Prints one line per tree: NAME PATH-OF-MODULES-DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
K=$ROOT/build/kernel
OUT=$ROOT/build/planted
PATCHES=$ROOT/tests/planted

die() { echo "build-planted: $*" >&2; exit 1; }

[ -r "$K/kernel.release" ] && [ -r "$K/package.txt" ] || die "no build/kernel (make image first)"
REL=$(cat "$K/kernel.release")
VER=$(awk '{print $2}' "$K/package.txt")
MM=$(echo "$REL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')	# 6.1
ABI=${REL%-*}							# 6.1.0-57 (of 6.1.0-57-amd64)
HDR=$OUT/x/usr/src/linux-headers-$REL
SRC=$OUT/src/linux-source-$MM/drivers/nvdimm

tree_patches() {
	case "$1" in
	clean) ;;
	nostatus | noserialize | norefcount) echo "$PATCHES/$1.patch" ;;
	nowake) echo "$PATCHES/noserialize.patch $PATCHES/nowake.patch" ;;
	*) die "unknown tree $1 (clean nostatus noserialize norefcount nowake)" ;;
	esac
}

fetch() {
	local pkgs="linux-headers-$REL linux-headers-$ABI-common linux-kbuild-$MM linux-source-$MM"

	mkdir -p "$OUT/debs"
	for p in $pkgs; do
		ls "$OUT/debs/${p}_${VER}_"*.deb >/dev/null 2>&1 && continue
		(cd "$OUT/debs" && apt-get download "$p=$VER" >/dev/null) ||
			die "apt-get download $p=$VER failed"
	done
	if [ ! -d "$HDR" ]; then
		for p in linux-headers-$REL linux-headers-$ABI-common linux-kbuild-$MM; do
			dpkg-deb -x "$OUT/debs/${p}_${VER}_"*.deb "$OUT/x"
		done
		# The package's Makefile includes the common tree by its
		# installed path: point it at the unpacked one.
		sed -i "s|include /usr/src/|include $OUT/x/usr/src/|" "$HDR/Makefile"
	fi
	if [ ! -f "$SRC/nd_virtio.c" ]; then
		mkdir -p "$OUT/src"
		dpkg-deb --fsys-tarfile "$OUT/debs/linux-source-${MM}_${VER}_all.deb" |
			tar -xO "./usr/src/linux-source-$MM.tar.xz" | xz -dc |
			tar -x -C "$OUT/src" --wildcards "linux-source-$MM/drivers/nvdimm/*"
	fi
}

build_tree() {
	local name=$1 b=$OUT/build/$1 t=$OUT/trees/$1
	local mods=$t/lib/modules/$REL

	rm -rf "$b" "$t"
	mkdir -p "$b"
	cp "$SRC"/{nd_virtio.c,virtio_pmem.c,virtio_pmem.h,nd.h,label.h} "$b/"
	for p in $(tree_patches "$name"); do
		# The patches name drivers/nvdimm/FILE: strip all of it.
		patch -s -p3 -d "$b" <"$p" || die "$name: $(basename "$p") does not apply"
	done
	echo 'obj-m := nd_virtio.o virtio_pmem.o' >"$b/Kbuild"
	make -s -C "$HDR" M="$b" CC=gcc-12 modules >"$b/build.log" 2>&1 ||
		die "$name: build failed, see $b/build.log"
	# As Debian ships them: no debug info (the guest image packs them).
	strip --strip-debug "$b/nd_virtio.ko" "$b/virtio_pmem.ko"
	mkdir -p "$t/lib/modules"
	cp -a "$K/root/lib/modules/$REL" "$t/lib/modules/"
	cp "$b/nd_virtio.ko" "$b/virtio_pmem.ko" "$mods/kernel/drivers/nvdimm/"
	depmod -b "$t" "$REL"
	echo "$name $mods"
}

fetch
names=${*:-clean nostatus noserialize norefcount nowake}
for n in $names; do
	build_tree "$n"
done
