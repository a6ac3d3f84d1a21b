#!/bin/bash
# The container image: made by packaging/image.sh with no registry and no
# base image, small, no shell in it; cfir run from it with README's
# `docker run` line finds what the host's cfir finds (hunt's checks per
# container, ps's PIDs, sockets' inodes), collects a bag that the host's
# cfir verifies, names the host in custody; and each capability of the set
# is needed: without it the command that uses it fails and says why.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.sh"
. "$top/tests/lib/image.sh"

if [ "$(id -u)" != 0 ]; then skip image "needs root"; exit 0; fi
for c in docker ldd strip jq; do
	command -v $c >/dev/null || { skip image "$c is not installed"; exit 0; }
done
_cleanup_extra="image_rm"

check "packaging/image.sh makes the image" image_make
check "make image tags cfir:VERSION and cfir:latest" \
	bash -c 'make -C "$1" -n image CFIR=x | grep -q "image.sh .* cfir:$(sed -n "s/^VERSION = //p" "$1/Makefile") cfir:latest"' _ "$top"
# 68 MiB here: libicudata alone is 30 (libarchive's libxml2 links ICU), the
# rest of the libraries 20, libmagic's database 8, cfir 2. Twice a base
# distribution's image would mean files that do not belong.
size=$(docker image inspect -f '{{.Size}}' "$IMG")
# the bound is the release build's: a sanitizer's runtime libraries come along in make asan
if ldd "$CFIR" 2>/dev/null | grep -q 'libasan\|libtsan\|libubsan'; then
	skip "the image's size bound" "$CFIR is a sanitizer build ($((size / 1048576)) MiB)"
else
	check "the image is under 80 MiB ($((size / 1048576)) MiB)" test "$size" -lt $((80 * 1048576))
fi
check "the image says its size when made" grep -q "MiB" "$T/image.log"
run docker run --rm "$IMG" --version
check "docker run IMAGE --version: the host binary's version" test "$status" = 0 -a "$out" = "$("$CFIR" --version)"
check "the image has no shell" bash -c '! docker run --rm --entrypoint /bin/sh "$1" -c true >/dev/null 2>&1' _ "$IMG"
out=$(docker image inspect "$IMG")
check "the image's entrypoint is cfir, its workdir /evidence, MAGIC set" \
	jqt '.[0].Config | .Entrypoint == ["/usr/bin/cfir"] and .WorkingDir == "/evidence" and (.Env | index("MAGIC=/usr/lib/file/magic.mgc"))'

# a target: a listener, a process of another user, that user's private file
c=$(uniq_name img)
# (made by its own command; its readiness seen from the host, never by running a command in it)
start "$c" -- sh -c 'mkdir -p /home/u && echo secret >/home/u/key && chown -R 65534:65534 /home/u &&
	chmod 700 /home/u && chmod 600 /home/u/key
	su -s /bin/sh nobody -c "exec sleep 600" &
	nc -ll -p 4444 -e cat & while :; do sleep 1; done'
cpid=$(docker inspect -f '{{.State.Pid}}' "$c")
for i in $(seq 50); do
	nsenter -t "$cpid" -n ss -ltnH 2>/dev/null | grep -q ':4444 ' && pgrep -u 65534 -x sleep >/dev/null && break
	sleep 0.1
done

checks() { jq -c 'select(.type == "finding") | [.container, .check]' | sort; }
# every container of the host: the target and others' that come and go
# meanwhile; those the two runs both saw are compared
run cimg "$IMG_CAPS" -- --format json hunt
check "hunt from the image: exit 0" test "$status" = 0
img_hunt=$(checks <<<"$out")
run "$CFIR" --format json hunt
host_hunt=$(checks <<<"$out")
both() { jq -r '.[0]' <<<"$1" | sort -u; }
common=$(comm -12 <(both "$img_hunt") <(both "$host_hunt") | jq -R . | jq -s -c .)
only() { jq -c --argjson ids "$common" 'select(.[0] as $i | $ids | index($i))' <<<"$1"; }
check "hunt from the image: the host binary's checks, container by container" \
	bash -c '[ -n "$1" ] && [ "$1" = "$2" ] && grep -q "$3" <<<"$1"' _ "$(only "$img_hunt")" "$(only "$host_hunt")" \
	"$(docker inspect -f '{{.Id}}' "$c")"

