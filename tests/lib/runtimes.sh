# shellcheck shell=bash
# runtimes.sh - real containers of every runtime, made without an engine's
# API: Kubernetes pods in containerd's k8s.io namespace as its CRI plugin
# lays them out, a CRI-O container as CRI-O leaves it on the host, a Podman
# container, and many plain containerd ones. Sourced (bash) by the
# end-to-end tests and the benchmarks after tests/lib/engine.sh; needs root,
# ctr (and a containerd that answers), runc, ip, jq, xxd; podman_ctr needs
# podman. The test image comes from dockerd once (docker save).
#
# Every containerd container made here carries the label $RT_LABEL, every
# ID and name starts with $RT_PREFIX (empty by default: IDs are 64 hex
# digits as Kubernetes makes them), and the fixtures' own files live in
# $RT_DIR; rt_cleanup removes what a run left. Functions that print IDs
# run in command substitutions, so what they keep is on disk, not in
# variables.
#
# crun cannot run on this kind of host (cgroup v1 with a v2 hierarchy
# beside it, "hybrid"), and when it is installed Podman picks it and fails:
# every runtime here is runc, and crun must not be installed.

RT_NS=k8s.io
RT_PREFIX=${RT_PREFIX:-}
RT_LABEL=${RT_LABEL:-cfir-fixture=${RUN_ID:-$$}}
RT_DIR=${RT_DIR:-/var/tmp/cfir-rt-${RUN_ID:-$$}}
RT_CRIO_RUN=/run/containers/storage/overlay-containers
RT_PODS_LOG=/var/log/pods

# An ID as Kubernetes runtimes make them: 64 hex digits (after $RT_PREFIX).
rt_id() {
	local hex
	hex=$(head -c32 /dev/urandom | xxd -p -c64)
	printf '%s%s\n' "$RT_PREFIX" "${hex:${#RT_PREFIX}}"
}

rt_uuid() { cat /proc/sys/kernel/random/uuid; }

# Now in Go's RFC3339Nano, as the CRI log lines have it (trailing zeros cut).
rt_now() { date -u +%Y-%m-%dT%H:%M:%S.%NZ | sed 's/0*Z$/Z/; s/\.Z$/Z/'; }

