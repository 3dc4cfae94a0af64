#!/usr/bin/env bash
# The power-cut shim, first driven by a small program standing in for QEMU
# (the epoch log, the flush counter, the drop modes; PMT_SHIM_TEST_LOCAL_ONLY=1
# stops there), then inside a real QEMU: guest flushes reach the shim as
# fsync() of the backing file and update the durable image (honest), a lying
# flush records nothing, a failing host flush gives the guest EIO, and a kill
# in the middle of a flush leaves durable.img whole (the torn journal is
# discarded by recovery).  The two dirty-page trackers (PMT_SHIM_TRACK=uffd,
# the default, and compare) run the same guest sequence and must leave
# byte-identical durable images; uffd must really be in use on this host.
# QEMU is driven directly, with LD_PRELOAD and the agent protocol
# (harness/proto/agent_proto.h) over a unix socket; python3 is glue.
. "$ROOT/tests/integration/lib.sh"

SHIM=$ROOT/build/lib/pmtorture-shim.so
IMG=$ROOT/build/guest/default
make -s -C "$ROOT" shim >/dev/null
[ -f "$SHIM" ] || { echo "not ok - missing $SHIM (make shim)"; exit 1; }
cd "$WORK" || exit 1

# ---- Without QEMU: the epoch log, the flush counter and the drop modes ----
# A small program stands in for QEMU: it maps the backing file MAP_SHARED,
# stores into it and fsyncs it, as QEMU's virtio-pmem does.  Steps:
#   w:P:C  fill page P of the mapping with byte C     f  fsync the file
#   d:P    print byte 0 of page P of durable.img      s:F  copy durable.img to F
#   m:TEXT write TEXT to DIR/mode ('_' for spaces)
# After each fsync it prints its result and DIR/flushed, read right away.
cat >shimprog.c <<'PROG'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[4096], buf[1 << 16];
	struct stat st;
	unsigned char *m;
	int fd;

	if (argc < 3)
		return 2;
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0)
		return 2;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 2;
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == 'w') {
			unsigned long p = strtoul(a + 2, NULL, 10);

			memset(m + p * 4096, strchr(a + 2, ':')[1], 4096);
		} else if (a[0] == 'f') {
			uint64_t c = 0;
			int r = fsync(fd), cfd;

			snprintf(path, sizeof(path), "%s/flushed", argv[2]);
			cfd = open(path, O_RDONLY);
			if (cfd < 0 || pread(cfd, &c, 8, 0) != 8)
				c = (uint64_t)-1;
			if (cfd >= 0)
				close(cfd);
			printf("f rc=%d counter=%llu\n", r, (unsigned long long)c);
		} else if (a[0] == 'd') {
			unsigned long p = strtoul(a + 2, NULL, 10);
			unsigned char b = 0;
			int dfd;

			snprintf(path, sizeof(path), "%s/durable.img", argv[2]);
			dfd = open(path, O_RDONLY);
			if (dfd < 0 || pread(dfd, &b, 1, (off_t)(p * 4096)) != 1)
				return 3;
			close(dfd);
			printf("d %lu=%c\n", p, b ? b : '0');
		} else if (a[0] == 's') {
			int in, out;
			ssize_t n;

			snprintf(path, sizeof(path), "%s/durable.img", argv[2]);
			in = open(path, O_RDONLY);
			out = open(a + 2, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (in < 0 || out < 0)
				return 3;
			while ((n = read(in, buf, sizeof(buf))) > 0)
				if (write(out, buf, (size_t)n) != n)
					return 3;
			close(in);
			close(out);
		} else if (a[0] == 'm') {
			FILE *f;

			snprintf(path, sizeof(path), "%s/mode", argv[2]);
			f = fopen(path, "w");
			if (!f)
				return 3;
			for (const char *c = a + 2; *c; c++)
				fputc(*c == '_' ? ' ' : *c, f);
			fputc('\n', f);
			fclose(f);
		}
	}
	fflush(stdout);
	return 0;
}
PROG
cc -O1 -o shimprog shimprog.c || { echo "not ok - cannot build shimprog"; exit 1; }

