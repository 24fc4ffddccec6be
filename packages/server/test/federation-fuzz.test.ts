import { isUtf8 } from 'node:buffer'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isDeepStrictEqual } from 'node:util'
import {
  EVENT_TYPES,
  type Event,
  parseSignedEvent,
  protocolErrors,
  type SignedEvent,
} from '@parley/protocol'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serverErrors } from '../src/errors.ts'
import { type HostilePeer, type HostileReply, hostilePeer } from './support/hostile-peer.ts'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'
import { fuzzSeed } from './support/seeds.ts'

// A storm of generated, mostly validly signed, malformed requests against the federation API
// of a real node on loopback, from a fixed seed (a fresh one under `npm run test:explore`).
// Reproduce a failure with PARLEY_FUZZ_SEED=<seed printed>.
const SEED = fuzzSeed()
/** Requests sent at once: bounded, so a 2-core machine keeps answering within its timeouts. */
const WIDTH = 25
const RUNS = 404
const KNOWN_CODES = new Set([...Object.keys(serverErrors), ...Object.keys(protocolErrors)])
const PUSH = '/federation/v1/events'

type Path = readonly string[]
type Mutation =
  | { readonly at: Path; readonly set: unknown }
  | { readonly at: Path; readonly drop: true }
type Item =
  /** The genuine next event with fields changed, signed again or not. */
  | { readonly mutate: readonly Mutation[]; readonly resign: boolean }
  /** Well formed and signed again, but wrong in a way steps 2–7 of §4.4 must catch. */
  | { readonly semantic: readonly Mutation[] }
  | { readonly junk: unknown }
  /** The genuine next event under a signature that is not its own. */
  | { readonly sig: string }
  /** The next event with U+0000 in one string or member name, validly signed over it. */
  | { readonly nul: Path; readonly name: boolean; readonly offset: number }
  /** The genuine next event, spelled with the first member name of one object twice. */
  | { readonly twice: number; readonly value: unknown }
type RawBody =
  | { readonly truncate: number }
  | { readonly badUtf8: readonly number[]; readonly at: number }
  | { readonly deep: number; readonly open: string; readonly close: string }
  | { readonly literal: string }
  | { readonly bytes: readonly number[] }
  | { readonly padded: number }
type HeaderMutation =
  | { readonly drop: string }
  | { readonly set: string; readonly value: string }
  | { readonly param: string; readonly value: string }
  | { readonly flip: number }
  | { readonly skew: number }
  | { readonly keyid: string }
  | { readonly pad: number }
  | { readonly tamper: true }
  | { readonly replay: true }
type Recipe =
  | { readonly push: readonly Item[]; readonly extra: Record<string, unknown> | undefined }
  | { readonly body: unknown }
  | { readonly raw: RawBody; readonly contentType: string | null }
  | { readonly get: string }
  | { readonly headers: HeaderMutation; readonly on: 'push' | 'heads' }
  | { readonly method: string; readonly path: string }

interface World {
  readonly channel: string
  /** rus' latest event (its channel.join). */
  readonly joined: SignedEvent & { id: string }
  /** rus' next event: valid, never sent during the storm, pushed after it. */
  readonly next: SignedEvent & { id: string }
}

interface Counts {
  events: number
  pending: number
  equivocations: number
  alarms: number
  channels: number
  members: number
}

