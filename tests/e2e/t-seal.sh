#!/bin/bash
# seal, keygen, verify -p: signatures that Debian's minisign accepts, and
# minisign's that cfir accepts
. "$(dirname "$0")/lib.sh"

c=$(uniq_name seal)
start "$c" -- sleep 600
bag=$T/bag
"$CFIR" inspect -o "$bag" "$c" >/dev/null 2>&1

run "$CFIR" keygen -o "$T/keys" --no-passphrase
check "keygen --no-passphrase exits 0 and warns" bash -c '[ "$1" = 0 ] && grep -q unencrypted "$2"' _ "$status" "$T/err"
check "the secret key is 0600" test "$(stat -c %a "$T/keys/cfir.key")" = 600
run "$CFIR" keygen -o "$T/keys" --no-passphrase
check "keygen refuses to overwrite a key" bash -c '[ "$1" != 0 ] && grep -q exists "$2"' _ "$status" "$T/err"

run "$CFIR" seal -k "$T/keys/cfir.key" "$bag"
check "seal with a key exits 0" test "$status" = 0
check "bag-info says it is sealed" grep -q '^Cfir-Sealed: ' "$bag/bag-info.txt"
check "the seal has its custody record" bash -c 'tail -n1 "$1/custody/log.jsonl" | jq -e ".action == \"seal\" and .details.signed" >/dev/null' _ "$bag"
run "$CFIR" verify -p "$T/keys/cfir.pub" "$bag"
check "cfir verify -p accepts the signature" test "$status" = 0
check "minisign -V accepts cfir's signature" \
	minisign -Vm "$bag/tagmanifest-sha256.txt" -p "$T/keys/cfir.pub" -q
check "the trusted comment names the custody head" \
	bash -c 'grep -q "custody-head $(sed -n "s/^Custody-Head: //p" "$1/bag-info.txt")" "$1/tagmanifest-sha256.txt.minisig"' _ "$bag"
check "sha256sum -c passes on the sealed bag" bash -c 'cd "$1" && sha256sum -c --quiet manifest-sha256.txt && sha256sum -c --quiet tagmanifest-sha256.txt' _ "$bag"
run "$CFIR" inspect -o "$bag" "$c"
check "a sealed bag refuses more evidence" bash -c '[ "$1" = 65 ] && grep -q sealed "$2"' _ "$status" "$T/err"

# a wrong key fails, both ways
minisign -G -W -p "$T/other.pub" -s "$T/other.key" >/dev/null 2>&1
run "$CFIR" verify -p "$T/other.pub" "$bag"
check "cfir verify -p with another key fails" bash -c '[ "$1" = 1 ] && cat "$2" "$3" | grep -q "another key"' _ "$status" "$T/out" "$T/err"
check "minisign with another key fails" bash -c '! minisign -Vm "$1/tagmanifest-sha256.txt" -p "$2" -q 2>/dev/null' _ "$bag" "$T/other.pub"

# minisign's key signs a bag cfir seals; cfir checks minisign's own signature
bag2=$T/bag2
"$CFIR" inspect -o "$bag2" "$c" >/dev/null 2>&1
run "$CFIR" seal -k "$T/other.key" "$bag2"
check "cfir seals with a key minisign -G made" test "$status" = 0
check "minisign -V accepts it" minisign -Vm "$bag2/tagmanifest-sha256.txt" -p "$T/other.pub" -q
bag3=$T/bag3
"$CFIR" inspect -o "$bag3" "$c" >/dev/null 2>&1
run "$CFIR" seal "$bag3"
minisign -S -s "$T/other.key" -m "$bag3/tagmanifest-sha256.txt" \
	-t "cfir sealed by hand custody-head $(sed -n 's/^Custody-Head: //p' "$bag3/bag-info.txt")" >/dev/null 2>&1
run "$CFIR" verify -p "$T/other.pub" "$bag3"
check "cfir verify -p accepts a signature minisign -S made" test "$status" = 0
echo tampered >>"$bag3/tagmanifest-sha256.txt.minisig"
printf 'x' >>"$bag3/tagmanifest-sha256.txt"
run "$CFIR" verify -p "$T/other.pub" "$bag3"
check "an altered tag manifest fails the signature" test "$status" = 1

# a passphrase-protected key, as minisign makes by default
bag4=$T/bag4
"$CFIR" inspect -o "$bag4" "$c" >/dev/null 2>&1
printf 'correct horse\n' | "$CFIR" keygen -o "$T/pk" >/dev/null 2>&1
check "keygen with a passphrase (from stdin) writes an encrypted key" \
	bash -c 'base64 -d <<<"$(sed -n 2p "$1")" | head -c 4 | grep -q "^EdSc"' _ "$T/pk/cfir.key"
run bash -c "printf 'wrong\n' | '$CFIR' seal -k '$T/pk/cfir.key' '$bag4'"
check "a wrong passphrase is refused and the bag is left open" \
	bash -c '[ "$1" = 77 ] && ! grep -q Cfir-Sealed "$2/bag-info.txt"' _ "$status" "$bag4"
run bash -c "printf 'correct horse\n' | '$CFIR' seal -k '$T/pk/cfir.key' '$bag4'"
check "the right passphrase seals it" test "$status" = 0
check "minisign accepts the signature of an encrypted cfir key" \
	minisign -Vm "$bag4/tagmanifest-sha256.txt" -p "$T/pk/cfir.pub" -q
