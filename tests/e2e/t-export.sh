#!/bin/bash
# export and copy: the engine's stream (--engine) byte-identical, hashed while
# streaming, indexed; by default the layers merged by cfir, the same members,
# no access time changed; and honest when the disk fills, the engine dies or
# the container goes away
. "$(dirname "$0")/lib.sh"

c=$(uniq_name export)
start "$c" -- sh -c 'echo planted >/tmp/dropped; cp /bin/busybox /tmp/.hidden; chmod 4755 /tmp/.hidden; sleep 600'
sleep 1
docker pause "$c" >/dev/null
id=$(docker inspect -f '{{.Id}}' "$c")
bag=$T/bag
run "$CFIR" --format json export --engine -o "$bag" "$c"
check "export of a paused container exits 0" test "$status" = 0
x=$bag/data/${id:0:12}/export
recorded=$(jq -r .stream.sha256 <<<"$out")
check "the recorded SHA-256 is docker export's, taken right after" test "$recorded" = "$(docker export "$c" | sha256sum | cut -c1-64)"
check "the recorded SHA-256 is the stored file's" test "$recorded" = "$(sha "$x/rootfs.tar")"
check "the custody record holds the stream's hash and says frozen" \
		bash -c 'jq -e -s --arg h "$2" ".[0] | .details.stream.sha256 == \$h and .details.frozen and .status == \"ok\"" "$1/custody/log.jsonl" >/dev/null' _ "$bag" "$recorded"
check "rootfs.mtree equals bsdtar's mtree of the stored tar" \
	cmp "$x/rootfs.mtree" <(bsdtar -cf - --format=mtree --options='!all,type,mode,uid,gid,size,time,link,sha256' "@$x/rootfs.tar")
check "the index has as many members as tar -tf lists" \
	test "$(wc -l <"$x/rootfs.index.jsonl")" = "$(tar -tf "$x/rootfs.tar" | wc -l)"
check "bin/busybox: the SHA-256 of busybox, an ELF executable" \
	member "$x/rootfs.index.jsonl" 'select(.path == "bin/busybox") | .sha256 == "'"$(sha /bin/busybox)"'" and .mime == "application/x-executable" and (.flags | index("elf") != null)'
check "a file written under /tmp carries the tmp flag" \
	member "$x/rootfs.index.jsonl" 'select(.path == "tmp/dropped") | .flags == ["tmp"] and .sha256 != null'
check "a setuid ELF dropped in /tmp carries every flag it earns" \
	member "$x/rootfs.index.jsonl" 'select(.path == "tmp/.hidden") | .flags == ["setuid","elf","elf-outside-bin-dirs","tmp"]'
check "index offsets point at the member headers in the tar" \
	bash -c 'o=$(jq -r "select(.path == \"etc/passwd\") | .offset" "$1"); dd if="$2" bs=1 skip="$o" count=10 status=none | grep -q "^etc/passwd"' _ "$x/rootfs.index.jsonl" "$x/rootfs.tar"
run "$CFIR" verify "$bag"
check "the bag verifies" test "$status" = 0

# by default cfir merges the layers the engine names: the engine's members, no access time changed
upper=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$c")
touch -a -d "2020-01-01 00:00:00" "$upper/tmp/dropped"
before=$(stat -c '%x %y %z' "$upper/tmp/dropped")
run "$CFIR" --format json export -o "$T/def" "$c"
check "by default: exit 0, the layers merged by cfir" \
	bash -c '[ "$1" = 0 ] && jq -e ".source == \"engine\"" <<<"$2" >/dev/null &&
		 jq -s -e ".[0].details.method == \"layers\"" "$3/custody/log.jsonl" >/dev/null' _ "$status" "$out" "$T/def"
check "by default: the engine's export member for member (path, type, mode, owners, size, content)" \
	diff <(jq -r '[.path, .type, .mode, .uid, .gid, .size, (.sha256 // "-")] | @tsv' "$x/rootfs.index.jsonl" | LC_ALL=C sort) \
	     <(jq -r '[.path, .type, .mode, .uid, .gid, .size, (.sha256 // "-")] | @tsv' "$T"/def/data/*/export/rootfs.index.jsonl | LC_ALL=C sort)
check "by default: the dropped file's access time is as it was (relatime would have set it)" \
	test "$(stat -c '%x %y %z' "$upper/tmp/dropped")" = "$before"
docker export "$c" >/dev/null
check "where the engine's export reads it, the access time changes" \
	test "$(stat -c '%x %y %z' "$upper/tmp/dropped")" != "$before"
run "$CFIR" export --engine --layers -o "$T/both" "$c"
check "--engine and --layers together: a usage error, no bag" bash -c '[ "$1" = 64 ] && [ ! -e "$2" ]' _ "$status" "$T/both"

# compressed through libarchive's write filters: both hashes recorded
for z in zstd gzip; do
	run "$CFIR" --format json export --engine --compress "$z" -o "$T/z-$z" "$c"
	s=$(ls "$T/z-$z"/data/*/export/rootfs.tar.*)
	case $z in zstd) un="zstd -dc" ;; gzip) un="gzip -dc" ;; esac
	check "--compress $z: the stored file decompresses to the engine's stream" \
		test "$($un "$s" | sha256sum | cut -c1-64)" = "$(jq -r .stream.sha256 <<<"$out")"
	check "--compress $z: the record holds the stream's hash and the stored file's" \
		bash -c 'jq -e -s --arg s "$2" --arg f "$3" ".[0] | .details.stream.sha256 == \$s and (.artifacts[0].sha256 == \$f) and .details.stored.compress == \"'$z'\"" "$1/custody/log.jsonl" >/dev/null' \
		_ "$T/z-$z" "$(jq -r .stream.sha256 <<<"$out")" "$(sha "$s")"
