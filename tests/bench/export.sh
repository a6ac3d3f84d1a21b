#!/bin/sh
# cfir export against the engine's raw stream (the limit), the same stream
# stored to disk by curl (the floor for anything that keeps it), and what a
# responder types today, docker export | tee file | sha256sum, on a paused
# container with 1 GiB in about 20,000 files: cfir export as by default
# (the tar cfir writes from the container's layers), typed by libmagic and
# not (--no-magic: every member still hashed and indexed), and
# export --engine (the engine's stream, typed); rounds alternate, one run.
# Prints median wall times, the ratios, cfir's peak RSS, and the CPU per
# GiB of cfir's exports against dockerd's for the raw stream (cfir keeps
# pace wherever it has the CPU the engine leaves). Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-5}
MIB=${MIB:-1024}
FILES=${FILES:-20000}

img=cfir-bench/data${MIB}m-$FILES
data_image "$img" "$MIB" "$FILES"
name=cfir-bench-export-$$
docker run -d --name "$name" --label cfir-bench=1 "$img" sleep 3600 >/dev/null
docker pause "$name" >/dev/null
id=$(docker inspect -f '{{.Id}}' "$name")
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT

ms() {	# ms CMD...: wall milliseconds of CMD
	t0=$(now_ns)
	"$@"
	t1=$(now_ns)
	echo $((t1 - t0))
}
cfir_export() {	# cfir_export [OPTIONS]: one export into a fresh bag, its peak RSS and CPU kept
	/usr/bin/time -f '%M %U %S' -o "$work/rss" "$CFIR" --format json export "$@" -o "$work/bag" "$name" >/dev/null
	cut -d' ' -f1 "$work/rss" >>"$work/rss.all"
	awk '{ printf "%.0f\n", ($2 + $3) * 1e9 }' "$work/rss" >"$work/cpu.last"
}
dpid=$(dockerd_pid)
run_cfir() { cfir_export; cat "$work/cpu.last" >>"$work/cpu.cfir"; }
run_engine() { cfir_export --engine; cat "$work/cpu.last" >>"$work/cpu.engine"; }
run_untyped() { cfir_export --no-magic; cat "$work/cpu.last" >>"$work/cpu.untyped"; }
run_raw() {	# and dockerd's CPU for it
	d0=$(proc_cpu_ms "$dpid")
	curl -s --unix-socket "$DOCKER_SOCK" "http://x/v1.41/containers/$id/export" -o /dev/null
	echo $(( ($(proc_cpu_ms "$dpid") - d0) * 1000000 )) >>"$work/cpu.dockerd"
}
run_store() { curl -s --unix-socket "$DOCKER_SOCK" "http://x/v1.41/containers/$id/export" -o "$work/stored.tar"; }
run_pipe() { bash -o pipefail -c 'docker export "$1" | tee "$2" | sha256sum >/dev/null' _ "$name" "$work/export.tar"; }

: >"$work/cpu.cfir"; : >"$work/cpu.engine"; : >"$work/cpu.untyped"; : >"$work/cpu.dockerd"; : >"$work/cfir"; : >"$work/engine"; : >"$work/untyped"; : >"$work/raw"; : >"$work/store"; : >"$work/pipe"; : >"$work/rss.all"
i=0
while [ $i -lt "$ROUNDS" ]; do
	# rotate the order so that none is always first (page cache, engine state)
	case $((i % 4)) in
	0) set -- cfir engine untyped raw store pipe ;;
	1) set -- raw store pipe cfir engine untyped ;;
	2) set -- store pipe untyped engine cfir raw ;;
	3) set -- pipe untyped cfir raw engine store ;;
	esac
	# each starts with nothing of the one before still being written back; what each wrote is
	# removed outside its time
	for m in "$@"; do
		sync
		ms "run_$m" >>"$work/$m"
		rm -rf "$work/bag" "$work/stored.tar" "$work/export.tar"
	done
	i=$((i + 1))
done
c=$(median_ms <"$work/cfir")
e=$(median_ms <"$work/engine")
u=$(median_ms <"$work/untyped")
r=$(median_ms <"$work/raw")
s=$(median_ms <"$work/store")
p=$(median_ms <"$work/pipe")
rss=$(sort -n "$work/rss.all" | tail -n 1)
cc=$(median_ms <"$work/cpu.cfir")
ce=$(median_ms <"$work/cpu.engine")
cu=$(median_ms <"$work/cpu.untyped")
dc=$(median_ms <"$work/cpu.dockerd")
echo "export: $MIB MiB in $FILES files, paused, $ROUNDS rounds alternating"
echo "  cfir export (the layers merged; tar + mtree + index, typed)  median $c ms"
echo "  cfir export --no-magic                                     median $u ms"
echo "  cfir export --engine (the engine's stream, typed)          median $e ms"
echo "  engine raw stream to /dev/null (the limit)                 median $r ms"
echo "  engine stream stored by curl -o file                       median $s ms"
echo "  docker export | tee | sha256sum                            median $p ms"
awk -v c="$c" -v e="$e" -v u="$u" -v r="$r" -v s="$s" -v p="$p" 'BEGIN {
	printf "  ratio cfir/raw %.2f, cfir/stored %.2f, cfir/pipeline %.2f\n", c / r, c / s, c / p
	printf "  ratio --no-magic/raw %.2f, --no-magic/pipeline %.2f\n", u / r, u / p
	printf "  ratio --engine/raw %.2f, --engine/pipeline %.2f\n", e / r, e / p }'
echo "  cfir peak RSS $((rss / 1024)) MiB"
awk -v c="$cc" -v e="$ce" -v u="$cu" -v d="$dc" -v m="$MIB" 'BEGIN {
	printf "  CPU per GiB: cfir export %.2f s, --no-magic %.2f s, --engine %.2f s; dockerd for the raw stream %.2f s\n",
		c / m * 1.024, u / m * 1.024, e / m * 1.024, d / m * 1.024 }'
bench_row "export (typed), $MIB MiB" "$c ms" "raw stream $r ms" "$(bench_ratio "$c" "$r")" "<=1.2" "$((rss / 1024)) MiB"
bench_row "export CPU per GiB" "$cc ms" "dockerd's, raw stream: $dc ms" "$(bench_ratio "$cc" "$dc")" "<1.0"
bench_row "export --no-magic" "$u ms" "raw stream $r ms" "$(bench_ratio "$u" "$r")" ""
bench_row "export --no-magic CPU per GiB" "$cu ms" "dockerd's, raw stream: $dc ms" "$(bench_ratio "$cu" "$dc")" ""
bench_row "export --engine (typed)" "$e ms" "raw stream $r ms" "$(bench_ratio "$e" "$r")" ""