describe('the federation API under a storm of malformed requests', () => {
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  let peer: HostilePeer
  let world: World

  const counts = async (): Promise<Counts> => {
    const db = usa.database.db
    const count = async (table: 'events' | 'pending_events' | 'equivocations' | 'alarms') =>
      Number(
        (await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n,
      )
    const channels = await db
      .selectFrom('channels')
      .select(db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    const members = await db
      .selectFrom('channel_members')
      .select(db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
    return {
      events: await count('events'),
      pending: await count('pending_events'),
      equivocations: await count('equivocations'),
      alarms: await count('alarms'),
      channels: Number(channels.n),
      members: Number(members.n),
    }
  }

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { backoff: () => 200, logger: false },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Hotline',
      members: ['usa', 'rus'],
      observers: [],
    })
    const channel = created.body.channel.id
    await eventually(
      async () =>
        (await rus.admit(channel)) &&
        (await rus.api('POST', `/channels/${channel}/join`, {})).status === 201,
    )
    const [genesis, joined] = await eventually(async () => {
      const views = (
        await usa.api<{ events: { id: string; event: Event; sig: string }[] }>(
          'GET',
          `/channels/${channel}/timeline`,
        )
      ).body.events
      return views.length === 2 && views
    })
    peer = await hostilePeer(rus, 'rus', usa, { sockets: WIDTH })
    // From here on only the test speaks for rus.
    await rus.stop()
    const next = await peer.event({
      channel,
      seq: 2,
      prev: joined!.id,
      heads: { usa: { seq: 1, id: genesis!.id } },
      time: Date.now(),
      type: 'message.post',
      body: { text: 'Сообщение после бури.', lang: 'ru', urgency: 'routine', tlp: 'clear' },
    })
    world = {
      channel,
      joined: { event: joined!.event, sig: joined!.sig, id: joined!.id },
      next,
    }
  })
  afterAll(async () => {
    peer?.close()
    await close?.()
  })

  it('answers every request with a registered 4xx or a clean 200, stores nothing, and keeps serving', async () => {
    const before = await counts()
    let sent = 0
    // Counted where the node answers, to hold the client's count against: a request reaches
    // the app, or the HTTP parser refuses it first (a header Node will not read is a clientError).
    let answered = 0
    const count = (_request: IncomingMessage, response: ServerResponse) => {
      response.once('finish', () => {
        answered++
      })
    }
    const countRefused = () => {
      answered++
    }
    usa.app.server.on('request', count)
    usa.app.server.on('clientError', countRefused)
    const started = performance.now()
    const property = fc.asyncProperty(
      fc.array(recipeOf(world), { minLength: WIDTH, maxLength: WIDTH }),
      async (batch) => {
        const problems = (await Promise.all(batch.map((recipe) => attempt(peer, world, recipe))))
          .flat()
          .filter((problem) => problem !== undefined)
        sent += batch.length
        if (problems.length > 0) throw new Error(problems.join('\n'))
      },
    )
    await fc.assert(property, {
      seed: SEED,
      numRuns: RUNS,
      endOnFailure: true,
      // The generated batches are long; the failing requests are named in the error itself.
      reporter: (run) => {
        if (!run.failed) return
        const reason =
          run.errorInstance instanceof Error ? run.errorInstance.message : String(run.errorInstance)
        throw new Error(
          `federation fuzz failed (seed ${run.seed}, path ${run.counterexamplePath}; rerun with PARLEY_FUZZ_SEED=${run.seed}):\n${reason}`,
        )
      },
    })
    usa.app.server.off('request', count)
    usa.app.server.off('clientError', countRefused)
    const seconds = (performance.now() - started) / 1000
    const summary = [...answers].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${n} × ${key}`)
    console.info(
      `federation fuzz: ${sent} requests in ${seconds.toFixed(1)} s (seed ${SEED})\n  ${summary.join('\n  ')}`,
    )
    // Every request the storm made was answered by the node and its answer read, with a status.
    const replies = [...statuses.values()].reduce((sum, n) => sum + n, 0)
    expect(replies).toBe(answered)
    expect(replies).toBeGreaterThanOrEqual(10_000)
    // The storm reached the handlers (the signatures held) and every step of §4.4 refused some.
    const refused = [...answers].filter(([key]) => key.startsWith('push 200 rejected '))
    expect(refused.reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThan(sent / 2)
    expect(refused.map(([key]) => key.slice('push 200 rejected '.length))).toEqual(
      expect.arrayContaining([
        'EVENT_MALFORMED',
        'TYPE_UNKNOWN',
        'EVENT_TOO_LARGE',
        'KEY_UNKNOWN',
        'SIGNATURE_INVALID',
        'CHAIN_PREV_MISMATCH',
        'TIME_INVALID',
        'CHANNEL_UNKNOWN',
        'FORBIDDEN_FOR_TYPE',
        'HEADS_INVALID',
        'STRING_HAS_NUL',
        'JSON_DUPLICATE_NAME',
      ]),
    )

    // The node is still up, answers, has stored nothing, and still takes a genuine push.
    expect(usa.app.server.listening).toBe(true)
    const health = await fetch(`${usa.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await counts()).toEqual(before)
    const genuine = await peer.push([world.next])
    expect(genuine.status).toBe(200)
    expect(genuine.body.rejected).toEqual([])
    expect(genuine.body.receipts[0]?.receipt).toMatchObject({ events: [world.next.id], by: 'usa' })
    expect(await counts()).toEqual({ ...before, events: before.events + 1 })
  }, 240_000)
})

/** Which recipe a reply answers: its kind for the summary, its text for a failure. */
interface Where {
  readonly kind: string
  label(): string
}

/** How the node answered, `<kind> <status> <code>`, for the summary printed after the storm. */
const answers = new Map<string, number>()
/** Replies read, by status. */
const statuses = new Map<number, number>()

function tally(reply: HostileReply, kind: string): void {
  statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
  const body = reply.json as { rejected?: { code: string }[] } | undefined
  const codes =
    reply.status === 200 && body?.rejected !== undefined
      ? body.rejected.map((rejection) => `${kind} 200 rejected ${rejection.code}`)
      : [`${kind} ${reply.status} ${code(reply) ?? ''}`.trim()]
  for (const key of codes) answers.set(key, (answers.get(key) ?? 0) + 1)
}

