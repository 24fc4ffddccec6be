import { type Static, type TSchema, Type } from 'typebox'

// The one schema of every protocol object (DESIGN §4, §5). Objects are closed
// (additionalProperties: false) so that an unknown field is an error, never silently carried.

/** Largest allowed canonical (JCS, UTF-8) size of an event, in bytes (DESIGN §4.2). */
export const MAX_EVENT_BYTES = 65536

const closed = { additionalProperties: false } as const

// ---- identifiers (DESIGN §4.1) ----

/** A party id, e.g. `usa`, `osce`. */
export const PartyIdSchema = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$' })
/** A key id `<party>#<n>`, e.g. `usa#1`. */
export const KeyIdSchema = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}#[1-9][0-9]*$' })
/** `ch_` and 26 Crockford base32 characters (128 random bits). */
export const ChannelIdSchema = Type.String({ pattern: '^ch_[0-9A-HJKMNP-TV-Z]{26}$' })
/** Lowercase hex SHA-256 of a domain-separated canonical event (DESIGN §4.3). */
export const EventIdSchema = Type.String({ pattern: '^[0-9a-f]{64}$' })
/** Pseudonymous id of a human officer within its party. */
export const OfficerIdSchema = Type.String({ pattern: '^o_[0-9a-z]{8,64}$' })
/** Milliseconds since the Unix epoch (UTC), a safe integer. */
export const TimeSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
/** A positive sequence number in an author's chain. */
export const SeqSchema = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
/** A positive duration in milliseconds. */
export const DurationSchema = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
/** Lowercase hex SHA-256 of content (attachments, adopted text). */
export const Sha256HexSchema = Type.String({ pattern: '^[0-9a-f]{64}$' })
/** base64url (no padding) of a 64-byte Ed25519 signature. */
export const SignatureSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{85}[AQgw]$' })
/** base64url (no padding) of a 32-byte raw Ed25519 public key. */
export const PublicKeySchema = Type.String({ pattern: '^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$' })
/** A BCP 47 language tag (syntax only), e.g. `en`, `ru`, `zh-Hant-TW`. */
export const LanguageTagSchema = Type.String({
  pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$',
  maxLength: 35,
})
/** TLP 2.0 marking. */
export const TlpSchema = Type.Enum(['clear', 'green', 'amber', 'amber+strict', 'red'])
/** How urgent a message or notice is; it selects the acknowledgment deadline. */
export const UrgencySchema = Type.Enum(['routine', 'priority', 'flash'])
/** A sector name such as `energy` or `finance`. */
export const SectorSchema = Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' })
/** Id of a paragraph or of an alternative within a draft, e.g. `p3`, `p3.b`. */
export const DraftPartIdSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' })

const text = (maxLength: number) => Type.String({ minLength: 1, maxLength })

/** The v1 event types (DESIGN §5). */
export const EVENT_TYPES = [
  'channel.create',
  'channel.join',
  'message.post',
  'message.translate',
  'notice.open',
  'notice.ack',
  'notice.reply',
  'notice.close',
  'redline.declare',
  'redline.revise',
  'redline.withdraw',
  'draft.create',
  'draft.propose',
  'draft.accept',
  'draft.adopt',
  'compliance.report',
  'forward',
  'directory.update',
] as const

export const EventTypeSchema = Type.Enum(EVENT_TYPES)
export type EventType = (typeof EVENT_TYPES)[number]

// ---- keys ----

/** A pinned public key of a party, valid in [validFrom, validUntil). */
export const PartyKeySchema = Type.Object(
  {
    id: KeyIdSchema,
    publicKey: PublicKeySchema,
    validFrom: TimeSchema,
    validUntil: Type.Union([TimeSchema, Type.Null()]),
  },
  closed,
)
export type PartyKey = Static<typeof PartyKeySchema>

// ---- bodies (DESIGN §5) ----

