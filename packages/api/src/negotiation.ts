import {
  AgreementSchema,
  DraftPartIdSchema,
  EventIdSchema,
  EventSchema,
  PartyIdSchema,
  SignatureSchema,
} from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { ChannelParams } from './channels.ts'
import { operation } from './operation.ts'

const open = { additionalProperties: true } as const
const channelRead = ['CHANNEL_FORBIDDEN', 'CHANNEL_NOT_FOUND'] as const
const draftRead = [...channelRead, 'DRAFT_NOT_FOUND'] as const

const RedlineFields = {
  sectors: Type.Array(Type.String()),
  title: Type.String(),
  text: Type.String(),
  threshold: Type.String(),
  tlp: Type.String(),
  lang: Type.Optional(Type.String()),
}

/** A red line as it stands. */
export const RedlineViewSchema = Type.Object({
  id: Type.String(),
  party: Type.String(),
  version: Type.Integer(),
  status: Type.Union([Type.Literal('standing'), Type.Literal('withdrawn')]),
  declaredAt: Type.Integer(),
  updatedAt: Type.Integer(),
  ...RedlineFields,
})

/** One version of a red line: its declaration, a revision, or its withdrawal. */
export const RedlineVersionSchema = Type.Object({
  redline: Type.String(),
  event: Type.String(),
  party: Type.String(),
  version: Type.Integer(),
  kind: Type.Union([Type.Literal('declare'), Type.Literal('revise'), Type.Literal('withdraw')]),
  time: Type.Integer(),
  body: Type.Object({}, open),
})

export const RedlineBoardSchema = Type.Object({
  channel: Type.String(),
  parties: Type.Array(
    Type.Object({ party: Type.String(), standing: Type.Array(RedlineViewSchema) }),
  ),
  withdrawn: Type.Array(RedlineViewSchema),
  since: Type.Optional(Type.Integer()),
  changes: Type.Array(RedlineVersionSchema, {
    description: 'Every declaration, revision and withdrawal since `since`, oldest first',
  }),
})
export type RedlineBoard = Static<typeof RedlineBoardSchema>

const Translations = Type.Record(Type.String(), Type.String())

export const AlternativeStateSchema = Type.Object({
  id: Type.String(),
  text: Type.String(),
  owner: Type.String({ description: 'The party whose signed event proposed it' }),
  event: Type.String(),
  alternativeTo: Type.Optional(Type.String()),
  deletes: Type.Optional(Type.Boolean()),
  translations: Type.Optional(Translations),
  withdrawn: Type.Boolean(),
  acceptedBy: Type.Array(Type.String()),
})

const ParagraphStatusSchema = Type.Union([
  Type.Literal('open'),
  Type.Literal('agreed-ad-ref'),
  Type.Literal('agreed'),
])

export const ParagraphStateSchema = Type.Object({
  eId: Type.String({ description: 'Stable id (Akoma Ntoso eId); survives renumbering' }),
  num: Type.Union([Type.Integer(), Type.Null()]),
  status: ParagraphStatusSchema,
  agreed: Type.Union([Type.String(), Type.Null()]),
  alternatives: Type.Array(AlternativeStateSchema),
})

const AgreedParagraphSchema = Type.Object({
  paragraph: Type.String(),
  text: Type.String(),
  translations: Type.Optional(Translations),
})

/** What a draft's signed events add up to, on every node that holds them. */
export const DraftStateSchema = Type.Object({
  draft: Type.String(),
  title: Type.String(),
  lang: Type.String(),
  creator: Type.String(),
  version: Type.Integer({ description: 'The open version: the first not adopted' }),
  paragraphs: Type.Array(ParagraphStateSchema),
  packages: Type.Array(
    Type.Object({
      id: Type.String(),
      paragraphs: Type.Array(Type.String()),
      agreed: Type.Boolean(),
    }),
  ),
  text: Type.Union([Type.Array(AgreedParagraphSchema), Type.Null()]),
  contentHash: Type.Union([Type.String(), Type.Null()]),
  adoptedBy: Type.Array(Type.String()),
  adopted: Type.Array(
    Type.Object({
      version: Type.Integer(),
      contentHash: Type.String(),
      text: Type.Array(AgreedParagraphSchema),
      adopters: Type.Array(
        Type.Object({ party: Type.String(), event: Type.String(), time: Type.Integer() }),
      ),
      adoptedAt: Type.Integer(),
    }),
  ),
})
export type DraftStateView = Static<typeof DraftStateSchema>

export const ParagraphComparisonSchema = Type.Object({
  paragraph: Type.String(),
  num: Type.Union([Type.Integer(), Type.Null()]),
  status: ParagraphStatusSchema,
  agreed: Type.Union([Type.String(), Type.Null()]),
  variants: Type.Array(
    Type.Object({
      ...AlternativeStateSchema.properties,
      against: Type.String({ description: 'The alternative this one is compared with' }),
      diff: Type.Array(
        Type.Object({
          value: Type.String(),
          added: Type.Optional(Type.Boolean()),
          removed: Type.Optional(Type.Boolean()),
        }),
        { description: 'Word-level diff from `against` to this wording' },
      ),
    }),
  ),
})

