#!/usr/bin/env bash
# Guests from a snapshot (issue 11, harness/vm/snapshot.h).  With a private
# image folder (so its snapshot cache starts empty): the first run takes one
# snapshot per guest configuration and runs every case from a restore of it;
# the second run restores; --no-snapshot boots cold and leaves the cache as
# it was, file for file.  mkfs, mount and the MAP_SYNC check give the same
# results all three ways, on both devices, and a restored case records the
# kernel the running guest names, not the copy kept with the snapshot.  A
# corrupt snapshot is dropped with one message and the guest boots cold:
# never a BROK by itself.  No snapshot key holds anything of a case.  A key
# is the bytes of the kernel and the initramfs: a copy of the kernel (another
# inode and mtime) restores, an initramfs with other bytes takes a new one.
. "$ROOT/tests/integration/lib.sh"

img="$WORK/img"
mkdir -p "$img"
for f in vmlinux initramfs.cpio kernel.release; do
	ln -s "$ROOT/build/guest/default/$f" "$img/$f"
done
snaps="$img/snapshots"

run_mapsync() {	# run_mapsync LABEL [options...]
	local label=$1
	shift
	"$PMTORTURE" run --image "$img" --scenario mapsync --fs ext4 --accel tcg --jobs 1 \
		--results "$WORK/$label" "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
	echo $? >"$WORK/$label.rc"
	cat "$WORK/$label.out" "$WORK/$label.err"
}

# case id -> "VERDICT|reason|boot kind|mapsync details", one line each
outcomes() {
	python3 - "$WORK/$1/latest/summary.json" <<'EOF'
import json, sys
for c in sorted(json.load(open(sys.argv[1]))["cases"], key=lambda c: c["id"]):
    d = c.get("details", {})
    m = d.get("mapsync", {})
    print("%s|%s|%s|%s|%s" % (c["id"], c["verdict"], c.get("reason", ""),
          d.get("boot", {}).get("guest", {}).get("kind", "?"),
          json.dumps([m.get("map_sync"), m.get("map_shared"), m.get("file_dax"),
                      d.get("guest_kernel")], sort_keys=True)))
EOF
}
kinds() { outcomes "$1" | cut -d'|' -f4 | sort -u | tr '\n' ';'; }
results() { outcomes "$1" | cut -d'|' -f1,2,3,5; }

# Every file of the cache, one line each: name, size, mtime (ns), checksum.
listing() {
	python3 - "$snaps" <<'EOF'
import hashlib, os, sys
top = sys.argv[1]
for d, _, files in sorted(os.walk(top)):
    for n in sorted(files):
        p = os.path.join(d, n)
        st = os.stat(p)
        h = hashlib.md5()
        with open(p, "rb") as f:
            for b in iter(lambda: f.read(1 << 20), b""):
                h.update(b)
        print(os.path.relpath(p, top), st.st_size, st.st_mtime_ns, h.hexdigest())
EOF
}

run_mapsync first
check "first run exits 0" [ "$(cat "$WORK/first.rc")" = 0 ]
check "first run: every guest restored from the snapshot it took (got $(kinds first))" \
	[ "$(kinds first)" = "restored, snapshot taken;" ]
check "one snapshot per device: 2 streams, 2 metas" \
	[ "$(ls "$snaps"/*.snap | wc -l)" = 2 -a "$(ls "$snaps"/*.json | wc -l)" = 2 ]