# An independent reader of the formats in durable.h: every epoch file is a
# whole journal whose commit seq is its name; base.img + the epochs with
# seq <= n, in seq order, equals each snapshot snapN (durable.img right
# after flush n) and, with all of them, durable.img; and the sum of
# epoch_bytes in flushes.jsonl is the size of the log.  Prints the epochs.
cat >epochs.py <<'PY'
import json, os, struct, sys
d = sys.argv[1]
ed = d + "/epochs"
eps = {}
for name in os.listdir(ed) if os.path.isdir(ed) else []:
    b = open(ed + "/" + name, "rb").read()
    magic, ver, psz, size = struct.unpack_from("<8sIIQ", b, 0)
    assert magic == b"PMTJRNL1" and ver == 1 and psz == 4096, name
    assert (len(b) - 24 - 32) % 4104 == 0, name
    n = (len(b) - 24 - 32) // 4104
    cm, npages, _sum, seq = struct.unpack_from("<8sQQQ", b, len(b) - 32)
    assert cm == b"PMTCOMMT" and npages == n and seq == int(name), (name, seq)
    eps[seq] = [(struct.unpack_from("<Q", b, 24 + i * 4104)[0],
                 b[24 + i * 4104 + 8:24 + (i + 1) * 4104]) for i in range(n)]
img = bytearray(open(d + "/base.img", "rb").read())
last = max([0] + list(eps))
for n in range(1, last + 1):
    for page, data in eps.get(n, []):
        img[page * 4096:(page + 1) * 4096] = data
    if os.path.exists("snap%d" % n):
        assert img == open("snap%d" % n, "rb").read(), \
            "base + epochs <= %d != durable.img after flush %d" % (n, n)
assert img == open(d + "/durable.img", "rb").read(), "base + all epochs != durable.img"
log = [json.loads(l) for l in open(d + "/flushes.jsonl")]
total = sum(l.get("epoch_bytes", 0) for l in log)
files = sum(os.path.getsize(ed + "/" + f) for f in os.listdir(ed)) if os.path.isdir(ed) else 0
assert total == files, (total, files)
print(" ".join("%08d" % s for s in sorted(eps)))
PY

# run_prog NAME [ENV=VAL...] -- STEPS...: a fresh 4 MiB backing file whose
# page 0 is 'i' (so base.img is not zeros), then shimprog under the shim,
# in NAME/ with DIR NAME/dir.
run_prog() {
	local name=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	rm -rf "$name" && mkdir -p "$name" && (cd "$name" &&
		truncate -s 4M pmem.img && head -c 4096 /dev/zero | tr '\0' i |
		dd of=pmem.img conv=notrunc status=none &&
		env "${envs[@]}" LD_PRELOAD="$SHIM" PMT_SHIM_FILE="$PWD/pmem.img" \
			PMT_SHIM_DIR="$PWD/dir" ../shimprog pmem.img dir "$@" >out.txt 2>err.txt)
}
# field NAME KEY: that key of every flushes.jsonl line ("-" if absent)
field() { python3 -c 'import json,sys; print(" ".join(str(json.loads(l).get(sys.argv[2], "-")) for l in open(sys.argv[1])))' "$1/dir/flushes.jsonl" "$2"; }
# lines NAME PREFIX: the program's output lines starting with PREFIX, on one line
lines() { grep "^$2" "$1/out.txt" | tr '\n' ' '; }

