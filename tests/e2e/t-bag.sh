#!/bin/bash
# the bag: verify catches every kind of tampering; one writer at a time;
# an interrupted action is recorded and leaves a bag that verifies
. "$(dirname "$0")/lib.sh"

c=$(uniq_name bag)
start "$c" -- sh -c 'echo hello; sleep 600'
sleep 0.5
id=$(docker inspect -f '{{.Id}}' "$c")
bag=$T/bag
"$CFIR" pause -o "$bag" "$c" >/dev/null
"$CFIR" inspect -o "$bag" "$c" >/dev/null
"$CFIR" unpause -o "$bag" "$c" >/dev/null
run "$CFIR" --format text verify "$bag"
check "the bag verifies before tampering" test "$status" = 0
check "verify prints one OK line per item" grep -q "^data/${id:0:12}/engine/inspect.json: OK$" <<<"$out"
check "the bag has three custody records" test "$(wc -l <"$bag/custody/log.jsonl")" = 3

# tamper NAME SCRIPT EXPECT: on a copy, SCRIPT changes it; verify must exit 1
# and print a FAIL line matching EXPECT.
tamper() {
	local name=$1 script=$2 expect=$3 b=$T/t-$RANDOM
	cp -a "$bag" "$b"
	(cd "$b" && eval "$script")
	run "$CFIR" --format text verify "$b"
	if [ "$status" = 1 ] && grep -Eq "$expect" <<<"$errout"; then
		pass "verify fails: $name"
	else
		fail "verify fails: $name" "status $status, stderr: $errout"
	fi
}
p=data/${id:0:12}/engine/inspect.json
tamper "one byte flipped in a payload file" \
	"printf 'X' | dd of=$p bs=1 seek=10 conv=notrunc status=none" "^$p: FAIL \(altered"
tamper "a payload file deleted" "rm $p" "^$p: FAIL \(missing\)"
tamper "an extra file added" "echo x >data/${id:0:12}/engine/planted.sh" "planted.sh: FAIL \(extra"
tamper "one custody record edited" \
	"sed -i '2s/\"user\":\"[^\"]*\"/\"user\":\"mallory\"/' custody/log.jsonl" "^custody chain: FAIL \(record 3: prev"
tamper "one custody record removed" "sed -i 2d custody/log.jsonl" "^custody chain: FAIL \(record 2: seq"
tamper "two custody records swapped" \
	"{ sed -n 2p custody/log.jsonl; sed -n 1p custody/log.jsonl; sed -n 3p custody/log.jsonl; } >l && mv l custody/log.jsonl" \
	"^custody chain: FAIL \(record 1"
tamper "the last custody record removed" "sed -i 3d custody/log.jsonl" "^custody chain: FAIL \(.*Custody-Head"
tamper "a manifest line edited" \
	"sed -i '1{s/^a/b/;t;s/^./a/}' manifest-sha256.txt" "^manifest-sha256.txt: FAIL \(altered"
tamper "a payload file replaced by a symlink" \
	"rm $p && ln -s /etc/passwd $p" "^$p: FAIL \(not a regular file\)"

# a file system without d_type (ext4 made without its filetype feature gives
# DT_UNKNOWN, as XFS without ftype does): the tag manifest must still cover
# the custody log, or the signature stops covering the chain
nf=$T/nf
mkdir -p "$nf"
if truncate -s 64M "$T/nf.img" && mkfs.ext4 -q -F -O ^filetype,^has_journal "$T/nf.img" >/dev/null 2>&1 &&
	mount -o loop "$T/nf.img" "$nf" 2>/dev/null; then
	_cleanup_extra="umount -l '$nf' 2>/dev/null; ${_cleanup_extra:-}"
	"$CFIR" inspect -o "$nf/bag" "$c" >/dev/null 2>&1
	check "without d_type the tag manifest lists the custody log" \
		grep -q '  custody/log.jsonl$' "$nf/bag/tagmanifest-sha256.txt"
	echo x >"$nf/bag/data/planted"
	run "$CFIR" --format text verify "$nf/bag"
	check "without d_type verify finds a planted file, and only that" \
		bash -c '[ "$1" = 1 ] && grep -q "^data/planted: FAIL (extra" <<<"$2" && grep -q " 1 FAIL" <<<"$2"' _ "$status" "$errout"
	rm "$nf/bag/data/planted"
	run "$CFIR" verify "$nf/bag"
	check "without d_type the bag verifies" test "$status" = 0
