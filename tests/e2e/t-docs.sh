#!/bin/bash
# README, man page and bash completion keep in step with the binary
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
man=$top/share/man/man1/cfir.1
comp=$top/share/bash-completion/completions/cfir

cmds=$("$CFIR" -h | awk '/^commands:/ {on = 1; next} on && !NF {exit} on {print $1}')
mantext=$(groff -mdoc -Tascii "$man" 2>/dev/null | col -b | tr -s ' \t\n' '   ')
check "cfir -h lists commands" test -n "$cmds"
for c in $cmds; do
	check "man page documents '$c'" grep -q "^\.It Cm $c" "$man"
	check "completion offers '$c'" grep -q "commands=\".*\b$c\b" "$comp"
	check "README tours '$c'" grep -q "^| \`$c " "$top/README.md"
	usage=$("$CFIR" "$c" -h)
	for opt in $(grep -oE -- '--[a-z-]+' <<<"$usage" | sort -u); do
		check "man page has $c's $opt" grep -q "^\.Op Fl -${opt#--}" "$man"
	done
	syn=$(tr -s ' \n' '  ' <<<"${usage#usage: }")
	check "man synopsis of '$c' is its usage, word for word" grep -qF -- "${syn% }" <<<"$mantext"
done

# one exit-status table: the README's and the style guide's are the same,
# and every sysexits status the code returns is in it
table() { awk '/^## Exit statuses/ {on = 1; next} on && /^## / {exit} on && /^\| [0-9]/' "$1"; }
readme_exits=$(table "$top/README.md")
check "README has an exit-status table" test -n "$readme_exits"
check "share/doc/style.md's exit statuses are README's" test "$(table "$top/share/doc/style.md")" = "$readme_exits"
for n in $(grep -rhoE '\bEX_[A-Z]+\b' "$top/common" "$top/tools" | sort -u); do
	v=$(awk -v n="$n" '$1 == "#define" && $2 == n {print $3}' /usr/include/sysexits.h)
	[ -n "$v" ] && check "README's exit statuses have $v ($n)" grep -q "^| $v |" <<<"$readme_exits"
done
# and cfir(1)'s EXIT STATUS lists the same statuses
man_exits=$(awk '/^\.Sh EXIT STATUS/ {on = 1; next} on && /^\.Sh / {exit} on && /^\.It [0-9]+$/ {print $2}' "$top/share/man/man1/cfir.1")
check "cfir(1)'s EXIT STATUS lists README's statuses" \
	test "$(echo $man_exits)" = "$(awk -F'|' '{gsub(/ /, "", $2); print $2}' <<<"$readme_exits" | tr '\n' ' ' | sed 's/ $//')"

if [ -r /usr/share/bash-completion/bash_completion ]; then
	c=$(uniq_name comp)
	start "$c" -- sleep 600
	complete_words() {
		bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_cfir; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
	}
	check "completion completes a command" test "$(complete_words cfir pa)" = pause
	check "completion offers running containers to pause" grep -qx "$c" <<<"$(complete_words cfir pause cfir-e2e-comp)"
	check "completion offers container: to copy" grep -qx "$c:" <<<"$(complete_words cfir copy cfir-e2e-comp)"
	check "completion offers --tail to inspect" grep -qx -- --tail <<<"$(complete_words cfir --format json inspect --t)"
else
	skip "bash completion" "bash-completion is not installed"
fi

# make install honours DESTDIR and PREFIX, uninstall takes it all away
make -s -C "$top" install DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
check "make install puts binary, man page and completion under DESTDIR/PREFIX" \
	test -x "$T/root/usr/bin/cfir" -a -f "$T/root/usr/share/man/man1/cfir.1" -a -f "$T/root/usr/share/bash-completion/completions/cfir"
make -s -C "$top" uninstall DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
check "make uninstall removes them" test -z "$(find "$T/root" -type f)"
