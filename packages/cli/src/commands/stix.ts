import { createReadStream } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { isIncidentNotice, noticeToStix } from '@parley/api'
import { EventIdSchema, type EventOf, eventId, type SignedEvent } from '@parley/protocol'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'
import { verifyTranscriptFile } from '../verify/verify-file.ts'

interface StixOptions {
  out?: string
}

const EVENT_ID = new RegExp((EventIdSchema as typeof EventIdSchema & { pattern: string }).pattern)

/** What a transcript says of one notice: its signed open, the channel's title, its first close. */
interface Found {
  open?: { id: string; event: EventOf<'notice.open'> }
  title?: string
  closedAt?: number
}

async function findNotice(path: string, notice: string): Promise<Found> {
  const found: Found = {}
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  let number = 0
  for await (const line of lines) {
    // Line 1 is the header; the others are events, receipts and equivocation proofs.
    if (++number === 1 || line === '') continue
    const value = JSON.parse(line) as Partial<SignedEvent>
    const event = value.event
    if (event === undefined || typeof value.sig !== 'string') continue
    if (event.type === 'channel.create') found.title = event.body.title
    else if (event.type === 'notice.close' && event.body.notice === notice) {
      found.closedAt ??= event.time
    } else if (event.type === 'notice.open' && found.open === undefined) {
      if ((await eventId(event)) === notice) found.open = { id: notice, event }
    }
  }
  return found
}

/**
 * `parley stix`: an incident notice of an exported transcript as a STIX 2.1 bundle, offline.
 * The transcript is verified first, so the bundle is made of signed data only; it is the
 * bundle the node's API gives for the same notice (docs/stix.md).
 */
async function stixCommand(file: string, notice: string, options: StixOptions): Promise<void> {
  if (!EVENT_ID.test(notice)) {
    throw new CliError('USAGE', {
      reason: `${JSON.stringify(notice)} is not an event id (64 lowercase hex digits)`,
    })
  }
  const path = resolve(file)
  const { report } = await verifyTranscriptFile(path)
  if (!report.ok) {
    const first = report.failures[0]
    throw new CliError('STIX_TRANSCRIPT_UNVERIFIED', {
      path,
      count: report.failureCount,
      first: first === undefined ? 'unknown' : `${first.code} at line ${first.line}`,
    })
  }
  const found = await findNotice(path, notice)
  if (found.open === undefined)
    throw new CliError('STIX_NOTICE_NOT_IN_TRANSCRIPT', { notice, path })
  if (!isIncidentNotice(found.open.event)) {
    throw new CliError('STIX_KIND_NOT_EXPORTED', { notice, kind: found.open.event.body.kind })
  }
  const { bundle, withheldRed, unsupported } = noticeToStix({
    ...found.open,
    ...(found.title === undefined ? {} : { channelTitle: found.title }),
    ...(found.closedAt === undefined ? {} : { closedAt: found.closedAt }),
  })
  const text = `${JSON.stringify(bundle, null, 2)}\n`
  if (options.out === undefined) process.stdout.write(text)
  else await writeAtomically(resolve(options.out), text)
  process.stderr.write(
    `${bundle.objects.length} STIX objects; withheld ${withheldRed} TLP:RED indicator(s); ` +
      `${unsupported} indicator(s) with no STIX pattern left out\n`,
  )
}

async function writeAtomically(out: string, text: string): Promise<void> {
  const temp = join(dirname(out), `.${process.pid}.stix.tmp`)
  try {
    await writeFile(temp, text, { flush: true })
    await rename(temp, out)
  } catch (error) {
    await rm(temp, { force: true })
    throw new CliError('FILE_UNWRITABLE', {
      path: out,
      reason: error instanceof Error ? error.message : String(error),
    })
  }
}

export function register(program: Command): void {
  program
    .command('stix')
    .description(
      'write an incident notice of a .parley transcript as a STIX 2.1 bundle (offline; the ' +
        'transcript must verify; indicators marked TLP:RED are left out)',
    )
    .argument('<transcript>', 'the transcript, e.g. channel.parley (from parley export)')
    .argument('<notice>', 'the event id of the notice.open')
    .option('--out <file>', 'write the bundle to this file instead of stdout')
    .action(stixCommand)
}
