#!/bin/bash
# hunt: one container per check that trips it, a hardened one that trips
# nothing above low, --fail-on, --all, the bag
. "$(dirname "$0")/lib.sh"

# a static program that maps anonymous executable memory, in an image of its own
anon_img=cfir-test/anonx:latest
if ! docker image inspect "$anon_img" >/dev/null 2>&1; then
	mkdir -p "$T/anon/bin"
	cat >"$T/anonx.c" <<'C'
#include <sys/mman.h>
#include <unistd.h>
int main(void) { if (mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) return 1; pause(); return 0; }
C
	cc -static -O2 -o "$T/anon/bin/anonx" "$T/anonx.c" && tar -C "$T/anon" -c . | docker import - "$anon_img" >/dev/null
fi

# a real unix socket to mount where the engine's would be
socat UNIX-LISTEN:"$T/engine.sock",fork /dev/null &
sockpid=$!
# a listener on the host's own address: outside every container network
hostip=$(ip -4 -o addr show scope global | awk '$2 !~ /^(docker|br-|veth)/ {sub(/\/.*/, "", $4); print $4; exit}')
socat TCP-LISTEN:18777,fork,reuseaddr EXEC:cat &
lsnpid=$!
_cleanup_extra="kill $sockpid $lsnpid 2>/dev/null"
for i in $(seq 20); do [ -S "$T/engine.sock" ] && break; sleep 0.1; done

n() { uniq_name "h-$1"; }
docker create --name "$(n priv)" --label "$LABEL" --privileged "$TEST_IMAGE" sleep 600 >/dev/null
start "$(n sock)" -v "$T/engine.sock:/var/run/docker.sock" -- sleep 600
start "$(n pid)" --pid host -- sleep 600
start "$(n sysadmin)" --cap-add SYS_ADMIN -- sleep 600
start "$(n seccomp)" --security-opt seccomp=unconfined -- sleep 600
start "$(n deleted)" -- sh -c 'mkdir /tmp/d; cp /bin/busybox /tmp/d/busybox
	/tmp/d/busybox sleep 1000 & sleep 0.3; rm /tmp/d/busybox; sleep 600'
start "$(n tmpexe)" -- sh -c 'cp /bin/busybox /tmp/busybox; /tmp/busybox sleep 1000 & sleep 600'
start "$(n shell)" -- sh -c 'nc -ll -p 7001 -e /bin/sh & sleep 0.5; sleep 600 | nc 127.0.0.1 7001'
start "$(n listen)" --expose 8080 -- sh -c 'nc -ll -p 8080 -e cat & nc -ll -p 9090 -e cat & sleep 600'
start "$(n suid)" -- sh -c 'sleep 0.5; cp /bin/busybox /tmp/su; chmod 4755 /tmp/su; sleep 600'
start "$(n exec)" -- sleep 600
start "$(n raw)" --cap-add NET_RAW -- sh -c 'ping 127.0.0.1 >/dev/null & sleep 600'
start "$(n egress)" -- sh -c "sleep 0.5; sleep 600 | nc $hostip 18777"
docker run -d --name "$(n anon)" --label "$LABEL" "$anon_img" /bin/anonx >/dev/null
img_id=$(docker image inspect -f '{{.Id}}' "$TEST_IMAGE")
docker run -d --name "$(n hardened)" --label "$LABEL" --cap-drop ALL --read-only --tmpfs /tmp \
	--security-opt no-new-privileges --memory 64m --cpus 0.5 --pids-limit 64 --user 1000:1000 \
	--health-cmd true --log-opt max-size=1m --restart on-failure:3 "$img_id" sleep 600 >/dev/null
sleep 1.5
docker exec -d "$(n exec)" sleep 300
sleep 0.5

names=$(docker ps -a --filter "label=$LABEL" --format '{{.Names}}')
# shellcheck disable=SC2086
run "$CFIR" --format json hunt -o "$T/bag" $names
check "hunt exits 0 without --fail-on" test "$status" = 0
echo "$out" >"$T/all.jsonl"

