import type { EscalationConfig, Roster } from '@parley/api'
import type { BodyOf } from '@parley/protocol'
import type { ParleyApp } from '@parley/server'
import type { OfficerSession } from './officer-session.ts'
import { HOUR, MINUTE, WORKING_GROUP_POLICY } from './story.ts'

/** When usa sends the flash notice that rus's desk misses: mid-morning of the story's day. */
export function flashTime(day: number): number {
  return day + 8 * HOUR + 5 * MINUTE
}

/** A flash notice of usa's CERT; nobody at rus acknowledges it. */
export function flashNotice(at: number): BodyOf<'notice.open'> {
  return {
    kind: 'incident',
    subject: 'Destructive malware spreading from a relay in Russian address space',
    lang: 'en',
    urgency: 'flash',
    tlp: 'green',
    summary:
      'Wiper malware is spreading into US water-sector networks from a relay hosted in address space announced in the Russian Federation. Immediate action is requested.',
    sectors: ['water'],
    severity: 4,
    observedActivity: {
      description: 'Outbound connections from the relay to operational networks of two utilities.',
      from: at - 40 * MINUTE,
      until: at - 5 * MINUTE,
    },
    requestedAction: 'Take the relay offline and confirm receipt within 15 minutes.',
    indicators: [{ type: 'ipv4', value: '203.0.113.99', tlp: 'green' }],
  }
}

/**
 * rus's desk as its admin sets it up: Irina has the day watch and Pavel the evening (UTC), and
 * a flash notice alarms and mails the watch at once, mails it again after ten minutes, and
 * mails the duty director when the 15-minute deadline passes.
 */
export async function setUpRusDesk(
  oleg: OfficerSession,
  irina: OfficerSession,
  pavel: OfficerSession,
): Promise<void> {
  const everyDay = [1, 2, 3, 4, 5, 6, 7]
  const roster: Roster = {
    shifts: [
      { officer: irina.id, days: everyDay, from: '00:00', until: '12:00' },
      { officer: pavel.id, days: everyDay, from: '12:00', until: '00:00' },
    ],
    overrides: [],
  }
  await oleg.api.setRoster({ params: { party: 'rus' }, body: roster })
  const flash: EscalationConfig['ladders']['flash'] = [
    { action: 'alarm', at: { from: 'start', offsetMs: 0 } },
    { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 0 } },
    { action: 'email', to: 'duty', at: { from: 'start', offsetMs: 10 * MINUTE } },
    { action: 'email', to: 'contacts', at: { from: 'due', offsetMs: 0 } },
  ]
  await oleg.api.setEscalationConfig({
    params: { party: 'rus' },
    body: {
      contacts: [{ name: 'Duty director, national CERT', email: 'director@cert.rus.example' }],
      ladders: { routine: flash.slice(0, 2), priority: flash.slice(0, 2), flash },
    },
  })
}

/**
 * Lets rus's ladder run in story time: its first steps at once, then the clock jumps to each
 * later step (the seed's clock jumps past the scheduler's timers, so it is asked to look), and
 * each is waited for, as Irina's console would show it.
 */
export async function playRusLadder(
  rus: ParleyApp,
  irina: OfficerSession,
  notice: string,
  receiptAt: number,
  jumpTo: (time: number) => Promise<void>,
  waitFor: <T>(what: string, check: () => Promise<T | undefined>) => Promise<T>,
): Promise<void> {
  const ran = (count: number) =>
    waitFor(`rus’s ladder to run ${count} steps`, async () => {
      const { escalations } = await irina.api.getNoticeEscalation({ params: { notice } })
      const steps = escalations[0]?.steps ?? []
      return steps.filter((step) => step.state !== 'pending').length >= count || undefined
    })
  await rus.scheduler.runDue()
  await ran(2)
  await jumpTo(receiptAt + 10 * MINUTE + 1000)
  await rus.scheduler.runDue()
  await ran(3)
  await jumpTo(receiptAt + WORKING_GROUP_POLICY.ackWithin.flash + 1000)
  await rus.scheduler.runDue()
  await ran(4)
}
