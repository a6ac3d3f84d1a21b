# Shared by the benchmarks: data images and timing helpers.
. "$(cd "$(dirname "$0")" && pwd)/../lib/engine.sh"

now_ns() { date +%s%N; }

# median of numbers on stdin, nanoseconds in, milliseconds out
median_ms() {
	sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.0f\n", m / 1e6}'
}

# bench_row STEP CFIR BASELINE RATIO AIM [RSS]: one row of the table that
# 'make bench' ends with (BENCH_TABLE names its file; unset, nothing)
bench_row() {
	[ -n "${BENCH_TABLE:-}" ] || return 0
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >>"$BENCH_TABLE"
}

# bench_ratio A B: A / B, as the table shows it
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# proc_cpu_ms PID: the user and system CPU of a process, all its threads and
# the children it reaped (dockerd writes a container's tar in a child), so far
proc_cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15 + $16 + $17) * 1000 / hz) }' "/proc/$1/stat"
}

# The dockerd that answers on DOCKER_SOCK
dockerd_pid() {
	p=$(cat /var/run/docker.pid 2>/dev/null || :)
	if [ -z "$p" ] || [ "$(cat "/proc/$p/comm" 2>/dev/null)" != dockerd ]; then
		p=$(pidof dockerd | awk '{ print $NF }')
	fi
	echo "$p"
}
