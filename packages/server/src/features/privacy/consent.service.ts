import {
  CONSENT_CATEGORIES,
  type ConsentCheckpoint,
  type ConsentChoice,
  type ConsentHead,
  type ConsentReceipt,
  consentHash,
  consentMessage,
  type PageQuery,
  type SignedConsentReceipt,
} from '@parley/api'
import { canonicalJson, parseJson, sign } from '@parley/protocol'
import type { Kysely } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import type { JobRun } from '../../node/scheduler.ts'
import { signingKey } from '../../node-identity.ts'
import { type Keyset, type Page, readPage } from '../../store/keyset.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import {
  chainRow,
  deleteReceiptsThrough,
  insertReceipt,
  lastReceiptBefore,
  lockChain,
  type ReceiptRow,
  receiptRange,
  receiptsAfter,
  updateChain,
} from './privacy.repository.ts'
import type { PrivacySettings } from './privacy-config.ts'

/** What the consent feature needs of its node. */
export interface ConsentContext {
  readonly node: NodeContext
  /** The hosted party whose key signs receipts. */
  readonly party: string
  readonly settings: PrivacySettings
}

/** What the node itself adds to a visitor's choice. */
export interface ConsentRequestFacts {
  readonly userAgent: string
  /** The client address, not yet truncated. */
  readonly ip: string
  /** `Sec-GPC: 1` was sent. */
  readonly gpcHeader: boolean
}

/** The scheduler job kind of the daily prune of expired receipts. */
export const PRUNE_JOB = 'privacy.consent.prune'
const DAY = 86_400_000

/**
 * Stores a visitor's choice as the next signed receipt of the chain and returns it. The node
 * adds the time, the user agent and the truncated IP; `Sec-GPC: 1` turns off every category
 * that sells or shares and records `gpc: true`.
 */
export async function recordConsent(
  ctx: ConsentContext,
  choice: ConsentChoice,
  facts: ConsentRequestFacts,
): Promise<SignedConsentReceipt> {
  const { node } = ctx
  const gpc = choice.gpc || facts.gpcHeader
  const given = categoryChoices(choice.choices)
  const choices = gpc ? { ...given, targeting: false, social: false, sale: false } : given
  const time = node.now()
  const key = signingKey(node.identity.parties.get(ctx.party)!, time)
  return node.db.transaction().execute(async (trx) => {
    const chain = await lockChain(trx)
    const receipt: ConsentReceipt = {
      type: 'consent.receipt',
      v: 1,
      seq: Number(chain.seq) + 1,
      prev: chain.head,
      consentId: choice.consentId.toLowerCase(),
      revision: choice.revision,
      choices,
      services: choice.services,
      textHash: choice.textHash,
      url: choice.url,
      gpc,
      language: choice.language,
      time,
      userAgent: facts.userAgent.slice(0, 512),
      ip: truncateIp(facts.ip),
      key: key.id,
    }
    const message = consentMessage(receipt)
    const sig = await sign(key.privateKey, message)
    const hash = await consentHash(receipt)
    await insertReceipt(trx, {
      seq: receipt.seq,
      hash,
      line: canonicalJson({ receipt, sig }),
      time,
      consent_id: receipt.consentId,
    })
    await updateChain(trx, {
      seq: receipt.seq,
      head: hash,
      pruned: Number(chain.pruned),
      checkpoint: chain.checkpoint,
    })
    return { receipt, sig, hash }
  })
}

/**
 * The six categories' choices in their order: 400 `CONSENT_CATEGORY_UNKNOWN` for any other
 * name, `CONSENT_CATEGORY_MISSING` for one left out, `CONSENT_NECESSARY_REQUIRED` when Strictly
 * Necessary is off (it cannot be: the site does not work without it).
 */
export function categoryChoices(
  given: Readonly<Record<string, boolean>>,
): ConsentReceipt['choices'] {
  for (const name of Object.keys(given)) {
    if (!(CONSENT_CATEGORIES as readonly string[]).includes(name)) {
      throw new ServerError('CONSENT_CATEGORY_UNKNOWN', { category: name.slice(0, 64) })
    }
  }
  for (const name of CONSENT_CATEGORIES) {
    if (given[name] === undefined)
      throw new ServerError('CONSENT_CATEGORY_MISSING', { category: name })
  }
  if (given.necessary !== true) throw new ServerError('CONSENT_NECESSARY_REQUIRED')
  return {
    necessary: true,
    functional: given.functional!,
    performance: given.performance!,
    targeting: given.targeting!,
    social: given.social!,
    sale: given.sale!,
  }
}

/**
 * An address as a receipt keeps it: IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48
 * (`2001:db8:85a3::`); an IPv4-mapped IPv6 address counts as IPv4.
 */
