#!/bin/bash
# fetch-kernel.sh OUTDIR [PACKAGE]
#
# Fetch a Debian guest kernel without installing it on the host:
#   OUTDIR/root/            the unpacked linux-image-<ver> package (boot/, lib/modules/<ver>/)
#   OUTDIR/vmlinux          the uncompressed ELF kernel, for QEMU PVH direct boot
#   OUTDIR/kernel.release   the kernel version string (e.g. 6.1.0-56-amd64)
#   OUTDIR/package.txt      the package name and version that was fetched
#   OUTDIR/config-<ver>     a link to the package's boot/config-<ver>, where
#                           build-image.sh looks for it next to the vmlinux
#   OUTDIR/.complete        stamp, written last: if present, nothing is done
#
# Without PACKAGE, the package is the one the meta package linux-image-amd64
# depends on, resolved with apt-cache (an `apt-get update` is run once if it
# cannot be resolved).  PACKAGE names one: linux-image-VERSION-amd64 or its
# -unsigned twin (the same kernel and modules, without the Secure Boot
# signature); `pmtorture run --debian-kernel` passes the one it resolved.
# Two fetches of one OUTDIR wait for each other (flock on OUTDIR.lock).
set -euo pipefail

prog=pmtorture
die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

[ $# -eq 1 ] || [ $# -eq 2 ] || die "usage: fetch-kernel.sh OUTDIR [PACKAGE]"
out=$1
want=${2:-}
stamp=$out/.complete

if [ -n "$want" ]; then
	mkdir -p "$(dirname "$out")"
	exec 9>>"$out.lock"
	flock 9
fi

# build-image.sh looks for the config next to the kernel file it is given.
link_config() {
	local v=$1
	if [ -r "$out/root/boot/config-$v" ] && [ ! -e "$out/config-$v" ]; then
		ln -sfn "root/boot/config-$v" "$out/config-$v"
	fi
	return 0
}

if [ -f "$stamp" ] && [ -s "$out/vmlinux" ] && [ -s "$out/kernel.release" ]; then
	link_config "$(cat "$out/kernel.release")"
	exit 0
fi

for tool in apt-get apt-cache dpkg-deb depmod xz od grep flock; do
	command -v "$tool" >/dev/null 2>&1 || die "fetch-kernel: missing host tool '$tool'"
done

# The linux-image-X.Y.Z-N-amd64 package that linux-image-amd64 depends on.
resolve_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1
}

if [ -n "$want" ]; then
	case $want in
	linux-image-*-amd64|linux-image-*-amd64-unsigned) ;;
	*) die "fetch-kernel: '$want' is not a linux-image-VERSION-amd64[-unsigned] package" ;;
	esac
	resolve_pkg() { echo "$want"; }
fi
pkg=$(resolve_pkg || true)
if [ -z "$pkg" ] || ! apt-cache show "$pkg" >/dev/null 2>&1; then
	note "kernel package not known to apt, running apt-get update once"
	apt-get update -q >/dev/null 2>&1 || die "fetch-kernel: apt-get update failed"
	pkg=$(resolve_pkg || true)
fi
[ -n "$pkg" ] || die "fetch-kernel: cannot resolve the package linux-image-amd64 depends on"
version=${pkg#linux-image-}
version=${version%-unsigned}

mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp=$out/.complete
rm -f "$stamp"

# apt-get download as root drops privileges to _apt: download in a directory
# _apt can write to, then move the .deb into OUTDIR.
dl=$(mktemp -d /tmp/pmtorture-fetch.XXXXXX)
trap 'rm -rf "$dl"' EXIT
chmod 0777 "$dl"
note "downloading $pkg"
(cd "$dl" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
	die "fetch-kernel: apt-get download $pkg failed"
deb=$(find "$dl" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
[ -n "$deb" ] || die "fetch-kernel: apt-get download produced no .deb for $pkg"
debver=$(dpkg-deb -f "$deb" Version)

rm -rf "$out/root"
mkdir -p "$out/root"
dpkg-deb -x "$deb" "$out/root"
[ -d "$out/root/lib/modules/$version" ] || die "fetch-kernel: $pkg has no lib/modules/$version"
depmod -b "$out/root" "$version"

vmlinuz=$out/root/boot/vmlinuz-$version
[ -r "$vmlinuz" ] || die "fetch-kernel: $pkg has no boot/vmlinuz-$version"

# Extract the ELF vmlinux: find the compressed stream in the bzImage and
# decompress it.  Debian's 6.1 kernels are xz-compressed, its 6.12 ones zstd.
# The decompressors complain about trailing garbage after the stream; that is
# expected.
extract_vmlinux() {
	local img=$1 dst=$2 off magic
	local -a dc
	for magic in '\xfd7zXZ\x00' '\x28\xb5\x2f\xfd' '\x1f\x8b\x08'; do
		case $magic in
		*7zXZ*) dc=(xz -dc) ;;
		*xb5*) command -v zstd >/dev/null 2>&1 || continue; dc=(zstd -qdc) ;;
		*) dc=(gzip -dc) ;;
		esac
		while read -r off; do
			[ -n "$off" ] || continue
			tail -c "+$((off + 1))" "$img" | "${dc[@]}" >"$dst.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$dst.tmp" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; then
				mv "$dst.tmp" "$dst"
				return 0
			fi
		done < <(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1 | head -n 8)
	done
	rm -f "$dst.tmp"
	return 1
}
extract_vmlinux "$vmlinuz" "$out/vmlinux" ||
	die "fetch-kernel: no xz-, zstd- or gzip-compressed ELF kernel found in $vmlinuz"

link_config "$version"
echo "$version" >"$out/kernel.release"
echo "$pkg $debver" >"$out/package.txt"
touch "$stamp"
note "kernel $version ready in $out"
