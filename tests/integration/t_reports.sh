#!/usr/bin/env bash
# The reports a person or a CI system reads, from a small real run (two
# badblocks cases, virtio-pmem and nvdimm): the behaviour table, JUnit XML
# against the JUnit schema, and both HTML pages in headless Chromium.
. "$ROOT/tests/integration/lib.sh"

# TAP's SKIP directive: not a pass, and the reason is on the line.
skip() { echo "ok - $1 # SKIP $2"; }

# 1. The run: two guests, both devices, ext4 with DAX.  Its own TMPDIR, so
# "no QEMU left" is about this run's guests, not another test's.
mkdir -p "$WORK/tmp"
TMPDIR="$WORK/tmp" "$PMTORTURE" run --scenario badblocks --filter 'badblocks:dax:*:ext4' --accel tcg --jobs 2 \
	--results "$WORK/results" >out 2>err; rc=$?
cat out err
check "run exits 0" [ $rc -eq 0 ]
run=$(readlink -f "$WORK/results/latest")
check "two cases" [ "$(json_get "$run/summary.json" 'len(j["cases"])')" = 2 ]
# The end of a run with behaviour details: the table after the verdicts, and the paths.
check "run printed the behaviour table" grep -q '^| \*\*badblocks\*\* ' out
check "run printed the behaviour report's paths" grep -q "^behaviour: .*/behaviour.md$" out
check "run wrote behaviour.md and behaviour.html" test -s "$run/behaviour.md" -a -s "$run/behaviour.html"

# 2. report --behaviour: both devices side by side, read gets EIO on both.
"$PMTORTURE" report --behaviour "$run" -o "$WORK/bhv" >bhv.out 2>bhv.err; rc=$?
cat bhv.out bhv.err
check "report --behaviour exits 0" [ $rc -eq 0 ]
check "both device columns" sh -c "grep '^| scenario ' bhv.out | grep -q 'virtio-pmem ext4' &&
	grep '^| scenario ' bhv.out | grep -q 'nvdimm ext4'"
check "the read row: EIO as expected in both columns" \
	sh -c "[ \$(grep -E '^\|[^|]*\| read ' bhv.out | grep -o '✓ EIO' | wc -l) -eq 2 ]"
check "expectation reasons below the table" grep -q '^- \[1\] badblocks, expected `errno=EIO`: ' bhv.out
check "the files went to -o" test -s "$WORK/bhv/behaviour.md" -a -s "$WORK/bhv/behaviour.html"
check "printed = written" grep -qF "$(grep -m1 '| read ' "$WORK/bhv/behaviour.md")" bhv.out
"$PMTORTURE" report --behaviour "$WORK/nosuch" >/dev/null 2>nf.err; rc=$?
check "a missing folder: exit 2, one line" sh -c "[ $rc -eq 2 ] && [ \$(wc -l <nf.err) -eq 1 ]"

# 3. JUnit XML against the schema Jenkins and GitLab read (a copy: no network here).
if command -v xmllint >/dev/null; then
	check "junit.xml validates against junit.xsd" \
		xmllint --noout --schema "$ROOT/tests/integration/junit.xsd" "$run/junit.xml"
	# The schema must be able to say no, or the check above proves nothing.
	sed 's/<testcase classname/<testcase bogus="1" classname/' "$run/junit.xml" >bad.xml
	check "the schema refuses an unknown attribute" \
		sh -c "! xmllint --noout --schema '$ROOT/tests/integration/junit.xsd' bad.xml 2>/dev/null"
else
	not_ok "xmllint missing (Debian package libxml2-utils, in guest-image/install-deps.sh)"
fi

# 4. Both pages in headless Chromium: a screenshot that shows the grid.
# Chromium is large and only this test needs it: installed here when missing.
chromium=$(command -v chromium || true)
why=""
if [ -z "$chromium" ]; then
	if [ "$(id -u)" != 0 ]; then
		why="chromium is not installed and this is not root"
	elif ! DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q \
			--no-install-recommends chromium >apt.log 2>&1; then
		why="chromium is not installed and apt-get install chromium failed: $(tail -1 apt.log)"
	fi
	chromium=$(command -v chromium || true)
	[ -z "$chromium" ] && [ -z "$why" ] && why="apt-get installed no chromium binary"
fi

# green_pixels PNG: how many pixels have the grid's PASS colour (#2e7d32).
# A plain PNG decoder (8-bit RGB or RGBA, not interlaced), as Chromium writes.
green_pixels() {
	python3 - "$1" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and not interlace, (depth, ctype, interlace)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, green, out = bytearray(stride), 0, 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + ((a + b) >> 1)) & 255
        elif f == 4:
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        if line[x:x + 3] == b"\x2e\x7d\x32":
            green += 1
    prev = line
print(green)
EOF
}

for page in report behaviour; do
	png="$WORK/$page.png"
	if [ -n "$why" ]; then
		skip "$page.html screenshot in headless Chromium" "$why"
		continue
	fi
	profile=$(mktemp -d)
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --screenshot="$png" --window-size=1280,900 \
		"file://$run/$page.html" >"chromium-$page.log" 2>&1
	rm -rf "$profile"
	check "$page.html: Chromium wrote a screenshot" [ -s "$png" ]
	n=$(green_pixels "$png" 2>&1)
	echo "# $page.png: $n pixels of the PASS colour"
	check "$page.html: the screenshot shows the grid (PASS cells: $n pixels)" \
		sh -c "[ '$n' -gt 200 ] 2>/dev/null"
done
# For a person to look at: the newest screenshot of the matrix.
[ -s "$WORK/report.png" ] && cp "$WORK/report.png" /tmp/pmtorture-report.png
[ -s "$WORK/behaviour.png" ] && cp "$WORK/behaviour.png" /tmp/pmtorture-behaviour.png

check "no QEMU of this run left" sh -c "! pgrep -f '[q]emu-system.*$WORK/tmp/pmtorture-run' >/dev/null"
check "no run folder left" sh -c "! ls -d '$WORK'/tmp/pmtorture-run.* 2>/dev/null | grep -q ."
done_testing
