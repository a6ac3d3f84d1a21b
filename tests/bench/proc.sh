#!/bin/sh
# cfir ps and cfir sockets against what a responder has today, docker top
# and nsenter -t PID -n ss -tuanp, on a container with 1,000 processes and
# 1,000 open sockets; rounds alternate, one run. Medians, ratios, peak RSS.
# Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-10}
N=${N:-1000}

name=cfir-bench-proc-$$
docker run -d --name "$name" --label cfir-bench=1 "$TEST_IMAGE" sh -c "
	i=0; while [ \$i -lt $N ]; do nc -l -p \$((10000 + i)) </dev/null & i=\$((i + 1)); done
	wait" >/dev/null
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT
pid=$(docker inspect -f '{{.State.Pid}}' "$name")
while [ "$(nsenter -t "$pid" -n ss -tlnH | wc -l)" -lt "$N" ]; do sleep 0.5; done

ms() { t0=$(now_ns); "$@" >/dev/null 2>&1; t1=$(now_ns); echo $((t1 - t0)); }
cfir_ps() { /usr/bin/time -f %M -a -o "$work/rss.ps" "$CFIR" --format json ps -o "$work/bag" "$name"; rm -rf "$work/bag"; }
cfir_sockets() { /usr/bin/time -f %M -a -o "$work/rss.sockets" "$CFIR" --format json sockets -o "$work/bag" "$name"; rm -rf "$work/bag"; }
top() { docker top "$name"; }
ss_() { nsenter -t "$pid" -n ss -tuanp; }

i=0
while [ $i -lt "$ROUNDS" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		ms cfir_ps >>"$work/ps"; ms top >>"$work/top"
		ms cfir_sockets >>"$work/sockets"; ms ss_ >>"$work/ss"
	else
		ms top >>"$work/top"; ms cfir_ps >>"$work/ps"
		ms ss_ >>"$work/ss"; ms cfir_sockets >>"$work/sockets"
	fi
	i=$((i + 1))
done
p=$(median_ms <"$work/ps"); t=$(median_ms <"$work/top")
s=$(median_ms <"$work/sockets"); n=$(median_ms <"$work/ss")
echo "proc: $N processes, $N listening sockets, $ROUNDS rounds alternating"
echo "  cfir ps (full detail, executables, bag)   median $p ms, peak RSS $(( $(sort -n "$work/rss.ps" | tail -n1) / 1024 )) MiB"
echo "  docker top                                median $t ms"
echo "  cfir sockets (all tables, holders, bag)   median $s ms, peak RSS $(( $(sort -n "$work/rss.sockets" | tail -n1) / 1024 )) MiB"
echo "  nsenter -t PID -n ss -tuanp               median $n ms"
awk -v p="$p" -v t="$t" -v s="$s" -v n="$n" 'BEGIN { printf "  ratio cfir ps/docker top %.2f, cfir sockets/ss %.2f\n", p / t, s / n }'
bench_row "ps, $N processes" "$p ms" "docker top $t ms" "$(bench_ratio "$p" "$t")" "<=1.0" "$(( $(sort -n "$work/rss.ps" | tail -n1) / 1024 )) MiB"
bench_row "sockets, $N sockets" "$s ms" "nsenter ss -tuanp $n ms" "$(bench_ratio "$s" "$n")" "<=1.0" "$(( $(sort -n "$work/rss.sockets" | tail -n1) / 1024 )) MiB"