/** Per-channel rules every member's node applies. */
export const ChannelPolicySchema = Type.Object(
  {
    languages: Type.Array(LanguageTagSchema, { minItems: 1, maxItems: 16, uniqueItems: true }),
    ackWithin: Type.Object(
      { routine: DurationSchema, priority: DurationSchema, flash: DurationSchema },
      closed,
    ),
    respondWithin: DurationSchema,
    /**
     * Further deadlines of a notice (optional, added after v1's first release; a policy without
     * it means none): each counted from a recipient's signed receipt of the notice, met by a
     * reply of `by` (the opener or that recipient), a final reply when `final`. The NIS2 preset's
     * notification and final report are milestones.
     */
    milestones: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
            within: DurationSchema,
            by: Type.Enum(['opener', 'recipient']),
            final: Type.Optional(Type.Boolean()),
            kinds: Type.Optional(
              Type.Array(
                Type.Enum([
                  'incident',
                  'assistance',
                  'information',
                  'clarification',
                  'advance-notice',
                  'ping',
                ]),
                { minItems: 1, maxItems: 6, uniqueItems: true },
              ),
            ),
          },
          closed,
        ),
        { maxItems: 8 },
      ),
    ),
    rapporteur: Type.Optional(PartyIdSchema),
    release: Type.Object(
      {
        twoPersonRule: Type.Array(EventTypeSchema, {
          maxItems: EVENT_TYPES.length,
          uniqueItems: true,
        }),
        flashExempt: Type.Boolean(),
      },
      closed,
    ),
  },
  closed,
)

const partyList = Type.Array(PartyIdSchema, { maxItems: 64, uniqueItems: true })

const ChannelCreateBody = Type.Object(
  {
    title: text(200),
    members: partyList,
    observers: partyList,
    policy: Type.Optional(ChannelPolicySchema),
  },
  closed,
)

const ChannelJoinBody = Type.Object({ accepts: EventIdSchema }, closed)

/** A content-addressed blob referenced from a body. */
export const AttachmentSchema = Type.Object(
  {
    sha256: Sha256HexSchema,
    name: text(255),
    size: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    mediaType: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$',
    }),
  },
  closed,
)
const attachments = Type.Array(AttachmentSchema, { maxItems: 32 })

const MessagePostBody = Type.Object(
  {
    text: text(20000),
    lang: LanguageTagSchema,
    urgency: UrgencySchema,
    tlp: TlpSchema,
    replyTo: Type.Optional(EventIdSchema),
    attachments: Type.Optional(attachments),
  },
  closed,
)

const MessageTranslateBody = Type.Object(
  { of: EventIdSchema, lang: LanguageTagSchema, text: text(20000) },
  closed,
)

/** The kinds of formal notice (the UN points-of-contact template and the 2013 US–Russia measures). */
export const NoticeKindSchema = Type.Enum([
  'incident',
  'assistance',
  'information',
  'clarification',
  'advance-notice',
  'ping',
])

/** An indicator of compromise; it carries its own TLP, which may be stricter than the notice. */
export const IndicatorSchema = Type.Object(
  {
    type: Type.Enum([
      'ipv4',
      'ipv6',
      'cidr',
      'domain',
      'url',
      'email',
      'asn',
      'md5',
      'sha1',
      'sha256',
      'file-name',
      'cve',
      'other',
    ]),
    value: text(2000),
    tlp: TlpSchema,
  },
  closed,
)

/** Who to call about a notice. */
export const PointOfContactSchema = Type.Object(
  {
    name: text(200),
    role: Type.Optional(text(200)),
    party: Type.Optional(PartyIdSchema),
    email: Type.Optional(text(254)),
    phone: Type.Optional(text(64)),
    languages: Type.Optional(
      Type.Array(LanguageTagSchema, { minItems: 1, maxItems: 16, uniqueItems: true }),
    ),
    hours: Type.Optional(text(200)),
  },
  closed,
)