done
run "$CFIR" export --engine --compress xz "$c"
check "--compress with an unknown filter is a usage error" test "$status" = 64

# a running container is exported too, and the record says it was not frozen
docker unpause "$c" >/dev/null
run "$CFIR" --format text export --engine -o "$T/running" "$c"
check "export of a running container works" test "$status" = 0
check "the output says it is not a frozen snapshot" grep -q "not a frozen snapshot" <<<"$out"
check "so does the custody record" record "$T/running" 1 '.details.frozen == false and (.details.note | test("not a frozen"))'
docker pause "$c" >/dev/null

# copy: a directory, a file, and a missing path among good ones
run "$CFIR" --format json copy -o "$T/cp" "$c:/etc" "$c:/nonexistent" "$c:/tmp/dropped"
check "copy with a missing path exits 66" test "$status" = 66
check "the missing path's error names it" grep -q "$c:/nonexistent.*Could not find" <<<"$errout"
cx=$T/cp/data/${id:0:12}/copy
check "the directory and the file were still taken" test -s "$cx/etc.tar" -a -s "$cx/tmp_dropped.tar"
check "nothing was made for the missing path" test -z "$(ls "$cx" | grep nonexistent)"
check "copy's stream hash is the engine's archive of the path" \
	test "$(jq -r 'select(.path == "/etc") | .stream.sha256' <<<"$out")" = \
	"$(curl -s --unix-socket /var/run/docker.sock "http://x/v1.41/containers/$id/archive?path=/etc" | sha256sum | cut -c1-64)"
check "copy records the engine's path-stat header" \
	jqt 'select(.path == "/tmp/dropped") | .path_stat.name == "dropped" and .path_stat.size == 8'
check "copy's index and mtree cover the file" \
	bash -c 'jq -e "select(.path == \"dropped\") | .sha256 == \"$(printf "planted\n" | sha256sum | cut -c1-64)\"" "$1/tmp_dropped.index.jsonl" >/dev/null && grep -q "^./dropped " "$1/tmp_dropped.mtree"' _ "$cx"
check "three custody records: ok, failed, ok" \
	test "$(jq -r .status "$T/cp/custody/log.jsonl" | tr '\n' ' ')" = "ok failed ok "
run "$CFIR" verify "$T/cp"
check "the copy bag verifies" test "$status" = 0

# hostile names, links, a FIFO, a device node: indexed, nothing opened or followed
h=$(uniq_name names)
start "$h" -- sh -c '
	cd /tmp
	printf x >"$(printf "new\nline")"
	printf y >"$(printf "bad\377\376name")"
	ln -s /etc/shadow shadow-link
	ln /etc/passwd hard-link
	mkfifo fifo
	mknod null-dev c 1 3
	x=$(printf "%0200d" 1); p=""; for i in $(seq 11); do p="$p/$x"; done
	mkdir -p "a$p" "b$p" && echo bottom >"b$p/f" && mv b "a$p/"
	sleep 600'
sleep 2
docker pause "$h" >/dev/null
hid=$(docker inspect -f '{{.Id}}' "$h")
run timeout 60 "$CFIR" --format json export --engine -o "$T/names" "$h"
hx=$T/names/data/${hid:0:12}/export
check "export of hostile names exits 0 (no FIFO or device was opened)" test "$status" = 0
check "the index has as many members as tar -tf lists" \
	test "$(wc -l <"$hx/rootfs.index.jsonl")" = "$(tar -tf "$hx/rootfs.tar" | wc -l)"
check "a name with a newline is kept exactly" member "$hx/rootfs.index.jsonl" 'select(.path == "tmp/new\nline") | .size == 1'
check "a name with invalid UTF-8 keeps its bytes in path_hex" \
	member "$hx/rootfs.index.jsonl" 'select(.path_hex == "746d702f626164fffe6e616d65") | .size == 1'
check "the symlink to /etc/shadow is indexed as a link, never followed" \
	member "$hx/rootfs.index.jsonl" 'select(.path == "tmp/shadow-link") | .type == "symlink" and .link == "/etc/shadow" and .sha256 == null'
check "the host's /etc/shadow appears nowhere in the bag" \
	bash -c '! grep -rqF "$(head -n1 /etc/shadow)" "$1"' _ "$T/names"
