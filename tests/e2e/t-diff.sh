#!/bin/bash
# diff: the writable layer read from the overlay upper directory
. "$(dirname "$0")/lib.sh"

c=$(uniq_name diff)
start "$c" -- sh -c '
	echo x >/tmp/added
	echo "evil:x:0:0::/:/bin/sh" >>/etc/passwd
	rm /etc/group
	mkdir -p /newdir/sub && echo f >/newdir/sub/f
	rm -rf /var/log && mkdir /var/log && echo n >/var/log/new
	ln -s /etc/shadow /tmp/link
	mkfifo /tmp/fifo
	mknod /tmp/null c 1 3
	cp /bin/busybox /tmp/.hid && chmod 4755 /tmp/.hid
	printf "x" >"/tmp/$(printf "new\nline")"
	sleep 600'
sleep 1.5
docker pause "$c" >/dev/null
id=$(docker inspect -f '{{.Id}}' "$c")

run timeout 120 "$CFIR" --format json diff -o "$T/bag" "$c"
check "diff exits 0 (no FIFO or device opened)" test "$status" = 0
f=$T/bag/data/${id:0:12}/fs
# docker diff prints names verbatim: compare without the one holding a newline
check "the set of (kind, path) equals docker diff's" \
	diff <(jq -r '.entries[] | select(.path | contains("\n") | not) | "\(.kind) \(.path)"' "$f/diff.json" | sort) \
	     <(docker diff "$c" | grep -v '^new$\|^line$\|/tmp/new$' | sort)
check "the engine cross-check found nothing on either side" jqt '.engine_check.engine_only == [] and .engine_check.walk_only == []' "$f/diff.json"
check "the re-created directory is opaque, its old contents hidden" \
	jqt '[.entries[] | select(.path | startswith("/var/log"))] | map("\(.kind) \(.path) \(.opaque // false)") | sort == ["A /var/log/new false", "C /var/log true"]' "$f/diff.json"
check "a name with a newline is kept exactly" jqt '[.entries[] | select(.path == "/tmp/new\nline")] | length == 1' "$f/diff.json"

