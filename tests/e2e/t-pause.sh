#!/bin/bash
# pause and unpause through the Engine API
. "$(dirname "$0")/lib.sh"

c=$(uniq_name pause)
start "$c" -- sleep 600

run "$CFIR" --format json pause "$c"
check "pause exits 0" test "$status" = 0
check "pause: docker reports Paused" test "$(docker inspect -f '{{.State.Paused}}' "$c")" = true
check "pause: JSON says paused, with request and confirmation times" \
	jqt '.state == "paused" and .already == false and (.requested|length) > 20 and .confirmed >= .requested'
check "pause: freezer of the cgroup is FROZEN" jqt '.freezer == "FROZEN" or .freezer == "1"'

run "$CFIR" --format json pause "$c"
check "pausing a paused container is reported, not an error" \
	jqt '.already == true and .state == "paused"'
check "pausing a paused container exits 0" test "$status" = 0

run "$CFIR" --format text unpause "$c"
check "unpause exits 0" test "$status" = 0
check "unpause: docker reports running" test "$(state_of "$c")" = running
check "unpause: text output names the container" grep -q "^unpaused $c" <<<"$out"

bag=$T/bag
run "$CFIR" pause -o "$bag" "$c"
run "$CFIR" unpause -o "$bag" "$c"
check "pause and unpause with a bag write one custody record each" \
	test "$(jq -r .action "$bag/custody/log.jsonl" | tr '\n' ' ')" = "pause unpause "
check "the pause record holds the request and confirmation times" \
	record "$bag" 1 '.status == "ok" and .details.confirmed != null and .details.freezer != null'
run "$CFIR" verify "$bag"
check "a bag of pause records verifies" test "$status" = 0

# a stopped container cannot be paused: said so, recorded as failed
s=$(uniq_name stopped)
docker create --name "$s" --label "$LABEL" "$TEST_IMAGE" true >/dev/null
run "$CFIR" pause -o "$bag" "$s"
check "pausing a stopped container fails with a reason" \
	bash -c '[ "$1" = 69 ] && grep -q "not running" <<<"$2"' _ "$status" "$errout"
check "the failed pause is in the custody log" \
	record "$bag" 3 '.status == "failed" and (.error | test("not running"))'