const NoticeOpenBody = Type.Object(
  {
    kind: NoticeKindSchema,
    subject: text(200),
    lang: LanguageTagSchema,
    urgency: UrgencySchema,
    tlp: TlpSchema,
    summary: Type.Optional(text(20000)),
    sectors: Type.Optional(Type.Array(SectorSchema, { maxItems: 32, uniqueItems: true })),
    severity: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    observedActivity: Type.Optional(
      Type.Object(
        {
          description: text(20000),
          from: Type.Optional(TimeSchema),
          until: Type.Optional(TimeSchema),
        },
        closed,
      ),
    ),
    requestedAction: Type.Optional(text(5000)),
    indicators: Type.Optional(Type.Array(IndicatorSchema, { maxItems: 200 })),
    pointsOfContact: Type.Optional(Type.Array(PointOfContactSchema, { maxItems: 16 })),
    ackWithin: Type.Optional(DurationSchema),
    respondWithin: Type.Optional(DurationSchema),
    attachments: Type.Optional(attachments),
  },
  closed,
)

const NoticeAckBody = Type.Object({ notice: EventIdSchema }, closed)

const NoticeReplyBody = Type.Object(
  {
    notice: EventIdSchema,
    text: text(20000),
    lang: LanguageTagSchema,
    tlp: TlpSchema,
    final: Type.Optional(Type.Boolean()),
    attachments: Type.Optional(attachments),
  },
  closed,
)

const NoticeCloseBody = Type.Object({ notice: EventIdSchema, resolution: text(5000) }, closed)

const redLineFields = {
  sectors: Type.Array(SectorSchema, { minItems: 1, maxItems: 32, uniqueItems: true }),
  title: text(200),
  text: text(20000),
  threshold: text(5000),
  tlp: TlpSchema,
  lang: Type.Optional(LanguageTagSchema),
}

const RedlineDeclareBody = Type.Object(redLineFields, closed)
// A revision restates the whole red line, so a reader never has to merge revisions.
const RedlineReviseBody = Type.Object({ redline: EventIdSchema, ...redLineFields }, closed)
const RedlineWithdrawBody = Type.Object(
  { redline: EventIdSchema, reason: Type.Optional(text(5000)) },
  closed,
)

/** One wording of a paragraph; several alternatives are the brackets of a negotiation text. */
export const AlternativeSchema = Type.Object(
  {
    id: DraftPartIdSchema,
    text: text(20000),
    proposedBy: Type.Optional(PartyIdSchema),
    // Akoma Ntoso's @alternativeTo: an amendment to another alternative of the paragraph.
    alternativeTo: Type.Optional(DraftPartIdSchema),
    // Agreeing on this alternative deletes the paragraph; its text says what is deleted.
    deletes: Type.Optional(Type.Literal(true)),
    // The same wording in the channel's other languages, hashed with it when adopted.
    translations: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$', maxLength: 35 }),
        text(20000),
        { maxProperties: 16, additionalProperties: false },
      ),
    ),
  },
  closed,
)

/** A paragraph with its bracketed alternatives (one alternative: unbracketed text). */
export const ParagraphSchema = Type.Object(
  {
    id: DraftPartIdSchema,
    alternatives: Type.Array(AlternativeSchema, { minItems: 1, maxItems: 16 }),
    // An insertion: the paragraph it follows (null: first). A paragraph's id never changes,
    // whatever its number, so it is the Akoma Ntoso eId.
    after: Type.Optional(Type.Union([DraftPartIdSchema, Type.Null()])),
  },
  closed,
)

const paragraphs = Type.Array(ParagraphSchema, { minItems: 1, maxItems: 500 })

/** Paragraphs agreed only together ("nothing is agreed until everything is agreed"). */
export const DraftPackageSchema = Type.Object(
  {
    id: DraftPartIdSchema,
    paragraphs: Type.Array(DraftPartIdSchema, { minItems: 2, maxItems: 500, uniqueItems: true }),
  },
  closed,
)
const packages = Type.Optional(Type.Array(DraftPackageSchema, { minItems: 1, maxItems: 64 }))
/** The version of a draft an item is for; a version closes when adopted (absent: 1). */
const version = Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 }))

