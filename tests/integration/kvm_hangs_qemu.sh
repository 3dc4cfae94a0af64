#!/usr/bin/env bash
# A stand-in QEMU for t_make_run: under `-accel kvm` it plays a KVM guest
# that never reaches the agent (as on these machines, where a KVM guest hangs
# in its decompressor): the real QEMU runs with its monitor up but the vCPUs
# held (-S), under TCG so that it needs no /dev/kvm.  Under any other accel
# it is the real QEMU, untouched.  It takes the fallback path wherever it
# runs, even on a machine whose KVM works.
args=() kvm=0 prev=""
for a in "$@"; do
	if [ "$prev" = -accel ] && [ "$a" = kvm ]; then
		a=tcg
		kvm=1
	fi
	args+=("$a")
	prev=$a
done
[ $kvm = 1 ] && args+=(-S)
exec qemu-system-x86_64 "${args[@]}"