/** Sends one recipe and returns what is wrong with the answer, if anything. */
async function attempt(
  peer: HostilePeer,
  world: World,
  recipe: Recipe,
): Promise<(string | undefined)[]> {
  const at: Where = { kind: Object.keys(recipe)[0] ?? '', label: () => describeRecipe(recipe) }
  try {
    if ('push' in recipe) {
      const events = await Promise.all(recipe.push.map((item) => materialize(peer, world, item)))
      const reply = await peer.send({ path: PUSH, raw: batchText(events, recipe.extra) })
      const extra = Object.keys(recipe.extra ?? {}).length > 0
      return [
        judge(reply, at),
        extra ? expectStatus(reply, 400, at) : judgePush(reply, recipe.push, at),
      ]
    }
    if ('body' in recipe) return [judgeAny(await peer.send({ path: PUSH, body: recipe.body }), at)]
    if ('raw' in recipe) {
      const raw = rawBody(world, recipe.raw)
      const reply = await peer.send({ path: PUSH, raw, contentType: recipe.contentType })
      // Bytes that are not UTF-8 are refused as such, never read with U+FFFD in their place.
      const notUtf8 = recipe.contentType === 'application/json' && !isUtf8(raw)
      return [judgeAny(reply, at), notUtf8 ? expectCode(reply, 'UTF8_INVALID', at) : undefined]
    }
    if ('get' in recipe) return [judge(await peer.send({ path: recipe.get }), at)]
    if ('method' in recipe) {
      const reply = await peer.send({ method: recipe.method, path: recipe.path })
      return [recipe.method === 'HEAD' ? judgeStatus(reply, at) : judge(reply, at)]
    }
    return await attemptHeaders(peer, world, recipe, at)
  } catch (error) {
    return [`${at.label()}: request failed: ${(error as Error).stack ?? String(error)}`]
  }
}

async function attemptHeaders(
  peer: HostilePeer,
  world: World,
  recipe: Extract<Recipe, { headers: HeaderMutation }>,
  at: Where,
): Promise<(string | undefined)[]> {
  const mutation = recipe.headers
  const base =
    recipe.on === 'push'
      ? { path: PUSH, body: { events: [await materialize(peer, world, { sig: 'A'.repeat(86) })] } }
      : { path: `/federation/v1/channels/${world.channel}/heads` }
  if ('replay' in mutation) {
    const first = await peer.send(base)
    const again = await first.replay()
    return [
      judge(first, at),
      judge(again, at),
      again.status === 401 && code(again) === 'HTTP_SIGNATURE_REPLAY'
        ? undefined
        : `${at.label()}: a replay got ${again.status} ${again.text.slice(0, 200)}`,
    ]
  }
  if ('skew' in mutation) {
    const reply = await peer.send({ ...base, now: Date.now() + mutation.skew * 1000 })
    const stale = Math.abs(mutation.skew) > 301
    return [judge(reply, at), stale ? expectCode(reply, 'HTTP_SIGNATURE_EXPIRED', at) : undefined]
  }
  if ('keyid' in mutation) {
    const key = { keyId: mutation.keyid, privateKey: peer.key.privateKey }
    const reply = await peer.send({ ...base, key })
    return [judge(reply, at), expectStatus(reply, 401, at)]
  }
  if ('tamper' in mutation) {
    const reply = await peer.send({
      ...base,
      method: 'POST',
      path: PUSH,
      body: { events: [] },
      sendInstead: new TextEncoder().encode('{"events":[{}]}'),
    })
    return [judge(reply, at), expectCode(reply, 'HTTP_SIGNATURE_INVALID', at)]
  }
  const reply = await peer.send({
    ...base,
    mutateHeaders: (headers) => mutateHeaders(headers, mutation),
  })
  // A GET carries no body, so its digest and type fields are not covered and change nothing.
  const harmless =
    'pad' in mutation ||
    (recipe.on === 'heads' &&
      (('drop' in mutation && ['content-digest', 'content-type'].includes(mutation.drop)) ||
        ('set' in mutation && mutation.set === 'content-digest')))
  return [judge(reply, at), harmless ? undefined : expectStatus(reply, 401, at)]
}

function mutateHeaders(
  headers: Record<string, string>,
  mutation: HeaderMutation,
): Record<string, string> {
  if ('drop' in mutation) {
    delete headers[mutation.drop]
    // Without a Content-Type the body would not even be read; send one, but drop the digest,
    // so that the signature check still has something missing to refuse.
    if (mutation.drop === 'content-type') {
      headers['content-type'] = 'application/json'
      delete headers['content-digest']
    }
  } else if ('set' in mutation) {
    headers[mutation.set] = mutation.value
  } else if ('param' in mutation) {
    const input = headers['signature-input'] ?? ''
    const pattern = new RegExp(`;${mutation.param}=("[^"]*"|[^;]*)`)
    headers['signature-input'] = pattern.test(input)
      ? input.replace(pattern, mutation.value === '' ? '' : `;${mutation.param}=${mutation.value}`)
      : `${input};${mutation.param}=${mutation.value}`
  } else if ('flip' in mutation) {
    const signature = headers.signature ?? ''
    // Within the first 80 base64 characters: the last ones also carry unused padding bits.
    const at = 6 + (mutation.flip % 80)
    const swapped = signature[at] === 'A' ? 'B' : 'A'
    headers.signature = `${signature.slice(0, at)}${swapped}${signature.slice(at + 1)}`
  } else if ('pad' in mutation) {
    headers['x-padding'] = 'p'.repeat(mutation.pad)
  }
  return headers
}

const JUNK_SIG = 'A'.repeat(86)

