#!/bin/bash
# the engine behind mutually authenticated TLS, as DOCKER_TLS_VERIFY sets it up
. "$(dirname "$0")/lib.sh"

command -v socat >/dev/null || { skip "TLS" "no socat"; exit 0; }
cd "$T" || exit 1
ca() {	# ca NAME: a CA in NAME/
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj "/CN=cfir test $1" -keyout "$1/ca-key.pem" -out "$1/ca.pem" 2>/dev/null
}
leaf() {	# leaf CA DIR CN EXT: DIR/cert.pem and DIR/key.pem signed by CA
	mkdir -p "$2"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$3" -keyout "$2/key.pem" -out "$2/req.csr" 2>/dev/null
	printf '%s\n' "$4" >"$2/ext"
	openssl x509 -req -in "$2/req.csr" -CA "$1/ca.pem" -CAkey "$1/ca-key.pem" \
		-CAcreateserial -days 1 -extfile "$2/ext" -out "$2/cert.pem" 2>/dev/null
	cp "$1/ca.pem" "$2/ca.pem"
}
ca good
ca evil
leaf good server 127.0.0.1 'subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth'
leaf good client client 'extendedKeyUsage=clientAuth'
leaf evil stranger client 'extendedKeyUsage=clientAuth'

port=$((20000 + RANDOM % 20000))
socat "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert=server/cert.pem,key=server/key.pem,cafile=good/ca.pem,verify=1" \
	UNIX-CONNECT:/var/run/docker.sock 2>"$T/socat.log" &
_cleanup_extra="kill $! 2>/dev/null"
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

c=$(uniq_name tls)
start "$c" -- sleep 600
run env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$T/client" "$CFIR" --format json -H "tcp://127.0.0.1:$port" pause "$c"
check "pause through mutual TLS exits 0" test "$status" = 0
check "pause through mutual TLS: docker reports Paused" test "$(docker inspect -f '{{.State.Paused}}' "$c")" = true
run env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$T/client" DOCKER_HOST="tcp://127.0.0.1:$port" "$CFIR" unpause "$c"
check "DOCKER_HOST=tcp:// with TLS: unpause" bash -c '[ "$1" = 0 ] && [ "$(docker inspect -f "{{.State.Paused}}" "$2")" = false ]' _ "$status" "$c"

mkdir wrongca && cp client/cert.pem client/key.pem wrongca/ && cp evil/ca.pem wrongca/
run env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$T/wrongca" "$CFIR" -H "tcp://127.0.0.1:$port" pause "$c"
check "a CA that did not sign the engine's certificate fails clearly (69)" \
	bash -c '[ "$1" = 69 ] && grep -q "does not verify" <<<"$2"' _ "$status" "$errout"
mkdir nocert && cp client/ca.pem client/key.pem nocert/
run env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$T/nocert" "$CFIR" -H "tcp://127.0.0.1:$port" pause "$c"
check "a missing client certificate fails clearly (66) and names it" \
	bash -c '[ "$1" = 66 ] && grep -q "client certificate.*cert.pem" <<<"$2"' _ "$status" "$errout"
run env DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$T/stranger" "$CFIR" -H "tcp://127.0.0.1:$port" pause "$c"
check "a client certificate the engine does not trust is refused (69)" \
	bash -c '[ "$1" = 69 ] && grep -qi "tls\|ssl" <<<"$2"' _ "$status" "$errout"
run env -u DOCKER_TLS_VERIFY "$CFIR" -H "tcp://127.0.0.1:$port" pause "$c"
check "plain HTTP to the TLS endpoint fails (69)" test "$status" = 69
check "none of the refused clients paused the container" test "$(docker inspect -f '{{.State.Paused}}' "$c")" = false
