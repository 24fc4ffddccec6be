import { canonicalBytes, domainMessage, sha256Hex } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf, pageQueryWith } from './page.ts'

const closed = { additionalProperties: false } as const
const Time = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const Hash = Type.String({ pattern: '^[0-9a-f]{64}$' })
const Signature = Type.String({ pattern: '^[A-Za-z0-9_-]{86}$', description: 'Ed25519, base64url' })
const KeyId = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}#[1-9][0-9]*$' })

/** The six categories of issue 13, as the consent manager (`packages/consent`) names them. */
export const CONSENT_CATEGORIES = [
  'necessary',
  'functional',
  'performance',
  'targeting',
  'social',
  'sale',
] as const
export type ConsentCategory = (typeof CONSENT_CATEGORIES)[number]

/**
 * The categories that sell or share personal data (CCPA regulations § 7025): `Sec-GPC: 1`
 * turns them off whatever the body says.
 */
export const SALE_OR_SHARING: readonly ConsentCategory[] = ['targeting', 'social', 'sale']

/** The domain that separates consent records from every other signed or hashed object. */
export const CONSENT_DOMAIN = 'parley/consent/v1'

const Choices = Type.Object(
  {
    necessary: Type.Literal(true, { description: 'Strictly Necessary: always on' }),
    functional: Type.Boolean(),
    performance: Type.Boolean(),
    targeting: Type.Boolean(),
    social: Type.Boolean(),
    sale: Type.Boolean(),
  },
  closed,
)

/** What the consent manager posts to `POST /public/consent` for one visitor's choice. */
export const ConsentChoiceSchema = Type.Object(
  {
    consentId: Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'The browser’s consent id, a UUID',
    }),
    revision: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    choices: Type.Record(Type.String({ maxLength: 64 }), Type.Boolean(), {
      maxProperties: 16,
      description:
        'Every one of the six categories, each true or false; necessary must be true (the node names an unknown, missing or refused one by its code)',
    }),
    services: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' }), Type.Boolean(), {
      maxProperties: 100,
    }),
    textHash: Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'SHA-256 of the exact text shown',
    }),
    url: Type.String({ minLength: 1, maxLength: 2000, pattern: '^https?://' }),
    gpc: Type.Boolean({ description: 'navigator.globalPrivacyControl' }),
    language: Type.Union([Type.Literal('en'), Type.Literal('ru')]),
  },
  closed,
)
export type ConsentChoice = Static<typeof ConsentChoiceSchema>

/** A consent receipt: the visitor's choice as the node received it, chained to the one before. */
export const ConsentReceiptSchema = Type.Object(
  {
    type: Type.Literal('consent.receipt'),
    v: Type.Literal(1),
    /** 1 for the node's first receipt, one more for each after it. */
    seq: Type.Integer({ minimum: 1 }),
    /** The hash of the receipt before it (null for the first). */
    prev: Type.Union([Hash, Type.Null()]),
    consentId: Type.String(),
    revision: Type.Integer(),
    choices: Choices,
    services: Type.Record(Type.String(), Type.Boolean()),
    textHash: Hash,
    url: Type.String(),
    gpc: Type.Boolean({ description: 'True when the browser sent Sec-GPC: 1 or said so' }),
    language: Type.String(),
    time: Time,
    userAgent: Type.String(),
    ip: Type.String({ description: 'Truncated: IPv4 to /24, IPv6 to /48' }),
    key: KeyId,
  },
  closed,
)
export type ConsentReceipt = Static<typeof ConsentReceiptSchema>

/**
 * Signed when old receipts are pruned: the chain's hash and sequence number at the prune
 * point, so the first receipt kept still links to something signed.
 */
export const ConsentCheckpointSchema = Type.Object(
  {
    type: Type.Literal('consent.checkpoint'),
    v: Type.Literal(1),
    /** The last pruned receipt's seq and hash. */
    seq: Type.Integer({ minimum: 1 }),
    head: Hash,
    pruned: Type.Integer({ minimum: 1, description: 'Receipts pruned so far, in all' }),
    time: Time,
    key: KeyId,
  },
  closed,
)
export type ConsentCheckpoint = Static<typeof ConsentCheckpointSchema>

/** Signed at export: the chain's last receipt then, so a file cut short is noticed. */
export const ConsentHeadSchema = Type.Object(
  {
    type: Type.Literal('consent.head'),
    v: Type.Literal(1),
    seq: Type.Integer({ minimum: 0 }),
    head: Type.Union([Hash, Type.Null()]),
    time: Time,
    key: KeyId,
  },
  closed,
)
export type ConsentHead = Static<typeof ConsentHeadSchema>

/** A receipt with the node's signature, and its hash (what the next receipt's `prev` names). */
export const SignedConsentReceiptSchema = Type.Object({
  receipt: ConsentReceiptSchema,
  sig: Signature,
  hash: Hash,
})
export type SignedConsentReceipt = Static<typeof SignedConsentReceiptSchema>

