#!/bin/sh
# cfir report and cfir timeline on a collected bag of about 2 GiB: a
# container that wrote MIB MiB in FILES files into its writable layer, runs
# PROCS processes and logged LINES lines, collected with its export. Against
# what a responder would run otherwise on the same bag, in the same run:
# sha256sum -c over the manifest (report verifies every file first), and
# sleuthkit's mactime over the bag's bodyfile (the file times alone, the
# timeline a responder makes by hand) beside jq over diff.json sorted by time.
# Wall time, peak RSS, and how long chromium takes to open the page.
# Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
MIB=${MIB:-1024}
FILES=${FILES:-20000}
PROCS=${PROCS:-1000}
LINES=${LINES:-100000}
name=${BENCH_NAME:-cfir-bench-report-$$}

work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT
per=$((MIB * 1024 / FILES))
docker run -d --name "$name" --label cfir-bench=1 "$TEST_IMAGE" sh -c "
	mkdir -p /data; i=0
	while [ \$i -lt $FILES ]; do head -c ${per}k /dev/urandom >/data/f\$i; i=\$((i + 1)); done
	i=0; while [ \$i -lt $LINES ]; do echo \"line \$i\"; i=\$((i + 1)); done
	i=0; while [ \$i -lt $PROCS ]; do sleep 3600 & i=\$((i + 1)); done
	touch /ready; wait" >/dev/null
upper=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$name")
while [ ! -e "$upper/ready" ]; do sleep 1; done
"$CFIR" --format json collect --no-memory -o "$work/bag" "$name" >/dev/null 2>&1 || true
echo "report and timeline: bag of $(du -sm "$work/bag" | cut -f1) MiB, $FILES files, $PROCS processes, $LINES log lines"

# ms and peak RSS (MiB) of a command: "MS RSS"
measure() {
	t0=$(now_ns)
	/usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1 || true
	t1=$(now_ns)
	echo "$(( (t1 - t0) / 1000000 )) $(( $(tail -n 1 "$work/rss") / 1024 ))"
}
sync
set -- $(measure sh -c "cd '$work/bag' && sha256sum -c --quiet manifest-sha256.txt")
base=$1
set -- $(measure "$CFIR" report -o "$work/page.html" "$work/bag")
printf '  sha256sum -c manifest   %6d ms\n' "$base"
printf '  cfir report             %6d ms  peak RSS %d MiB  page %d KiB  (%.2fx sha256sum -c)\n' "$1" "$2" \
	$(( $(stat -c %s "$work/page.html") / 1024 )) "$(echo "$1 $base" | awk '{print $1 / $2}')"
if command -v chromium >/dev/null; then
	t0=$(now_ns)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$work/chromium" \
		--dump-dom "file://$work/page.html" >/dev/null 2>&1 || true
	t1=$(now_ns)
	printf '  chromium opens the page %6d ms (its own start included)\n' $(( (t1 - t0) / 1000000 ))
fi

diffjson=$(ls "$work"/bag/data/*/fs/diff.json)
body=$(ls "$work"/bag/data/*/fs/bodyfile)
set -- $(measure sh -c "jq -c '.entries[] | [.mtime, .path]' '$diffjson' | sort >'$work/jq.out'")
printf '  jq diff.json | sort     %6d ms  peak RSS %d MiB  %d lines\n' "$1" "$2" "$(wc -l <"$work/jq.out")"
base=0
if command -v mactime >/dev/null; then
	set -- $(measure sh -c "mactime -b '$body' -d -y >'$work/mactime.out'")
	base=$1
	printf '  mactime -b bodyfile -d  %6d ms  peak RSS %d MiB  %d lines\n' "$1" "$2" "$(wc -l <"$work/mactime.out")"
fi
for f in jsonl csv; do
	set -- $(measure "$CFIR" timeline --format "$f" -o "$work/tl.$f" "$work/bag")
	printf '  cfir timeline %-5s     %6d ms  peak RSS %d MiB  %d events' "$f" "$1" "$2" "$(wc -l <"$work/tl.$f")"
	[ "$base" -gt 0 ] && printf '  (%.2fx mactime)' "$(echo "$1 $base" | awk '{print $1 / $2}')"
	echo
done
