import type { BodyOf } from '@parley/protocol'

type NoticeBody = BodyOf<'notice.open'>
/** A field of the template that some kind of notice requires. */
export type NoticeTemplateField =
  | 'summary'
  | 'severity'
  | 'sectors'
  | 'observedActivity'
  | 'requestedAction'

/**
 * What each kind of notice must say beyond its subject, so that the other side can act on it:
 * an incident its severity, the sectors hit and what was seen; a request for clarification what
 * was seen and what is asked; a request for assistance what is asked; information and an
 * advance notice a summary (an advance notice also the window of the activity). A ping says
 * nothing: it only asks for a human answer.
 */
export const NOTICE_REQUIRED_FIELDS: Readonly<
  Record<NoticeBody['kind'], readonly NoticeTemplateField[]>
> = {
  incident: ['severity', 'sectors', 'observedActivity'],
  assistance: ['requestedAction'],
  information: ['summary'],
  clarification: ['observedActivity', 'requestedAction'],
  'advance-notice': ['summary', 'observedActivity'],
  ping: [],
}

/** The fields of the template a notice leaves out that its kind requires. */
export function missingFields(
  body: Pick<NoticeBody, 'kind' | NoticeTemplateField>,
): NoticeTemplateField[] {
  return NOTICE_REQUIRED_FIELDS[body.kind].filter((field) => {
    const value = body[field]
    return value === undefined || (Array.isArray(value) && value.length === 0)
  })
}
