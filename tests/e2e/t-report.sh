#!/bin/bash
# report: the page of a bag taken from a hostile container, opened in a real
# browser (Debian's chromium, headless): no script, no event handler, no
# request leaving the file, the container's words as visible text, every
# section there with the bag's counts; a tampered bag says so at the top.
. "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null; then
	skip "the report in a browser" "chromium is not installed"
	exit 0
fi
py=/usr/bin/python3
[ -x "$py" ] || py=python3
lib=$here/../lib
page_json() { "$py" "$lib/htmlcheck.py" "$1"; }

# every request the browser makes goes to this sink; chromium's own
# background calls (its clock, its updater) are told apart by their hosts
port=$((20000 + RANDOM % 20000))
"$py" "$lib/requestsink.py" "$port" "$T/requests" &
sink=$!
_cleanup_extra="kill $sink 2>/dev/null"
browse() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$T/chromium" \
		--no-first-run --disable-background-networking --disable-component-update --disable-sync \
		--proxy-server="http://127.0.0.1:$port" --proxy-bypass-list='<-loopback>' \
		--enable-logging=stderr --v=0 "$@"
}
own_requests() { grep -vE '(google|googleapis|gstatic|gvt1)\.com[:/]' "$T/requests" 2>/dev/null; }

# the checks can fail: a page that loads an image is caught by the sink, an
# inline script under a CSP by the console
printf '<!DOCTYPE html><p>x</p><img src="http://cfir-probe.invalid/x.png">' >"$T/probe.html"
browse --dump-dom "file://$T/probe.html" >/dev/null 2>&1
check "control: the sink sees a page's remote load" grep -q 'cfir-probe.invalid' "$T/requests"
printf '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src %s"><script>1</script>' \
	"'none'" >"$T/csp.html"
browse --dump-dom "file://$T/csp.html" >/dev/null 2>"$T/csp.err"
check "control: the console tells a CSP violation" grep -q 'Content Security Policy' "$T/csp.err"
: >"$T/requests"

ad=$T/attack
mkdir -p "$ad"
if ! cc -static -O2 -o "$ad/x" "$here/attack/sockets.c" 2>"$ad/cc.err"; then
	skip "the report of a hostile container" "no static C toolchain: $(head -c 200 "$ad/cc.err")"
	exit 0
fi

S1='<script>alert(1)</script>'
S2='<img src=x onerror=alert(2)>'
RLO=$'\xe2\x80\xae'
BAD=$'\xff\xfe'
gw=$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}')
c=$(uniq_name report)
# a setuid file whose path is a script element, names with markup, a bidi
# override and invalid UTF-8 in files, arguments, the environment and
# unix socket names; and traffic to the gateway for the capture
start "$c" -v "$ad/x:/x:ro" -e "EVIL=$S1$RLO" -- sh -c '
	bad=$(printf "\377\376")
	mkdir -p "/tmp/<script>alert(1)<" && touch "/tmp$1" "/tmp/$2" "/tmp/x${3}gpj.exe" "/tmp/bad${bad}name" &&
	chmod 4755 "/tmp$1"
	/x bind "/tmp/sock$2" "/tmp/s$3$bad" &
	env "EVIL2=x${bad}y" sh -c "while :; do sleep 1; done" "arg${bad}" &
	ping -c 600 -i 0.1 '"$gw"' >/dev/null 2>&1 &
	while :; do sleep 1; done' "$S2" "/$S1" "$S2" "$RLO"
id=$(docker inspect -f '{{.Id}}' "$c")
for _ in $(seq 50); do docker logs "$c" 2>/dev/null | grep -q ready && break; sleep 0.1; done
run "$CFIR" keygen -o "$T/keys" --no-passphrase
bag=$T/case/b
# its traffic first (collect freezes it), into the bag collect then fills and seals
run "$CFIR" capture -o "$bag" -d 3 "$c"
check "capture while it pings the gateway exits 0" test "$status" = 0
run "$CFIR" collect -o "$bag" -k "$T/keys/cfir.key" --capture-seconds 3 "$c"
check "collect of the hostile container exits 0" test "$status" = 0
d=$bag/data/${id:0:12}
sums=$(cd "$bag" && find . -type f -print0 | sort -z | xargs -0 sha256sum)

run "$CFIR" --format json report -p "$T/keys/cfir.pub" "$bag"
check "report exits 0 on a bag that verifies" test "$status" = 0
page=$T/case/b-report.html
check "the page is written beside the bag, not in it" test -f "$page" -a ! -e "$bag/b-report.html"
check "it says where, that the bag verified and the signature is good" \
	jqt --arg p "$page" '.report == $p and .verified and .sealed and .signature == true' <<<"$out"
