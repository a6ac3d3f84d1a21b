#!/bin/sh
# How cfir scales with what a container chooses: ps and hunt on containers
# of 1,000 to 16,000 processes, diff on layers of 10,000 to 100,000 files.
# Time per process and per file should stay flat (linear or n log n);
# docker top and docker diff, the responder's baseline, are measured in the
# same run. CFIR_OLD=path adds another cfir binary for comparison.
# Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
PROCS=${PROCS:-1000 4000 16000}
FILES=${FILES:-10000 30000 100000}

work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f $(docker ps -aq --filter label=cfir-bench-scale=$$) >/dev/null 2>&1; rm -rf "$work"' EXIT
ms() { t0=$(now_ns); "$@" >/dev/null 2>&1 || true; t1=$(now_ns); echo $(( (t1 - t0) / 1000000 )); }
per() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.1f", t * 1000 / n }'; }
bins="$CFIR${CFIR_OLD:+ $CFIR_OLD}"

echo "scale: processes (time, and microseconds a process)"
for n in $PROCS; do
	name=cfir-bench-scale-p$n-$$
	docker run -d --name "$name" --label cfir-bench-scale=$$ "$TEST_IMAGE" sh -c "
		i=0; while [ \$i -lt $n ]; do sleep 3600 & i=\$((i + 1)); done; wait" >/dev/null
	while [ "$(docker top "$name" | wc -l)" -le "$n" ]; do sleep 0.5; done
	docker pause "$name" >/dev/null
	t=$(ms docker top "$name")
	printf '  %6d  docker top %6d ms (%s us)\n' "$n" "$t" "$(per "$t" "$n")"
	for b in $bins; do
		p=$(ms /usr/bin/time -f %M -o "$work/rss" "$b" --format json ps -o "$work/b" "$name"); rm -rf "$work/b"
		h=$(ms "$b" --format json hunt "$name")
		printf '  %6d  %s ps %6d ms (%s us), peak RSS %d MiB, hunt %6d ms (%s us); ps/docker top %s\n' "$n" "$b" \
			"$p" "$(per "$p" "$n")" $(( $(tail -n1 "$work/rss") / 1024 )) "$h" "$(per "$h" "$n")" \
			"$(awk -v a="$p" -v b="$t" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')"
	done
	docker rm -f "$name" >/dev/null
done

echo "scale: files in the writable layer (time, and microseconds a file)"
for n in $FILES; do
	name=cfir-bench-scale-f$n-$$
	docker run -d --name "$name" --label cfir-bench-scale=$$ "$TEST_IMAGE" sleep 3600 >/dev/null
	up=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$name")
	mkdir "$up/many"
	(cd "$up/many" && i=0 && while [ $i -lt $((n / 1000)) ]; do mkdir d$i; (cd d$i && seq 1000 | xargs touch); i=$((i + 1)); done)
	docker pause "$name" >/dev/null
	t=$(ms docker diff "$name")
	printf '  %6d  docker diff %6d ms (%s us)\n' "$n" "$t" "$(per "$t" "$n")"
	for b in $bins; do
		d=$(ms /usr/bin/time -f %M -o "$work/rss" "$b" --format json diff --no-collect -o "$work/b" "$name"); rm -rf "$work/b"
		printf '  %6d  %s diff %6d ms (%s us), peak RSS %d MiB; diff/docker diff %s\n' "$n" "$b" "$d" "$(per "$d" "$n")" \
			$(( $(tail -n1 "$work/rss") / 1024 )) "$(awk -v a="$d" -v b="$t" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')"
	done
	docker rm -f "$name" >/dev/null
done
