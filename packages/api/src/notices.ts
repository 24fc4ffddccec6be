import {
  ChannelIdSchema,
  EventIdSchema,
  NoticeKindSchema,
  OfficerIdSchema,
  PartyIdSchema,
  TlpSchema,
  UrgencySchema,
} from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { AsSchema, ChannelParams } from './channels.ts'
import { operation } from './operation.ts'
import { ComposedResponses } from './release.ts'

const closed = { additionalProperties: false } as const
const Time = Type.Integer({ minimum: 0 })

/** Where a recipient is in a notice's lifecycle (protocol events and signed receipts). */
export const RecipientStateSchema = Type.Enum([
  'sent',
  'delivered',
  'acknowledged',
  'replied',
  'closed',
])

/** A deadline as the node measures it (see `@parley/protocol`'s `deadlines.ts`). */
export const DeadlineViewSchema = Type.Object({
  name: Type.String({ description: '`acknowledge`, `respond`, or a milestone of the policy' }),
  by: Type.Enum(['recipient', 'opener']),
  within: Type.Integer({ minimum: 1 }),
  dueAt: Type.Union([Time, Type.Null()], {
    description: 'Receipt time + within; null: not delivered',
  }),
  metAt: Type.Union([Time, Type.Null()]),
  status: Type.Enum(['waiting', 'pending', 'met', 'late', 'overdue', 'cancelled']),
  met: Type.Union([Type.Boolean(), Type.Null()], {
    description: 'Whether it was met in time; null while it can still be',
  }),
  firedAt: Type.Union([Time, Type.Null()], {
    description: 'When this node marked it overdue and escalated (local, not signed)',
  }),
})
export type DeadlineView = Static<typeof DeadlineViewSchema>

/** One recipient party of a notice: its state, its signed times and its deadlines. */
export const NoticeRecipientSchema = Type.Object({
  party: PartyIdSchema,
  state: RecipientStateSchema,
  overdue: Type.Boolean(),
  deliveredAt: Type.Union([Time, Type.Null()], {
    description:
      'The signed receipt time (on the recipient’s own node, the time it stored the notice)',
  }),
  receipt: Type.Union([Type.String(), Type.Null()], { description: 'The receipt id, when held' }),
  acknowledgedAt: Type.Union([Time, Type.Null()]),
  acknowledgedBy: Type.Union([OfficerIdSchema, Type.Null()]),
  repliedAt: Type.Union([Time, Type.Null()]),
  finalAt: Type.Union([Time, Type.Null()]),
  deadlines: Type.Array(DeadlineViewSchema),
})

export const NoticeSchema = Type.Object({
  id: EventIdSchema,
  channel: ChannelIdSchema,
  opener: PartyIdSchema,
  officer: Type.Union([OfficerIdSchema, Type.Null()]),
  kind: NoticeKindSchema,
  urgency: UrgencySchema,
  tlp: TlpSchema,
  subject: Type.String(),
  severity: Type.Union([Type.Integer({ minimum: 1, maximum: 5 }), Type.Null()]),
  sectors: Type.Array(Type.String()),
  openedAt: Time,
  closedAt: Type.Union([Time, Type.Null()]),
  overdue: Type.Boolean(),
  recipients: Type.Array(NoticeRecipientSchema),
})
export type NoticeView = Static<typeof NoticeSchema>

/** One event or receipt in a notice's history, oldest first. */
export const NoticeHistoryEntrySchema = Type.Object({
  at: Time,
  what: Type.Enum(['opened', 'delivered', 'acknowledged', 'replied', 'closed', 'overdue']),
  party: PartyIdSchema,
  event: Type.Union([EventIdSchema, Type.Null()]),
  receipt: Type.Union([Type.String(), Type.Null()]),
  officer: Type.Union([OfficerIdSchema, Type.Null()]),
  final: Type.Optional(Type.Boolean()),
  deadline: Type.Optional(Type.String()),
})

export const NoticeDetailSchema = Type.Object({
  ...NoticeSchema.properties,
  history: Type.Array(NoticeHistoryEntrySchema),
})

/** Cursor pages, as every list route pages: `before`/`after` are opaque. */
export const CursorsSchema = Type.Object({
  before: Type.Union([Type.String(), Type.Null()]),
  after: Type.Union([Type.String(), Type.Null()]),
})

const Cursor = Type.String({ minLength: 1, maxLength: 200 })

export const NoticeListQuery = Type.Object(
  {
    channel: Type.Optional(ChannelIdSchema),
    state: Type.Optional(RecipientStateSchema),
    kind: Type.Optional(NoticeKindSchema),
    urgency: Type.Optional(UrgencySchema),
    overdue: Type.Optional(Type.Boolean()),
    party: Type.Optional(PartyIdSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    before: Type.Optional(Cursor),
    after: Type.Optional(Cursor),
  },
  closed,
)

/**
 * A page of the overdue list: `after` is the `cursors.after` of the page before (null on the
 * last page); the list is ordered by each notice's first unmet due time, oldest first.
 */
export const OverdueListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 500, description: 'Notices per page (default 100)' }),
    ),
    after: Type.Optional(Cursor),
  },
  closed,
)

