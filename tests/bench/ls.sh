#!/bin/bash
# cfir ls, from the runtimes' state, against what a responder runs today on
# a host with no engine that answers: ctr containers ls and ctr task ls in
# containerd's k8s.io namespace (IDs and PIDs), and with the Kubernetes
# names too, ctr containers info once per container. N containers made with
# ctr, rounds alternating, one run. Then cfir hunt over the same host, which
# asks the engine. Medians and ratios. Not pass/fail.
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

# hunt asks the engine: the containers containerd holds for no engine are
# not among what it checks
if "$CFIR" --format json hunt >"$work/hunt.jsonl" 2>"$work/hunt.err"; then
	i=0
	while [ $i -lt "$ROUNDS" ]; do ms "$CFIR" --format json hunt >>"$work/hunt"; i=$((i + 1)); done
	h=$(median_ms <"$work/hunt")
	hseen=$(jq -r '.id // .container // empty' "$work/hunt.jsonl" 2>/dev/null | grep -cFf "$work/ids" || :)
	echo "  cfir hunt (engine containers only: $(jq -s '[.[] | select(.type == "summary")] | length' "$work/hunt.jsonl") summaries, $hseen of the $N ctr ones)  median $h ms"
else
	echo "  cfir hunt: failed ($(head -1 "$work/hunt.err")), not timed"
fi
