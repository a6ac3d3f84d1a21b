#!/bin/bash
# playbooks/ansible: triage and collect on loopback hosts (an sshd each on
# 127.0.0.2 and 127.0.0.3, both this machine and its engine), a host that
# is down (127.0.0.9) and one that fails (a work directory it cannot make).
. "$(dirname "$0")/lib.sh"
. "$here/../lib/fleet.sh"
top=$(cd "$here/../.." && pwd)
play=$top/playbooks/ansible

for tool in ansible-playbook /usr/sbin/sshd ssh-keygen dpkg-deb minisign; do
	command -v $tool >/dev/null || { skip "ansible" "$tool is not installed"; exit 0; }
done
version=$(sed -n 's/^VERSION = //p' "$top/Makefile")
deb=$top/build/cfir_${version}_$(dpkg --print-architecture).deb
if ! [ "$deb" -nt "$top/build/cfir" ]; then
	make -s -C "$top" deb >/dev/null 2>"$T/make.err" || { cat "$T/make.err"; }
fi
check "the package to install: $(basename "$deb")" test -s "$deb"

# the plays install the package on "the hosts", this machine: take it away
# afterwards unless it was here before
had_cfir=$(dpkg-query -W -f '${Status}' cfir 2>/dev/null | grep -c 'install ok installed')
f=$T/ssh
_cleanup_extra='fleet_down "$f"; [ "$had_cfir" = 1 ] || dpkg -P cfir >/dev/null 2>&1'
fleet_init "$f" && port=$(fleet_port) && fleet_sshd "$f" 127.0.0.2 "$port" && fleet_sshd "$f" 127.0.0.3 "$port"
check "two sshds on 127.0.0.2 and 127.0.0.3 port $port" test -s "$f/sshd-127.0.0.3.pid"

c1=$(uniq_name fleet-admin)
c2=$(uniq_name fleet-plain)
start "$c1" --cap-add SYS_ADMIN -- sleep 600
start "$c2" -- sleep 600
cat >"$f/inventory" <<INV
[responders]
127.0.0.2 ansible_port=$port cfir_workdir=$T/hosts/127.0.0.2
127.0.0.3 ansible_port=$port cfir_workdir=$T/hosts/127.0.0.3
127.0.0.9 ansible_port=$port cfir_workdir=$T/hosts/127.0.0.9
broken ansible_host=127.0.0.3 ansible_port=$port cfir_workdir=/proc/cfir-fleet
[responders:vars]
cfir_hunt_args="$c1 $c2"
INV
playbook() {
	(cd "$T" && ANSIBLE_CONFIG=$f/ansible.cfg ansible-playbook -i "$f/inventory" "$@")
}

# triage
run playbook "$play/triage.yml"
check "triage: the play ends 0 with a host down and one failing" test "$status" = 0
[ "$status" = 0 ] || tail -n 30 "$T/out"
fl=$T/fleet
"$CFIR" --format json hunt "$c1" "$c2" | jq -c 'select(.type == "finding")' | jq -S -c . | sort >"$T/local"
check "cfir hunt here has findings" test -s "$T/local"
for h in 127.0.0.2 127.0.0.3; do
	jq -c "select(.host == \"$h\") | del(.host)" "$fl/findings.jsonl" | jq -S -c . | sort >"$T/from-$h"
	check "triage: $h's findings are cfir hunt's here" cmp -s "$T/local" "$T/from-$h"
done
check "triage: findings.jsonl holds both hosts' findings and no more" \
	test "$(wc -l <"$fl/findings.jsonl")" = $((2 * $(wc -l <"$T/local")))
check "triage: every line of findings.jsonl has a host" jqt -s 'all(.[]; .host | type == "string")' "$fl/findings.jsonl"
rank() { awk 'NR > 1 && /^127\./ {print $3}' "$fl/findings.txt" |
	sed 's/critical/0/; s/high/1/; s/medium/2/; s/low/3/; s/info/4/'; }
check "triage: the table has a row per finding" test "$(rank | wc -l)" = "$(wc -l <"$fl/findings.jsonl")"
ranks=$(rank)
check "triage: the table is worst first" test "$ranks" = "$(sort -n <<<"$ranks")"
check "triage: the table's first row is the critical cap-sys-admin" \
	grep -qE "^127\.0\.0\.[23] +$c1 +critical +cap-sys-admin$" <<<"$(sed -n 2p "$fl/findings.txt")"
