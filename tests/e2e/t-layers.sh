#!/bin/bash
# export --layers: the container's filesystem merged by cfir from its
# overlay layers. A running Docker container of an image of four layers
# (whiteouts, an opaque directory, hard links, a FIFO, a setuid file):
# equal to the engine's export member for member, the same bytes twice;
# the same with dockerd stopped (SIGSTOP), for a stopped container with and
# without the engine, for a Kubernetes pod's container in containerd and
# for a Podman container running and stopped. An attacker's tree inside a
# container (a 100 GiB sparse file, 10,000 levels, links out of the root,
# a link loop, a FIFO) is taken whole, fast, and never followed.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
. "$top/tests/lib/runtimes.sh"

if [ "$(id -u)" != 0 ]; then skip layers "needs root"; exit 0; fi
for c in jq tar ctr runc xxd; do
	command -v $c >/dev/null || { skip layers "$c is not installed"; exit 0; }
done
ensure_test_image >/dev/null 2>&1 || { skip layers "no test image"; exit 0; }
img=cfir-test/layers-$RUN_ID
_cleanup_extra="docker rmi -f $img:1 $img:2 $img:3 >/dev/null 2>&1; rt_cleanup; podman rm -f -t 0 \$(podman ps -aq --filter label=$RT_LABEL) >/dev/null 2>&1"
dpid=

# path, type, mode, owners, size, content hash, link: one line a member, in byte order
norm() {
	jq -r '[(.path | ltrimstr("./") | rtrimstr("/")), .type, .mode, .uid, .gid, .size, (.sha256 // "-"),
		(.link // "-")] | @tsv' "$1" | LC_ALL=C sort
}
index_of() { find "$1/data" -name "$2.index.jsonl" | head -1; }

# --- an image of four layers, every overlay mark in it ------------------------------------
layer() {	# layer FROM TO SCRIPT: one more layer, committed
	local c
	c=$(uniq_name layer)
	docker run --name "$c" --label "$LABEL" "$1" sh -c "$3" >/dev/null &&
		docker commit "$c" "$2" >/dev/null && docker rm "$c" >/dev/null
}
layer "$TEST_IMAGE" "$img:1" 'mkdir -p /d/x /e && echo a >/d/x/f && echo b >/d/g && echo z >/e/z &&
	echo one >/e/one && ln /e/one /e/two && ln -s /etc/passwd /d/sl && echo keep >/e/keep' &&
	layer "$img:1" "$img:2" 'rm -rf /d/x && rm /bin/sleep.old 2>/dev/null; echo y >/e/y && rm /e/keep' &&
	layer "$img:2" "$img:3" 'rm -rf /d && mkdir /d && echo c >/d/h && mkfifo /d/fifo && chmod 4755 /d/h' ||
	{ fail "an image of four layers"; exit 1; }
c=$(uniq_name lay)
docker run -d --name "$c" --label "$LABEL" "$img:3" sh -c \
	'echo new >/e/new; rm /e/z; mkdir -p /var/q; echo q >/var/q/q; while :; do sleep 1; done' >/dev/null
sleep 1
docker pause "$c" >/dev/null
id=$(docker inspect -f '{{.Id}}' "$c")

# --- the engine's export and the merge, member for member ---------------------------------
run "$CFIR" --format json export --engine -o "$T/eng" "$c"
check "the engine's export of the paused container" test "$status" = 0
run "$CFIR" --format json export --layers -o "$T/lay" "$c"
check "export --layers exits 0" test "$status" = 0
sha1=$(jq -r .stream.sha256 <<<"$out")
check "the merge: every member the engine's, path, type, mode, owners, size, content, link" \
	diff <(norm "$(index_of "$T/eng" rootfs)") <(norm "$(index_of "$T/lay" rootfs)")
check "the record: the layers merged, the writable one first, whiteouts and opaque directories counted" \
	jq -s -e --arg up "$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$c")" \
	'map(select(.action == "export"))[0].details | .method == "layers" and .layers[0].path == $up and
	 (.layers | length) == 6 and .merge.whiteouts >= 2 and .merge.opaque >= 1 and .merge.hardlinks >= 1 and
	 .merge.fifos == 1 and .index.complete' "$T/lay/custody/log.jsonl"
