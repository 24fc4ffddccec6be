// Prints the rows docs/errors.md is missing, from the error registries, so a new code is
// documented in the same change that adds it: `node scripts/errors-doc.ts`.
import { readFileSync } from 'node:fs'
import { apiErrors } from '@parley/api'
import { protocolErrors } from '@parley/protocol'
import { cliErrors } from '../packages/cli/src/errors.ts'
import { serverErrors } from '../packages/server/src/errors.ts'

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
const registries = {
  protocol: protocolErrors,
  server: serverErrors,
  cli: cliErrors,
  api: apiErrors,
}
for (const [name, registry] of Object.entries(registries)) {
  const rows = Object.entries(registry).filter(([code]) => !doc.includes(`| \`${code}\` |`))
  if (rows.length === 0) continue
  console.log(`\n<!-- missing from the ${name} section -->`)
  for (const [code, { status, message }] of rows)
    console.log(`| \`${code}\` | ${status} | ${message} |  |`)
}
