#!/usr/bin/env bash
# The guest side of the memory-error injectors on a real guest (virtio-pmem,
# ext4 -o dax), driven straight through the agent with agent_drive.py: the
# badblocks and hwpoison workloads arm their fault, every access path gets
# a complete record, and the kernel's answers that the pmem driver and
# memory_failure() guarantee are there (EIO on read, SIGBUS on a DAX load,
# BUS_MCEERR_AR with si_addr_lsb 12 from MADV_HWPOISON on a DAX page).
. "$ROOT/tests/integration/lib.sh"

img=${PMT_IMAGE_DIR:-$ROOT/build/guest/default}	# override: a hand-built image
sock=$WORK/agent.sock
out=$WORK/replies.jsonl
truncate -s 512M "$WORK/pmem0.img"

qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot -machine q35 \
	-accel tcg -cpu max -smp 1 -m 512M,slots=4,maxmem=8704M \
	-kernel "$img/vmlinux" -initrd "$img/initramfs.cpio" -append 'console=ttyS0 panic=-1 quiet' \
	-chardev file,id=con,path="$WORK/console.log" -serial chardev:con \
	-device virtio-serial-pci,id=vser0 \
	-chardev socket,id=agent,path="$sock",server=on,wait=off \
	-device virtserialport,bus=vser0.0,chardev=agent,name=org.pmtorture.agent \
	-object memory-backend-file,id=mem0,share=on,mem-path="$WORK/pmem0.img",size=536870912 \
	-device virtio-pmem-pci,memdev=mem0,id=pmem0 >"$WORK/qemu.log" 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null' EXIT

timeout 600 python3 "$ROOT/tests/integration/agent_drive.py" --ready-timeout 120 --timeout 300 "$sock" \
	'{"cmd":"mkfs","args":{"fs":"ext4","dev":"/dev/pmem0","opts":["-b","4096"]}}' \
	'{"cmd":"mount","args":{"fs":"ext4","dev":"/dev/pmem0","dir":"/mnt/pmem","opts":"dax"}}' \
	'{"cmd":"run","args":{"workload":"badblocks","dir":"/mnt/pmem","args":{"dev":"/dev/pmem0"}}}' \
	'{"cmd":"run","args":{"workload":"hwpoison","dir":"/mnt/pmem","args":{"file":"hwp.dat","target":"dax"}}}' \
	'{"cmd":"run","args":{"workload":"hwpoison","dir":"/mnt/pmem","args":{"target":"pagecache"}}}' \
	'{"cmd":"run","args":{"workload":"badblocks","dir":"/tmp","args":{}}}' \
	'{"cmd":"poweroff"}' >"$out" 2>"$WORK/drive.err"
rc=$?
cat "$WORK/drive.err"
check "the agent answered every request (rc $rc: 1 is an expected refusal)" [ $rc -le 1 ]
check "seven replies" [ "$(wc -l <"$out")" -eq 7 ]

# reply N (1-based) of the transcript as "j"
r() { python3 -c 'import json,sys; j=[json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2])-1]; print(eval(sys.argv[3]))' "$out" "$1" "$2"; }

check "badblocks ran" [ "$(r 3 'j["ok"]')" = True ]
check "badblocks armed" [ "$(r 3 'j["result"]["armed"]')" = True ]
check "six access paths recorded" [ "$(r 3 '",".join(p["path"] for p in j["result"]["probes"])')" = \
	read,odirect_read,mmap_load,mmap_store,write,reread ]
check "read of a bad block is EIO" [ "$(r 3 'j["result"]["probes"][0]["errno"]')" = 5 ]
check "DAX load of a bad block is SIGBUS" [ "$(r 3 'j["result"]["probes"][2]["signal"]')" = 7 ]
check "whether the write cleared it is recorded" [ "$(r 3 'j["result"]["write_cleared"] in (True, False)')" = True ]
check "ndctl ran" [ "$(r 3 'j["result"]["ndctl_exit"]')" = 0 ]

check "hwpoison on a DAX page ran" [ "$(r 4 'j["ok"]')" = True ]
check "madvise(MADV_HWPOISON) returned 0" [ "$(r 4 'j["result"]["inject"]["ret"]')" = 0 ]
check "the mapper got BUS_MCEERR_AR, lsb 12" [ "$(r 4 '(j["result"]["inject"]["si_code_name"], j["result"]["inject"]["si_addr_lsb"])')" = "('BUS_MCEERR_AR', 12)" ]
check "dmesg has the dax recovery line" [ "$(r 4 'any("recovery action for dax page" in l for l in j["result"]["dmesg"])')" = True ]
check "bad block state recorded" [ "$(r 4 'j["result"]["badblock_gained"] in (True, False)')" = True ]

check "pagecache target on a DAX file is refused (fault did not arm)" \
	[ "$(r 5 'j["ok"] is False and "did not arm" in j["error"]')" = True ]
check "badblocks on tmpfs is refused with a reason" \
	[ "$(r 6 'j["ok"] is False and "block device" in j["error"]')" = True ]
check "agent still alive after all of it (poweroff answered)" [ "$(r 7 'j["ok"]')" = True ]
done_testing
