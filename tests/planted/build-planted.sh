#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds guest module trees with planted bugs in the virtio-pmem driver
# (nd_virtio.ko, virtio_pmem.ko), for `pmtorture run --kernel
# build/kernel/vmlinux --modules TREE` (tests/integration/t_planted.sh).
#
# What it rests on:
#   - The guest kernel (build/kernel, or the --kernel DIR given: a Debian
#     kernel package unpacked by guest-image/fetch-kernel.sh, e.g. one of
#     build/kernels/REL that --debian-kernel fetched) has kernel.release
#     and package.txt "linux-image-REL VERSION"; Debian's apt serves the
#     matching linux-headers-REL and linux-source-X.Y of that VERSION, and
#     the headers package depends on the -common headers and the kbuild
#     package it was made with (their names differ between series: 6.1's
#     linux-kbuild-6.1, 6.12's linux-kbuild-6.12.118+deb12, so they are
#     read from that dependency, not guessed).  They are downloaded with
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
# Each tree is build/planted/trees/NAME/lib/modules/REL: a copy of the
# kernel's modules with the two modules replaced (a plain .ko where Debian
# ships .ko.xz: the guest image builder takes either), depmod run on it.
# Trees of several kernels live side by side (one REL each).  A patch
# written for one series only is tests/planted/X.Y/NAME.patch; it is taken
# instead of tests/planted/NAME.patch for kernels of that series.  NAME:
#   clean        the Debian source as it is (the baseline: same build path)
#   nostatus     tests/planted/nostatus.patch
#   noserialize  tests/planted/noserialize.patch
#   norefcount   tests/planted/norefcount.patch
#   nowake       noserialize.patch + nowake.patch
# (each patch's head says which upstream fix it reverses).
#
# Usage: tests/planted/build-planted.sh [--kernel DIR] [NAME...]
#   (default: build/kernel, every tree)
# Prints one line per tree: NAME PATH-OF-MODULES-DIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
K=$ROOT/build/kernel
OUT=$ROOT/build/planted
PATCHES=$ROOT/tests/planted

die() { echo "build-planted: $*" >&2; exit 1; }

if [ "${1:-}" = --kernel ]; then
	[ $# -ge 2 ] || die "--kernel needs a directory"
	K=$(cd "$2" && pwd) || die "no kernel directory $2"
	shift 2
fi
[ -r "$K/kernel.release" ] && [ -r "$K/package.txt" ] ||
	die "no unpacked Debian kernel in $K (make image, or pmtorture --debian-kernel, first)"
REL=$(cat "$K/kernel.release")
VER=$(awk '{print $2}' "$K/package.txt")
MM=$(echo "$REL" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')	# 6.1, 6.12
HDR=$OUT/x/usr/src/linux-headers-$REL
SRC=$OUT/src/linux-source-$MM/drivers/nvdimm

# The patch of a planted bug for this kernel's series: X.Y/NAME.patch if
# the series has its own, else NAME.patch.
patch_of() {
	if [ -f "$PATCHES/$MM/$1.patch" ]; then
		echo "$PATCHES/$MM/$1.patch"
	else
		echo "$PATCHES/$1.patch"
	fi
}

tree_patches() {
	case "$1" in
	clean) ;;
	nostatus | noserialize | norefcount) patch_of "$1" ;;
	nowake) echo "$(patch_of noserialize) $(patch_of nowake)" ;;
	*) die "unknown tree $1 (clean nostatus noserialize norefcount nowake)" ;;
	esac
}

# apt-get download PKG=VER into debs/, unless it is there.
download() {
	ls "$OUT/debs/${1}_${VER}_"*.deb >/dev/null 2>&1 && return 0
	(cd "$OUT/debs" && apt-get download "$1=$VER" >/dev/null 2>&1) ||
		die "apt-get download $1=$VER failed"
}

fetch() {
	local hdrdeb deps p

	mkdir -p "$OUT/debs"
	download "linux-headers-$REL"
	download "linux-source-$MM"
	hdrdeb=$(ls "$OUT/debs/linux-headers-${REL}_${VER}_"*.deb)
	# linux-headers-6.12.118+deb12-common, linux-kbuild-6.12.118+deb12
	deps=$(dpkg-deb -f "$hdrdeb" Depends | tr ',|' '\n\n' |
		sed -nE 's/^ *(linux-headers-[^ ]*-common|linux-kbuild-[^ ]*).*/\1/p' | sort -u)
	[ -n "$deps" ] || die "linux-headers-$REL names no -common or kbuild package"
	for p in $deps; do
		download "$p"
	done
	if [ ! -d "$HDR" ]; then
		for p in "linux-headers-$REL" $deps; do
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
	local name=$1 b=$OUT/build/$REL/$1 t=$OUT/trees/$1
	local mods=$t/lib/modules/$REL

	rm -rf "$b" "$mods"
	mkdir -p "$b"
	cp "$SRC"/{nd_virtio.c,virtio_pmem.c,virtio_pmem.h,nd.h,label.h} "$b/"
	for p in $(tree_patches "$name"); do
		# The patches name drivers/nvdimm/FILE: strip all of it.
		patch -s -p3 -d "$b" <"$p" || die "$name: $(basename "$p") does not apply"
	done
	echo 'obj-m := nd_virtio.o virtio_pmem.o' >"$b/Kbuild"
	# No BTF for the modules: it needs pahole and the kernel's vmlinux
	# (6.12 has DEBUG_INFO_BTF_MODULES), and only BPF tools read it; the
	# guest loads a module without it.
	make -s -C "$HDR" M="$b" CC=gcc-12 CONFIG_DEBUG_INFO_BTF_MODULES= modules \
		>"$b/build.log" 2>&1 ||
		die "$name: build failed, see $b/build.log"
	# As Debian ships them: no debug info (the guest image packs them).
	strip --strip-debug "$b/nd_virtio.ko" "$b/virtio_pmem.ko"
	mkdir -p "$t/lib/modules"
	cp -a "$K/root/lib/modules/$REL" "$t/lib/modules/"
	rm -f "$mods/kernel/drivers/nvdimm/"{nd_virtio,virtio_pmem}.ko*
	cp "$b/nd_virtio.ko" "$b/virtio_pmem.ko" "$mods/kernel/drivers/nvdimm/"
	depmod -b "$t" "$REL"
	echo "$name $mods"
}

fetch
names=${*:-clean nostatus noserialize norefcount nowake}
for n in $names; do
	build_tree "$n"
done
