#!/usr/bin/env bash
# Mutation testing (StrykerJS): npm run test:mutation [-- <target> [stryker options]]
#   npm run test:mutation -- protocol
#   npm run test:mutation -- protocol --mutate packages/protocol/src/crypto.ts
#   npm run test:mutation -- server --concurrency 2
# With no target, every target in turn. Reports go to reports/mutation/<target>/ (git-ignored):
# index.html, mutation.json, and incremental.json, which lets a rerun re-test only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node.sh
export PATH="/usr/local/bin:$PATH"

targets=()
for config in stryker.*.config.mjs; do
  name="${config#stryker.}"
  targets+=("${name%.config.mjs}")
done

if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  if [ ! -f "stryker.$1.config.mjs" ]; then
    echo "no mutation target '$1' (${targets[*]})" >&2
    exit 2
  fi
  targets=("$1")
  shift
fi

for target in "${targets[@]}"; do
  echo "== mutation testing: $target"
  npx stryker run "stryker.$target.config.mjs" "$@"
done