for t in uffd compare; do
	n=epochs-$t
	run_prog $n PMT_SHIM_TRACK=$t -- w:1:a f s:snap1 w:2:b w:500:c f s:snap2 f s:snap3 \
		w:1:d f s:snap4
	check "$n: each fsync returns 0 and the counter already says its seq" \
		[ "$(lines $n f)" = "f rc=0 counter=1 f rc=0 counter=2 f rc=0 counter=3 f rc=0 counter=4 " ]
	check "$n: DIR/flushed is 8 bytes" [ "$(stat -c %s $n/dir/flushed)" = 8 ]
	check "$n: base.img is the file as the shim found it" \
		sh -c "[ \$(head -c 4096 $n/dir/base.img | tr -d i | wc -c) = 0 ] &&
		       [ \$(stat -c %s $n/dir/base.img) = 4194304 ] &&
		       cmp -s -i 4096 -n 4190208 $n/dir/base.img /dev/zero"
	check "$n: epochs 1, 2, 4 (flush 3 had no page), each valid; base + epochs <= n = durable.img after n" \
		[ "$(cd $n && python3 ../epochs.py dir 2>&1)" = "00000001 00000002 00000004" ]
	check "$n: epoch_bytes per flush" [ "$(field $n epoch_bytes)" = "4160 8264 0 4160" ]
	check "$n: no journal left" [ ! -e $n/dir/journal ]
	check "$n: durable.img is the file after the last flush" cmp -s $n/dir/durable.img $n/pmem.img
done
check "epochs-uffd: the flushes after the first used uffd" \
	[ "$(field epochs-uffd track)" = "compare uffd uffd uffd" ]
check "epochs: uffd and compare made the same epochs" diff -r epochs-uffd/dir/epochs epochs-compare/dir/epochs

# A shim loaded again on the same DIR goes on numbering from the counter.
(cd epochs-uffd && env LD_PRELOAD="$SHIM" PMT_SHIM_FILE="$PWD/pmem.img" PMT_SHIM_DIR="$PWD/dir" \
	../shimprog pmem.img dir w:7:z f >out2.txt 2>err2.txt)
