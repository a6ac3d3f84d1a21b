#!/bin/bash
# A dead host: a test engine's /var/lib/docker, copied while the engine is
# stopped into an ext4 image, loop-mounted read-only; ls, inspect, diff,
# export, copy, hunt and collect with --root against it, compared with
# what the live engine said before it was stopped. Nothing under the root
# is written (every file hashed before and after); a link in the image
# resolves inside the image, never on this machine. The test engine runs
# in a network namespace of its own, so that it leaves the host's docker0
# alone.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"

if [ "$(id -u)" != 0 ]; then skip deadhost "needs root"; exit 0; fi
for c in jq tar mkfs.ext4 unshare dockerd mount losetup; do
	command -v $c >/dev/null || { skip deadhost "$c is not installed"; exit 0; }
done
ensure_test_image >/dev/null 2>&1 || { skip deadhost "no test image"; exit 0; }
D=/var/tmp/cfir-dead-$RUN_ID
mkdir -p "$D/docker" "$D/exec" "$D/mnt" "$D/img/var/lib" "$D/img/etc"
sock=$D/docker.sock
dh() { docker -H "unix://$sock" "$@"; }
_cleanup_extra="dead_cleanup"
dead_cleanup() {
	[ -f "$D/pid" ] && kill "$(cat "$D/pid")" 2>/dev/null
	mountpoint -q "$D/mnt" && umount "$D/mnt"
	for i in $(seq 30); do [ -f "$D/pid" ] && kill -0 "$(cat "$D/pid")" 2>/dev/null || break; sleep 1; done
	for n in "cfir-dead-$RUN_ID" "cfir-dead-p-$RUN_ID"; do
		ctr -n "$n" containers ls -q 2>/dev/null | xargs -r ctr -n "$n" containers rm >/dev/null 2>&1
		ctr namespaces rm "$n" >/dev/null 2>&1
		# containerd keeps the namespace's empty task directory: every runtime lookup would walk it
		rmdir "/run/containerd/io.containerd.runtime.v2.task/$n" 2>/dev/null
	done
	rm -rf "$D"
}

# --- a live engine of its own --------------------------------------------------------------
unshare --net dockerd --data-root "$D/docker" --exec-root "$D/exec" --pidfile "$D/pid" -H "unix://$sock" \
	--containerd /run/containerd/containerd.sock --containerd-namespace "cfir-dead-$RUN_ID" \
	--containerd-plugins-namespace "cfir-dead-p-$RUN_ID" --bridge none --iptables=false \
	--storage-driver overlay2 >"$D/dockerd.log" 2>&1 &
for i in $(seq 60); do dh version >/dev/null 2>&1 && break; sleep 1; done
dh version >/dev/null 2>&1 || { fail "a test engine of its own" "$(tail -3 "$D/dockerd.log")"; exit 1; }
docker save "$TEST_IMAGE" | dh load >/dev/null
dh run -d --network none --name dead-run "$TEST_IMAGE" sh -c \
	'printf "#!/bin/sh\necho pwned\n" >/tmp/dropper.sh; chmod 755 /tmp/dropper.sh; cp /bin/busybox /tmp/bb;
	 chmod 4755 /tmp/bb; rm -f /bin/sleep.orig; while :; do sleep 1; done' >/dev/null
dh create --network none --privileged --name dead-priv "$TEST_IMAGE" sh >/dev/null
dh run --network none --name dead-stopped "$TEST_IMAGE" sh -c 'echo bye >/left-behind' >/dev/null
sleep 1
dh pause dead-run >/dev/null
dh ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Image}}' | LC_ALL=C sort >"$D/live-ls"
run "$CFIR" -H "unix://$sock" --format json export --engine -o "$D/live" dead-run
run "$CFIR" -H "unix://$sock" --format json export --layers -o "$D/live" dead-run
live_sha=$(jq -r .stream.sha256 <<<"$out")
check "the live engine: the engine's export and the merge of the running container" \
	test "$status" = 0 -a -n "$live_sha"