check "the tar is what the manifest says and the stream hash says" \
	bash -c 't=$(find "$1/data" -name rootfs.tar); [ "$(sha256sum <"$t" | cut -d" " -f1)" = "$2" ] &&
		 grep -q "$2" "$1/manifest-sha256.txt"' _ "$T/lay" "$sha1"
check "the tar keeps the setuid bit, the FIFO and the hard link" \
	bash -c 'tar -tvf "$(find "$1/data" -name rootfs.tar)" | grep -q "^-rwsr-xr-x .* d/h$" &&
		 tar -tvf "$(find "$1/data" -name rootfs.tar)" | grep -q "^p.* d/fifo$"' _ "$T/lay"
check "the bag verifies" "$CFIR" verify -q "$T/lay"
run "$CFIR" --format json export --layers -o "$T/lay2" "$c"
check "deterministic: two exports of the frozen container, one SHA-256" \
	test "$(jq -r .stream.sha256 <<<"$out")" = "$sha1"
run "$CFIR" --format json copy -o "$T/cp" "$c:/d"
check "copy through the engine still" jqt '.index.members == 3'

# --- a stopped container, the engine up ---------------------------------------------------
s=$(uniq_name stopped)
docker run --name "$s" --label "$LABEL" "$img:3" sh -c 'echo gone-by >/stopped-here' >/dev/null
sid=$(docker inspect -f '{{.Id}}' "$s")
run "$CFIR" --format json export --engine -o "$T/seng" "$s"
run "$CFIR" --format json export --layers -o "$T/slay" "$s"
ssha=$(jq -r .stream.sha256 <<<"$out")
check "a stopped container: the merge equals the engine's export" \
	diff <(norm "$(index_of "$T/seng" rootfs)") <(norm "$(index_of "$T/slay" rootfs)")
run "$CFIR" --format json diff -o "$T/sdiff" "$s"
check "a stopped container: diff lists what it wrote" \
	bash -c '[ "$1" = 0 ] && grep -q "\"/stopped-here\"" "$2"/data/*/fs/diff.json' _ "$status" "$T/sdiff"

# --- an attacker's tree, from inside ------------------------------------------------------
h=$(uniq_name hostile)
docker run -d --name "$h" --label "$LABEL" "$TEST_IMAGE" sh -c \
	'cd /tmp && truncate -s 100G sparse && echo x | dd of=sparse bs=1 seek=53687091200 conv=notrunc 2>/dev/null;
	 ln -s loop2 loop1; ln -s loop1 loop2; ln -s /etc/shadow abs; ln -s ../../../../../../etc up; mkfifo fifo;
	 ln /bin/busybox bb; mkdir deep; cd deep; p=d; i=1; while [ $i -lt 1000 ]; do p=$p/d; i=$((i+1)); done;
	 mkdir -p c1/$p; k=1; while [ $k -lt 10 ]; do k=$((k+1)); mkdir -p c$k/$p && mv c$((k-1)) c$k/$p/ || break; done;
	 touch /tmp/ready; while :; do sleep 1; done' >/dev/null
# ready when its writable layer says so, looked at from the host: nothing runs in it but its own shell
hup=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$h")
for i in $(seq 120); do [ -e "$hup/tmp/ready" ] && break; sleep 1; done
docker pause "$h" >/dev/null
t0=$SECONDS
run timeout 300 "$CFIR" --format json export --layers -o "$T/hos" "$h"
took=$((SECONDS - t0))
check "hostile tree: exported, in seconds, not hours" bash -c '[ "$1" = 0 ] && [ "$2" -lt 120 ]' _ "$status" "$took"
tarf=$(find "$T/hos/data" -name rootfs.tar)
check "hostile tree: 100 GiB sparse stored as its data and a sparse map, not as zeros" \
	test "$(stat -c %s "$tarf")" -lt $((1 << 30))
