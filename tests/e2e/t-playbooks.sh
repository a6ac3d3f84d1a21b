#!/bin/bash
# the playbooks, dry run and real, on throwaway containers
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
pb=$top/playbooks/freeze-and-inspect
export CFIR

run "$pb" -h
check "freeze-and-inspect -h prints its usage" bash -c '[ "$1" = 0 ] && grep -q "^usage: freeze-and-inspect" <<<"$2"' _ "$status" "$out"
run "$pb"
check "freeze-and-inspect without a container is a usage error" test "$status" = 64

a=$(uniq_name pba)
b=$(uniq_name pbb)
start "$a" -- sh -c 'echo alpha; sleep 600'
start "$b" -- sleep 600
sleep 0.5
run "$pb" --dry-run -o "$T/case" "$a"
check "a dry run prints the steps" \
	bash -c 'grep -q "^+ .* pause --bag $2/case/$1 $1$" <<<"$3" && grep -q "verify $2/case/$1$" <<<"$3"' _ "$a" "$T" "$out"
check "a dry run changes nothing" bash -c '[ "$(docker inspect -f "{{.State.Paused}}" "$1")" = false ] && [ ! -e "$2/case" ]' _ "$a" "$T"

run "$pb" -o "$T/case" --case PB-1 "$a" "no-such-$RUN_ID" "$b"
check "a missing container fails the run (66) but not the others" test "$status" = 66
check "both real containers are frozen" \
	bash -c '[ "$(docker inspect -f "{{.State.Paused}}" "$1")" = true ] && [ "$(docker inspect -f "{{.State.Paused}}" "$2")" = true ]' _ "$a" "$b"
for x in "$a" "$b"; do
	run "$CFIR" verify "$T/case/$x"
	check "the bag of $x verifies" test "$status" = 0
	check "the bag of $x records pause then inspect" \
		test "$(jq -r .action "$T/case/$x/custody/log.jsonl" | tr '\n' ' ')" = "pause inspect "
done
check "the case number is in the bags" grep -q '^Case-Number: PB-1$' "$T/case/$a/bag-info.txt"
