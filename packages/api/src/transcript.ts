import { Type } from 'typebox'
import { ChannelParams } from './channels.ts'
import { operation } from './operation.ts'

/** A channel's transcript for the officer's own verification (the console's verify view). */
export const transcriptOperations = {
  getTranscript: operation({
    method: 'GET',
    path: '/channels/:channel/transcript',
    tags: ['channels'],
    summary: 'The channel’s transcript (DESIGN §4.8), to verify offline or in the browser',
    description:
      'The same lines `parley export` writes: the header with every party’s keys, the events ' +
      'in commit order, the receipts and any fork proofs, each ending in a newline.',
    auth: 'officer',
    params: ChannelParams,
    responses: {
      200: Type.Object({
        transcript: Type.String({ description: 'The transcript file’s text' }),
        lines: Type.Integer(),
      }),
    },
    errors: ['CHANNEL_FORBIDDEN', 'CHANNEL_NOT_FOUND'],
  }),
}