check "restart on the same DIR: the next flush is seq 5, and so is its epoch" sh -c \
	"grep -q 'counter=5' epochs-uffd/out2.txt && [ -e epochs-uffd/dir/epochs/00000005 ] &&
	 [ \"\$(cd epochs-uffd && python3 ../epochs.py dir)\" = '00000001 00000002 00000004 00000005' ]"

# drop every=2 from=3 from DIR/mode: flushes 3 and 5 are acknowledged, not
# recorded; the pages they left pending go with the next honest flush.
for t in uffd compare; do
	n=drop-every-$t
	run_prog $n PMT_SHIM_TRACK=$t -- m:drop_every=2_from=3 w:1:a f d:1 w:2:b f d:2 \
		w:3:c f d:3 f d:3 w:4:d f d:4 f d:4
	check "$n: dropped flushes return 0; the counter follows every flush" \
		[ "$(lines $n f)" = "f rc=0 counter=1 f rc=0 counter=2 f rc=0 counter=3 f rc=0 counter=4 f rc=0 counter=5 f rc=0 counter=6 " ]
	check "$n: flushes 3 and 5 dropped, in mode drop" sh -c \
		"[ '$(field $n action)' = 'recorded recorded dropped recorded dropped recorded' ] &&
		 [ '$(field $n mode)' = 'drop drop drop drop drop drop' ]"
	check "$n: a dropped flush leaves durable.img; the next honest one carries its pages" \
		[ "$(lines $n d)" = "d 1=a d 2=b d 3=0 d 3=c d 4=0 d 4=d " ]
	check "$n: no epoch for a dropped flush; base + epochs = durable.img" \
		[ "$(cd $n && python3 ../epochs.py dir 2>&1)" = "00000001 00000002 00000004 00000006" ]
	check "$n: epoch_bytes on recorded flushes only" [ "$(field $n epoch_bytes)" = "4160 4160 - 4160 - 4160" ]
done
check "drop-every-uffd: uffd stayed in use across dropped flushes" \
	[ "$(field drop-every-uffd track)" = "compare uffd uffd uffd uffd uffd" ]

# drop burst=2 from=2 from the environment, then honest.
n=drop-burst-env
run_prog $n PMT_SHIM_MODE=drop PMT_SHIM_DROP_BURST=2 PMT_SHIM_DROP_FROM=2 -- \
	w:1:a f w:2:b f d:2 w:3:c f d:3 f d:2 d:3 w:5:e f d:5
check "$n: flushes 2 and 3 dropped, honest after the burst" \
	[ "$(field $n action)" = "recorded dropped dropped recorded recorded" ]
check "$n: durable.img follows the honest flushes only" \
	[ "$(lines $n d)" = "d 2=0 d 3=0 d 2=b d 3=c d 5=e " ]
check "$n: the counter follows every flush" \
	[ "$(lines $n f)" = "f rc=0 counter=1 f rc=0 counter=2 f rc=0 counter=3 f rc=0 counter=4 f rc=0 counter=5 " ]
check "$n: base + epochs = durable.img" [ "$(cd $n && python3 ../epochs.py dir 2>&1)" = "00000001 00000004 00000005" ]

# Bad drop values: one line, everything passes through.
for bad in "PMT_SHIM_DROP_EVERY=0" "PMT_SHIM_DROP_EVERY=2 PMT_SHIM_DROP_BURST=2" \
	   "PMT_SHIM_DROP_EVERY=x" "PMT_SHIM_DROP_EVERY=2 PMT_SHIM_DROP_FROM=0" ""; do
	# shellcheck disable=SC2086
	run_prog badenv PMT_SHIM_MODE=drop $bad -- w:1:a f
	check "bad drop env '$bad': one pmtorture-shim line, the program runs, no DIR" sh -c \
		"[ \$(wc -l <badenv/err.txt) -eq 1 ] && grep -q '^pmtorture-shim: ' badenv/err.txt &&
		 grep -q 'rc=0' badenv/out.txt && [ ! -e badenv/dir ]"
done
n=badmode
run_prog $n -- w:1:a f m:drop_every=zz w:2:b f f
check "$n: a bad drop line in DIR/mode: one line, later flushes pass through unlogged" sh -c \
	"[ \$(wc -l <$n/err.txt) -eq 1 ] && grep -q '^pmtorture-shim: .*mode' $n/err.txt &&
	 [ \$(wc -l <$n/dir/flushes.jsonl) -eq 1 ] &&
	 [ \"\$(grep '^f' $n/out.txt | tr '\n' ' ')\" = 'f rc=0 counter=1 f rc=0 counter=1 f rc=0 counter=1 ' ]"

if [ "${PMT_SHIM_TEST_LOCAL_ONLY:-0}" = 1 ]; then
	echo "# PMT_SHIM_TEST_LOCAL_ONLY=1: the QEMU part is skipped"
	done_testing
fi

# ---- With QEMU ----
for f in "$IMG/vmlinux" "$IMG/initramfs.cpio"; do
	[ -f "$f" ] || { echo "not ok - missing $f (make all image)"; exit 1; }
done

cat >vm.py <<'EOF'
# vm.py NAME MODE [KEY=VAL...]: boot a guest with the shim, run the steps of
# scenario NAME, write NAME/result.json, and leave QEMU dead.
import json, os, signal, socket, subprocess, sys, time

root, img, shim = os.environ["ROOT"], os.environ["IMG"], os.environ["SHIM"]
name, mode = sys.argv[1], sys.argv[2]
extra = dict(a.split("=", 1) for a in sys.argv[3:])
d = os.path.abspath(name)
os.makedirs(d, exist_ok=True)
backing, ddir = d + "/pmem0.img", d + "/durable"
SIZE = 64 << 20
with open(backing, "wb") as f:
    f.truncate(SIZE)

sock_path = d + "/agent.sock"
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
env = dict(os.environ, LD_PRELOAD=shim, PMT_SHIM_FILE=backing, PMT_SHIM_DIR=ddir,
           PMT_SHIM_MODE=mode, **extra)
argv = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
        "-no-reboot", "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "1",
        "-m", "512M,slots=4,maxmem=8704M", "-kernel", img + "/vmlinux",
        "-initrd", img + "/initramfs.cpio", "-append", "console=ttyS0 panic=-1 quiet",
        "-chardev", "file,id=con,path=%s/console.log" % d, "-serial", "chardev:con",
        "-device", "virtio-serial-pci,id=vser0",
        "-chardev", "socket,id=agent,path=" + sock_path,
        "-device", "virtserialport,bus=vser0.0,chardev=agent,name=org.pmtorture.agent",
        "-object", "memory-backend-file,id=mem0,share=on,mem-path=%s,size=%d" % (backing, SIZE),
        "-device", "virtio-pmem-pci,memdev=mem0,id=pmem0"]
qlog = open(d + "/qemu.log", "w")

def die_with_parent():
    # QEMU dies with this script, as the harness's own QEMUs do: a test that
    # times out (run.sh kills its process group) leaves no QEMU behind, even
    # though QEMU sits in a session of its own.
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

q = subprocess.Popen(argv, env=env, stdout=qlog, stderr=subprocess.STDOUT,
                     start_new_session=True, preexec_fn=die_with_parent)
res = {"qemu_pid": q.pid}
alog = open(d + "/agent.log", "w")

def kill():
    if q.poll() is None:
        os.killpg(q.pid, signal.SIGKILL)
    q.wait()

def finish(code=0):
    kill()
    json.dump(res, open(d + "/result.json", "w"), indent=1)
    sys.exit(code)

srv.settimeout(30)
try:
    conn, _ = srv.accept()
except socket.timeout:
    res["error"] = "QEMU never connected"
    finish(1)
os.unlink(sock_path)
buf = b""
nid = 0

def readline(deadline):
    global buf
    while b"\n" not in buf:
        conn.settimeout(max(0.05, deadline - time.time()))
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError("agent closed")
        buf += chunk
    line, buf = buf.split(b"\n", 1)
    alog.write("<- %s\n" % line.decode(errors="replace"))
    return json.loads(line)

def send(cmd, **args):
    global nid
    nid += 1
    line = json.dumps({"id": nid, "cmd": cmd, "args": args})
    alog.write("-> %s\n" % line)
    conn.sendall(line.encode() + b"\n")
    return nid

def call(cmd, timeout=60, **args):
    i = send(cmd, **args)
    end = time.time() + timeout
    while True:
        m = readline(end)
        if m.get("id") == i:
            if not m["ok"]:
                raise RuntimeError("%s: %s" % (cmd, m["error"]))
            return m["result"]

def sh(script, timeout=60):
    r = call("exec", timeout, argv=["sh", "-c", script], timeout_ms=timeout * 1000)
    return r

def wait_file(p, timeout):
    end = time.time() + timeout
    while not os.path.exists(p):
        if time.time() > end or q.poll() is not None:
            return False
        time.sleep(0.02)
    return True

try:
    end = time.time() + 60
    while readline(end).get("event") != "ready":
        pass
    call("mark", name="shim-test")
    if name in ("honest", "lying"):
        call("mkfs", fs="ext4", dev="/dev/pmem0", opts=["-b", "4096"])
        call("mount", fs="ext4", dev="/dev/pmem0", dir="/mnt/pmem", opts="dax")
        res["write"] = sh("echo pmtorture-hello-durable > /mnt/pmem/f && sync")
    elif name == "failio":
        # A raw block-device fsync: the only flush, so flush 1 is the failing one.
        res["first"] = sh("dd if=/dev/zero of=/dev/pmem0 bs=4096 count=1 conv=fsync 2>&1; echo rc=$?")
        res["second"] = sh("dd if=/dev/zero of=/dev/pmem0 bs=4096 count=1 conv=fsync 2>&1; echo rc=$?")
        res["dmesg"] = call("dmesg", since="shim-test")["text"]
    elif name.startswith("equiv"):
        # Raw-device writes with fixed content, so both trackers see the same
        # bytes: buffered + fsync, O_DIRECT (straight into the mapping, made
        # durable by a later flush), zeros over holes, a page rewritten with
        # the same bytes, and a final flush that covers everything.
        res["seq"] = sh("""set -e
yes pmtorture-A | head -c 262144 >/tmp/a
yes pmtorture-B | head -c 32768 >/tmp/b
head -c 16384 /dev/zero >/tmp/z
w() { dd of=/dev/pmem0 bs=4096 conv=notrunc "$@" 2>/dev/null; }
w if=/tmp/a seek=0 conv=notrunc,fsync
w if=/tmp/b seek=1000 oflag=direct
w if=/tmp/z seek=5000 conv=notrunc,fsync
w if=/tmp/a count=1 seek=0 conv=notrunc,fsync
for i in 1 2 3 4 5 6 7 8; do w if=/tmp/b count=1 seek=$((i * 1500)) conv=notrunc,fsync; done
w if=/tmp/a seek=16000 oflag=direct
w if=/tmp/b count=2 seek=3000 oflag=direct
w if=/tmp/a count=1 seek=0 conv=notrunc,fsync
echo done""")
    elif name == "hold":
        # Raw-device flushes, so the numbers are known: flush 1 makes the
        # durable image non-zero, flush 2 (HOLD_AT) blocks after its first
        # journal record.  The durable image is then still the old one: keep
        # a copy, and kill QEMU there.
        res["first"] = sh("dd if=/dev/urandom of=/dev/pmem0 bs=4096 count=8 conv=fsync 2>&1; echo rc=$?")
        send("exec", argv=["sh", "-c", "dd if=/dev/urandom of=/dev/pmem0 bs=4096 count=8 seek=100 conv=fsync"],
             timeout_ms=60000)
        res["held"] = wait_file(ddir + "/held-mid", 40)
        if res["held"]:
            subprocess.run(["cp", "--sparse=always", ddir + "/durable.img", d + "/old.img"])
            res["journal_size"] = os.path.getsize(ddir + "/journal") if os.path.exists(ddir + "/journal") else -1
    kill()
except Exception as e:
    res["error"] = repr(e)
    finish(1)
finish(0)
EOF

export ROOT IMG SHIM
# is_zero FILE: every byte is zero.
is_zero() { cmp -s -n "$(stat -c %s "$1")" "$1" /dev/zero; }
jq_n() { python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)[sys.argv[2]] == sys.argv[3]))' "$@"; }

