import type { BodyOf } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import type { ComposeRule } from '../compose/compose.service.ts'
import { findDraftState, getDraft } from '../drafts/drafts.service.ts'

/** A report names a paragraph of an adopted agreement. */
export const complianceRule: ComposeRule = {
  types: ['compliance.report'],
  async check(node, item) {
    const body = item.body as BodyOf<'compliance.report'>
    const state = await findDraftState(node.db, item.channel, body.agreement)
    const adopted = state?.adopted.at(-1)
    if (adopted === undefined) {
      throw new ServerError('COMPLIANCE_AGREEMENT_NOT_ADOPTED', { agreement: body.agreement })
    }
    if (!state!.adopted.some((a) => a.text.some((p) => p.paragraph === body.paragraph))) {
      throw new ServerError('COMPLIANCE_PARAGRAPH_UNKNOWN', {
        agreement: body.agreement,
        paragraph: body.paragraph,
      })
    }
  },
}

export interface ComplianceReportView {
  id: string
  author: string
  time: number
  paragraph: string
  notice?: string
  replyTo?: string
  assessment: string
  text?: string
  lang?: string
}

/**
 * The compliance view of an agreement: each thread (a report and the replies to it), its
 * status (`open` while only its reporter has spoken, `answered` once another party replied),
 * and the latest assessment in it.
 */
export async function complianceView(ctx: NodeContext, channel: string, agreement: string) {
  const state = await getDraft(ctx, channel, agreement)
  const rows = await ctx.db
    .selectFrom('compliance_reports')
    .selectAll()
    .where('agreement', '=', agreement)
    .where('channel', '=', channel)
    .orderBy('time')
    .orderBy('id')
    .execute()
  const threads = rows
    .filter((row) => row.thread === row.id)
    .map((root) => {
      const reports = rows
        .filter((row) => row.thread === root.id)
        .map((row): ComplianceReportView => {
          const body = row.body as unknown as BodyOf<'compliance.report'>
          const { agreement: _, ...rest } = body
          return { id: row.id, author: row.author, time: Number(row.time), ...rest }
        })
      const answered = reports.some((report) => report.author !== root.author)
      return {
        id: root.id,
        reporter: root.author,
        paragraph: reports[0]!.paragraph,
        status: answered ? ('answered' as const) : ('open' as const),
        assessment: reports.at(-1)!.assessment,
        reports,
      }
    })
  return { agreement, adopted: state.adopted.length > 0, threads }
}
