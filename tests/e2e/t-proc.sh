#!/bin/bash
# ps, sockets and memory: the container's live state from the host's /proc
. "$(dirname "$0")/lib.sh"

c=$(uniq_name proc)
# raw, packet, udp6 and UDP-Lite sockets from a static helper, when a static
# C toolchain is there
kinds=()
if cc -static -O2 -o "$T/x" "$(dirname "$0")/attack/sockets.c" 2>/dev/null; then
	kinds=(-v "$T/x:/x:ro")
fi
start "$c" "${kinds[@]}" -- sh -c '
	[ -x /x ] && /x kinds &
	mkdir /tmp/d; cp /bin/busybox /tmp/d/busybox
	/tmp/d/busybox sleep 1000 & sleep 0.5; rm /tmp/d/busybox
	sh -c "printf \"[kworker/0:1]\" >/proc/\$\$/comm; sleep 1001; :" &
	sh -c "sleep 1002; :" "$(printf "a\nb\033[31m")" &
	sleep 600 | nc -l -p 9000 &
	sleep 600 | nc -l -p 9001 &
	httpd -f -p 0.0.0.0:8080 &
	syslogd -n -O /dev/null -R 192.0.2.1:514 &
	M=CFIRMARKER-$(echo 4242 | tr 0-9 a-j)-END
	sleep 1; logger hello
	while :; do sleep 1; done'
sleep 2
ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$c")
peer=$(uniq_name peer)
start "$peer" -- sh -c "sleep 600 | nc $ip 9000"
sleep 1.5
pid=$(docker inspect -f '{{.State.Pid}}' "$c")
id=$(docker inspect -f '{{.Id}}' "$c")
pidns=$(readlink "/proc/$pid/ns/pid" | tr -dc 0-9)
host_pids() { ps -e -o pid=,pidns= | awk -v ns="$pidns" '$2 == ns {print $1}' | sort -n; }

# a host process moved into the container's cgroup: found by its cgroup alone
cg=$(awk -F: '$2 == "pids" {print $3}' "/proc/$pid/cgroup")
moved=""
if [ -n "$cg" ] && [ -w "/sys/fs/cgroup/pids$cg/cgroup.procs" ]; then
	sleep 300 &
	moved=$!
	echo "$moved" >"/sys/fs/cgroup/pids$cg/cgroup.procs"
	_cleanup_extra="kill $moved 2>/dev/null"
fi

run "$CFIR" --format json ps -o "$T/bag" "$c"
check "ps exits 0" test "$status" = 0
p=$T/bag/data/${id:0:12}/proc
check "the PIDs found in the PID namespace are those the host's ps shows there" \
	test "$(jq -r '.processes[] | select(.found_by | index("pidns")) | .pid' "$p/processes.json" | sort -n)" = "$(host_pids)"
if [ -n "$moved" ]; then
	check "a host process moved into the container's cgroup is found by its cgroup" \
		jqt --argjson m "$moved" '.processes[] | select(.pid == $m) | .found_by == ["cgroup"]' "$p/processes.json"
else
	skip "cgroup membership" "no writable pids cgroup (cgroup v2 or another layout)"
fi
check "the deleted binary's process is marked" \
	member "$p/processes.json" '.processes[] | select(.cmdline == ["/tmp/d/busybox","sleep","1000"]) | .exe_deleted == true'
bb=$(sha /bin/busybox)
check "the recovered executable has busybox's SHA-256, and the index says it ran deleted" \
	jqt --arg h "$bb" '.executables[] | select(.sha256 == $h) | .deleted == true and (.exe_paths | index("/tmp/d/busybox (deleted)") != null) and (.pids | length) >= 8' "$p/processes.json"
check "one stored copy per distinct SHA-256, busybox's among them" \
	bash -c 'h=$(sha256sum "$1"/exe/* | cut -c1-64 | sort); [ "$h" = "$(sort -u <<<"$h")" ] &&
		[ "$(grep -c "^$2$" <<<"$h")" = 1 ] && [ "$(wc -l <<<"$h")" = "$(jq ".executables | length" "$1/processes.json")" ]' _ "$p" "$bb"
check "a renamed process keeps its exact comm" \
	member "$p/processes.json" '.processes[] | select(.comm == "[kworker/0:1]") | .cmdline[0] == "sh"'
check "a cmdline argument with a newline and an escape comes out exact in JSON" \
	member "$p/processes.json" '.processes[] | select(.cmdline[2] == "sleep 1002; :") | .cmdline[3] == "a\nb\u001b[31m"'
check "capabilities are decoded, seccomp and NoNewPrivs read" \
	member "$p/processes.json" '.processes[] | select(.pid == '"$pid"') | (.caps.effective | index("CAP_NET_RAW") != null) and .seccomp == "filter" and (.no_new_privs | type) == "boolean"'
check "open fds name their sockets and pipes" \
	member "$p/processes.json" '.processes[] | select(.comm == "nc") | [.fds[].kind] | (index("socket") != null) and (index("pipe") != null)'
check "the environment is taken, bounded" member "$p/processes.json" '.processes[] | select(.pid == '"$pid"') | (.environ | index("PATH=/bin") != null)'
check "tree.txt reads like ps auxf, hostile bytes escaped" \
	bash -c 'grep -q "\\\\_ /tmp/d/busybox sleep 1000  (deleted executable)" "$1" && grep -qF "{[kworker/0:1]}" "$1" && grep -qF "a\nb\x1b[31m" "$1" && ! LC_ALL=C grep -q $'"'"'\x1b'"'"' "$1"' _ "$p/tree.txt"

run "$CFIR" --format json ps --no-environ -o "$T/noenv" "$c"
check "--no-environ leaves the environment out" \
	bash -c '! jq -e ".processes[] | select(.environ)" "$1"/data/*/proc/processes.json >/dev/null' _ "$T/noenv"

docker pause "$c" >/dev/null
run "$CFIR" --format json ps -o "$T/paused" "$c"
check "ps of the paused container finds the same PIDs" \
	test "$(jq -r '.processes[] | select(.found_by | index("pidns")) | .pid' "$T/paused"/data/*/proc/processes.json | sort -n)" = "$(host_pids)"
check "and says they are frozen" bash -c 'jq -e ".frozen" "$1"/data/*/proc/processes.json >/dev/null' _ "$T/paused"

# sockets, compared with ss inside the namespace (also while paused)
run "$CFIR" --format json sockets -o "$T/bag" "$c"
check "sockets exits 0" test "$status" = 0
s=$T/bag/data/${id:0:12}/net/sockets.json
norm_cfir() {
	jq -r '.sockets[] | select(.proto | test("^(tcp|udp)6?$")) |
		"\(.proto | sub("6$"; "")) \(.state) \(.lport) \(.rport) \(.holders[0].pid // "-")"' "$s" | sort
}
norm_ss() {
	nsenter -t "$pid" -n ss -tuanpH | awk '{
		st = $2; if (st == "ESTAB") st = "ESTABLISHED"; gsub("-", "_", st)
		n = split($5, l, ":"); m = split($6, r, ":"); rp = r[m]; if (rp == "*") rp = 0
		p = "-"; if (match($0, /pid=[0-9]+/)) p = substr($0, RSTART + 4, RLENGTH - 4)
		print $1, st, l[n], rp, p }' | sort
}
check "tcp and udp sockets equal what ss -tuanp shows in the namespace" diff <(norm_cfir) <(norm_ss)
by_ino() { grep -oE 'ino:[0-9]+' | cut -d: -f2 | sort -n; }
check "tcp and udp sockets are exactly ss's, by inode" \
	diff <(jq -r '.sockets[] | select(.proto | test("^(tcp|udp)6?$")) | .inode' "$s" | sort -n) \
	     <(nsenter -t "$pid" -n ss -tuanHe | by_ino)