# Bad configuration: one line on stderr, QEMU runs unchanged.
LD_PRELOAD=$SHIM PMT_SHIM_FILE=$WORK/x PMT_SHIM_DIR=/proc/nonexistent/dir \
	qemu-system-x86_64 -version >badcfg.out 2>badcfg.err; rc=$?
check "unusable PMT_SHIM_DIR: QEMU still runs" [ $rc -eq 0 ]
check "unusable PMT_SHIM_DIR: one pmtorture-shim line" \
	sh -c "[ \$(wc -l <badcfg.err) -eq 1 ] && grep -q '^pmtorture-shim: ' badcfg.err"
LD_PRELOAD=$SHIM PMT_SHIM_FILE=$WORK/x PMT_SHIM_DIR=$WORK/d PMT_SHIM_MODE=bogus \
	qemu-system-x86_64 -version >/dev/null 2>badmode.err; rc=$?
check "bad PMT_SHIM_MODE: QEMU runs, one line" \
	sh -c "[ $rc -eq 0 ] && [ \$(wc -l <badmode.err) -eq 1 ]"

# Two guests at a time (TCG uses about one core each).
python3 vm.py equiv-uffd honest PMT_SHIM_TRACK=uffd >equiv-uffd.out 2>&1 &
p1=$!
python3 vm.py equiv-compare honest PMT_SHIM_TRACK=compare >equiv-compare.out 2>&1 &
p2=$!
wait $p1; r5=$?
wait $p2; r6=$?
python3 vm.py honest honest >honest.out 2>&1 &
p1=$!
python3 vm.py lying lying >lying.out 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
python3 vm.py failio fail-eio PMT_SHIM_FAIL_FROM=1 PMT_SHIM_FAIL_COUNT=1 >failio.out 2>&1 &
p1=$!
python3 vm.py hold hold PMT_SHIM_HOLD_AT=2 PMT_SHIM_HOLD_WHERE=mid >hold.out 2>&1 &
p2=$!
wait $p1; r3=$?
wait $p2; r4=$?