run cimg "$IMG_CAPS" -- --format json ps "$c"
img_ps=$(jq -s -c 'map(.pid) | sort' <<<"$out")
run "$CFIR" --format json ps "$c"
check "ps from the image: the host binary's PIDs" test "$img_ps" != "[]" -a "$img_ps" = "$(jq -s -c 'map(.pid) | sort' <<<"$out")"
check "ps: the other user's process is there" jqt -s 'map(select(.uids[0]? == 65534 and .comm == "sleep")) | length == 1'

inodes() { jq -s -c 'map(.inode) | sort'; }
run cimg "$IMG_CAPS" -- --format json sockets "$c"
img_sk=$(inodes <<<"$out")
run "$CFIR" --format json sockets "$c"
check "sockets from the image: the host binary's inodes" \
	test "$img_sk" != "[]" -a "$img_sk" = "$(inodes <<<"$out")"
check "sockets: the listener on 4444" jqt -s 'map(select(.lport == 4444 and .state == "LISTEN")) | length == 1'

run cimg "$IMG_CAPS" -- --format json collect -o /evidence/bag --capture-seconds 1 --unpause "$c"
check "collect from the image: every step ok" \
	jqt '.exit == 0 and ([.steps[] | select(.status != "ok") | .step] == [])'
check "the image's bag verifies with the host's cfir" sh -c '"$1" verify -q "$2" >/dev/null' _ "$CFIR" "$T/ev/bag"
check "the bag's custody names this host (--uts host), the user root" \
	jqt -s --arg h "$(uname -n)" 'all(.host == $h and .user == "root")' "$T/ev/bag/custody/log.jsonl"
check "collect from the image: the other user's private file in the diff" \
	jqt 'any(.. | objects | select(.path? == "/home/u/key"); .sha256 != null)' "$T/ev/bag/data/"*/fs/diff.json
check "the container runs on, thawed" test "$(state_of "$c")" = running

# each capability: without it, what needs it fails and says so
without() { local x=$1; echo " $IMG_CAPS " | sed "s/ $x / /"; }
run cimg "$(without SYS_ADMIN)" -- sockets "$c"
check "without CAP_SYS_ADMIN: sockets cannot enter the netns, says so (77)" \
	bash -c '[ "$1" = 77 ] && grep -q CAP_SYS_ADMIN <<<"$2"' _ "$status" "$errout"
run cimg "$(without SYS_PTRACE)" -- sockets "$c"
check "without CAP_SYS_PTRACE: the container's netns is not readable (77)" \
	bash -c '[ "$1" = 77 ] && grep -q "Permission denied" <<<"$2"' _ "$status" "$errout"
run cimg "$(without SYS_PTRACE)" -- ps "$c"
check "without CAP_SYS_PTRACE: ps fails" test "$status" != 0
run cimg "$(without DAC_READ_SEARCH)" -- --format json diff -o /evidence/nodac "$c"
check "without CAP_DAC_READ_SEARCH: another user's directory is not walked, said" \
	grep -q "/home/u: Permission denied" "$T/err"
run cimg "$(without DAC_READ_SEARCH)" -- memory -o /evidence/nodac --all "$c"
check "without CAP_DAC_READ_SEARCH: another user's memory cannot be read (77)" test "$status" = 77
run cimg "$(without NET_RAW)" -- capture -o /evidence/noraw -d 1 "$c"
check "without CAP_NET_RAW: capture says it needs it (77)" \
	bash -c '[ "$1" = 77 ] && grep -q CAP_NET_RAW <<<"$2"' _ "$status" "$errout"
run cimg "$(without NET_ADMIN)" -- --source runtime isolate -o /evidence/noadm "$c"
check "without CAP_NET_ADMIN: isolate cannot set the host's veth down (77)" \
	bash -c '[ "$1" = 77 ] && grep -q "Operation not permitted" <<<"$2"' _ "$status" "$errout"
run cimg "$IMG_CAPS" -- --source runtime isolate -o /evidence/adm "$c"
check "with it: isolate from the image sets the veth down" test "$status" = 0
run cimg "$IMG_CAPS" -- --source runtime isolate --undo -o /evidence/adm "$c"
check "and --undo sets it up again" test "$status" = 0
CIMG_NET=none run cimg "$IMG_CAPS" -- capture -o /evidence/nonet -d 1 "$c"
check "without the host's network namespace: capture finds no veth peer (69)" \
	bash -c '[ "$1" = 69 ] && grep -q "not in cfir.s network namespace" <<<"$2"' _ "$status" "$errout"
