# fleet.sh - loopback "hosts" for the Ansible plays: one sshd per address
# (127.0.0.N), each with its own config and pid file, root logging in with
# a generated key. Sourced by tests/e2e/t-ansible.sh and tests/bench/fleet.sh.
#
# fleet_init DIR: host key, client key, ansible.cfg in DIR
# fleet_sshd DIR ADDR PORT: an sshd on ADDR:PORT; its pid in DIR/sshd-ADDR.pid
# fleet_stop DIR: kills the sshds by their pid files, only those

fleet_init() {
	local d=$1
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$d/client_key" || return 1
	cp "$d/client_key.pub" "$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	cat >"$d/ansible.cfg" <<CFG
[defaults]
host_key_checking = False
private_key_file = $d/client_key
remote_user = root
forks = ${FLEET_FORKS:-3}
timeout = 10
retry_files_enabled = False
interpreter_python = /usr/bin/python3
stdout_callback = default
[ssh_connection]
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=$d/cp-%C -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes
pipelining = True
CFG
}

fleet_sshd() {
	local d=$1 addr=$2 port=$3
	cat >"$d/sshd-$addr.conf" <<CONF
ListenAddress $addr:$port
HostKey $d/host_key
PidFile $d/sshd-$addr.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
CONF
	# in the foreground, a child of this shell, which reaps it when killed
	/usr/sbin/sshd -D -f "$d/sshd-$addr.conf" -E "$d/sshd-$addr.log" &
	local i
	for i in $(seq 50); do
		[ -s "$d/sshd-$addr.pid" ] && return 0
		sleep 0.1
	done
	return 1
}

fleet_stop() {
	local p
	for p in "$1"/sshd-*.pid; do
		[ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	return 0
}

# fleet_port: a TCP port nobody listens on, for the loopback sshds
fleet_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# fleet_down DIR: ends Ansible's ssh masters (their control sockets in DIR),
# then the sshds
fleet_down() {
	local s
	for s in "$1"/cp-*; do
		[ -S "$s" ] && ssh -o ControlPath="$s" -O exit fleet >/dev/null 2>&1
	done
	fleet_stop "$1"
}
