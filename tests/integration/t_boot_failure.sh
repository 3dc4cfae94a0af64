#!/usr/bin/env bash
# Guests that never come up give BROK within the boot timeout, name the
# phase, and leave no QEMU behind.
. "$ROOT/tests/integration/lib.sh"
img="$ROOT/build/guest/default"

# boot_broken IMAGE FILTER TIMEOUT RESULTS: run the one case FILTER on guest
# image folder IMAGE with a boot timeout; sets rc (the exit status) and
# took (the seconds it ran), its stdout in out.
boot_broken() {
	local start
	start=$(date +%s)
	"$PMTORTURE" run --image "$1" --accel tcg --filter "$2" \
		--boot-timeout "$3" --results "$4" >out 2>err
	rc=$?
	took=$(($(date +%s) - start))
}

# 1. A corrupt kernel: QEMU refuses it at once.
mkdir -p corrupt
head -c 4096 /dev/zero >corrupt/vmlinux
cp "$img/initramfs.cpio" "$img/kernel.release" corrupt/
boot_broken corrupt 'mapsync:virtio-pmem:ext4' 60 r1
check "corrupt kernel: exit 1" [ $rc -eq 1 ]
check "corrupt kernel: BROK in the boot phase" grep -q 'BROK.*boot' out
check "corrupt kernel: found out fast (${took}s < 30s)" [ "$took" -lt 30 ]
# QEMU's own words: its stderr (qemu.log) ends the case's reason, e.g.
# "boot: QEMU exit status 1: qemu: linux kernel too old to load a ram disk".
qlog="$(readlink -f r1/latest)/cases/mapsync-virtio-pmem-ext4/qemu.log"
said=$(grep -v '^[[:space:]]*$' "$qlog" 2>/dev/null | tail -n1)
reason=$(json_get r1/latest/summary.json 'j["cases"][0]["reason"]')
check "corrupt kernel: QEMU said why on stderr (${said:-nothing})" [ -n "$said" ]
check "corrupt kernel: QEMU's own reason recorded (reason: $reason)" \
	sh -c '[ -n "$2" ] && [ "$1" = "boot: QEMU exit status 1: $2" ]' _ "$reason" "$said"

# 2. A corrupt initramfs: the kernel panics, QEMU (-no-reboot) exits 0.
mkdir -p badinitrd
head -c 65536 /dev/urandom >badinitrd/initramfs.cpio
cp "$img/vmlinux" "$img/kernel.release" badinitrd/
boot_broken badinitrd 'mapsync:virtio-pmem:xfs' 60 r0
check "corrupt initramfs: exit 1" [ $rc -eq 1 ]
check "corrupt initramfs: BROK in the boot phase, QEMU's exit named" grep -q 'BROK.*boot: QEMU exit' out
check "corrupt initramfs: found out well before the timeout (${took}s < 40s)" [ "$took" -lt 40 ]

# 3. A kernel that boots into an init that never starts the agent.
mkdir -p silent/root/bin
cp /bin/busybox silent/root/bin/busybox
printf '#!/bin/busybox sh\n/bin/busybox sleep 100000\n' >silent/root/init
chmod +x silent/root/init
(cd silent/root && find . | cpio -o -H newc --quiet >../initramfs.cpio)
cp "$img/vmlinux" "$img/kernel.release" silent/
boot_broken silent 'mapsync:nvdimm:xfs' 12 r2
check "silent guest: exit 1" [ $rc -eq 1 ]
check "silent guest: BROK, timed out waiting for the agent" grep -q 'BROK.*boot: timed out waiting for the guest agent' out
check "silent guest: ended near the timeout (${took}s)" [ "$took" -ge 12 -a "$took" -lt 40 ]
check "silent guest: console and QEMU command line kept" [ -f "$(readlink -f r2/latest)/cases/mapsync-nvdimm-xfs/console.log" -a -s "$(readlink -f r2/latest)/cases/mapsync-nvdimm-xfs/qemu-cmdline.txt" ]
check "no QEMU left" no_qemu_left
done_testing
