import { randomBytes } from 'node:crypto'
import { sha256Hex, utf8 } from '@parley/protocol'
import type { Kysely } from 'kysely'
import { ServerError } from '../../errors.ts'
import type { DB } from '../../store/tables.ts'
import { type Mail, Mailer } from '../escalation/mailer.ts'
import type { SmtpSettings } from '../escalation/smtp-config.ts'
import { randomCrockford } from '../officers/secrets.ts'
import {
  deleteSubscription,
  insertSubscription,
  insertToken,
  setSubscriptionStatus,
  subscriptionByEmail,
  subscriptionById,
  tokenUsable,
  useToken,
} from './portal.repository.ts'
import { PORTAL_TEXT, type PortalLanguage } from './portal-text.ts'

/** How long a confirmation link works. */
export const CONFIRM_LIFETIME_MS = 48 * 3_600_000
/** The window of the sign-up rate limits, and what each allows in it. */
export const SIGNUP_WINDOW_MS = 3_600_000
export const SIGNUPS_PER_ADDRESS = 5
export const SIGNUPS_PER_IP = 20

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/

export interface NewsletterOptions {
  readonly db: Kysely<DB>
  readonly now: () => number
  /** The node's public base URL (its `federationUrl`): mail links point there, never to a Host header. */
  readonly base: string
  readonly smtp?: SmtpSettings
}

/** The portal's newsletter: double opt-in sign-up over SMTP, confirmation and unsubscribing. */
export interface Newsletter {
  /** Sends a confirmation mail; the address is subscribed only once its link is followed. */
  signUp(email: unknown, lang: PortalLanguage, ip: string): Promise<void>
  /** Whether a mail's link would still work, without using it. */
  usable(token: string, purpose: 'confirm' | 'unsubscribe'): Promise<boolean>
  /** Confirms with a confirmation link's token; `NEWSLETTER_TOKEN_INVALID` otherwise. */
  confirm(token: string): Promise<void>
  /** Unsubscribes with an unsubscribe link's token; `NEWSLETTER_TOKEN_INVALID` otherwise. */
  unsubscribe(token: string): Promise<void>
  close(): void
}

const hash = (token: string) => sha256Hex(utf8(token))
const newToken = () => randomBytes(32).toString('base64url')

/** The address a sign-up names, lower-cased; `NEWSLETTER_EMAIL_INVALID` when it is none. */
export function subscriberAddress(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ServerError('NEWSLETTER_EMAIL_INVALID', { reason: 'no address given' })
  }
  const email = value.trim().toLowerCase()
  if (email.length > 254) throw new ServerError('NEWSLETTER_EMAIL_INVALID', { reason: 'too long' })
  if (!EMAIL.test(email)) {
    throw new ServerError('NEWSLETTER_EMAIL_INVALID', { reason: 'not local@domain' })
  }
  return email
}

/**
 * Counts attempts per key in a sliding window of the injected clock. Kept on the newsletter
 * instance (one per app), so two apps in one process never share counts.
 */
