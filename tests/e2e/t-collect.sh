#!/bin/bash
# collect: every step into one sealed bag; no exec, no change but the pause;
# a dead engine leaves the /proc, overlay, export and pcap evidence
. "$(dirname "$0")/lib.sh"

"$CFIR" keygen -o "$T/keys" --no-passphrase >/dev/null 2>&1
net=$(uniq_name colnet)
network "$net"
c=$(uniq_name col)
start "$c" --network "$net" -- sh -c '
	mkdir /tmp/d; cp /bin/busybox /tmp/d/busybox
	/tmp/d/busybox sleep 1000 & sleep 0.3; rm /tmp/d/busybox
	echo changed >/etc/motd
	nc -ll -p 8080 -e cat &
	sleep 600'
peer=$(uniq_name colpeer)
start "$peer" --network "$net" -- sleep 600
sleep 1
id=$(docker inspect -f '{{.Id}}' "$c")
ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$c")
ppid_=$(docker inspect -f '{{.State.Pid}}' "$peer")
# traffic all through the collection, bounded: 200 datagrams, 20 a second
nsenter --net="/proc/$ppid_/ns/net" bash -c \
	'for i in $(seq 200); do printf "CFIRCOL-%d" $i >/dev/udp/$1/9999; sleep 0.05; done' _ "$ip" &
traffic=$!
_cleanup_extra="kill $traffic 2>/dev/null"
sleep 1
diff_before=$(docker diff "$c" | sort)
# the access times of what the container wrote: the engine's export would read them new
upper=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$c")
atimes() { find "$upper" ! -type d -printf '%A@ %P\n' | LC_ALL=C sort; }
atimes_before=$(atimes)
since=$(date +%s.%N)
run "$CFIR" --format json collect -o "$T/bag" -k "$T/keys/cfir.key" "$c"
until=$(date +%s.%N)
bag=$T/bag
d=$bag/data/${id:0:12}
check "collect exits 0" test "$status" = 0
check "every step is in the output, ok" \
	jqt '[.steps[].step] == ["inspect","pause","ps","sockets","memory","diff","export","hunt","capture","seal"] and all(.steps[]; .status == "ok")'
check "the custody log has a record for each step, in order" \
	test "$(jq -r .action "$bag/custody/log.jsonl" | tr '\n' ' ')" = "collect inspect pause ps sockets memory diff export hunt capture seal "
