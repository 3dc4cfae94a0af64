#!/usr/bin/env python3
"""A stand-in for qemu-system-x86_64 that plays a hostile guest.

Given to the harness as `--qemu`, it reads the QEMU command line the
harness built, connects to the harness's QMP and agent sockets as QEMU
would, answers the QMP handshake and speaks the agent protocol
(harness/proto/agent_proto.h) the way a broken or planted guest might.  Nothing
boots.  The behaviour is chosen by HOSTILE_MODE:

  escapes   every reply carries ESC sequences, newlines, invalid UTF-8,
            U+FFFE/U+FFFF and long multi-byte text; mkfs fails with it
  garbage   malformed lines, an oversized line, NULs, wrong ids, a request,
            unknown events before each real reply; the case then completes
  flood     log events as fast as the socket takes them
  mce       the mce_target workload reports a crafted address (HOSTILE_GPA)
  hang      the workload request is never answered, nor anything after it
  polite    a guest that does what it is asked (for tests of the host side)

HOSTILE_BOOTS names a file that gets one line per start; with HOSTILE_FILL
set, 1.5 MiB go to the console at boot, enough to fill a small file system
(or until a write fails).  HOSTILE_CONSOLE_MB=N floods the serial console
with N MiB, at boot or, with HOSTILE_CONSOLE_AT=run, when the workload is
asked for, then replies a second later: a guest that floods in the middle
of a case that goes on.

Every HMP command line QMP received is appended to HOSTILE_LOG (if set),
one a line, so a test can check what the harness asked QEMU to do.
"""
import json
import os
import signal
import socket
import sys
import threading
import time

MODE = os.environ.get("HOSTILE_MODE", "escapes")
HMP_LOG = os.environ.get("HOSTILE_LOG")
# The pmem device's guest-physical window, as query-memory-devices reports it.
PMEM_ADDR = 0x100000000
EVIL = ("\x1b[2J\x1b]0;pwned\x07\nPASS 40, FAIL 0\r\x1b[1;32m"
        "\u009b31m\ufffe\uffff" + "é" * 400)
EVIL_BYTES = b"\xff\xfe raw \xc3 cut \xed\xa0\x80 surrogate \xf8\x88\x80\x80\x80 "


def split_opts(value):
    """QEMU's option syntax: comma separated, ',,' is a literal comma."""
    out, cur, i = [], "", 0
    while i < len(value):
        if value[i] == ",":
            if value[i + 1:i + 2] == ",":
                cur += ","
                i += 2
                continue
            out.append(cur)
            cur = ""
        else:
            cur += value[i]
        i += 1
    out.append(cur)
    return out


def parse_argv(argv):
    conf = {"chardev": {}, "pmem": []}
    for i, a in enumerate(argv):
        if i + 1 >= len(argv):
            break
        v = argv[i + 1]
        if a == "-chardev":
            parts = split_opts(v)
            kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            conf["chardev"][kv.get("id")] = (parts[0], kv.get("path"))
        elif a == "-object" and v.startswith("memory-backend-file"):
            kv = dict(p.split("=", 1) for p in split_opts(v)[1:] if "=" in p)
            conf["pmem"].append(int(kv.get("size", "0")))
        elif a == "-device" and (v.startswith("virtio-pmem-pci") or v.startswith("nvdimm")):
            conf.setdefault("kinds", []).append(v.split(",")[0])
    return conf


