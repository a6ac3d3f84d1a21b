#!/bin/bash
# capture: traffic between containers of this run, on networks of this run,
# bounded in count and time; counted again by tshark, hashed again by sha256sum
. "$(dirname "$0")/lib.sh"

net1=$(uniq_name cap1) net2=$(uniq_name cap2)
network "$net1" && network "$net2"
c=$(uniq_name capt) s1=$(uniq_name caps1) s2=$(uniq_name caps2)
start "$c" --network "$net1" -- sleep 600
docker network connect "$net2" "$c"
start "$s1" --network "$net1" -- sleep 600
start "$s2" --network "$net2" -- sleep 600
id=$(docker inspect -f '{{.Id}}' "$c")
pid=$(docker inspect -f '{{.State.Pid}}' "$c")
ip1=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net1\").IPAddress}}" "$c")
ip2=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net2\").IPAddress}}" "$c")
# the container's interface on each network, and its host-side peer's index,
# as iproute2 sees them from inside (netlink, not sysfs)
in_ns() { nsenter --net="/proc/$pid/ns/net" "$@"; }
if1=$(in_ns ip -o -4 addr show | awk -v a="$ip1/" 'index($4, a) == 1 {print $2}')
if2=$(in_ns ip -o -4 addr show | awk -v a="$ip2/" 'index($4, a) == 1 {print $2}')
peer_of() { in_ns ip -o link show "$1" | sed -n 's/^[0-9]*: [^@]*@if\([0-9]*\):.*/\1/p'; }

# send FROM IP MARK N: N datagrams "MARK-i" to IP:9999 from container FROM's namespace
send() {
	local p
	p=$(docker inspect -f '{{.State.Pid}}' "$1")
	nsenter --net="/proc/$p/ns/net" bash -c \
		'for i in $(seq "$3"); do printf "%s-%d" "$2" "$i" >"/dev/udp/$1/9999"; done' _ "$2" "$3" "$4"
}
# marks PCAP MARK: how many datagrams to port 9999 carry MARK (ICMP quotes left out)
marks() {
	tshark -r "$1" -Y "!icmp && udp.dstport == 9999 && data contains \"$2\"" -T fields -e frame.number 2>/dev/null | wc -l
}
# capture_bg ARGS...: cfir capture in the background, JSON on $T/cap.out;
# returns once every interface is being captured
capture_bg() {
	: >"$T/cap.err"	# emptied here: the last capture's lines must not count
	"$CFIR" --format json capture "$@" >"$T/cap.out" 2>>"$T/cap.err" &
	cap_pid=$!
	local i=0 want=${WANT_IFACES:-2}
	while [ "$(grep -c '^cfir: capturing on' "$T/cap.err")" -lt "$want" ] && [ $i -lt 100 ]; do
		kill -0 $cap_pid 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}
capture_end() { wait $cap_pid; status=$?; out=$(cat "$T/cap.out"); }

# status_says CODE TEXT: the last run exited CODE and said TEXT
status_says() { test "$status" = "$1" && grep -q -- "$2" "$T/err"; }

# ---- two networks, a known number of marked datagrams on each
# (the senders learn the target's MAC first: what is counted is the capture)
send "$s1" "$ip1" CFIRWARM 1
send "$s2" "$ip2" CFIRWARM 1
sleep 0.2
bag=$T/two
capture_bg -o "$bag" -d 6 "$c" udp port 9999
send "$s1" "$ip1" CFIRMARKONE 25
send "$s2" "$ip2" CFIRMARKTWO 15
capture_end
net=$bag/data/${id:0:12}/net
check "capture exits 0" test "$status" = 0
check "one pcap per interface" test -f "$net/$if1.pcap" -a -f "$net/$if2.pcap"
check "tshark counts exactly the 25 datagrams sent on the first network" test "$(marks "$net/$if1.pcap" CFIRMARKONE)" = 25
check "tshark counts exactly the 15 datagrams sent on the second network" test "$(marks "$net/$if2.pcap" CFIRMARKTWO)" = 15
check "each pcap holds its own network's traffic only" \
	test "$(marks "$net/$if1.pcap" CFIRMARKTWO)" = 0 -a "$(marks "$net/$if2.pcap" CFIRMARKONE)" = 0
check "the host-side peer is the one the container's interface links to" \
	jq -e -s --arg i "$if1" --argjson p "$(peer_of "$if1")" >/dev/null \
	'.[] | select(.iface == $i) | .host_ifindex == $p' "$T/cap.out"
h1=$(jq -r -s --arg i "$if1" '.[] | select(.iface == $i) | .host_iface' "$T/cap.out")
check "the recorded host interface has that index on the host" \
	test "$(cat "/sys/class/net/$h1/ifindex")" = "$(peer_of "$if1")"
