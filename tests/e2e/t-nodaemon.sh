#!/bin/bash
# Docker containers while dockerd hangs: the engine is stopped with SIGSTOP
# (it accepts connections and never answers) for the whole middle of the
# test, and every command finds, freezes and collects the containers from
# the runtime state on the host, saying and recording that the engine did
# not answer. First, with the engine up, the two sources are compared on
# the same running container: PID, layers, processes, diff and hunt's
# configuration findings.
. "$(dirname "$0")/lib.sh"

ensure_dockerd || { skip nodaemon "no engine"; exit 0; }
for c in jq tshark nsenter ss socat; do
	command -v $c >/dev/null || { skip nodaemon "$c is not installed"; exit 0; }
done

start nd-a --cap-add NET_ADMIN -- sh -c 'echo evil >/tmp/dropped; nc -ll -p 8080 -e cat & sleep 600'
id=$(docker inspect -f '{{.Id}}' nd-a)
pid=$(docker inspect -f '{{.State.Pid}}' nd-a)
ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' nd-a)
for i in $(seq 50); do nsenter -t "$pid" -n ss -ltnH | grep -q ':8080' && break; sleep 0.1; done

# --- the two sources agree on a running container --------------------------------------
both() { # CMD...: the same command from the engine, then from the runtime state
	"$CFIR" --format json --source engine "$@" >"$T/engine.json" 2>"$T/engine.err"
	"$CFIR" --format json --source runtime "$@" >"$T/runtime.json" 2>"$T/runtime.err"
}
both ps "$id"
check "ps: the engine and the runtime state find the same processes" \
	test "$(jq -s -c 'map(.pid) | sort' "$T/engine.json")" = "$(jq -s -c 'map(.pid) | sort' "$T/runtime.json")"
check "ps: both find the init the engine names" bash -c 'jq -s -e --argjson p "$1" "map(.pid) | index(\$p) != null" "$2" >/dev/null' _ "$pid" "$T/runtime.json"
both diff "$id"
check "diff: the same changes from the engine's layer and the host's mount at the bundle's root" \
	test "$(jq -s -c '[.[] | select(.path != null) | [.path, .sha256]] | sort' "$T/engine.json")" = \
	     "$(jq -s -c '[.[] | select(.path != null) | [.path, .sha256]] | sort' "$T/runtime.json")"
check "diff: the dropped file is among them, hashed as sha256sum hashes its upper copy" \
	test "$(jq -r -s '.[] | select(.path == "/tmp/dropped") | .sha256' "$T/runtime.json")" = \
	     "$(sha256sum "$(docker inspect -f '{{.GraphDriver.Data.UpperDir}}' nd-a)/tmp/dropped" | cut -d' ' -f1)"
rm -rf "$T/ie" "$T/ir"
"$CFIR" --format json inspect -o "$T/ie" "$id" >"$T/engine.json" 2>/dev/null
"$CFIR" --format json --source runtime inspect -o "$T/ir" "$id" >"$T/runtime.json" 2>/dev/null
check "inspect: the same PID and the same layers from the engine and from the runtime state" \
	test "$(jq -c '[.pid, .rootfs.upperdir, .rootfs.lowerdir]' "$T/engine.json")" = \
	     "$(jq -c '[.pid, .rootfs.upperdir, .rootfs.lowerdir]' "$T/runtime.json")"
check "inspect: the runtime's config.json kept byte for byte" \
	cmp -s "$T/ir/data/${id:0:12}/runtime/config.json" "$(jq -r .bundle "$T/runtime.json")/config.json"
check "inspect from the engine keeps the runtime's config.json beside the engine's view" \
	test -s "$T/ie/data/${id:0:12}/runtime/config.json" -a -s "$T/ie/data/${id:0:12}/engine/inspect.json"
config_ids() { jq -r -s '[.[] | select(.type == "finding") | .check] | map(select(IN("listen-unexposed", "egress-external") | not)) | unique | join(" ")' "$1"; }
spec_cannot=image-not-pinned,no-healthcheck,no-log-rotation,no-restart-policy,listen-unexposed,egress-external
both hunt --skip "$spec_cannot" "$id"
check "hunt: the same check IDs from the engine's inspect and from the OCI spec" \
	test "$(config_ids "$T/engine.json")" = "$(config_ids "$T/runtime.json")"
