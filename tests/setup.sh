#!/bin/sh
# Make this machine ready to build cfir and run its tests and demo:
# Debian packages, a Docker engine that answers, and the test image.
# Quick when everything is already there. Needs root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
PKGS=$(cat "$here/packages")

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		debconf-set-selections 2>/dev/null || true
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

. "$here/lib/engine.sh"
ensure_dockerd
ensure_test_image
echo "setup: ready (engine API $(curl -s --unix-socket /var/run/docker.sock -o /dev/null -D - http://x/_ping | tr -d '\r' | sed -n 's/^Api-Version: //Ip'))"