const DraftCreateBody = Type.Object(
  { title: text(200), lang: LanguageTagSchema, paragraphs, packages },
  closed,
)
// New alternatives for existing paragraphs, or new paragraphs, of the draft; or the withdrawal
// of the author's own alternatives.
const DraftProposeBody = Type.Object(
  {
    draft: EventIdSchema,
    paragraphs: Type.Optional(paragraphs),
    note: Type.Optional(text(5000)),
    packages,
    withdraw: Type.Optional(
      Type.Array(DraftPartIdSchema, { minItems: 1, maxItems: 500, uniqueItems: true }),
    ),
    version,
  },
  closed,
)
const DraftAcceptBody = Type.Object(
  {
    draft: EventIdSchema,
    choices: Type.Array(
      Type.Object({ paragraph: DraftPartIdSchema, alternative: DraftPartIdSchema }, closed),
      { minItems: 1, maxItems: 500 },
    ),
    version,
  },
  closed,
)
// Adopted when every member adopted the same hash (see draftContentHash).
const DraftAdoptBody = Type.Object(
  { draft: EventIdSchema, contentHash: Sha256HexSchema, version },
  closed,
)

const ComplianceReportBody = Type.Object(
  {
    agreement: EventIdSchema,
    paragraph: DraftPartIdSchema,
    notice: Type.Optional(EventIdSchema),
    // A reply in the thread of an earlier report on the same agreement.
    replyTo: Type.Optional(EventIdSchema),
    assessment: Type.Enum(['compliant', 'partially-compliant', 'non-compliant', 'unclear']),
    text: Type.Optional(text(20000)),
    lang: Type.Optional(LanguageTagSchema),
  },
  closed,
)

/**
 * An IANA time zone name (`Europe/Moscow`, `America/New_York`, `UTC`). Only its shape is
 * checked here: which names exist depends on each node's tz database, and two nodes must never
 * disagree on whether an event is valid. Composing checks the name against the node's own.
 */
export const TimeZoneSchema = Type.String({
  pattern: '^(UTC|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9][A-Za-z0-9_+-]*){1,2})$',
  maxLength: 64,
})

/** One point of contact of a party's directory entry. */
export const DirectoryContactSchema = Type.Object(
  {
    kind: Type.Enum(['diplomatic', 'technical']),
    name: text(200),
    position: text(200),
    institution: text(200),
    email: Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$', maxLength: 254 }),
    phone: Type.String({ pattern: '^\\+?[0-9 ().-]{3,40}$' }),
    languages: Type.Array(LanguageTagSchema, { minItems: 1, maxItems: 16, uniqueItems: true }),
    hours: text(200),
    timeZone: TimeZoneSchema,
  },
  closed,
)

// The whole entry of the author's points of contact, restated by every update (so a reader
// never merges), numbered from 1 per party.
const DirectoryUpdateBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    contacts: Type.Array(DirectoryContactSchema, { minItems: 1, maxItems: 64 }),
  },
  closed,
)

// The envelope of an event whose body is not yet checked against its type; forwarded items are
// checked fully (recursively) by parseSignedEvent, which keeps this schema non-recursive.
const envelopeProperties = {
  v: Type.Literal(1),
  channel: ChannelIdSchema,
  author: PartyIdSchema,
  seq: SeqSchema,
  prev: Type.Union([EventIdSchema, Type.Null()]),
  heads: Type.Record(
    PartyIdSchema,
    Type.Object({ seq: SeqSchema, id: EventIdSchema }, closed),
    closed,
  ),
  time: TimeSchema,
  officer: Type.Optional(OfficerIdSchema),
  key: KeyIdSchema,
}

