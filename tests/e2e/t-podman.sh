#!/bin/bash
# Podman's compat socket speaks the Engine API: the same commands work
. "$(dirname "$0")/lib.sh"

command -v podman >/dev/null || { skip "podman" "podman is not installed"; exit 0; }
sock=$T/podman.sock
podman system service --time=0 "unix://$sock" >"$T/podman.log" 2>&1 &
svc=$!
_cleanup_extra="podman rm -f \$(podman ps -aq --filter label=$LABEL) >/dev/null 2>&1; kill $svc 2>/dev/null"
for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

img=localhost/cfir-test/busybox:latest
if ! podman image exists "$img"; then
	root=$(mktemp -d)
	mkdir -p "$root/bin"
	cp /bin/busybox "$root/bin/"
	for a in sh sleep echo; do ln -s busybox "$root/bin/$a"; done
	tar -C "$root" -c . | podman import - "$img" >/dev/null 2>&1
	rm -rf "$root"
fi
c=$(uniq_name podman)
podman run -d --name "$c" --label "$LABEL" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
	"$img" sh -c 'echo from-podman; echo err >&2; sleep 600' >/dev/null
sleep 1

P=(-H "unix://$sock")
run "$CFIR" "${P[@]}" --format json pause "$c"
check "pause through podman's compat socket" \
	bash -c '[ "$1" = 0 ] && [ "$(podman inspect -f "{{.State.Status}}" "$2")" = paused ]' _ "$status" "$c"
check "podman's negotiated API is 1.41 or later" test -n "$(podman version --format '{{.Server.APIVersion}}')"
run "$CFIR" "${P[@]}" --format json inspect -o "$T/bag" "$c"
check "inspect through podman exits 0" test "$status" = 0
check "inspect names podman's container by its full ID" \
	bash -c '[ "$(jq -r .id <<<"$1")" = "$(podman inspect -f "{{.Id}}" "$2")" ]' _ "$out" "$c"
check "the layer from podman's GraphDriver matches its mount" jqt '.rootfs_from == "engine" and .rootfs_check == "match"'
check "podman's logs demultiplexed" \
	bash -c 'grep -q " from-podman$" "$1"/data/*/engine/stdout.log && grep -q " err$" "$1"/data/*/engine/stderr.log' _ "$T/bag"
run "$CFIR" verify "$T/bag"
check "the bag taken through podman verifies" test "$status" = 0
run "$CFIR" "${P[@]}" --format json unpause "$c"
check "unpause through podman" \
	bash -c '[ "$1" = 0 ] && [ "$(podman inspect -f "{{.State.Status}}" "$2")" = running ]' _ "$status" "$c"
run "$CFIR" "${P[@]}" --format json capture -o "$T/capbag" -d 1 "$c"
check "capture finds podman's veth peer on the host" \
	bash -c '[ "$1" = 0 ] && [ "$(jq -r .host_ifindex <<<"$2")" = "$(nsenter -t "$3" -n ip -o link show eth0 | sed -n "s/.*@if\([0-9]*\):.*/\1/p")" ]' \
	_ "$status" "$out" "$(podman inspect -f '{{.State.Pid}}' "$c")"
check "podman's pcap opens in tshark" bash -c 'tshark -r "$1"/data/*/net/eth0.pcap >/dev/null 2>&1' _ "$T/capbag"
run "$CFIR" "${P[@]}" --format json hunt "$c"
check "hunt through podman: findings and a summary for its container" \
	bash -c '[ "$1" = 0 ] && jq -e -s "any(.type == \"summary\" and .state == \"running\") and any(.check == \"root-user\")" <<<"$2" >/dev/null' _ "$status" "$out"
