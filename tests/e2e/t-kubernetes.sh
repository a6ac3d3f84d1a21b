#!/bin/bash
# share/kubernetes/: the manifests parse and hold together (selector and
# labels, the image cfir:VERSION, no RBAC, the capabilities README gives);
# the image loads into containerd's k8s.io namespace as the manifests say;
# and each manifest's container, turned into `docker run` by
# tests/lib/k8s2docker as kubelet would run it on this host, does its job
# against a pod in containerd made as the CRI plugin makes one: the
# DaemonSet's hunt finds the pod's findings by its Kubernetes name, round
# after round, and stops with 0 on SIGTERM; the Job's two containers
# collect NAMESPACE/POD/CONTAINER into the hostPath and pack it, and the
# archive's bag verifies with the host's cfir.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
. "$top/tests/lib/runtimes.sh"
. "$top/tests/lib/image.sh"

k8s=$top/share/kubernetes
ds=$k8s/hunt-daemonset.yaml job=$k8s/collect-job.yaml
version=$(sed -n 's/^VERSION = //p' "$top/Makefile")

# --- the manifests, without a cluster ------------------------------------------------
command -v yq >/dev/null || { skip kubernetes "yq is not installed"; exit 0; }
for f in "$ds" "$job"; do
	check "$(basename "$f") parses as YAML" yq -e . "$f" >/dev/null
done
kinds=$(yq -r .kind "$ds" "$job" | tr '\n' ' ')
check "the kinds: Namespace, ServiceAccount, DaemonSet, Job ($kinds)" test "$kinds" = "Namespace ServiceAccount DaemonSet Job "
if command -v kubectl >/dev/null; then
	# kubectl's own decoder, offline: --local needs no cluster
	for f in "$ds" "$job"; do
		check "kubectl reads $(basename "$f") offline" \
			bash -c 'env -u KUBECONFIG HOME="$2" kubectl label --local --dry-run=client -o json -f "$1" cfir-e2e=x >/dev/null' _ "$f" "$T"
	done
else
	skip "kubectl reads the manifests" "kubectl is not installed (no Debian package)"
fi
out=$(yq -c 'select(.kind == "DaemonSet")' "$ds")
check "DaemonSet: its selector selects its template" \
	jqt '.spec.selector.matchLabels as $m | .spec.template.metadata.labels | contains($m)'
check "DaemonSet: image cfir:$version, hunt --every, JSON" \
	jqt --arg i "cfir:$version" '.spec.template.spec.containers[0] | .image == $i and (.args | index("hunt") and index("--every") and index("json"))'
check "DaemonSet: the host's PID namespace, no token, no privileged" \
	jqt '.spec.template.spec | .hostPID and .automountServiceAccountToken == false and (.containers[0].securityContext.privileged == false)'
check "DaemonSet: every capability dropped, three added" \
	jqt '.spec.template.spec.containers[0].securityContext.capabilities | .drop == ["ALL"] and (.add | sort) == ["DAC_READ_SEARCH","SYS_ADMIN","SYS_PTRACE"]'
check "DaemonSet: every mount read-only" jqt '.spec.template.spec.containers[0].volumeMounts | all(.readOnly)'
out=$(yq -c 'select(.kind == "Job")' "$job")
check "Job: pinned by nodeName, never restarted, tried once" \
	jqt '.spec.backoffLimit == 0 and .spec.template.spec.nodeName == "NODE_NAME" and .spec.template.spec.restartPolicy == "Never"'
check "Job: collect into the bag that seal --archive packs, image cfir:$version" \
	jqt --arg i "cfir:$version" '.spec.template.spec as $s | ($s.initContainers[0].args | index("collect")) and
		($s.initContainers[0].args | .[index("-o") + 1]) == ($s.containers[0].args | .[-1]) and
		($s.containers[0].args | .[index("--archive") + 1]) == ($s.containers[0].args[-1] + ".tar") and
		([$s.initContainers[0].image, $s.containers[0].image] | all(. == $i))'
check "Job: no RBAC object, no token" \
	bash -c '! yq -r .kind "$1" "$2" | grep -q "Role" && jq -e ".spec.template.spec.automountServiceAccountToken == false" <<<"$3" >/dev/null' _ "$ds" "$job" "$out"
check "README.md beside them says why each capability is there" \
	bash -c 'for c in SYS_ADMIN SYS_PTRACE DAC_READ_SEARCH NET_RAW hostPID hostNetwork; do grep -q "$c" "$1/README.md" || exit 1; done' _ "$k8s"

# --- against a pod in containerd ------------------------------------------------------
if [ "$(id -u)" != 0 ]; then skip "kubernetes pods" "needs root"; exit 0; fi
for c in ctr runc ip jq xxd docker ldd strip; do
	command -v $c >/dev/null || { skip "kubernetes pods" "$c is not installed"; exit 0; }
done
ctr version >/dev/null 2>&1 || { skip "kubernetes pods" "containerd does not answer (ctr version)"; exit 0; }
ctr_image || { skip "kubernetes pods" "the test image cannot be put into containerd's $RT_NS"; exit 0; }
_cleanup_extra="rt_cleanup; image_rm; ctr -n k8s.io images rm docker.io/library/$IMG >/dev/null 2>&1"
check "the image is made" image_make || exit 1
docker save "$IMG" | ctr -n k8s.io images import - >/dev/null 2>&1
check "docker save | ctr -n k8s.io images import -: the image is in the nodes' containerd" \
	bash -c 'ctr -n k8s.io images ls -q | grep -qxF "docker.io/library/$1"' _ "$IMG"
