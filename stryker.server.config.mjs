// Mutation testing of the server's validation, ledger, release, compose and access code and
// its input layer, on the tests that run in-process: npm run test:mutation -- server
import { strykerConfig } from './scripts/stryker-base.mjs'

export default strykerConfig('server', [
  'packages/server/src/ledger/**/*.ts',
  'packages/server/src/features/release/**/*.ts',
  'packages/server/src/features/compose/**/*.ts',
  'packages/server/src/features/access/**/*.ts',
  'packages/server/src/http/hardening.ts',
])
