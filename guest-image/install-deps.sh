#!/bin/sh
# Install the Debian packages pmtorture needs, only those missing.
# Fast when everything is present: one dpkg-query call.
set -eu

# libvirt: the library, the daemon with its QEMU driver, and virsh for the
# tests.  Not libvirt-daemon-system: it pulls in systemd as init, polkit and
# iptables; tests/integration/libvirtd.sh starts the daemon by hand instead.
# chromium: tests/integration/t_reports.sh renders the HTML reports headless.
PACKAGES="gcc make pkg-config libc6-dev libjson-c-dev check \
qemu-system-x86 qemu-utils busybox-static e2fsprogs xfsprogs ndctl kmod cpio \
xz-utils file libxml2-utils fio \
libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients \
chromium"

# One dpkg-query for all of them; a package it does not know prints nothing.
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $PACKAGES 2>/dev/null |
	awk '$2 == "installed" { print $1 }' || true)
missing=""
for p in $PACKAGES; do
	echo "$installed" | grep -qx "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "pmtorture: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "pmtorture: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "pmtorture: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "pmtorture: apt-get install of$missing failed" >&2; exit 1; }
