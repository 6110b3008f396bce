#!/usr/bin/env bash
# The one command that runs every netprobe test on a fresh Debian machine:
# installs the Debian packages the tests use (real DNS servers, nftables,
# iputils, Prometheus + promtool, blackbox_exporter, dnsperf) and the npm
# packages (Node 26 LTS comes from the `node` npm package), builds the ICMP
# addon, then runs typecheck and every vitest file, lab tests included.
# Lab tests need root; with CI=true a lab test that cannot run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  dnsmasq-base unbound nftables iproute2 iputils-ping tcpdump bind9-dnsutils
  prometheus prometheus-blackbox-exporter dnsperf
  python3 make g++
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-all: missing Debian packages (${missing[*]}) and not root: install them first" >&2
    exit 1
  fi
  echo "test-all: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's packages may start services on install; the tests start their own.
for svc in prometheus prometheus-blackbox-exporter unbound dnsmasq; do
  (command -v systemctl >/dev/null && systemctl stop "$svc" 2>/dev/null) || true
done

# The ICMP addon is built by node-gyp during npm ci. It uses Node-API, whose ABI
# is stable, so the distribution's Node headers (/usr/include/node) serve for
# the Node 26 runtime too; point node-gyp at them rather than at a download.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi
echo "test-all: npm ci"
scripts/npm-ci.sh

echo "test-all: node $(npx node --version)"
results="$(mktemp -d)/vitest.json"
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$results" || status=$?
# One plain closing line for CI: "N passed, N failed, N skipped".
if [ -s "$results" ]; then
  npx node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$results"
fi
exit "$status"