# The test image as containerd names it (docker.io/, library/ added).
ctr_ref() {
	local ref=$TEST_IMAGE
	case ${ref%%/*} in
	*.* | *:* | localhost) ;;
	*) [ "${ref#*/}" = "$ref" ] && ref=library/$ref; ref=docker.io/$ref ;;
	esac
	case ${ref##*/} in *:*) ;; *) ref=$ref:latest ;; esac
	echo "$ref"
}

# The test image in containerd's k8s.io namespace, imported once.
ctr_image() {
	ctr -n "$RT_NS" images ls -q | grep -qxF "$(ctr_ref)" && return 0
	docker save "$TEST_IMAGE" | ctr -n "$RT_NS" images import - >/dev/null
}

# Busybox's files in a directory, made once (the lower layer of the CRI-O
# container, the root of a container run from a spec).
rt_rootfs() {
	local root=$RT_DIR/rootfs tmp
	[ -d "$root" ] && { echo "$root"; return 0; }
	mkdir -p "$RT_DIR" || return 1
	tmp=$(mktemp -d "$RT_DIR/rootfs.XXXXXX") || return 1
	busybox_tree "$tmp" || return 1
	# two made at once: the first one stays
	mv -T "$tmp" "$root" 2>/dev/null || rm -rf "$tmp"
	echo "$root"
}

# The init PID containerd gives for task ID.
ctr_pid() {
	ctr -n "$RT_NS" task ls | awk -v id="$1" '$1 == id { print $2 }'
}

# Empty cgroup directories PATH, then its parents up to the top, in every
# hierarchy; one still in use stays.
rt_cgroup_rmdir() {
	local h p
	for h in /sys/fs/cgroup/*/; do
		p=$1
		while [ -n "$p" ] && [ "$p" != / ] && [ -d "$h${p#/}" ]; do
			rmdir "$h${p#/}" 2>/dev/null || break
			p=$(dirname "$p")
		done
	done
}

# The pod's network namespace and its veth pair to the host, as CNI's bridge
# plugin leaves them minus the bridge: eth0 inside with 10.213.N.2/24, the
# host side with 10.213.N.1/24, N a free /24. Prints the namespace's path.
rt_pod_net() {
	local netns=$1 hostif=$2 n=1
	while [ $n -lt 255 ] && ip -o -4 addr show | grep -q " 10\.213\.$n\."; do n=$((n + 1)); done
	ip netns add "$netns" || return 1
	if ! { ip link add "$hostif" type veth peer name eth0 netns "$netns" &&
		ip addr add "10.213.$n.1/24" dev "$hostif" &&
		ip link set "$hostif" up &&
		ip -n "$netns" link set lo up &&
		ip -n "$netns" addr add "10.213.$n.2/24" dev eth0 &&
		ip -n "$netns" link set eth0 up &&
		ip -n "$netns" route add default via "10.213.$n.1"; }; then
		ip netns del "$netns"	# the veth pair goes with it
		return 1
	fi
	echo "/run/netns/$netns"
}

# The kubelet's log of the app (a fixture: ctr cannot write the CRI log
# format, so these lines are what the app printed, written as containerd's
# CRI plugin writes them), and /var/log/containers' link to it.
rt_pod_log() {
	local dir=$1 app=$2 pod=$3 ns=$4 cid=$5
	mkdir -p "$dir/$app" || return 1
	{
		printf '%s stdout F hello\n' "$(rt_now)"
		printf '%s stderr F oops\n' "$(rt_now)"
	} >"$dir/$app/0.log"
	mkdir -p /var/log/containers
	ln -sfn "$dir/$app/0.log" "/var/log/containers/${pod}_${ns}_${app}-$cid.log"
}

# k8s_pod NS POD UID APPNAME [ctr run options...]: a pod's sandbox and one
# app container in containerd's k8s.io namespace, annotated and labelled as
# the CRI plugin does, the app in the sandbox's network, IPC and UTS
# namespaces, cgroups under /kubepods/besteffort/pod<UID>/ (cgroupfs), the
# app's log in /var/log/pods. The options go to the app's `ctr run`.
# Prints the sandbox's ID and the app's.
k8s_pod() {
	local ns=$1 pod=$2 uid=$3 app=$4 sid cid spid netpath ref logdir cg
	shift 4
	ctr_image || return 1
	ref=$(ctr_ref)
	sid=$(rt_id) cid=$(rt_id)
	logdir=$RT_PODS_LOG/${ns}_${pod}_$uid
	cg=/kubepods/besteffort/pod$uid
	netpath=$(rt_pod_net "cni-${sid: -12}" "veth${sid: -8}") || return 1
	if ! ctr -n "$RT_NS" run -d --null-io --cgroup "$cg/$sid" --with-ns "network:$netpath" \
		--label "$RT_LABEL" --label io.cri-containerd.kind=sandbox \
		--label "io.kubernetes.pod.name=$pod" --label "io.kubernetes.pod.namespace=$ns" \
		--label "io.kubernetes.pod.uid=$uid" \
		--annotation io.kubernetes.cri.container-type=sandbox \
		--annotation "io.kubernetes.cri.sandbox-id=$sid" \
		--annotation "io.kubernetes.cri.sandbox-name=$pod" \
		--annotation "io.kubernetes.cri.sandbox-namespace=$ns" \
		--annotation "io.kubernetes.cri.sandbox-uid=$uid" \
		--annotation "io.kubernetes.cri.sandbox-log-directory=$logdir" \
		"$ref" "$sid" sleep 86400 >/dev/null; then
		ip netns del "cni-${sid: -12}"
		return 1
	fi
	spid=$(ctr_pid "$sid")
	if ! ctr -n "$RT_NS" run -d --null-io --cgroup "$cg/$cid" \
		--with-ns "network:/proc/$spid/ns/net" --with-ns "ipc:/proc/$spid/ns/ipc" \
		--with-ns "uts:/proc/$spid/ns/uts" \
		--label "$RT_LABEL" --label io.cri-containerd.kind=container \
		--label "io.kubernetes.pod.name=$pod" --label "io.kubernetes.pod.namespace=$ns" \
		--label "io.kubernetes.pod.uid=$uid" --label "io.kubernetes.container.name=$app" \
		--annotation io.kubernetes.cri.container-type=container \
		--annotation "io.kubernetes.cri.container-name=$app" \
		--annotation "io.kubernetes.cri.sandbox-id=$sid" \
		--annotation "io.kubernetes.cri.sandbox-name=$pod" \
		--annotation "io.kubernetes.cri.sandbox-namespace=$ns" \
		--annotation "io.kubernetes.cri.sandbox-uid=$uid" \
		--annotation "io.kubernetes.cri.image-name=$TEST_IMAGE" \
		"$@" "$ref" "$cid" sh -c 'echo hello; echo oops >&2; while :; do sleep 1; done' >/dev/null; then
		k8s_pod_rm "$sid"
		return 1
	fi
	rt_pod_log "$logdir" "$app" "$pod" "$ns" "$cid" || { k8s_pod_rm "$sid" "$cid"; return 1; }
	echo "$sid $cid"
}

# One containerd container of k8s.io gone: its task killed and deleted, the
# container and its snapshot removed.
ctr_rm() {
	ctr -n "$RT_NS" task kill -s KILL "$1" >/dev/null 2>&1
	ctr -n "$RT_NS" task rm -f "$1" >/dev/null 2>&1
	ctr -n "$RT_NS" containers rm "$1" >/dev/null 2>&1
	! ctr -n "$RT_NS" containers info "$1" >/dev/null 2>&1
}

# An annotation of containerd container ID's spec.
ctr_annotation() {
	ctr -n "$RT_NS" containers info "$1" 2>/dev/null | jq -r --arg k "$2" '.Spec.annotations[$k] // empty'
}

# k8s_pod_rm SANDBOX_ID [APP_ID...]: the pod gone, its apps first: the
# containers, their snapshots and cgroups, the network namespace and its
# veth pair, the log directory and its links.
k8s_pod_rm() {
	local sid=$1 id logdir uid rc=0
	shift
	logdir=$(ctr_annotation "$sid" io.kubernetes.cri.sandbox-log-directory)
	uid=$(ctr_annotation "$sid" io.kubernetes.cri.sandbox-uid)
	for id in "$@" "$sid"; do
		ctr_rm "$id" || rc=1
		rm -f /var/log/containers/*"-$id.log"
	done
	ip netns del "cni-${sid: -12}" 2>/dev/null
	ip link del "veth${sid: -8}" 2>/dev/null	# gone with the namespace, unless it is still held
	case $logdir in "$RT_PODS_LOG"/?*) rm -rf "$logdir" ;; esac
	[ -n "$uid" ] && rt_cgroup_rmdir "/kubepods/besteffort/pod$uid"
	return $rc
}

# k8s_ctr_json ID FILE: a container in k8s.io whose annotations are the JSON
# object in FILE, run from a whole spec (ctr run --config): for values no
# command line carries (an argument is at most 128 KiB). Its root is a copy
# of busybox's files in $RT_DIR.
k8s_ctr_json() {
	local id=$1 file=$2 root lower
	lower=$(rt_rootfs) || return 1
	root=$RT_DIR/spec-$id
	mkdir -p "$root" && cp -a "$lower/." "$root/rootfs" || return 1
	ctr -n "$RT_NS" oci spec |
		jq --arg root "$root/rootfs" --arg cg "/k8s.io/$id" --slurpfile a "$file" \
			'.root.path = $root | .linux.cgroupsPath = $cg | .annotations = $a[0] |
			 .process.args = ["sh", "-c", "while :; do sleep 1; done"] |
			 .process.env = ["PATH=/bin"]' >"$root/config.json" || return 1
	ctr -n "$RT_NS" run -d --null-io --label "$RT_LABEL" --config "$root/config.json" "$id" >/dev/null
}

k8s_ctr_json_rm() {
	ctr_rm "$1" && rm -rf "${RT_DIR:?}/spec-$1"
}

# crio_ctr ID NS POD APPNAME: a container as CRI-O leaves it: the bundle
# (config.json with CRI-O's annotations, the pidfile) in its run directory
# /run/containers/storage/overlay-containers/ID/userdata, its root an
# overlay mounted on the host as containers/storage mounts one (busybox's
# files below, upper and work in $RT_DIR), run by runc under its default
# root /run/runc, its cgroup /kubepods/besteffort/pod<uid>/crio-ID. There
# is no sandbox container: the SandboxID annotation names a made-up one.
crio_ctr() {
	local id=$1 ns=$2 pod=$3 app=$4 ud=$RT_CRIO_RUN/$1/userdata lower layer uid sbx
	lower=$(rt_rootfs) || return 1
	layer=$RT_DIR/crio-$id
	uid=$(rt_uuid) sbx=$(rt_id)
	mkdir -p "$ud" "$layer/diff" "$layer/work" "$layer/merged" || return 1
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$layer/diff,workdir=$layer/work" \
		"$layer/merged" || { crio_ctr_rm "$id"; return 1; }
	(cd "$ud" && runc spec) || { crio_ctr_rm "$id"; return 1; }
	jq --arg root "$layer/merged" --arg cg "/kubepods/besteffort/pod$uid/crio-$id" \
		--arg id "$id" --arg ns "$ns" --arg pod "$pod" --arg app "$app" --arg uid "$uid" \
		--arg sbx "$sbx" --arg img "$TEST_IMAGE" \
		'.root = {path: $root, readonly: false} | .linux.cgroupsPath = $cg |
		 .process.terminal = false | .process.env = ["PATH=/bin"] |
		 .process.args = ["sh", "-c", "echo hello; while :; do sleep 1; done"] |
		 .hostname = $pod |
		 .annotations = {
			"io.kubernetes.pod.name": $pod, "io.kubernetes.pod.namespace": $ns,
			"io.kubernetes.pod.uid": $uid, "io.kubernetes.container.name": $app,
			"io.kubernetes.cri-o.ContainerType": "container",
			"io.kubernetes.cri-o.ContainerID": $id, "io.kubernetes.cri-o.SandboxID": $sbx,
			"io.kubernetes.cri-o.Name": "k8s_\($app)_\($pod)_\($ns)_\($uid)_0",
			"io.kubernetes.cri-o.ImageName": $img, "io.kubernetes.cri-o.MountPoint": $root }' \
		"$ud/config.json" >"$ud/config.json.new" || { crio_ctr_rm "$id"; return 1; }
	mv "$ud/config.json.new" "$ud/config.json"
	# runc run -d hands its stdio to the container: never a pipe of ours
	runc run -d --bundle "$ud" --pid-file "$ud/pidfile" "$id" </dev/null >/dev/null 2>"$layer/runc.err" ||
		{ cat "$layer/runc.err" >&2; crio_ctr_rm "$id"; return 1; }
}

# crio_ctr_rm ID: the container, its state, overlay, bundle and cgroups gone.
crio_ctr_rm() {
	local id=$1 ud=$RT_CRIO_RUN/$1/userdata uid=
	[ -f "$ud/config.json" ] && uid=$(jq -r '.annotations["io.kubernetes.pod.uid"] // empty' "$ud/config.json")
	runc kill "$id" KILL >/dev/null 2>&1
	runc delete -f "$id" >/dev/null 2>&1
	mountpoint -q "$RT_DIR/crio-$id/merged" && umount "$RT_DIR/crio-$id/merged"
	rm -rf "${RT_CRIO_RUN:?}/$id" "${RT_DIR:?}/crio-$id"
	[ -n "$uid" ] && rt_cgroup_rmdir "/kubepods/besteffort/pod$uid"
	! runc state "$id" >/dev/null 2>&1
}

# The test image in Podman's storage, loaded once; prints its name (Podman
# puts a name without a registry under localhost/).
podman_image() {
	local img=localhost/$TEST_IMAGE
	podman image exists "$img" || docker save "$TEST_IMAGE" | podman load -q >/dev/null || return 1
	echo "$img"
}

# podman_ctr NAME [podman run options...]: Podman's own container (its
# runtime runc, its bundle in Podman's storage); prints its ID.
podman_ctr() {
	local name=$1 img
	shift
	img=$(podman_image) || return 1
	podman run -d --name "$name" --label "$RT_LABEL" \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" \
		"$img" sh -c 'echo hello; while :; do sleep 1; done'
}

podman_ctr_rm() {
	podman rm -f -t 0 "$1" >/dev/null 2>&1
	! podman container exists "$1"
}

# many_k8s N: N running containers in k8s.io, annotated as CRI app
# containers (no sandboxes), started eight at a time (waiting for those
# alone: the caller may have children of its own).
many_k8s() {
	local n=$1 i=0 ref id pids=()
	ctr_image || return 1
	ref=$(ctr_ref)
	while [ "$i" -lt "$n" ]; do
		id=$(rt_id)
		ctr -n "$RT_NS" run -d --null-io --label "$RT_LABEL" \
			--annotation io.kubernetes.cri.container-type=container \
			--annotation io.kubernetes.cri.sandbox-namespace=bench \
			--annotation "io.kubernetes.cri.sandbox-name=bench-$i" \
			--annotation io.kubernetes.cri.container-name=app \
			--annotation "io.kubernetes.cri.sandbox-id=$(rt_id)" \
			--annotation "io.kubernetes.cri.sandbox-uid=$(rt_uuid)" \
			--annotation "io.kubernetes.cri.image-name=$TEST_IMAGE" \
			"$ref" "$id" sleep 86400 >/dev/null &
		pids+=($!)
		i=$((i + 1))
		[ $((i % 8)) -eq 0 ] && { wait "${pids[@]}"; pids=(); }
	done
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
	[ "$(rt_ctr_ids | wc -l)" -ge "$n" ]
}

# The IDs of this run's containers in k8s.io.
rt_ctr_ids() {
	ctr -n "$RT_NS" containers ls -q "labels.\"${RT_LABEL%%=*}\"==\"${RT_LABEL#*=}\""
}

# many_k8s_rm: every container of this run in k8s.io gone, eight at a time.
many_k8s_rm() {
	local id i=0 pids=()
	for id in $(rt_ctr_ids); do
		ctr_rm "$id" &
		pids+=($!)
		i=$((i + 1))
		[ $((i % 8)) -eq 0 ] && { wait "${pids[@]}"; pids=(); }
	done
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
	[ -z "$(rt_ctr_ids)" ]
}

# What a run left: pods, CRI-O containers, Podman's, its files. For an
# exit trap: quiet, goes on past failures.
rt_cleanup() {
	local sid d
	for sid in $(rt_ctr_ids); do
		[ "$(ctr_annotation "$sid" io.kubernetes.cri.container-type)" = sandbox ] || continue
		# shellcheck disable=SC2046 # one ID a word
		k8s_pod_rm "$sid" $(ctr -n "$RT_NS" containers ls -q \
			"labels.\"${RT_LABEL%%=*}\"==\"${RT_LABEL#*=}\",labels.\"io.kubernetes.pod.uid\"==\"$(ctr_annotation "$sid" io.kubernetes.cri.sandbox-uid)\"" |
			grep -vx "$sid")
	done
	many_k8s_rm
	for d in "$RT_DIR"/crio-*; do
		[ -d "$d" ] && crio_ctr_rm "${d##*/crio-}"
	done
	if command -v podman >/dev/null; then
		podman ps -aq --filter "label=$RT_LABEL" | xargs -r podman rm -f -t 0 >/dev/null 2>&1
	fi
	[ -d "$RT_DIR" ] && ! grep -qF " $RT_DIR/" /proc/mounts && rm -rf "$RT_DIR"
	return 0
}
