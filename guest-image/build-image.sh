#!/bin/bash
# build-image.sh --out DIR --agent PATH [--kernel PATH --modules DIR]
#                [--compress none|gzip|lz4|zstd] [--with-fio]
#
# Build the pmtorture guest image:
#   DIR/vmlinux            kernel for QEMU PVH direct boot (ELF with a PVH note), or
#   DIR/bzImage            when a developer's bzImage has no extractable PVH vmlinux
#   DIR/kernel.file        the name of the kernel file above ("vmlinux" or "bzImage")
#   DIR/initramfs.cpio     busybox, tools, modules, /init and the agent (newc cpio)
#   DIR/fio.cpio           fio and the libraries initramfs.cpio lacks (~80 MB)
#   DIR/initramfs-fio.cpio initramfs.cpio + fio.cpio, concatenated: the kernel
#                          unpacks concatenated archives as one initramfs; only
#                          the fio_verify workload boots it (unpacking costs time)
#   DIR/kernel.release     the kernel version
#   DIR/modules.order.txt  the module load order used by /init
#   DIR/builtin.txt        the modules of modules.list built into the kernel
#   DIR/manifest.txt       the inputs and their sha256, the options
#   DIR/.stamp             hash of the inputs, written last; nothing is rebuilt
#                          while the inputs hash the same
#
# Without --kernel, the Debian kernel fetched by fetch-kernel.sh into
# build/kernel/ is used.  --kernel PATH (bzImage or vmlinux) and --modules DIR
# (a lib/modules/VERSION tree, or its parent) select a developer's own kernel.
set -euo pipefail

prog=pmtorture
die() { echo "$prog: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

out="" agent="" kernel="" moddir="" compress=none with_fio=0
usage() {
	echo "usage: build-image.sh --out DIR --agent PATH [--kernel PATH --modules DIR]" \
		"[--compress none|gzip|lz4|zstd] [--with-fio]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:-}; shift 2 || usage ;;
	--agent) agent=${2:-}; shift 2 || usage ;;
	--kernel) kernel=${2:-}; shift 2 || usage ;;
	--modules) moddir=${2:-}; shift 2 || usage ;;
	--compress) compress=${2:-}; shift 2 || usage ;;
	--with-fio) with_fio=1; shift ;;
	-h|--help) usage ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
{ [ -n "$out" ] && [ -n "$agent" ]; } || usage
case $compress in none|gzip|lz4|zstd) ;; *) die "--compress must be none, gzip, lz4 or zstd" ;; esac
if [ -n "$kernel" ] && [ -z "$moddir" ]; then
	die "--kernel needs --modules DIR (the kernel's lib/modules/VERSION tree)"
fi
if [ -z "$kernel" ] && [ -n "$moddir" ]; then
	die "--modules needs --kernel PATH"
fi

for tool in cpio depmod sha256sum ldd od find sort awk; do
	command -v "$tool" >/dev/null 2>&1 || die "missing host tool '$tool'"
done
{ [ -f "$agent" ] && [ -r "$agent" ]; } || die "agent binary '$agent' is missing or unreadable (make agent)"
agent=$(cd "$(dirname "$agent")" && pwd)/$(basename "$agent")

mkdir -p "$out"
out=$(cd "$out" && pwd)

# ---------------------------------------------------------------- the kernel
config=""
if [ -z "$kernel" ]; then
	kcache=${PMTORTURE_KERNEL_CACHE:-$repo/build/kernel}
	"$here/fetch-kernel.sh" "$kcache"
	release=$(cat "$kcache/kernel.release")
	kernel=$kcache/vmlinux
	moddir=$kcache/root/lib/modules/$release
	[ -r "$kcache/root/boot/config-$release" ] && config=$kcache/root/boot/config-$release
fi

[ -e "$kernel" ] || die "kernel file '$kernel' does not exist"
{ [ -f "$kernel" ] && [ -r "$kernel" ]; } || die "kernel file '$kernel' is not a readable file"
kernel=$(cd "$(dirname "$kernel")" && pwd)/$(basename "$kernel")

hexat() { # FILE OFFSET COUNT -> hex string
	od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}
ktype=""
if [ "$(hexat "$kernel" 0 4)" = "7f454c46" ]; then
	ktype=elf
elif [ "$(hexat "$kernel" 514 4)" = "48647253" ]; then	# "HdrS" at 0x202
	ktype=bzimage