check "the pcap's SHA-256 is the one in the manifest" \
	grep -qx "$(sha "$net/$if1.pcap")  data/${id:0:12}/net/$if1.pcap" "$bag/manifest-sha256.txt"
check "the custody record lists both pcaps with their hashes" \
	record "$bag" 1 "[.artifacts[] | select(.path | endswith(\".pcap\")) | .sha256] | sort == (\"$(sha "$net/$if1.pcap") $(sha "$net/$if2.pcap")\" | split(\" \") | sort)"
check "the custody record has libpcap's counters for each interface" \
	record "$bag" 1 '.action == "capture" and (.details.interfaces | length == 2 and all(.received >= 25 or .received >= 15) and all(.dropped == 0 and (.ifdropped | type) == "number"))'
check "the output says the duration ended it and how many were written" \
	jqt -s --arg i "$if1" '.[] | select(.iface == $i) | .ended == "duration" and .packets == 25 and .dropped == 0' "$T/cap.out"
check "the custody record keeps the filter" record "$bag" 1 '.details.filter == "udp port 9999"'
capinfos -t "$net/$if1.pcap" >"$T/capinfos" 2>&1
check "the pcap has nanosecond timestamps" grep -q 'nanosecond' "$T/capinfos"
run "$CFIR" verify "$bag"
check "verify passes" test "$status" = 0

# ---- SIGINT in the middle: complete file, custody record, verifiable bag
bag=$T/int
capture_bg -o "$bag" -d 60 "$c"
send "$s1" "$ip1" CFIRMARKINT 12
sleep 0.3
kill -INT $cap_pid
start_wait=$SECONDS
capture_end
check "SIGINT ends the capture at once, exit 0" test "$status" = 0 -a $((SECONDS - start_wait)) -lt 10
check "every datagram sent before SIGINT is in the pcap" test "$(marks "$bag/data/${id:0:12}/net/$if1.pcap" CFIRMARKINT)" = 12
check "the custody record says it was stopped" record "$bag" 1 '.status == "ok" and .details.ended == "stopped"'
run "$CFIR" verify "$bag"
check "verify passes after SIGINT" test "$status" = 0

# ---- bounds: packets, bytes; the ring of files
bag=$T/count
capture_bg -o "$bag" -c 5 -d 20 "$c" udp port 9999
send "$s1" "$ip1" CFIRMARKCNT 20
capture_end
n=$(jq -s 'map(.packets) | add' "$T/cap.out")
check "-c 5 writes exactly 5 packets" test "$n" = 5
check "-c ends it: packets" jqt -s 'all(.ended == "packets")' "$T/cap.out"
files_packets=$(for f in "$bag"/data/*/net/*.pcap; do capinfos -c -M "$f"; done | awk '/Number of packets/ {n += $NF} END {print n}')
check "the pcaps hold those 5 packets" test "$files_packets" = 5

bag=$T/size
capture_bg -o "$bag" -s 1000 -d 20 "$c" udp port 9999
send "$s1" "$ip1" CFIRMARKSIZE 40
capture_end
total=$(cat "$bag"/data/*/net/*.pcap | wc -c)
check "-s 1000 keeps the pcaps within 1000 bytes" test "$total" -le 1000 -a "$total" -gt 500
check "-s ends it: bytes" jqt -s 'all(.ended == "bytes")' "$T/cap.out"

bag=$T/ring
capture_bg -o "$bag" --rotate 4096 --keep 2 -c 200 -d 30 "$c" udp port 9999 and dst host "$ip1"
send "$s1" "$ip1" "CFIRMARKRING$(printf '%0100d' 0)" 200
capture_end
ring=("$bag"/data/*/net/"$if1"-*.pcap)
check "the ring keeps 2 files of that interface" test "${#ring[@]}" = 2
check "each file is within the rotation size" test "$(stat -c %s "${ring[@]}" | sort -n | tail -1)" -le 4096
check "every kept file opens in tshark" bash -c 'for f; do tshark -r "$f" >/dev/null 2>&1 || exit 1; done' _ "${ring[@]}"
check "the discarded files are named with their hashes in custody" \
	record "$bag" 1 '[.details.interfaces[].discarded // [] | .[] | select(.sha256 | length == 64)] | length >= 4'
check "the files the ring dropped are gone from the manifest" \
	test "$(grep -c '\.pcap$' "$bag/manifest-sha256.txt")" = "$(ls "$bag"/data/*/net/*.pcap | wc -l)"
run "$CFIR" verify "$bag"
check "verify passes on a ring" test "$status" = 0

# ---- refusals: nothing is written
run "$CFIR" capture -o "$T/badf" "$c" 'tcp port'
check "a bad BPF filter exits 64" test "$status" = 64
check "it says the filter is bad" grep -q 'bad filter' "$T/err"
check "nothing was written for it" test ! -e "$T/badf"