# uffd and compare: the same durable image
check "equiv: both guests ran (rc $r5, $r6)" sh -c "[ $r5 -eq 0 ] && [ $r6 -eq 0 ]"
for t in uffd compare; do
	check "equiv-$t: the guest sequence completed" \
		[ "$(json_get equiv-$t/result.json 'j["seq"]["output"].strip()')" = done ]
done
for t in uffd compare; do
	echo "# equiv-$t: $(jq_n equiv-$t/durable/flushes.jsonl action recorded) flushes recorded," \
		"tracks: $(python3 -c 'import json,sys,collections; print(dict(collections.Counter(json.loads(l)["track"] for l in open(sys.argv[1]))))' equiv-$t/durable/flushes.jsonl)," \
		"ms: $(python3 -c 'import json,sys; print([json.loads(l)["ms"] for l in open(sys.argv[1])])' equiv-$t/durable/flushes.jsonl)"
done
check "equiv: uffd is in use on this host (flushes say \"track\":\"uffd\")" \
	[ "$(jq_n equiv-uffd/durable/flushes.jsonl track uffd)" -gt 0 ]
check "equiv: uffd never fell back to compare" \
	sh -c "! grep -q 'using compare' equiv-uffd/qemu.log"
check "equiv: the compare run used compare only" \
	[ "$(jq_n equiv-compare/durable/flushes.jsonl track compare)" = "$(wc -l <equiv-compare/durable/flushes.jsonl)" ]
