import { beforeAll, describe, expect, it } from 'vitest'
import { AGREEMENT_FORMAT, verifyAgreement } from './agreement.ts'
import { canonicalJson } from './canonical-json.ts'
import { generateKeyPair } from './crypto.ts'
import { createEvent, draftContentHash, type EventFields, type Signer } from './event.ts'

// An exported agreement is what a ministry files: verifyAgreement must accept the real one and,
// for anything changed, say where the file first fails (the member path) and why.

const CHANNEL = 'ch_01JZ8Q3V6R7T9W2X4Y5Z6A7B8C'
const OTHER_CHANNEL = 'ch_01JZ8Q3V6R7T9W2X4Y5Z6A7B8D'
const T0 = 1_780_000_000_000
const TEXT = [
  {
    paragraph: 'p1',
    text: 'The Parties shall not damage grids.',
    translations: { ru: 'Стороны не будут повреждать энергосети.' },
  },
  { paragraph: 'p2', text: 'Either Party may raise a breach.' },
]
const PARTIES = ['usa', 'rus', 'osce'] as const
type Party = (typeof PARTIES)[number]

let keys: Record<Party, { publicKey: string; privateKey: CryptoKey }>
const signer = (party: Party, key = 1): Signer => ({
  keyId: `${party}#${key}`,
  privateKey: keys[party].privateKey,
})

beforeAll(async () => {
  keys = Object.fromEntries(
    await Promise.all(PARTIES.map(async (p) => [p, await generateKeyPair()] as const)),
  ) as typeof keys
})

const envelope = (channel: string, author: Party, seq: number) => ({
  channel,
  author,
  seq,
  prev: seq === 1 ? null : 'f'.repeat(64),
  heads: {},
  time: T0 + seq * 60_000,
})

const signed = (e: { event: unknown; sig: string }) => ({ event: e.event, sig: e.sig })

interface Adopt {
  readonly author: Party
  readonly draft?: string
  readonly contentHash?: string
  readonly version?: number
  readonly channel?: string
  readonly type?: 'draft.adopt' | 'message.post'
}

/** The parts of an agreement, each signed for real; the defaults make a valid one. */
async function parts(
  options: { draftChannel?: string; adopts?: (draftId: string, hash: string) => Adopt[] } = {},
) {
  const genesis = await createEvent(
    {
      ...envelope(CHANNEL, 'usa', 1),
      type: 'channel.create',
      body: { title: 'Working group', members: ['usa', 'rus'], observers: ['osce'] },
    } as EventFields,
    signer('usa'),
  )
  const draft = await createEvent(
    {
      ...envelope(options.draftChannel ?? CHANNEL, 'usa', 2),
      type: 'draft.create',
      body: {
        title: 'Joint statement',
        lang: 'en',
        paragraphs: TEXT.map((p) => ({
          id: p.paragraph,
          alternatives: [{ id: `${p.paragraph}.a`, text: p.text }],
        })),
      },
    } as EventFields,
    signer('usa'),
  )
  const contentHash = await draftContentHash(TEXT)
  const adopts = options.adopts?.(draft.id, contentHash) ?? [
    { author: 'usa' as const },
    { author: 'rus' as const },
  ]
  const adoptions = await Promise.all(
    adopts.map((a, i) =>
      createEvent(
        {
          ...envelope(a.channel ?? CHANNEL, a.author, 3 + i),
          ...(a.type === 'message.post'
            ? {
                type: 'message.post',
                body: { text: 'adopted', lang: 'en', urgency: 'routine', tlp: 'green' },
              }
            : {
                type: 'draft.adopt',
                body: {
                  draft: a.draft ?? draft.id,
                  contentHash: a.contentHash ?? contentHash,
                  ...(a.version === undefined ? {} : { version: a.version }),
                },
              }),
        } as EventFields,
        signer(a.author),
      ),
    ),
  )
  return { genesis, draft, contentHash, adoptions }
}

type Parts = Awaited<ReturnType<typeof parts>>

function file(p: Parts, change: (agreement: Record<string, unknown>) => void = () => {}): string {
  const agreement: Record<string, unknown> = {
    format: AGREEMENT_FORMAT,
    channel: signed(p.genesis),
    draft: signed(p.draft),
    version: 1,
    contentHash: p.contentHash,
    text: TEXT,
    adoptions: p.adoptions.map(signed),
    keys: {
      usa: [{ id: 'usa#1', publicKey: keys.usa.publicKey }],
      rus: [{ id: 'rus#1', publicKey: keys.rus.publicKey }],
    },
  }
  change(agreement)
  return `${canonicalJson(agreement)}\n`
}

