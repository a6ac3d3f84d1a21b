#!/bin/sh
# image.sh BINARY TAG...: cfir's OCI image, made without a registry or a
# base image. The root holds cfir (a stripped copy), every shared library it
# links and the dynamic loader (each copied from where ldd finds it, links
# followed, at the path the loader looks in), the libraries cfir loads itself
# when it needs them (libcurl, libarchive, libpcap, libmagic: where the
# loader's cache has them, with what they link), libmagic's compiled database
# (MAGIC names it), a minimal /etc/passwd, /etc/group and nsswitch.conf for
# the custody log's user, /tmp and /evidence; no shell, no CA certificates
# (an engine over TLS is verified against DOCKER_CERT_PATH's ca.pem, which
# the user mounts). `docker import` makes it, entrypoint cfir, and tags it
# with each TAG; the size is printed.
set -eu
[ $# -ge 2 ] || { echo "usage: image.sh BINARY TAG..." >&2; exit 64; }
bin=$1
shift
magic=${MAGIC_DB:-/usr/lib/file/magic.mgc}
for c in docker ldd strip tar; do
	command -v $c >/dev/null || { echo "image.sh: $c is not installed" >&2; exit 69; }
done
[ -f "$magic" ] || { echo "image.sh: no libmagic database at $magic" >&2; exit 66; }

root=$(mktemp -d "${TMPDIR:-/tmp}/cfir-image.XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM

# merged /usr as the host has it: /lib -> usr/lib and so on
for d in bin sbin lib lib64; do
	if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
done
mkdir -p "$root/usr/bin" "$root/etc" "$root/evidence" "$root/tmp"
chmod 1777 "$root/tmp"

# each library at its real directory under the name ldd gives (the soname),
# its content the file the link ends at
copy_lib() {
	dir=$(readlink -f "$(dirname "$1")")
	mkdir -p "$root$dir"
	cp -L "$1" "$root$dir/$(basename "$1")"
}
needed() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }
libs=$(needed "$bin")
[ -n "$libs" ] || { echo "image.sh: ldd lists no library of $bin" >&2; exit 65; }
# dlopen'ed by cfir (common/engine.c, common/dl.c): no ldd of it names them;
# found in the loader's cache, of the ABI of cfir's libc ("libc6,x86-64")
cache=$(PATH="$PATH:/sbin:/usr/sbin" ldconfig -p)
libc=$(printf '%s\n' $libs | grep '/libc\.so\.' | head -n 1)
abi() { awk '{ a = $2; sub(/[,)]$/, "", a); print a, $0 }'; }	# "(libc6,x86-64" first
abi=$(printf '%s\n' "$cache" | abi | awk -v p="$libc" '$NF == p { print $1; exit }')
for so in libcurl.so.4 libarchive.so.13 libpcap.so.0.8 libmagic.so.1; do
	l=$(printf '%s\n' "$cache" | abi | awk -v n="$so" -v a="$abi" '$2 == n && $1 == a && $NF ~ /^\// { print $NF; exit }')
	[ -n "$l" ] || { echo "image.sh: $so, which cfir loads, is not installed" >&2; exit 69; }
	libs="$libs $l $(needed "$l")"
done
libs=$(printf '%s\n' $libs | sort -u)
for l in $libs; do copy_lib "$l"; done
# the loader also where the ELF interpreter field names it
interp=$(ldd "$bin" | awk '$1 ~ /^\/.*ld-linux/ { print $1 }')
[ -n "$interp" ] && [ -e "$root$interp" ] || { echo "image.sh: no dynamic loader found" >&2; exit 65; }

cp "$bin" "$root/usr/bin/cfir"
strip --strip-unneeded "$root/usr/bin/cfir"
chmod 0755 "$root/usr/bin/cfir"
mkdir -p "$root/usr/lib/file"
cp -L "$magic" "$root/usr/lib/file/magic.mgc"

printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"

first=$1
tar -C "$root" --numeric-owner --owner=0 --group=0 --sort=name -cf - . |
	docker import \
		--change 'ENTRYPOINT ["/usr/bin/cfir"]' \
		--change 'WORKDIR /evidence' \
		--change 'ENV MAGIC=/usr/lib/file/magic.mgc' \
		--change 'ENV PATH=/usr/bin' \
		--change "LABEL org.opencontainers.image.title=cfir" \
		--message "cfir $(basename "$first")" - "$first" >/dev/null
shift
for t in "$@"; do docker tag "$first" "$t"; done
size=$(docker image inspect -f '{{.Size}}' "$first")
echo "image.sh: $first${*:+ $*}: $((size / 1024 / 1024)) MiB ($size bytes)"