class AttemptWindow {
  readonly #seen = new Map<string, number[]>()
  readonly #limit: number
  constructor(limit: number) {
    this.#limit = limit
  }
  /** Seconds until another attempt is allowed, or 0 (and the attempt is counted). */
  take(key: string, now: number): number {
    const recent = (this.#seen.get(key) ?? []).filter((at) => at > now - SIGNUP_WINDOW_MS)
    if (recent.length >= this.#limit) {
      this.#seen.set(key, recent)
      return Math.ceil((recent[0]! + SIGNUP_WINDOW_MS - now) / 1000)
    }
    recent.push(now)
    this.#seen.set(key, recent)
    if (this.#seen.size > 10_000) this.#forgetOld(now)
    return 0
  }
  #forgetOld(now: number): void {
    for (const [key, times] of this.#seen) {
      if (times.every((at) => at <= now - SIGNUP_WINDOW_MS)) this.#seen.delete(key)
    }
  }
}

export function createNewsletter(options: NewsletterOptions): Newsletter {
  const { db, now, base } = options
  const mailer = options.smtp === undefined ? undefined : new Mailer(options.smtp)
  const perIp = new AttemptWindow(SIGNUPS_PER_IP)
  const perAddress = new AttemptWindow(SIGNUPS_PER_ADDRESS)
  const link = (action: 'confirm' | 'unsubscribe', token: string, lang: PortalLanguage) =>
    `${base}/public/newsletter/${action}?token=${token}&lang=${lang}`

  /** A fresh unsubscribe token of a subscription: every mail carries one (RFC 8058 too). */
  async function unsubscribeLink(subscription: string, lang: PortalLanguage) {
    const token = newToken()
    await insertToken(db, {
      token_hash: await hash(token),
      subscription,
      purpose: 'unsubscribe',
      created_at: now(),
      expires_at: null,
      used_at: null,
    })
    return link('unsubscribe', token, lang)
  }

  async function send(mail: Mail, unsubscribe: string): Promise<void> {
    const outcome = await mailer!.send({
      ...mail,
      headers: {
        'List-Unsubscribe': `<${unsubscribe}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    })
    if (!outcome.ok) throw new ServerError('NEWSLETTER_UNAVAILABLE', { reason: outcome.reason })
  }

  const fill = (template: string, values: Record<string, string>) =>
    template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '')

  return {
    async signUp(value, lang, ip) {
      const email = subscriberAddress(value)
      const at = now()
      const ipWait = perIp.take(ip, at)
      if (ipWait > 0) {
        throw new ServerError('NEWSLETTER_RATE_LIMITED', {
          who: 'this IP address',
          retryAfter: ipWait,
        })
      }
      const addressWait = perAddress.take(email, at)
      if (addressWait > 0) {
        throw new ServerError('NEWSLETTER_RATE_LIMITED', {
          who: 'this e-mail address',
          retryAfter: addressWait,
        })
      }
      if (mailer === undefined) {
        throw new ServerError('NEWSLETTER_UNAVAILABLE', { reason: 'the node has no smtp config' })
      }
      const existing = await subscriptionByEmail(db, email)
      // A confirmed address learns nothing new and gets no mail: the answer is the same page.
      if (existing?.status === 'confirmed') return
      const subscription = existing?.id ?? `sub_${randomCrockford(26)}`
      if (existing === undefined) {
        await insertSubscription(db, {
          id: subscription,
          email,
          lang,
          status: 'pending',
          created_at: at,
          confirmed_at: null,
          unsubscribed_at: null,
        })
      } else {
        await setSubscriptionStatus(db, subscription, { status: 'pending', lang })
      }
      const token = newToken()
      await insertToken(db, {
        token_hash: await hash(token),
        subscription,
        purpose: 'confirm',
        created_at: at,
        expires_at: at + CONFIRM_LIFETIME_MS,
        used_at: null,
      })
      const t = PORTAL_TEXT[lang]
      const unsubscribe = await unsubscribeLink(subscription, lang)
      try {
        await send(
          {
            to: [email],
            subject: t.mailSubject,
            text: fill(t.mailBody, { confirm: link('confirm', token, lang), unsubscribe }),
          },
          unsubscribe,
        )
      } catch (error) {
        // Nothing of a sign-up whose mail did not go stays behind.
        if (existing === undefined) {
          await deleteSubscription(db, subscription)
        }
        throw error
      }
    },

    usable: async (token, purpose) => tokenUsable(db, await hash(token), purpose, now()),

    async confirm(token) {
      const subscription = await useToken(db, await hash(token), 'confirm', now())
      if (subscription === undefined) throw new ServerError('NEWSLETTER_TOKEN_INVALID')
      const row = (await subscriptionById(db, subscription))!
      await setSubscriptionStatus(db, subscription, { status: 'confirmed', confirmed_at: now() })
      if (mailer === undefined) return
      const lang = row.lang as PortalLanguage
      const t = PORTAL_TEXT[lang]
      const unsubscribe = await unsubscribeLink(subscription, lang)
      await send(
        {
          to: [row.email],
          subject: t.welcomeSubject,
          text: fill(t.welcomeBody, { portal: `${base}/public/${lang}/`, unsubscribe }),
        },
        unsubscribe,
      )
    },

    async unsubscribe(token) {
      const subscription = await useToken(db, await hash(token), 'unsubscribe', now())
      if (subscription === undefined) throw new ServerError('NEWSLETTER_TOKEN_INVALID')
      await setSubscriptionStatus(db, subscription, {
        status: 'unsubscribed',
        unsubscribed_at: now(),
      })
    },

    close() {
      mailer?.close()
    },
  }
}
