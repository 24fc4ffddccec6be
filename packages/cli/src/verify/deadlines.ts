import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { DeadlineCollector, type NoticeDeadlines } from '@parley/protocol'

/**
 * Reads a transcript's lines again for its notices' deadlines: receipts, acknowledgments and
 * replies against the policy of its signed `channel.create`, measured as of the export time.
 * Lines that do not parse are skipped here; the verification report names them.
 */
export async function transcriptDeadlines(path: string, asOf: number): Promise<NoticeDeadlines[]> {
  const collector = new DeadlineCollector()
  const lines = createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })
  let first = true
  for await (const line of lines) {
    if (first) {
      first = false
      continue
    }
    if (line === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      continue
    }
    await collector.add(value)
  }
  return collector.report(asOf)
}

const iso = (time: number | null) => (time === null ? '—' : new Date(time).toISOString())

/** Minutes and seconds, or hours, or days: how long after the receipt something happened. */
function span(ms: number): string {
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`
  return `${(ms / 86_400_000).toFixed(1)} days`
}

/** The deadlines section of the human report. */
export function humanDeadlines(notices: readonly NoticeDeadlines[]): string {
  const out = ['', `notices        ${notices.length}`]
  for (const notice of notices) {
    out.push(
      `  ${notice.id}  ${notice.kind}, ${notice.urgency}, opened by ${notice.opener} at ${iso(notice.openedAt)}${notice.closedAt === null ? '' : `, closed at ${iso(notice.closedAt)}`}`,
      `    ${notice.subject}`,
    )
    for (const recipient of notice.recipients) {
      const after = (time: number | null) =>
        time === null || recipient.deliveredAt === null
          ? iso(time)
          : `${iso(time)} (${span(time - recipient.deliveredAt)} after the receipt)`
      out.push(
        `    ${recipient.party}: receipt ${iso(recipient.deliveredAt)}, acknowledged ${after(recipient.acknowledgedAt)}, replied ${after(recipient.repliedAt)}, final ${after(recipient.finalAt)}`,
      )
      for (const d of recipient.deadlines) {
        const verdict = d.met === true ? 'MET' : d.met === false ? 'MISSED' : d.status.toUpperCase()
        out.push(
          `      ${d.name.padEnd(14)} by ${d.by.padEnd(9)} due ${iso(d.dueAt)}  ${verdict}${d.metAt === null ? '' : ` at ${iso(d.metAt)}`}`,
        )
      }
    }
  }
  return `${out.join('\n')}\n`
}
