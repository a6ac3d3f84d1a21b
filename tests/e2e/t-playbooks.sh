#!/bin/bash
# the playbooks, dry run and real, on throwaway containers
. "$(dirname "$0")/lib.sh"
top=$(cd "$here/../.." && pwd)
pb=$top/playbooks/freeze-and-inspect
export CFIR

run "$pb" -h
check "freeze-and-inspect -h prints its usage" bash -c '[ "$1" = 0 ] && grep -q "^usage: freeze-and-inspect" <<<"$2"' _ "$status" "$out"
run "$pb"
check "freeze-and-inspect without a container is a usage error" test "$status" = 64

a=$(uniq_name pba)
b=$(uniq_name pbb)
start "$a" -- sh -c 'echo alpha; sleep 600'
start "$b" -- sleep 600
sleep 0.5
run "$pb" --dry-run -o "$T/case" "$a"
check "a dry run prints the steps" \
	bash -c 'grep -q "^+ .* pause --bag $2/case/$1 $1$" <<<"$3" && grep -q "verify $2/case/$1$" <<<"$3"' _ "$a" "$T" "$out"
check "a dry run changes nothing" bash -c '[ "$(docker inspect -f "{{.State.Paused}}" "$1")" = false ] && [ ! -e "$2/case" ]' _ "$a" "$T"

run "$pb" -o "$T/case" --case PB-1 "$a" "no-such-$RUN_ID" "$b"
check "a missing container fails the run (66) but not the others" test "$status" = 66
check "both real containers are frozen" \
	bash -c '[ "$(docker inspect -f "{{.State.Paused}}" "$1")" = true ] && [ "$(docker inspect -f "{{.State.Paused}}" "$2")" = true ]' _ "$a" "$b"
for x in "$a" "$b"; do
	run "$CFIR" verify "$T/case/$x"
	check "the bag of $x verifies" test "$status" = 0
	check "the bag of $x records pause then inspect" \
		test "$(jq -r .action "$T/case/$x/custody/log.jsonl" | tr '\n' ' ')" = "pause inspect "
done
check "the case number is in the bags" grep -q '^Case-Number: PB-1$' "$T/case/$a/bag-info.txt"

# ---- contain-and-collect, triage-host, preserve-and-release
"$CFIR" keygen -o "$T/keys" --no-passphrase >/dev/null 2>&1
for p in contain-and-collect triage-host preserve-and-release; do
	run "$top/playbooks/$p" -h
	check "$p -h prints its usage" bash -c '[ "$1" = 0 ] && grep -q "^usage: $2" <<<"$3"' _ "$status" "$p" "$out"
	check "$p says when to use it" grep -q '^# Use it when' "$top/playbooks/$p"
done

cc=$(uniq_name pbcc)
start "$cc" -- sleep 600
run "$top/playbooks/contain-and-collect" --dry-run -o "$T/cc" -k "$T/keys/cfir.key" "$cc"
check "contain-and-collect --dry-run prints hunt, isolate, collect, verify" \
	bash -c 'for s in " hunt " " isolate " " collect " " verify "; do grep -q -- "^+ .*$s" <<<"$1" || exit 1; done' _ "$out"
check "and changes nothing" bash -c '[ ! -e "$1/cc" ] && [ "$(docker inspect -f "{{.State.Paused}}" "$2")" = false ]' _ "$T" "$cc"
run "$top/playbooks/contain-and-collect" -o "$T/cc" -k "$T/keys/cfir.key" -p "$T/keys/cfir.pub" "$cc"
check "contain-and-collect exits 0" test "$status" = 0
check "the container is cut off, frozen, still there" \
	bash -c '[ "$(docker inspect -f "{{len .NetworkSettings.Networks}} {{.State.Paused}}" "$1")" = "0 true" ]' _ "$cc"
check "its bag is sealed, signed and verifies" \
	bash -c 'grep -q Cfir-Sealed "$1/bag-info.txt" && "$2" -q verify -p "$3" "$1" >/dev/null' _ "$T/cc/$cc" "$CFIR" "$T/keys/cfir.pub"
check "the isolation is in the bag before the collection" \
	test "$(jq -r .action "$T/cc/$cc/custody/log.jsonl" | head -2 | tr '\n' ' ')" = "isolate collect "

crit=$(uniq_name pbcrit)
start "$crit" --cap-add SYS_ADMIN -- sleep 600
run "$top/playbooks/triage-host" --dry-run -o "$T/tri" -s critical
check "triage-host --dry-run prints hunt and collect --hunt" \
	bash -c 'grep -q "^+ .* hunt$" <<<"$1" && grep -q "^+ .* collect --hunt critical" <<<"$1"' _ "$out"
run "$top/playbooks/triage-host" -o "$T/tri" -s critical -k "$T/keys/cfir.key"
check "triage-host collects the critical container, and says its bag verifies" \
	bash -c '[ -d "$1/$2" ] && grep -q "$2 .*collect ok.*bag verified" <<<"$3"' _ "$T/tri" "$crit" "$out"

rel=$(uniq_name pbrel)
start "$rel" -- sleep 600
run "$top/playbooks/preserve-and-release" -o "$T/rel" "$rel"
check "preserve-and-release without --yes refuses (64), nothing done" \
	bash -c '[ "$1" = 64 ] && [ ! -e "$2" ] && docker inspect "$3" >/dev/null 2>&1' _ "$status" "$T/rel" "$rel"
# a cfir whose bags come out broken: the container must stay
cat >"$T/badcfir" <<'EOS'
#!/bin/sh
"$REALCFIR" "$@"; rc=$?
prev=""
case " $* " in *" collect "*)
	for a; do [ "$prev" = -o ] && echo tampered >>"$a/bag-info.txt"; prev=$a; done ;;
esac
exit $rc
EOS
chmod +x "$T/badcfir"
REALCFIR=$CFIR CFIR=$T/badcfir run "$top/playbooks/preserve-and-release" --yes -o "$T/relbad" "$rel"
check "preserve-and-release keeps a container whose bag does not verify" \
	bash -c '[ "$1" = 1 ] && docker inspect "$2" >/dev/null 2>&1' _ "$status" "$rel"
run "$top/playbooks/preserve-and-release" --yes -o "$T/relok" -k "$T/keys/cfir.key" -p "$T/keys/cfir.pub" "$rel"
check "preserve-and-release removes it once its bag verifies" \
	bash -c '[ "$1" = 0 ] && ! docker inspect "$2" >/dev/null 2>&1 && "$3" -q verify "$4" >/dev/null' _ "$status" "$rel" "$CFIR" "$T/relok"
