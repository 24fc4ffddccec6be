// `node scripts/mutation-score.ts [<target> | <path/to/mutation.json>] [--files <prefix>]`:
// the mutation score of every file in a Stryker JSON report, and of all of them together.
// Runs file by file (`--mutate <file>`) add up in the incremental report, so this is how a
// target's score is computed without one run over the whole target. The score is Stryker's:
// detected (killed or timed out) over valid mutants (detected, survived and without coverage);
// mutants that do not compile or run, and those marked `Stryker disable`, are left out.
import { readFileSync } from 'node:fs'

interface Report {
  readonly files: Record<string, { readonly mutants: readonly { readonly status: string }[] }>
}

const args = process.argv.slice(2)
const at = args.indexOf('--files')
const prefix = at === -1 ? '' : (args[at + 1] ?? '')
const source =
  args.find((arg, i) => !arg.startsWith('--') && (at === -1 || i !== at + 1)) ?? 'protocol'
const path = source.endsWith('.json') ? source : `reports/mutation/${source}/mutation.json`

let report: Report
try {
  report = JSON.parse(readFileSync(path, 'utf8')) as Report
} catch (error) {
  console.error(`cannot read ${path}: ${(error as Error).message}`)
  console.error(
    'usage: node scripts/mutation-score.ts [<target> | <mutation.json>] [--files <prefix>]',
  )
  process.exit(2)
}

const COLUMNS = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'Errors', 'Ignored'] as const
type Counts = Record<(typeof COLUMNS)[number], number>

function count(statuses: readonly string[]): Counts {
  const counts: Counts = {
    Killed: 0,
    Timeout: 0,
    Survived: 0,
    NoCoverage: 0,
    Errors: 0,
    Ignored: 0,
  }
  for (const status of statuses) {
    if (status === 'CompileError' || status === 'RuntimeError') counts.Errors++
    else if (status in counts) counts[status as keyof Counts]++
  }
  return counts
}

/** Stryker's mutation score, in percent; null when no mutant is valid. */
function score(c: Counts): number | null {
  const detected = c.Killed + c.Timeout
  const valid = detected + c.Survived + c.NoCoverage
  return valid === 0 ? null : (100 * detected) / valid
}

const percent = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(2)} %`)
const row = (name: string, c: Counts) =>
  [
    percent(score(c)).padStart(9),
    ...COLUMNS.map((k) => String(c[k]).padStart(11)),
    ` ${name}`,
  ].join('')

const files = Object.entries(report.files)
  .filter(([name]) => name.startsWith(prefix))
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
console.info(['    score', ...COLUMNS.map((k) => k.padStart(11)), ' file'].join(''))
const all: string[] = []
for (const [name, { mutants }] of files) {
  const statuses = mutants.map((m) => m.status)
  all.push(...statuses)
  console.info(row(name, count(statuses)))
}
console.info(row(`all ${files.length} files`, count(all)))
