#!/bin/bash
# isolate: off every network and back, the container running throughout
. "$(dirname "$0")/lib.sh"

net=$(uniq_name isonet)
network "$net"
c=$(uniq_name iso)
start "$c" --network "$net" -- sleep 600
docker network connect bridge "$c"
nets() { docker inspect -f '{{json .NetworkSettings.Networks}}' "$c" | jq -c 'to_entries | map({(.key): .value.IPAddress}) | add // {}'; }
before=$(nets)
pid=$(docker inspect -f '{{.State.Pid}}' "$c")
links() { nsenter --net="/proc/$pid/ns/net" ip -o link show | grep -vc ': lo:'; }

run "$CFIR" isolate "$c"
check "isolate without a bag is a usage error" test "$status" = 64
run "$CFIR" isolate -o "$T/bag" "$c"
check "isolate exits 0" test "$status" = 0
check "the engine lists no network for it" test "$(nets)" = "{}"
check "its namespace has no interface but lo" test "$(links)" = 0
check "it is still running, same process" \
	test "$(docker inspect -f '{{.State.Running}} {{.State.Pid}}' "$c")" = "true $pid"
check "the settings are in the bag" \
	bash -c 'jq -e --arg n "$2" ".networks[\$n].IPAddress != null and .networks.bridge.IPAddress != null" "$1"/data/*/net/isolate.json >/dev/null' _ "$T/bag" "$net"
check "the custody record lists what was cut" record "$T/bag" 1 '.action == "isolate" and (.details.disconnected | length == 2)'

run "$CFIR" isolate -o "$T/bag" --undo "$c"
check "isolate --undo exits 0" test "$status" = 0
check "every network is back, with its address" test "$(nets)" = "$before"
check "still running, same process" test "$(docker inspect -f '{{.State.Running}} {{.State.Pid}}' "$c")" = "true $pid"

q=$(uniq_name quar)
_networks="${_networks:-} $q"
run "$CFIR" isolate -o "$T/bag" --quarantine "$q" "$c"
check "--quarantine: only the quarantine network is left" test "$(nets | jq -r 'keys[]')" = "$q"
check "the quarantine network is internal" test "$(docker network inspect -f '{{.Internal}}' "$q")" = true
run "$CFIR" isolate -o "$T/bag" --undo "$c"
check "undo leaves the quarantine and restores the rest" test "$(nets)" = "$before"
run "$CFIR" isolate -o "$T/bag" --quarantine "$net" "$c"
check "a network that is not internal is no quarantine" test "$status" = 64
run "$CFIR" verify "$T/bag"
check "the bag verifies" test "$status" = 0

h=$(uniq_name isohost)
start "$h" --network host -- sleep 600
run "$CFIR" isolate -o "$T/bag2" "$h"
check "a host-network container cannot be cut off: exit 69" test "$status" = 69
