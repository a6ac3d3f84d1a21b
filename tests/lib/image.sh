# shellcheck shell=bash
# image.sh - cfir's container image for a test: made from $CFIR by
# packaging/image.sh under a tag of this run only (cfir-e2e-img-RUN_ID),
# removed by image_rm. Sourced after tests/e2e/lib.sh.

IMG=cfir-e2e-img-${RUN_ID:-$$}:test

image_make() {
	sh "$(dirname "${BASH_SOURCE[0]}")/../../packaging/image.sh" "$CFIR" "$IMG" >"$T/image.log" 2>&1
}

image_rm() {
	docker image rm -f "$IMG" >/dev/null 2>&1
}

# The capabilities cfir needs in its container, each for what README's
# "As a container" says.
IMG_CAPS="SYS_ADMIN SYS_PTRACE DAC_READ_SEARCH NET_RAW NET_ADMIN"

# cimg "CAPS" [docker run options] -- cfir arguments: cfir from the image
# against this host, as README's "As a container" runs it, with only CAPS;
# the evidence directory is $T/ev, at /evidence; CIMG_NET replaces the
# host's network namespace.
cimg() {
	local caps=$1 c opts=(--cap-drop ALL)
	shift
	for c in $caps; do opts+=(--cap-add "$c"); done
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	mkdir -p "$T/ev" /run/runc /var/log/pods
	docker run --rm --label "$LABEL" --pid host --uts host --network "${CIMG_NET:-host}" "${opts[@]}" \
		-v /var/run/docker.sock:/var/run/docker.sock \
		-v /run/containerd:/run/containerd -v /run/runc:/run/runc \
		-v /var/lib/docker:/var/lib/docker:ro -v /var/lib/containerd:/var/lib/containerd:ro \
		-v /var/log/pods:/var/log/pods:ro -v /sys/fs/cgroup:/sys/fs/cgroup \
		-v "$T/ev:/evidence" "$IMG" "$@"
}