/** An item already written as JSON text: one that JSON.stringify could not write. */
class JsonText {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

/** The push body `{ "events": [...], ...extra }`, items written as text kept as they are. */
function batchText(events: readonly unknown[], extra: Record<string, unknown> | undefined) {
  const items = events.map((item) => (item instanceof JsonText ? item.text : JSON.stringify(item)))
  const rest = extra === undefined ? '' : JSON.stringify(extra).slice(1, -1)
  return new TextEncoder().encode(`{"events":[${items.join(',')}]${rest === '' ? '' : `,${rest}`}}`)
}

/** Builds the `{ event, sig }` (or junk) an item describes. */
async function materialize(peer: HostilePeer, world: World, item: Item): Promise<unknown> {
  if ('junk' in item) return item.junk
  if ('nul' in item) return peer.signWithNul(withNul(world.next.event, item))
  if ('twice' in item) {
    return new JsonText(
      twiceNamed(JSON.stringify({ event: world.next.event, sig: world.next.sig }), item),
    )
  }
  if ('sig' in item) {
    const sig = item.sig === 'joined' ? world.joined.sig : item.sig
    return { event: world.next.event, sig }
  }
  const mutations = 'semantic' in item ? item.semantic : item.mutate
  const event = applyAll(world.next.event, mutations)
  // Dropping a field the event does not have changes nothing: that would be the genuine event.
  if (isDeepStrictEqual(event, world.next.event)) return { event, sig: JUNK_SIG }
  const resign = 'semantic' in item || item.resign
  if (!resign) return { event, sig: world.next.sig }
  let signed: { event: unknown; sig: string }
  try {
    signed = await peer.signAnything(event)
  } catch {
    // Floats and unsafe integers cannot even be canonicalized for signing; the node must still
    // refuse them on shape, whatever the signature.
    return { event, sig: world.next.sig }
  }
  // A change that left a well-formed event could be accepted once signed again; unless it was
  // built to break a later rule, send it under the old signature, which no longer matches.
  if (!('semantic' in item) && isWellFormed(signed)) return { event, sig: world.next.sig }
  return signed
}

/** A copy of `event` with U+0000 inserted into the string, or the member name, at `nul`. */
function withNul(event: Event, item: Extract<Item, { nul: Path }>): unknown {
  const copy = structuredClone(event) as unknown as Record<string, unknown>
  let parent = copy
  for (const key of item.nul.slice(0, -1)) parent = parent[key] as Record<string, unknown>
  const last = item.nul.at(-1)!
  const insert = (text: string) => {
    const at = item.offset % (text.length + 1)
    return `${text.slice(0, at)}\u0000${text.slice(at)}`
  }
  if (item.name) {
    const value = parent[last]
    delete parent[last]
    parent[insert(last)] = value
  } else {
    parent[last] = insert(parent[last] as string)
  }
  return copy
}

/**
 * The text of a signed event with a member put before the first member of its `twice`-th
 * object, under that member's name: JSON.parse keeps the last, the genuine one.
 */
function twiceNamed(text: string, item: Extract<Item, { twice: number }>): string {
  const openings: number[] = []
  for (let i = 0, inString = false; i < text.length; i++) {
    if (inString) {
      if (text[i] === '\\') i++
      else if (text[i] === '"') inString = false
    } else if (text[i] === '"') inString = true
    else if (text[i] === '{') openings.push(i)
  }
  const at = openings[item.twice % openings.length]! + 1
  const name = /^"((?:[^"\\]|\\.)*)":/.exec(text.slice(at))?.[1]
  const repeat = name === undefined ? '"x":1,"x":1' : `"${name}":${JSON.stringify(item.value)},`
  return `${text.slice(0, at)}${repeat}${text.slice(at)}`
}

function isWellFormed(signed: unknown): boolean {
  try {
    parseSignedEvent(signed)
    return true
  } catch {
    return false
  }
}

function applyAll(event: Event, mutations: readonly Mutation[]): unknown {
  const copy = structuredClone(event) as unknown
  let result = copy
  for (const mutation of mutations) result = apply(result, mutation)
  return result
}

function apply(value: unknown, mutation: Mutation): unknown {
  const [head, ...rest] = mutation.at
  if (head === undefined) return 'set' in mutation ? mutation.set : undefined
  const record: Record<string, unknown> =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { ...(value as Record<string, unknown>) }
      : {}
  if (rest.length === 0 && 'drop' in mutation) {
    delete record[head]
    return record
  }
  // defineProperty, so that a field named __proto__ is a field, as JSON would carry it.
  Object.defineProperty(record, head, {
    value: apply(record[head], { ...mutation, at: rest }),
    enumerable: true,
    writable: true,
    configurable: true,
  })
  return record
}