else
	die "kernel file '$kernel' is neither a vmlinux (ELF) nor a bzImage"
fi

# The version string inside the kernel image.
kimage_version() {
	local f=$1
	if [ "$ktype" = bzimage ]; then
		local rel
		rel=$(od -An -tu2 -j 526 -N 2 "$f" | tr -d ' ')	# kernel_version at 0x20e
		[ -n "$rel" ] && [ "$rel" -gt 0 ] || return 0
		dd if="$f" bs=1 skip=$((rel + 512)) count=200 2>/dev/null |
			tr '\0' '\n' | head -n 1 | awk '{print $1}'
	else
		LC_ALL=C grep -a -o -m 1 'Linux version [^ ]*' "$f" | head -n 1 | awk '{print $3}'
	fi
}
kversion=$(kimage_version "$kernel" || true)

# ---------------------------------------------------------------- the modules
[ -d "$moddir" ] || die "modules directory '$moddir' does not exist"
moddir=$(cd "$moddir" && pwd)
is_modtree() { [ -e "$1/modules.dep" ] || [ -e "$1/modules.builtin" ] || [ -d "$1/kernel" ]; }
if ! is_modtree "$moddir"; then
	# the parent of lib/modules/VERSION trees: pick the kernel's version
	if [ -n "$kversion" ] && is_modtree "$moddir/$kversion"; then
		moddir=$moddir/$kversion
	else
		cands=()
		for d in "$moddir"/*/; do
			is_modtree "${d%/}" && cands+=("${d%/}")
		done
		[ "${#cands[@]}" -eq 1 ] ||
			die "'$moddir' is not a lib/modules/VERSION tree and has ${#cands[@]} candidates in it"
		moddir=${cands[0]}
	fi
fi
release=$(basename "$moddir")
if [ -n "$kversion" ] && [ "$kversion" != "$release" ]; then
	die "kernel '$kernel' is version $kversion but the modules in '$moddir' are for $release"
fi

# modules.dep: the tree's own, or one made by depmod in a private copy
depdir=$moddir
if [ ! -s "$moddir/modules.dep" ]; then
	dbase=$out/.depmod
	depdir=$dbase/lib/modules/$release
	# reuse our earlier depmod while nothing in the tree is newer
	if [ ! -s "$depdir/modules.dep" ] ||
		[ -n "$(find "$moddir" -newer "$depdir/modules.dep" -print -quit)" ]; then
		note "no modules.dep in $moddir: running depmod on a private copy"
		rm -rf "$dbase"
		mkdir -p "$dbase/lib/modules"
		cp -rs "$moddir" "$depdir"
		rm -f "$depdir"/modules.*
		for f in modules.builtin modules.builtin.modinfo modules.order; do
			if [ -e "$moddir/$f" ]; then cp "$moddir/$f" "$depdir/$f"; fi
		done
		depmod_err=$(depmod -b "$dbase" "$release" 2>&1) ||
			die "depmod failed for $moddir: $depmod_err"
	fi
fi

# kernel config: Debian's boot/config-*, or the tree's build/.config or config
if [ -z "$config" ]; then
	for c in "$moddir/build/.config" "$moddir/config" "$moddir/source/.config" \
		"$(dirname "$kernel")/.config" "$(dirname "$kernel")/config-$release"; do
		if [ -r "$c" ]; then config=$c; break; fi
	done
fi
if [ -n "$config" ]; then
	for opt in CONFIG_FS_DAX CONFIG_MEMORY_FAILURE; do
		grep -q "^$opt=y" "$config" ||
			die "kernel $release lacks $opt=y (config $config)"
	done
else
	note "no kernel config found for $release: not checking CONFIG_FS_DAX/CONFIG_MEMORY_FAILURE"
fi

# ------------------------------------------------------- module load order
# norm NAME: the module name with '-' as '_'
declare -A DEP=() PATHOF=() BUILTIN=() SEEN=()
while IFS= read -r line; do
	key=${line%%:*}
	name=${key##*/}; name=${name%%.ko*}; name=${name//-/_}
	PATHOF[$name]=$key
	DEP[$name]=${line#*:}
done <"$depdir/modules.dep"
if [ -r "$moddir/modules.builtin" ]; then
	while IFS= read -r line; do
		name=${line##*/}; name=${name%%.ko*}; name=${name//-/_}
		BUILTIN[$name]=1
	done <"$moddir/modules.builtin"
fi

order=()
builtin=()	# the modules of modules.list built into this kernel: DIR/builtin.txt
visit() { # PATH-in-modules.dep
	local key=$1 name d
	name=${key##*/}; name=${name%%.ko*}; name=${name//-/_}
	[ -z "${SEEN[$name]:-}" ] || return 0
	SEEN[$name]=1
	for d in ${DEP[$name]:-}; do
		visit "$d"
	done
	order+=("$key")
}
while read -r mname mconfig mflag _; do
	case $mname in ''|'#'*) continue ;; esac
	n=${mname//-/_}
	if [ -n "${PATHOF[$n]:-}" ]; then
		visit "${PATHOF[$n]}"
	elif [ -n "${BUILTIN[$n]:-}" ]; then
		builtin+=("$n")
		continue
	elif [ "${mflag:-}" = optional ]; then
		note "kernel $release has no module $mname (${mconfig:-?}): optional, skipped"
	else
		die "kernel $release lacks module $mname (${mconfig:-?})"
	fi
done <"$here/modules.list"

# ------------------------------------------------------- tools for the guest
tools_req=(mke2fs mkfs.ext4 e2fsck mkfs.xfs xfs_repair xfs_io ndctl)
tools_opt=(dumpe2fs tune2fs debugfs xfs_db daxctl)
[ "$with_fio" = 1 ] && tools_req+=(fio)
tpath=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
declare -A TOOL=()
for t in "${tools_req[@]}" "${tools_opt[@]}"; do
	p=$(PATH=$tpath command -v "$t" 2>/dev/null || true)
	if [ -z "$p" ]; then
		for r in "${tools_req[@]}"; do
			[ "$r" = "$t" ] && die "host tool '$t' for the guest is not installed"
		done
		continue
	fi
	TOOL[$t]=$p
done
busybox=$(PATH=$tpath command -v busybox || true)
[ -n "$busybox" ] || die "busybox is not installed (busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked: install busybox-static"

# fio for the separate fio.cpio: optional, a host without it gets no fio.cpio
# (the fio_verify workload then says fio is not in its initramfs).
fio=$(PATH=$tpath command -v fio 2>/dev/null || true)
[ -n "$fio" ] || note "fio is not installed on the host: no fio.cpio (install-deps.sh installs it)"

# Shared libraries (and the loader) of every tool, as real paths.
declare -A LIBS=()
for t in "${!TOOL[@]}"; do
	while read -r lib; do
		[ -n "$lib" ] && LIBS[$lib]=1
	done < <(ldd "${TOOL[$t]}" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
done
# a dynamically linked agent gets its libraries too (it should be static)
if ldd "$agent" >/dev/null 2>&1; then
	note "warning: agent $agent is dynamically linked; copying its libraries"
	while read -r lib; do
		[ -n "$lib" ] && LIBS[$lib]=1
	done < <(ldd "$agent" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
fi
# fio's libraries that initramfs.cpio does not already hold
declare -A FIOLIBS=()
if [ -n "$fio" ]; then
	while read -r lib; do
		[ -n "$lib" ] && [ -z "${LIBS[$lib]:-}" ] && FIOLIBS[$lib]=1
	done < <(ldd "$fio" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
fi
etc_files=()
for f in /etc/mke2fs.conf /etc/e2fsck.conf; do
	[ -r "$f" ] && etc_files+=("$f")
done

# ------------------------------------------------------- inputs and cache
manifest_inputs() {
	local f t
	printf 'option compress=%s with_fio=%s release=%s ktype=%s\n' \
		"$compress" "$with_fio" "$release" "$ktype"
	for f in "$here/build-image.sh" "$here/init" "$here/pmem-attach" "$here/modules.list" "$agent" \
		"$kernel" "$depdir/modules.dep" "$busybox"; do
		sha256sum "$f"
	done
	[ -e "$moddir/modules.builtin" ] && sha256sum "$moddir/modules.builtin"
	[ -n "$config" ] && sha256sum "$config"
	for f in "${order[@]}"; do
		sha256sum "$moddir/$f"
	done
	for t in $(printf '%s\n' "${!TOOL[@]}" | sort); do
		printf 'tool %s %s\n' "$t" "$(sha256sum <"${TOOL[$t]}" | cut -d' ' -f1)"
	done
	for f in $(printf '%s\n' "${!LIBS[@]}" | sort) "${etc_files[@]}"; do
		sha256sum "$f"
	done
	if [ -n "$fio" ]; then
		printf 'fio %s %s\n' "$fio" "$(sha256sum <"$fio" | cut -d' ' -f1)"
		for f in $(printf '%s\n' "${!FIOLIBS[@]}" | sort); do
			sha256sum "$f"
		done
	fi
}
inputs=$(manifest_inputs)
# The cache key is the inputs' bytes, not where they sit: a second checkout
# (a git worktree) whose agent and scripts are byte for byte the same uses
# the same image instead of rebuilding it under the feet of the first.
hash=$(printf '%s\n' "$inputs" | sed -E 's#^([0-9a-f]{64})  .*/#\1  #' | sha256sum | cut -d' ' -f1)
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$hash" ]; then
	exit 0
fi
# One builder at a time per image folder: two runs that start together
# would share $out/.new and swap files under each other (seen: "fio.cpio:
# No such file or directory").  The second waits, then finds it built.
exec 9>"$out/.lock"
flock 9
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$hash" ]; then
	exit 0
fi
rm -f "$out/.stamp"
note "building guest image in $out (kernel $release)"

# ------------------------------------------------------- the initramfs tree
stage=$(mktemp -d "${TMPDIR:-/tmp}/pmtorture-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 etc/pmtorture proc sys dev tmp run mnt root \
	"lib/modules/$release"
chmod 1777 tmp

cp "$busybox" bin/busybox
chmod 0755 bin/busybox
while read -r applet; do
	[ -n "$applet" ] || continue
	[ -e "$applet" ] || [ -L "$applet" ] && continue
	ln -s /bin/busybox "$applet"
done < <("$busybox" --list-full)

# copy FILE into the tree at its own path (resolving symlinks)
copy_real() {
	local src=$1 dst=${2:-$1}
	mkdir -p "./$(dirname "$dst")"
	cp -L "$src" "./$dst"
}
for t in "${!TOOL[@]}"; do
	real=$(readlink -f "${TOOL[$t]}")
	case ${TOOL[$t]} in */sbin/*) dir=usr/sbin ;; *) dir=usr/bin ;; esac
	# a real tool replaces the busybox applet of the same name, wherever it is
	rm -f "bin/$t" "sbin/$t" "usr/bin/$t" "usr/sbin/$t"
	if [ "$(basename "$real")" != "$t" ]; then
		b=$(basename "$real")
		rm -f "bin/$b" "sbin/$b" "usr/bin/$b" "usr/sbin/$b"
		[ -e "$dir/$b" ] || cp -L "$real" "$dir/$b"
		ln -s "$b" "$dir/$t"
	else
		cp -L "$real" "$dir/$t"
	fi
done
for lib in "${!LIBS[@]}"; do
	copy_real "$lib"
done
for f in "${etc_files[@]}"; do
	copy_real "$f"
done
for d in /etc/ndctl.conf.d /etc/ndctl; do
	[ -d "$d" ] && mkdir -p ".$d" && cp -a "$d/." ".$d/"
done
cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
cat >etc/group <<'EOF'
root:x:0:
EOF
ln -s /proc/mounts etc/mtab

# modules, uncompressed (busybox insmod cannot read .ko.xz/.ko.zst)
: >etc/pmtorture/modules.order
for f in "${order[@]}"; do
	src=$moddir/$f
	dst=lib/modules/$release/${f%.ko*}.ko
	mkdir -p "$(dirname "$dst")"
	case $f in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) die "unknown module file type: $src" ;;
	esac
	echo "${f%.ko*}.ko" >>etc/pmtorture/modules.order
done
for f in modules.builtin modules.builtin.modinfo; do
	[ -r "$moddir/$f" ] && cp "$moddir/$f" "lib/modules/$release/$f"
done
depmod -b "$stage" "$release" >/dev/null 2>&1 || note "warning: depmod of the initramfs tree failed"

install -m 0755 "$here/init" init
install -m 0755 "$agent" sbin/pmtorture-agent
install -m 0755 "$here/pmem-attach" sbin/pmtorture-pmem
echo "$release" >etc/pmtorture/kernel.release

if [ "$(id -u)" = 0 ]; then
	mknod -m 0600 dev/console c 5 1
	mknod -m 0666 dev/null c 1 3
else
	note "not root: no /dev/console in the initramfs (the kernel warns once; /init mounts devtmpfs)"
fi

# ------------------------------------------------------- outputs
tmpout=$out/.new
rm -rf "$tmpout"
mkdir -p "$tmpout"
case $compress in
none) comp=(cat) ;;
gzip) comp=(gzip -6 -n) ;;
lz4) comp=(lz4 -l -9 -q) ;;
zstd) comp=(zstd -q -19 -T0) ;;
esac
find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet | "${comp[@]}" >"$tmpout/initramfs.cpio"

# fio.cpio: its own tree, with the parent directories, because the kernel's
# unpacker does not create missing parents of a file.
rm -f "$out/fio.cpio" "$out/initramfs-fio.cpio"
if [ -n "$fio" ]; then
	fstage=$stage.fio
	trap 'rm -rf "$stage" "$fstage"' EXIT
	mkdir -p "$fstage/usr/bin"
	cd "$fstage"
	[ -n "${TOOL[fio]:-}" ] || cp -L "$fio" usr/bin/fio
	for lib in "${!FIOLIBS[@]}"; do
		copy_real "$lib"
	done
	find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet | "${comp[@]}" >"$tmpout/fio.cpio"
	cd "$stage"
	cat "$tmpout/initramfs.cpio" "$tmpout/fio.cpio" >"$tmpout/initramfs-fio.cpio"
fi

rm -f "$out/vmlinux" "$out/bzImage"
if [ "$ktype" = elf ]; then
	kfile=vmlinux
	cp "$kernel" "$tmpout/vmlinux"
else
	kfile=bzImage
	cp "$kernel" "$tmpout/bzImage"
	# a PVH vmlinux boots faster: extract it when the bzImage holds one
	vm=$tmpout/vmlinux
	for magic in '\xfd7zXZ\x00' '\x1f\x8b\x08' '\x28\xb5\x2f\xfd' '\x02\x21\x4c\x18'; do
		while read -r off; do
			[ -n "$off" ] || continue
			case $magic in
			*7zXZ*) dc=(xz -dc) ;; *x8b*) dc=(gzip -dc) ;;
			*xb5*) dc=(zstd -qdc) ;; *) dc=(lz4 -dc) ;;
			esac
			tail -c "+$((off + 1))" "$kernel" | "${dc[@]}" >"$vm" 2>/dev/null || true
			if [ "$(hexat "$vm" 0 4 2>/dev/null)" = "7f454c46" ] &&
				readelf -n "$vm" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
				kfile=vmlinux
				break 2
			fi
		done < <(LC_ALL=C grep -obUaP "$magic" "$kernel" | cut -d: -f1 | head -n 8)
	done
	if [ "$kfile" = bzImage ]; then
		rm -f "$vm"
		note "no PVH vmlinux in $kernel: the guest boots the bzImage (slower under TCG)"
	fi
fi
if [ "$ktype" = elf ] && command -v readelf >/dev/null 2>&1 &&
	! readelf -n "$tmpout/vmlinux" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
	die "kernel '$kernel' is an ELF vmlinux without a PVH note (CONFIG_PVH): QEMU cannot boot it; give the bzImage"
fi
echo "$kfile" >"$tmpout/kernel.file"
echo "$release" >"$tmpout/kernel.release"
printf '%s\n' "${order[@]}" >"$tmpout/modules.order.txt"
# A built-in pmem driver reads its device at boot, before a snapshot could
# leave it out: the harness boots such guests cold (harness/vm/image.h).
printf '%s\n' "${builtin[@]}" | sed '/^$/d' >"$tmpout/builtin.txt"
{
	echo "# pmtorture guest image manifest"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel $kernel ($ktype, boot file $kfile)"
	echo "modules $moddir"
	echo "config ${config:-none}"
	echo "agent $agent"
	echo "initramfs initramfs.cpio compress=$compress size=$(stat -c %s "$tmpout/initramfs.cpio")"
	[ -z "$fio" ] || echo "initramfs fio.cpio size=$(stat -c %s "$tmpout/fio.cpio")"
	echo "inputs-hash $hash"
	echo "# inputs: sha256  path"
	printf '%s\n' "$inputs"
} >"$tmpout/manifest.txt"

for f in "$tmpout"/* ; do
	mv -f "$f" "$out/"
done
rmdir "$tmpout"
echo "$hash" >"$out/.stamp"
note "guest image ready: $out/$kfile $out/initramfs.cpio ($(du -h "$out/initramfs.cpio" | cut -f1))"
[ -z "$fio" ] || note "fio initramfs ready: $out/initramfs-fio.cpio ($(du -h "$out/initramfs-fio.cpio" | cut -f1))"
