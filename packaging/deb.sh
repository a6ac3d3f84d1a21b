#!/bin/sh
# deb.sh - a Debian binary package of cfir, built with dpkg-deb from a
# staging tree: no debhelper, no debian/ directory in the repository.
#
# usage: packaging/deb.sh VERSION BINARY OUTDIR
#
# Writes OUTDIR/cfir_VERSION_ARCH.deb and prints its path. The binary is
# copied and stripped in the staging tree; BINARY itself is left as it is.
# Depends comes from dpkg-shlibdeps on the stripped binary, run in a
# scratch directory that holds the debian/control it insists on, and names
# too the libraries cfir loads itself when it needs them (dlopen), which
# dpkg-shlibdeps cannot see: libcurl4 for the engine client, libarchive13,
# libpcap0.8 and libmagic1 (common/engine.c, common/dl.c).
#
# lintian (tests/e2e/t-deb.sh runs it with --pedantic) leaves these tags,
# each for a reason:
#   wrong-name-for-changelog-of-native-package (warning): the version has
#     no Debian revision, so lintian wants changelog.gz; the file is
#     changelog.Debian.gz because it records the packaging, not the program.
#   hardening-no-bindnow, hardening-no-fortify-functions (info): the binary
#     is build/cfir as the Makefile links it, with the builder's CFLAGS and
#     LDFLAGS; the package does not rebuild it with dpkg-buildflags.
#   repeated-path-segment (pedantic): usr/share/cfir/playbooks/ansible/
#     roles/cfir is the name Ansible gives a role, under the package's own
#     directory.
set -eu

[ $# -eq 3 ] || { echo "usage: packaging/deb.sh VERSION BINARY OUTDIR" >&2; exit 64; }
version=$1 binary=$2 outdir=$3
top=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-cfir maintainers <cfir@example.org>}
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}
date=$(date -u -R -d "@$epoch")
year=$(date -u +%Y -d "@$epoch")

mkdir -p "$outdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/cfir-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
umask 022

install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
	"$root/usr/share/bash-completion/completions" \
	"$root/usr/share/cfir/playbooks" "$root/usr/share/doc/cfir"
install -m 0755 "$binary" "$root/usr/bin/cfir"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$root/usr/bin/cfir"
gzip -9n <"$top/share/man/man1/cfir.1" >"$root/usr/share/man/man1/cfir.1.gz"
chmod 0644 "$root/usr/share/man/man1/cfir.1.gz"
install -m 0644 "$top/share/bash-completion/completions/cfir" \
	"$root/usr/share/bash-completion/completions/cfir"

# The shell playbooks keep their modes (executable scripts); the Ansible
# ones are data for ansible-playbook.
for f in "$top"/playbooks/*; do
	[ -f "$f" ] && install -m 0755 "$f" "$root/usr/share/cfir/playbooks/"
done
if [ -d "$top/playbooks/ansible" ]; then
	(cd "$top/playbooks" && find ansible -type d) | while read -r d; do
		install -d -m 0755 "$root/usr/share/cfir/playbooks/$d"
	done
	(cd "$top/playbooks" && find ansible -type f) | while read -r f; do
		install -m 0644 "$top/playbooks/$f" "$root/usr/share/cfir/playbooks/$f"
	done
fi

# The repository carries no license file: the copyright file says so
# rather than invent one.
cat >"$root/usr/share/doc/cfir/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: cfir
Comment: The cfir repository carries no license file and names no license.
 Until it does, no license is granted beyond what the copyright holders
 have given you otherwise.

Files: *
Copyright: $year the cfir authors
License: none
 The repository states no license.
COPYRIGHT
chmod 0644 "$root/usr/share/doc/cfir/copyright"

cat >"$work/changelog" <<CHANGELOG
cfir ($version) unstable; urgency=medium

  * Built from the cfir repository.

 -- $maintainer  $date
CHANGELOG
gzip -9n <"$work/changelog" >"$root/usr/share/doc/cfir/changelog.Debian.gz"
chmod 0644 "$root/usr/share/doc/cfir/changelog.Debian.gz"

# dpkg-shlibdeps wants debian/control under the directory it runs in.
mkdir -p "$work/scratch/debian"
printf 'Source: cfir\n\nPackage: cfir\nArchitecture: any\n' \
	>"$work/scratch/debian/control"
depends=$(cd "$work/scratch" &&
	dpkg-shlibdeps -O "$root/usr/bin/cfir" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps gave no Depends" >&2; exit 1; }
# each package with the soname cfir opens and the version dpkg-shlibdeps gave
# when cfir linked them (libcurl4's 7.85 is the first with
# CURLOPT_PROTOCOLS_STR, which keeps the client to http and https)
for dep in 'libarchive13 (>= 3.5.0)' 'libcurl4 (>= 7.85.0)' 'libmagic1 (>= 5.12)' \
	'libpcap0.8 (>= 1.5.1)'; do
	case ", $depends," in
	*", ${dep%% *} "* | *", ${dep%% *},"*) ;;
	*) depends="$depends, $dep" ;;
	esac
done

size=$(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: cfir
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: minisign
Section: admin
Priority: optional
Description: container incident response from the host
 cfir freezes a suspect container through the Docker Engine API and takes
 its evidence into one BagIt evidence bag: every file hashed with SHA-256 as
 it is written, every action recorded in a hash-chained custody log. It
 hunts running containers for risky settings, verifies, seals and signs
 bags, and never runs code inside the target.
CONTROL

(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

deb=$outdir/cfir_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