check "the bag is as it was" test "$(cd "$bag" && find . -type f -print0 | sort -z | xargs -0 sha256sum)" = "$sums"
run "$CFIR" verify "$bag"
check "and still verifies" test "$status" = 0
check "the page is valid UTF-8" iconv -f UTF-8 -t UTF-8 "$page" -o /dev/null
check "the page's own CSP forbids scripts and every load" \
	grep -q "content=\"default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]*'; base-uri 'none'; form-action 'none'\"" "$page"

browse --dump-dom "file://$page" >"$T/dom.html" 2>"$T/report.err"
browse --screenshot="$T/report.png" --window-size=1280,2000 "file://$page" >/dev/null 2>>"$T/report.err"
check "chromium renders it: a DOM and a screenshot" test -s "$T/dom.html" -a -s "$T/report.png"
check "no CSP violation in the browser's console" bash -c '! grep -q "Content Security Policy" "$1"' _ "$T/report.err"
check "no request leaves the file" test -z "$(own_requests)"
page_json "$T/dom.html" >"$T/dom.json"
page_json "$page" >"$T/page.json"
for j in "$T/dom.json" "$T/page.json"; do
	w=$([ "$j" = "$T/dom.json" ] && echo DOM || echo file)
	check "$w: no script element" jqt '.scripts == 0' "$j"
	check "$w: no event-handler attribute" jqt '.handlers == []' "$j"
	check "$w: no remote URL, no loading element, no style attribute" \
		jqt '.remote == [] and .loaders == [] and .styles == 0' "$j"
done
check "the sections, in order" \
	jqt '.sections == ["verdict","findings","processes","network","filesystem","custody"]' "$T/dom.json"
txt() { jq -r .text "$T/dom.json"; }
check "the script path is text, whole" grep -qF "/tmp/$S1" <<<"$(txt)"
check "the img markup is text" grep -qF "$S2" <<<"$(txt)"
check "the bidi override shows as an escape" grep -qF '\u{202e}gpj.exe' <<<"$(txt)"
check "invalid UTF-8 shows as escapes" grep -qF 'bad\xff\xfename' <<<"$(txt)"
check "no raw bidi override or control byte in the text" \
	bash -c '! LC_ALL=C grep -q $'"'"'\xe2\x80\xae\|[\x01-\x08\x1b]'"'"' <<<"$1"' _ "$(txt)"
check "the environment's markup is text" grep -qF "EVIL=$S1"'\u{202e}' <<<"$(txt)"
check "an environment's invalid UTF-8 shows as escapes" grep -qF 'EVIL2=x\xff\xfey' <<<"$(txt)"
check "an argument's invalid UTF-8 shows as escapes" grep -qF 'arg\xff\xfe' <<<"$(txt)"
check "the socket names are text" \
	jqt --arg a "/tmp/sock$S2" '[.cells.sockets[][1]] | (index($a) != null) and (index("/tmp/s\\u{202e}\\xff\\xfe") != null)' "$T/dom.json"

# the counts are the bag's
np=$(jq '.processes | length' "$d/proc/processes.json")
check "a box per process ($np)" jqt --argjson n "$np" '.counts.proc == $n' "$T/dom.json"
nf=$(grep -c '"type":"finding"' "$d/hunt/findings.jsonl")
check "a row per finding ($nf)" jqt --argjson n "$nf" '.rows.findings == $n' "$T/dom.json"
ns=$(jq '.sockets | length' "$d/net/sockets.json")
check "a row per socket ($ns)" jqt --argjson n "$ns" '.rows.sockets == $n' "$T/dom.json"
nr=$(wc -l <"$bag/custody/log.jsonl")
check "a row per custody record ($nr)" jqt --argjson n "$nr" '.rows.custody == $n' "$T/dom.json"
ne=$(jq '.entries | length' "$d/fs/diff.json")
check "a line per change in the tree ($ne)" jqt --argjson n "$ne" '.counts.fe == $n' "$T/dom.json"
check "the setuid file leads the flagged table" jqt '.rows.flagged >= 1' "$T/dom.json"
pc=$d/net/eth0.pcap
tp=$(tshark -r "$pc" -T fields -e frame.number 2>/dev/null | wc -l)
check "the capture's packets are tshark's ($tp)" bash -c '[ "$1" -gt 5 ] && grep -qF "$1 packets" <<<"$2"' _ "$tp" "$(txt)"
check "its conversations are drawn" jqt '.rows.conv >= 1 and .counts.bar >= 1' "$T/dom.json"
icmp=$(tshark -r "$pc" -Y 'icmp && ip.addr == '"$gw" -T fields -e frame.number 2>/dev/null | wc -l)
check "the ping to the gateway is a conversation of tshark's $icmp packets" \
	jqt --arg gw "$gw:0" --arg n "$icmp" \
	'[.cells.conv[] | select(.[0] == "icmp" and (.[1] == $gw or .[2] == $gw) and .[3] == $n)] | length >= 1' "$T/dom.json"
check "the freeze window is drawn" jqt '.counts.frz >= 1' "$T/dom.json"

