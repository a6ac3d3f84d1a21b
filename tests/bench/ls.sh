#!/bin/bash
# cfir ls, from the runtimes' state, against what a responder runs today on
# a host with no engine that answers: ctr containers ls and ctr task ls in
# containerd's k8s.io namespace (IDs and PIDs), and with the Kubernetes
# names too, ctr containers info once per container. N containers made with
# ctr, rounds alternating, one run; cfir hunt over them from the runtime
# state. Then N Docker containers: ls and hunt from the engine and from the
# runtime state, beside docker ps and docker inspect. Medians and ratios.
# Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../lib/runtimes.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-5}
N=${N:-200}
NS=$RT_NS
if ! command -v ctr >/dev/null || ! ctr version >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	echo "ls: skipped, needs root and a containerd that answers ctr"
	exit 0
fi

work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'rt_cleanup; rm -rf "$work"' EXIT
t0=$(now_ns)
many_k8s "$N"
t1=$(now_ns)
made_ms=$(( (t1 - t0) / 1000000 ))

ms() { t0=$(now_ns); "$@" >/dev/null 2>&1 || :; t1=$(now_ns); echo $((t1 - t0)); }
cfir_ls() { "$CFIR" --format json ls; }
ctr_ls() { ctr -n "$NS" containers ls; ctr -n "$NS" task ls; }
ctr_info() {
	ctr -n "$NS" task ls
	for c in $(ctr -n "$NS" containers ls -q); do
		ctr -n "$NS" containers info "$c" |
			jq -r '.Spec.annotations | [.["io.kubernetes.cri.sandbox-namespace"], .["io.kubernetes.cri.sandbox-name"], .["io.kubernetes.cri.container-name"]] | join("/")'
	done
}

i=0
while [ $i -lt "$ROUNDS" ]; do
	if [ $((i % 2)) -eq 0 ]; then
		ms cfir_ls >>"$work/ls"; ms ctr_ls >>"$work/ctr"; ms ctr_info >>"$work/info"
	else
		ms ctr_info >>"$work/info"; ms ctr_ls >>"$work/ctr"; ms cfir_ls >>"$work/ls"
	fi
	i=$((i + 1))
done
"$CFIR" --format json ls >"$work/ls.jsonl"
rt_ctr_ids >"$work/ids"
/usr/bin/time -f %M -o "$work/rss" "$CFIR" --format json ls >/dev/null
seen=$(jq -r 'select(.namespace == "k8s.io" and .state == "running") | .id' "$work/ls.jsonl" | grep -cxFf "$work/ids" || :)
l=$(median_ms <"$work/ls"); c=$(median_ms <"$work/ctr"); f=$(median_ms <"$work/info")
echo "ls: $N containers made with ctr in containerd's $NS in $made_ms ms, $ROUNDS rounds alternating"
echo "  cfir ls (every runtime root, $(wc -l <"$work/ls.jsonl") containers)   median $l ms, peak RSS $(( $(cat "$work/rss") / 1024 )) MiB, $seen of $N seen running"
echo "  ctr containers ls + ctr task ls (IDs, PIDs)   median $c ms"
echo "  + ctr containers info each (Kubernetes names)  median $f ms"
awk -v l="$l" -v c="$c" -v f="$f" 'BEGIN {
	printf "  ratio cfir ls/ctr ls+task ls %.3f (%.1fx faster)\n", l / c, c / l
	printf "  ratio cfir ls/ctr with names %.3f (%.0fx faster)\n", l / f, f / l }'

# hunt over the same host: the runtime source reads each container's spec
# and /proc, no engine asked
i=0
while [ $i -lt "$ROUNDS" ]; do ms "$CFIR" --format json --source runtime hunt >>"$work/hunt"; i=$((i + 1)); done
"$CFIR" --format json --source runtime hunt >"$work/hunt.jsonl" 2>/dev/null || :
hseen=$(jq -r 'select(.type == "summary") | .container' "$work/hunt.jsonl" | grep -cxFf "$work/ids" || :)
/usr/bin/time -f %M -o "$work/hrss" "$CFIR" --format json --source runtime hunt >/dev/null 2>&1 || :
echo "  cfir hunt --source runtime: $hseen of the $N examined, median $(median_ms <"$work/hunt") ms, peak RSS $(( $(cat "$work/hrss") / 1024 )) MiB"
many_k8s_rm

# the same two commands over N Docker containers, from the engine and from
# the runtime state (the runtime source needs no HTTP), beside docker ps and
# docker inspect of every one (what hunt's configuration checks read)
label=cfir-bench-ls=$$
trap 'docker rm -f $(docker ps -aq --filter "label=$label") >/dev/null 2>&1; rt_cleanup; rm -rf "$work"' EXIT
t0=$(now_ns)
i=0
while [ $i -lt "$N" ]; do
	docker run -d --label "$label" "$TEST_IMAGE" sleep 3600 >/dev/null &
	i=$((i + 1))
	[ $((i % 8)) -eq 0 ] && wait
done
wait
t1=$(now_ns)
made_ms=$(( (t1 - t0) / 1000000 ))
dps() { docker ps -q --filter "label=$label"; }
dinspect() { docker inspect $(docker ps -q --filter "label=$label") >/dev/null; }
for f in els rls ehunt rhunt dps dinsp; do : >"$work/$f"; done
i=0
while [ $i -lt "$ROUNDS" ]; do
	ms "$CFIR" --format json --source engine ls >>"$work/els"
	ms "$CFIR" --format json --source runtime ls >>"$work/rls"
	ms dps >>"$work/dps"
	ms "$CFIR" --format json --source engine hunt >>"$work/ehunt"
	ms "$CFIR" --format json --source runtime hunt >>"$work/rhunt"
	ms dinspect >>"$work/dinsp"
	i=$((i + 1))
done
el=$(median_ms <"$work/els"); rl=$(median_ms <"$work/rls"); dp=$(median_ms <"$work/dps")
eh=$(median_ms <"$work/ehunt"); rh=$(median_ms <"$work/rhunt"); di=$(median_ms <"$work/dinsp")
echo "ls/hunt: $N Docker containers made in $made_ms ms, $ROUNDS rounds"
echo "  docker ps                      median $dp ms"
echo "  cfir ls --source engine        median $el ms"
echo "  cfir ls --source runtime       median $rl ms"
echo "  docker inspect (every one)     median $di ms"
echo "  cfir hunt --source engine      median $eh ms"
echo "  cfir hunt --source runtime     median $rh ms"
awk -v el="$el" -v rl="$rl" -v dp="$dp" -v eh="$eh" -v rh="$rh" -v di="$di" 'BEGIN {
	printf "  ratio ls runtime/engine %.3f, ls runtime/docker ps %.3f\n", rl / el, rl / dp
	printf "  ratio hunt runtime/engine %.3f, hunt runtime/docker inspect %.3f\n", rh / eh, rh / di }'
