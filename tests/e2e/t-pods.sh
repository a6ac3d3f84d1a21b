#!/bin/bash
# Every command on containers no engine knows: a Kubernetes pod in
# containerd's k8s.io namespace (named NAMESPACE/POD/CONTAINER), a CRI-O
# container run by runc, and a Podman container found from the runtime
# state. hunt reads their OCI spec and leaves the sandbox out; pause freezes
# their cgroup and warns about kubelet; isolate sets the pod's host-side
# veth down and up; inspect keeps config.json and the pod's log byte for
# byte; collect seals a bag that verifies with its export merged from the
# layers. Never stops or restarts an engine.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
. "$top/tests/lib/runtimes.sh"

if [ "$(id -u)" != 0 ]; then skip pods "needs root"; exit 0; fi
for c in ctr runc ip jq xxd tshark; do
	command -v $c >/dev/null || { skip pods "$c is not installed"; exit 0; }
done
[ -x /bin/busybox ] || { skip pods "no /bin/busybox (busybox-static)"; exit 0; }
ctr version >/dev/null 2>&1 || { skip pods "containerd does not answer (ctr version)"; exit 0; }
ctr_image || { skip pods "the test image cannot be put into containerd's $RT_NS"; exit 0; }
_cleanup_extra="rt_cleanup"
[ -n "${KEEP:-}" ] && _cleanup_extra=":"

# a service-account token as kubelet mounts it
mkdir -p "$T/sa" && echo token >"$T/sa/token"
ns=e2e-$RUN_ID pod=web-$RUN_ID uid=$(rt_uuid)
ids=$(k8s_pod "$ns" "$pod" "$uid" app \
	--mount "type=bind,src=$T/sa,dst=/var/run/secrets/kubernetes.io/serviceaccount,options=rbind:ro") ||
	{ fail "a pod in containerd's $RT_NS"; exit 1; }