# has NAME CHECK SEVERITY: the container's findings include CHECK at SEVERITY
has() {
	jq -e -s --arg n "$(n "$1")" --arg c "$2" --arg s "$3" \
		'[.[] | select(.type == "finding" and .name == $n and .check == $c)] | length > 0 and all(.severity == $s)' \
		"$T/all.jsonl" >/dev/null
}
hasnt() {
	jq -e -s --arg n "$(n "$1")" --arg c "$2" \
		'[.[] | select(.type == "finding" and .name == $n and .check == $c)] | length == 0' "$T/all.jsonl" >/dev/null
}
check "privileged (created, not started): privileged, critical" has priv privileged critical
check "a socket bind-mounted at /var/run/docker.sock: engine-socket, critical" has sock engine-socket critical
check "--pid host: host-pid, high" has pid host-pid high
check "--cap-add SYS_ADMIN: cap-sys-admin, critical" has sysadmin cap-sys-admin critical
check "seccomp=unconfined: seccomp-unconfined, high" has seccomp seccomp-unconfined high
check "a deleted running binary: exe-deleted, high" has deleted exe-deleted high
check "a binary run from /tmp: exe-tmp, high" has tmpexe exe-tmp high
check "a binary from the writable layer: exe-upper, medium" has tmpexe exe-upper medium
check "a shell with a socket on its stdin: reverse-shell, critical" has shell reverse-shell critical
check "a listener on an unexposed port: listen-unexposed, medium" has listen listen-unexposed medium
check "the exposed port is not flagged, the other is" \
	jqt -s --arg n "$(n listen)" '[.[] | select(.name == $n and .check == "listen-unexposed") | .evidence.value.lport] == [9090]' "$T/all.jsonl"
check "a setuid file added after start: setuid-added, high" has suid setuid-added high
check "the setuid finding names the file" \
	jqt -s --arg n "$(n suid)" '.[] | select(.name == $n and .check == "setuid-added") | .evidence.value.path == "/tmp/su"' "$T/all.jsonl"
check "a process exec'd in: foreign-process, high" has exec foreign-process high
check "a raw socket: raw-socket, high" has raw raw-socket high
check "a connection out of the container's networks: egress-external, low" has egress egress-external low
check "anonymous executable memory: anon-exec, medium" has anon anon-exec medium
check "a container stopped or created gets no live finding" \
	jqt -s --arg n "$(n priv)" 'any(.[]; .type == "summary" and .name == $n) and ([.[] | select(.name == $n and .check == ("reverse-shell","exe-deleted","listen-unexposed"))] | length == 0)' "$T/all.jsonl"
check "the hardened container has no finding above low" \
	jqt -s --arg n "$(n hardened)" 'any(.[]; .type == "summary" and .name == $n) and ([.[] | select(.type == "finding" and .name == $n and (.severity | IN("critical","high","medium")))] | length == 0)' "$T/all.jsonl"
check "nor these" bash -c 'jq -e -s --arg n "$1" "any(.[]; .type == \"summary\" and .name == \$n)" "$2" >/dev/null || exit 1; for c in root-user no-memory-limit no-pids-limit no-cpu-limit caps-default no-new-privileges image-not-pinned rootfs-writable; do jq -e -s --arg n "$1" --arg c "$c" "[.[] | select(.name == \$n and .check == \$c)] | length == 0" "$2" >/dev/null || exit 1; done' _ "$(n hardened)" "$T/all.jsonl"
check "a plain container is not flagged as a reverse shell or foreign" \
	bash -c 'jq -e -s --arg n "$1" "any(.[]; .type == \"summary\" and .name == \$n) and ([.[] | select(.name == \$n and (.check | IN(\"reverse-shell\",\"foreign-process\",\"exe-deleted\")))] | length == 0)" "$2" >/dev/null' _ "$(n sysadmin)" "$T/all.jsonl"
check "one summary per container" \
	test "$(jq -s '[.[] | select(.type == "summary")] | length' "$T/all.jsonl")" = "$(wc -w <<<"$names")"
check "the summary counts the findings" \
	jqt -s --arg n "$(n sysadmin)" '([.[] | select(.type == "finding" and .name == $n and .severity == "critical")] | length) as $c | .[] | select(.type == "summary" and .name == $n) | .counts.critical == $c and .highest == "critical"' "$T/all.jsonl"
check "findings come worst first" \
	jqt -s '[.[] | select(.type == "finding") | {"critical":4,"high":3,"medium":2,"low":1,"info":0}[.severity]] | length > 10 and . == (sort | reverse)' "$T/all.jsonl"
check "a secret's value is never printed" bash -c '! grep -q hunter2 "$1"' _ "$T/all.jsonl"
check "the findings are in the bag, hashed" \
	bash -c 'cd "$1" && grep -q "  data/hunt/findings.jsonl$" manifest-sha256.txt && sha256sum -c --quiet manifest-sha256.txt' _ "$T/bag"
check "the bag's findings are the output's" \
	bash -c '[ -s "$1" ] && [ "$(jq -c -s "map(select(.type == \"finding\")) | length" "$1")" = "$(jq -s "map(select(.type == \"finding\")) | length" "$2")" ]' _ "$T/bag/data/hunt/findings.jsonl" "$T/all.jsonl"
