#!/bin/bash
# cfir ls with no engine asked: a Kubernetes pod in containerd's k8s.io
# namespace (its sandbox and an app in the sandbox's network), a CRI-O
# container run by runc, a Podman container, one killed after it was
# listed, one whose annotations are hostile, and a runc state whose PID now
# belongs to another process. Needs root, ctr with a containerd that
# answers, runc, ip, jq, xxd and busybox; dockerd only to hand the test
# image to containerd once. Never stops or restarts an engine.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
. "$top/tests/lib/runtimes.sh"

if [ "$(id -u)" != 0 ]; then skip runtime "needs root"; exit 0; fi
for c in ctr runc ip jq xxd; do
	command -v $c >/dev/null || { skip runtime "$c is not installed"; exit 0; }
done
[ -x /bin/busybox ] || { skip runtime "no /bin/busybox (busybox-static)"; exit 0; }
ctr version >/dev/null 2>&1 || { skip runtime "containerd does not answer (ctr version)"; exit 0; }
ctr_image || { skip runtime "the test image cannot be put into containerd's $RT_NS"; exit 0; }

decoy=
_cleanup_extra='[ -n "$decoy" ] && kill "$decoy" 2>/dev/null; rt_cleanup'

# sel ID FILTER: the listing in $T/ls.jsonl holds ID once and FILTER is true of it
sel() {
	jq -e -s --arg id "$1" "[.[] | select(.id == \$id)] | length == 1 and (.[0] | $2)" \
		"$T/ls.jsonl" >/dev/null
}
no_bidi() { ! LC_ALL=C grep -qF $'\xe2\x80\xae' "$1"; }
no_line() { ! LC_ALL=C grep -aq "$1" "$2"; }
listing() {
	run "$CFIR" --format json ls
	printf '%s\n' "$out" >"$T/ls.jsonl"
	check "ls exits 0 ($1)" test "$status" = 0
	check "ls gives JSON Lines ($1)" jqt -s 'length > 0 and all(type == "object")' "$T/ls.jsonl"
}

ns=e2e-$RUN_ID pod=web-$RUN_ID uid=$(rt_uuid)
ids=$(k8s_pod "$ns" "$pod" "$uid" app) || { fail "a pod in containerd's $RT_NS"; exit 1; }
sid=${ids% *} cid=${ids#* }
spid=$(ctr_pid "$sid") cpid=$(ctr_pid "$cid")
check "fixture: the app is in the sandbox's network namespace" \
	test "$(readlink "/proc/$spid/ns/net")" = "$(readlink "/proc/$cpid/ns/net")"
check "fixture: the sandbox's eth0 has a veth peer on the host" \
	test -n "$(ip -o link show type veth | grep "link-netns cni-${sid: -12}")"
check "fixture: the app's log is in CRI format where kubelet keeps it" \
	grep -qE '^[0-9T:.-]+Z stdout F hello$' "/var/log/pods/${ns}_${pod}_$uid/app/0.log"

crio=$(rt_id)
crio_ctr "$crio" "$ns" "api-$RUN_ID" server || { fail "a CRI-O container"; exit 1; }
crio_ud=$RT_CRIO_RUN/$crio/userdata

pname=${RT_PREFIX}cfir-e2e-podman-$RUN_ID pid_podman=
if command -v podman >/dev/null && podman_ctr "$pname" >"$T/podman.id"; then
	pid_podman=$(podman inspect -f '{{.State.Pid}}' "$pname")
fi

# a runc state under a root of its own naming a live process that is not
# its init: a start time that is not the process's
decoy_root=$T/runc-root
sleep 600 &
decoy=$!
start=$(awk '{ print $22 }' "/proc/$decoy/stat")
reused=${RT_PREFIX}reused-$RUN_ID honest=${RT_PREFIX}honest-$RUN_ID
fake_state() {	# fake_state ID START
	mkdir -p "$decoy_root/$1"
	jq -n --arg id "$1" --argjson pid "$decoy" --argjson start "$2" \
		'{id: $id, init_process_pid: $pid, init_process_start: $start,
		  created: "2026-01-01T00:00:00Z", config: {labels: ["bundle=/nonexistent"]}}' \
		>"$decoy_root/$1/state.json"
}
fake_state "$reused" $((start + 12345))
fake_state "$honest" "$start"
export CFIR_RUNTIME_ROOTS=$decoy_root

listing "every runtime"

check "the sandbox: containerd in k8s.io, marked as the pod's sandbox" sel "$sid" \
	".manager == \"containerd\" and .runtime == \"runc\" and .namespace == \"k8s.io\" and .sandbox == true and
	 .kubernetes.namespace == \"$ns\" and .kubernetes.pod == \"$pod\" and .kubernetes.uid == \"$uid\""
check "the app: named $ns/$pod/app, not a sandbox, its sandbox's ID and its image" sel "$cid" \
	".manager == \"containerd\" and .runtime == \"runc\" and .namespace == \"k8s.io\" and .name == \"$ns/$pod/app\" and
	 .sandbox == false and .kubernetes.sandbox_id == \"$sid\" and .image == \"$TEST_IMAGE\""
check "the sandbox's PID is the one ctr task ls gives, checked" sel "$sid" \
	".state == \"running\" and .pid == $spid and .pid_checked"
check "the app's PID is the one ctr task ls gives, checked" sel "$cid" \
	".state == \"running\" and .pid == $cpid and .pid_checked"