const ComplianceReportSchema = Type.Object({
  id: Type.String(),
  author: Type.String(),
  time: Type.Integer(),
  paragraph: Type.String(),
  notice: Type.Optional(Type.String()),
  replyTo: Type.Optional(Type.String()),
  assessment: Type.String(),
  text: Type.Optional(Type.String()),
  lang: Type.Optional(Type.String()),
})

export const ComplianceViewSchema = Type.Object({
  agreement: Type.String(),
  adopted: Type.Boolean(),
  threads: Type.Array(
    Type.Object({
      id: Type.String(),
      reporter: Type.String(),
      paragraph: Type.String(),
      status: Type.Union([Type.Literal('open'), Type.Literal('answered')]),
      assessment: Type.String({ description: 'The latest assessment in the thread' }),
      reports: Type.Array(ComplianceReportSchema),
    }),
  ),
})

export const ForwardedItemSchema = Type.Object({
  forward: Type.String({ description: 'The forward event that carried it' }),
  item: Type.Integer(),
  from: Type.String(),
  forwardedBy: PartyIdSchema,
  forwardedAt: Type.Integer(),
  id: Type.Union([Type.String(), Type.Null()]),
  author: Type.String(),
  signature: Type.Object({
    state: Type.Union([
      Type.Literal('verified'),
      Type.Literal('unpinned'),
      Type.Literal('invalid'),
    ]),
    key: Type.String(),
    code: Type.Optional(Type.String()),
    message: Type.String({
      description:
        '"verified: …" only against the author’s key pinned here; otherwise "signed by a key this node has not pinned", or why the signature fails',
    }),
  }),
  original: Type.Object({ event: Type.Unsafe(EventSchema), sig: SignatureSchema }),
})

const tags = ['negotiation']
const DraftParams = Type.Object({ channel: ChannelParams.properties.channel, draft: EventIdSchema })

/** Red lines, drafts and agreements, compliance reports and forwards: what the signed events add up to. */
export const negotiationOperations = {
  getRedlineBoard: operation({
    method: 'GET',
    path: '/channels/:channel/redlines',
    tags,
    summary: 'The red-line board: what each party declares now, and what changed since a time',
    auth: 'officer',
    params: ChannelParams,
    querystring: Type.Object({ since: Type.Optional(Type.Integer({ minimum: 0 })) }),
    responses: { 200: RedlineBoardSchema },
    errors: channelRead,
  }),
  getRedlineHistory: operation({
    method: 'GET',
    path: '/channels/:channel/redlines/:redline',
    tags,
    summary: 'Every version of one red line',
    auth: 'officer',
    params: Type.Object({ channel: ChannelParams.properties.channel, redline: EventIdSchema }),
    responses: {
      200: Type.Object({ redline: Type.String(), versions: Type.Array(RedlineVersionSchema) }),
    },
    errors: [...channelRead, 'NOT_FOUND'],
  }),
  listDrafts: operation({
    method: 'GET',
    path: '/channels/:channel/drafts',
    tags,
    summary: 'The drafts of a channel, with each paragraph’s status',
    auth: 'officer',
    params: ChannelParams,
    responses: { 200: Type.Object({ drafts: Type.Array(DraftStateSchema) }) },
    errors: channelRead,
  }),
  getDraft: operation({
    method: 'GET',
    path: '/channels/:channel/drafts/:draft',
    tags,
    summary: 'A draft: paragraphs, bracketed alternatives, statuses, packages, adoption',
    auth: 'officer',
    params: DraftParams,
    responses: { 200: DraftStateSchema },
    errors: draftRead,
  }),
  compareParagraph: operation({
    method: 'GET',
    path: '/channels/:channel/drafts/:draft/paragraphs/:paragraph',
    tags,
    summary: 'The variants of a paragraph side by side, with word-level diffs',
    auth: 'officer',
    params: Type.Object({ ...DraftParams.properties, paragraph: DraftPartIdSchema }),
    responses: { 200: ParagraphComparisonSchema },
    errors: [...draftRead, 'NOT_FOUND'],
  }),
  getAgreement: operation({
    method: 'GET',
    path: '/channels/:channel/drafts/:draft/agreement',
    tags,
    summary: 'The jointly signed agreement of an adopted version, as `parley verify` checks it',
    description:
      'Save it as canonical JSON (JCS) — `parley agreement` renders it as a self-verifying ' +
      'HTML page and as Akoma Ntoso XML.',
    auth: 'officer',
    params: DraftParams,
    querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
    responses: { 200: AgreementSchema },
    errors: [...draftRead, 'DRAFT_NOT_ADOPTED', 'NOT_FOUND'],
  }),
  getCompliance: operation({
    method: 'GET',
    path: '/channels/:channel/drafts/:draft/compliance',
    tags,
    summary: 'The compliance reports on an agreement, threaded, with their status',
    auth: 'officer',
    params: DraftParams,
    responses: { 200: ComplianceViewSchema },
    errors: draftRead,
  }),
  listForwards: operation({
    method: 'GET',
    path: '/channels/:channel/forwards',
    tags,
    summary: 'What was forwarded into a channel: each original, its signature, who forwarded it',
    auth: 'officer',
    params: ChannelParams,
    responses: {
      200: Type.Object({ channel: Type.String(), items: Type.Array(ForwardedItemSchema) }),
    },
    errors: channelRead,
  }),
}
