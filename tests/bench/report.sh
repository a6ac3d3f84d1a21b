#!/bin/sh
# cfir timeline on a collected bag of about 1 GiB: a container that wrote
# MIB MiB in FILES files into its writable layer, runs PROCS processes and
# logged LINES lines. Prints the events, wall time and peak RSS of the
# timeline in JSONL and in CSV. Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
MIB=${MIB:-1024}
FILES=${FILES:-20000}
PROCS=${PROCS:-1000}
LINES=${LINES:-100000}
name=${BENCH_NAME:-cfir-bench-timeline-$$}

work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT
per=$((MIB * 1024 / FILES))
docker run -d --name "$name" --label cfir-bench=1 "$TEST_IMAGE" sh -c "
	mkdir -p /data; i=0
	while [ \$i -lt $FILES ]; do head -c ${per}k /dev/zero >/data/f\$i; i=\$((i + 1)); done
	i=0; while [ \$i -lt $LINES ]; do echo \"line \$i\"; i=\$((i + 1)); done
	i=0; while [ \$i -lt $PROCS ]; do sleep 3600 & i=\$((i + 1)); done
	touch /ready; wait" >/dev/null
upper=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$name")
while [ ! -e "$upper/ready" ]; do sleep 1; done
"$CFIR" --format json collect --no-memory --no-export -o "$work/bag" "$name" >/dev/null 2>&1 || true
echo "timeline: bag of $(du -sm "$work/bag" | cut -f1) MiB, $FILES files, $PROCS processes, $LINES log lines"
for f in jsonl csv; do
	t0=$(now_ns)
	/usr/bin/time -f %M -o "$work/rss" "$CFIR" timeline --format "$f" -o "$work/tl.$f" "$work/bag" 2>/dev/null
	t1=$(now_ns)
	printf '  %-5s %8d events  %6d ms  peak RSS %d MiB\n' "$f" "$(wc -l <"$work/tl.$f")" \
		$(( (t1 - t0) / 1000000 )) $(( $(tail -n1 "$work/rss") / 1024 ))
done
