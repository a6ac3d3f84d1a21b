#!/bin/sh
# cfir diff (hashing and collecting) against what a responder does today:
# docker diff, docker cp of the changed tree, sha256sum of each file; and the
# floor, reading and hashing the changed bytes once. A paused container with
# 20,000 changed files and 1 GiB of changed data; rounds alternate, one run.
# (docker cp of each of 20,000 paths one by one would take the better part of
# an hour, so the baseline copies the changed tree once.) Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-3}
MIB=${MIB:-1024}
FILES=${FILES:-20000}

name=cfir-bench-diff-$$
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT
docker run -d --name "$name" --label cfir-bench=1 "$TEST_IMAGE" sleep 3600 >/dev/null
mkdir "$work/src" "$work/src/data"
head -c $((MIB * 1048576)) /dev/urandom | (cd "$work/src/data" && split -a 5 -d -b $((MIB * 1048576 / FILES)) - f)
tar -C "$work/src" -c data | docker cp - "$name:/"
rm -rf "$work/src"
docker pause "$name" >/dev/null
upper=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$name")

ms() { t0=$(now_ns); "$@" >/dev/null 2>&1; t1=$(now_ns); echo $((t1 - t0)); }
run_cfir() {
	/usr/bin/time -f %M -a -o "$work/rss" "$CFIR" --format json diff --max-total $((2 * MIB * 1048576)) \
		-o "$work/bag" "$name"
}
run_manual() {
	docker diff "$name" >"$work/list"
	docker cp "$name:/data" - >"$work/cp.tar"
	mkdir "$work/x" && tar -C "$work/x" -xf "$work/cp.tar"
	find "$work/x" -type f -exec sha256sum {} + >"$work/sums"
}
run_floor() { find "$upper" -type f -print0 | xargs -0 cat | sha256sum; }

i=0
while [ $i -lt "$ROUNDS" ]; do
	case $((i % 3)) in
	0) set -- cfir manual floor ;;
	1) set -- manual floor cfir ;;
	2) set -- floor cfir manual ;;
	esac
	# each starts with nothing of the one before still being written back; what each wrote is
	# removed outside its time
	for m in "$@"; do
		sync
		ms "run_$m" >>"$work/$m"
		rm -rf "$work/bag" "$work/x" "$work/cp.tar"
	done
	i=$((i + 1))
done
c=$(median_ms <"$work/cfir"); m=$(median_ms <"$work/manual"); f=$(median_ms <"$work/floor")
echo "diff: $FILES changed files, $MIB MiB, paused, $ROUNDS rounds alternating"
echo "  cfir diff (walk, hash, type, collect, bodyfile)   median $c ms, peak RSS $(( $(sort -n "$work/rss" | tail -n1) / 1024 )) MiB"
echo "  docker diff + docker cp + sha256sum of each file  median $m ms"
echo "  read and hash the changed bytes once (the floor)  median $f ms"
awk -v c="$c" -v m="$m" -v f="$f" 'BEGIN { printf "  ratio cfir/manual %.2f, cfir/floor %.2f\n", c / m, c / f }'
bench_row "diff, $FILES files, $MIB MiB" "$c ms" "read and hash once $f ms" "$(bench_ratio "$c" "$f")" "<=1.3" "$(( $(sort -n "$work/rss" | tail -n1) / 1024 )) MiB"
