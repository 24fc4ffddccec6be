import type { CompositionInput } from '@parley/api'
import type { OfficerSession } from './officer-session.ts'

/** usa's TLP:CLEAR red line, published on its node's portal. */
export const PUBLIC_RED_LINE = {
  sectors: ['financial-services'],
  title: 'Payment systems are off limits',
  text: 'The United States would regard ICT activity that disrupts the payment systems its public relies on as a threat to its critical infrastructure.',
  threshold: 'Disruption of payment services to the public.',
  tlp: 'clear',
  lang: 'en',
} as const

/** usa's attribution statement, said in the working group and published. */
export const ATTRIBUTION_STATEMENT = {
  text: 'Public statement: the United States attributes the scanning of election infrastructure reported in its clarification notice to activity it has asked the Russian Federation to look into. We publish the joint statement on ICT activity against the financial sector and energy grids, adopted by both parties, with their signatures.',
  lang: 'en',
  urgency: 'routine',
  tlp: 'clear',
} as const

/**
 * usa fills its portal (issue 13): the red line and the statement are released with
 * `publish=true` when the channel holds them for a second officer, else published at once; the
 * adopted agreement is published by its releaser.
 */
export async function publishOnPortal(
  drafter: OfficerSession,
  releaser: OfficerSession,
  channel: string,
  agreement: string,
): Promise<void> {
  for (const item of [
    { type: 'redline.declare', body: PUBLIC_RED_LINE },
    { type: 'message.post', body: ATTRIBUTION_STATEMENT },
  ] as const) {
    const composed = await drafter.api.compose({
      params: { channel },
      body: item as unknown as CompositionInput,
    })
    if ('release' in composed) {
      const release = composed.release.id
      await releaser.api.approveRelease({ params: { release }, query: { publish: true } })
    } else {
      const id = composed.event.id
      await releaser.api.publish({
        body:
          item.type === 'message.post'
            ? { kind: 'statement', channel, event: id }
            : { kind: 'redline', channel, redline: id },
      })
    }
  }
  await releaser.api.publish({ body: { kind: 'agreement', channel, draft: agreement } })
}
