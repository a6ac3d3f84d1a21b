#!/bin/bash
# README's tour runs: every cfir line of its code blocks, in order, against
# a demo container, so that the tour cannot drift from the binary. A line
# exits 0 unless its comment begins "exit N"; a passphrase asked is on stdin.
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)

# The code blocks of the section "A tour", the lines that run cfir.
tour=$(awk '/^## / {on = ($0 == "## A tour")} on && /^```/ {code = !code; next}
	on && code && /^cfir / {print}' "$top/README.md")
n=$(grep -c . <<<"$tour")
check "README's tour has command lines ($n)" test "$n" -gt 0

# The tour's names: web-1 is the demo container, 1234 one of its PIDs, ~
# and case-42/ live in this run's directory.
c=$(uniq_name tour)
start "$c" --cap-add NET_RAW -- sh -c \
	'mkdir -p /var/log /etc/cron.d; echo "* * * * * true" >/etc/cron.d/job; echo hi >/var/log/app.log; sleep 600'
sleep 1
pid=$(docker inspect -f '{{.State.Pid}}' "$c")
check "the demo container runs" test -n "$pid" -a "$pid" != 0
mkdir -p "$T/bin" "$T/home" "$T/work"
ln -s "$CFIR" "$T/bin/cfir"
printf 'tour passphrase\n' >"$T/pass"

i=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	i=$((i + 1))
	name=$(sed -E 's/ +#.*//' <<<"$line")
	want=0
	if [[ $line =~ \#\ exit\ ([0-9]+) ]]; then want=${BASH_REMATCH[1]}; fi
	# (twice: one match's last character can be the next one's first)
	cmd=$(sed -E "s/(^|[^[:alnum:]_.-])web-1([^[:alnum:]_.]|$)/\1$c\2/g; s/(^|[^[:alnum:]_.-])web-1([^[:alnum:]_.]|$)/\1$c\2/g
		s/(^|[[:space:]])1234([[:space:]]|$)/\1$pid\2/g" <<<"$line")
	(cd "$T/work" && HOME=$T/home PATH=$T/bin:$PATH bash -c "$cmd" <"$T/pass") >"$T/out" 2>"$T/err"
	status=$?
	if [ "$status" = "$want" ]; then
		pass "tour $i exits $want: $name"
	else
		fail "tour $i exits $want: $name" "status $status: $(tail -n 3 "$T/err")"
	fi
done <<<"$tour"
for b in "$c" "$c-steps"; do
	check "the tour's bag case-42/${b/$c/web-1} verifies" bash -c '"$1" verify -q "$2" >/dev/null' _ "$CFIR" "$T/work/case-42/$b"
done
