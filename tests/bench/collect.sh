#!/bin/sh
# cfir collect against the manual sequence of the hardening guide's
# incident-response section, in the order that lets every step succeed (the
# execs before the pause: a paused container runs nothing): docker exec
# netstat -tuan, docker exec ps, docker pause, docker export > file, docker
# cp of /var/log, docker diff, sha256sum of the export; on a container with
# 1 GiB in about 20,000 files, a listener and two more processes; rounds
# alternate, one run. Prints median wall times, the ratio, and how many
# manual steps failed (none should). Not pass/fail.
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
# the data image has busybox and a few of its links: the rest by its name
docker run -d --name "$name" --label cfir-bench=1 "$img" sh -c \
	'busybox mkdir -p /var/log; echo started >/var/log/app.log
	 busybox nc -ll -p 8080 -e busybox cat & sleep 3600 & sleep 3600 & wait' >/dev/null
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT
"$CFIR" keygen -o "$work/keys" --no-passphrase >/dev/null 2>&1

ms() { t0=$(now_ns); "$@"; t1=$(now_ns); echo $((t1 - t0)); }
run_cfir() {
	/usr/bin/time -f %M -o "$work/rss" "$CFIR" --format json collect -o "$work/bag" -k "$work/keys/cfir.key" \
		"$name" >"$work/collect.json" 2>/dev/null || echo "collect exit $?" >&2
	cat "$work/rss" >>"$work/rss.all"
	jq -r '.steps | length' "$work/collect.json" >>"$work/cfir.steps"
}
run_manual() {
	failed=0
	docker exec "$name" busybox netstat -tuan >"$work/netstat" 2>/dev/null || failed=$((failed + 1))
	docker exec "$name" busybox ps >"$work/ps" 2>/dev/null || failed=$((failed + 1))
	docker pause "$name" >/dev/null 2>&1 || failed=$((failed + 1))
	docker export "$name" >"$work/export.tar" 2>/dev/null || failed=$((failed + 1))
	docker cp "$name:/var/log" "$work/log" 2>/dev/null || failed=$((failed + 1))
	docker diff "$name" >"$work/diff" 2>/dev/null || failed=$((failed + 1))
	sha256sum "$work/export.tar" >/dev/null || failed=$((failed + 1))
	echo "$failed" >>"$work/manual.failed"
}
# each round starts from a running container, nothing of the one before still being written
# back; what each wrote is removed outside its time
thaw() { docker unpause "$name" >/dev/null 2>&1 || :; rm -rf "$work/bag" "$work/export.tar" "$work/log"; sync; }

: >"$work/cfir"; : >"$work/manual"; : >"$work/rss.all"; : >"$work/manual.failed"; : >"$work/cfir.steps"
thaw
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
echo "      its steps, last round: $(jq -r '[.steps[] | "\(.step) \(.seconds * 1000 | floor)"] | join(", ")' "$work/collect.json") (ms)"
echo "  manual sequence (exec netstat, exec ps, pause, export > file, cp /var/log, diff, sha256sum)"
echo "      median $m ms, $(sort -n "$work/manual.failed" | tail -n1) of 7 steps failed"
awk -v c="$c" -v m="$m" 'BEGIN { printf "  ratio cfir collect/manual %.2f\n", c / m }'
bench_row "collect, $MIB MiB, signed" "$c ms" "manual sequence $m ms" "$(awk -v a="$c" -v b="$m" 'BEGIN { printf "%.2f", a / b }')" "<=0.5" \
	"$(( $(sort -n "$work/rss.all" | tail -n1) / 1024 )) MiB"
