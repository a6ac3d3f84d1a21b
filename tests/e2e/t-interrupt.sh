#!/bin/bash
# SIGINT: every long loop stops within a second, records what it did as
# partial and leaves a bag that verifies; collect -j keeps every container
# it was given in its index and waits for every child it started.
. "$(dirname "$0")/lib.sh"

# intr SECONDS CMD...: run CMD, send it SIGINT after SECONDS; status and
# the time from the signal to its end (whole tenths) as for run.
intr() {
	local delay=$1 t0 t1
	shift
	"$@" >"$T/out" 2>"$T/err" &
	local p=$!
	sleep "$delay"
	t0=$(date +%s%N)
	kill -INT "$p"
	wait "$p"
	status=$?
	t1=$(date +%s%N)
	after=$(( (t1 - t0) / 100000000 ))
	out=$(cat "$T/out")
	errout=$(cat "$T/err")
}

c=$(uniq_name many)
start "$c" -- sh -c 'echo x >/tmp/x; sleep 600'
sleep 1
id=$(docker inspect -f '{{.Id}}' "$c")
up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$c")
# a layer a container could make: 120,000 files to walk
mkdir "$up/many" && (cd "$up/many" && seq 120000 | xargs touch)
docker pause "$c" >/dev/null

intr 1 "$CFIR" --format json diff -o "$T/d" "$c"
check "diff stops on SIGINT with 75" test "$status" = 75
echo "# diff ended $after tenths of a second after SIGINT"
check "its record is partial and says interrupted" \
	record "$T/d" 1 '.action == "diff" and .status == "partial" and .details.interrupted == true and .error == "interrupted"'
f="$T/d/data/${id:0:12}/fs/diff.json"
check "diff.json is whole JSON, said interrupted, with fewer entries than the layer" \
	jqt '.interrupted == true and (.entries | length) < 120000' "$f"
check "upper.tar is a whole tar of what was walked" \
	bash -c 'tar -tf "$1" >/dev/null && [ "$(tar -tf "$1" | wc -l)" -le "$(jq ".entries | length" "$2")" ]' \
	_ "$T/d/data/${id:0:12}/fs/upper.tar" "$f"
run "$CFIR" verify "$T/d"
check "the interrupted bag verifies" test "$status" = 0

# timeout(1) signals cfir and then its whole group: one stop, asked twice
run timeout -s TERM 1 "$CFIR" --format json diff -o "$T/to" "$c"
check "under timeout(1) diff still ends by itself (124), its record partial" \
	bash -c '[ "$1" = 124 ] && jq -e -s ".[-1] | .action == \"diff\" and .status == \"partial\"" "$2/custody/log.jsonl" >/dev/null' \
	_ "$status" "$T/to"
run "$CFIR" verify "$T/to"
check "and its bag verifies" test "$status" = 0

# collect: the steps after the signal are not run, and said; no seal
intr 1.5 "$CFIR" --format json collect --no-export -o "$T/c" "$c"
check "collect stops on SIGINT, not 0" test "$status" != 0
check "its last record says which steps did not run, unsealed" \
	jq -e -s '.[-1] | .action == "collect" and .status == "partial" and .details.sealed == false and (.details.not_run | index("hunt"))' "$T/c/custody/log.jsonl" >/dev/null
check "the output lists the steps not run" jqt '[.steps[] | select(.note == "not run: interrupted")] | length >= 2'
run "$CFIR" verify "$T/c"
check "the interrupted collect's bag verifies" test "$status" = 0
check "and it is not sealed: more evidence may follow" bash -c '! grep -q Cfir-Sealed "$1/bag-info.txt"' _ "$T/c"

# collect -j 1 of three: SIGINT to cfir alone during the first
c2=$(uniq_name two)
c3=$(uniq_name three)
start "$c2" -- sleep 600
start "$c3" -- sleep 600
intr 1.5 "$CFIR" --format json collect --no-export -j 1 -o "$T/j" "$c" "$c2" "$c3"
check "collect -j ends non-zero" test "$status" != 0
check "index.json lists every container named" \
	jqt --arg a "$c" --arg b "$c2" --arg d "$c3" '[.bags[].container] == [$a, $b, $d]' "$T/j/index.json"
check "the one in flight failed, the others were not started" \
	jqt '[.bags[].status] == ["failed", "not collected", "not collected"] and (.bags[1].error | test("interrupted")) and .interrupted == true' "$T/j/index.json"
check "no cfir child is left running" bash -c '! pgrep -f "collect --no-export -j 1 -o $1" >/dev/null' _ "$T/j"
run "$CFIR" verify "$T/j/$c"
check "the bag of the one in flight verifies" test "$status" = 0