export function truncateIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  const v4 = mapped?.[1] ?? address
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0`
  const groups = expandIpv6(address)
  if (groups === undefined) return 'unknown'
  return `${groups
    .slice(0, 3)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::`
}

function expandIpv6(address: string): string[] | undefined {
  const plain = address.split('%')[0]!
  if (!/^[0-9a-f:]+$/i.test(plain)) return undefined
  const [head = '', tail] = plain.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const missing = 8 - left.length - right.length
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined
  return [...left, ...Array<string>(missing).fill('0'), ...right]
}

const receiptKeyset: Keyset<ReceiptRow> = {
  scope: 'consent-receipts',
  columns: ['seq'],
  kinds: ['int'],
  key: (row) => [Number(row.seq)],
}

/** A page of receipts in the shared page shape (the newest by default), oldest first. */
export async function receiptPage(
  db: Kysely<DB>,
  query: PageQuery,
): Promise<{ receipts: SignedConsentReceipt[]; cursors: Page<ReceiptRow>['cursors'] }> {
  const page = await readPage(receiptKeyset, query, (where, direction, limit) =>
    receiptRange(db, where, direction, limit),
  )
  return { receipts: page.items.map(signedReceipt), cursors: page.cursors }
}

function signedReceipt(row: ReceiptRow): SignedConsentReceipt {
  const { receipt, sig } = parseJson(row.line) as unknown as Omit<SignedConsentReceipt, 'hash'>
  return { receipt, sig, hash: row.hash }
}

/**
 * The export, one canonical line each: the checkpoint of the last prune (if any), every
 * receipt in chain order, then a head signed now, so that a receipt removed from the end of
 * the file is noticed as well as one removed from the middle.
 */
export async function* exportConsentLines(
  node: Pick<NodeContext, 'db' | 'identity' | 'now'>,
  party: string,
): AsyncGenerator<string> {
  const chain = await chainRow(node.db)
  if (chain.checkpoint !== null) yield chain.checkpoint
  let after = 0
  for (;;) {
    const rows = await receiptsAfter(node.db, after, 500)
    for (const row of rows) yield row.line
    if (rows.length < 500) break
    after = Number(rows.at(-1)!.seq)
  }
  const time = node.now()
  const key = signingKey(node.identity.parties.get(party)!, time)
  const head: ConsentHead = {
    type: 'consent.head',
    v: 1,
    seq: Number(chain.seq),
    head: chain.head,
    time,
    key: key.id,
  }
  yield canonicalJson({ head, sig: await sign(key.privateKey, consentMessage(head)) })
}

/**
 * Deletes the receipts older than the retention and signs a checkpoint at the prune point (the
 * last pruned receipt's seq and hash), which the export starts with: the first receipt kept
 * links to it, so what remains still verifies as one unbroken chain. Returns how many went.
 */
export async function pruneConsent(ctx: ConsentContext): Promise<number> {
  const { node } = ctx
  const now = node.now()
  const last = await lastReceiptBefore(node.db, now - ctx.settings.retentionMs)
  if (last === undefined) return 0
  const key = signingKey(node.identity.parties.get(ctx.party)!, now)
  return node.db.transaction().execute(async (trx) => {
    const chain = await lockChain(trx)
    const removed = await deleteReceiptsThrough(trx, Number(last.seq))
    if (removed === 0) return 0
    const checkpoint: ConsentCheckpoint = {
      type: 'consent.checkpoint',
      v: 1,
      seq: Number(last.seq),
      head: last.hash,
      pruned: Number(chain.pruned) + removed,
      time: now,
      key: key.id,
    }
    const sig = await sign(key.privateKey, consentMessage(checkpoint))
    await updateChain(trx, {
      seq: Number(chain.seq),
      head: chain.head,
      pruned: checkpoint.pruned,
      checkpoint: canonicalJson({ checkpoint, sig }),
    })
    await audit(trx, {
      time: now,
      action: 'consent.prune',
      officer: null,
      party: ctx.party,
      details: { through: checkpoint.seq, removed, retentionDays: ctx.settings.retentionMs / DAY },
    })
    return removed
  })
}

/**
 * Runs the prune once a day on the durable scheduler: one job per UTC day (so a restart the
 * same day schedules nothing new), each scheduling the next day's.
 */
export function schedulePrunes(ctx: ConsentContext): void {
  const { scheduler } = ctx.node
  scheduler.handle(PRUNE_JOB, async (job: JobRun) => {
    await pruneConsent(ctx)
    const next = (Math.floor(job.dueAt / DAY) + 1) * DAY
    await ctx.node.db.transaction().execute(async (trx) => {
      await scheduler.schedule(trx, { kind: PRUNE_JOB, key: dayKey(next), dueAt: next })
      await job.complete(trx)
    })
  })
}

/** Schedules today's prune (a no-op when it is scheduled or ran already). */
export async function scheduleTodaysPrune(ctx: ConsentContext): Promise<void> {
  const now = ctx.node.now()
  await ctx.node.scheduler.schedule(ctx.node.db, { kind: PRUNE_JOB, key: dayKey(now), dueAt: now })
}

function dayKey(time: number): string {
  return new Date(Math.floor(time / DAY) * DAY).toISOString().slice(0, 10)
}
