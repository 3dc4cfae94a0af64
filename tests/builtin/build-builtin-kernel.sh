#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds, once, a small x86_64 guest kernel with the pmem drivers built in
# (virtio_pmem, nd_pmem, nfit =y), for `pmtorture run --kernel K --modules M`
# (tests/integration/t_builtin.sh, `make builtin`): the snapshot path must
# not restore a guest whose built-in driver probed another backing file
# (issue 20 item 6; harness/case/runner.c boots such guests cold).
#
# What it rests on:
#   - Debian's linux-source-X.Y package holds the kernel source as
#     /usr/src/linux-source-X.Y.tar.xz.  It is downloaded with apt-get
#     download (the version of build/kernel/package.txt when there is one:
#     the same source as the Debian kernel the other tests run, only the
#     config differs) and streamed out of the .deb with dpkg-deb
#     --fsys-tarfile: nothing is installed on the host.  A .deb already in
#     build/builtin-kernel/debs/ or build/planted/debs/ is used as it is.
#   - `make x86_64_defconfig`, then scripts/kconfig/merge_config.sh with
#     tests/builtin/builtin.config and `make olddefconfig`; every =y/=m line
#     of the fragment's "required" part must survive olddefconfig (a missed
#     dependency is an error naming the option, not a kernel that boots
#     without its driver).
#   - `make vmlinux modules` builds out of tree (O=), so one unpacked source
#     serves every config; vmlinux carries the PVH ELF note (CONFIG_PVH) that
#     QEMU's -kernel needs to boot an ELF directly.
#   - `make modules_install INSTALL_MOD_PATH=` writes lib/modules/REL with
#     modules.builtin (naming the built-in drivers: guest-image/build-image.sh
#     reads it into builtin.txt) and modules.dep for the few =m modules.
#
# Cache: build/builtin-kernel/VERSION-HASH/, HASH of the fragment (a change
# to how this script builds wants `rm -rf build/builtin-kernel`); its .done
# is written last, so a build cut short is redone.  flock
# keeps two callers from building the same tree at once.
#
# Host tools: gcc, make, flex, bison, bc, perl, libelf-dev (objtool), xz.
# Runs under `nice -n 10` with -j$(nproc) unless PMT_BUILTIN_JOBS says.
#
# Usage: tests/builtin/build-builtin-kernel.sh
# Prints two lines: "kernel PATH-OF-vmlinux" and "modules PATH-OF-lib/modules/REL".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/builtin
OUT=$ROOT/build/builtin-kernel
FRAG=$HERE/builtin.config

die() { echo "build-builtin-kernel: $*" >&2; exit 1; }
note() { echo "build-builtin-kernel: $*" >&2; }

for t in gcc make flex bison bc perl xz dpkg-deb flock sha256sum; do
	command -v "$t" >/dev/null 2>&1 || die "missing host tool '$t'"
done
[ -e /usr/include/gelf.h ] || die "missing libelf-dev (objtool needs gelf.h)"

MM=6.1
VER=""
if [ -r "$ROOT/build/kernel/package.txt" ]; then
	VER=$(awk '{print $2}' "$ROOT/build/kernel/package.txt")
	MM=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' "$ROOT/build/kernel/kernel.release")
fi
PKG=linux-source-$MM

mkdir -p "$OUT/debs"
exec 9>"$OUT/.lock"
flock 9

# ---------------------------------------------------------------- the source
find_deb() {
	local d f pat=${VER:-*}
	for d in "$OUT/debs" "$ROOT/build/planted/debs"; do
		# shellcheck disable=SC2086 # $pat is a glob when VER is unknown
		for f in "$d/$PKG"_${pat}_all.deb; do
			if [ -f "$f" ]; then echo "$f"; fi
		done
	done | sort -V | tail -n 1
}
DEB=$(find_deb)
if [ -z "$DEB" ]; then
	(cd "$OUT/debs" && apt-get download "$PKG${VER:+=$VER}" >/dev/null 2>&1) ||
		die "apt-get download $PKG${VER:+=$VER} failed"
	DEB=$(find_deb)
	[ -n "$DEB" ] || die "apt-get download $PKG gave no .deb"
fi
[ -n "$VER" ] || VER=$(dpkg-deb -f "$DEB" Version)

SRC=$OUT/src/$VER
if [ ! -e "$SRC/.unpacked" ]; then
	note "unpacking $(basename "$DEB")"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	dpkg-deb --fsys-tarfile "$DEB" |
		tar -xO "./usr/src/$PKG.tar.xz" |
		tar -xJ -C "$SRC" --strip-components=1 ||
		die "cannot unpack /usr/src/$PKG.tar.xz from $DEB"
	touch "$SRC/.unpacked"
fi

# ---------------------------------------------------------------- the build
HASH=$(sha256sum <"$FRAG" | cut -c1-12)
KEY=$VER-$HASH
B=$OUT/$KEY
OBJ=$B/obj
JOBS=${PMT_BUILTIN_JOBS:-$(nproc)}

if [ ! -e "$B/.done" ]; then
	rm -rf "$B"
	mkdir -p "$OBJ"
	note "building $KEY in $B (log: $B/build.log)"
	start=$(date +%s)
	k() { nice -n 10 make -C "$SRC" O="$OBJ" "$@" >>"$B/build.log" 2>&1; }
	k x86_64_defconfig || die "make x86_64_defconfig failed (see $B/build.log)"
	(cd "$OBJ" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
		"$OBJ/.config" "$FRAG" >>"$B/build.log" 2>&1) ||
		die "merge_config.sh failed (see $B/build.log)"
	k olddefconfig || die "make olddefconfig failed (see $B/build.log)"
	# the required options, as olddefconfig left them
	awk '/^# --- smaller/ { exit } /^CONFIG_[A-Z0-9_]+=[ym]$/ { print }' "$FRAG" |
	while read -r want; do
		grep -qx "$want" "$OBJ/.config" ||
			die "$want did not survive olddefconfig (a dependency is missing from $FRAG)"
	done
	k -j"$JOBS" vmlinux modules || die "make vmlinux modules failed (see $B/build.log)"
	k modules_install INSTALL_MOD_PATH="$B/mod" INSTALL_MOD_STRIP=1 ||
		die "make modules_install failed (see $B/build.log)"
	cp "$OBJ/vmlinux" "$B/vmlinux"
	cp "$OBJ/.config" "$B/config"
	REL=$(cat "$OBJ/include/config/kernel.release")
	echo "$REL" >"$B/kernel.release"
	echo "$PKG $VER $(basename "$DEB")" >"$B/source.txt"
	echo "$(( $(date +%s) - start ))" >"$B/build-seconds"
	# the objects are not needed again: keep the cache to what runs
	rm -rf "$OBJ"
	touch "$B/.done"
	note "built $KEY in $(cat "$B/build-seconds") s (-j$JOBS, nice 10)"
fi
REL=$(cat "$B/kernel.release")
[ -r "$B/mod/lib/modules/$REL/modules.builtin" ] || die "no modules.builtin in $B/mod/lib/modules/$REL"
echo "kernel $B/vmlinux"
echo "modules $B/mod/lib/modules/$REL"