check "minisign signs with cfir's encrypted key" \
	bash -c 'printf "correct horse\n" | minisign -S -s "$1" -m "$2" -x "$3" >/dev/null 2>&1 && minisign -Vm "$2" -x "$3" -p "$4" -q' \
	_ "$T/pk/cfir.key" "$bag4/bag-info.txt" "$T/x.minisig" "$T/pk/cfir.pub"

# seal --archive: one tar, its SHA-256 beside it, verified as a stream
bag5=$T/case/web-1
mkdir -p "$T/case"
"$CFIR" inspect -o "$bag5" "$c" >/dev/null 2>&1
run "$CFIR" seal -k "$T/keys/cfir.key" --archive "$bag5/x.tar" "$bag5"
check "an archive inside the bag it packs is refused, the bag left open" \
	bash -c '[ "$1" = 64 ] && ! grep -q Cfir-Sealed "$2/bag-info.txt"' _ "$status" "$bag5"
run "$CFIR" seal -k "$T/keys/cfir.key" --archive "$T/web-1.tar" "$bag5"
check "seal --archive exits 0" test "$status" = 0
check "sha256sum -c checks the archive" bash -c 'cd "$1" && sha256sum -c --quiet web-1.tar.sha256' _ "$T"
check "the archive holds the bag under its name" \
	bash -c 'bsdtar -tf "$1" | grep -qx "web-1/tagmanifest-sha256.txt.minisig" && bsdtar -tf "$1" | grep -q "^web-1/data/"' _ "$T/web-1.tar"
run "$CFIR" verify -p "$T/keys/cfir.pub" "$T/web-1.tar"
check "verify reads the archive as a stream: every hash and the signature" test "$status" = 0
check "as many items as the directory gives" \
	test "$("$CFIR" --format json verify -p "$T/keys/cfir.pub" "$T/web-1.tar" | jq -s 'last.ok')" = \
	"$("$CFIR" --format json verify -p "$T/keys/cfir.pub" "$bag5" | jq -s 'last.ok')"
mkdir "$T/x" && bsdtar -xf "$T/web-1.tar" -C "$T/x"
echo altered >>"$T/x/web-1/bag-info.txt"
(cd "$T/x" && bsdtar -cf "$T/altered.tar" web-1)
run "$CFIR" verify -p "$T/keys/cfir.pub" "$T/altered.tar"
check "an altered member fails verification of the archive" test "$status" = 1
printf 'not a tar' >"$T/junk.tar"
run "$CFIR" verify "$T/junk.tar"
check "a file that is no tar is refused" test "$status" != 0 -a "$status" != 1

# seal --archive never writes a tar that lies: a member that cannot be read,
# or that shrinks while it is packed, fails it, names the file, and the
# partial archive goes. Kernel files stand in for a failing disk: bound
# over a payload file (in a mount namespace of its own), sysfs's
# net/lo/speed says 4096 bytes and fails to read (EINVAL), uevent_seqnum
# says 4096 bytes and holds a few.
lie() {	# lie NAME KERNELFILE EXPECT
	local b=$T/lie-$1 p
	"$CFIR" inspect -o "$b" "$c" >/dev/null 2>&1
	p=$(cd "$b" && ls data/*/engine/inspect.json)
	run unshare -m bash -c 'mount --bind "$1" "$2/$3" && exec "$4" seal --archive "$5" "$2"' \
		_ "$2" "$b" "$p" "$CFIR" "$T/lie-$1.tar"
	if [ "$status" = 0 ] || ! grep -q "$p.*$3\|$3.*$p" <<<"$errout"; then
		fail "seal --archive fails on a member that $1, naming it" "status $status: $errout"
	else
		pass "seal --archive fails on a member that $1, naming it"
	fi
	check "the archive of a member that $1 is removed, and says so" \
		bash -c '[ ! -e "$1" ] && [ ! -e "$1.sha256" ] && grep -q "removed" <<<"$2"' _ "$T/lie-$1.tar" "$errout"
	check "the bag whose archive failed ($1) stays sealed" grep -q "^Cfir-Sealed: " "$b/bag-info.txt"
}
if [ -r /sys/class/net/lo/speed ] && ! cat /sys/class/net/lo/speed >/dev/null 2>&1; then
	lie "cannot be read" /sys/class/net/lo/speed "Invalid argument"
else
	skip "a member that cannot be read" "/sys/class/net/lo/speed reads here"
fi
if [ -r /sys/kernel/uevent_seqnum ] && [ "$(stat -c %s /sys/kernel/uevent_seqnum)" -gt "$(wc -c </sys/kernel/uevent_seqnum)" ]; then
	lie "shrank" /sys/kernel/uevent_seqnum "shrank while it was packed"
else
	skip "a member that shrinks" "no sysfs file says more than it holds"
fi

# a sealed bag whose pack failed or was stopped: seal --archive packs it as it is
run "$CFIR" seal --archive "$T/again.tar" "$bag"
check "seal --archive packs a bag sealed before, and says so" \
	bash -c '[ "$1" = 0 ] && jq -e ".sealed_before" <<<"$2" >/dev/null' _ "$status" "$out"
run "$CFIR" verify -p "$T/keys/cfir.pub" "$T/again.tar"
check "that archive verifies, signature and all" test "$status" = 0
check "the bag has no new record" test "$(tail -n1 "$bag/custody/log.jsonl" | jq -r .action)" = seal
run "$CFIR" seal -k "$T/keys/cfir.key" --archive "$T/again2.tar" "$bag"
check "a sealed bag is not sealed twice" bash -c '[ "$1" = 65 ] && [ ! -e "$2" ]' _ "$status" "$T/again2.tar"
