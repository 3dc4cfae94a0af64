#!/usr/bin/env bash
# A libvirt daemon for `pmtorture run --backend libvirt`, started by hand on
# a machine where no systemd runs (the project's Debian 12 machines: libvirt
# 9.0, QEMU 7.2).  Run as root.
#
#   tests/integration/libvirtd.sh [start]   start virtlogd and libvirtd unless
#                                           qemu:///system already answers
#   tests/integration/libvirtd.sh stop      stop the daemons this script started
#   tests/integration/libvirtd.sh status    exit 0 if qemu:///system answers
#
# What `start` does, which is also how to do it by hand:
#   1. Packages libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients
#      (guest-image/install-deps.sh installs them).  libvirt-daemon-system is
#      not needed: it would bring systemd as init, polkit and iptables.
#   2. /etc/libvirt/qemu.conf with user = "root", group = "root" and
#      security_driver = "none": QEMU runs as root, so it can open the
#      harness's files and sockets, with no relabelling; and
#      cgroup_controllers = [ ]: on a cgroup v1 host without systemd, two
#      domains started at once raced on creating libvirt's cpuset group
#      (seen here: "Unable to write to .../cpuset/machine/qemu-2-.../emulator/
#      tasks: No space left on device", a BROK for the second guest).  The
#      guests need no cgroup limits.
#   3. A system user libvirt-qemu: libvirt 9.0 looks up its compiled-in
#      default user before it reads qemu.conf, and fails without it
#      (libvirt-daemon-system's postinst would create it).
#   4. mkdir -p /var/log/libvirt/qemu (the daemons log to files there when
#      they run without systemd), then `virtlogd -d; libvirtd -d`.
# The first connection after a start probes QEMU's capabilities (~8 s here);
# libvirt caches them under /var/cache/libvirt/qemu.
#
# Idempotent: a daemon that already answers is left alone, and `stop` then
# stops nothing.  The pids of daemons this script started are kept in
# $STATE, so `stop` never touches a daemon someone else runs.
set -u

URI=qemu:///system
STATE=/run/pmtorture-libvirtd.pids
QEMU_CONF=/etc/libvirt/qemu.conf

die() { echo "libvirtd.sh: $*" >&2; exit 1; }

answers() { virsh -c "$URI" uri >/dev/null 2>&1; }

# Set KEY = VALUE in qemu.conf, replacing any line that sets KEY already.
conf_set() {
	local key=$1 value=$2
	if grep -q "^[[:space:]]*${key}[[:space:]]*=" "$QEMU_CONF" 2>/dev/null; then
		sed -i "s|^[[:space:]]*${key}[[:space:]]*=.*|$key = $value|" "$QEMU_CONF"
	else
		echo "$key = $value" >>"$QEMU_CONF"
	fi
}

# Start @daemon with -d unless its pid file names a live process; record its pid.
start_daemon() {
	local daemon=$1 pidfile=/run/$1.pid pid
	pid=$(cat "$pidfile" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		return 0
	fi
	"$daemon" -d || die "$daemon -d failed (see /var/log/libvirt/$daemon.log)"
	for _ in $(seq 50); do
		pid=$(cat "$pidfile" 2>/dev/null)
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && break
		sleep 0.1
	done
	[ -n "$pid" ] || die "$daemon wrote no $pidfile"
	echo "$daemon $pid" >>"$STATE"
}

start() {
	[ "$(id -u)" = 0 ] || die "run as root"
	answers && return 0
	for b in virtlogd libvirtd virsh; do
		command -v "$b" >/dev/null || die "$b is missing (install libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients)"
	done
	mkdir -p /etc/libvirt /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu /run/libvirt
	conf_set user '"root"'
	conf_set group '"root"'
	conf_set security_driver '"none"'
	conf_set cgroup_controllers '[ ]'
	getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu ||
		die "cannot create group libvirt-qemu"
	getent passwd libvirt-qemu >/dev/null ||
		useradd --system --no-create-home --home-dir /var/lib/libvirt \
			--shell /usr/sbin/nologin -g libvirt-qemu libvirt-qemu ||
		die "cannot create user libvirt-qemu"
	start_daemon virtlogd
	start_daemon libvirtd
	# The socket appears at once; the first answer waits for the QEMU probe.
	for _ in $(seq 300); do
		answers && return 0
		sleep 0.1
	done
	die "libvirtd does not answer on $URI (see /var/log/libvirt/libvirtd.log)"
}

stop() {
	local daemon pid
	[ -f "$STATE" ] || return 0
	# libvirtd first: it talks to virtlogd while it shuts down.
	tac "$STATE" | while read -r daemon pid; do
		kill -0 "$pid" 2>/dev/null || continue
		[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$daemon" ] || continue
		kill "$pid"
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	done
	rm -f "$STATE"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
status) answers ;;
*) die "usage: libvirtd.sh [start|stop|status]" ;;
esac
