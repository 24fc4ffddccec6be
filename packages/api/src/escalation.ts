import { ChannelIdSchema, EventIdSchema, PartyIdSchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf } from './page.ts'

const closed = { additionalProperties: false } as const
const OfficerId = Type.String({ pattern: '^o_[0-9a-z]{26}$' })
const Time = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const ClockTime = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: 'HH:MM, UTC',
})

/**
 * A weekly shift in UTC: on each of `days` (ISO weekdays, 1 = Monday) from `from` until
 * `until`. An `until` at or before `from` ends on the next day, so a night watch is one shift
 * and `from` = `until` is a full 24 h. The hand-over is the minute one shift ends and the next
 * begins.
 */
export const WeeklyShiftSchema = Type.Object(
  {
    officer: OfficerId,
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
    }),
    from: ClockTime,
    until: ClockTime,
  },
  closed,
)

/**
 * A one-off change, in UTC ms `[from, until)`: `officer` is on duty then, and when `replaces`
 * names an officer, that officer's weekly shifts do not count then (a swap or sick cover).
 */
export const RosterOverrideSchema = Type.Object(
  {
    officer: OfficerId,
    from: Time,
    until: Time,
    replaces: Type.Optional(OfficerId),
    note: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  closed,
)

/** A party's duty roster as its admins set it: the whole roster, replaced at once. */
export const RosterSchema = Type.Object(
  {
    shifts: Type.Array(WeeklyShiftSchema, { maxItems: 500 }),
    overrides: Type.Array(RosterOverrideSchema, { maxItems: 1000 }),
  },
  closed,
)
export type Roster = Static<typeof RosterSchema>

export const RosterViewSchema = Type.Object({
  party: PartyIdSchema,
  shifts: Type.Array(WeeklyShiftSchema),
  overrides: Type.Array(RosterOverrideSchema),
  updatedAt: Type.Union([Time, Type.Null()]),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
})
export type RosterView = Static<typeof RosterViewSchema>

export const OnDutySchema = Type.Object({
  party: PartyIdSchema,
  at: Time,
  officers: Type.Array(
    Type.Object({
      id: OfficerId,
      displayName: Type.String(),
      email: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  nextHandover: Type.Union([Time, Type.Null()], {
    description: 'When the set of officers on duty next changes (within 8 days), if it does',
  }),
})
export type OnDutyView = Static<typeof OnDutySchema>

/**
 * When a step runs: `offsetMs` after (or, negative, before) the deadline's start (the signed
 * receipt time) or its due time; never before the start.
 */
export const StepTimeSchema = Type.Object(
  {
    from: Type.Union([Type.Literal('start'), Type.Literal('due')]),
    offsetMs: Type.Integer({ minimum: -30 * 86_400_000, maximum: 30 * 86_400_000 }),
  },
  closed,
)

const WebhookUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 })
const WebhookSecret = Type.String({
  pattern: '^whsec_[A-Za-z0-9+/]{32,}={0,2}$',
  description: 'Standard Webhooks secret: whsec_ and at least 24 random bytes in base64',
})

export const EscalationStepSchema = Type.Union([
  Type.Object({ action: Type.Literal('alarm'), at: StepTimeSchema }, closed),
  Type.Object(
    {
      action: Type.Literal('email'),
      to: Type.Union([Type.Literal('duty'), Type.Literal('contacts')]),
      at: StepTimeSchema,
    },
    closed,
  ),
  Type.Object(
    { action: Type.Literal('webhook'), url: WebhookUrl, secret: WebhookSecret, at: StepTimeSchema },
    closed,
  ),
])
export type EscalationStep = Static<typeof EscalationStepSchema>

const Ladder = Type.Array(EscalationStepSchema, { maxItems: 16 })

/** A party's escalation config: its named contacts and one ladder per urgency. */
export const EscalationConfigSchema = Type.Object(
  {
    contacts: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          email: Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 254 }),
        },
        closed,
      ),
      { maxItems: 32 },
    ),
    ladders: Type.Object({ routine: Ladder, priority: Ladder, flash: Ladder }, closed),
  },
  closed,
)
export type EscalationConfig = Static<typeof EscalationConfigSchema>

export const EscalationConfigViewSchema = Type.Object({
  party: PartyIdSchema,
  config: EscalationConfigSchema,
  /** False while the node's default ladder applies (no admin set one). */
  custom: Type.Boolean(),
  updatedAt: Type.Union([Time, Type.Null()]),
  disabledWebhooks: Type.Array(
    Type.Object({ url: Type.String(), disabledAt: Time, status: Type.Integer() }),
  ),
})
export type EscalationConfigView = Static<typeof EscalationConfigViewSchema>

export const StepStateSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('retrying'),
  Type.Literal('sent'),
  Type.Literal('failed'),
  Type.Literal('skipped'),
  Type.Literal('cancelled'),
])

/** One delivery attempt of a step, as the node recorded it. */
export const StepAttemptSchema = Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  at: Time,
  outcome: Type.Union([
    Type.Literal('sent'),
    Type.Literal('refused'),
    Type.Literal('failed'),
    Type.Literal('disabled'),
    Type.Literal('skipped'),
  ]),
  detail: Type.String(),
  recipients: Type.Array(Type.String()),
  smtpCode: Type.Union([Type.Integer(), Type.Null()]),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  retryAt: Type.Union([Time, Type.Null()]),
})