check "equiv: every flush recorded, in both runs" sh -c \
	"[ $(jq_n equiv-uffd/durable/flushes.jsonl action recorded) = \$(wc -l <equiv-uffd/durable/flushes.jsonl) ] &&
	 [ $(jq_n equiv-compare/durable/flushes.jsonl action recorded) = \$(wc -l <equiv-compare/durable/flushes.jsonl) ]"
check "equiv: the same pages recorded, flush by flush" python3 -c '
import json, sys
a, b = ([json.loads(l)["pages"] for l in open(f)] for f in sys.argv[1:])
assert a == b, (a, b)' equiv-uffd/durable/flushes.jsonl equiv-compare/durable/flushes.jsonl
check "equiv: durable images byte-identical (uffd vs compare)" \
	cmp equiv-uffd/durable/durable.img equiv-compare/durable/durable.img
check "equiv: after the final flush durable.img is the file (uffd)" \
	cmp equiv-uffd/durable/durable.img equiv-uffd/pmem0.img
for t in uffd compare; do
	check "equiv-$t: the epoch log replays to durable.img (base + epochs)" \
		sh -c "cd equiv-$t && python3 ../epochs.py durable >/dev/null"
	check "equiv-$t: DIR/flushed is the last flush's seq" \
		[ "$(od -An -tu8 equiv-$t/durable/flushed | tr -d ' ')" = "$(wc -l <equiv-$t/durable/flushes.jsonl)" ]
done
check "equiv: uffd and compare made the same epochs" diff -r equiv-uffd/durable/epochs equiv-compare/durable/epochs
check "equiv: the durable image holds the O_DIRECT data" \
	sh -c "dd if=equiv-uffd/durable/durable.img bs=4096 skip=16000 count=1 2>/dev/null | grep -aq pmtorture-A"

# honest
check "honest: guest ran (rc $r1)" [ $r1 -eq 0 ]
check "honest: the default tracker is uffd" [ "$(jq_n honest/durable/flushes.jsonl track uffd)" -gt 0 ]
check "honest: flushes.jsonl has recorded flushes" \
	sh -c "[ \$(wc -l <honest/durable/flushes.jsonl) -gt 0 ]"