function rawBody(world: World, raw: RawBody): Uint8Array {
  const genuine = new TextEncoder().encode(
    JSON.stringify({ events: [{ event: world.next.event, sig: world.next.sig }] }),
  )
  if ('truncate' in raw) return genuine.subarray(0, raw.truncate % genuine.length)
  if ('badUtf8' in raw) {
    const at = raw.at % genuine.length
    return Uint8Array.from([...genuine.subarray(0, at), ...raw.badUtf8, ...genuine.subarray(at)])
  }
  if ('deep' in raw) {
    return new TextEncoder().encode(
      `{"events":[{"event":${raw.open.repeat(raw.deep)}1${raw.close.repeat(raw.deep)},"sig":"${JUNK_SIG}"}]}`,
    )
  }
  if ('literal' in raw) return new TextEncoder().encode(raw.literal)
  if ('bytes' in raw) return Uint8Array.from(raw.bytes)
  const event = { ...world.next.event, body: { text: 'x'.repeat(raw.padded) } }
  return new TextEncoder().encode(JSON.stringify({ events: [{ event, sig: world.next.sig }] }))
}

// Judging replies.

function code(reply: HostileReply): string | undefined {
  return (reply.json as { error?: { code?: unknown } } | undefined)?.error?.code as
    | string
    | undefined
}

/** No 5xx; a 4xx carries `{ error: { code, message } }` with a registered code. */
function judge(reply: HostileReply, at: Where): string | undefined {
  tally(reply, at.kind)
  if (reply.status >= 500 || reply.status < 200) {
    return `${at.label()}: status ${reply.status} ${reply.text.slice(0, 300)}`
  }
  if (reply.status < 400) return undefined
  const error = (reply.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    return `${at.label()}: ${reply.status} without an error body: ${reply.text.slice(0, 300)}`
  }
  if (!KNOWN_CODES.has(error.code)) return `${at.label()}: unregistered code ${error.code}`
  return undefined
}

function judgeStatus(reply: HostileReply, at: Where): string | undefined {
  tally(reply, at.kind)
  return reply.status >= 500 || reply.status < 200
    ? `${at.label()}: status ${reply.status}`
    : undefined
}

/** Items that only one check can refuse, by the code it must give. */
function codeFor(item: Item): string | undefined {
  if ('nul' in item) return 'STRING_HAS_NUL'
  if ('twice' in item) return 'JSON_DUPLICATE_NAME'
  return undefined
}

/** A push that passed the signature check: each event refused on its own, none stored. */
function judgePush(reply: HostileReply, pushed: readonly Item[], at: Where): string | undefined {
  const items = pushed.length
  if (reply.status !== 200)
    return `${at.label()}: push answered ${reply.status} ${reply.text.slice(0, 300)}`
  const body = reply.json as {
    receipts: unknown[]
    need: unknown[]
    rejected: { code: string; index: number }[]
  }
  if (body.receipts.length > 0 || body.need.length > 0) {
    return `${at.label()}: something was stored or queued: ${reply.text.slice(0, 500)}`
  }
  if (body.rejected.length !== items) {
    return `${at.label()}: ${items} events, ${body.rejected.length} rejected: ${reply.text.slice(0, 500)}`
  }
  const unknown = body.rejected.find((rejection) => !KNOWN_CODES.has(rejection.code))
  if (unknown !== undefined) return `${at.label()}: unregistered code ${unknown.code}`
  const wrong = body.rejected.find(
    ({ index, code }) => codeFor(pushed[index]!) !== undefined && codeFor(pushed[index]!) !== code,
  )
  return wrong === undefined
    ? undefined
    : `${at.label()}: item ${wrong.index} refused as ${wrong.code}, not ${codeFor(pushed[wrong.index]!)}`
}

/** Any JSON body: a 4xx, or a 200 that stored nothing. */
function judgeAny(reply: HostileReply, at: Where): string | undefined {
  const problem = judge(reply, at)
  if (problem !== undefined || reply.status !== 200) return problem
  const body = reply.json as { receipts?: unknown[]; need?: unknown[]; rejected?: unknown[] }
  return (body.receipts?.length ?? 0) + (body.need?.length ?? 0) === 0
    ? undefined
    : `${at.label()}: something was stored: ${reply.text.slice(0, 500)}`
}

function expectStatus(reply: HostileReply, status: number, at: Where) {
  return reply.status === status
    ? undefined
    : `${at.label()}: expected ${status}, got ${reply.status} ${reply.text.slice(0, 300)}`
}

function expectCode(reply: HostileReply, expected: string, at: Where) {
  return code(reply) === expected
    ? undefined
    : `${at.label()}: expected ${expected}, got ${reply.status} ${reply.text.slice(0, 300)}`
}

function describeRecipe(recipe: Recipe): string {
  const text = JSON.stringify(recipe, (_key, value) =>
    typeof value === 'string' && value.length > 400
      ? `${value.slice(0, 60)}…(${value.length} chars)`
      : value,
  )
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text
}

// Generators.

