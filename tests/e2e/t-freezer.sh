#!/bin/bash
# The cgroup freezer with no engine: a runc container (busybox, a bundle
# under /tmp, its own runc state root) frozen and thawed through cfir's
# library, runc's view checked after each; then again with its init moved
# into a sub-cgroup of its own, which must not narrow what is frozen.
# Needs root, runc and a cgroup freezer; no dockerd.
top=$(cd "$(dirname "$0")/../.." && pwd)
CFIR=${CFIR:-$top/build/cfir}	# lib.sh wants it; the library is driven through the unit binary
UNIT=${UNIT:-$top/build/unit}
. "$top/tests/e2e/lib.sh"

if [ "$(id -u)" != 0 ]; then skip freezer "needs root"; exit 0; fi
for c in runc jq; do
	command -v $c >/dev/null || { skip freezer "$c is not installed"; exit 0; }
done
[ -x /bin/busybox ] || { skip freezer "no /bin/busybox (busybox-static)"; exit 0; }
[ -x "$UNIT" ] || { skip freezer "no unit binary at $UNIT"; exit 0; }

S=$T/state
id=cfir-freezer-$RUN_ID
sub=
runc_cleanup() {
	[ -n "$sub" ] && { cat "$sub/cgroup.procs" >"$sub/../cgroup.procs" 2>/dev/null; rmdir "$sub" 2>/dev/null; }
	runc --root "$S" delete -f "$id" >/dev/null 2>&1
}
_cleanup_extra=runc_cleanup

mkdir -p "$T/bundle/rootfs/bin" "$S"
cp /bin/busybox "$T/bundle/rootfs/bin/"
for a in sh sleep; do ln -s busybox "$T/bundle/rootfs/bin/$a"; done
(cd "$T/bundle" && runc spec) || { fail "runc spec"; exit 1; }
jq '.process.terminal = false | .process.args = ["sh", "-c", "sleep 600 & sleep 600 & wait"]' \
	"$T/bundle/config.json" >"$T/config.json" && mv "$T/config.json" "$T/bundle/config.json"
if ! runc --root "$S" run -d --bundle "$T/bundle" "$id" </dev/null >"$T/run.log" 2>&1; then
	fail "runc run" "$(cat "$T/run.log")"
	exit 1
fi
pid=$(runc --root "$S" state "$id" | jq -r .pid)
for i in $(seq 50); do
	[ "$(runc --root "$S" ps --format json "$id" | jq length)" -ge 3 ] && break
	sleep 0.1
done

# the container's freezer cgroup, v1 or v2, as the host sees it
state_file() {
	local line
	line=$(grep -E '^[0-9]+:([^:]*,)?freezer(,[^:]*)?:' "/proc/$1/cgroup")
	if [ -n "$line" ] && [ -d /sys/fs/cgroup/freezer ]; then
		echo "/sys/fs/cgroup/freezer${line#*:*:}/freezer.state"
	else
		line=$(grep '^0::' "/proc/$1/cgroup")
		echo "/sys/fs/cgroup${line#0::}/cgroup.events"
	fi
}
frozen_word() { case $(state_file "$pid") in */freezer.state) echo "$1" ;; *) echo "frozen $2" ;; esac; }

# every process runc lists is in a cgroup that says WORD
all_say() {
	local p f n=0
	for p in $(runc --root "$S" ps --format json "$id" | jq -r '.[]'); do
		f=$(state_file "$p")
		grep -qx "$1" "$f" || { echo "pid $p: $f: $(cat "$f")" >&2; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 3 ]
}
runc_status() { [ "$(runc --root "$S" state "$id" | jq -r .status)" = "$1" ]; }
cfir() { CFIR_FREEZER_PID=$pid CFIR_FREEZER_ID=$id CFIR_FREEZER_DO=$1 "$UNIT" "a real container" 2>&1; }

round() {	# round TITLE
	local out
	out=$(cfir freeze)
	check "$1: freeze through the cgroup ($(echo "$out" | grep -o 'cgroup .*' | head -1))" \
		grep -q '^1 passed, 0 failed' <<<"$out"
	check "$1: every process's cgroup says frozen" all_say "$(frozen_word FROZEN 1)"
	check "$1: runc state says paused" runc_status paused
	out=$(cfir thaw)
	check "$1: thaw through the cgroup" grep -q '^1 passed, 0 failed' <<<"$out"
	check "$1: every process's cgroup says thawed" all_say "$(frozen_word THAWED 0)"
	check "$1: runc state says running" runc_status running
}

round "runc container"

# the init moves itself below its cgroup: the whole container is frozen still
f=$(state_file "$pid")
sub=$(dirname "$f")/cfir-moved
if mkdir "$sub" && echo "$pid" >"$sub/cgroup.procs"; then
	check "the init is in the sub-cgroup" grep -q "/cfir-moved$" <(grep -E 'freezer|^0::' "/proc/$pid/cgroup")
	round "init moved into a sub-cgroup"
else
	skip "init moved into a sub-cgroup" "cannot make one under $(dirname "$f")"
fi
