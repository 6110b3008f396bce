#!/usr/bin/env bash
# `npm ci`, run by the Node 26 that netprobe runs on rather than the system Node.
#
# npm checks every package's `engines` field against the Node that runs npm
# itself. netprobe's runtime is Node 26 from the `node` devDependency, and
# netprobe, vitest and kubernetes-models ask for Node >= 22 or 26; with an
# older system Node (Debian's, or 20 here) a plain `npm ci` prints one
# EBADENGINE warning per such package although nothing runs on that Node.
# Running npm's own CLI on the pinned Node 26 (fetched once into npm's cache by
# `npm exec`, the same tarball `npm ci` then installs) makes the check honest
# and the install quiet. Install scripts are decided per package in
# package.json (`allowScripts`), so npm does not warn about those either:
# `node` needs its preinstall (it places the Node binary); protobufjs'
# postinstall only checks how its dependents spell its version, and is denied.
#
#   scripts/npm-ci.sh [extra npm ci flags]
set -euo pipefail
cd "$(dirname "$0")/.."

node_version="$(node -p "require('./package-lock.json').packages['node_modules/node'].version")"
npm_cli="$(npm root -g)/npm/bin/npm-cli.js"
if [ ! -f "$npm_cli" ]; then
  # An npm not installed the usual global way: fall back to it as it is.
  exec npm ci --no-audit --no-fund "$@"
fi
exec npm exec --yes --package="node@${node_version}" -- node "$npm_cli" ci --no-audit --no-fund "$@"
