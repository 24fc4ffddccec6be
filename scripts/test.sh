#!/usr/bin/env bash
# The whole test suite: lint, type-check, every test on embedded PGlite, then the server
# suite again on a real PostgreSQL server (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node.sh
export PATH="/usr/local/bin:$PATH"

echo "== check: biome + tsc"
npx biome check .
npm run --silent typecheck

echo "== tests on PGlite"
npx vitest run

export PARLEY_TEST_DATABASE_URL="${PARLEY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if node scripts/pg-ready.ts "$PARLEY_TEST_DATABASE_URL"; then
  echo "== server tests on PostgreSQL ($PARLEY_TEST_DATABASE_URL)"
  PARLEY_TEST_DB=postgres npx vitest run packages/server
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PARLEY_TEST_DATABASE_URL; CI requires the PostgreSQL pass" >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PARLEY_TEST_DATABASE_URL: the PostgreSQL pass was skipped" >&2
fi