/** An event whose envelope is valid and whose body is some object (not yet checked by type). */
export const EventEnvelopeSchema = Type.Object(
  {
    ...envelopeProperties,
    type: Type.String({ pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*$', maxLength: 64 }),
    body: Type.Object({}),
  },
  closed,
)
export type EventEnvelope = Static<typeof EventEnvelopeSchema>

const ForwardBody = Type.Object(
  {
    from: ChannelIdSchema,
    items: Type.Array(Type.Object({ event: EventEnvelopeSchema, sig: SignatureSchema }, closed), {
      minItems: 1,
      maxItems: 16,
    }),
    note: Type.Optional(text(5000)),
  },
  closed,
)

/** The body schema of every v1 event type. */
export const bodySchemas = {
  'channel.create': ChannelCreateBody,
  'channel.join': ChannelJoinBody,
  'message.post': MessagePostBody,
  'message.translate': MessageTranslateBody,
  'notice.open': NoticeOpenBody,
  'notice.ack': NoticeAckBody,
  'notice.reply': NoticeReplyBody,
  'notice.close': NoticeCloseBody,
  'redline.declare': RedlineDeclareBody,
  'redline.revise': RedlineReviseBody,
  'redline.withdraw': RedlineWithdrawBody,
  'draft.create': DraftCreateBody,
  'draft.propose': DraftProposeBody,
  'draft.accept': DraftAcceptBody,
  'draft.adopt': DraftAdoptBody,
  'compliance.report': ComplianceReportBody,
  forward: ForwardBody,
  'directory.update': DirectoryUpdateBody,
} as const satisfies Record<EventType, TSchema>

/** The body of an event of type T. */
export type BodyOf<T extends EventType> = Static<(typeof bodySchemas)[T]>

const eventOf = <T extends EventType>(type: T) =>
  Type.Object({ ...envelopeProperties, type: Type.Literal(type), body: bodySchemas[type] }, closed)

/** The schema of one event type's envelope and body. */
export const eventSchemas = {
  'channel.create': eventOf('channel.create'),
  'channel.join': eventOf('channel.join'),
  'message.post': eventOf('message.post'),
  'message.translate': eventOf('message.translate'),
  'notice.open': eventOf('notice.open'),
  'notice.ack': eventOf('notice.ack'),
  'notice.reply': eventOf('notice.reply'),
  'notice.close': eventOf('notice.close'),
  'redline.declare': eventOf('redline.declare'),
  'redline.revise': eventOf('redline.revise'),
  'redline.withdraw': eventOf('redline.withdraw'),
  'draft.create': eventOf('draft.create'),
  'draft.propose': eventOf('draft.propose'),
  'draft.accept': eventOf('draft.accept'),
  'draft.adopt': eventOf('draft.adopt'),
  'compliance.report': eventOf('compliance.report'),
  forward: eventOf('forward'),
  'directory.update': eventOf('directory.update'),
} as const

/** A v1 event (DESIGN §4.2): a union discriminated by `type`. */
export const EventSchema = Type.Union([
  eventSchemas['channel.create'],
  eventSchemas['channel.join'],
  eventSchemas['message.post'],
  eventSchemas['message.translate'],
  eventSchemas['notice.open'],
  eventSchemas['notice.ack'],
  eventSchemas['notice.reply'],
  eventSchemas['notice.close'],
  eventSchemas['redline.declare'],
  eventSchemas['redline.revise'],
  eventSchemas['redline.withdraw'],
  eventSchemas['draft.create'],
  eventSchemas['draft.propose'],
  eventSchemas['draft.accept'],
  eventSchemas['draft.adopt'],
  eventSchemas['compliance.report'],
  eventSchemas.forward,
  eventSchemas['directory.update'],
])
export type Event = Static<typeof EventSchema>
/** The event of one type. */
export type EventOf<T extends EventType> = Static<(typeof eventSchemas)[T]>

/** An event as it travels: `{ event, sig }` (DESIGN §4.3). */
export const SignedEventSchema = Type.Object({ event: EventSchema, sig: SignatureSchema }, closed)
export type SignedEvent = Static<typeof SignedEventSchema>

// ---- receipts (DESIGN §4.5) ----

/** A node's signed statement that it durably committed these events. */
export const ReceiptSchema = Type.Object(
  {
    events: Type.Array(EventIdSchema, { minItems: 1, maxItems: 500, uniqueItems: true }),
    by: PartyIdSchema,
    key: KeyIdSchema,
    receivedAt: TimeSchema,
  },
  closed,
)
export type Receipt = Static<typeof ReceiptSchema>

export const SignedReceiptSchema = Type.Object(
  { receipt: ReceiptSchema, sig: SignatureSchema },
  closed,
)
export type SignedReceipt = Static<typeof SignedReceiptSchema>

// ---- equivocation (DESIGN §2, §4.8) ----

/** Two signed events by one author with one seq in one channel, but different ids. */
export const EquivocationProofSchema = Type.Object(
  { a: SignedEventSchema, b: SignedEventSchema },
  closed,
)
export type EquivocationProof = Static<typeof EquivocationProofSchema>