check "engine metadata and logs" test -s "$d/engine/inspect.json"
check "the deleted binary recovered" jqt '.executables | any(.deleted)' "$d/proc/processes.json"
check "the listener in sockets.json" jqt '.sockets | any(.lport == 8080 and .state == "LISTEN")' "$d/net/sockets.json"
check "the changed file in the diff" jqt 'any(.entries[]?; .path == "/etc/motd") or any(.[]?; .path? == "/etc/motd")' "$d/fs/diff.json"
check "the export merged by cfir from the layers the engine names, not the engine's stream" \
	record "$bag" 8 '.action == "export" and .details.method == "layers" and
		(.details.layers[0].named // .details.layers[0].path) == "'"$upper"'"'
check "no access time in the writable layer changed" test "$(atimes)" = "$atimes_before"
check "the export's members are the engine's export's" \
	diff <(tar -tf "$d/export/rootfs.tar" | sed 's|^\./||; s|/$||' | grep -v '^$' | LC_ALL=C sort) \
	     <(docker export "$c" | tar -t | sed 's|^\./||; s|/$||' | grep -v '^$' | LC_ALL=C sort)
check "where the engine's export reads what the container wrote, access times change" \
	test "$(atimes)" != "$atimes_before"
check "the export, its index untyped for speed" bash -c 'test -s "$1/export/rootfs.tar" && jq -s -e ".[7].action == \"export\" and .[7].details.index.typed == false" "$2/custody/log.jsonl" >/dev/null' _ "$d" "$bag"
check "the flagged process's memory" bash -c 'ls "$1"/proc/mem/*.dump >/dev/null 2>&1' _ "$d"
check "hunt's findings name the deleted binary" grep -q '"exe-deleted"' "$d/hunt/findings.jsonl"
check "the traffic during the collection is in the pcap" \
	test "$(tshark -r "$d/net/eth0.pcap" -Y 'data contains "CFIRCOL"' -T fields -e frame.number 2>/dev/null | wc -l)" -gt 0
check "the capture has its own record, its pcap listed" record "$bag" 10 '.action == "capture" and (.artifacts | any(.path | endswith("eth0.pcap")))'
check "the bag is sealed" grep -q '^Cfir-Sealed: ' "$bag/bag-info.txt"
run "$CFIR" verify -p "$T/keys/cfir.pub" "$bag"
check "cfir verify -p passes" test "$status" = 0
check "sha256sum -c passes" bash -c 'cd "$1" && sha256sum -c --quiet manifest-sha256.txt && sha256sum -c --quiet tagmanifest-sha256.txt' _ "$bag"
check "minisign -V accepts the signature" minisign -Vm "$bag/tagmanifest-sha256.txt" -p "$T/keys/cfir.pub" -q
check "the container is left frozen" test "$(docker inspect -f '{{.State.Paused}}' "$c")" = true
events=$(docker events --since "$since" --until "$until" --filter "container=$id" --format '{{.Action}}' | sort -u | tr '\n' ' ')
check "docker events: no exec, no export, nothing but the pause ($events)" \
	bash -c '! grep -q exec <<<"$1" && [ -z "$(tr " " "\n" <<<"$1" | grep -v -e "^pause$" -e "^$")" ]' _ "$events"
check "docker diff is the same before and after" test "$(docker diff "$c" | sort)" = "$diff_before"
kill $traffic 2>/dev/null

# --unpause, --no-export, --no-memory
c2=$(uniq_name col2)
start "$c2" -- sleep 600
run "$CFIR" --format json collect -o "$T/bag2" --unpause --no-export --no-memory --max-total 64M "$c2"
check "--unpause leaves it running; --max-total takes a size" bash -c '[ "$1" = 0 ] && [ "$(docker inspect -f "{{.State.Paused}}" "$2")" = false ]' _ "$status" "$c2"
check "--no-export and --no-memory leave those steps out" \
	jqt '([.steps[].step] | (index("export") == null and index("memory") == null and index("unpause") != null))'

# several containers: one bag each, an index; a missing one fails alone
run "$CFIR" --format json collect -o "$T/case" -j 2 --no-export "$c2" "no-such-$RUN_ID"
check "several containers: a failure of one does not stop the other" \
	bash -c '[ "$1" != 0 ] && jq -e ".bags | length == 2 and any(.status == \"ok\") and any(.status == \"failed\")" "$2/index.json" >/dev/null' _ "$status" "$T/case"
run "$CFIR" verify "$T/case/$c2"
check "its bag verifies" test "$status" = 0

# --hunt: the critical ones only
crit=$(uniq_name colcrit)
start "$crit" --cap-add SYS_ADMIN -- sleep 600
run "$CFIR" --format json collect -o "$T/hcase" --hunt critical --no-export --unpause
check "--hunt critical collects the SYS_ADMIN container" test -d "$T/hcase/$crit"
check "and not the plain one" test ! -e "$T/hcase/$c2"

# the engine dies in the middle: /proc, overlay and pcap still taken
c3=$(uniq_name col3)
start "$c3" -- sh -c 'dd if=/dev/urandom of=/big bs=1M count=300 2>/dev/null; sleep 600'
up3=$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' "$c3")
for i in $(seq 60); do [ "$(docker exec "$c3" ls /big 2>/dev/null)" ] && break; sleep 0.5; done
sleep 3
"$CFIR" --format json collect -o "$T/bag3" "$c3" >"$T/c3.out" 2>"$T/c3.err" &
cpid=$!
for i in $(seq 200); do grep -q '"action":"ps"' "$T/bag3/custody/log.jsonl" 2>/dev/null && break; sleep 0.05; done
kill -9 "$(cat /var/run/docker.pid)"
wait $cpid
st=$?
check "the engine gone, the export still taken whole: merged from the layers on the host" \
	bash -c 'jq -s -e "map(select(.action == \"export\")) | length == 1 and .[0].status == \"ok\" and
		 .[0].details.method == \"layers\" and .[0].details.index.complete" "$1/custody/log.jsonl" >/dev/null' _ "$T/bag3"
check "its 300 MiB file in it, the bytes the container wrote" \
	bash -c '[ "$(tar -xOf "$(find "$1/data" -name rootfs.tar)" big | sha256sum | cut -c1-64)" = \
		   "$(sha256sum <"$2/big" | cut -c1-64)" ]' _ "$T/bag3" "$up3"
check "ps, sockets, diff, hunt and capture still succeeded" \
	bash -c 'jq -s -e "map(select(.action | IN(\"ps\",\"sockets\",\"diff\",\"hunt\",\"capture\"))) | length == 5 and all(.status == \"ok\")" "$1/custody/log.jsonl" >/dev/null' _ "$T/bag3"
check "the exit status is 0 only where every step succeeded, as collect lists them" \
	bash -c 'ok=$(jq "all(.steps[]; .status == \"ok\")" "$2"); [ "$1" = 0 ] && [ "$ok" = true ] || { [ "$1" != 0 ] && [ "$ok" = false ]; }' \
	_ "$st" "$T/c3.out"
check "where the engine's change list could not be taken, the diff's record says why" \
	bash -c '[ -s "$(find "$1/data" -path "*/engine/changes.json")" ] ||
		 jq -s -e "map(select(.action == \"diff\"))[0].details.engine_check.error | test(\"engine\")" "$1/custody/log.jsonl" >/dev/null' _ "$T/bag3"
run "$CFIR" verify "$T/bag3"
check "the bag verifies" test "$status" = 0
ensure_dockerd >/dev/null