else
	skip "a file system without d_type" "cannot make and mount an ext4 image without filetype"
fi

# two cfir processes on one bag: the second waits for the first
b2=$T/two
"$CFIR" inspect -o "$b2" "$c" >"$T/o1" 2>"$T/e1" &
p1=$!
"$CFIR" inspect -o "$b2" "$c" >"$T/o2" 2>"$T/e2" &
p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
check "two concurrent writers both succeed, one after the other" test "$s1:$s2" = 0:0
check "their records chain in one log" record "$b2" 2 '.seq == 2 and .action == "inspect"'
run "$CFIR" verify "$b2"
check "the bag written by two processes verifies" test "$status" = 0

# a writer that holds the lock past the timeout: the second gives up clearly
flock "$b2" sleep 5 &
holder=$!
sleep 0.3
run env CFIR_LOCK_TIMEOUT=1 "$CFIR" inspect -o "$b2" "$c"
check "a bag locked past CFIR_LOCK_TIMEOUT fails with exit 75" \
	bash -c '[ "$1" = 75 ] && grep -q "still locked" <<<"$2"' _ "$status" "$errout"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
run "$CFIR" verify "$b2"
check "the bag still verifies after the refused writer" test "$status" = 0

# an interrupted action: SIGINT while 100 MB of logs stream in
big=$(uniq_name biglog)
docker run --name "$big" --label "$LABEL" "$TEST_IMAGE" sh -c 'head -c 100000000 /dev/zero | tr "\0" x' >/dev/null
b3=$T/int
"$CFIR" --format json inspect -o "$b3" "$big" >"$T/int.out" 2>"$T/int.err" &
pid=$!
sleep 0.3
kill -INT $pid
wait $pid
st=$?
if [ "$st" = 0 ]; then
	skip "SIGINT mid-stream" "cfir finished before the signal came"
else
	check "an interrupted inspect exits 75" test "$st" = 75
	check "its custody record says partial, interrupted" \
		record "$b3" 1 '(.status == "partial" or .status == "failed") and (.error | test("interrupted"))'
	check "the cut log is an artifact marked partial, hashed as written" \
		bash -c 'jq -e -s ".[0].artifacts[] | select(.path | endswith(\"stdout.log\")) | .partial == true and .bytes < 100000000" "$1" >/dev/null &&
			h=$(jq -r -s ".[0].artifacts[] | select(.path | endswith(\"stdout.log\")) | .sha256" "$1") &&
			[ "$h" = "$(sha256sum "$2"/data/*/engine/stdout.log | cut -c1-64)" ]' _ "$b3/custody/log.jsonl" "$b3"
	run "$CFIR" verify "$b3"
	check "the interrupted bag verifies" test "$status" = 0
fi

# a real full disk: a small tmpfs that the logs of $big fill while inspect writes them
full=$T/full
mkdir -p "$full"
if ! mount -t tmpfs -o size=16m,mode=0700 tmpfs "$full" 2>/dev/null; then
	skip "a full disk" "cannot mount a tmpfs"
else
	_cleanup_extra="umount -l '$full' 2>/dev/null; ${_cleanup_extra:-}"
	fb=$full/bag
	run "$CFIR" inspect -o "$fb" "$big"
	check "a command that fills the disk exits 74 and says so" \
		bash -c '[ "$1" = 74 ] && grep -q "No space left" <<<"$2"' _ "$status" "$errout"
	check "its custody record says what is missing" \
		record "$fb" 1 '.action == "inspect" and .status == "partial" and (.error | test("No space left"))'
	run "$CFIR" verify "$fb"
	check "the bag on the full disk verifies" test "$status" = 0
	run "$CFIR" inspect -o "$fb" "$c"
	check "a command on the full disk refuses to start: no room for the reserve" \
		bash -c '[ "$1" = 74 ] && grep -q "no room for the reserve" <<<"$2"' _ "$status" "$errout"
	run "$CFIR" verify "$fb"
	check "and leaves the bag as it was" \
		bash -c '[ "$1" = 0 ] && [ "$(wc -l <"$2/custody/log.jsonl")" = 1 ]' _ "$status" "$fb"
	mount -o remount,size=64m "$full"
	run "$CFIR" inspect -o "$fb" "$c"
	check "the bag opens again and takes more once there is room" test "$status" = 0
	run "$CFIR" verify "$fb"
	check "and verifies" bash -c '[ "$1" = 0 ] && [ "$(wc -l <"$2/custody/log.jsonl")" = 2 ]' _ "$status" "$fb"
