#!/usr/bin/env bash
# The reports a person or a CI system reads, from a small real run (two
# badblocks cases, virtio-pmem and nvdimm): the behaviour table, JUnit XML
# against the JUnit schema, and both HTML pages in headless Chromium.
. "$ROOT/tests/integration/lib.sh"

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
check "printed = written: behaviour.md, whole, is in what was printed" python3 -c '
import sys
md, out = (open(f).read() for f in sys.argv[1:])
assert "| read " in md and md.strip() in out, md[:200]
' "$WORK/bhv/behaviour.md" bhv.out
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

# 4. Both pages in headless Chromium: the DOM Chromium built holds the grid's
# cells, and a screenshot of the grid alone (the rest of the page hidden)
# shows one block of the PASS colour per PASS cell.  Chromium is the Debian
# package chromium, which `make deps` (guest-image/install-deps.sh) installs:
# missing, or unable to render, is a failure.
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || not_ok "chromium is missing (Debian package chromium: make deps installs it)"

# chrome ARGS...: headless Chromium with a throw-away profile, 120 s at most.
chrome() {
	local profile rc
	profile=$(mktemp -d)
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" "$@"
	rc=$?
	rm -rf "$profile"
	return $rc
}

# cells DOM TABLE: the classes of each <td> of <table class=TABLE> in a DOM
# dump, one cell a line ("-" for none).
cells() {
	python3 - "$1" "$2" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    depth, out = 0, []
    def handle_starttag(self, tag, a):
        cls = (dict(a).get("class") or "").split()
        if tag == "table":
            self.depth += 1 if (self.depth or sys.argv[2] in cls) else 0
        elif tag == "td" and self.depth:
            self.out.append(" ".join(cls) or "-")
    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
p = P(); p.feed(open(sys.argv[1]).read())
print("\n".join(p.out))
EOF
}

# blobs PNG: the connected blocks of the PASS colour (#2e7d32) of at least
# 100 pixels, as "WxH" boxes, one a line.  A plain PNG decoder (8-bit RGB or
# RGBA, not interlaced), as Chromium writes.
blobs() {
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
prev, green = bytearray(stride), set()
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
            green.add((x // bpp, y))
    prev = line
while green:
    todo, xs, ys = [green.pop()], [], []
    while todo:
        x, y = todo.pop()
        xs.append(x); ys.append(y)
        for q in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
            if q in green:
                green.remove(q)
                todo.append(q)
    if len(xs) >= 100:
        print("%dx%d" % (max(xs) - min(xs) + 1, max(ys) - min(ys) + 1))
EOF
}

# page TABLE: report.html's grid is <table class="grid">, behaviour.html's
# <table class="behaviour">.  Each has two PASS cells: badblocks on
# virtio-pmem and on nvdimm (report.html: the grid's cells; behaviour.html:
# the verdict row).
for pt in report:grid behaviour:behaviour; do
	page=${pt%%:*} table=${pt#*:}
	[ -n "$chromium" ] || break
	chrome --dump-dom "file://$run/$page.html" >"$page.dom" 2>"chromium-$page-dom.log"
	check "$page.html: Chromium built its DOM" grep -q "<table class=\"$table\"" "$page.dom"
	c=$(cells "$page.dom" "$table")
	npass=$(printf '%s\n' "$c" | grep -cx 'v-PASS\|cell v-PASS')
	nbad=$(printf '%s\n' "$c" | grep -c 'v-FAIL\|v-BROK\|m-bad\|v-none\|v-other')
	echo "# $page.html: cells of table.$table: $(printf '%s\n' "$c" | sort | uniq -c | tr -s ' \n' ' ')"
	check "$page.html: the table has 2 PASS cells and none failed or empty (PASS $npass, bad $nbad)" \
		[ "$npass" -eq 2 -a "$nbad" -eq 0 ]
	if [ "$page" = report ]; then
		check "report.html: the grid's cells are its only cells, each links to its case" \
			sh -c '[ "$(printf "%s\n" "$1" | wc -l)" -eq 2 ] &&
				[ "$(grep -o "<td class=\"cell v-PASS\"><a href=\"#c[0-9]*\"" "$2" | wc -l)" -eq 2 ]' _ "$c" "$page.dom"
	else
		check "behaviour.html: the read row is as expected in both columns" \
			[ "$(grep -o '<td class="m-ok" title="errno=EIO">✓ EIO' "$page.dom" | wc -l)" -ge 2 ]
	fi
	# The whole page, for a person to look at.
	chrome --screenshot="$WORK/$page.png" --window-size=1280,900 "file://$run/$page.html" \
		>"chromium-$page.log" 2>&1
	check "$page.html: Chromium wrote a screenshot" [ -s "$WORK/$page.png" ]
	# The table alone: everything else hidden, so no PASS chip counts.
	sed "s|</head>|<style>body *{visibility:hidden!important}table.$table,table.$table *{visibility:visible!important}</style></head>|" \
		"$run/$page.html" >"$run/$page-only.html"
	chrome --screenshot="$WORK/$page-only.png" --window-size=1280,900 "file://$run/$page-only.html" \
		>"chromium-$page-only.log" 2>&1
	rm -f "$run/$page-only.html"
	b=$(blobs "$WORK/$page-only.png" 2>&1)
	echo "# $page-only.png: blocks of the PASS colour: $(echo $b)"
	check "$page.html: the table's screenshot shows 2 PASS cells (blocks: $(echo $b))" \
		[ "$(printf '%s\n' "$b" | grep -cx '[0-9]*x[0-9]*')" -eq 2 ]
done
# For a person to look at: the newest screenshot of the matrix.
[ -s "$WORK/report.png" ] && cp "$WORK/report.png" /tmp/pmtorture-report.png
[ -s "$WORK/behaviour.png" ] && cp "$WORK/behaviour.png" /tmp/pmtorture-behaviour.png

check "no QEMU of this run left" sh -c "! pgrep -f '[q]emu-system.*$WORK/tmp/pmtorture-run' >/dev/null"
check "no run folder left" sh -c "! ls -d '$WORK'/tmp/pmtorture-run.* 2>/dev/null | grep -q ."
done_testing
