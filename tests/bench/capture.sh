#!/bin/bash
# cfir capture against tcpdump -w, the capture a responder runs today, on a
# bounded flood of small UDP packets between two containers of this run on a
# network of this run (hping3 --flood for FLOOD seconds). Rounds alternate,
# one run. Per tool, medians of: packets sent into the veth (its counters),
# captured, dropped, and the capture process's CPU time. Not pass/fail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
: "${CFIR:?}"
ROUNDS=${ROUNDS:-5}
FLOOD=${FLOOD:-5}
TIMEFORMAT='%3U %3S'	# bash's time: the capture's CPU to the millisecond

command -v hping3 >/dev/null || { echo "capture: needs hping3 (apt-get install hping3)"; exit 1; }
tag=$$
net=cfir-bench-net-$tag rcv=cfir-bench-rcv-$tag fld=cfir-bench-fld-$tag
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
trap 'docker rm -f "$rcv" "$fld" >/dev/null 2>&1; docker network rm "$net" >/dev/null 2>&1; rm -rf "$work"' EXIT
docker network create --label cfir-bench=1 "$net" >/dev/null
docker run -d --name "$rcv" --label cfir-bench=1 --network "$net" "$TEST_IMAGE" sleep 3600 >/dev/null
docker run -d --name "$fld" --label cfir-bench=1 --network "$net" "$TEST_IMAGE" sleep 3600 >/dev/null
rpid=$(docker inspect -f '{{.State.Pid}}' "$rcv")
fpid=$(docker inspect -f '{{.State.Pid}}' "$fld")
rip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$rcv")
# the receiver's host-side veth: the index its eth0 links to, as netlink says
peer=$(nsenter --net="/proc/$rpid/ns/net" ip -o link show eth0 | sed -n 's/^[0-9]*: [^@]*@if\([0-9]*\):.*/\1/p')
veth=$(ip -o link | awk -F': ' -v i="$peer" '$1 == i {sub(/@.*/, "", $2); print $2}')
txp() { cat "/sys/class/net/$veth/statistics/tx_packets"; }

# wait_for FILE TEXT: until the capture says it is ready
wait_for() {
	w=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $w -lt 100 ]; do sleep 0.1; w=$((w + 1)); done
}

# round TOOL [idle]: one capture during one flood (or as long without one);
# appends "sent captured dropped cpu_ms"
round() {
	rm -rf "$work/bag" "$work/t.pcap" "$work/err" "$work/out" "$work/time"
	if [ "$1" = cfir ]; then
		{ time "$CFIR" --format json capture -o "$work/bag" "$rcv" udp >"$work/out" 2>"$work/err"; } 2>"$work/time" &
		ready='capturing on'
	else
		{ time tcpdump -i "$veth" -w "$work/t.pcap" udp >"$work/out" 2>"$work/err"; } 2>"$work/time" &
		ready='listening on'
	fi
	tpid=$!
	wait_for "$work/err" "$ready"
	sleep 0.3
	before=$(txp)
	if [ "${2:-}" = idle ]; then
		sleep "$FLOOD"
	else
		nsenter --net="/proc/$fpid/ns/net" timeout "$FLOOD" hping3 --flood --udp -p 9999 -d 18 -q "$rip" \
			>/dev/null 2>&1 || true
	fi
	sleep 0.5
	sent=$(( $(txp) - before ))
	# the background job is a subshell: signal the capture itself
	pkill -INT -P "$tpid" 2>/dev/null || true
	wait "$tpid" || true
	cpu=$(awk '{printf "%.0f", ($1 + $2) * 1000}' "$work/time")
	if [ "$1" = cfir ]; then
		got=$(jq -s 'map(.packets) | add' "$work/out")
		drop=$(jq -s 'map(.dropped + .ifdropped) | add' "$work/out")
	else
		got=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$work/err")
		drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$work/err")
		ifd=$(sed -n 's/^\([0-9]*\) packets dropped by interface.*/\1/p' "$work/err")
		drop=$((drop + ${ifd:-0}))
	fi
	echo "$sent $got $drop $cpu" >>"$work/$1${2:+-$2}"
	echo "  round $1${2:+ $2}: sent $sent, captured $got, dropped $drop, CPU $cpu ms"
}

echo "capture: hping3 --flood of 18-byte UDP datagrams for ${FLOOD}s into $rcv ($veth), $ROUNDS rounds alternating"
# what each costs without traffic: starting, waiting, stopping
for i in 1 2 3; do round cfir idle; round tcpdump idle; done
i=0
while [ $i -lt "$ROUNDS" ]; do
	if [ $((i % 2)) -eq 0 ]; then round cfir; round tcpdump; else round tcpdump; round cfir; fi
	i=$((i + 1))
done
# medians per column, and CPU per packet captured
for t in cfir tcpdump; do
	awk -v t="$t" '{s[NR]=$1; g[NR]=$2; d[NR]=$3; c[NR]=$4; u[NR]=($2 > 0 ? $4 * 1000 / $2 : 0)}
		function med(a, n,  i, j, x, b) { for (i = 1; i <= n; i++) b[i] = a[i]
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { x = b[i]; b[i] = b[j]; b[j] = x }
			return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2 }
		END { print t, med(s, NR), med(g, NR), med(d, NR), med(c, NR), med(u, NR) }' "$work/$t" >>"$work/summary"
	sort -n -k4 "$work/$t-idle" | awk 'NR == 2 {print $4}' >>"$work/idle"
done
paste -d' ' "$work/summary" "$work/idle" >"$work/s2"
awk '{ m = $3 > 0 ? ($5 - $7) * 1000 / $3 : 0
	printf "  %-8s median sent %d, captured %d (%.3f%%), dropped %d, CPU %d ms (%d ms idle), %.3f us CPU a packet, %.3f beyond idle\n",
		$1, $2, $3, ($2 > 0 ? 100 * $3 / $2 : 0), $4, $5, $7, $6, m; u[NR] = $6; v[NR] = m }
	END { if (u[2] > 0 && v[2] > 0) printf "  ratio of CPU a packet, cfir/tcpdump: %.2f in all, %.2f beyond idle\n", u[1] / u[2], v[1] / v[2] }' "$work/s2"
awk '{ u[NR] = $6; c[NR] = $5; i[NR] = $7 }
	END { printf "%d ms (%d idle), %.3f us a packet\t%d ms (%d idle), %.3f us a packet\t%.2f\n", c[1], i[1], u[1], c[2], i[2], u[2], (u[2] > 0 ? u[1] / u[2] : 0) }' "$work/s2" |
	while IFS="$(printf '\t')" read -r cc tc ra; do bench_row "capture, ${FLOOD}s UDP flood, CPU" "$cc" "tcpdump -w $tc" "$ra" "<=1.0"; done
