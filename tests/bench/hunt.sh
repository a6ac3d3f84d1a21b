#!/bin/sh
# cfir hunt, every check, against the loops a responder runs today: docker ps
# piped into docker inspect --format once per container, for privileged,
# docker.sock mounted and host PID; on N running containers, rounds
# alternating, one run. Medians and the ratio. Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-3}
N=${N:-200}

tag=cfir-bench-hunt-$$
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker ps -aq --filter "label=$tag" | xargs -r docker rm -f >/dev/null 2>&1; rm -rf "$work"' EXIT
touch "$work/docker.sock"
i=0
while [ $i -lt "$N" ]; do
	# a few of them risky, as on a real host
	extra=""
	[ $((i % 10)) -eq 0 ] && extra="--cap-add SYS_ADMIN"
	[ $((i % 25)) -eq 0 ] && extra="$extra -v $work/docker.sock:/var/run/docker.sock"
	# shellcheck disable=SC2086
	docker run -d --label "$tag" $extra "$TEST_IMAGE" sleep 3600 >/dev/null
	i=$((i + 1))
done

ms() { t0=$(now_ns); "$@" >/dev/null 2>&1 || :; t1=$(now_ns); echo $((t1 - t0)); }
cfir_hunt() { "$CFIR" --format json hunt; }
loops() {
	for c in $(docker ps -q); do docker inspect --format '{{.HostConfig.Privileged}}' "$c"; done
	for c in $(docker ps -q); do docker inspect --format '{{range .Mounts}}{{.Source}} {{end}}' "$c" | grep -c docker.sock || :; done
	for c in $(docker ps -q); do docker inspect --format '{{.HostConfig.PidMode}}' "$c"; done
}

i=0
while [ $i -lt "$ROUNDS" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		ms cfir_hunt >>"$work/hunt"; ms loops >>"$work/loops"
	else
		ms loops >>"$work/loops"; ms cfir_hunt >>"$work/hunt"
	fi
	i=$((i + 1))
done
"$CFIR" --format json hunt >"$work/findings.jsonl"
/usr/bin/time -f %M -o "$work/rss" "$CFIR" --format json hunt >/dev/null
h=$(median_ms <"$work/hunt"); l=$(median_ms <"$work/loops")
echo "hunt: $N running containers, $ROUNDS rounds alternating"
echo "  cfir hunt (all $("$CFIR" --format json hunt --list | wc -l) checks, live ones included)  median $h ms, peak RSS $(( $(cat "$work/rss") / 1024 )) MiB,"
echo "      $(jq -s '[.[] | select(.type == "finding")] | length' "$work/findings.jsonl") findings, $(jq -s '[.[] | select(.type == "finding" and .severity == "critical")] | length' "$work/findings.jsonl") critical"
echo "  docker ps | docker inspect --format, three loops        median $l ms"
awk -v h="$h" -v l="$l" 'BEGIN { printf "  ratio cfir hunt/loops %.3f (%.0fx faster)\n", h / l, l / h }'
bench_row "hunt, $N containers" "$h ms" "docker inspect loops $l ms" "$(awk -v a="$h" -v b="$l" 'BEGIN { printf "%.3f", a / b }')" "<=0.1" "$(( $(cat "$work/rss") / 1024 )) MiB"
