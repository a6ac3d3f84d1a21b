#!/bin/sh
# cfir collect against the manual sequence of the hardening guide's
# incident-response section (docker pause, docker export > file, docker cp
# of /var/log, docker exec netstat -tunap, docker exec ps auxf, docker diff,
# sha256sum of the export), on a container with 1 GiB in about 20,000 files
# and a few processes; rounds alternate, one run. Prints median wall times,
# the ratio, and how many manual steps failed. Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-3}
MIB=${MIB:-1024}
FILES=${FILES:-20000}

img=cfir-bench/data${MIB}m-$FILES
data_image "$img" "$MIB" "$FILES"
name=cfir-bench-collect-$$
docker run -d --name "$name" --label cfir-bench=1 "$img" sh -c \
	'nc -ll -p 8080 -e cat & sleep 3600 & sleep 3600 & echo started >/var/log/app.log; wait' >/dev/null
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT
"$CFIR" keygen -o "$work/keys" --no-passphrase >/dev/null 2>&1

ms() { t0=$(now_ns); "$@"; t1=$(now_ns); echo $((t1 - t0)); }
run_cfir() {
	/usr/bin/time -f %M -o "$work/rss" "$CFIR" --format json collect -o "$work/bag" -k "$work/keys/cfir.key" \
		"$name" >"$work/collect.json" 2>/dev/null || echo "collect exit $?" >&2
	cat "$work/rss" >>"$work/rss.all"
	jq -r '.steps | length' "$work/collect.json" >>"$work/cfir.steps"
	rm -rf "$work/bag"
}
run_manual() {
	failed=0
	docker pause "$name" >/dev/null 2>&1 || failed=$((failed + 1))
	docker export "$name" >"$work/export.tar" 2>/dev/null || failed=$((failed + 1))
	docker cp "$name:/var/log" "$work/log" 2>/dev/null || failed=$((failed + 1))
	docker exec "$name" netstat -tunap >"$work/netstat" 2>/dev/null || failed=$((failed + 1))
	docker exec "$name" ps auxf >"$work/ps" 2>/dev/null || failed=$((failed + 1))
	docker diff "$name" >"$work/diff" 2>/dev/null || failed=$((failed + 1))
	sha256sum "$work/export.tar" >/dev/null || failed=$((failed + 1))
	echo "$failed" >>"$work/manual.failed"
	rm -rf "$work/export.tar" "$work/log"
}
# each round starts from a running container
thaw() { docker unpause "$name" >/dev/null 2>&1 || :; }

: >"$work/cfir"; : >"$work/manual"; : >"$work/rss.all"; : >"$work/manual.failed"; : >"$work/cfir.steps"
i=0
while [ $i -lt "$ROUNDS" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		ms run_cfir >>"$work/cfir"; thaw; ms run_manual >>"$work/manual"; thaw
	else
		ms run_manual >>"$work/manual"; thaw; ms run_cfir >>"$work/cfir"; thaw
	fi
	i=$((i + 1))
done
c=$(median_ms <"$work/cfir"); m=$(median_ms <"$work/manual")
echo "collect: $MIB MiB in $FILES files, a listener and two more processes, $ROUNDS rounds alternating"
echo "  cfir collect (inspect, capture, pause, ps, sockets, memory, diff, export, hunt, seal, signed)"
echo "      median $c ms, peak RSS $(( $(sort -n "$work/rss.all" | tail -n1) / 1024 )) MiB, $(sort -n "$work/cfir.steps" | tail -n1) steps"
echo "  manual sequence (pause, export > file, cp /var/log, exec netstat, exec ps, diff, sha256sum)"
echo "      median $m ms, $(sort -n "$work/manual.failed" | tail -n1) of 7 steps failed"
awk -v c="$c" -v m="$m" 'BEGIN { printf "  ratio cfir collect/manual %.2f\n", c / m }'
