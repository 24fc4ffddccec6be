import { open, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { TranscriptHeader, TranscriptReport } from '@parley/protocol'
import type { Command } from 'commander'
import { agreementKind, verifyAgreementFile } from '../agreement/verify-agreement-file.ts'
import { CliError } from '../errors.ts'
import { isConsentExport, verifyConsentCommand } from '../verify/consent-command.ts'
import { humanDeadlines, transcriptDeadlines } from '../verify/deadlines.ts'
import { type VerifyProgress, verifyTranscriptFile } from '../verify/verify-file.ts'

interface VerifyOptions {
  json?: boolean
  progress?: boolean
  workers?: string
  deadlines?: boolean
  key?: string
}

/**
 * The machine report of `parley verify --json` (DESIGN §4.8): `ok`, `events`, `parties` and
 * `failures` as the design names them, plus what a reader of the summary also gets.
 */
export function jsonReport(path: string, header: TranscriptHeader, report: TranscriptReport) {
  return {
    ok: report.ok,
    events: report.events,
    parties: report.parties,
    failures: report.failures.map(({ code, eventId, line, message }) =>
      eventId === undefined ? { code, line, message } : { code, eventId, line, message },
    ),
    failureCount: report.failureCount,
    file: path,
    channel: header.channel,
    exportedAt: header.exportedAt,
    exportedBy: header.exportedBy,
    receipts: report.receipts,
    equivocations: report.equivocations,
  }
}

/** The human summary: counts, each party's chain head, then every failure. */
export function humanReport(
  path: string,
  header: TranscriptHeader,
  report: TranscriptReport,
): string {
  const count = (n: number) => n.toLocaleString('en')
  const out = [
    `transcript     ${path}`,
    `channel        ${header.channel}, exported by ${header.exportedBy} at ${new Date(header.exportedAt).toISOString()}`,
    `events         ${count(report.events)}`,
    `receipts       ${count(report.receipts)}`,
    `equivocations  ${count(report.equivocations)}`,
    'parties',
  ]
  const parties = Object.entries(report.parties)
  const width = Math.max(...parties.map(([party]) => party.length))
  for (const [party, { events, head }] of parties) {
    const chain = head === null ? 'no intact chain' : `head seq ${count(head.seq)} ${head.id}`
    out.push(`  ${party.padEnd(width)}  ${count(events).padStart(9)} events  ${chain}`)
  }
  if (report.ok) {
    out.push('', 'OK: every signature, chain, heads entry, receipt and equivocation proof holds.')
  } else {
    const total = report.failureCount
    out.push(`failures       ${count(total)}`)
    for (const { code, line, eventId, message } of report.failures) {
      const event = eventId === undefined ? '' : `  event ${eventId}`
      out.push(`  line ${line}  ${code}${event}  ${message}`)
    }
    if (total > report.failures.length) {
      out.push(`  … and ${count(total - report.failures.length)} more (only the first are listed)`)
    }
    out.push(
      '',
      `FAILED: ${count(total)} problem${total === 1 ? '' : 's'}; do not rely on this transcript.`,
    )
  }
  return `${out.join('\n')}\n`
}

/** Progress on stderr: one rewritten line on a terminal, a line every few seconds otherwise. */
function progressReporter(tty: boolean): (progress: VerifyProgress) => void {
  const start = performance.now()
  let shown = 0
  return ({ lines, fraction }) => {
    const now = performance.now()
    if (now - shown < (tty ? 200 : 5000)) return
    shown = now
    const percent = fraction > 0 ? `${Math.floor(100 * fraction)}% ` : ''
    const rate = Math.round(lines / ((now - start) / 1000)).toLocaleString('en')
    const text = `verifying: ${percent}${lines.toLocaleString('en')} lines, ${rate} lines/s`
    process.stderr.write(tty ? `\r${text}\u001b[K` : `${text}\n`)
  }
}

async function verifyCommand(file: string, options: VerifyOptions): Promise<void> {
  const workers = options.workers === undefined ? undefined : Number(options.workers)
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 256)) {
    throw new CliError('USAGE', {
      reason: `--workers must be an integer from 1 to 256, got ${options.workers}`,
    })
  }
  const path = resolve(file)
  const start = await head(path)
  if (isConsentExport(start)) {
    await verifyConsentCommand(path, options)
    return
  }
  const kind = agreementKind(start)
  if (kind !== undefined) {
    await verifyAgreementCommand(path, kind, options)
    return
  }
  const tty = process.stderr.isTTY === true
  const showProgress = options.progress ?? tty
  const { header, report } = await verifyTranscriptFile(path, {
    ...(workers === undefined ? {} : { workers }),
    ...(showProgress ? { onProgress: progressReporter(tty) } : {}),
  })
  if (showProgress && tty) process.stderr.write('\r\u001b[K')
  // Measured as of the export: what the exporting node itself showed at that moment.
  const deadlines =
    options.deadlines === true ? await transcriptDeadlines(path, header.exportedAt) : undefined
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ ...jsonReport(path, header, report), ...(deadlines === undefined ? {} : { deadlines }) }, null, 2)}\n`
      : humanReport(path, header, report) +
          (deadlines === undefined ? '' : humanDeadlines(deadlines)),
  )
  process.exitCode = report.ok ? 0 : 1
}

async function head(path: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CliError('FILE_NOT_FOUND', { path })
    throw new CliError('FILE_UNREADABLE', { path, reason: (error as Error).message })
  }
  try {
    const buffer = Buffer.alloc(64)
    const { bytesRead } = await handle.read(buffer, 0, 64, 0)
    return buffer.subarray(0, bytesRead).toString('latin1')
  } catch (error) {
    // A directory opens on Linux and fails only at the read.
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'EISDIR' ? 'it is a directory' : (error as Error).message
    throw new CliError('FILE_UNREADABLE', { path, reason })
  } finally {
    await handle.close()
  }
}

/** An agreement (JSON or its HTML page): every signature, the hash, and where it fails. */
async function verifyAgreementCommand(
  path: string,
  kind: 'json' | 'html',
  options: VerifyOptions,
): Promise<void> {
  const result = await verifyAgreementFile(new Uint8Array(await readFile(path)), kind)
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ file: path, kind: `agreement-${kind}`, ...result }, null, 2)}\n`,
    )
  } else if (result.ok) {
    const { agreement } = result
    process.stdout.write(
      [
        `agreement      ${path}`,
        `title          ${agreement.title}`,
        `draft          ${agreement.draft} (version ${agreement.version})`,
        `content hash   ${agreement.contentHash}`,
        'signatories',
        ...agreement.signatories.map(
          (s) => `  ${s.party}  key ${s.key}  ${new Date(s.time).toISOString()}  adopt ${s.event}`,
        ),
        '',
        'OK: every member adopted exactly this text, and every signature holds.',
        '',
      ].join('\n'),
    )
  } else {
    process.stdout.write(`agreement      ${path}\nFAILED at ${result.where}: ${result.reason}\n`)
  }
  process.exitCode = result.ok ? 0 : 1
}

export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'verify a .parley transcript offline: every signature, chain, heads entry, receipt and ' +
        'equivocation proof; consent receipts (with --key): every signature and the chain; or an agreement (its JSON or HTML export): every member’s signed ' +
        'adoption of its text (exit 0: all holds, 1: it does not, 2: not a readable file)',
    )
    .argument('<file>', 'the transcript, e.g. channel.parley, or agreement.json / agreement.html')
    .option(
      '--json',
      'print a machine report: { ok, events, parties, failures: [{ code, eventId?, line }] }',
    )
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .option('--no-progress', 'never show progress')
    .option('--workers <n>', 'worker threads for signature checks (default: every core)')
    .option(
      '--deadlines',
      'also list every notice with its receipt, acknowledgment and reply times and whether each ' +
        'deadline was met, from signed data and the signed channel policy only',
    )
    .option(
      '--key <key>',
      'for consent receipts (parley consent export): the node’s public key (base64url) or its ' +
        'descriptor file (GET /.well-known/parley)',
    )
    .action(verifyCommand)
}