export const EscalationViewSchema = Type.Object({
  key: Type.String(),
  party: PartyIdSchema,
  channel: ChannelIdSchema,
  notice: EventIdSchema,
  kind: Type.String(),
  urgency: Type.String(),
  subject: Type.String(),
  deadline: Type.Union([Type.Literal('acknowledge'), Type.Literal('respond')]),
  startedAt: Time,
  dueAt: Time,
  endedAt: Type.Union([Time, Type.Null()]),
  endReason: Type.Union([Type.String(), Type.Null()]),
  steps: Type.Array(
    Type.Object({
      index: Type.Integer({ minimum: 0 }),
      action: Type.Union([Type.Literal('alarm'), Type.Literal('email'), Type.Literal('webhook')]),
      target: Type.Union([Type.String(), Type.Null()], {
        description: 'duty or contacts for an e-mail, the URL of a webhook',
      }),
      dueAt: Time,
      state: StepStateSchema,
      attempts: Type.Array(StepAttemptSchema),
    }),
  ),
})
export type EscalationView = Static<typeof EscalationViewSchema>

/**
 * One delivery attempt of any ladder of a party, with the notice, deadline and step it was
 * for: the node-wide list of what escalation did (`GET /escalation/:party/attempts`).
 */
export const EscalationAttemptEntrySchema = Type.Object({
  id: Type.Integer({ minimum: 1, description: 'The attempt’s place in the node’s record' }),
  escalation: Type.String({ description: 'The ladder’s key: notice:party:deadline' }),
  notice: EventIdSchema,
  channel: ChannelIdSchema,
  subject: Type.String(),
  urgency: Type.String(),
  deadline: Type.Union([Type.Literal('acknowledge'), Type.Literal('respond')]),
  index: Type.Integer({ minimum: 0, description: 'The step’s place in its ladder' }),
  action: Type.Union([Type.Literal('alarm'), Type.Literal('email'), Type.Literal('webhook')]),
  target: Type.Union([Type.String(), Type.Null()], {
    description: 'duty or contacts for an e-mail, the URL of a webhook',
  }),
  ...StepAttemptSchema.properties,
})
export type EscalationAttemptEntry = Static<typeof EscalationAttemptEntrySchema>

const PartyParams = Type.Object({ party: PartyIdSchema }, closed)

/** Duty rosters and escalation ladders of hosted parties, and what each ladder did. */
export const escalationOperations = {
  getRoster: operation({
    method: 'GET',
    path: '/rosters/:party',
    tags: ['escalation'],
    summary: 'A hosted party’s duty roster',
    auth: 'officer',
    params: PartyParams,
    responses: { 200: RosterViewSchema },
    errors: ['PARTY_FORBIDDEN', 'PARTY_NOT_HOSTED'],
  }),
  setRoster: operation({
    method: 'PUT',
    path: '/rosters/:party',
    tags: ['escalation'],
    summary: 'Replace a party’s duty roster (its admins)',
    auth: 'officer',
    params: PartyParams,
    body: RosterSchema,
    responses: { 200: RosterViewSchema },
    errors: ['FORBIDDEN_ROLE', 'PARTY_FORBIDDEN', 'PARTY_NOT_HOSTED', 'ROSTER_INVALID'],
  }),
  getOnDuty: operation({
    method: 'GET',
    path: '/rosters/:party/on-duty',
    tags: ['escalation'],
    summary: 'Who is on duty at a time (default: now)',
    auth: 'officer',
    params: PartyParams,
    querystring: Type.Object({ at: Type.Optional(Time) }, closed),
    responses: { 200: OnDutySchema },
    errors: ['PARTY_FORBIDDEN', 'PARTY_NOT_HOSTED'],
  }),
  getEscalationConfig: operation({
    method: 'GET',
    path: '/escalation/:party',
    tags: ['escalation'],
    summary: 'A party’s escalation contacts and ladders (its admins)',
    auth: 'officer',
    params: PartyParams,
    responses: { 200: EscalationConfigViewSchema },
    errors: ['FORBIDDEN_ROLE', 'PARTY_FORBIDDEN', 'PARTY_NOT_HOSTED'],
  }),
  setEscalationConfig: operation({
    method: 'PUT',
    path: '/escalation/:party',
    tags: ['escalation'],
    summary: 'Replace a party’s escalation contacts and ladders; re-enables disabled webhooks',
    auth: 'officer',
    params: PartyParams,
    body: EscalationConfigSchema,
    responses: { 200: EscalationConfigViewSchema },
    errors: ['FORBIDDEN_ROLE', 'PARTY_FORBIDDEN', 'PARTY_NOT_HOSTED', 'ESCALATION_CONFIG_INVALID'],
  }),
  listEscalationAttempts: operation({
    method: 'GET',
    path: '/escalation/:party/attempts',
    tags: ['escalation'],
    summary:
      'A page of every delivery attempt of the party’s ladders, across all notices, in the order they were made (its admins; the newest page by default)',
    auth: 'officer',
    params: PartyParams,
    querystring: PageQuerySchema,
    responses: { 200: pageOf('attempts', EscalationAttemptEntrySchema) },
    errors: ['FORBIDDEN_ROLE', 'PARTY_FORBIDDEN', 'PARTY_NOT_HOSTED', ...PAGE_ERRORS],
  }),
  getNoticeEscalation: operation({
    method: 'GET',
    path: '/notices/:notice/escalation',
    tags: ['escalation'],
    summary: 'Every ladder a notice began here, each step with its delivery results',
    auth: 'officer',
    params: Type.Object({ notice: EventIdSchema }, closed),
    responses: { 200: Type.Object({ escalations: Type.Array(EscalationViewSchema) }) },
    errors: [],
  }),
}