ctr -n k8s.io images rm "docker.io/library/$IMG" >/dev/null 2>&1

ns=e2e-$RUN_ID pod=web-$RUN_ID uid=$(rt_uuid)
ids=$(k8s_pod "$ns" "$pod" "$uid" app) || { fail "a pod in containerd's $RT_NS"; exit 1; }
sid=${ids% *} cid=${ids#* }
name=$ns/$pod/app
ctr -n "$RT_NS" task exec -d --exec-id backdoor "$cid" nc -ll -p 4444 -e cat

# the DaemonSet's container, every 2 seconds instead of every hour
mapfile -t a < <(K8S_IMAGE=$IMG "$top/tests/lib/k8s2docker" "$ds" hunt)
check "k8s2docker turns the DaemonSet's container into docker run" test "${#a[@]}" -gt 10
a[-1]=2
hunter=$(uniq_name k8s-hunt)
docker run -d --name "$hunter" --label "$LABEL" "${a[@]}" >/dev/null
for i in $(seq 100); do
	[ "$(docker logs "$hunter" 2>/dev/null | jq -s 'map(.round) | max // 0')" -ge 2 ] && break
	sleep 0.1
done
docker logs "$hunter" >"$T/ds.jsonl" 2>"$T/ds.err"
docker stop -t 10 "$hunter" >/dev/null
check "DaemonSet: SIGTERM ends its schedule with 0" test "$(docker wait "$hunter")" = 0
check "DaemonSet: two rounds, each with the pod's container by its Kubernetes name" \
	jqt -s --arg n "$name" '[group_by(.round)[] | select(.[0].round <= 2) | map(select(.type == "summary" and .name == $n)) | length == 1] == [true, true]' "$T/ds.jsonl"
check "DaemonSet: the pod's sandbox left out" \
	jqt -s --arg id "$sid" 'map(select(.container == $id)) | length == 0' "$T/ds.jsonl"
ds_checks=$(jq -r --arg n "$name" 'select(.type == "finding" and .round == 1 and .name == $n) | .check' "$T/ds.jsonl" | sort | tr '\n' ' ')
run "$CFIR" --format json --source runtime hunt "$name"
check "DaemonSet: the pod's findings are the host binary's ($ds_checks)" \
	test -n "$ds_checks" -a "$ds_checks" = "$(jq -r 'select(.type == "finding") | .check' <<<"$out" | sort | tr '\n' ' ')"
# a check that could not look (a capability short) leaves a note in the summary
check "DaemonSet: the summary's notes are the host binary's (every check could look)" \
	test "$(jq -c --arg n "$name" 'select(.type == "summary" and .round == 1 and .name == $n) | .notes' "$T/ds.jsonl")" = \
	     "$(jq -c 'select(.type == "summary") | .notes' <<<"$out")"

# the Job, its placeholders filled as its comment says, the evidence under $T
sed -e "s|NODE_NAME|$(uname -n)|; s|TARGET_NS/TARGET_POD/TARGET_CONTAINER|$name|" \
	-e "s|CASE_ID|case-$RUN_ID|g; s|BAG_NAME|$pod-app|g; s|/var/lib/cfir/evidence|$T/k8s-ev|" "$job" >"$T/job.yaml"
mapfile -t a < <(K8S_IMAGE=$IMG "$top/tests/lib/k8s2docker" "$T/job.yaml" collect)
run docker run --rm --label "$LABEL" "${a[@]}"
check "Job's collect: exit 0, every step ok" \
	jqt '.exit == 0 and ([.steps[] | select(.status != "ok") | .step] == [])'
bag=$T/k8s-ev/case-$RUN_ID/$pod-app
check "Job's collect: the bag is on the hostPath, its export merged from the layers" \
	jqt -s 'map(select(.action == "export"))[0].details.method == "layers"' "$bag/custody/log.jsonl"
check "Job's collect: the pause record carries kubelet's liveness warning" \
	jqt -s 'map(select(.action == "pause"))[0].details.warnings | map(test("liveness")) | any' "$bag/custody/log.jsonl"
check "the pod runs on, thawed" \
	test "$(cat "/sys/fs/cgroup/freezer/kubepods/besteffort/pod$uid/$cid/freezer.state")" = THAWED
mapfile -t a < <(K8S_IMAGE=$IMG "$top/tests/lib/k8s2docker" "$T/job.yaml" archive)
run docker run --rm --label "$LABEL" "${a[@]}"
check "Job's archive: seal --archive exit 0, no capability" test "$status" = 0
mkdir -p "$T/fetched"
check "the archive unpacks" tar -C "$T/fetched" -xf "$bag.tar"
check "the archive's bag verifies with the host's cfir" "$CFIR" verify -q "$T/fetched/$pod-app"

k8s_pod_rm "$sid" "$cid"
check "fixture: no container of this run left in containerd" test -z "$(rt_ctr_ids)"