# a tampered bag: one byte of the process list changed
cp -a "$bag" "$T/tampered"
sed -i '0,/"pid":/s//"pid":9/' "$T/tampered/data/${id:0:12}/proc/processes.json"
run "$CFIR" report -o "$T/tampered.html" "$T/tampered"
check "report of a tampered bag exits 1, and still writes the page" test "$status" = 1 -a -s "$T/tampered.html"
browse --dump-dom "file://$T/tampered.html" >"$T/tdom.html" 2>/dev/null
page_json "$T/tdom.html" >"$T/tdom.json"
check "the failure is at the top, in red" \
	bash -c 'grep -q "<header class=\"top bad\"" "$1" && jq -r .text "$2" | head -c 400 | grep -q "EVIDENCE FAILED VERIFICATION"' \
	_ "$T/tdom.html" "$T/tdom.json"
check "the altered file is named" grep -qF "data/${id:0:12}/proc/processes.json" <<<"$(jq -r .text "$T/tdom.json")"

# a case directory: an index, worst first, its links to pages that exist
mkdir -p "$T/case2"
cp -a "$bag" "$T/case2/good"
cp -a "$T/tampered" "$T/case2/bad"
run "$CFIR" report "$T/case2"
check "report of a case directory exits 1 when one bag fails" test "$status" = 1
check "an index and a page per bag" test -s "$T/case2/index.html" -a -s "$T/case2/good-report.html" -a -s "$T/case2/bad-report.html"
page_json "$T/case2/index.html" >"$T/index.json"
check "a row per bag" jqt '.rows.bags == 2' "$T/index.json"
check "the failed bag first" bash -c 'grep -o "href=\"[^\"]*\"" "$1" | head -n 1 | grep -q bad-report.html' _ "$T/case2/index.html"
check "the index loads nothing either" jqt '.scripts == 0 and .handlers == [] and .remote == [] and .loaders == []' "$T/index.json"
run "$CFIR" report "$T/nonexistent"
check "a missing bag is 66" test "$status" = 66
mkdir -p "$T/empty"
run "$CFIR" report "$T/empty"
check "a directory with no bag is 65" test "$status" = 65

# a capture rotated into several files: one interface, its packets summed across them
run "$CFIR" unpause "$c"
run "$CFIR" capture -o "$T/rot" -d 3 --rotate 4K "$c"
nfiles=$(ls "$T"/rot/data/*/net/*.pcap 2>/dev/null | wc -l)
total=0
for f in "$T"/rot/data/*/net/*.pcap; do
	total=$((total + $(tshark -r "$f" -T fields -e frame.number 2>/dev/null | wc -l)))
done
run "$CFIR" report "$T/rot"
page_json "$T/rot-report.html" >"$T/rot.json"
check "a rotated capture ($nfiles files) is one interface on the page" \
	bash -c '[ "$1" -gt 1 ] && [ "$(grep -o "Traffic on <code>" "$2" | wc -l)" = 1 ]' _ "$nfiles" "$T/rot-report.html"
check "its packets are the sum of tshark's over the files ($total)" grep -qF "$total packets" <<<"$(jq -r .text "$T/rot.json")"

# --- a pod whose names and annotations carry markup -----------------------------------
. "$here/../lib/runtimes.sh"
if ! command -v ctr >/dev/null || ! ctr version >/dev/null 2>&1 || ! ctr_image; then
	skip "the report of a hostile pod" "containerd does not answer, or the image cannot be put in it"
	exit 0
fi
_cleanup_extra="kill $sink 2>/dev/null; rt_cleanup"
kpod='<img src=x onerror=alert(7)>'
kns=e2e-$RUN_ID
ids=$(k8s_pod "$kns" "$kpod" "$(rt_uuid)" app --annotation "evil=<script>alert(8)</script>$RLO") ||
	{ fail "a pod with a hostile name in containerd's $RT_NS"; exit 1; }
run "$CFIR" --source runtime collect --no-export -o "$T/kbag" "$kns/$kpod/app"
check "collect of the pod exits 0" test "$status" = 0
run "$CFIR" report "$T/kbag"
check "report of the pod's bag exits 0" test "$status" = 0
browse --dump-dom "file://$T/kbag-report.html" >"$T/kdom.html" 2>"$T/kreport.err"
page_json "$T/kdom.html" >"$T/kdom.json"
check "pod: no script, no handler, no load" \
	jqt '.scripts == 0 and .handlers == [] and .remote == [] and .loaders == [] and .styles == 0' "$T/kdom.json"
check "pod: no CSP violation, no request" \
	bash -c '! grep -q "Content Security Policy" "$1" && [ -z "$2" ]' _ "$T/kreport.err" "$(own_requests)"
check "pod: its Kubernetes name is text" grep -qF "$kns/$kpod/app" <<<"$(jq -r .text "$T/kdom.json")"
check "pod: the hostile annotation is text" \
	grep -qF 'evil = <script>alert(8)</script>\u{202e}' <<<"$(jq -r .text "$T/kdom.json")"