check "hunt from the spec names the OCI field" \
	jq -s -e 'map(select(.check == "cap-net-admin")) | .[0].evidence.field == "process.capabilities.bounding"' "$T/runtime.json"

# --- an engine that answers its ping and then nothing ----------------------------------
# (a dockerd stuck on a lock): a socket that says OK to /_ping and is silent after
cat >"$T/wedged.sh" <<'EOF'
read -r line
case $line in
*_ping*) printf 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK' ;;
*) sleep 30 ;;
esac
EOF
socat UNIX-LISTEN:"$T/wedged.sock",fork EXEC:"sh $T/wedged.sh" &
wedged=$!
for i in $(seq 50); do [ -S "$T/wedged.sock" ] && break; sleep 0.1; done
t0=$SECONDS
run timeout 60 "$CFIR" -H "unix://$T/wedged.sock" --engine-timeout 1 --format json ps nd-a
check "a wedged engine: ps by the Docker name from the runtime state, its init" \
	bash -c '[ "$1" = 0 ] && jq -s -e --argjson p "$2" "map(.pid) | index(\$p) != null" <<<"$3" >/dev/null' _ "$status" "$pid" "$out"
check "a wedged engine: said, and seconds, not minutes" \
	bash -c 'grep -q "timed out" <<<"$1" && [ "$2" -lt 30 ]' _ "$errout" $((SECONDS - t0))
run timeout 60 "$CFIR" -H "unix://$T/wedged.sock" --engine-timeout 1 --format json ls
check "a wedged engine: ls from the runtime state" \
	bash -c '[ "$1" = 0 ] && jq -s -e --arg id "$2" "map(select(.id == \$id and .source == \"runtime\")) | length == 1" <<<"$3" >/dev/null' _ "$status" "$id" "$out"
rm -rf "$T/wbag"
run timeout 120 "$CFIR" -H "unix://$T/wedged.sock" --engine-timeout 1 --format json collect -o "$T/wbag" 	--no-pause --no-memory --capture-seconds 1 nd-a
check "a wedged engine: collect records in its plan that the engine fell silent, the bag verifies" 	bash -c 'jq -s -e "map(select(.action == \"collect\"))[0].details.engine_fallback | test(\"timed out\")" 		"$1/custody/log.jsonl" >/dev/null && "$2" verify -q "$1"' _ "$T/wbag" "$CFIR"
kill "$wedged" 2>/dev/null

# --- the engine hangs ------------------------------------------------------------------
dpid=$(cat /var/run/docker.pid)
trap 'kill -CONT "$dpid" 2>/dev/null; _cleanup' EXIT
kill -STOP "$dpid"

# CMD...: run with a guard against a hang; the engine's silence said on stderr
hung() {
	local t0=$SECONDS
	run timeout 60 "$CFIR" "$@"
	took=$((SECONDS - t0))
}
hung --format json ls
check "ls with the engine stopped: the container from the runtime state, its PID checked" \
	bash -c 'jq -s -e --arg id "$1" --argjson p "$2" "map(select(.id == \$id)) | length == 1 and .[0].pid == \$p and .[0].source == \"runtime\"" "$3/out" >/dev/null' _ "$id" "$pid" "$T"
check "ls says the engine did not answer" grep -q "did not answer within" "$T/err"
check "ls did not wait for the engine's idle timeout" test "$took" -lt 50

hung --format json hunt --skip "$spec_cannot" "${id:0:12}"
check "hunt with the engine stopped: the configuration findings from the spec" \
	test "$(config_ids "$T/out")" = "$(config_ids "$T/runtime.json")"

hung --format json ps "${id:0:12}"
check "ps with the engine stopped: exit 0" test "$status" = 0
check "ps with the engine stopped: the processes of its cgroup" \
	test "$(jq -s -c 'map(.pid) | sort' "$T/out")" = \
	     "$(sort -n /sys/fs/cgroup/pids/docker/"$id"/cgroup.procs | jq -s -c 'sort')"