describe('verifyAgreement', () => {
  it('verifies a real agreement and names its draft, text and every signatory', async () => {
    const p = await parts()
    const expected = {
      ok: true,
      agreement: {
        draft: p.draft.id,
        channel: CHANNEL,
        title: 'Joint statement',
        lang: 'en',
        version: 1,
        contentHash: p.contentHash,
        text: TEXT,
        signatories: [
          { party: 'usa', key: 'usa#1', event: p.adoptions[0]!.id, time: T0 + 3 * 60_000 },
          { party: 'rus', key: 'rus#1', event: p.adoptions[1]!.id, time: T0 + 4 * 60_000 },
        ],
      },
    }
    expect(await verifyAgreement(file(p))).toEqual(expected)
    // The final newline is optional; nothing else is.
    expect(await verifyAgreement(file(p).slice(0, -1))).toEqual(expected)
  })

  it('says where a file stops being canonical JSON, or is not JSON at all', async () => {
    const p = await parts()
    const text = file(p)
    const at = text.indexOf('"version"')
    expect(await verifyAgreement(`${text.slice(0, at)} ${text.slice(at)}`)).toEqual({
      ok: false,
      where: `character ${at}`,
      reason: 'the file is not in canonical JSON form (JCS) from here on',
    })
    expect(await verifyAgreement(text.slice(0, 40))).toMatchObject({
      ok: false,
      where: 'the file',
      reason: expect.stringMatching(/^not JSON: /),
    })
    expect(await verifyAgreement('{"a":1.5}')).toMatchObject({
      ok: false,
      where: 'the file',
      reason: expect.stringMatching(/^not canonical JSON: .*integers only/),
    })
  })

  it('refuses a file of another format or with a member it does not know', async () => {
    const p = await parts()
    const other = await verifyAgreement(file(p, (a) => (a.format = 'parley-agreement/2')))
    expect(other).toMatchObject({ ok: false, where: 'the file' })
    expect(!other.ok && other.reason).toContain('format')
    const extra = await verifyAgreement(file(p, (a) => (a.note = 'signed in Vienna')))
    expect(extra).toMatchObject({ ok: false, where: 'the file' })
    expect(!extra.ok && extra.reason).toContain('note')
  })

  it('names the signed event that is not an event, is of the wrong type or has an unknown key', async () => {
    const p = await parts()
    expect(
      await verifyAgreement(file(p, (a) => (a.channel = { event: {}, sig: p.genesis.sig }))),
    ).toMatchObject({ ok: false, where: 'channel', reason: expect.stringContaining('schema') })
    expect(await verifyAgreement(file(p, (a) => (a.channel = signed(p.draft))))).toEqual({
      ok: false,
      where: 'channel.event.type',
      reason: 'a draft.create, not a channel.create',
    })
    expect(await verifyAgreement(file(p, (a) => (a.draft = signed(p.genesis))))).toEqual({
      ok: false,
      where: 'draft.event.type',
      reason: 'a channel.create, not a draft.create',
    })
    const rusOnly = (a: Record<string, unknown>) => {
      a.keys = { rus: [{ id: 'rus#1', publicKey: keys.rus.publicKey }] }
    }
    expect(await verifyAgreement(file(p, rusOnly))).toEqual({
      ok: false,
      where: 'channel.event.key',
      reason: 'no key usa#1 of usa in keys',
    })
    const rusUnderAnotherId = (a: Record<string, unknown>) => {
      a.keys = {
        usa: [{ id: 'usa#1', publicKey: keys.usa.publicKey }],
        rus: [{ id: 'rus#2', publicKey: keys.rus.publicKey }],
      }
    }
    expect(await verifyAgreement(file(p, rusUnderAnotherId))).toEqual({
      ok: false,
      where: 'adoptions[1].event.key',
      reason: 'no key rus#1 of rus in keys',
    })
  })

  it('names the signature that does not hold under the key given', async () => {
    const p = await parts()
    const swapped = (a: Record<string, unknown>) => {
      a.keys = {
        usa: [{ id: 'usa#1', publicKey: keys.usa.publicKey }],
        rus: [{ id: 'rus#1', publicKey: keys.osce.publicKey }],
      }
    }
    expect(await verifyAgreement(file(p, swapped))).toEqual({
      ok: false,
      where: 'adoptions[1].sig',
      reason: 'the signature of rus (rus#1) does not hold',
    })
    const forgedDraft = (a: Record<string, unknown>) => {
      a.draft = { event: p.draft.event, sig: p.genesis.sig }
    }
    expect(await verifyAgreement(file(p, forgedDraft))).toEqual({
      ok: false,
      where: 'draft.sig',
      reason: 'the signature of usa (usa#1) does not hold',
    })
  })

  it('refuses a draft of another channel and a text that is not the one adopted', async () => {
    expect(await verifyAgreement(file(await parts({ draftChannel: OTHER_CHANNEL })))).toEqual({
      ok: false,
      where: 'draft.event.channel',
      reason: 'the draft is not of the channel given',
    })
    const p = await parts()
    const changed = [TEXT[0], { ...TEXT[1]!, text: 'Either party may raise a breach.' }]
    const hash = await draftContentHash(changed as typeof TEXT)
    expect(await verifyAgreement(file(p, (a) => (a.text = changed)))).toEqual({
      ok: false,
      where: 'text',
      reason: `the text hashes to ${hash}, not to the contentHash ${p.contentHash}`,
    })
  })

  it('names the adoption that adopts something else, or is by someone who does not decide', async () => {
    const otherHash = 'ab'.repeat(32)
    const cases: [(draft: string, hash: string) => Adopt[], string, string][] = [
      [
        () => [{ author: 'usa' }, { author: 'rus', type: 'message.post' }],
        'adoptions[1].event.type',
        'a message.post, not a draft.adopt',
      ],
      [
        () => [{ author: 'usa', channel: OTHER_CHANNEL }, { author: 'rus' }],
        'adoptions[0].event.channel',
        'adopted in another channel',
      ],
      [
        () => [{ author: 'usa' }, { author: 'rus', draft: 'cd'.repeat(32) }],
        'adoptions[1].event.body.draft',
        '', // checked below, with the draft's id
      ],
      [
        () => [{ author: 'usa', contentHash: otherHash }, { author: 'rus' }],
        'adoptions[0].event.body.contentHash',
        'adopts another text than this one',
      ],
      [
        () => [{ author: 'usa' }, { author: 'rus', version: 2 }],
        'adoptions[1].event.body.version',
        'adopts another version than 1',
      ],
      [
        () => [{ author: 'usa' }, { author: 'osce' }, { author: 'rus' }],
        'adoptions[1].event.author',
        'osce is not a member who decides',
      ],
      [
        () => [{ author: 'usa' }, { author: 'usa' }, { author: 'rus' }],
        'adoptions[1].event.author',
        'usa adopts twice',
      ],
      [() => [{ author: 'rus' }], 'adoptions', 'no adoption by usa: not every member adopted'],
    ]
    for (const [adopts, where, reason] of cases) {
      const p = await parts({ adopts })
      const withOsce = (a: Record<string, unknown>) => {
        ;(a.keys as Record<string, unknown>).osce = [
          { id: 'osce#1', publicKey: keys.osce.publicKey },
        ]
      }
      const result = await verifyAgreement(file(p, withOsce))
      expect(result, where).toMatchObject({ ok: false, where })
      if (reason !== '') expect(!result.ok && result.reason, where).toBe(reason)
      else expect(!result.ok && result.reason).toBe(`adopts ${'cd'.repeat(32)}, not ${p.draft.id}`)
    }
  })

  it('accepts an adoption of version 1 that does not say its version', async () => {
    const p = await parts({ adopts: () => [{ author: 'usa', version: 1 }, { author: 'rus' }] })
    expect(await verifyAgreement(file(p))).toMatchObject({ ok: true })
  })

  it('names a key that signs nothing in the agreement', async () => {
    const p = await parts()
    const unused = (a: Record<string, unknown>) => {
      a.keys = {
        usa: [{ id: 'usa#1', publicKey: keys.usa.publicKey }],
        rus: [
          { id: 'rus#1', publicKey: keys.rus.publicKey },
          { id: 'rus#2', publicKey: keys.osce.publicKey },
        ],
      }
    }
    expect(await verifyAgreement(file(p, unused))).toEqual({
      ok: false,
      where: 'keys.rus[1]',
      reason: 'key rus#2 signs nothing in the agreement',
    })
  })
})
