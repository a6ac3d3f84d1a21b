#!/bin/bash
# The Ansible plays on loopback hosts (an sshd each on 127.0.1.N, all this
# machine and its engine).
#
# triage.yml on N = 2, 4, 8 hosts with forks = N, 50 running containers
# each (every host's hunt names its own 50 through cfir_hunt_args), against
# one host's cfir hunt of its 50 run directly: wall times, medians of
# ROUNDS, and the ratios. Then collect.yml of one container with 1 GiB in
# its image (the export bench's data image) from one host: the controller's
# peak RSS (/usr/bin/time -v around ansible-playbook) against the archive's
# size. Not pass/fail. SIZES, PER, ROUNDS, RSS=0 to skip the collect.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../lib/fleet.sh"
: "${CFIR:?}"
top=$(cd "$here/../.." && pwd)
SIZES=${SIZES:-2 4 8}
PER=${PER:-50}
ROUNDS=${ROUNDS:-3}
RSS=${RSS:-1}

tag=cfir-bench-fleet-$$
work=$(mktemp -d /var/tmp/cfir-bench.XXXXXX)
had_cfir=$(dpkg-query -W -f '${Status}' cfir 2>/dev/null | grep -c 'install ok installed')
trap 'fleet_down "$work/ssh"; docker ps -aq --filter "label=$tag" | xargs -r docker rm -f >/dev/null 2>&1
	[ "$had_cfir" = 1 ] || dpkg -P cfir >/dev/null 2>&1; rm -rf "$work"' EXIT

version=$(sed -n 's/^VERSION = //p' "$top/Makefile")
deb=$top/build/cfir_${version}_$(dpkg --print-architecture).deb
[ "$deb" -nt "$top/build/cfir" ] || make -s -C "$top" deb >/dev/null || exit 1

max=0
for n in $SIZES; do [ "$n" -gt "$max" ] && max=$n; done
echo "fleet: starting $((max * PER)) containers" >&2
h=1
while [ $h -le "$max" ]; do
	i=0
	while [ $i -lt "$PER" ]; do
		extra=""
		[ $((i % 10)) -eq 0 ] && extra="--cap-add SYS_ADMIN"
		# shellcheck disable=SC2086
		docker run -d --name "$tag-h$h-$i" --label "$tag" $extra "$TEST_IMAGE" sleep 3600 >/dev/null || exit 1
		i=$((i + 1))
	done
	h=$((h + 1))
done
names() { local i=0; while [ $i -lt "$PER" ]; do printf '%s ' "$tag-h$1-$i"; i=$((i + 1)); done; }

FLEET_FORKS=$max fleet_init "$work/ssh" >/dev/null || exit 1
port=$(fleet_port)
h=1
while [ $h -le "$max" ]; do fleet_sshd "$work/ssh" "127.0.1.$h" "$port" || exit 1; h=$((h + 1)); done

inventory() {	# inventory N: hosts 1..N
	local h=1
	echo "[bench]"
	while [ $h -le "$1" ]; do
		echo "127.0.1.$h ansible_port=$port cfir_workdir=$work/hosts/$h cfir_hunt_args=\"$(names $h)\""
		h=$((h + 1))
	done
}
playbook() {	# playbook FORKS ARGS...
	local forks=$1
	shift
	(cd "$work" && ANSIBLE_CONFIG=$work/ssh/ansible.cfg ANSIBLE_FORKS=$forks ansible-playbook "$@")
}

# a first run installs the package; the timed ones find it there
inventory "$max" >"$work/inv-$max"
playbook "$max" -i "$work/inv-$max" "$top/playbooks/ansible/triage.yml" >"$work/warm.log" 2>&1 ||
	{ tail -n 30 "$work/warm.log"; exit 1; }

direct() { "$CFIR" --format json hunt $(names 1) >/dev/null; }
ms() { local t0 t1; t0=$(now_ns); "$@" >/dev/null 2>&1; t1=$(now_ns); echo $((t1 - t0)); }
r=0
while [ $r -lt "$ROUNDS" ]; do ms direct >>"$work/direct"; r=$((r + 1)); done
d=$(median_ms <"$work/direct")
echo "fleet: triage.yml on N loopback hosts, forks = N, $PER containers each, $ROUNDS rounds"
echo "  cfir hunt of one host's $PER, run directly           median $d ms"
for n in $SIZES; do
	inventory "$n" >"$work/inv-$n"
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		ms playbook "$n" -i "$work/inv-$n" "$top/playbooks/ansible/triage.yml" >>"$work/triage-$n"
		r=$((r + 1))
	done
	t=$(median_ms <"$work/triage-$n")
	f=$(wc -l <"$work/fleet/findings.jsonl")
	awk -v n="$n" -v t="$t" -v d="$d" -v f="$f" 'BEGIN {
		printf "  triage.yml, %d hosts (%d findings home)          median %d ms, ratio to one direct hunt %.1f, per host %.1f\n", n, f, t, t / d, t / d / n }'
done

[ "$RSS" = 1 ] || exit 0
img=cfir-bench/data1024m-20000
data_image "$img" 1024 20000
c=$tag-big
docker run -d --name "$c" --label "$tag" "$img" sleep 3600 >/dev/null || exit 1
"$CFIR" keygen --no-passphrase -o "$work/keys" >/dev/null 2>&1
inventory 1 >"$work/inv-1"
rm -rf "$work/fleet"
/usr/bin/time -v -o "$work/time" env ANSIBLE_CONFIG="$work/ssh/ansible.cfg" \
	sh -c "cd '$work' && ansible-playbook -i '$work/inv-1' '$top/playbooks/ansible/collect.yml' \
	-e cfir_key='$work/keys/cfir.key' -e cfir_containers='$c' -e cfir_verify_bin='$CFIR'" >"$work/collect.log" 2>&1 ||
	{ tail -n 30 "$work/collect.log"; exit 1; }
tar=$work/fleet/127.0.1.1/$c.tar
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/time")
wall=$(awk -F': ' '/Elapsed \(wall/ {print $2}' "$work/time")
echo "fleet: collect.yml of one container with 1 GiB in its image, from one host"
echo "  archive $(( $(stat -c %s "$tar") / 1048576 )) MiB, signed: $(test -s "$tar.minisig" && echo yes || echo no); wall $wall"
echo "  controller's peak RSS (ansible-playbook and its children, the largest) $((rss / 1024)) MiB"
