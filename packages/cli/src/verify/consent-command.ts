import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { CliError } from '../errors.ts'
import { type ConsentReport, consentKeys, verifyConsentLines } from './consent-receipts.ts'

/** Whether a file's first bytes are those of a consent export (`parley consent export`). */
export function isConsentExport(start: string): boolean {
  return /^\{"(receipt|checkpoint|head)":\{/.test(start)
}

/** `parley verify receipts.jsonl --key …`: exit 0 when all holds, 1 with every finding. */
export async function verifyConsentCommand(
  path: string,
  options: { readonly key?: string; readonly json?: boolean },
): Promise<void> {
  if (options.key === undefined) {
    throw new CliError('USAGE', {
      reason: `${path} holds consent receipts: give the node’s key with --key <public key or descriptor file>`,
    })
  }
  const keys = await keysOf(options.key)
  const lines = createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })
  const report = await verifyConsentLines(lines, keys)
  process.stdout.write(
    options.json === true
      ? `${JSON.stringify({ file: path, kind: 'consent-receipts', ...report }, null, 2)}\n`
      : humanConsentReport(path, report),
  )
  process.exitCode = report.ok ? 0 : 1
}

async function keysOf(argument: string) {
  if (/^[A-Za-z0-9_-]{43}$/.test(argument)) return consentKeys(argument)
  let text: string
  try {
    text = await readFile(argument, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CliError('FILE_NOT_FOUND', { path: argument })
    throw new CliError('FILE_UNREADABLE', { path: argument, reason: (error as Error).message })
  }
  try {
    return consentKeys(argument, text)
  } catch (error) {
    throw new CliError('USAGE', { reason: `--key ${argument}: ${(error as Error).message}` })
  }
}

/** The summary: what the chain holds, then every finding with its line. */
export function humanConsentReport(path: string, report: ConsentReport): string {
  const out = [
    `consent receipts  ${path}`,
    `receipts          ${report.receipts.toLocaleString('en')}`,
    `checkpoint        ${report.checkpoint === null ? 'none (the chain starts at seq 1)' : `after seq ${report.checkpoint.seq} (${report.checkpoint.pruned} pruned)`}`,
  ]
  if (report.head !== null) {
    out.push(
      `signed head       seq ${report.head.seq} at ${new Date(report.head.time).toISOString()}`,
    )
  }
  if (report.ok) {
    out.push('', 'OK: every signature holds and the chain is unbroken from first to last.')
  } else {
    out.push(`failures          ${report.failures.length}`)
    for (const { line, code, message } of report.failures)
      out.push(`  line ${line}  ${code}  ${message}`)
    out.push('', 'FAILED: do not rely on these receipts.')
  }
  return `${out.join('\n')}\n`
}