def send(sock, obj_or_bytes):
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else \
        (json.dumps(obj_or_bytes, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
    sock.sendall(data)


def lines(sock):
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line


def requests(sock):
    """The JSON objects the harness sends on sock, one a line; a line that
    does not parse is passed over (both peers answer only what they read)."""
    for raw in lines(sock):
        try:
            yield json.loads(raw)
        except ValueError:
            continue


def qmp_loop(sock, conf):
    send(sock, {"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0},
                                    "package": ""}, "capabilities": []}})
    for req in requests(sock):
        cmd, rid = req.get("execute"), req.get("id")
        ret = {}
        if cmd == "query-version":
            ret = {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": ""}
        elif cmd == "query-memory-devices":
            ret, addr = [], PMEM_ADDR
            for i, size in enumerate(conf["pmem"]):
                kind = (conf.get("kinds") or ["virtio-pmem-pci"])[i]
                if kind.startswith("virtio"):
                    ret.append({"type": "virtio-pmem", "data": {
                        "id": "pmem%d" % i, "memaddr": addr, "size": size,
                        "memdev": "/objects/mem%d" % i}})
                else:
                    ret.append({"type": "nvdimm", "data": {
                        "id": "nvdimm%d" % i, "addr": addr, "size": size, "slot": i,
                        "node": 0, "memdev": "/objects/mem%d" % i, "hotplugged": False,
                        "hotpluggable": True}})
                addr += size
        elif cmd == "human-monitor-command":
            line = req.get("arguments", {}).get("command-line", "")
            if HMP_LOG:
                with open(HMP_LOG, "a") as f:
                    f.write(line + "\n")
            if line.startswith("info registers"):
                ret = "RIP=0000000000401000 CPL=3 CR3=0000000012345000 CR4=00000000\r\n"
            elif line.startswith("mce "):
                ret = ""
                send(sock, {"event": "MEMORY_FAILURE", "data": {
                    "recipient": "guest", "action": "inject",
                    "flags": {"action-required": False, "recursive": False}},
                    "timestamp": {"seconds": 0, "microseconds": 0}})
            else:
                ret = ""
        elif cmd == "quit":
            send(sock, {"return": {}, "id": rid})
            os._exit(0)
        send(sock, {"return": ret, "id": rid})


def garbage(sock, rid):
    """Everything a broken agent might write before the real reply."""
    send(sock, b"not json at all\n")
    send(sock, b"{\"id\":" + str(rid).encode() + b",\"ok\":true\x00,\"result\":{}}\n")
    send(sock, b"[1,2,3]\n")
    send(sock, b"{\"id\":\"7\",\"ok\":true}\n")
    send(sock, {"id": rid + 1000, "ok": True, "result": {"stale": True}})
    send(sock, {"id": rid - 1, "ok": False, "error": "a reply to an old request"})
    send(sock, {"id": 3, "cmd": "exec", "args": {"argv": ["rm", "-rf", "/"]}})
    send(sock, {"event": "no-such-event", "text": EVIL})
    send(sock, {"event": "error", "error": "malformed request: " + EVIL})
    send(sock, b"{\"event\":\"log\",\"text\":\"" + b"A" * (300 * 1024) + b"\"}\n")
    send(sock, b"{\"id\":" + str(rid).encode() + b",\"ok\":true,\"result\":{}} trailing\n")
    send(sock, b"{\"event\":\"log\",\"text\":\"" + EVIL_BYTES + b"\"}\n")


def reply(conf, req):
    """The reply a guest that mostly works would give; some fields hostile."""
    cmd, args = req.get("cmd"), req.get("args", {})
    kind = (conf.get("kinds") or ["virtio-pmem-pci"])[0]
    provider = "virtio_pmem.0" if kind.startswith("virtio") else "ACPI.NFIT"
    if cmd == "devices":
        return {"pmem": [{"dev": "/dev/pmem0", "size": conf["pmem"][0] if conf["pmem"] else 0,
                          "region": "region0", "provider": provider, "deep_flush": "1",
                          "persistence_domain": "", "mode": "fsdax", "dax": True}]}
    if cmd in ("mkfs", "fsck", "exec"):
        return {"exit": 0, "output": EVIL if MODE == "escapes" else "ok"}
    if cmd == "mount":
        return {"dax": True}
    if cmd == "dmesg":
        return {"text": EVIL + "\n" if MODE == "escapes" else "[    0.0] ok\n"}
    if cmd == "run" and args.get("workload") == "mapsync":
        return {"map_sync": {"ok": False, "errno": 95, "error": "Operation not supported"},
                "map_shared": {"ok": True, "errno": 0, "error": ""}, "file_dax": True}
    if cmd == "run" and args.get("workload") == "mce_target":
        if args.get("args", {}).get("collect"):
            return {"holder": {"nsignals": 0}, "probes": [], "badblocks": ""}
        return {"file": "/mnt/mce.dat", "file_dax": True, "gpa_in_region": True,
                "gpa": os.environ.get("HOSTILE_GPA", "0x100001000"),
                "region_resource": "0x100000000"}
    return {}


def console_flood(conf):
    """HOSTILE_CONSOLE_MB MiB of console lines, as fast as they are taken."""
    con = conf["chardev"].get("con")
    mb = int(os.environ.get("HOSTILE_CONSOLE_MB", "0"))
    if not (con and con[1] and mb):
        return
    block = (b"[ 1.000000] flood " + b"x" * 1000 + b"\n") * 1024
    try:
        with open(con[1], "ab") as f:
            for _ in range(mb * 1024 * 1024 // len(block) + 1):
                f.write(block)
                f.flush()
    except OSError:
        pass


def agent_loop(sock, conf):
    send(sock, {"event": "ready", "proto": 1, "kernel": "6.1.0-hostile\x1b[31m", "boot_ms": 1})
    if MODE == "flood":
        line = json.dumps({"event": "log", "text": "flood " + "x" * 4000}).encode() + b"\n"
        block = line * 64
        while True:
            sock.sendall(block)
    for req in requests(sock):
        rid, cmd = req.get("id"), req.get("cmd")
        if cmd == "run" and os.environ.get("HOSTILE_CONSOLE_AT") == "run":
            console_flood(conf)
            time.sleep(1)
        if MODE == "hang" and cmd == "run":
            while True:		# a guest stuck in the workload: nothing more, ever
                time.sleep(3600)
        if MODE == "garbage":
            garbage(sock, rid)
        if cmd == "poweroff":
            send(sock, {"id": rid, "ok": True, "result": {}})
            os._exit(0)
        if MODE == "escapes" and cmd == "mkfs":
            send(sock, b"{\"id\":" + str(rid).encode() + b",\"ok\":false,\"error\":\"" +
                 EVIL_BYTES + json.dumps(EVIL, ensure_ascii=False)[1:-1].encode() + b"\"}\n")
            continue
        send(sock, {"id": rid, "ok": True, "result": reply(conf, req)})


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def main():
    conf = parse_argv(sys.argv)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    con = conf["chardev"].get("con")
    if os.environ.get("HOSTILE_BOOTS"):
        with open(os.environ["HOSTILE_BOOTS"], "a") as f:
            f.write("boot\n")
    if con and con[1]:
        try:
            with open(con[1], "w") as f:
                f.write("hostile guest console\n")
                for _ in range(1500 if os.environ.get("HOSTILE_FILL") else 0):
                    f.write("console line " * 78 + "\n")
                    f.flush()
        except OSError:
            pass
    if os.environ.get("HOSTILE_CONSOLE_AT", "boot") == "boot":
        console_flood(conf)
    qmp = connect(conf["chardev"]["qmp"][1])
    threading.Thread(target=qmp_loop, args=(qmp, conf), daemon=True).start()
    agent = connect(conf["chardev"]["agent"][1])
    try:
        agent_loop(agent, conf)
    except (BrokenPipeError, ConnectionResetError):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
