import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import { canonicalJson } from './canonical-json.ts'
import { domainMessage, verify } from './crypto.ts'
import { describeSchemaError, draftContentHash, parseCanonicalSignedEvent } from './event.ts'
import {
  DraftPartIdSchema,
  type Event,
  KeyIdSchema,
  PartyIdSchema,
  PublicKeySchema,
  Sha256HexSchema,
  SignatureSchema,
} from './schemas.ts'
import { domains, eventId } from './signing.ts'

/** The format tag of a jointly signed agreement (an adopted draft) as Parley exports it. */
export const AGREEMENT_FORMAT = 'parley-agreement/1'

const closed = { additionalProperties: false } as const
// The signed events are checked by the protocol's own parser, which reports where they fail.
const SignedAnySchema = Type.Object({ event: Type.Object({}), sig: SignatureSchema }, closed)

/**
 * An adopted agreement: the channel that decides who its members are, the draft, the text and
 * its hash, each member's signed adopt of that hash, and the keys that check every signature.
 * Exported as canonical JSON (JCS), so every byte of the file is significant.
 */
export const AgreementSchema = Type.Object(
  {
    format: Type.Literal(AGREEMENT_FORMAT),
    channel: SignedAnySchema,
    draft: SignedAnySchema,
    version: Type.Integer({ minimum: 1, maximum: 1000 }),
    contentHash: Sha256HexSchema,
    text: Type.Array(
      Type.Object(
        {
          paragraph: DraftPartIdSchema,
          text: Type.String({ minLength: 1, maxLength: 20000 }),
          translations: Type.Optional(
            Type.Record(
              Type.String({ pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$', maxLength: 35 }),
              Type.String({ minLength: 1, maxLength: 20000 }),
              { additionalProperties: false },
            ),
          ),
        },
        closed,
      ),
      { maxItems: 500 },
    ),
    adoptions: Type.Array(SignedAnySchema, { minItems: 1, maxItems: 64 }),
    keys: Type.Record(
      PartyIdSchema,
      Type.Array(Type.Object({ id: KeyIdSchema, publicKey: PublicKeySchema }, closed), {
        minItems: 1,
        maxItems: 16,
      }),
      { additionalProperties: false },
    ),
  },
  closed,
)
export type Agreement = Static<typeof AgreementSchema>

/** What a verified agreement says, for display. */
export interface VerifiedAgreement {
  readonly draft: string
  readonly channel: string
  readonly title: string
  readonly lang: string
  readonly version: number
  readonly contentHash: string
  readonly text: Agreement['text']
  readonly signatories: readonly { party: string; key: string; event: string; time: number }[]
}

/** The outcome: verified, or where the file first fails and why. */
export type AgreementVerification =
  | { readonly ok: true; readonly agreement: VerifiedAgreement }
  | { readonly ok: false; readonly where: string; readonly reason: string }

const fail = (where: string, reason: string): AgreementVerification => ({
  ok: false,
  where,
  reason,
})

/**
 * Verifies an exported agreement offline: the file is canonical JSON, the text hashes to the
 * content hash, every member of the channel adopted exactly that hash for this draft and
 * version, every signature holds under the keys given, and every key given was used. One
 * changed byte anywhere fails one of these, and the answer says where.
 * @example const result = await verifyAgreement(readFileSync('agreement.json', 'utf8'))
 */
export async function verifyAgreement(text: string): Promise<AgreementVerification> {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    return fail('the file', `not JSON: ${(error as Error).message}`)
  }
  let canonical: string
  try {
    canonical = canonicalJson(parsed)
  } catch (error) {
    return fail('the file', `not canonical JSON: ${(error as Error).message}`)
  }
  if (canonical !== body) {
    let at = 0
    while (at < body.length && body[at] === canonical[at]) at++
    return fail(`character ${at}`, 'the file is not in canonical JSON form (JCS) from here on')
  }
  if (!Value.Check(AgreementSchema, parsed)) {
    return fail('the file', describeSchemaError(Value.Errors(AgreementSchema, parsed), ''))
  }
  const agreement = parsed as Agreement
  const used = new Set<string>()
  const checkSigned = async (
    where: string,
    signed: unknown,
    type: string,
  ): Promise<{ event: Event; id: string } | AgreementVerification> => {
    let event: Event
    let bytes: Uint8Array
    let sig: string
    try {
      ;({ event, bytes, sig } = parseCanonicalSignedEvent(signed))
    } catch (error) {
      return fail(where, (error as Error).message)
    }
    if (event.type !== type) return fail(`${where}.event.type`, `a ${event.type}, not a ${type}`)
    const key = agreement.keys[event.author]?.find((candidate) => candidate.id === event.key)
    if (key === undefined) {
      return fail(`${where}.event.key`, `no key ${event.key} of ${event.author} in keys`)
    }
    if (!(await verify(key.publicKey, sig, domainMessage(domains.event, bytes)))) {
      return fail(`${where}.sig`, `the signature of ${event.author} (${event.key}) does not hold`)
    }
    used.add(`${event.author} ${event.key}`)
    return { event, id: await eventId(event) }
  }

  const channel = await checkSigned('channel', agreement.channel, 'channel.create')
  if ('ok' in channel) return channel
  const draft = await checkSigned('draft', agreement.draft, 'draft.create')
  if ('ok' in draft) return draft
  if (draft.event.channel !== channel.event.channel) {
    return fail('draft.event.channel', 'the draft is not of the channel given')
  }
  const genesis = channel.event as Event & { type: 'channel.create' }
  const rapporteur = genesis.body.policy?.rapporteur
  const deciders = genesis.body.members.filter((party) => party !== rapporteur)

  const hash = await draftContentHash(agreement.text)
  if (hash !== agreement.contentHash) {
    return fail(
      'text',
      `the text hashes to ${hash}, not to the contentHash ${agreement.contentHash}`,
    )
  }

  const signatories: { party: string; key: string; event: string; time: number }[] = []
  for (const [i, signed] of agreement.adoptions.entries()) {
    const where = `adoptions[${i}]`
    const adopt = await checkSigned(where, signed, 'draft.adopt')
    if ('ok' in adopt) return adopt
    const { event } = adopt
    if (event.type !== 'draft.adopt') return fail(`${where}.event.type`, 'not a draft.adopt')
    if (event.channel !== channel.event.channel) {
      return fail(`${where}.event.channel`, 'adopted in another channel')
    }
    if (event.body.draft !== draft.id) {
      return fail(`${where}.event.body.draft`, `adopts ${event.body.draft}, not ${draft.id}`)
    }
    if (event.body.contentHash !== agreement.contentHash) {
      return fail(`${where}.event.body.contentHash`, 'adopts another text than this one')
    }
    if ((event.body.version ?? 1) !== agreement.version) {
      return fail(`${where}.event.body.version`, `adopts another version than ${agreement.version}`)
    }
    if (!deciders.includes(event.author)) {
      return fail(`${where}.event.author`, `${event.author} is not a member who decides`)
    }
    if (signatories.some((signatory) => signatory.party === event.author)) {
      return fail(`${where}.event.author`, `${event.author} adopts twice`)
    }
    signatories.push({ party: event.author, key: event.key, event: adopt.id, time: event.time })
  }
  const missing = deciders.filter((party) => !signatories.some((s) => s.party === party))
  if (missing.length > 0) {
    return fail('adoptions', `no adoption by ${missing.join(', ')}: not every member adopted`)
  }
  for (const [party, keys] of Object.entries(agreement.keys)) {
    for (const [i, key] of keys.entries()) {
      if (!used.has(`${party} ${key.id}`)) {
        return fail(`keys.${party}[${i}]`, `key ${key.id} signs nothing in the agreement`)
      }
    }
  }
  return {
    ok: true,
    agreement: {
      draft: draft.id,
      channel: channel.event.channel,
      title: (draft.event as Event & { type: 'draft.create' }).body.title,
      lang: (draft.event as Event & { type: 'draft.create' }).body.lang,
      version: agreement.version,
      contentHash: agreement.contentHash,
      text: agreement.text,
      signatories,
    },
  }
}