check "the hard link, the FIFO and the device are indexed by type" \
	jqt -s '[.[] | select(.path == "tmp/hard-link" or .path == "tmp/fifo" or .path == "tmp/null-dev") | .type] | sort == ["char","fifo","hardlink"]' "$hx/rootfs.index.jsonl"
# dockerd's export drops members whose path passes PATH_MAX (the 4.4 KiB one
# never leaves the engine); the longest it does send must come out whole
check "the longest path the engine sends (about 4 KiB) is indexed whole" \
	bash -c 'l=$(tar -tf "$2/rootfs.tar" | awk "{ if (length(\$0) > m) m = length(\$0) } END { print m }");
		[ "$l" -gt 4000 ] && jq -e -s --argjson l "$l" "[.[] | select(.path | length >= \$l - 1)] | length > 0" "$1" >/dev/null' \
	_ "$hx/rootfs.index.jsonl" "$hx"
run "$CFIR" verify "$T/names"
check "the bag of hostile names verifies" test "$status" = 0

# a disk that fills: a clear error naming the file, exit 74, and an honest bag
mkdir -p "$T/small"
if mount -t tmpfs -o size=3m tmpfs "$T/small" 2>/dev/null; then
	_cleanup_extra="umount $T/small 2>/dev/null"
	run "$CFIR" export --engine -o "$T/small/bag" "$c"
	check "a full disk exits 74 and names the file" \
		bash -c '[ "$1" = 74 ] && grep -q "rootfs.tar.*No space left" <<<"$2"' _ "$status" "$errout"
	check "the record says partial, with what was written" \
		record "$T/small/bag" 1 '.status == "partial" and (.artifacts[0].partial == true) and .artifacts[0].bytes > 0'
	run "$CFIR" verify "$T/small/bag"
	check "the bag on the full disk verifies" test "$status" = 0
	umount "$T/small"
	_cleanup_extra=""
else
	skip "ENOSPC" "cannot mount a tmpfs"
fi

# a large container for the faults below
data_image cfir-test/data300m 300 3000
big=$(uniq_name big)
docker run -d --name "$big" --label "$LABEL" cfir-test/data300m sleep 600 >/dev/null
docker pause "$big" >/dev/null

# SIGINT mid-stream
"$CFIR" export --engine -o "$T/int" "$big" >/dev/null 2>"$T/int.err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid
st=$?
if [ "$st" = 0 ]; then
	skip "SIGINT mid-export" "the export finished before the signal"
else
	check "an interrupted export exits 75" test "$st" = 75
	check "its record is partial, interrupted, with the bytes taken" \
		record "$T/int" 1 '.status == "partial" and (.error | test("interrupted")) and .details.stream.bytes > 0 and .details.stream.complete == false'
	run "$CFIR" verify "$T/int"
	check "the interrupted bag verifies" test "$status" = 0
fi

# the container goes away mid-way
gone=$(uniq_name gone)
docker run -d --name "$gone" --label "$LABEL" cfir-test/data300m sleep 600 >/dev/null
"$CFIR" --format json export --engine -o "$T/gone" "$gone" >"$T/gone.out" 2>"$T/gone.err" &
pid=$!
sleep 0.5
docker rm -f "$gone" >/dev/null
wait $pid
st=$?
if [ "$st" = 0 ]; then
	# the engine keeps the stream going: then it must arrive whole, and be said
	check "a container removed mid-export: the stream arrived whole and the record says it was removed" \
		bash -c 'grep -q "removed while it was exported" "$2" && jq -e -s ".[0] | .details.container_removed == true and .details.stream.complete" "$1/custody/log.jsonl" >/dev/null && bsdtar -tf "$1"/data/*/export/rootfs.tar >/dev/null' \
		_ "$T/gone" "$T/gone.err"
else
	check "a container removed mid-export: a clear error, a partial record" \
		bash -c 'grep -q "disappeared" "$2" && jq -e -s ".[0].status == \"partial\"" "$1/custody/log.jsonl" >/dev/null' _ "$T/gone" "$T/gone.err"
fi
run "$CFIR" verify "$T/gone"
check "the bag of the removed container verifies" test "$status" = 0

# the engine killed mid-export (last: the engine is restarted afterwards)
"$CFIR" --format json export --engine -o "$T/killed" "$big" >/dev/null 2>"$T/killed.err" &
pid=$!
sleep 0.7
pkill -9 -x dockerd
wait $pid
st=$?
check "the engine killed mid-export: exit 69, the break and the byte count said" \
	bash -c '[ "$1" = 69 ] && grep -q "broke after [0-9]* bytes" "$2"' _ "$st" "$T/killed.err"
check "what arrived is kept, recorded partial" \
	record "$T/killed" 1 '.status == "partial" and .details.stream.bytes > 0 and .details.stream.complete == false and .artifacts[0].partial == true and .artifacts[0].bytes == .details.stream.bytes'
run "$CFIR" verify "$T/killed"
check "the bag of the killed export verifies" test "$status" = 0
ensure_dockerd >/dev/null
