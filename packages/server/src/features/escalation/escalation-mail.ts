import type { EscalationRow } from './escalation.repository.ts'

/** The subject and text of an escalation e-mail: the notice, its deadline and where it stands. */
export function escalationMail(
  escalation: EscalationRow,
  index: number,
  now: number,
): { subject: string; text: string } {
  const what = escalation.deadline === 'acknowledge' ? 'acknowledged' : 'answered'
  const left = escalation.due_at - now
  const minutes = Math.round(Math.abs(left) / 60_000)
  const status =
    left > 0 ? `the deadline passes in ${minutes} min` : `the deadline passed ${minutes} min ago`
  return {
    subject: `[Parley] ${escalation.urgency.toUpperCase()} notice not yet ${what}: ${escalation.subject}`,
    text: [
      `A ${escalation.urgency} ${escalation.kind} notice to ${escalation.party} is not yet ${what}.`,
      '',
      `Subject:  ${escalation.subject}`,
      `Notice:   ${escalation.notice}`,
      `Channel:  ${escalation.channel}`,
      `Deadline: ${escalation.deadline} by ${new Date(escalation.due_at).toISOString()}`,
      `Received: ${new Date(escalation.started_at).toISOString()} (signed receipt)`,
      `Now:      ${new Date(now).toISOString()}: ${status}.`,
      '',
      `Step ${index + 1} of the escalation ladder. Acknowledge the notice in Parley to stop it.`,
      '',
    ].join('\n'),
  }
}