function recipeOf(world: World): fc.Arbitrary<Recipe> {
  const channelId = fc.stringMatching(/^ch_[0-9A-HJKMNP-TV-Z]{26}$/)
  const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/)
  const partyId = fc.stringMatching(/^[a-z][a-z0-9-]{1,31}$/)
  const oddString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.constantFrom(
      '',
      '\u0000',
      'ch_\u0000',
      '\ud800',
      '\udfff\ud800',
      '\uffff',
      '\u202e',
      '../../etc/passwd',
      '%00',
      'null',
      '__proto__',
      'constructor',
      'usa#1',
      'rus#1',
      world.channel.toLowerCase(),
      `${world.channel}\u0000`,
      'x'.repeat(300),
    ),
  )
  const oddNumber = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.constantFrom(
      -1,
      0,
      0.5,
      -0.000001,
      1.0000000001,
      2 ** 53,
      -(2 ** 53),
      2 ** 64,
      1e308,
      Number.MIN_VALUE,
    ),
  )
  const deep = fc.integer({ min: 1, max: 2_000 }).map((depth) => {
    let value: unknown = 1
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value }
    return value
  })
  const odd: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 3, arbitrary: oddString },
    { weight: 3, arbitrary: oddNumber },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: fc.constantFrom(null, true, [], {}, [[]], { '': '' }) },
    { weight: 1, arbitrary: fc.integer({ min: 20_001, max: 80_000 }).map((n) => 'y'.repeat(n)) },
  )
  const field: fc.Arbitrary<Path> = fc.oneof(
    fc.constantFrom<Path>(
      ['v'],
      ['channel'],
      ['author'],
      ['seq'],
      ['prev'],
      ['heads'],
      ['time'],
      ['type'],
      ['officer'],
      ['key'],
      ['body'],
      ['body', 'text'],
      ['body', 'lang'],
      ['body', 'urgency'],
      ['body', 'tlp'],
      ['body', 'replyTo'],
      ['body', 'attachments'],
      ['heads', 'usa'],
      ['heads', 'usa', 'seq'],
      ['heads', 'usa', 'id'],
      ['heads', 'rus'],
      ['heads', 'osce'],
      ['__proto__'],
      ['constructor'],
      ['body', '__proto__'],
    ),
    fc.string({ maxLength: 12 }).map((name): Path => [name]),
    fc.string({ maxLength: 12 }).map((name): Path => ['body', name]),
  )
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ at: field, set: odd }) },
    { weight: 1, arbitrary: fc.record({ at: field, drop: fc.constant(true as const) }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...EVENT_TYPES, 'message.unknown', 'Message.Post', 'x')
        .map((type): Mutation => ({ at: ['type'], set: type })),
    },
  )
  const { next, joined } = world
  const semantic: fc.Arbitrary<readonly Mutation[]> = fc.oneof(
    // Step 5: from the future, or before rus' previous event.
    fc
      .integer({ min: Date.now() + 3_600_000, max: Number.MAX_SAFE_INTEGER })
      .map((time) => [{ at: ['time'], set: time }]),
    fc.integer({ min: 0, max: joined.event.time - 1 }).map((time) => [{ at: ['time'], set: time }]),
    // Step 2: another author, or a key the author never had pinned.
    partyId.filter((party) => party !== 'rus').map((author) => [{ at: ['author'], set: author }]),
    fc.integer({ min: 2, max: 1_000_000 }).map((n) => [{ at: ['key'], set: `rus#${n}` }]),
    // Step 4: a prev that is not rus' last event.
    hex64.filter((id) => id !== next.event.prev).map((prev) => [{ at: ['prev'], set: prev }]),
    // Step 7: heads naming a party that is not in the channel.
    fc
      .tuple(
        partyId.filter((party) => party !== 'usa' && party !== 'rus'),
        fc.integer({ min: 1, max: 1000 }),
        hex64,
      )
      .map(([party, seq, id]) => [{ at: ['heads', party], set: { seq, id } }]),
    // Step 6: a first event in a channel this node does not know, with nothing to pull it from
    // (a later seq would be a gap, kept pending by design).
    channelId
      .filter((channel) => channel !== world.channel)
      .map((channel) => [
        { at: ['channel'], set: channel },
        { at: ['seq'], set: 1 },
        { at: ['prev'], set: null },
        { at: ['heads'], set: {} },
      ]),
    // Step 6: a translation or acknowledgment of an event that does not exist.
    hex64.map((of) => [
      { at: ['type'], set: 'message.translate' },
      { at: ['body'], set: { of, lang: 'en', text: 'A translation of nothing.' } },
    ]),
    hex64.map((notice) => [
      { at: ['type'], set: 'notice.ack' },
      { at: ['body'], set: { notice } },
    ]),
  )
  const nul: fc.Arbitrary<Item> = fc.oneof(
    fc.record({
      nul: fc.constantFrom<Path>(
        ['body', 'text'],
        ['body', 'lang'],
        ['body', 'tlp'],
        ['type'],
        ['channel'],
        ['author'],
        ['key'],
        ['prev'],
        ['heads', 'usa', 'id'],
      ),
      name: fc.boolean(),
      offset: fc.nat(),
    }),
    fc.record({
      nul: fc.constantFrom<Path>(['heads', 'usa'], ['body']),
      name: fc.constant(true),
      offset: fc.nat(),
    }),
  )
  const twice: fc.Arbitrary<Item> = fc.record({
    twice: fc.nat(),
    value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom('\u0000', 'agreed', null)),
  })
  const item: fc.Arbitrary<Item> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        mutate: fc.array(mutation, { minLength: 1, maxLength: 3 }),
        resign: fc.boolean(),
      }),
    },
    { weight: 3, arbitrary: fc.record({ semantic }) },
    { weight: 2, arbitrary: fc.record({ junk: odd }) },
    { weight: 1, arbitrary: nul },
    { weight: 1, arbitrary: twice },
    { weight: 1, arbitrary: fc.record({ junk: fc.record({ event: odd, sig: odd }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        sig: fc.oneof(
          fc.constant('joined'),
          fc.stringMatching(/^[A-Za-z0-9_-]{85}[AQgw]$/),
          oddString,
        ),
      }),
    },
  )

  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.constant(world.channel) },
    { weight: 2, arbitrary: channelId },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2E%2E%2F',
        '..%2F..%2F',
        '%2F',
        '%00',
        'ch_',
        '%20',
        'é',
        '%C0%AE%C0%AE',
        '%ZZ',
        '%',
        world.channel.toLowerCase(),
        `${world.channel}%00`,
      ),
    },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeSafely) },
    { weight: 1, arbitrary: fc.integer({ min: 90, max: 2_000 }).map((n) => 'c'.repeat(n)) },
  )
  const author = fc.oneof(fc.constantFrom('usa', 'rus', 'osce', 'jpn', 'USA'), segment)
  const queryValue = fc.oneof(
    fc.integer().map(String),
    fc.constantFrom(
      '-1',
      '0',
      '1',
      '2',
      '500',
      '501',
      '1e3',
      '1.5',
      'NaN',
      'Infinity',
      '0x10',
      '9007199254740993',
      '99999999999999999999999',
      '',
      'abc',
      '+1',
      ' 1',
      '1,2',
      '[]',
      '\u0000',
    ),
  )
  const query = fc
    .array(fc.tuple(fc.constantFrom('from', 'limit', 'x', 'from[]', '__proto__'), queryValue), {
      maxLength: 4,
    })
    .map((pairs) =>
      pairs.length === 0
        ? ''
        : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
    )
  const get: fc.Arbitrary<Recipe> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.tuple(segment, author, query).map(([channel, party, q]) => ({
        get: `/federation/v1/channels/${channel}/log/${party}${q}`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(segment, query)
        .map(([channel, q]) => ({ get: `/federation/v1/channels/${channel}/heads${q}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          `/federation/v1/channels/${world.channel}/log/../../../../api/v1/channels`,
          '/federation/v1/../api/v1/channels',
          `/federation/v1/events/../channels/${world.channel}/heads`,
          '//federation/v1/events',
          `/federation/v1/channels/${world.channel}/heads/`,
          `/federation/v1/channels/${world.channel}/heads?`,
          `/FEDERATION/v1/channels/${world.channel}/heads`,
          `/federation/v1/channels/${world.channel}/log/usa/extra`,
          `/federation/v1/channels/${world.channel}/log/`,
          `/federation/v1/channels/${world.channel}/log/usa?from=1&from=2`,
          `/federation/v1/channels/${world.channel}/log/usa?from=1&limit=500&limit=1`,
          '/federation/v1/channels//heads',
          '/federation/v1/events',
          `/federation/v1/channels/${world.channel}%2Fheads`,
          '/.well-known/../federation/v1/events',
          `/federation/v1/channels/${world.channel}/heads#fragment`,
        )
        .map((path) => ({ get: path })),
    },
  )

  const rawOf: fc.Arbitrary<RawBody> = fc.oneof(
    fc.nat().map((truncate) => ({ truncate })),
    fc
      .record({
        badUtf8: fc.oneof(
          fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 6 }),
          fc.constantFrom([0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff]),
          fc.constantFrom([0x00], [0xef, 0xbb, 0xbf]),
        ),
        at: fc.nat(),
      })
      .map((raw) => raw as RawBody),
    fc
      .record({
        deep: fc.oneof(
          fc.integer({ min: 1, max: 5_000 }),
          fc.integer({ min: 5_000, max: 600_000 }),
        ),
        brackets: fc.constantFrom(['[', ']'], ['{"a":', '}'], ['[{"b":', '}]']),
      })
      .map(({ deep, brackets: [open, close] }) => ({ deep, open: open!, close: close! })),
    fc
      .constantFrom(
        '',
        ' ',
        'null',
        '[]',
        '"events"',
        '{}',
        '{"events":null}',
        '{"events":{}}',
        '{"events":[1e999]}',
        '{"events":[-0]}',
        '{"events":[123456789012345678901234567890]}',
        '{"events":[{"event":{"v":1e400},"sig":"x"}]}',
        '\ufeff{"events":[]}',
        '{"events":[],"events":"x"}',
        '{"events":[{"event":{"v":1,"v":1},"sig":"x"}]}',
        '{"events":[{"event":{},"sig":"x"}],"\\u0000":1}',
        '{"events":[{"event":{"body":{"text":"\\u0000"}},"sig":"x"}]}',
        '{"events":[{"event":{"\\u0000":1},"sig":"x","sig":"y"}]}',
        '{"__proto__":{"events":[]}}',
        '{"events":[{"__proto__":{"event":1}}]}',
        '{"events":[{"event":{"channel":"ch_\\u0000","author":"\\u0000rus","seq":1},"sig":"x"}]}',
        '{"events":[{"event":{"heads":{"\\u0000":{"seq":1,"id":"x"}}},"sig":"x"}]}',
        '{"events":[{"event":{"channel":"\\ud800","author":"rus","key":"rus#1"},"sig":"x"}]}',
        '{"events":[{"event":{"constructor":{"prototype":{"polluted":1}}},"sig":"x"}]}',
        '{"events":[]}garbage',
        '{"events":[]}{"events":[]}',
        '{"events":[,]}',
        "{'events':[]}",
        '{"events":[]',
        '\u0000',
        '{"events":"\\u0000"}',
      )
      .map((literal) => ({ literal })),
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }).map((bytes) => ({ bytes })),
    fc
      .oneof(
        fc.integer({ min: 60_000, max: 70_000 }),
        fc.integer({ min: 4_200_000, max: 5_000_000 }),
      )
      .map((padded) => ({ padded })),
  )
  const contentType = fc.oneof(
    { weight: 4, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'APPLICATION/JSON',
        'application/jsonx',
        'application/*',
        'application/json, text/plain',
        'application/octet-stream',
        '',
        null,
      ),
    },
  )

  const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 80 })
  const headerMutation: fc.Arbitrary<HeaderMutation> = fc.oneof(
    fc
      .constantFrom('signature', 'signature-input', 'content-digest', 'content-type')
      .map((drop) => ({ drop })),
    fc
      .record({
        set: fc.constantFrom('signature', 'signature-input', 'content-digest'),
        value: fc.oneof(
          printable,
          fc.constantFrom(
            'sig1=:AAAA:',
            'sig1=("@method");created=1;keyid="rus#1"',
            'sig2=:AAAA:',
            'sig1=:=:',
            'sha-256=:AAAA:',
            'sha-512=:AAAA:',
            'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
            'sig1=("@method" "@authority" "@path");created=1;expires=301;nonce="AAAAAAAAAAAAAAAAAAAAAA";keyid="rus#1";alg="ed25519"',
          ),
        ),
      })
      .map((mutation) => mutation as HeaderMutation),
    fc
      .record({
        param: fc.constantFrom('created', 'expires', 'nonce', 'keyid', 'alg', 'extra'),
        value: fc.oneof(
          fc.constantFrom(
            '',
            '1',
            '-1',
            '1.5',
            '"1"',
            '99999999999999999999',
            '"AAAA"',
            '"usa#1"',
            '"rus#2"',
            '"rsa-pss-sha512"',
            '"hmac-sha256"',
            '?1',
            ':AAAA:',
            'abc',
          ),
          fc.integer().map(String),
        ),
      })
      .map((mutation) => mutation as HeaderMutation),
    fc.nat().map((flip) => ({ flip })),
    fc
      .oneof(fc.integer({ min: -100_000, max: -302 }), fc.integer({ min: 302, max: 100_000 }))
      .map((skew) => ({ skew })),
    fc
      .oneof(
        fc.constantFrom('usa#1', 'osce#1', 'rus#2', 'rus', 'rus#', '#1', ''),
        fc.stringMatching(/^[a-z][a-z0-9-]{1,31}#[1-9][0-9]{0,3}$/),
        printable.filter((s) => !s.includes('"') && !s.includes('\\') && s !== 'rus#1'),
      )
      .map((keyid) => ({ keyid })),
    fc
      .oneof(fc.integer({ min: 1, max: 4_000 }), fc.integer({ min: 17_000, max: 40_000 }))
      .map((pad) => ({ pad })),
    fc.constant({ tamper: true as const }),
    fc.constant({ replay: true as const }),
  )

  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        push: fc.array(item, { maxLength: 6 }),
        // Mostly none, so that most pushes reach the handler and each event is judged.
        extra: fc.oneof(
          { weight: 9, arbitrary: fc.constant(undefined) },
          {
            weight: 1,
            arbitrary: fc.dictionary(
              fc.string({ maxLength: 8 }).filter((key) => key !== 'events'),
              fc.jsonValue({ maxDepth: 1 }),
              { minKeys: 1, maxKeys: 2 },
            ),
          },
        ),
      }),
    },
    { weight: 2, arbitrary: fc.record({ body: odd }) },
    { weight: 3, arbitrary: fc.record({ raw: rawOf, contentType }) },
    { weight: 5, arbitrary: get },
    {
      weight: 3,
      arbitrary: fc.record({
        headers: headerMutation,
        on: fc.constantFrom('push' as const, 'heads' as const),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'GET', 'POST'),
        path: fc.constantFrom(
          PUSH,
          `/federation/v1/channels/${world.channel}/heads`,
          `/federation/v1/channels/${world.channel}/log/usa`,
        ),
      }),
    },
  )
}

/** Percent-encodes a path segment; a lone surrogate cannot be, so it is sent as %ED%A0%80. */
function encodeSafely(segment: string): string {
  try {
    return encodeURIComponent(segment)
  } catch {
    return '%ED%A0%80'
  }
}