if [ ${#kinds[@]} -gt 0 ]; then
	# ss reads raw sockets from /proc/net/raw where the kernel has no raw_diag,
	# without inodes: the holders' pid/fd name the same sockets
	check "raw sockets are exactly ss -w's, by the fds that hold them" \
		diff <(jq -r '.sockets[] | select(.proto | startswith("raw")) | .holders[] | "\(.pid)/\(.fd)"' "$s" | sort) \
		     <(nsenter -t "$pid" -n ss -wanHp | grep -oE 'pid=[0-9]+,fd=[0-9]+' | sed 's/pid=//; s/,fd=/\//' | sort)
	check "raw sockets: ICMP, ICMPv6 and protocol 253, each with its protocol" \
		test "$(jq -r '[.sockets[] | select(.proto | startswith("raw")) | "\(.proto)/\(.protocol)"] | sort | join(" ")' "$s")" = "raw/1 raw/253 raw6/58"
	check "packet sockets are exactly ss -0's, by inode" \
		diff <(jq -r '.sockets[] | select(.proto == "packet") | .inode' "$s" | sort -n) \
		     <(nsenter -t "$pid" -n ss -0anHe | by_ino)
	check "the packet sockets: all protocols, and IPv4 on lo" \
		jqt '[.sockets[] | select(.proto == "packet") | "\(.type)/\(.protocol)/\(.ifindex)"] | sort == ["DGRAM/2048/1", "RAW/3/0"]' "$s"
	check "the UDP-Lite socket (ss shows none) is there, held by the helper" \
		jqt '[.sockets[] | select(.proto == "udplite" and .lport == 5354 and .holders[0].comm == "x")] | length == 1' "$s"
else
	skip "raw, packet and UDP-Lite sockets" "no static C toolchain for the helper"
fi
check "every table came from sock_diag but raw without raw_diag, and the document is complete" \
	jqt '.complete == true and all(.tables[]; .source == "sock_diag" or (.table | startswith("raw")) or .source == null) and all(.tables[]; .error == null)' "$s"
check "they include a TCP listener, an IPv6 listener, an established connection and a UDP socket" \
	bash -c 'o=$(cat); grep -q "^tcp LISTEN 8080 0 " <<<"$o" && grep -q "^tcp LISTEN 9001 0 " <<<"$o" && grep -q "^tcp ESTABLISHED 9000 " <<<"$o" && grep -q "^udp UNCONN " <<<"$o"' < <(norm_cfir)
check "the IPv6 listener is on ::" jqt '.sockets[] | select(.proto == "tcp6" and .lport == 9001) | .local == "::"' "$s"
check "unix sockets equal ss -xa's, by inode" \
	diff <(jq -r '.sockets[] | select(.proto == "unix") | .inode' "$s" | sort -n) \
	     <(nsenter -t "$pid" -n ss -xaH | awk '{print $6}' | sort -n)
check "the unix socket /dev/log is held by syslogd" \
	member "$s" '.sockets[] | select(.proto == "unix" and .path == "/dev/log") | .holders[0].comm == "syslogd"'
check "the namespace is the container's own, not the host's" \
	jqt --argjson ns "$(readlink "/proc/$pid/ns/net" | tr -dc 0-9)" '.netns == $ns and .host_netns == false' "$s"
run "$CFIR" --format text sockets "$c"
check "the text table reads like netstat -tunap" grep -Eq '^tcp +0\.0\.0\.0:8080 +0\.0\.0\.0:0 +LISTEN +[0-9]+/httpd' <<<"$out"
check "the text names the network namespace" grep -q "^network namespace net:\[$(readlink "/proc/$pid/ns/net" | tr -dc 0-9)\]$" <<<"$out"
docker unpause "$c" >/dev/null

# a container on the host's network namespace: said plainly
h=$(uniq_name hostnet)
start "$h" --network host -- sleep 600
run "$CFIR" --format text sockets -o "$T/hostnet" "$h"
check "a container on the host's network is said to be" \
	bash -c 'grep -q "shares the host.s network namespace" <<<"$1$2"' _ "$out" "$errout"

# memory: a marker in the shell's heap, found where the index says
run "$CFIR" --format json memory -o "$T/bag" "$c" "$pid"
check "memory exits 0" test "$status" = 0
m=$T/bag/data/${id:0:12}/proc/mem
x=$(grep -boa 'CFIRMARKER-ecec-END' "$m/$pid.dump" | head -n1 | cut -d: -f1)
check "the marker is in the dump" test -n "$x"
region=$(jq -c --argjson x "${x:-0}" 'select(.dump_offset != null and .dump_offset <= $x and $x < .dump_offset + .bytes)' "$m/$pid.regions.jsonl")
check "the index places it in the heap" jq -e '.path == "[heap]"' <<<"$region" >/dev/null
addr=$(( 0x$(jq -r .start <<<"$region") + x - $(jq -r .dump_offset <<<"$region") ))
check "at that address the live process holds the marker" \
	test "$(dd if="/proc/$pid/mem" bs=1 skip="$addr" count=19 iflag=skip_bytes status=none)" = CFIRMARKER-ecec-END
check "each region's SHA-256 is that of its bytes in the dump" \
	bash -c 'r=$(jq -c "select(.path == \"[heap]\")" "$1"); o=$(jq .dump_offset <<<"$r"); n=$(jq .bytes <<<"$r");
		[ "$(tail -c +$((o + 1)) "$2" | head -c "$n" | sha256sum | cut -c1-64)" = "$(jq -r .sha256 <<<"$r")" ]' _ "$m/$pid.regions.jsonl" "$m/$pid.dump"
check "kernel pages are skipped and said" member "$m/$pid.regions.jsonl" 'select(.path | startswith("[vvar")) | .skipped != null'
run "$CFIR" memory -o "$T/bag" "$c" 1
check "a PID outside the container is refused (64)" bash -c '[ "$1" = 64 ] && grep -q "not a process of container" <<<"$2"' _ "$status" "$errout"
# a bag where proc/mem cannot be made: the writer's own error, not a guess
run "$CFIR" ps --no-environ -o "$T/wr" "$c"
rm -rf "$T"/wr/data/*/proc/mem && touch "$(echo "$T"/wr/data/*/proc)/mem"
run "$CFIR" memory -o "$T/wr" "$c" "$pid"
check "memory says why it could not write (not 'out of memory')" \
	bash -c '[ "$1" != 0 ] && grep -q "Not a directory" <<<"$2" && ! grep -qi "out of memory\|cannot allocate" <<<"$2"' _ "$status" "$errout"
run "$CFIR" --format json memory --max-bytes 100000 -o "$T/small" "$c" --all
check "--all --max-bytes bounds the dump" \
	bash -c '[ "$1" = 0 ] && [ "$(cat "$2"/data/*/proc/mem/*.dump | wc -c)" -le 100000 ] && grep -qh "past --max-bytes" "$2"/data/*/proc/mem/*.regions.jsonl' _ "$status" "$T/small"
run "$CFIR" verify "$T/bag"
check "the bag of ps, sockets and memory verifies" test "$status" = 0

# a container with no process: sockets fails, and leaves no file that looks like an answer
x=$(uniq_name exited)
docker run --name "$x" --label "$LABEL" "$TEST_IMAGE" true >/dev/null
run "$CFIR" sockets -o "$T/ex" "$x"
check "sockets of an exited container: 69, a failed record, no sockets.json" \
	bash -c '[ "$1" = 69 ] && ! ls "$2"/data/*/net/sockets.json 2>/dev/null &&
		jq -e -s ".[-1] | .action == \"sockets\" and .status == \"failed\"" "$2/custody/log.jsonl" >/dev/null' _ "$status" "$T/ex"
run "$CFIR" verify "$T/ex"
check "and the bag verifies" test "$status" = 0
