#!/bin/sh
# cfir sockets against what a responder has today, nsenter -t PID -n
# ss -tuanpxw0 and netstat -tuanpxw, on a container whose one process holds
# N TCP listeners, N UDP sockets and N unix listeners (3N sockets and fds;
# N=5000 by default: 15,000, under a 20,000-fd limit); OLD=path/to/an/older/cfir adds it to the same
# rounds. Rounds alternate the order, one run. Medians, ratios, peak RSS.
# Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-7}
N=${N:-5000}
OLD=${OLD:-}

name=cfir-bench-sockets-$$
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT
cc -static -O2 -o "$work/x" "$here/../e2e/attack/sockets.c"
docker run -d --name "$name" --label cfir-bench=1 \
	-v "$work/x:/x:ro" "$TEST_IMAGE" /x many "$N" >/dev/null
pid=$(docker inspect -f '{{.State.Pid}}' "$name")
while [ "$(ls "/proc/$pid/fd" | wc -l)" -lt $((3 * N)) ]; do sleep 0.2; done

ms() { t0=$(now_ns); "$@" >/dev/null 2>&1; t1=$(now_ns); echo $((t1 - t0)); }
sockets_with() {	# BINARY RSSFILE
	/usr/bin/time -f %M -a -o "$2" "$1" --format json sockets -o "$work/bag" "$name"
	rm -rf "$work/bag"
}
new() { sockets_with "$CFIR" "$work/rss.new"; }
old() { sockets_with "$OLD" "$work/rss.old"; }
ss_() { nsenter -t "$pid" -n ss -tuanpxw0; }
netstat_() { nsenter -t "$pid" -n netstat -tuanpxw; }

set -- new ss_ netstat_
[ -n "$OLD" ] && set -- "$@" old
i=0
while [ $i -lt "$ROUNDS" ]; do
	if [ $((i % 2)) -eq 0 ]; then order="$*"; else order=$(printf '%s\n' "$@" | tac | tr '\n' ' '); fi
	for f in $order; do ms "$f" >>"$work/t.$f"; done
	i=$((i + 1))
done
count=$("$CFIR" --format json sockets "$name" | wc -l)
n=$(median_ms <"$work/t.new"); s=$(median_ms <"$work/t.ss_"); t=$(median_ms <"$work/t.netstat_")
echo "sockets: one process holding $((3 * N)) sockets ($count listed by cfir), $ROUNDS rounds alternating"
echo "  cfir sockets (sock_diag, holders, bag)    median $n ms, peak RSS $(( $(sort -n "$work/rss.new" | tail -n1) / 1024 )) MiB"
if [ -n "$OLD" ]; then
	o=$(median_ms <"$work/t.old")
	echo "  older cfir sockets ($OLD)  median $o ms, peak RSS $(( $(sort -n "$work/rss.old" | tail -n1) / 1024 )) MiB"
fi
echo "  nsenter -t PID -n ss -tuanpxw0            median $s ms"
echo "  nsenter -t PID -n netstat -tuanpxw        median $t ms"
awk -v n="$n" -v s="$s" -v t="$t" -v o="${o:-0}" 'BEGIN {
	printf "  ratio cfir sockets/ss %.2f, cfir sockets/netstat %.2f", n / s, n / t
	if (o > 0) printf ", cfir sockets/older cfir %.2f", n / o
	printf "\n" }'
bench_row "sockets, $((3 * N)) sockets, one process" "$n ms" "nsenter ss -tuanpxw0 $s ms" "$(bench_ratio "$n" "$s")" "<=1.0" "$(( $(sort -n "$work/rss.new" | tail -n1) / 1024 )) MiB"