sid=${ids% *} cid=${ids#* }
cpid=$(ctr_pid "$cid")
name=$ns/$pod/app
netns=cni-${sid: -12} veth=veth${sid: -8}
podip=$(ip -n "$netns" -4 -o addr show eth0 | awk '{ sub(/\/.*/, "", $4); print $4 }')
cg=kubepods/besteffort/pod$uid/$cid
bundle=/run/containerd/io.containerd.runtime.v2.task/$RT_NS/$cid

# --- hunt: the OCI spec, the sandbox left out ------------------------------------------
run "$CFIR" --format json hunt
check "hunt: exit 0 with the pod on the host" test "$status" = 0
jq -c 'select(.type == "summary")' <<<"$out" >"$T/sum.jsonl"
check "hunt examines the app by its Kubernetes name" jqt -s --arg n "$name" 'map(select(.name == $n)) | length == 1' "$T/sum.jsonl"
check "hunt leaves the pod's sandbox out" jqt -s --arg id "$sid" 'map(select(.container == $id)) | length == 0' "$T/sum.jsonl"
jq -c --arg id "$cid" 'select(.type == "finding" and .container == $id)' <<<"$out" >"$T/app.jsonl"
check "hunt: the service-account token, an info finding on the mount's destination" \
	jqt -s 'map(select(.check == "k8s-sa-token")) | length == 1 and (.[0].evidence.field | test("^mounts\\[[0-9]+\\]\\.destination$")) and .[0].severity == "info"' "$T/app.jsonl"
check "hunt: root-user from the spec, its field named" \
	jqt -s 'map(select(.check == "root-user")) | .[0].evidence.field == "process.user.uid"' "$T/app.jsonl"
run "$CFIR" --format json hunt --sandboxes
check "hunt --sandboxes takes the sandbox too" \
	jqt -s --arg id "$sid" 'map(select(.type == "summary" and .container == $id)) | length == 1' <<<"$out"

# --- ps, sockets, diff -----------------------------------------------------------------
run "$CFIR" --format json ps "$name"
check "ps NAMESPACE/POD/CONTAINER: its processes are its cgroup's" \
	test "$(jq -s -c 'map(.pid) | sort' <<<"$out")" = "$(sort -n "/sys/fs/cgroup/pids/$cg/cgroup.procs" | jq -s -c sort)"
# the attacker's listener, started in the app as a backdoor would be
ctr -n "$RT_NS" task exec -d --exec-id backdoor "$cid" nc -ll -p 4444 -e cat
for i in $(seq 50); do ip netns exec "$netns" ss -ltnH | grep -q ':4444 ' && break; sleep 0.1; done
run "$CFIR" --format json sockets "$name"
check "sockets: the listeners ss sees in the pod's network namespace" \
	test "$(jq -r 'select((.proto | startswith("tcp")) and .state == "LISTEN") | .lport' <<<"$out" | sort -u | tr '\n' ' ')" = \
	     "$(ip netns exec "$netns" ss -ltnH | awk '{ sub(/.*:/, "", $4); print $4 }' | sort -u | tr '\n' ' ')"
check "sockets: the backdoor's listener held by nc" \
	jqt -s 'map(select(.lport == 4444 and .state == "LISTEN")) | .[0].holders[0].comm == "nc"' <<<"$out"
ctr -n "$RT_NS" task exec --exec-id drop "$cid" sh -c 'echo pwned >/tmp/dropped'
upper=$(awk -v m="$bundle/rootfs" '$5 == m' /proc/self/mountinfo | grep -o 'upperdir=[^,]*' | cut -d= -f2)
run "$CFIR" --format json diff "$name"
check "diff: the dropped file from the snapshot's upper directory, hashed as sha256sum says" \
	test "$(jq -r 'select(.path == "/tmp/dropped") | .sha256' <<<"$out")" = "$(sha256sum "$upper/tmp/dropped" | cut -d' ' -f1)"

# --- pause: the cgroup freezer, kubelet warned about -----------------------------------
run "$CFIR" --format json pause "$name"
check "pause NAMESPACE/POD/CONTAINER: frozen through its cgroup" \
	test "$status" = 0 -a "$(cat "/sys/fs/cgroup/freezer/$cg/freezer.state")" = FROZEN
check "runc sees it paused" test "$(runc --root "/run/containerd/runc/$RT_NS" state "$cid" | jq -r .status)" = paused
check "pause warns that kubelet restarts a frozen container" grep -q "liveness probe" "$T/err"
run "$CFIR" --format json unpause "$name"
check "unpause: thawed" test "$status" = 0 -a "$(cat "/sys/fs/cgroup/freezer/$cg/freezer.state")" = THAWED

# --- isolate: the pod's host-side veth down, and up again ------------------------------
reach() { busybox ping -c 1 -W 1 "$podip" >/dev/null 2>&1; }
check "fixture: the pod answers from the host" reach
run "$CFIR" --format json isolate -o "$T/iso" "$name"
check "isolate: the host-side veth is down" \
	bash -c '[ "$1" = 0 ] && ! ip -o link show "$2" | grep -q "[<,]UP[,>]"' _ "$status" "$veth"
check "isolate: the pod no longer answers" bash -c '! busybox ping -c 1 -W 1 "$1" >/dev/null 2>&1' _ "$podip"
check "isolate recorded the link before it touched it" \
	jq -e --arg v "$veth" '.links | map(.host_link) == [$v]' "$T/iso/data/${cid:0:12}/net/isolate.json"
run "$CFIR" --format json isolate -o "$T/iso" --undo "$name"
check "isolate --undo: the veth is up, the pod answers" bash -c '[ "$1" = 0 ] && ip -o link show "$2" | grep -q "[<,]UP[,>]"' _ "$status" "$veth"
for i in $(seq 20); do reach && break; sleep 0.2; done
check "the pod answers again" reach

# --- capture from the pod's veth ---------------------------------------------------------
( for i in $(seq 12); do busybox ping -c 1 -W 1 "$podip" >/dev/null 2>&1; sleep 0.25; done ) &
run "$CFIR" --format json capture -o "$T/cap" -d 2 "$name"
wait
pcap=$(find "$T/cap/data" -name '*.pcap' | head -1)
check "capture: the pings on the pod's veth, read by tshark" \
	bash -c 'test -n "$1" && test "$(tshark -r "$1" -Y "icmp && ip.addr == $2" 2>/dev/null | wc -l)" -gt 0' _ "$pcap" "$podip"

# --- inspect: the bundle's config.json and the pod's log, byte for byte ----------------
run "$CFIR" --format json inspect -o "$T/insp" "$name"
d=$T/insp/data/${cid:0:12}
check "inspect: exit 0" test "$status" = 0
check "inspect: config.json as the bundle has it" cmp -s "$d/runtime/config.json" "$bundle/config.json"
check "inspect: the pod's log as kubelet keeps it" cmp -s "$d/pod-logs/0.log" "/var/log/pods/${ns}_${pod}_$uid/app/0.log"
check "inspect: the log summarized, a line on each stream" \
	jqt '.artifacts | length >= 3' <<<"$out"
check "the inspect bag verifies" "$CFIR" verify -q "$T/insp"
check "inspect: the pod's identity confirmed by its sandbox, no warning" bash -c '! grep -q "does not confirm" <<<"$1"' _ "$errout"

# --- collect: every step, the export from the layers ------------------------------------
run "$CFIR" --format json collect -o "$T/bag" --capture-seconds 1 --unpause "$name"
check "collect NAMESPACE/POD/CONTAINER: every step ok" \
	jqt '.exit == 0 and ([.steps[] | select(.status != "ok") | .step] == [])' <<<"$out"
check "collect: the export merged from the layers, the plan's source the runtime" \
	jq -s -e 'map(select(.action == "export"))[0].status == "ok" and
		  map(select(.action == "export"))[0].details.method == "layers" and
		  map(select(.action == "collect"))[0].details.source == "runtime"' "$T/bag/custody/log.jsonl"
check "collect: the pause record carries kubelet's warning" \
	jq -s -e 'map(select(.action == "pause"))[0].details.warnings | map(test("liveness")) | any' "$T/bag/custody/log.jsonl"
check "the collected bag verifies" "$CFIR" verify -q "$T/bag"
check "the app runs on, thawed" test "$(cat "/sys/fs/cgroup/freezer/$cg/freezer.state")" = THAWED

# --- a CRI-O container ------------------------------------------------------------------
crio=$(rt_id)
if crio_ctr "$crio" "$ns" "api-$RUN_ID" server; then
	crio_pid=$(runc state "$crio" | jq .pid)
	run "$CFIR" --format json ps "$ns/api-$RUN_ID/server"
	check "CRI-O: ps finds runc's init" jqt -s --argjson p "$crio_pid" 'map(.pid) | index($p) != null' <<<"$out"
	run "$CFIR" --format json inspect -o "$T/crio-insp" "$crio"
	check "CRI-O: a pod whose sandbox is on no host's list: its names unconfirmed, said and recorded" \
		bash -c 'grep -q "does not confirm" <<<"$1" &&
			 jq -s -e "map(select(.action == \"inspect\"))[0].details.pod_unconfirmed" "$2/custody/log.jsonl" >/dev/null' _ "$errout" "$T/crio-insp"
	run "$CFIR" --format json hunt "$crio"
	check "CRI-O: hunt reads its spec" jqt -s 'map(select(.type == "finding" and .check == "no-memory-limit")) | length == 1' <<<"$out"
	run "$CFIR" --format json collect -o "$T/crio" --capture-seconds 1 --unpause "${crio:0:12}"
	check "CRI-O: collect, the bag verifies" bash -c '[ "$1" = 0 ] && "$2" verify -q "$3"' _ "$status" "$CFIR" "$T/crio"
	crio_ctr_rm "$crio"
else
	fail "a CRI-O container"
fi

# --- a Podman container, no engine asked -------------------------------------------------
pname=cfir-e2e-pods-$RUN_ID
if command -v podman >/dev/null && podman_ctr "$pname" >/dev/null; then
	ppid_=$(podman inspect -f '{{.State.Pid}}' "$pname")
	run "$CFIR" --format json --source runtime ps "$pname"
	check "Podman by its name from containers-storage: ps finds its init" \
		jqt -s --argjson p "$ppid_" 'map(.pid) | index($p) != null' <<<"$out"
	run "$CFIR" --format json --source runtime collect -o "$T/podman" --capture-seconds 1 --unpause "$pname"
	check "Podman: collect from the runtime state, the bag verifies" \
		bash -c '[ "$1" = 0 ] && "$2" verify -q "$3"' _ "$status" "$CFIR" "$T/podman"
	podman_ctr_rm "$pname"
else
	skip "podman's container" "podman is not installed or cannot run a container"
fi

# --- a container that exits while cfir looks at it -----------------------------------
ctr -n "$RT_NS" task kill -s KILL "$cid" >/dev/null 2>&1
for i in $(seq 50); do [ -d "/proc/$cpid" ] || break; sleep 0.1; done
run "$CFIR" --format json ps "$name"
check "ps on a container that has exited: it has no process, said (69)" \
	bash -c '[ "$1" = 69 ] && grep -q "no process" <<<"$2"' _ "$status" "$errout"
k8s_pod_rm "$sid" "$cid"
check "fixture: no container of this run left in containerd" test -z "$(rt_ctr_ids)"
