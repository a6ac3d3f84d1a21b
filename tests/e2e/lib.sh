# lib.sh - the end-to-end harness, sourced by tests/e2e/t-*.sh (bash).
# Drives the built cfir against the real dockerd, like podman's bats
# system tests. Every container carries this run's label and is removed
# at exit, also when a test fails.

set -u
: "${CFIR:?CFIR must name the cfir binary}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib/engine.sh"

RUN_ID=${RUN_ID:-$$-$(date +%s)}
LABEL="cfir-e2e=$RUN_ID"
T=$(mktemp -d /tmp/cfir-e2e.XXXXXX)
_passed=0 _failed=0 _skipped=0

_cleanup() {
	local ids
	ids=$(docker ps -aq --filter "label=$LABEL")
	[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	if [ -n "${_networks:-}" ]; then docker network rm $_networks >/dev/null 2>&1; fi
	[ -n "${_cleanup_extra:-}" ] && eval "$_cleanup_extra"
	rm -rf "$T"
	echo "$_passed passed, $_failed failed, $_skipped skipped"
}
trap _cleanup EXIT

pass() { _passed=$((_passed + 1)); echo "ok - $1"; }
fail() { _failed=$((_failed + 1)); echo "not ok - $1${2:+: $2}"; }
skip() { _skipped=$((_skipped + 1)); echo "skip - $1: $2"; }

# check NAME CMD...: passes when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

# run CMD...: runs cfir, keeps stdout, stderr and status for the checks.
run() {
	"$@" >"$T/out" 2>"$T/err"
	status=$?
	out=$(cat "$T/out")
	errout=$(cat "$T/err")
}


# start NAME [docker run options] -- command...
start() {
	local name=$1
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	docker run -d --name "$name" --label "$LABEL" "${opts[@]}" "$TEST_IMAGE" "$@" >/dev/null
}

# network NAME: a bridge network of this run, removed at exit
network() {
	docker network create --label "$LABEL" "$1" >/dev/null && _networks="${_networks:-} $1"
}

uniq_name() { echo "cfir-e2e-$1-$RUN_ID"; }

state_of() { docker inspect -f '{{.State.Status}}' "$1"; }

# sha256 of a file
sha() { sha256sum "$1" | cut -d' ' -f1; }

# jqt [JQ OPTIONS] FILTER [FILE]: a jq test, quiet; reads $out when the last
# argument is not a file.
jqt() {
	if [ $# -ge 2 ] && [ -f "${!#}" ]; then
		jq -e "$@" >/dev/null
	else
		jq -e "$@" <<<"$out" >/dev/null
	fi
}

# member FILE FILTER: some line of the JSON Lines FILE passes FILTER's select,
# and every line it selects gives true.
member() {
	jq -e -s "[.[] | $2] | length > 0 and all" "$1" >/dev/null
}

# record BAG SEQ FILTER: a test on custody record SEQ of BAG.
record() {
	jq -e -s ".[$2 - 1] | $3" "$1/custody/log.jsonl" >/dev/null
}
