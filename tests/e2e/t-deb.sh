#!/bin/bash
# make deb: the package's control data and contents, lintian, and a real
# dpkg -i / -r / -P on this machine. The package is removed at the end so
# that no /usr/bin/cfir stays behind for other tests (they run $CFIR).
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)

for tool in dpkg-deb dpkg-shlibdeps lintian; do
	command -v $tool >/dev/null || { skip "deb" "$tool is not installed"; exit 0; }
done
if dpkg-query -W -f '${Status}' cfir 2>/dev/null | grep -q installed; then
	skip "deb" "a cfir package is installed already; this test would remove it"
	exit 0
fi

version=$(sed -n 's/^VERSION = //p' "$top/Makefile")
deb=$top/build/cfir_${version}_$(dpkg --print-architecture).deb
# reuse a package newer than everything it holds; build it otherwise
if ! [ -e "$deb" ] || [ -n "$(cd "$top" && find build/cfir packaging playbooks share/man \
	share/bash-completion -newer "$deb" -print -quit)" ]; then
	make -s -C "$top" deb >/dev/null 2>"$T/make.err"
fi
check "make deb builds $(basename "$deb")" test -s "$deb"
[ -s "$deb" ] || { cat "$T/make.err"; exit 1; }

_cleanup_extra='dpkg -P cfir >/dev/null 2>&1'

info=$(dpkg-deb --info "$deb")
field() { dpkg-deb --field "$deb" "$1"; }
check "control: Package cfir" test "$(field Package)" = cfir
check "control: Version is the Makefile's" test "$(field Version)" = "$version"
check "control: Maintainer" test -n "$(field Maintainer)"
check "control: Description" test -n "$(field Description)"
check "control: Installed-Size a number" grep -qE '^[1-9][0-9]*$' <<<"$(field Installed-Size)"
dep=$(field Depends)
for lib in libc6 libcurl4 libarchive13 libcjson1 libssl3 libmagic1; do
	check "Depends has $lib (dpkg-shlibdeps)" grep -q "\b$lib\b" <<<"$dep"
done

dpkg-deb --contents "$deb" >"$T/contents"
listed() { grep -q " root/root .* \./$1\$" "$T/contents"; }
mode_of() { awk -v p="./$1" '$NF == p {print $1}' "$T/contents"; }
for f in usr/bin/cfir usr/share/man/man1/cfir.1.gz \
	usr/share/bash-completion/completions/cfir usr/share/doc/cfir/copyright \
	usr/share/doc/cfir/changelog.Debian.gz; do
	check "contents: /$f, root:root" listed "$f"
done
for p in "$top"/playbooks/*; do
	[ -f "$p" ] || continue
	b=$(basename "$p")
	check "contents: playbook $b, executable" test "$(mode_of "usr/share/cfir/playbooks/$b")" = -rwxr-xr-x
done
if [ -d "$top/playbooks/ansible" ]; then
	n=$(cd "$top/playbooks" && find ansible -type f | wc -l)
	m=$(grep -c ' \./usr/share/cfir/playbooks/ansible/.*[^/]$' "$T/contents")
	check "contents: the $n Ansible files" test "$n" = "$m"
fi
check "contents: the binary 0755" test "$(mode_of usr/bin/cfir)" = -rwxr-xr-x
check "contents: the man page 0644" test "$(mode_of usr/share/man/man1/cfir.1.gz)" = -rw-r--r--
check "contents: nothing owned by anyone but root" test -z "$(grep -v ' root/root ' "$T/contents")"
check "contents: nothing group- or world-writable" \
	test -z "$(awk 'substr($1, 6, 1) == "w" || substr($1, 9, 1) == "w"' "$T/contents")"

mkdir "$T/x"
dpkg-deb -x "$deb" "$T/x"
check "the packaged binary is stripped" sh -c "file '$T/x/usr/bin/cfir' | grep -q ', stripped'"
check "build/cfir keeps its symbols" sh -c "file '$top/build/cfir' | grep -q 'not stripped'"
check "the man page is gzip -n (no name, no time)" \
	test "$(od -An -tx1 -j4 -N4 "$T/x/usr/share/man/man1/cfir.1.gz" | tr -d ' ')" = 00000000
check "the man page is cfir.1" cmp -s "$top/share/man/man1/cfir.1" <(zcat "$T/x/usr/share/man/man1/cfir.1.gz")

# lintian: no errors, and only the tags packaging/deb.sh explains
lintian --pedantic -I "$deb" >"$T/lintian" 2>&1
check "lintian: no error" test -z "$(grep '^E:' "$T/lintian")"
for tag in $(awk '{print $3}' "$T/lintian" | sort -u); do
	check "lintian tag $tag is explained in packaging/deb.sh" grep -q "$tag" "$top/packaging/deb.sh"
done

# install, use, remove, purge
run dpkg -i "$deb"
check "dpkg -i" test "$status" = 0
[ "$status" = 0 ] || echo "$errout"
check "dpkg says installed" test "$(dpkg-query -W -f '${Status}' cfir)" = "install ok installed"
run /usr/bin/cfir --version
check "/usr/bin/cfir --version is $version" test "$out" = "cfir $version"
run cfir -h
check "cfir -h lists commands" grep -q '^commands:' <<<"$out"
check "man -w cfir finds the packaged page" test "$(man -w cfir 2>/dev/null | head -n 1)" = /usr/share/man/man1/cfir.1.gz
check "man renders it" sh -c 'MANPAGER=cat man cfir 2>/dev/null | grep -q "EXIT STATUS"'
check "completion file in place" test -f /usr/share/bash-completion/completions/cfir
check "completion loads and defines _cfir" bash -c '. /usr/share/bash-completion/completions/cfir && complete -p cfir >/dev/null'
check "playbooks in place" test -x /usr/share/cfir/playbooks/triage-host
check "a playbook runs: triage-host -h" sh -c '/usr/share/cfir/playbooks/triage-host -h | grep -q usage'
dpkg -L cfir >"$T/files"
run dpkg -r cfir
check "dpkg -r" test "$status" = 0
check "dpkg -r takes /usr/bin/cfir away" test ! -e /usr/bin/cfir
run dpkg -P cfir
check "dpkg -P" test "$status" = 0
check "dpkg -P: the package is gone" test -z "$(dpkg-query -W -f '${Status}' cfir 2>/dev/null | grep installed)"
left=""
while read -r f; do
	[ -d "$f" ] && continue	# shared directories (/usr, /usr/share) stay
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$T/files"
check "no file of dpkg -L's list is left" test -z "$left"
for d in /usr/share/cfir /usr/share/doc/cfir; do
	check "$d is gone" test ! -e "$d"
done
_cleanup_extra=""
