#!/usr/bin/env bash
# The power-cut shim inside a real QEMU: guest flushes reach the shim as
# fsync() of the backing file and update the durable image (honest), a lying
# flush records nothing, a failing host flush gives the guest EIO, and a kill
# in the middle of a flush leaves durable.img whole (the torn journal is
# discarded by recovery).  The two dirty-page trackers (PMT_SHIM_TRACK=uffd,
# the default, and compare) run the same guest sequence and must leave
# byte-identical durable images; uffd must really be in use on this host.
# QEMU is driven directly, with LD_PRELOAD and the agent protocol
# (harness/agent_proto.h) over a unix socket; python3 is glue.
. "$ROOT/tests/integration/lib.sh"

SHIM=$ROOT/build/lib/pmtorture-shim.so
IMG=$ROOT/build/guest/default
[ -f "$SHIM" ] || make -s -C "$ROOT" shim >/dev/null
for f in "$SHIM" "$IMG/vmlinux" "$IMG/initramfs.cpio"; do
	[ -f "$f" ] || { echo "not ok - missing $f (make all image)"; exit 1; }
done
cd "$WORK" || exit 1

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
q = subprocess.Popen(argv, env=env, stdout=qlog, stderr=subprocess.STDOUT,
                     start_new_session=True)
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
