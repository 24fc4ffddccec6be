import type { NoticeView } from '@parley/api'
import { useTranslation } from 'react-i18next'
import { useLabels } from '../lib/labels.ts'
import { useSession } from '../lib/session.ts'
import { Countdown } from './Countdown.tsx'

export const NOTICE_KINDS = [
  'incident',
  'assistance',
  'information',
  'clarification',
  'advance-notice',
  'ping',
] as const
export const NOTICE_STATES = ['sent', 'delivered', 'acknowledged', 'replied', 'closed'] as const
export { TLPS, URGENCIES } from './Options.tsx'

/** The party the signed-in officer works for: whose deadlines are "ours". */
export function useOwnParty(): string | null {
  return useSession().data?.officer?.party ?? null
}

/** An open deadline of a notice: the recipient who owes it (or the opener), and when. */
export interface OpenDeadline {
  readonly notice: NoticeView
  readonly party: string
  readonly name: string
  readonly dueAt: number
  readonly overdue: boolean
}

/** The deadlines of notices not yet met (pending or overdue), the earliest due first. */
export function openDeadlines(notices: readonly NoticeView[]): OpenDeadline[] {
  const found: OpenDeadline[] = []
  for (const notice of notices) {
    if (notice.closedAt !== null) continue
    for (const recipient of notice.recipients) {
      for (const deadline of recipient.deadlines) {
        if (deadline.dueAt === null) continue
        if (deadline.status !== 'pending' && deadline.status !== 'overdue') continue
        found.push({
          notice,
          party: deadline.by === 'opener' ? notice.opener : recipient.party,
          name: deadline.name,
          dueAt: deadline.dueAt,
          overdue: deadline.status === 'overdue',
        })
      }
    }
  }
  return found.sort((a, b) => a.dueAt - b.dueAt)
}

/** A deadline's name: acknowledge and respond from the label catalog, a milestone as named. */
export function useDeadlineName(): (name: string) => string {
  const L = useLabels()
  const { t } = useTranslation()
  return (name) =>
    name === 'acknowledge'
      ? L('deadline.ackBy')
      : name === 'respond'
        ? L('deadline.respondBy')
        : t('notices.milestone', { name })
}

/** The next open deadline of a notice, counting down; or its state when none is open. */
export function NextDeadline({ notice }: { notice: NoticeView }) {
  const { t } = useTranslation()
  const name = useDeadlineName()
  const next = openDeadlines([notice])[0]
  if (next === undefined) return <span className="muted">{t('notices.noOpenDeadline')}</span>
  return (
    <span>
      {name(next.name)} · {next.party.toUpperCase()}: <Countdown dueAt={next.dueAt} />
    </span>
  )
}

/** Each recipient's place in the lifecycle, as the label catalog names the states. */
export function RecipientStates({ notice }: { notice: NoticeView }) {
  const L = useLabels()
  return (
    <>
      {notice.recipients.map((r) => (
        <span key={r.party} className={`state state-${r.overdue ? 'overdue' : r.state}`}>
          {r.party.toUpperCase()}: {L(`state.${r.state}`)}
        </span>
      ))}
    </>
  )
}