check "triage: findings.txt names the host that is down" grep -q '^host 127.0.0.9: unreachable: ' "$fl/findings.txt"
check "triage: findings.txt names the host that failed" grep -q '^host broken: failed: ' "$fl/findings.txt"
check "triage: summary.json: two ok, one unreachable, one failed" \
	jqt '[.hosts[] | .status] == ["ok", "ok", "unreachable", "failed"]' "$fl/summary.json"
check "triage: installed cfir $version on the hosts" test "$(dpkg-query -W -f '${Version}' cfir)" = "$version"

rm -rf "$fl"
run playbook "$play/triage.yml" -e cfir_fail_on=critical
check "triage --fail-on critical: the play fails" test "$status" != 0
[ "$status" != 0 ] || tail -n 20 "$T/out"
check "triage --fail-on critical: it says where" grep -q 'findings at or above critical on 127.0.0.2, 127.0.0.3' "$T/out"
check "triage --fail-on critical: after writing findings.jsonl" test -s "$fl/findings.jsonl"
check "triage --fail-on critical: summary.json names the hosts" \
	jqt '.failing == ["127.0.0.2", "127.0.0.3"]' "$fl/summary.json"
run playbook "$play/triage.yml" -e cfir_fail_on=critical -e "cfir_hunt_args=$c2"
check "triage --fail-on critical without a critical finding: the play passes" test "$status" = 0

# collect
rm -rf "$fl"
"$CFIR" keygen --no-passphrase -o "$T/keys" >/dev/null 2>&1
key=$T/keys/cfir.key
run playbook "$play/collect.yml" -e "cfir_key=$key" -e "cfir_containers=$c1,$c2" -e "cfir_verify_bin=$CFIR"
check "collect: the play fails at its end: a host is down, one failed" test "$status" != 0
grep -q "no complete evidence" "$T/out" || tail -n 20 "$T/out"
check "collect: and says which" grep -q 'no complete evidence from 127.0.0.9, broken' "$T/out"
for h in 127.0.0.2 127.0.0.3; do
	for c in "$c1" "$c2"; do
		tar=$fl/$h/$c.tar
		check "collect: $h/$c.tar came home" test -s "$tar"
		check "collect: $h/$c.tar: sha256sum -c" sh -c "cd '$fl/$h' && sha256sum -c --status '$c.tar.sha256'"
		check "collect: $h/$c.tar: cfir verify" sh -c "'$CFIR' verify '$tar' >/dev/null 2>&1"
		check "collect: $h/$c.tar: minisign -V" minisign -Vq -m "$tar" -p "$T/keys/cfir.pub"
	done
done
check "collect: summary.json: every archive of the two hosts checked and signed" \
	jqt '[.hosts[] | select(.status == "ok") | .archives[] | .ok] == [true, true, true, true]' "$fl/summary.json"
check "collect: summary.json: 127.0.0.9 unreachable" \
	jqt '.hosts[] | select(.host == "127.0.0.9") | .status == "unreachable"' "$fl/summary.json"
check "collect: summary.json: broken failed, and why" \
	jqt '.hosts[] | select(.host == "broken") | .status == "failed" and (.error | test("work directory"))' "$fl/summary.json"
secret=$(sed -n 2p "$key")
check "collect: the hosts' work directories have archives" test -n "$(find "$T/hosts" -name '*.tar')"
check "collect: the secret key never reached a host" test -z "$(grep -rlF -- "$secret" "$T/hosts")"
check "collect: nor a signature made there" test -z "$(find "$T/hosts" -name '*.minisig')"

# collect what hunt finds critical: the SYS_ADMIN container, not the plain one
rm -rf "$fl"
cat >"$f/inventory-one" <<INV
127.0.0.2 ansible_port=$port cfir_workdir=$T/hosts/hunt-127.0.0.2
INV
run bash -c 'cd "$1" && ANSIBLE_CONFIG=$2/ansible.cfg ansible-playbook -i "$2/inventory-one" "$3/collect.yml" \
	-e "cfir_key=$4" -e cfir_hunt=critical -e "cfir_verify_bin=$5"' _ "$T" "$f" "$play" "$key" "$CFIR"
check "collect cfir_hunt=critical: the play ends 0" test "$status" = 0
[ "$status" = 0 ] || tail -n 20 "$T/out"
check "collect cfir_hunt=critical: the critical container's archive came home, checked and signed" \
	sh -c "'$CFIR' verify '$fl/127.0.0.2/$c1.tar' >/dev/null 2>&1 && minisign -Vq -m '$fl/127.0.0.2/$c1.tar' -p '$T/keys/cfir.pub'"
check "collect cfir_hunt=critical: the plain one's did not" test ! -e "$fl/127.0.0.2/$c2.tar"
