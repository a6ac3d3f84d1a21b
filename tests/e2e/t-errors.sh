#!/bin/bash
# specific errors and exit statuses
. "$(dirname "$0")/lib.sh"

run "$CFIR" -H unix:///nonexistent.sock pause x
check "engine unreachable exits 69 and names the socket" \
	bash -c '[ "$1" = 69 ] && grep -q "unix:///nonexistent.sock" <<<"$2"' _ "$status" "$errout"
run env DOCKER_HOST=unix:///nonexistent.sock "$CFIR" pause x
check "DOCKER_HOST is honoured" bash -c '[ "$1" = 69 ] && grep -q nonexistent <<<"$2"' _ "$status" "$errout"
run "$CFIR" pause "no-such-container-$RUN_ID"
check "an unknown container exits 66" \
	bash -c '[ "$1" = 66 ] && grep -q "no such container" <<<"$2"' _ "$status" "$errout"
# a command that writes a bag begins hashing cfir's binary at once: it ends cleanly without one
check "ps of an unknown container into a bag: 66 every time, never a crash at exit" \
	bash -c 'for i in $(seq 30); do "$1" ps -o "$2" "no-such-container-$3" >/dev/null 2>&1; r=$?;
		 [ "$r" = 66 ] || { echo "run $i: exit $r"; exit 1; }; done' _ "$CFIR" "$T/nobag" "$RUN_ID"

# 17 containers share some first hex digit of their IDs: that prefix is ambiguous
for i in $(seq 17); do docker create --label "$LABEL" "$TEST_IMAGE" true >/dev/null; done
prefix=$(docker ps -aq --no-trunc --filter "label=$LABEL" | cut -c1 | sort | uniq -d | head -n1)
others=$(docker ps -aq --no-trunc | cut -c1 | grep -c "^$prefix")
run "$CFIR" pause "$prefix"
check "an ambiguous ID prefix exits 64" test "$status" = 64
check "an ambiguous ID prefix lists every candidate" \
	bash -c 'grep -q "ambiguous ID prefix: $3 containers match" <<<"$1" &&
		for id in $(docker ps -aq --filter "label=$2" | grep "^$4"); do grep -q "$id" <<<"$1" || exit 1; done' \
	_ "$errout" "$LABEL" "$others" "$prefix"
one=$(docker ps -aq --no-trunc --filter "label=$LABEL" | head -n1)
run "$CFIR" --format json inspect -o "$T/p" "${one:0:20}"
check "a unique ID prefix resolves to the full ID" bash -c '[ "$(jq -r .id <<<"$1")" = "$2" ]' _ "$out" "$one"

# permission denied on the socket, as an unprivileged user
if command -v setpriv >/dev/null; then
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CFIR" pause x
	check "permission denied on the socket exits 77" \
		bash -c '[ "$1" = 77 ] && grep -q "Permission denied" <<<"$2"' _ "$status" "$errout"
else
	skip "permission denied on the socket" "no setpriv"
fi

run "$CFIR" pause
check "a missing argument is a usage error (64) with the synopsis" \
	bash -c '[ "$1" = 64 ] && grep -q "^usage: cfir pause" <<<"$2"' _ "$status" "$errout"
run "$CFIR" pause -h
check "-h prints the synopsis to stdout and exits 0" \
	bash -c '[ "$1" = 0 ] && grep -q "^usage: cfir pause" <<<"$2"' _ "$status" "$out"
run "$CFIR" frobnicate
check "an unknown command is a usage error" test "$status" = 64
run "$CFIR" --format yaml pause x
check "an unknown format is a usage error" test "$status" = 64
run "$CFIR" inspect --tail 5000 x
check "--tail out of range is a usage error" test "$status" = 64
run "$CFIR" --version
check "--version" grep -Eq '^cfir [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"
run "$CFIR" verify "$T/not-a-bag"
check "verify of a missing bag exits 66" test "$status" = 66
mkdir "$T/junk" && echo x >"$T/junk/file"
run "$CFIR" inspect -o "$T/junk" "$one"
check "a directory that is not a bag is refused (65), and left alone" \
	bash -c '[ "$1" = 65 ] && [ "$(ls "$2")" = file ]' _ "$status" "$T/junk"
