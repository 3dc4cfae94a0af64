#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""agent_drive.py: a tiny client for the pmtorture guest agent, by hand.

Boot a guest yourself with the agent port on a socket QEMU listens on:

    -chardev socket,id=agent,path=SOCK,server=on,wait=off
    -device virtio-serial-pci,id=vser0
    -device virtserialport,bus=vser0.0,chardev=agent,name=org.pmtorture.agent

(the rest of the argv as in results/<run>/cases/*/qemu-cmdline.txt), then:

    agent_drive.py SOCK '{"cmd":"devices"}' \
        '{"cmd":"mkfs","args":{"fs":"ext4","dev":"/dev/pmem0","opts":["-b","4096"]}}' \
        '{"cmd":"mount","args":{"fs":"ext4","dev":"/dev/pmem0","dir":"/mnt/pmem","opts":"dax"}}' \
        '{"cmd":"run","args":{"workload":"badblocks","dir":"/mnt/pmem","args":{}}}' \
        '{"cmd":"poweroff"}'

It connects (retrying until QEMU has made the socket), waits for the
agent's "ready" event, sends each request in order over one connection
(the protocol is in harness/proto/agent_proto.h) and prints each reply as one
JSON line on stdout; events go to stderr.  Exit status: 0 when every reply
was ok, 1 when one was not, 2 on a timeout or a lost connection.

Options: --timeout S (per reply, default 300), --ready-timeout S (60),
--no-ready (the agent said ready to an earlier connection), --pretty.
"""
import json
import socket
import sys
import time


def usage():
    sys.stderr.write(__doc__)
    sys.exit(2)


class Conn:
    def __init__(self, path, wait_s):
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.buf = b""

    def line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message within %ss" % timeout)
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the agent connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")


def main(argv):
    timeout, ready_timeout, want_ready, pretty = 300.0, 60.0, True, False
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--timeout":
            timeout = float(argv[i + 1])
            i += 1
        elif a == "--ready-timeout":
            ready_timeout = float(argv[i + 1])
            i += 1
        elif a == "--no-ready":
            want_ready = False
        elif a == "--pretty":
            pretty = True
        elif a.startswith("--"):
            usage()
        else:
            args.append(a)
        i += 1
    if not args:
        usage()
    path, requests = args[0], [json.loads(r) for r in args[1:]]

    status = 0
    try:
        conn = Conn(path, ready_timeout)
        if want_ready:
            while True:
                msg = conn.line(ready_timeout)
                sys.stderr.write("event: %s\n" % json.dumps(msg))
                if msg.get("event") == "ready":
                    break
        for n, req in enumerate(requests, 1):
            conn.send({"id": n, "cmd": req["cmd"], "args": req.get("args", {})})
            while True:
                msg = conn.line(timeout)
                if "id" not in msg:
                    sys.stderr.write("event: %s\n" % json.dumps(msg))
                    continue
                break
            print(json.dumps(msg, indent=2 if pretty else None), flush=True)
            if not msg.get("ok"):
                status = 1
    except (OSError, TimeoutError, ConnectionError, ValueError) as e:
        sys.stderr.write("agent_drive: %s\n" % e)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