echo "# honest: $(wc -l <honest/durable/flushes.jsonl) flushes, last: $(tail -n1 honest/durable/flushes.jsonl)"
check "honest: every flush recorded with result 0" \
	[ "$(jq_n honest/durable/flushes.jsonl action recorded)" = "$(wc -l <honest/durable/flushes.jsonl)" ]
check "honest: flush op is fsync" [ "$(jq_n honest/durable/flushes.jsonl op fsync)" -gt 0 ]
check "honest: durable.img is not all zeros" sh -c '! cmp -s -n $(stat -c %s honest/durable/durable.img) honest/durable/durable.img /dev/zero'
check "honest: the synced file data is durable" grep -aq pmtorture-hello-durable honest/durable/durable.img
check "honest: no journal left" [ ! -e honest/durable/journal ]
check "honest: base + epochs = durable.img" sh -c "cd honest && python3 ../epochs.py durable >/dev/null"

# lying
check "lying: guest ran (rc $r2)" [ $r2 -eq 0 ]
check "lying: flushes were seen, all lied about" [ "$(jq_n lying/durable/flushes.jsonl action lied)" -gt 0 ]
check "lying: durable.img stays all zeros" is_zero lying/durable/durable.img
check "lying: the data is only in the page cache" grep -aq pmtorture-hello-durable lying/pmem0.img

# fail-eio
check "fail-eio: guest ran (rc $r3)" [ $r3 -eq 0 ]
first=$(json_get failio/result.json 'j["first"]["output"]')
second=$(json_get failio/result.json 'j["second"]["output"]')
echo "# fail-eio: first fsync: $(echo "$first" | tr '\n' ' ')"
echo "# fail-eio: second fsync: $(echo "$second" | tr '\n' ' ')"
# Observed on Debian's 6.1 guest: EIO reaches the caller, and the guest
# kernel logs nothing about it (nd_virtio returns -EIO silently).
echo "# fail-eio: guest dmesg after the marker: $(json_get failio/result.json 'j["dmesg"].strip() or "(nothing)"')"
check "fail-eio: the guest's fsync got EIO" sh -c "echo '$first' | grep -q 'Input/output error' && echo '$first' | grep -q 'rc=1'"
check "fail-eio: the next flush succeeds" sh -c "echo '$second' | grep -q 'rc=0'"
check "fail-eio: flush 1 logged as failed with errno 5" \
	python3 -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; assert l[0]["action"]=="failed" and l[0]["errno"]==5 and l[1]["action"]=="recorded", l' failio/durable/flushes.jsonl

# hold mid-flush, kill, recover
check "hold: guest ran (rc $r4)" [ $r4 -eq 0 ]
check "hold: the shim held mid-journal" [ "$(json_get hold/result.json 'j.get("held")')" = True ]
check "hold: a torn journal was left by the kill ($(json_get hold/result.json 'j.get("journal_size")') bytes)" [ -e hold/durable/journal ]
check "hold: flush 1 was recorded before" [ "$(jq_n hold/durable/flushes.jsonl action recorded)" -ge 1 ]
check "hold: the old durable image was not zeros" sh -c '! cmp -s -n $(stat -c %s hold/old.img) hold/old.img /dev/zero'
# Recovery is what the shim does when it loads: load it into any program.
env LD_PRELOAD="$SHIM" PMT_SHIM_FILE="$WORK/hold/pmem0.img" PMT_SHIM_DIR="$WORK/hold/durable" \
	/bin/true 2>recover.err
cat recover.err
check "hold: recovery discarded the torn journal" grep -q 'discarded a torn journal' recover.err
check "hold: no journal after recovery" [ ! -e hold/durable/journal ]
check "hold: durable.img is whole-old (as when the flush was held)" cmp -s hold/durable/durable.img hold/old.img
check "hold: durable.img differs from the killed guest's file (the flush was lost)" \
	sh -c '! cmp -s hold/durable/durable.img hold/pmem0.img'

check "no QEMU left" sh -c "! pgrep -f '[q]emu-system.*$WORK' >/dev/null"
done_testing
