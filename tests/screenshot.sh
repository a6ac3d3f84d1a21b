#!/bin/sh
# screenshot.sh PAGE PNG: PAGE as Debian's chromium shows it, headless, the
# top of it at 1280x1500, into PNG (the README's picture of a report).
set -eu
page=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
png=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
	--no-first-run --disable-background-networking --window-size=1280,1500 \
	--screenshot="$png" "file://$page" >/dev/null 2>&1
test -s "$png"
echo "$png"