run "$CFIR" capture -o "$T/badb" -d 0 "$c"
check "a zero duration is a usage error" status_says 64 'duration'
run "$CFIR" capture -o "$T/badb" --keep 3 "$c"
check "--keep without --rotate is a usage error" status_says 64 'needs --rotate'
run "$CFIR" capture -o "$T/badb" -s 10X "$c"
check "a size that is not one is a usage error, and nothing was written" \
	bash -c '[ "$1" = 64 ] && [ ! -e "$2" ]' _ "$status" "$T/badb"

hostc=$(uniq_name caphost)
start "$hostc" --network host -- sleep 600
run "$CFIR" capture -o "$T/hostm" "$hostc"
check "host network mode exits 64 and names --host-iface" status_says 64 'host-iface' 
nonec=$(uniq_name capnone)
start "$nonec" --network none -- sleep 600
run "$CFIR" capture -o "$T/nonem" "$nonec"
check "none network mode exits 69 and says there is no network" status_says 69 'network mode none' 
check "nothing was written for them" test ! -e "$T/hostm" -a ! -e "$T/nonem"

run setpriv --bounding-set=-net_raw "$CFIR" capture -o "$T/noraw" "$c"
check "without CAP_NET_RAW: exit 77 naming it" status_says 77 'needs CAP_NET_RAW,' 
run setpriv --bounding-set=-sys_admin "$CFIR" capture -o "$T/noadm" "$c"
check "without CAP_SYS_ADMIN (setns): exit 77 naming it" status_says 77 'needs CAP_SYS_ADMIN,' 

# a macvlan interface has no host-side peer: on a veth of this run as parent
par=cfirmv$$
if ip link add "${par}a" type veth peer name "${par}b" 2>/dev/null; then
	_cleanup_extra="ip link del ${par}a 2>/dev/null"
	ip link set "${par}a" up
	macnet=$(uniq_name capmac)
	docker network create --label "$LABEL" -d macvlan --subnet 10.213.$((RANDOM % 250)).0/24 \
		-o parent="${par}a" "$macnet" >/dev/null && _networks="${_networks:-} $macnet"
	macc=$(uniq_name capmacc)
	start "$macc" --network "$macnet" -- sleep 600
	run "$CFIR" capture -o "$T/mac" -d 1 "$macc"
	check "a macvlan interface exits 69 naming its parent" status_says 69 "a macvlan on the host's ${par}a has no host-side peer"
	check "nothing was written for it" test ! -e "$T/mac"
	docker network connect "$net1" "$macc"
	run "$CFIR" --format json capture -o "$T/mac2" -d 1 "$macc"
	check "beside a veth it is skipped, the veth captured" bash -c '[ "$1" = 0 ] && jq -e ".host_iface | startswith(\"veth\")" <<<"$2" >/dev/null' _ "$status" "$out"
	check "the custody record says why it was skipped" record "$T/mac2" 1 '.details.skipped[0].kind == "macvlan"'
else
	skip "macvlan" "cannot make a veth pair for its parent"
fi

# SIGTERM ends it as cleanly as SIGINT; sent right before it, the datagrams are in a block
# the kernel has not retired yet: the drain waits for them
bag=$T/term
WANT_IFACES=2 capture_bg -o "$bag" "$c"
send "$s2" "$ip2" CFIRMARKTERM 7
kill -TERM $cap_pid
capture_end
check "SIGTERM: exit 0, every datagram in the pcap" \
	test "$status" = 0 -a "$(marks "$bag/data/${id:0:12}/net/$if2.pcap" CFIRMARKTERM)" = 7

# ---- the host's namespace: an explicit interface, the container's ports
lst=$(uniq_name caplisten)
start "$lst" --network host -- nc -ll -p 18480 -e cat
sleep 0.5
WANT_IFACES=1 capture_bg -o "$T/hostif" --host-iface lo -d 3 "$lst"
echo hello | socat -t1 - TCP:127.0.0.1:18480 >/dev/null 2>&1
socat -u - UDP-SENDTO:127.0.0.1:18481 <<<"not the container's" 2>/dev/null
capture_end
check "--host-iface captures on the host's interface" test "$status" = 0
check "filtered on the container's ports" jqt -s 'all(.filter == "(tcp or udp) and (port 18480)")' "$T/cap.out"
pc=$(ls "$T"/hostif/data/*/net/lo.pcap)
check "its connection is in the pcap, the host's other traffic is not" \
	test "$(tshark -r "$pc" -Y 'tcp.port == 18480' -T fields -e frame.number 2>/dev/null | wc -l)" -gt 3 -a \
	"$(tshark -r "$pc" -Y 'udp.port == 18481' -T fields -e frame.number 2>/dev/null | wc -l)" = 0
