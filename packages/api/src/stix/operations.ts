import { ChannelIdSchema, EventIdSchema } from '@parley/protocol'
import { Type } from 'typebox'
import { operation } from '../operation.ts'

const closed = { additionalProperties: false } as const

/** A notice of a channel, by the event id of its `notice.open`. */
export const NoticeParams = Type.Object({ channel: ChannelIdSchema, notice: EventIdSchema }, closed)

/** One STIX 2.1 object; its properties are those of its type in the STIX 2.1 specification. */
export const StixObjectSchema = Type.Object(
  { type: Type.String(), id: Type.String() },
  { additionalProperties: true },
)

/** A notice's STIX 2.1 bundle, with what was kept out of it. */
export const StixExportSchema = Type.Object(
  {
    notice: EventIdSchema,
    bundle: Type.Object(
      {
        type: Type.Literal('bundle'),
        id: Type.String({ pattern: '^bundle--' }),
        objects: Type.Array(StixObjectSchema),
      },
      closed,
    ),
    withheld: Type.Object(
      {
        tlpRed: Type.Integer({
          minimum: 0,
          description: 'Indicators left out because they are marked TLP:RED',
        }),
        unsupported: Type.Integer({
          minimum: 0,
          description:
            'Indicators left out because STIX has no pattern for them (type other, an ASN that is not a number)',
        }),
      },
      closed,
    ),
  },
  closed,
)

/** Export a notice as STIX 2.1 (docs/stix.md). */
export const stixOperations = {
  exportNoticeStix: operation({
    method: 'GET',
    path: '/channels/:channel/notices/:notice/stix',
    tags: ['notices'],
    summary: 'An incident notice as a STIX 2.1 bundle; indicators marked TLP:RED are left out',
    description:
      'The same notice always gives the same bundle: its ids are UUIDv5 of the event id, and its ' +
      'times those of the signed events. Only incident notices are exported.',
    auth: 'officer',
    params: NoticeParams,
    responses: { 200: StixExportSchema },
    errors: [
      'CHANNEL_FORBIDDEN',
      'CHANNEL_NOT_FOUND',
      'STIX_NOTICE_NOT_FOUND',
      'STIX_NOT_AN_INCIDENT',
    ],
  }),
}
