#!/bin/sh
# Time from the command's start until the container is paused:
# cfir pause against docker pause, 20 rounds alternating, in one run.
# Prints the median of each and the ratio. Not a pass/fail test.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-20}

name=cfir-bench-pause-$$
docker run -d --name "$name" --label cfir-bench=1 "$TEST_IMAGE" sleep 3600 >/dev/null
trap 'docker rm -f "$name" >/dev/null 2>&1' EXIT

now() { date +%s%N; }
timed() {	# timed CMD...: nanoseconds CMD took; the container must end up paused
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	[ "$(docker inspect -f '{{.State.Paused}}' "$name")" = true ] || { echo "not paused" >&2; exit 1; }
	docker unpause "$name" >/dev/null
	echo $((t1 - t0))
}
median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f\n", m / 1e6}'; }

: >"/tmp/$name.cfir"
: >"/tmp/$name.docker"
i=0
while [ $i -lt "$ROUNDS" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		timed "$CFIR" pause "$name" >>"/tmp/$name.cfir"
		timed docker pause "$name" >>"/tmp/$name.docker"
	else
		timed docker pause "$name" >>"/tmp/$name.docker"
		timed "$CFIR" pause "$name" >>"/tmp/$name.cfir"
	fi
	i=$((i + 1))
done
c=$(median <"/tmp/$name.cfir")
d=$(median <"/tmp/$name.docker")
rm -f "/tmp/$name.cfir" "/tmp/$name.docker"
echo "pause: $ROUNDS rounds alternating ($(docker --version | cut -d, -f1))"
echo "  cfir pause    median ${c} ms (includes confirmation through inspect and the freezer)"
echo "  docker pause  median ${d} ms"
awk -v c="$c" -v d="$d" 'BEGIN { printf "  ratio cfir/docker %.2f\n", c / d }'
bench_row "pause, to frozen" "$c ms" "docker pause $d ms" "$(bench_ratio "$c" "$d")" ""
