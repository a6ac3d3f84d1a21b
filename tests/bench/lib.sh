# Shared by the benchmarks: data images and timing helpers.
. "$(cd "$(dirname "$0")" && pwd)/../lib/engine.sh"

now_ns() { date +%s%N; }

# median of numbers on stdin, nanoseconds in, milliseconds out
median_ms() {
	sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.0f\n", m / 1e6}'
}