run_id=$(dh inspect -f '{{.Id}}' dead-run) stopped_id=$(dh inspect -f '{{.Id}}' dead-stopped)

# --- the host dies: its disk into an image, mounted read-only --------------------------------
kill "$(cat "$D/pid")"
for i in $(seq 60); do kill -0 "$(cat "$D/pid")" 2>/dev/null || break; sleep 1; done
cp -a "$D/docker" "$D/img/var/lib/docker"
echo IMAGE-SHADOW >"$D/img/etc/shadow"
# a link the image holds, absolute: it means the image's /etc/shadow, never this machine's
log=$D/img/var/lib/docker/containers/$stopped_id/$stopped_id-json.log
rm -f "$log" && ln -s /etc/shadow "$log"
mkfs.ext4 -q -d "$D/img" "$D/disk.img" 512M
mount -o loop,ro,nodev,nosuid,noexec "$D/disk.img" "$D/mnt" || { fail "the image mounted read-only"; exit 1; }
R=$D/mnt
( cd "$R" && find . -xdev \( -type f -o -type l \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum 2>/dev/null ) >"$D/before"
( cd "$R" && find . -xdev -printf '%p %m %u %g %s %T@\n' | LC_ALL=C sort ) >"$D/before.stat"

# --- every offline command -----------------------------------------------------------------
run "$CFIR" --root "$R" --format json ls
check "ls --root: the containers the live engine listed, their names and images" \
	diff "$D/live-ls" <(jq -r 'select(.source == "offline") | "\(.id) \(.name) \(.image)"' <<<"$out" | LC_ALL=C sort)
run "$CFIR" --root "$R" --root-image "$D/disk.img" --format json inspect -o "$D/insp" dead-run
check "inspect --root: config.v2.json and hostconfig.json byte for byte" \
	bash -c '[ "$1" = 0 ] && cmp -s "$2"/data/*/disk/config.v2.json "$3/var/lib/docker/containers/$4/config.v2.json" &&
		 cmp -s "$2"/data/*/disk/hostconfig.json "$3/var/lib/docker/containers/$4/hostconfig.json"' \
	_ "$status" "$D/insp" "$R" "$run_id"
check "inspect --root: the record says offline, the root, the image file and its hash" \
	jq -s -e --arg r "$R" --arg h "$(sha256sum <"$D/disk.img" | cut -d' ' -f1)" \
	'map(select(.action == "inspect"))[0].details.offline | .root == $r and .image_sha256 == $h' \
	"$D/insp/custody/log.jsonl"
run "$CFIR" --root "$R" --format json inspect -o "$D/insp2" dead-stopped
check "a link in the image resolves inside the image: its /etc/shadow, not this machine's" \
	bash -c '[ "$(cat "$1"/data/*/disk/*-json.log)" = IMAGE-SHADOW ]' _ "$D/insp2"
run "$CFIR" --root "$R" --format json diff -o "$D/diff" dead-run
check "diff --root: the dropper and the setuid copy, added" \
	bash -c '[ "$1" = 0 ] && grep -q "\"/tmp/dropper.sh\"" "$2"/data/*/fs/diff.json &&
		 grep -q "\"/tmp/bb\"" "$2"/data/*/fs/diff.json' _ "$status" "$D/diff"
run "$CFIR" --root "$R" --format json export -o "$D/exp" dead-run
exp_sha=$(jq -r .stream.sha256 <<<"$out")
check "export --root: the merge of the image's layers" test "$status" = 0
run "$CFIR" --root "$R" --format json export -o "$D/exp2" dead-run
check "export --root: deterministic, the same SHA-256 twice" test "$(jq -r .stream.sha256 <<<"$out")" = "$exp_sha"
# mkfs.ext4 -d keeps times to the second: the rest of every member as the live host had it
norm() {
	jq -r '[(.path | rtrimstr("/")), .type, .mode, .uid, .gid, .size, (.sha256 // "-"), (.link // "-"),
		(.mtime | sub("\\.[0-9]+Z$"; "Z"))] | @tsv' "$1" | LC_ALL=C sort
}
check "export --root: member for member the merge the live host made (mtimes to the second)" \
	diff <(norm "$(find "$D/live/data" -name rootfs.index-2.jsonl | head -1)") \
	     <(norm "$(find "$D/exp/data" -name rootfs.index.jsonl)")
check "export --root: member for member the live engine's export" \
	diff <(norm "$(find "$D/live/data" -name rootfs.index.jsonl | head -1)") \
	     <(norm "$(find "$D/exp/data" -name rootfs.index.jsonl)")
check "export --root: the layers from the layer store, with their digests" \
	jq -s -e 'map(select(.action == "export"))[0].details | .layers_from == "docker layerdb" and
		  ([.layers[] | select(.digest != null)] | length) >= 1' "$D/exp/custody/log.jsonl"
run "$CFIR" --root "$R" --format json copy -o "$D/cp" dead-run:/tmp/dropper.sh
check "copy --root: the dropper out of the merged view" \
	bash -c '[ "$1" = 0 ] && tar -xOf "$(find "$2/data" -name "*.tar")" tmp/dropper.sh | grep -q pwned' _ "$status" "$D/cp"
run "$CFIR" --root "$R" --format json hunt --all
hunt_has() {	# hunt_has NAME CHECK: the offline hunt found CHECK in NAME
	jq -s -e --arg n "$1" --arg c "$2" 'map(select(.type == "finding" and .name == $n and .check == $c)) | length > 0' \
		"$T/out" >/dev/null
}
check "hunt --root: the privileged container, from its configuration on disk" hunt_has dead-priv privileged
check "hunt --root: the setuid file added to the writable layer" hunt_has dead-run setuid-added
check "hunt --root: the executable added to the writable layer" hunt_has dead-run exe-added
run "$CFIR" --root "$R" --root-image "$D/disk.img" --format json collect -o "$D/bag" dead-run
check "collect --root: the offline steps ok, the live ones skipped, the bag sealed" \
	bash -c '[ "$1" = 0 ] && jq -e "[.steps[] | select(.status == \"skipped\") | .step] | sort == [\"capture\",\"memory\",\"pause\",\"ps\",\"sockets\"]" "$2" >/dev/null' \
	_ "$status" "$T/out"
check "collect --root: the bag verifies" "$CFIR" verify -q "$D/bag"

# --- nothing under the root was written ------------------------------------------------------
( cd "$R" && find . -xdev \( -type f -o -type l \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum 2>/dev/null ) >"$D/after"
( cd "$R" && find . -xdev -printf '%p %m %u %g %s %T@\n' | LC_ALL=C sort ) >"$D/after.stat"
check "every file of the image as it was, its metadata too" \
	bash -c 'cmp -s "$1/before" "$1/after" && cmp -s "$1/before.stat" "$1/after.stat" && [ -s "$1/before" ]' _ "$D"
check "a bag inside --root is refused (exit 64): nothing is written there" \
	bash -c '"$1" --root "$2" export -o "$2/var/tmp/bag" dead-run >/dev/null 2>&1; [ $? = 64 ] || exit 1
		 "$1" --root "$2" export -o "$3/not/yet/../../mnt/bag" dead-run >/dev/null 2>&1; [ $? = 64 ] || exit 1
		 cd "$2" && "$1" --root "$2" export dead-run >/dev/null 2>&1; [ $? = 64 ]' _ "$CFIR" "$R" "$D"
check "--source engine does not go with --root (exit 64)" \
	bash -c '"$1" --root "$2" --source engine ls >/dev/null 2>&1; [ $? = 64 ]' _ "$CFIR" "$R"
