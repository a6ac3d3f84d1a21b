#!/bin/bash
# timeline: every time in a collected bag as sorted events, JSONL and CSV alike
. "$(dirname "$0")/lib.sh"

c=$(uniq_name timeline)
start "$c" -- sh -c '
	echo dropped >/tmp/dropped
	printf x >"/tmp/<script>alert(1)</script>"
	printf x >"/tmp/$(printf "new\nline")"
	printf x >"/tmp/$(printf "bad\377byte")"
	printf x >"/tmp/$(printf "rtl\342\200\256txt")"
	printf x >"/tmp/=cmd"
	echo "hello from the container"
	touch /tmp/ready
	sleep 600'
upper=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$c")
for i in $(seq 50); do [ -e "$upper/tmp/ready" ] && break; sleep 0.2; done
id=$(docker inspect -f '{{.Id}}' "$c")
initpid=$(docker inspect -f '{{.State.Pid}}' "$c")

run timeout 300 "$CFIR" --format json collect --no-memory -o "$T/bag" "$c"
check "collect exits 0" test "$status" = 0
check "collect sealed the bag" jqt -s '.[-1].action == "seal"' "$T/bag/custody/log.jsonl"
before=$(cd "$T/bag" && find . -type f -exec sha256sum {} + | sort)

run "$CFIR" timeline "$T/bag"
check "timeline exits 0" test "$status" = 0
cp "$T/out" "$T/tl.jsonl"
n=$(wc -l <"$T/tl.jsonl")
check "there are events" test "$n" -gt 20
check "every line parses and has message, datetime and timestamp_desc" \
	test "$(jq -c 'select((.message | type) == "string" and (.datetime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}\\+00:00$")) and (.timestamp_desc | type) == "string")' "$T/tl.jsonl" | wc -l)" = "$n"
check "lines are sorted by time" jqt -s '[.[].time_ns] as $t | $t == ($t | sort)' "$T/tl.jsonl"

# the dropped file's mtime, read from the host's side of its layer
want=$(TZ=UTC stat -c %y "$upper/tmp/dropped" | sed -E 's/^([0-9-]+) ([0-9:.]+) \+0000$/\1T\2Z/')
check "the dropped file's mtime is the one stat shows ($want)" \
	jqt -s --arg w "$want" '[.[] | select(.source == "file" and .path == "/tmp/dropped" and (.timestamp_desc | contains("Content Modification Time")))] | length == 1 and .[0].time_ns == $w and .[0].container == "'"$id"'"' "$T/tl.jsonl"
check "the container's init has its process start" \
	jqt -s "[.[] | select(.source == \"process\" and .pid == $initpid and .timestamp_desc == \"Process Start Time\")] | length == 1" "$T/tl.jsonl"
dl=$(docker logs -t "$c" 2>/dev/null | grep 'hello from the container' | cut -d' ' -f1)
dl=$(python3 -c 'import sys; s = sys.argv[1].rstrip("Z"); a, _, f = s.partition("."); print(a + "." + f.ljust(9, "0") + "Z")' "$dl")
check "the log line is at the time docker gives it ($dl)" \
	jqt -s --arg w "$dl" '[.[] | select(.source == "log" and .message == "stdout: hello from the container")] | length == 1 and .[0].time_ns == $w' "$T/tl.jsonl"
check "one custody event a custody record" \
	test "$(jq -c 'select(.source == "custody")' "$T/tl.jsonl" | wc -l)" = "$(wc -l <"$T/bag/custody/log.jsonl")"
check "the container's creation and start are there" \
	jqt -s '[.[] | select(.source == "container") | .timestamp_desc] | index("Container Created") != null and index("Container Started") != null' "$T/tl.jsonl"
check "the name with a 0xff byte keeps its bytes in path_hex" \
	jqt -s --arg h "$(printf '/tmp/bad\377byte' | od -An -tx1 | tr -d ' \n')" '[.[] | select(.path_hex == $h)] | length > 0' "$T/tl.jsonl"

run "$CFIR" timeline --format csv "$T/bag"
check "timeline --format csv exits 0" test "$status" = 0
cp "$T/out" "$T/tl.csv"
check "the CSV has a header and one physical line an event" test "$(wc -l <"$T/tl.csv")" = "$((n + 1))"
check "the name with a newline stays on one CSV line" grep -q '"/tmp/new\\nline"' "$T/tl.csv"
check "the bidi override and the 0xff byte are escaped in CSV" \
	bash -c 'grep -q "rtl\\\\u{202e}txt" "$1" && grep -q "bad\\\\xffbyte" "$1" && ! grep -q $'"'"'\xe2\x80\xae'"'"' "$1"' _ "$T/tl.csv"
check "CSV and JSONL hold the same events" python3 - "$T/tl.csv" "$T/tl.jsonl" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
js = [json.loads(l) for l in open(sys.argv[2])]
def plain(s):
	return all(32 <= ord(c) < 127 for c in s) and "\\" not in s
def cell(s):
	return s[1:] if s[:1] == "'" and s[1:2] in "=+-@" else s
assert len(rows) == len(js), (len(rows), len(js))
for r, j in zip(rows, js):
	assert r["datetime"] == j["datetime"] and r["timestamp_desc"] == j["timestamp_desc"], (r, j)
	assert int(r["timestamp"]) == j["timestamp"] and r["time_ns"] == j["time_ns"] and r["source"] == j["source"]
	if plain(j["message"]):
		assert cell(r["message"]) == j["message"], (r["message"], j["message"])
PY
check "the XSS name is text in CSV, not markup a viewer runs" grep -qF '/tmp/<script>alert(1)</script>' "$T/tl.csv"

run "$CFIR" timeline -o "$T/out.jsonl" "$T/bag"
check "-o writes the same timeline to a file" cmp "$T/out.jsonl" "$T/tl.jsonl"
run "$CFIR" timeline -o "$T/bag/data/x.jsonl" "$T/bag"
check "-o inside the bag is refused (64)" test "$status" = 64 -a ! -e "$T/bag/data/x.jsonl"
run "$CFIR" timeline --format text "$T/bag"
check "--format text is refused (64)" test "$status" = 64
run "$CFIR" timeline "$T/no-such-bag"
check "a missing bag exits 66" test "$status" = 66
mkdir "$T/notabag"
run "$CFIR" timeline "$T/notabag"
check "a directory that is not a bag exits 65" test "$status" = 65

after=$(cd "$T/bag" && find . -type f -exec sha256sum {} + | sort)
check "timeline changed nothing in the bag" test "$before" = "$after"
run "$CFIR" verify "$T/bag"
check "the sealed bag still verifies" test "$status" = 0
