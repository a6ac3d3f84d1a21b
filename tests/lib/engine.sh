# Shared by setup, tests, benchmarks and the demo: a Docker engine that
# answers, and the test image. No registry is reachable, so the image is
# imported from a busybox-static root filesystem.

TEST_IMAGE=${TEST_IMAGE:-cfir-test/busybox:latest}
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}

engine_answers() {
	curl -sf --max-time 2 --unix-socket "$DOCKER_SOCK" http://x/_ping >/dev/null 2>&1
}

ensure_dockerd() {
	engine_answers && return 0
	command -v dockerd >/dev/null || { echo "no dockerd: apt-get install docker.io" >&2; return 1; }
	echo "setup: starting dockerd"
	mkdir -p /var/log
	nohup dockerd >/var/log/cfir-dockerd.log 2>&1 &
	i=0
	while ! engine_answers; do
		i=$((i + 1))
		if [ $i -gt 60 ]; then
			echo "dockerd did not answer within 30s; /var/log/cfir-dockerd.log:" >&2
			tail -20 /var/log/cfir-dockerd.log >&2
			return 1
		fi
		sleep 0.5
	done
}

ensure_test_image() {
	docker image inspect "$TEST_IMAGE" >/dev/null 2>&1 && return 0
	root=$(mktemp -d)
	mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/var/log" "$root/dev" "$root/proc" "$root/sys"
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$TEST_IMAGE" >/dev/null
	rm -rf "$root"
	echo "setup: imported $TEST_IMAGE"
}
