#!/bin/bash
# inspect: engine metadata, image, changes and logs into a bag
. "$(dirname "$0")/lib.sh"

c=$(uniq_name inspect)
start "$c" -- sh -c 'echo out-1; echo err-1 >&2; echo out-2; touch /tmp/new; sleep 600'
sleep 1
id=$(docker inspect -f '{{.Id}}' "$c")
id12=${id:0:12}
bag=$T/case-42/web


run env CFIR_CASE=CASE-42 CFIR_EXAMINER=alice "$CFIR" --format json inspect -o "$bag" "$c"
check "inspect exits 0" test "$status" = 0
e=$bag/data/$id12/engine
check "inspect.json parses to what docker inspect returns" \
	diff <(jq -S . "$e/inspect.json") <(docker inspect "$c" | jq -S '.[0]')
check "image.json is the engine's image inspect" \
	diff <(jq -S . "$e/image.json") <(docker image inspect "$(docker inspect -f '{{.Image}}' "$c")" | jq -S '.[0]')
check "changes.json lists the file the container made" \
	jqt 'map(.Path) | index("/tmp/new") != null' "$e/changes.json"
check "stdout.log equals docker logs -t (stdout)" cmp "$e/stdout.log" <(docker logs -t "$c" 2>/dev/null)
check "stderr.log equals docker logs -t (stderr)" cmp "$e/stderr.log" <(docker logs -t "$c" 2>&1 >/dev/null)
check "the JSON output lists the engine's five artifacts and the runtime's two, with their hashes" \
	jqt '(.artifacts | length) == 7 and all(.artifacts[]; (.sha256 | length) == 64) and
	     ([.artifacts[].path | select(test("/runtime/(config|state)\\.json$"))] | length) == 2'
check "every artifact's recorded hash is what sha256sum says" \
	bash -c 'cd "$1" && jq -r ".artifacts[] | \"\(.sha256)  \(.path)\"" <<<"$2" | sha256sum -c --quiet' _ "$bag" "$out"
check "rootfs read from mountinfo and it matches the engine's GraphDriver" \
	jqt '.rootfs_from == "engine" and .rootfs_check == "match" and (.rootfs.upperdir | endswith("/diff"))'
# (the engine's order is not always the timestamps' order: the tail keeps the engine's)
check "the log tail shows the last lines, each split from its timestamp" \
	jqt '([.log_tail[].line] | sort) == ["err-1","out-1","out-2"] and all(.log_tail[]; .time | test("^20[0-9-]+T[0-9:.]+Z$"))'
check "bag-info.txt holds case, examiner, container and custody head" \
	bash -c 'grep -q "^Case-Number: CASE-42$" "$1" && grep -q "^Examiner: alice$" "$1" &&
		grep -q "^Container: $2 " "$1" && grep -q "^Custody-Head: $(tail -n1 "$3" | tr -d "\n" | sha256sum | cut -c1-64)$" "$1"' \
	_ "$bag/bag-info.txt" "$id" "$bag/custody/log.jsonl"
check "collector.json has the binary's hash, argv and clock" \
	jq -e --arg h "$(sha "$CFIR")" '.binary.sha256 == $h and (.argv | index("inspect")) != null and .clock.source == "CLOCK_REALTIME" and .clock.utc_offset != null' "$bag/custody/collector.json" \
		>/dev/null
check "bag files are 0600 and directories 0700" \
	bash -c '[ -z "$(find "$1" -type f ! -perm 0600)" ] && [ -z "$(find "$1" -type d ! -perm 0700)" ]' _ "$bag"
check "sha256sum -c manifest-sha256.txt passes in the bag" bash -c 'cd "$1" && sha256sum -c --quiet manifest-sha256.txt' _ "$bag"
check "sha256sum -c tagmanifest-sha256.txt passes in the bag" bash -c 'cd "$1" && sha256sum -c --quiet tagmanifest-sha256.txt' _ "$bag"
run "$CFIR" verify "$bag"
check "cfir verify passes on the fresh bag" test "$status" = 0

# a paused container is inspected the same way, and says it was frozen
docker pause "$c" >/dev/null
run "$CFIR" --format json inspect -o "$bag" "$c"
check "inspect of a paused container works" test "$status" = 0
check "its custody record says frozen" record "$bag" 2 '.details.frozen == true'
check "a second inspect never overwrites the first" test -s "$e/inspect-2.json" -a -s "$e/inspect.json"
docker unpause "$c" >/dev/null

# no bag given: a new one in the current directory, named for the container
(cd "$T" && "$CFIR" --format json inspect "$c" >"$T/default.json" 2>"$T/err")
check "without -o the bag is ./cfir-<name>-<stamp>" \
	bash -c 'd=$(jq -r .bag "$1"); [[ "$d" == cfir-"$2"-20*Z ]] && [ -f "$3/$d/bagit.txt" ]' _ "$T/default.json" "$c" "$T"

# a TTY container: the stream is raw, kept as tty.log
tty=$(uniq_name tty)
docker run -d -t --name "$tty" --label "$LABEL" "$TEST_IMAGE" sh -c 'echo on-a-tty; sleep 600' >/dev/null
sleep 1
run "$CFIR" --format json inspect -o "$T/ttybag" "$tty"
tid=$(docker inspect -f '{{.Id}}' "$tty")
check "a TTY container's log is kept raw in tty.log, equal to docker logs -t" \
	cmp "$T/ttybag/data/${tid:0:12}/engine/tty.log" <(docker logs -t "$tty")

# an exited container: no process to read, the engine's view of the rootfs
ex=$(uniq_name exited)
docker run --name "$ex" --label "$LABEL" "$TEST_IMAGE" sh -c 'echo bye' >/dev/null
run "$CFIR" --format json inspect -o "$T/exbag" "$ex"
check "inspect of an exited container works" test "$status" = 0
check "its rootfs comes from the engine, and says why there is no cross-check" \
	jqt '.state == "exited" and .pid == 0 and .rootfs_from == "engine" and (.rootfs_check | startswith("unavailable"))'
check "its last words are in the bag" grep -q ' bye$' "$T/exbag/data/$(docker inspect -f '{{.Id}}' "$ex" | cut -c1-12)/engine/stdout.log"