hung --format json sockets "${id:0:12}"
check "sockets with the engine stopped: the listener ss sees in the netns" \
	test "$(jq -r 'select((.proto | startswith("tcp")) and .state == "LISTEN") | .lport' "$T/out" | sort -u | tr '\n' ' ')" = \
	     "$(nsenter -t "$pid" -n ss -ltnH | awk '{ sub(/.*:/, "", $4); print $4 }' | sort -u | tr '\n' ' ')"

hung --format json diff "${id:0:12}"
check "diff with the engine stopped: the dropped file" \
	jq -s -e 'map(select(.path == "/tmp/dropped")) | length == 1' "$T/out"

hung --format json pause "${id:0:12}"
check "pause with the engine stopped: through the cgroup" \
	test "$status" = 0 -a "$(cat /sys/fs/cgroup/freezer/docker/"$id"/freezer.state)" = FROZEN
check "pause says how it froze" jq -e '.method == "cgroup freezer" and .state == "paused"' "$T/out"
hung --format json ls
check "ls shows it frozen" \
	bash -c 'jq -s -e --arg id "$1" "map(select(.id == \$id)) | .[0].state == \"frozen\"" "$2/out" >/dev/null' _ "$id" "$T"
hung --format json unpause "${id:0:12}"
check "unpause with the engine stopped: thawed" \
	test "$status" = 0 -a "$(cat /sys/fs/cgroup/freezer/docker/"$id"/freezer.state)" = THAWED

rm -rf "$T/cap"
# traffic all along: the capture starts once the engine's silence has cost its seconds
( for i in $(seq 40); do echo CFIRNODAEMON | busybox nc -w 1 "$ip" 8080 >/dev/null 2>&1; sleep 0.25; done ) &
talker=$!
hung --format json capture -o "$T/cap" -d 3 "${id:0:12}"
kill $talker 2>/dev/null
wait
pcap=$(find "$T/cap/data" -name '*.pcap' | head -1)
check "capture with the engine stopped: a pcap tshark reads, the traffic in it" \
	bash -c 'test -n "$1" && test "$(tshark -r "$1" -Y "tcp.port == 8080" 2>/dev/null | wc -l)" -gt 0' _ "$pcap"

rm -rf "$T/bag"
hung --format json collect -o "$T/bag" --capture-seconds 2 --unpause "${id:0:12}"
check "collect with the engine stopped: every step, the export too" \
	bash -c 'jq -e ".exit == 0 and ([.steps[] | select(.status != \"ok\") | .step] == [])" "$1/out" >/dev/null' _ "$T"
check "collect's export is the merge of the layers the host mounted" \
	jq -s -e 'map(select(.action == "export")) | length == 1 and .[0].status == "ok" and
		  .[0].details.method == "layers" and .[0].details.index.complete' "$T/bag/custody/log.jsonl"
check "collect records that the engine did not answer" \
	jq -s -e 'map(select(.action == "collect")) | .[0].details.engine_fallback | test("did not answer")' "$T/bag/custody/log.jsonl"
check "the bag verifies" "$CFIR" verify "$T/bag"
check "the container runs on, thawed" test "$(cat /sys/fs/cgroup/freezer/docker/"$id"/freezer.state)" = THAWED

hung --source engine ls
check "--source engine: the silence is the answer (exit 69)" test "$status" = 69

hung --format json pause "${id:0:12}"
check "frozen again with the engine stopped" test "$(cat /sys/fs/cgroup/freezer/docker/"$id"/freezer.state)" = FROZEN

kill -CONT "$dpid"
for i in $(seq 50); do engine_answers && break; sleep 0.1; done
check "the engine answers again" engine_answers
run "$CFIR" --format json unpause nd-a
check "unpause once the engine is back: the cgroup frozen behind its back is thawed, said" \
	bash -c '[ "$1" = 0 ] && [ "$(cat "$2")" = THAWED ] && grep -q "frozen from the host" <<<"$3"' _ \
	"$status" "/sys/fs/cgroup/freezer/docker/$id/freezer.state" "$errout"