/** The hash of a consent record: hex SHA-256 of `"parley/consent/v1\n" || JCS(record)`. */
export function consentHash(record: ConsentReceipt | ConsentCheckpoint | ConsentHead) {
  return sha256Hex(consentMessage(record))
}

/** The exact bytes a consent record's signature covers (and its hash is taken of). */
export function consentMessage(
  record: ConsentReceipt | ConsentCheckpoint | ConsentHead,
): Uint8Array {
  return domainMessage(CONSENT_DOMAIN, canonicalBytes(record))
}

/** The kinds of rights request a visitor can make. */
export const RIGHTS_KINDS = ['access', 'deletion', 'correction', 'opt-out'] as const
export type RightsKind = (typeof RIGHTS_KINDS)[number]

/** Whose law sets the deadline: CCPA 45 days, GDPR one calendar month. */
export const JURISDICTIONS = ['ccpa', 'gdpr'] as const
export type Jurisdiction = (typeof JURISDICTIONS)[number]

const RequestId = Type.String({ pattern: '^pr_[0-9a-f]{32}$' })

/** A rights request as a privacy admin sees it. */
export const RightsRequestSchema = Type.Object({
  id: RequestId,
  kind: Type.Enum([...RIGHTS_KINDS]),
  jurisdiction: Type.Enum([...JURISDICTIONS]),
  email: Type.String(),
  details: Type.String(),
  language: Type.String(),
  state: Type.Union([
    Type.Literal('unverified'),
    Type.Literal('open'),
    Type.Literal('responded'),
    Type.Literal('closed'),
  ]),
  createdAt: Time,
  verifiedAt: Type.Union([Time, Type.Null()]),
  dueAt: Type.Union([Time, Type.Null()]),
  overdueAt: Type.Union([Time, Type.Null()], { description: 'When the deadline passed unmet' }),
  respondedAt: Type.Union([Time, Type.Null()]),
  response: Type.Union([Type.String(), Type.Null()]),
  closedAt: Type.Union([Time, Type.Null()]),
})
export type RightsRequestView = Static<typeof RightsRequestSchema>

const RequestParams = Type.Object({ id: RequestId }, closed)

/** The consent receipts and the rights requests, for the admins of the node's privacy party. */
export const privacyOperations = {
  listConsentReceipts: operation({
    method: 'GET',
    path: '/consent/receipts',
    tags: ['privacy'],
    summary: 'A page of signed consent receipts, oldest first by default order of the chain',
    auth: 'officer',
    querystring: PageQuerySchema,
    responses: { 200: pageOf('receipts', SignedConsentReceiptSchema) },
    errors: ['FORBIDDEN_ROLE', 'PARTY_FORBIDDEN', ...PAGE_ERRORS],
  }),
  listRightsRequests: operation({
    method: 'GET',
    path: '/privacy/requests',
    tags: ['privacy'],
    summary: 'A page of rights requests (access, deletion, correction, opt-out)',
    auth: 'officer',
    querystring: pageQueryWith({
      state: Type.Optional(
        Type.Union([
          Type.Literal('unverified'),
          Type.Literal('open'),
          Type.Literal('responded'),
          Type.Literal('closed'),
        ]),
      ),
    }),
    responses: { 200: pageOf('requests', RightsRequestSchema) },
    errors: ['FORBIDDEN_ROLE', 'PARTY_FORBIDDEN', ...PAGE_ERRORS],
  }),
  respondRightsRequest: operation({
    method: 'POST',
    path: '/privacy/requests/:id/respond',
    tags: ['privacy'],
    summary: 'Answer a verified request; the answer is e-mailed to the requester',
    auth: 'officer',
    params: RequestParams,
    body: Type.Object({ response: Type.String({ minLength: 1, maxLength: 20_000 }) }, closed),
    responses: { 200: RightsRequestSchema },
    errors: [
      'FORBIDDEN_ROLE',
      'PARTY_FORBIDDEN',
      'PRIVACY_REQUEST_NOT_FOUND',
      'PRIVACY_REQUEST_CLOSED',
      'PRIVACY_REQUEST_UNVERIFIED',
    ],
  }),
  closeRightsRequest: operation({
    method: 'POST',
    path: '/privacy/requests/:id/close',
    tags: ['privacy'],
    summary: 'Close a request: its deadline and escalation stop',
    auth: 'officer',
    params: RequestParams,
    responses: { 200: RightsRequestSchema },
    errors: [
      'FORBIDDEN_ROLE',
      'PARTY_FORBIDDEN',
      'PRIVACY_REQUEST_NOT_FOUND',
      'PRIVACY_REQUEST_CLOSED',
    ],
  }),
}
