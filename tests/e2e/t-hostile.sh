#!/bin/bash
# bytes a container controls come out escaped in JSON and harmless in text,
# and stay exact in the bag. The local log driver keeps bytes as written
# (json-file would already have replaced invalid UTF-8 with U+FFFD).
. "$(dirname "$0")/lib.sh"

c=$(uniq_name hostile)
start "$c" --log-driver local -- sh -c 'printf "evil \033[31mred\033]0;title\007 \377\376 \342\200\256rlo\n"; printf "two\nlines\r\n"; sleep 600' "arg with
newline"
sleep 1
id=$(docker inspect -f '{{.Id}}' "$c")

run "$CFIR" --format json inspect -o "$T/b" "$c"
check "JSON output parses" jq -e . <<<"$out" >/dev/null
check "JSON output carries no raw escape, BEL, 0xff or bidi byte" \
	bash -c '! LC_ALL=C grep -q $'"'"'[\x1b\x07\xff]\|\xe2\x80\xae'"'"' <<<"$1"' _ "$out"
check "the hostile log line is escaped in JSON, exact bytes in line_hex" \
	jqt '.log_tail[] | select(.line | startswith("evil")) | (.line | contains("\u001b[31m")) and (.line_hex | test("1b5b33316d.*fffe"))'
check "the line_hex decodes to the container's exact bytes" \
	bash -c 'h=$(jq -r ".log_tail[] | select(.line | startswith(\"evil\")) | .line_hex" <<<"$1"); printf "%s" "$h" | xxd -r -p | cmp - <(printf "evil \033[31mred\033]0;title\007 \377\376 \342\200\256rlo")' _ "$out"
check "an argument with a newline is one JSON string" jqt '.command | index("arg with\nnewline") != null'

run "$CFIR" --format text inspect -o "$T/b" "$c"
check "text output carries no raw escape, BEL or 0xff byte" \
	bash -c '! LC_ALL=C grep -q $'"'"'[\x1b\x07\xff]'"'"' <<<"$1"' _ "$out"
check "text output shows the escapes readably" \
	bash -c 'grep -qF "evil \x1b[31mred\x1b]0;title\x07 \xff\xfe \u{202e}rlo" <<<"$1"' _ "$out"
check "text output keeps the argument's newline on one line" grep -qF 'arg with\nnewline' <<<"$out"
check "the bag's stdout.log holds the exact bytes" \
	cmp "$T/b/data/${id:0:12}/engine/stdout.log" <(docker logs -t "$c" 2>/dev/null)
run "$CFIR" verify "$T/b"
check "the bag verifies" test "$status" = 0
run "$CFIR" pause $'no\x1b]0;such\x07'
check "a hostile name in an error message is escaped" \
	bash -c '[ "$1" = 66 ] && ! LC_ALL=C grep -q $'"'"'[\x1b\x07]'"'"' <<<"$2" && grep -qF "no\x1b]0;such\x07" <<<"$2"' _ "$status" "$errout"

# ---- sockets: unix socket names a container chose ------------------------------
# A process inside binds unix sockets whose names hold newlines and a whole
# forged /proc/net/unix row (inodes 424242 and 434343), abstract and on a
# path, one with a 0xff and a NUL. Each must be exactly one socket, its name
# exact, and the set of sockets the one ss sees in the namespace.
sk_dir=$T/sockname
mkdir -p "$sk_dir"
if ! cc -static -O2 -o "$sk_dir/x" "$(dirname "$0")/attack/sockets.c" 2>"$sk_dir/cc.err"; then
	skip "hostile unix socket names" "no static C toolchain: $(head -c 200 "$sk_dir/cc.err")"
else
	sk=$(uniq_name sockname)
	start "$sk" -v "$sk_dir/x:/x:ro" -- /x names
	for _ in $(seq 50); do docker logs "$sk" 2>/dev/null | grep -q ready && break; sleep 0.1; done
	sk_pid=$(docker inspect -f '{{.State.Pid}}' "$sk")
	sk_id=$(docker inspect -f '{{.Id}}' "$sk")
	row='0000000000000000: 00000002 00000000 00010000 0001 01'
	run "$CFIR" --format json sockets -o "$sk_dir/bag" "$sk"
	check "sockets of a container with hostile unix names exits 0" test "$status" = 0
	sj=$sk_dir/bag/data/${sk_id:0:12}/net/sockets.json
	# ss prints each unix socket's inode after its name, then "* <peer>"
	ss_unix() { nsenter -t "$sk_pid" -n ss -xaH | sed -nE 's/.* ([0-9]+) +\* +[0-9]+$/\1/p' | sort -n; }
	check "the unix sockets are exactly those ss sees in the namespace, by inode" \
		diff <(jq -r '.sockets[] | select(.proto == "unix") | .inode' "$sj" | sort -n) <(ss_unix)
	check "three sockets of the container's own, no more" \
		test "$(jq '[.sockets[] | select(.proto == "unix" and (.holders | length) > 0)] | length' "$sj")" = 3
	check "the forged rows are absent: no inode 424242 or 434343, no path /forged/by/container" \
		jq -e '[.sockets[] | select(.inode == 424242 or .inode == 434343 or .path == "/forged/by/container" or .path == "@forged")] | length == 0' "$sj"
	check "the abstract name with a newline is one socket, its name exact, held by the helper" \
		jq -e --arg p "@evil
$row 424242 /forged/by/container" '[.sockets[] | select(.path == $p)] | length == 1 and .[0].abstract == true and .[0].state == "LISTEN" and .[0].holders[0].comm == "x"' "$sj"
	check "the path name with a newline is one socket, its name exact" \
		jq -e --arg p "/tmp/s
$row 434343 @forged" '[.sockets[] | select(.path == $p)] | length == 1 and .[0].abstract == false' "$sj"
	check "the name with 0xff and a NUL: path_hex decodes to its exact bytes" \
		bash -c 'h=$(jq -r ".sockets[] | select(.path_hex != null) | .path_hex" "$1"); [ "$(wc -l <<<"$h")" = 1 ] &&
			xxd -r -p <<<"$h" | cmp - <(printf "@bin\377\000ary\n%s 424242 /forged/by/container" "$2")' _ "$sj" "$row"
	run "$CFIR" --format text sockets "$sk"
	check "the text table has one line for each hostile name, escaped" \
		bash -c 'o=$1; [ "$(grep -c "^unix " <<<"$o")" = 3 ] &&
			[ "$(grep -cF "@evil\n$2 424242 /forged/by/container" <<<"$o")" = 1 ] &&
			[ "$(grep -cF "/tmp/s\n$2 434343 @forged" <<<"$o")" = 1 ] &&
			[ "$(grep -cF "@bin\xff\x00ary\n$2 424242" <<<"$o")" = 1 ] &&
			! grep -q "^$2" <<<"$o"' _ "$out" "$row"
fi