keys() { python3 -c 'import json, sys
for f in sys.argv[1:]: print(json.load(open(f))["key"])' "$snaps"/*.json; }
keys >"$WORK/keys.txt"
check "the keys name each device, the kernel command line, the kernel's and the initramfs's hashes" \
	sh -c "grep -q 'virtio-pmem-pci,memdev=mem0' '$WORK/keys.txt' && grep -q 'nvdimm,memdev=mem0' '$WORK/keys.txt' && grep -q 'pmtorture.skip=' '$WORK/keys.txt' && grep -q '^kernel [0-9a-f]\{16\}$' '$WORK/keys.txt' && grep -q '^initrd [0-9a-f]\{16\}$' '$WORK/keys.txt'"
check "the keys name the backing file as a placeholder" grep -q 'mem-path=@DISK0' "$WORK/keys.txt"
check "no snapshot key holds a case's path (run folder, backing file, results)" \
	sh -c "! grep -e pmtorture-run -e pmem0.img -e '$WORK/first' '$WORK/keys.txt'"

# A restored case's guest kernel must be the running guest's answer, not the
# "ready" event kept in the snapshot's meta: make the kept one wrong.  The
# comparison with the cold run below then tells which one was recorded.
python3 - "$snaps"/*.json <<'EOF'
import json, sys
for f in sys.argv[1:]:
    m = json.load(open(f))
    m["ready"]["kernel"] = "not-the-running-kernel"
    json.dump(m, open(f, "w"), indent=1)
EOF
run_mapsync second
check "second run: every guest restored (got $(kinds second))" [ "$(kinds second)" = "restored;" ]
check "second run: restore to ready under 3 s (a cold boot here is ~3-6 s)" python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    assert c["details"]["boot"]["guest"]["ready_s"] < 3, c["details"]["boot"]' \
	"$WORK/second/latest/summary.json"

con="$WORK/second/latest/cases/mapsync-virtio-pmem-ext4/console.log"
check "a restored guest's console.log: the boot console kept with the snapshot, marked, then the rest" \
	sh -c "head -n 1 '$con' | grep -q '^-- pmtorture: restored from snapshot [0-9a-f]*: the guest' && grep -q 'pmtorture-init.*exec /sbin/pmtorture-agent' '$con' && grep -q '^-- pmtorture: restored here --' '$con' && grep -q 'reboot: Power down' '$con'"

listing >"$WORK/cache.before"
run_mapsync cold --no-snapshot
listing >"$WORK/cache.after"
check "--no-snapshot: every guest cold (got $(kinds cold))" [ "$(kinds cold)" = "cold;" ]
check "--no-snapshot leaves the cache alone: every file's name, size, mtime (ns) and checksum" \
	sh -c "[ \"\$(wc -l <'$WORK/cache.before')\" = 4 ] && diff '$WORK/cache.before' '$WORK/cache.after'"
results first >"$WORK/first.res"
results second >"$WORK/second.res"
results cold >"$WORK/cold.res"
cat "$WORK/cold.res"
check "both devices PASS, cold" [ "$(grep -c '|PASS|' "$WORK/cold.res")" = 2 ]
check "restored = cold: verdict, reason, MAP_SYNC errno, DAX, guest kernel (snapshot taken)" cmp "$WORK/first.res" "$WORK/cold.res"
check "restored = cold: verdict, reason, MAP_SYNC errno, DAX, guest kernel (restored: the running guest's)" \
	cmp "$WORK/second.res" "$WORK/cold.res"

# A corrupt stream of the same size: QEMU refuses it, the harness drops it,
# says so once and boots cold (then takes a good one).
vp=$(grep -l 'virtio-pmem-pci' "$snaps"/*.json)
vp=${vp%.json}.snap
size=$(stat -c %s "$vp")
head -c "$size" /dev/urandom >"$vp.new" && mv "$vp.new" "$vp"
run_mapsync corrupt
check "corrupt snapshot: run exits 0" [ "$(cat "$WORK/corrupt.rc")" = 0 ]
check "corrupt snapshot: said once" [ "$(grep -c 'could not be restored' "$WORK/corrupt.err")" = 1 ]
outcomes corrupt >"$WORK/corrupt.res"
check "corrupt snapshot: the virtio-pmem guest booted cold, took a new one, PASS" \
	grep -q '^mapsync:virtio-pmem:ext4|PASS|.*|restored, snapshot taken (restore failed' "$WORK/corrupt.res"
check "corrupt snapshot: the nvdimm guest still restored, PASS" \
	grep -q '^mapsync:nvdimm:ext4|PASS|.*|restored|' "$WORK/corrupt.res"
run_mapsync after
check "after the corrupt one: every guest restored again (got $(kinds after))" [ "$(kinds after)" = "restored;" ]

# The key is the kernel's bytes, not its inode or mtime: a copy (cp, not a
# link) restores the same snapshots.
orig=$ROOT/build/guest/default
rm "$img/vmlinux" && cp "$orig/vmlinux" "$img/vmlinux"
check "the kernel copied: the same bytes, another inode and mtime" \
	sh -c "cmp -s '$orig/vmlinux' '$img/vmlinux' && [ \"\$(stat -L -c '%i %.9Y' '$orig/vmlinux')\" != \"\$(stat -c '%i %.9Y' '$img/vmlinux')\" ]"
run_mapsync copied
check "the kernel copied: every guest restored (got $(kinds copied))" [ "$(kinds copied)" = "restored;" ]

# ... and the initramfs's bytes are in it: zeros appended (the kernel skips
# zeros between and after cpio archives, so the guest boots the same) make
# another key, and the guest boots cold from it and takes a new snapshot.
# One device is enough: it proves the key, and a cold boot is the slow part.
rm "$img/initramfs.cpio" && cp "$orig/initramfs.cpio" "$img/initramfs.cpio"
head -c 4096 /dev/zero >>"$img/initramfs.cpio"
run_mapsync padded --filter 'mapsync:nvdimm:ext4'
outcomes padded >"$WORK/padded.res"
cat "$WORK/padded.res"
check "the initramfs padded with zeros: a new snapshot taken, the guest boots from it, PASS" \
	grep -q '^mapsync:nvdimm:ext4|PASS|.*|restored, snapshot taken|' "$WORK/padded.res"
check "no stream left half-written" sh -c "! ls '$snaps' | grep -q tmp"
check "no QEMU left" no_qemu_left
done_testing