check "hostile tree: the sparse file indexed at its size, said to be sparse, its holes not hashed" \
	jq -s -e 'map(select(.path == "tmp/sparse")) | length == 1 and .[0].size == 107374182400 and .[0].sparse and
		  .[0].sha256 == null' "$(index_of "$T/hos" rootfs)"
check "hostile tree: links kept as links, never followed" \
	bash -c 'tar -tvf "$1" | grep -q "tmp/abs -> /etc/shadow" && tar -tvf "$1" | grep -q "tmp/loop1 -> loop2" &&
		 tar -tvf "$1" | grep -q "tmp/up -> ../../../../../../etc" && tar -tvf "$1" | grep -q "^p.* tmp/fifo"' _ "$tarf"
check "hostile tree: all 10,000 levels and more, 20 KB of path" \
	bash -c '[ "$(tar -tf "$1" | grep -c "^tmp/deep/")" -eq 10011 ] &&
		 [ "$(tar -tf "$1" | awk -F/ "{ if (NF > m) m = NF } END { print m }")" -ge 10012 ]' _ "$tarf"
check "hostile tree: the bag verifies" "$CFIR" verify -q "$T/hos"
docker rm -f "$h" >/dev/null

# --- the engine hangs: the same bytes from the layers the host mounted --------------------
dpid=$(cat /var/run/docker.pid)
trap 'kill -CONT "$dpid" 2>/dev/null; _cleanup' EXIT
kill -STOP "$dpid"
run timeout 120 "$CFIR" --engine-timeout 1 --format json export -o "$T/hung" "$c"
check "dockerd stopped: export merges the layers, the same SHA-256 as with the engine" \
	bash -c '[ "$1" = 0 ] && [ "$(jq -r .stream.sha256 <<<"$2")" = "$3" ] && [ "$(jq -r .source <<<"$2")" = runtime ]' \
	_ "$status" "$out" "$sha1"
run timeout 120 "$CFIR" --engine-timeout 1 --format json export -o "$T/shung" "${s}"
check "dockerd stopped: a stopped container's layers from the engine's metadata on disk, the same bytes" \
	bash -c '[ "$1" = 0 ] && [ "$(jq -r .stream.sha256 <<<"$2")" = "$3" ] && [ "$(jq -r .source <<<"$2")" = disk ]' \
	_ "$status" "$out" "$ssha"
check "dockerd stopped: the layers' digests from the layer store" \
	jq -s -e 'map(select(.action == "export"))[0].details | .layers_from == "docker layerdb" and
		  ([.layers[] | select(.digest != null)] | length) >= 4' "$T/shung/custody/log.jsonl"
run timeout 120 "$CFIR" --engine-timeout 1 --format json diff -o "$T/sdiff2" "$s"
check "dockerd stopped: diff of the stopped container" \
	bash -c '[ "$1" = 0 ] && grep -q "\"/stopped-here\"" "$2"/data/*/fs/diff.json' _ "$status" "$T/sdiff2"
run timeout 120 "$CFIR" --engine-timeout 1 --format json ls
check "dockerd stopped: ls lists the stopped container from disk" \
	bash -c 'jq -s -e --arg id "$1" "map(select(.id == \$id and .source == \"disk\")) | length == 1" <<<"$2" >/dev/null' \
	_ "$sid" "$out"
kill -CONT "$dpid"

