# Shared by setup, tests, benchmarks and the demo: a Docker engine that
# answers, and the test image. No registry is reachable, so the image is
# imported from a busybox-static root filesystem.

TEST_IMAGE=${TEST_IMAGE:-cfir-test/busybox:latest}
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}

engine_answers() {
	curl -sf --max-time 2 --unix-socket "$DOCKER_SOCK" http://x/_ping >/dev/null 2>&1
}

# A dockerd that was killed leaves pid files behind (its own, its
# containerd's), and its containerd may still be on its way out: a new
# dockerd then refuses to start or times out. Clear what is stale, retry once.
clear_stale_pids() {
	for f in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
		pid=$(cat "$f" 2>/dev/null)
		# (a zombie that its parent has not reaped yet counts as gone)
		if [ -n "$pid" ] && { [ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status"; }; then
			rm -f "$f"
		fi
	done
}

start_dockerd() {
	clear_stale_pids
	nohup dockerd >/var/log/cfir-dockerd.log 2>&1 &
	dockerd_pid=$!
	i=0
	while ! engine_answers; do
		i=$((i + 1))
		if [ $i -gt 60 ] || ! kill -0 $dockerd_pid 2>/dev/null; then
			kill $dockerd_pid 2>/dev/null
			return 1
		fi
		sleep 0.5
	done
}

# Debian's containerd on its own socket, for the runtime-state tests. It
# starts before dockerd, which then keeps its containers in it (namespace
# moby) instead of a containerd of its own: one containerd that stays up
# while dockerd is restarted, so no container is left without its shim.
ensure_containerd() {
	ctr version >/dev/null 2>&1 && return 0
	command -v containerd >/dev/null || { echo "no containerd: apt-get install containerd" >&2; return 1; }
	echo "setup: starting containerd"
	nohup containerd >/var/log/cfir-containerd.log 2>&1 &
	i=0
	while ! ctr version >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 60 ] && { tail -20 /var/log/cfir-containerd.log >&2; return 1; }
		sleep 0.5
	done
}

ensure_dockerd() {
	if engine_answers; then
		ctr version >/dev/null 2>&1 && return 0
		# a dockerd with a containerd of its own: stopped, to come back on
		# the shared one (no container of the tests runs yet at setup)
		echo "setup: restarting dockerd on the standalone containerd"
		kill "$(cat /var/run/docker.pid)" 2>/dev/null
		i=0
		while engine_answers || [ -e /var/run/docker.pid ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
	fi
	ensure_containerd || return 1
	command -v dockerd >/dev/null || { echo "no dockerd: apt-get install docker.io" >&2; return 1; }
	echo "setup: starting dockerd"
	mkdir -p /var/log
	start_dockerd && return 0
	sleep 2
	start_dockerd && return 0
	echo "dockerd did not answer within 30s; /var/log/cfir-dockerd.log:" >&2
	tail -20 /var/log/cfir-dockerd.log >&2
	return 1
}

# busybox_tree DIR: a root filesystem of busybox-static and its applets.
busybox_tree() {
	mkdir -p "$1/bin" "$1/tmp" "$1/etc" "$1/root" "$1/var/log" "$1/dev" "$1/proc" "$1/sys" || return 1
	chmod 1777 "$1/tmp"
	cp /bin/busybox "$1/bin/busybox" || return 1
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$1/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$1/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}

ensure_test_image() {
	docker image inspect "$TEST_IMAGE" >/dev/null 2>&1 && return 0
	root=$(mktemp -d)
	busybox_tree "$root"
	tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$TEST_IMAGE" >/dev/null
	rm -rf "$root"
	echo "setup: imported $TEST_IMAGE"
}

# data_image NAME MIB FILES: an image holding busybox and MIB MiB of random
# data in FILES files under /data, made once and kept (docker import).
data_image() {
	docker image inspect "$1" >/dev/null 2>&1 && return 0
	name=$1 mib=$2 files=$3
	root=$(mktemp -d)
	mkdir -p "$root/bin" "$root/tmp" "$root/data"
	cp /bin/busybox "$root/bin/"
	for a in sh sleep cat; do ln -s busybox "$root/bin/$a"; done
	per=$(( mib * 1048576 / files ))
	dirs=$(( files / 1000 + 1 ))	# split may leave one file over
	i=0
	while [ $i -lt "$dirs" ]; do mkdir "$root/data/d$i"; i=$((i + 1)); done
	head -c $(( mib * 1048576 )) /dev/urandom | split -a 5 -d -b "$per" - "$root/data/f"
	# spread the files over directories of 1000: f00000-f00999 into d0, ...
	i=0
	while [ $i -lt "$dirs" ]; do
		set -- "$root"/data/f$(printf %02d $i)???
		[ -e "$1" ] && mv "$@" "$root/data/d$i/"
		i=$((i + 1))
	done
	tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$name" >/dev/null
	rm -rf "$root"
}

