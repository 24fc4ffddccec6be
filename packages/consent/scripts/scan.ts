import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { Value } from 'typebox/value'
import { ScanRulesSchema } from '../src/scan-rules.ts'
import { scanSite } from './scan-site.ts'

// node packages/consent/scripts/scan.ts --url <portal URL> --rules <rules.json> [--out cookies.json]
// Exit 0: every item categorised, the cookie list written; 1: an item uncategorised, or a
// non-necessary one set before consent; 2: bad arguments or rules.

const USAGE = 'usage: scan.ts --url <portal URL> --rules <rules.json> [--out cookies.json]'

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

const { values } = (() => {
  try {
    return parseArgs({
      options: { url: { type: 'string' }, rules: { type: 'string' }, out: { type: 'string' } },
    })
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`, 2)
  }
})()
if (values.url === undefined || values.rules === undefined) fail(USAGE, 2)

const rules: unknown = JSON.parse(await readFile(values.rules, 'utf8'))
if (!Value.Check(ScanRulesSchema, rules)) {
  const [first] = Value.Errors(ScanRulesSchema, rules)
  fail(`rules ${values.rules}: ${first?.instancePath ?? ''} ${first?.message ?? 'invalid'}`, 2)
}

const result = await scanSite({ url: values.url, rules })
const list = `${JSON.stringify({ categories: result.categories }, null, 2)}\n`
const problems = [
  ...result.uncategorised.map((i) => `uncategorised ${i.storage} ${i.name}`),
  ...result.beforeConsent.map(
    (i) => `set before consent, not strictly necessary: ${i.storage} ${i.name}`,
  ),
].toSorted()
if (problems.length > 0) fail(`scan failed:\n${problems.map((p) => `  ${p}`).join('\n')}`, 1)
if (values.out === undefined) process.stdout.write(list)
else await writeFile(values.out, list)
const count = result.categories.reduce(
  (n, c) => n + c.services.reduce((m, s) => m + s.cookies.length, 0),
  0,
)
process.stderr.write(`scan: ${count} items categorised\n`)
