#!/usr/bin/env bash
# The whole test suite: lint, type-check, then every test on embedded PGlite and the server
# suites (integration and system) again on a real PostgreSQL server (DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/postgres). Both engines run in one Vitest run, so that
# while one test file waits (on a socket, a child process, the PostgreSQL server) another
# uses the core.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node.sh
export PATH="/usr/local/bin:$PATH"

echo "== check: biome + tsc"
npx biome check .
npm run --silent typecheck

export PARLEY_TEST_DATABASE_URL="${PARLEY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if node scripts/pg-ready.ts "$PARLEY_TEST_DATABASE_URL"; then
  echo "== tests on PGlite, and the server suites on PostgreSQL ($PARLEY_TEST_DATABASE_URL)"
  PARLEY_TEST_DB=both npx vitest run
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PARLEY_TEST_DATABASE_URL; CI requires the PostgreSQL pass" >&2
  exit 1
else
  skipped="== PostgreSQL not reachable at $PARLEY_TEST_DATABASE_URL: only PGlite was tested (no database faults, no PostgreSQL pass)"
  echo "$skipped" >&2
  status=0
  PARLEY_TEST_DB=pglite npx vitest run || status=$?
  # Said again under Vitest's summary, where a green run would otherwise hide it.
  echo "$skipped" >&2
  exit "$status"
fi