run "$CFIR" verify "$T/bag"
check "the hunt's bag verifies" test "$status" = 0

# exit statuses for scripts
run "$CFIR" hunt --fail-on critical "$(n sysadmin)"
check "--fail-on critical with a critical finding exits 1" bash -c '[ "$1" = 1 ] && grep -q cap-sys-admin <<<"$2"' _ "$status" "$out"
run "$CFIR" hunt --fail-on high "$(n hardened)"
check "--fail-on high on the hardened container exits 0" test "$status" = 0
run "$CFIR" hunt --fail-on severe "$(n hardened)"
check "--fail-on with no such severity exits 64" test "$status" = 64
run "$CFIR" hunt --only no-such-check "$(n hardened)"
check "--only with an unknown check exits 64" test "$status" = 64
run "$CFIR" --format json hunt --only privileged,host-pid "$(n priv)" "$(n pid)"
check "--only runs those checks alone" \
	jqt -s '[.[] | select(.type == "finding") | .check] | sort == ["host-pid", "privileged"]'
run "$CFIR" --format json hunt --skip privileged "$(n priv)"
check "--skip leaves a check out" jqt -s 'any(.[]; .type == "summary") and ([.[] | select(.check == "privileged")] | length == 0)'
run "$CFIR" hunt no-such-container-here
check "an unknown container exits 66" test "$status" = 66

# --all: stopped and created containers too, configuration checks only
run "$CFIR" --format json hunt
check "without --all a created container is not hunted" \
	jqt -s --arg n "$(n priv)" 'any(.[]; .type == "summary") and ([.[] | select(.name == $n)] | length == 0)'
run "$CFIR" --format json hunt --all
check "--all hunts the created container too" \
	jqt -s --arg n "$(n priv)" '.[] | select(.type == "summary" and .name == $n) | .state == "created"'
docker stop -t 1 "$(n deleted)" >/dev/null
run "$CFIR" --format json hunt --all --fail-on info
check "--all: a stopped container gets its configuration findings and exits 1 with --fail-on info" \
	bash -c '[ "$1" = 1 ] && jq -e -s --arg n "$2" "([.[] | select(.name == \$n and .check == \"exe-deleted\")] | length == 0) and ([.[] | select(.name == \$n and .check == \"root-user\")] | length == 1)" "$3" >/dev/null' _ "$status" "$(n deleted)" "$T/out"

# the list of checks
run "$CFIR" --format json hunt --list
check "hunt --list names every check with its severity" \
	jqt -s 'length > 30 and all(.check and (.severity | IN("critical","high","medium","low","info")))'
for c in $(jq -r .check <<<"$out"); do
	grep -q "^\.It Li $c\$" "$here/../../share/man/man1/cfir.1" || { fail "man page documents check $c"; continue; }
	pass "man page documents check $c"
done

# --every: rounds on a schedule, each numbered and whole, until a signal
"$CFIR" --format json hunt --every 1 "$(n pid)" >"$T/every.jsonl" 2>"$T/every.err" &
everypid=$!
for i in $(seq 60); do [ "$(jq -s 'map(.round) | max // 0' "$T/every.jsonl" 2>/dev/null)" -ge 3 ] && break; sleep 0.1; done
kill -TERM $everypid
wait $everypid
every_status=$?
check "hunt --every 1: a SIGTERM between rounds ends it with 0" test "$every_status" = 0
check "hunt --every 1: rounds 1, 2, 3, each with the container's summary and its host-pid finding" \
	jqt -s '(map(.round) | unique | .[:3]) == [1, 2, 3] and
		([group_by(.round)[] | select(.[0].round <= 3) |
		  (map(select(.type == "summary")) | length == 1) and (map(select(.check == "host-pid")) | length == 1)] | all)' "$T/every.jsonl"
check "hunt --every: a round a second, not faster" \
	jqt -s 'map(.round) | max <= 4' "$T/every.jsonl"
run timeout 20 "$CFIR" --format json hunt --every 1 --fail-on high "$(n pid)"
check "hunt --every --fail-on: the first round with such a finding ends it with 1" \
	bash -c '[ "$1" = 1 ] && jq -e -s "map(.round) | unique == [1]" <<<"$2" >/dev/null' _ "$status" "$out"
run "$CFIR" hunt --every 0
check "hunt --every 0: a usage error" test "$status" = 64
run "$CFIR" --format json hunt "$(n pid)"
check "hunt without --every: no round in its output" jqt -s 'length > 0 and all(has("round") | not)'