# --- a Kubernetes pod's container in containerd: no engine at all -------------------------
if ctr version >/dev/null 2>&1 && ctr_image; then
	ns=lay-$RUN_ID pod=p-$RUN_ID uid=$(rt_uuid)
	if ids=$(k8s_pod "$ns" "$pod" "$uid" app); then
		cid=${ids#* }
		run "$CFIR" --format json export -o "$T/k8s" "$ns/$pod/app"
		rootfs=/run/containerd/io.containerd.runtime.v2.task/$RT_NS/$cid/rootfs
		check "containerd: export merges the app's layers" \
			bash -c '[ "$1" = 0 ] && jq -s -e "map(select(.action == \"export\"))[0].details.method == \"layers\"" \
				 "$2/custody/log.jsonl" >/dev/null' _ "$status" "$T/k8s"
		check "containerd: the members are the paths the container's overlay shows" \
			diff <(cd "$rootfs" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) \
			     <(jq -r '.path | rtrimstr("/")' "$(index_of "$T/k8s" rootfs)" | LC_ALL=C sort)
	else
		fail "a pod in containerd's $RT_NS"
	fi
	# a container whose task is gone: its snapshot chain from containerd's bbolt files
	sc=$(rt_id)
	ctr -n "$RT_NS" run --null-io --label "$RT_LABEL" "$(ctr_ref)" "$sc" sh -c 'echo was-here >/ctrd-here' &&
		ctr -n "$RT_NS" task rm -f "$sc" >/dev/null 2>&1
	run "$CFIR" --source runtime --format json export -o "$T/ctrs" "$RT_NS/$sc"
	check "containerd: a stopped container's layers from its metadata and snapshot databases" \
		bash -c '[ "$1" = 0 ] && jq -s -e "map(select(.action == \"export\"))[0].details.layers_from == \"containerd snapshots\"" \
			 "$2/custody/log.jsonl" >/dev/null' _ "$status" "$T/ctrs"
	check "containerd: what the stopped container wrote, with its content" \
		jq -s -e --arg h "$(printf 'was-here\n' | sha256sum | cut -c1-64)" \
		'map(select(.path == "ctrd-here" and .sha256 == $h)) | length == 1' "$(index_of "$T/ctrs" rootfs)"
	run "$CFIR" --source runtime --format json diff -o "$T/ctrd" "$RT_NS/$sc"
	check "containerd: diff of the stopped container" \
		bash -c '[ "$1" = 0 ] && grep -q "\"/ctrd-here\"" "$2"/data/*/fs/diff.json' _ "$status" "$T/ctrd"
	ctr_rm "$sc" >/dev/null
else
	skip "containerd" "containerd does not answer"
fi

# --- Podman: running from the runtime state, stopped from containers-storage --------------
if command -v podman >/dev/null && pimg=$(podman_image); then
	p=$(uniq_name podman)
	podman run -d --name "$p" --label "$RT_LABEL" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		"$pimg" sh -c 'echo pod >/made-here; while :; do sleep 1; done' >/dev/null
	sleep 1
	pid_=$(podman inspect -f '{{.Id}}' "$p")
	run "$CFIR" --source runtime --format json export -o "$T/pod" "$pid_"
	check "podman: export merges the layers of a running container" test "$status" = 0
	check "podman: the members are those of podman export" \
		diff <(podman export "$p" | tar -t | sed 's|^\./||; s|/$||' | grep -v '^$' | LC_ALL=C sort) \
		     <(jq -r '.path | rtrimstr("/")' "$(index_of "$T/pod" rootfs)" | LC_ALL=C sort)
	podman stop -t 0 "$p" >/dev/null
	run "$CFIR" --source runtime --format json export -o "$T/pods" "$pid_"
	check "podman: a stopped container's layers from containers-storage" \
		bash -c '[ "$1" = 0 ] && jq -s -e "map(select(.action == \"export\"))[0].details.layers_from == \"containers-storage\"" \
			 "$2/custody/log.jsonl" >/dev/null' _ "$status" "$T/pods"
	run "$CFIR" --source runtime --format json diff -o "$T/podd" "$pid_"
	check "podman: diff of the stopped container" \
		bash -c '[ "$1" = 0 ] && grep -q "\"/made-here\"" "$2"/data/*/fs/diff.json' _ "$status" "$T/podd"
	podman rm -f -t 0 "$p" >/dev/null 2>&1
else
	skip "podman" "podman is not installed"
fi