crio_pid=$(runc state "$crio" | jq .pid)
check "the CRI-O container: runc's, named $ns/api-$RUN_ID/server from CRI-O's annotations" sel "$crio" \
	".runtime == \"runc\" and .name == \"$ns/api-$RUN_ID/server\" and .kubernetes.source == \"cri-o\" and
	 .sandbox == false and .image == \"$TEST_IMAGE\""
check "the CRI-O container's bundle is its userdata" sel "$crio" ".bundle == \"$crio_ud\""
check "the CRI-O container's PID is runc state's, checked" sel "$crio" \
	".state == \"running\" and .pid == $crio_pid and .pid_checked"

if [ -n "$pid_podman" ]; then
	check "podman's container listed with its PID" sel "$(cat "$T/podman.id")" \
		".state == \"running\" and .pid == $pid_podman"
	check "podman's container named by its name" sel "$(cat "$T/podman.id")" ".name == \"$pname\""
else
	skip "podman's container" "podman is not installed or cannot run a container"
fi

check "a runc state whose PID has another start time: pid reused, no PID" sel "$reused" \
	".state == \"pid reused\" and .pid == null and .recorded_pid == $decoy and .pid_checked == false"
check "the same PID with its own start time: running, that PID" sel "$honest" \
	".state == \"running\" and .pid == $decoy and .pid_checked"

run "$CFIR" --format text ls
check "ls in text exits 0" test "$status" = 0
check "the text row of the app names it" grep -qE "k8s\.io +$ns/$pod/app +${cid:0:12} +running +$cpid " "$T/out"

# hostile annotations: a name with a newline and a right-to-left override,
# a pod name of 1 MiB
hid=$(rt_id)
head -c 1048576 /dev/zero | tr '\0' A >"$T/big"
jq -n --rawfile big "$T/big" --arg sid "$(rt_id)" \
	'{"io.kubernetes.cri.container-type": "container",
	  "io.kubernetes.cri.sandbox-namespace": "evil",
	  "io.kubernetes.cri.sandbox-name": $big,
	  "io.kubernetes.cri.container-name": "a\nb\u202ec",
	  "io.kubernetes.cri.sandbox-id": $sid}' >"$T/hostile.json"
if k8s_ctr_json "$hid" "$T/hostile.json"; then
	listing "hostile annotations"
	check "the hostile container is listed, running" sel "$hid" '.state == "running" and .pid > 0'
	check "JSON keeps the name with its newline and U+202E exact" sel "$hid" \
		'.kubernetes.container == "a\nb\u202ec" and (.name | endswith("/a\nb\u202ec"))'
	check "JSON keeps the 1 MiB pod name exact, or an exact prefix said to be cut" \
		jqt -s --rawfile big "$T/big" --arg id "$hid" \
		'.[] | select(.id == $id) | .kubernetes.pod as $p | ($p | length) > 0 and ($big | startswith($p)) and
		 (($p | length) == ($big | length) or .cut >= 1)' "$T/ls.jsonl"
	run "$CFIR" --format text ls
	check "ls in text exits 0 on hostile annotations" test "$status" = 0
	check "the text holds no raw U+202E" no_bidi "$T/out"
	check "the hostile row is one line: the pod's name and the ID on it" \
		grep -aq "evil/AAAA.*${hid:0:12} *running" "$T/out"
	check "no text line begins inside the hostile name" no_line '^b' "$T/out"
else
	fail "a container with hostile annotations in containerd's $RT_NS"
fi

# killed after it was listed: stopped, or gone; ls goes on
ctr -n "$RT_NS" task kill -s KILL "$cid" >/dev/null 2>&1
runc kill "$crio" KILL >/dev/null 2>&1
for i in $(seq 50); do
	[ -d "/proc/$cpid" ] || [ -d "/proc/$crio_pid" ] || break
	sleep 0.1
done
listing "after kills"
check "the killed app is stopped or gone, its PID not claimed" \
	jqt -s --arg id "$cid" '[.[] | select(.id == $id)] | length == 0 or (.[0].state == "stopped" and .[0].pid == null)' "$T/ls.jsonl"
check "the killed CRI-O container is stopped or gone, its PID not claimed" \
	jqt -s --arg id "$crio" '[.[] | select(.id == $id)] | length == 0 or (.[0].state == "stopped" and .[0].pid == null)' "$T/ls.jsonl"
check "the sandbox still runs" sel "$sid" ".state == \"running\" and .pid == $spid"

# the fixtures leave nothing behind
k8s_pod_rm "$sid" "$cid"
crio_ctr_rm "$crio"
k8s_ctr_json_rm "$hid"
[ -n "$pid_podman" ] && podman_ctr_rm "$pname"
check "fixture: no container of this run left in containerd" test -z "$(rt_ctr_ids)"
check "fixture: no runc state left" bash -c '! runc list -q | grep -qx "$1"' _ "$crio"
check "fixture: no overlay left mounted" bash -c '! grep -qF " $1/" /proc/mounts' _ "$RT_DIR"
check "fixture: no network namespace or veth left" \
	bash -c '! ip netns list | grep -q "^cni-$1" && ! ip -o link show "veth$2" >/dev/null 2>&1' _ "${sid: -12}" "${sid: -8}"
check "fixture: no pod log or CRI-O run directory left" \
	bash -c '[ ! -e "$1" ] && [ ! -e "$2" ]' _ "/var/log/pods/${ns}_${pod}_$uid" "$RT_CRIO_RUN/$crio"