/** A party's answers to ping tests, as this node has seen them. */
export const PingStatsSchema = Type.Object({
  party: PartyIdSchema,
  pings: Type.Integer({ minimum: 0, description: 'Pings delivered to the party' }),
  answered: Type.Integer({ minimum: 0 }),
  responseRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  medianMs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  p90Ms: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  lastAnsweredAt: Type.Union([Time, Type.Null()]),
})

export const PingScheduleSchema = Type.Object({
  id: Type.String(),
  channel: ChannelIdSchema,
  party: PartyIdSchema,
  officer: OfficerIdSchema,
  weekday: Type.Integer({ minimum: 0, maximum: 6, description: '0 is Sunday (UTC)' }),
  hour: Type.Integer({ minimum: 0, maximum: 23 }),
  minute: Type.Integer({ minimum: 0, maximum: 59 }),
  nextAt: Time,
})

const NoticeParams = Type.Object({ notice: EventIdSchema })
const tags = ['notices']

/** Formal notices: their lifecycle, deadlines and ping tests, within the officer's compartments. */
export const noticeOperations = {
  listNotices: operation({
    method: 'GET',
    path: '/notices',
    tags,
    summary: 'Notices across your compartments, newest first, filtered and paged by cursor',
    auth: 'officer',
    querystring: NoticeListQuery,
    responses: {
      200: Type.Object({ notices: Type.Array(NoticeSchema), cursors: CursorsSchema }),
    },
    errors: ['FORBIDDEN_ROLE', 'CHANNEL_FORBIDDEN', 'PAGE_CURSORS_CONFLICT', 'PAGE_CURSOR_INVALID'],
  }),
  listOverdueNotices: operation({
    method: 'GET',
    path: '/notices/overdue',
    tags,
    summary: 'Open notices with a deadline past due and unmet, oldest due first, paged by cursor',
    auth: 'officer',
    querystring: OverdueListQuery,
    responses: { 200: Type.Object({ notices: Type.Array(NoticeSchema), cursors: CursorsSchema }) },
    errors: ['FORBIDDEN_ROLE', 'PAGE_CURSOR_INVALID'],
  }),
  getNotice: operation({
    method: 'GET',
    path: '/notices/:notice',
    tags,
    summary: 'A notice with its history (events, receipts) and each deadline, met or not',
    auth: 'officer',
    params: NoticeParams,
    responses: { 200: NoticeDetailSchema },
    errors: ['FORBIDDEN_ROLE', 'CHANNEL_FORBIDDEN', 'NOTICE_NOT_FOUND'],
  }),
  sendPing: operation({
    method: 'POST',
    path: '/channels/:channel/pings',
    tags,
    summary: 'An ad hoc ping test: a notice.open of kind ping that needs a human acknowledgment',
    auth: 'officer',
    params: ChannelParams,
    body: Type.Object({ as: AsSchema, urgency: Type.Optional(UrgencySchema) }, closed),
    responses: ComposedResponses,
    errors: [
      'FORBIDDEN_ROLE',
      'CHANNEL_FORBIDDEN',
      'CHANNEL_NOT_FOUND',
      'PARTY_NOT_HOSTED',
      'PARTY_FORBIDDEN',
      'NOT_A_MEMBER',
    ],
  }),
  schedulePings: operation({
    method: 'POST',
    path: '/channels/:channel/ping-schedules',
    tags,
    summary: 'Ping the channel every week at a UTC weekday and time (the scenario: Monday 10:00)',
    auth: 'officer',
    params: ChannelParams,
    body: Type.Object(
      {
        as: AsSchema,
        weekday: PingScheduleSchema.properties.weekday,
        hour: PingScheduleSchema.properties.hour,
        minute: Type.Optional(PingScheduleSchema.properties.minute),
      },
      closed,
    ),
    responses: { 201: PingScheduleSchema },
    errors: [
      'FORBIDDEN_ROLE',
      'CHANNEL_FORBIDDEN',
      'CHANNEL_NOT_FOUND',
      'PARTY_NOT_HOSTED',
      'PARTY_FORBIDDEN',
    ],
  }),
  pingStats: operation({
    method: 'GET',
    path: '/pings/stats',
    tags,
    summary:
      'Per party: response rate, median and 90th-percentile time to a human answer, last answered',
    auth: 'officer',
    querystring: Type.Object({ channel: Type.Optional(ChannelIdSchema) }, closed),
    responses: { 200: Type.Object({ parties: Type.Array(PingStatsSchema) }) },
    errors: ['FORBIDDEN_ROLE', 'CHANNEL_FORBIDDEN'],
  }),
}
