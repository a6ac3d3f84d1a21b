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