docker export "$c" >"$T/export.tar"
check "every collected file's SHA-256 equals the same file in docker export" \
	bash -c 'jq -r ".entries[] | select(.type == \"file\" and .kind != \"D\" and (.path | contains(\"\n\") | not)) | \"\(.sha256) \(.path)\"" "$1/diff.json" |
		while read -r h p; do [ "$(tar -xOf "$2" "${p#/}" | sha256sum | cut -c1-64)" = "$h" ] || exit 1
			[ "$(tar -xOf "$1/upper.tar" "${p#/}" | sha256sum | cut -c1-64)" = "$h" ] || exit 1; done' _ "$f" "$T/export.tar"
check "the symlink to the host's /etc/shadow is collected as a symlink" \
	bash -c 'tar -tvf "$1/upper.tar" | grep -q "^l.* tmp/link -> /etc/shadow$"' _ "$f"
check "the host's /etc/shadow appears nowhere in the bag" bash -c '! grep -rqF "$(head -n1 /etc/shadow)" "$1"' _ "$T/bag"
check "the FIFO and the device node are listed, not collected" \
	jqt '[.entries[] | select(.path == "/tmp/fifo" or .path == "/tmp/null") | (.type == "fifo" or .type == "char") and (.not_collected | test("never opened"))] | length == 2 and all' "$f/diff.json"
check "the setuid ELF dropped in /tmp carries its flags and type" \
	member "$f/diff.json" '.entries[] | select(.path == "/tmp/.hid") | (.flags | index("setuid") and index("elf") and index("tmp") and index("hidden")) != null and .mime == "application/x-executable"'
check "upper.mtree equals bsdtar's mtree of upper.tar" \
	cmp "$f/upper.mtree" <(bsdtar -cf - --format=mtree --options='!all,type,mode,uid,gid,size,time,link,sha256' "@$f/upper.tar")
if command -v mactime >/dev/null; then
	check "mactime -b parses the bodyfile and lists the changed files" \
		bash -c 'mactime -b "$1/bodyfile" -d 2>/dev/null | grep -q "/etc/passwd" && mactime -b "$1/bodyfile" -d | grep -q "/etc/group (deleted)"' _ "$f"
else
	skip "mactime" "sleuthkit is not installed"
fi
run "$CFIR" verify "$T/bag"
check "the bag verifies" test "$status" = 0

run "$CFIR" --format json diff --no-collect -o "$T/nc" "$c"
check "--no-collect: no upper.tar, the list and hashes still there" \
	bash -c '[ "$1" = 0 ] && ! ls "$2"/data/*/fs/upper.tar 2>/dev/null && jq -e ".entries | length > 10" "$2"/data/*/fs/diff.json >/dev/null' _ "$status" "$T/nc"
run "$CFIR" --format json diff --max-file-size 100 -o "$T/small" "$c"
check "--max-file-size skips big files, says why, still hashes them" \
		bash -c 'jq -e ".entries[] | select(.path == \"/tmp/.hid\") | (.not_collected | test(\"max-file-size\")) and .sha256 != null" "$1"/data/*/fs/diff.json >/dev/null' _ "$T/small"

# a stopped container: the engine's layers, no process needed
s=$(uniq_name stopped)
docker run --name "$s" --label "$LABEL" "$TEST_IMAGE" sh -c 'echo bye >/tmp/last' >/dev/null
run "$CFIR" --format json diff -o "$T/stopped" "$s"
check "diff of a stopped container reads the engine's upperdir" \
	bash -c '[ "$1" = 0 ] && jq -e ".entries[] | select(.path == \"/tmp/last\") | .kind == \"A\"" "$2"/data/*/fs/diff.json >/dev/null' _ "$status" "$T/stopped"

# what a container's root can write into its layer, made here directly in
# the upper directory: none of it may block, crash or lose the walk
h=$(uniq_name hostile)
start "$h" -- sh -c 'while :; do echo line >>/tmp/grow; done'
sleep 1
up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$h")
name=$(printf 'n%.0s' $(seq 255))
(
	# (bash would export a PWD of 512 KiB to mkdir, past what exec takes)
	cd "$up" && mkdir deep && cd deep && export -n PWD OLDPWD || exit 1
	for i in $(seq 2000); do mkdir "$name" && cd "$name" || exit 1; done
	echo bottom >f
) 2>/dev/null
mkdir "$up/many" && (cd "$up/many" && seq 100000 | xargs touch)
socat "UNIX-LISTEN:$up/tmp/sock,fork" /dev/null &
sockpid=$!
_cleanup_extra="kill $sockpid 2>/dev/null"
sleep 0.5
run timeout 300 "$CFIR" --format json diff --no-collect -o "$T/hostile" "$h"
check "the hostile layer is walked to the end (exit 0, nothing blocked)" test "$status" = 0
hf=$(echo "$T"/hostile/data/*/fs/diff.json)
check "2,000 levels of 255-byte names: walked to 64 KiB of path, the rest said" \
	jqt '(.skipped_subtrees == 1) and (.first_skipped | test("deeper than the walk goes")) and ([.entries[] | select(.path | startswith("/deep/"))] | length > 200)' "$hf"
check "100,000 files in one directory are all listed" jqt '[.entries[] | select(.path | startswith("/many/"))] | length == 100000' "$hf"
check "the unix socket is listed as a socket, never opened" jqt '[.entries[] | select(.path == "/tmp/sock") | .type] == ["socket"]' "$hf"
check "the file that grows while it is read is hashed, not chased" jqt '[.entries[] | select(.path == "/tmp/grow") | .sha256 | length] == [64]' "$hf"
run "$CFIR" --format json diff -o "$T/hostile-collect" --max-total 1000000 "$h"
check "collecting the hostile layer works too, bounded by --max-total" \
	bash -c '[ "$1" = 0 ] && [ "$(stat -c %s "$2"/data/*/fs/upper.tar)" -lt 200000000 ]' _ "$status" "$T/hostile-collect"
run "$CFIR" verify "$T/hostile-collect"
check "the bag of the hostile layer verifies" test "$status" = 0
