import {
  createHash,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto'
import type { Kysely } from 'kysely'
import type { DB } from '../../store/tables.ts'

/** The node's Ed25519 webhook key: `v1a` signatures, verifiable with the published half. */
export interface WebhookKey {
  readonly id: string
  readonly privateKey: KeyObject
  /** `whpk_` and the raw 32-byte public key in base64 (Standard Webhooks). */
  readonly publicKey: string
  readonly createdAt: number
}

/**
 * The node's webhook key, made on first use and kept in the database: receivers pin its public
 * half, so it must outlive restarts. A key of its own, never a party's event key, so a webhook
 * signature can never be replayed as a protocol signature or the other way round.
 */
export async function webhookKey(db: Kysely<DB>, now: number): Promise<WebhookKey> {
  const existing = await db
    .selectFrom('webhook_keys')
    .selectAll()
    .orderBy('created_at')
    .executeTakeFirst()
  if (existing !== undefined) {
    return {
      id: existing.id,
      privateKey: createPrivateKey(existing.private_key),
      publicKey: existing.public_key,
      createdAt: Number(existing.created_at),
    }
  }
  const pair = generateKeyPairSync('ed25519')
  const raw = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  const publicKey = `whpk_${raw.toString('base64')}`
  const id = `wk_${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`
  await db
    .insertInto('webhook_keys')
    .values({
      id,
      private_key: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      public_key: publicKey,
      created_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .execute()
  // Another process may have made one first: the oldest key is the node's.
  return webhookKey(db, now)
}

/**
 * The `webhook-signature` header of a Standard Webhooks message: `v1,` the base64 HMAC-SHA256
 * of `id.timestamp.body` under the endpoint's secret (`whsec_` base64), and `v1a,` the base64
 * Ed25519 signature of the same bytes under the node's key, space separated.
 */
export function webhookSignature(
  message: { readonly id: string; readonly timestamp: number; readonly body: string },
  secret: string,
  key: WebhookKey,
): string {
  const signed = `${message.id}.${message.timestamp}.${message.body}`
  const hmacKey = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const v1 = createHmac('sha256', hmacKey).update(signed).digest('base64')
  const v1a = sign(null, Buffer.from(signed), key.privateKey).toString('base64')
  return `v1,${v1} v1a,${v1a}`
}

/** What a receiver answered to one delivery. */
export type WebhookOutcome =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false
      readonly status: number | null
      readonly retryAfter: string | null
      readonly reason: string
    }

/** POSTs one signed message; any answer but 2xx is a failure the caller decides about. */
export async function postWebhook(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
): Promise<WebhookOutcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    })
    await response.body?.cancel()
    if (response.status >= 200 && response.status < 300)
      return { ok: true, status: response.status }
    return {
      ok: false,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      reason: `HTTP ${response.status}`,
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code
    return {
      ok: false,
      status: null,
      retryAfter: null,
      reason: cause ?? String(error).slice(0, 300),
    }
  }
}
