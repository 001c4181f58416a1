#!/bin/bash
# Browser tests of `tip serve` in Debian's headless Chromium, driven by
# playwright-core (pinned, installed with npm into $O/node, never a
# browser download: executablePath is /usr/bin/chromium).
#   tests/browser/run.sh O URL
# URL is a running `tip serve` over the stores tests/integration/serve.sh
# builds (the sample, hostile names, the mkserve hostile store).  Prints
# ok/not ok/skip lines like the integration tests; screenshots go to
# $O/screenshots/.  Exit 1 when a test failed, 0 when all passed or the
# browser cannot run here (then one "skip browser: why" line).
set -u
O=$1
URL=$2
# 1.61 is the newest that runs on Debian 12's Node.js 18 (1.62 wants Node 20).
PW_VERSION=1.61.1
cd "$(dirname "$0")/../.." || exit 2
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "not ok browser: $chromium is not installed (Debian package chromium) (a missing package is a fault of scripts/deps.sh, which installs it)"
	exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "not ok browser: node and npm are needed for playwright-core (a missing package is a fault of scripts/deps.sh, which installs it)"
	exit 1
fi
nm="$O/node/node_modules/playwright-core"
if [ ! -f "$nm/package.json" ] || ! grep -q "\"version\": \"$PW_VERSION\"" "$nm/package.json"; then
	mkdir -p "$O/node"
	if ! npm install --prefix "$O/node" --no-audit --no-fund --loglevel=error \
		"playwright-core@$PW_VERSION" >"$O/node/npm.log" 2>&1; then
		echo "skip browser: npm install playwright-core@$PW_VERSION failed: $(tail -1 "$O/node/npm.log")"
		exit 0
	fi
fi
mkdir -p "$O/screenshots"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
NODE_PATH="$O/node/node_modules" CHROMIUM="$chromium" PROFILE="$profile" \
	SHOTS="$O/screenshots" BASE="$URL" timeout 300 node tests/browser/serve.cjs