fi

# ^C: verify and seal --archive stop within a second, say so (75), never
# call OK what they did not check, and leave the bag as it was. A bag worth
# stopping: the export of a 2 GiB image (made once and kept).
data_image cfir-test/data2g 2048 200
bigc=$(uniq_name bigexport)
docker create --name "$bigc" --label "$LABEL" cfir-test/data2g sleep 1 >/dev/null
bb=$T/bigbag
"$CFIR" export -o "$bb" "$bigc" >/dev/null 2>&1

# interrupt NAME CMD...: start CMD, SIGINT after 0.3 s; $st its status, $took
# the milliseconds from the signal to its end, $late when it had ended before
interrupt() {
	local name=$1 pid t0
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	sleep 0.3
	late=false
	grep -q '^[^)]*) Z' "/proc/$pid/stat" 2>/dev/null && late=true
	t0=$(date +%s%N)
	kill -INT $pid
	wait $pid
	st=$?
	took=$((($(date +%s%N) - t0) / 1000000))
}
interrupt verify "$CFIR" --format json verify "$bb"
if $late; then
	skip "verify interrupted" "it finished before the signal came"
else
	check "an interrupted verify exits 75 within a second ($took ms)" test "$st" = 75 -a "$took" -lt 1000
	check "it says what it did not check" grep -q "interrupted after .* the rest was not checked" "$T/verify.err"
	check "and prints no verdict on the bag" bash -c '! grep -q "\"verified\"" "$1" && ! grep -q "rootfs.tar\",\"status\":\"OK" "$1"' _ "$T/verify.out"
fi
# kill -9 mid-export leaves files in data/ that no manifest lists and no
# record names: verify says so and how to mend it; the next cfir command on
# the bag records them, hashed as they are, and the bag verifies again
kb=$T/killed
"$CFIR" export -o "$kb" "$bigc" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
	[ "$(stat -c %s "$kb"/data/*/export/rootfs.tar 2>/dev/null || echo 0)" -gt 100000000 ] && break
	sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
run "$CFIR" --format text verify "$kb"
check "verify of a bag whose cfir was killed fails for each file it left unrecorded, saying how to mend it" \
	bash -c '[ "$1" = 1 ] && [ "$(grep -c "/export/rootfs.*: FAIL (extra: not in the manifest; if a cfir ended before it recorded this file, the next cfir command on the bag (cfir seal, say) records it)" <<<"$2")" = 3 ]' \
	_ "$status" "$errout"
run "$CFIR" seal "$kb"
check "the next command (seal) succeeds and says what it recorded" \
	bash -c '[ "$1" = 0 ] && grep -q "an earlier cfir ended before it recorded 3 files" <<<"$2"' _ "$status" "$errout"
check "one recover record, partial, before the seal's" \
	record "$kb" 1 '.action == "recover" and .status == "partial" and (.error | test("an earlier cfir ended before it recorded 3 files")) and (.artifacts | length == 3) and all(.artifacts[]; .partial)'
check "its hashes are those of the files as they are (sha256sum -c)" \
	bash -c 'cd "$1" && jq -r -s ".[0].artifacts[] | \"\(.sha256)  \(.path)\"" custody/log.jsonl | sha256sum -c --quiet' _ "$kb"
check "the seal's record follows it" record "$kb" 2 '.action == "seal"'
run "$CFIR" verify "$kb"
check "and the bag verifies again" test "$status" = 0

interrupt seal "$CFIR" seal --archive "$T/bigbag.tar" "$bb"
if $late; then
	skip "seal --archive interrupted" "it finished before the signal came"
else
	check "an interrupted seal --archive exits 75 within a second ($took ms)" test "$st" = 75 -a "$took" -lt 1000
	check "its partial archive is removed, and it says so" \
		bash -c '[ ! -e "$1" ] && [ ! -e "$1.sha256" ] && grep -q "removed, not packed whole: interrupted" "$2"' \
		_ "$T/bigbag.tar" "$T/seal.err"
	check "and says how to pack the sealed bag" grep -q "cfir seal --archive .* packs it again" "$T/seal.err"
	run "$CFIR" verify "$bb"
	check "the bag is sealed and verifies" bash -c '[ "$1" = 0 ] && grep -q "^Cfir-Sealed: " "$2/bag-info.txt"' _ "$status" "$bb"
fi
